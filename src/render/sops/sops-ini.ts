// INI text as sops reads and writes it (getsops/sops stores/ini on gopkg.in/ini.v1 with its default
// options): reading keeps sections in order, the unnamed DEFAULT section first; writing reproduces
// go-ini's pretty format byte for byte (keys padded to the longest in the section, ` = `, a blank
// line between sections), because a decrypted .ini file becomes a Secret value through a
// secretGenerator and its exact bytes (and the generated name hash) must be kustomize-controller's.
// Pure text functions: no keys, no decryption.

export const DEFAULT_SECTION = 'DEFAULT';

export interface IniKey {
  key: string;
  value: string;
  /** Comment lines before the key, without their `#`/`;` marker. */
  comment?: string;
}

export interface IniSection {
  name: string;
  comment?: string;
  keys: IniKey[];
}

/** A malformed line; the message never quotes values. */
export class IniSyntaxError extends Error {}

/** Parses INI as go-ini LoadSources does for the syntax sops files use. */
export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [{ name: DEFAULT_SECTION, keys: [] }];
  let current = sections[0];
  let pending: string[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/^\s+/, '');
    if (line === '') continue;
    if (line.startsWith('#') || line.startsWith(';')) {
      pending.push(line);
      continue;
    }
    if (line.startsWith('[')) {
      const close = line.lastIndexOf(']');
      if (close < 0) throw new IniSyntaxError(`line ${n + 1}: unclosed section header`);
      current = { name: line.slice(1, close).trim(), keys: [], ...(pending.length ? { comment: stripCommentChar(pending.join('\n')) } : {}) };
      pending = [];
      sections.push(current);
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq < 0) throw new IniSyntaxError(`line ${n + 1}: no "=" after the key`);
    const key = line.slice(0, eq).trim();
    let rest = line.slice(eq + 1).replace(/^\s+/, '');
    let value: string;
    if (rest.startsWith('"""') && rest.length > 3) {
      const end = rest.indexOf('"""', 3);
      if (end >= 0) value = rest.slice(3, end);
      else {
        // A value spanning lines up to the closing """.
        const parts = [rest.slice(3)];
        for (n++; n < lines.length; n++) {
          const i = lines[n].indexOf('"""');
          if (i >= 0) {
            parts.push(lines[n].slice(0, i));
            break;
          }
          parts.push(lines[n]);
        }
        value = parts.join('\n');
      }
    } else if (rest.startsWith('`') && rest.lastIndexOf('`') > 0) {
      value = rest.slice(1, rest.lastIndexOf('`'));
    } else {
      rest = rest.trim();
      // go-ini cuts an inline comment at the first # or ; (SpaceBeforeInlineComment is off).
      const c = rest.search(/[#;]/);
      if (c >= 0) rest = rest.slice(0, c).trim();
      value = surroundedBy(rest, "'") || surroundedBy(rest, '"') ? rest.slice(1, -1) : rest;
    }
    const entry: IniKey = { key, value, ...(pending.length ? { comment: stripCommentChar(pending.join('\n')) } : {}) };
    pending = [];
    const existing = current.keys.findIndex((k) => k.key === key);
    // A repeated key keeps its first position and takes the last value.
    if (existing >= 0) current.keys[existing] = { ...entry, comment: current.keys[existing].comment ?? entry.comment };
    else current.keys.push(entry);
  }
  return sections;
}

function surroundedBy(s: string, q: string): boolean {
  return s.length >= 2 && s.startsWith(q) && s.endsWith(q) && !s.slice(1, -1).includes(q);
}

/** sops' stripCommentChar on go-ini's comment (its lines joined, markers kept): drops the leading marker and spaces. */
function stripCommentChar(comment: string): string {
  if (comment.startsWith(';')) return comment.replace(/^[; ]+/, '');
  if (comment.startsWith('#')) return comment.replace(/^[# ]+/, '');
  return comment;
}

/** Writes sections as go-ini's WriteTo does with PrettyFormat and PrettySection on. */
export function emitIni(sections: IniSection[]): string {
  let out = '';
  const last = sections.length - 1;
  sections.forEach((sec, i) => {
    if (sec.comment) out += commentLines(sec.comment);
    if (i > 0 || sec.name.toUpperCase() !== DEFAULT_SECTION) out += `[${sec.name}]\n`;
    else if (sec.keys.length === 0) return; // an empty DEFAULT section writes nothing
    const names = sec.keys.map((k) => quoteKey(k.key));
    const align = Math.max(0, ...sec.keys.map((k) => alignLength(k.key)));
    sec.keys.forEach((k, j) => {
      if (k.comment) out += commentLines(k.comment);
      out += `${names[j]}${' '.repeat(Math.max(0, align - names[j].length))} = ${quoteValue(k.value)}\n`;
    });
    if (i !== last) out += '\n';
  });
  return out;
}

function commentLines(comment: string): string {
  return comment
    .split('\n')
    .map((l) => (l.startsWith('#') || l.startsWith(';') ? `${l[0]} ${l.slice(1).trim()}` : `; ${l.trim()}`))
    .map((l) => `${l}\n`)
    .join('');
}

function quoteKey(key: string): string {
  if (key.includes('"') || /[=:]/.test(key)) return `\`${key}\``;
  if (key.includes('`')) return `"""${key}"""`;
  return key;
}

function alignLength(key: string): number {
  if (key.includes('"') || /[=:]/.test(key)) return key.length + 2;
  if (key.includes('`')) return key.length + 6;
  return key.length;
}

function quoteValue(v: string): string {
  if (/[\n`]/.test(v)) return `"""${v}"""`;
  if (/[#;]/.test(v)) return `\`${v}\``;
  if (v.trim().length !== v.length) return `"${v}"`;
  return v;
}
