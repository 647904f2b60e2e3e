// SOPS files in INI and binary format, as kustomize-controller decrypts secretGenerator sources:
// written by the independent test writer, decrypted by podo, MAC checked, and the plaintext bytes
// exactly what sops (go-ini's pretty writer, or the raw binary data) gives back.
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptSopsText } from '../../src/render/sops/sops.js';
import { DecryptionError, NoKeyError } from '../../src/render/sops/sops-errors.js';
import { formatOf } from '../../src/render/sops/decrypt.js';
import { emitIni, parseIni } from '../../src/render/sops/sops-ini.js';
import { encryptBinary, encryptIni, encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';

const CANARY = 'CANARY-ini-5c1e';
let me: { identity: string; recipient: string };
let other: { identity: string; recipient: string };

beforeAll(async () => {
  me = await newAgeIdentity();
  other = await newAgeIdentity();
});

describe('INI', () => {
  it('reads sections, DEFAULT keys, comments, quotes and inline comments as go-ini does', () => {
    const sections = parseIni(`top = 1\n; about db\n[db]\nuser: admin\npassword = "  spaced  "\nhost = db.local # inline\nraw = \`a;b\`\nmulti = """one\ntwo"""\n`);
    expect(sections.map((s) => s.name)).toEqual(['DEFAULT', 'db']);
    expect(sections[0].keys).toEqual([{ key: 'top', value: '1' }]);
    expect(sections[1].comment).toBe('about db');
    expect(Object.fromEntries(sections[1].keys.map((k) => [k.key, k.value]))).toEqual({ user: 'admin', password: '  spaced  ', host: 'db.local', raw: 'a;b', multi: 'one\ntwo' });
  });

  it("writes go-ini's pretty format: padded keys, quoted values where needed, a blank line between sections", () => {
    const out = emitIni(parseIni(`[db]\nuser = admin\npassword = "  spaced  "\nraw = \`a;b\`\n\n[cache]\n; the ttl\nttl = 60\n`));
    expect(out).toBe('[db]\nuser     = admin\npassword = "  spaced  "\nraw      = `a;b`\n\n[cache]\n; the ttl\nttl = 60\n');
    expect(emitIni(parseIni('a = 1\n[s]\nb = 2\n'))).toBe('a = 1\n\n[s]\nb = 2\n');
  });

  it('decrypts an INI file, verifies its MAC and writes it back as sops does', async () => {
    const enc = await encryptIni(`[database]\nuser = admin\npassword = ${CANARY}\n\n[cache]\nttl = 60\n`, { recipients: [me.recipient] });
    expect(enc).not.toContain(CANARY);
    expect(enc).toContain('[sops]');
    expect(formatOf('/ws/app.ini', enc)).toBe('ini');
    const plain = await decryptSopsText(enc, 'ini', 'app.ini', [me.identity]);
    expect(plain).toBe(`[database]\nuser     = admin\npassword = ${CANARY}\n\n[cache]\nttl = 60\n`);
  });

  it('a tampered INI file is an error naming it, without the value', async () => {
    const enc = await encryptIni(`[s]\nkeep_unencrypted = x\nsecret = ${CANARY}\n`, { recipients: [me.recipient] });
    const tampered = enc.replace('keep_unencrypted = x', 'keep_unencrypted = y');
    const err = await decryptSopsText(tampered, 'ini', 'app.ini', [me.identity]).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as Error).message).toBe('app.ini: MAC mismatch, the file was modified after encryption');
  });

  it('without a matching key: NoKeyError naming the recipient', async () => {
    const enc = await encryptIni(`[s]\nsecret = ${CANARY}\n`, { recipients: [me.recipient] });
    const err = await decryptSopsText(enc, 'ini', 'app.ini', [other.identity]).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(NoKeyError);
    expect((err as Error).message).toContain(me.recipient);
  });
});

describe('binary', () => {
  it('any other extension is binary when the file is the JSON envelope, else the format its markers say', async () => {
    const bin = await encryptBinary(`token ${CANARY}\n`, { recipients: [me.recipient] });
    expect(formatOf('/ws/token.encrypted', bin)).toBe('binary');
    expect(formatOf('/ws/token', bin)).toBe('binary');
    const yaml = await encryptYaml(`password: ${CANARY}\n`, { recipients: [me.recipient] });
    expect(formatOf('/ws/secret.enc', yaml)).toBe('yaml');
    expect(formatOf('/ws/secret.yaml', yaml)).toBe('yaml');
    expect(formatOf('/ws/notes.txt', 'nothing encrypted here')).toBeUndefined();
    expect(await decryptSopsText(bin, 'binary', 'token.encrypted', [me.identity])).toBe(`token ${CANARY}\n`);
  });
});
