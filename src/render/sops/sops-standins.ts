// The stand-in plaintext of a SOPS file (render/secret-derived.ts): what the file would decrypt to if
// every encrypted value were a stand-in of its type. Made from the ciphertext alone (the type is in the
// clear in `ENC[…,type:int]`), so it needs no key and knows nothing of the real values.
import { isMap, isScalar, parseAllDocuments, visit } from 'yaml';
import { standIn, standInScalar, type ShadowVariant } from '../secret-derived.js';
import type { SopsFormat } from './sops-errors.js';

const ENC = /ENC\[AES256_GCM,[^\]]*?type:(str|int|float|bool|bytes)\]/g;

function typed(type: string, identity: string, variant: ShadowVariant): string | number | boolean {
  if (type === 'int') return standInScalar(1, identity, variant) as number;
  if (type === 'float') return standInScalar(0.5, identity, variant) as number;
  if (type === 'bool') return standInScalar(true, identity, variant) as boolean;
  return standIn(identity, variant);
}

export function standInSopsText(text: string, format: SopsFormat, identity: string, variant: ShadowVariant): string {
  let n = 0;
  const next = () => `${identity}#${n++}`;
  if (format === 'binary') return standIn(identity, variant);
  if (format === 'dotenv' || format === 'ini') {
    const lines = text.split('\n').filter((l) => !/^\s*sops_/.test(l));
    let out = lines.join('\n').replace(ENC, (_m, type: string) => String(typed(type, next(), variant)));
    // INI: the [sops] section goes, as sops removes it on decryption.
    if (format === 'ini') out = out.replace(/^\[sops\][^[]*/m, '');
    return out;
  }
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (isMap(doc.contents)) doc.contents.delete('sops');
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value !== 'string' || !node.value.startsWith('ENC[AES256_GCM,')) return;
        const m = /type:(str|int|float|bool|bytes)\]$/.exec(node.value);
        node.value = typed(m?.[1] ?? 'str', next(), variant);
        node.type = undefined;
      },
    });
    // Encrypted comments (encrypted_comment_regex) hold plaintext too.
    visit(doc, {
      Node(_key, node) {
        if (isScalar(node) || isMap(node)) {
          if (node.comment?.includes('ENC[AES256_GCM')) node.comment = standIn(next(), variant);
          if (node.commentBefore?.includes('ENC[AES256_GCM')) node.commentBefore = standIn(next(), variant);
        }
      },
    });
  }
  if (format === 'json') return `${JSON.stringify(list[0]?.toJS() ?? {}, null, 2)}\n`;
  return list.map((d, i) => (i === 0 ? '' : '---\n') + d.toString({ lineWidth: 0 })).join('');
}
