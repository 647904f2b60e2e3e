// Flux postBuild variable substitution, re-implemented to behave like
// github.com/fluxcd/pkg/envsubst (a fork of drone/envsubst), which is what
// kustomize-controller runs over every rendered resource.
//
// The goal is "what Flux would produce", not "what bash would produce", so the
// upstream quirks are kept on purpose and called out where they occur:
//
//   - Only `${...}` is an expression. A bare `$VAR` is plain text.
//   - `$$` is an escape for a single `$` (so `$${VAR}` yields the literal
//     `${VAR}`), in plain text and inside `${v/pattern/replacement}` only.
//     Inside defaults, offsets and trim patterns `$$` is not an escape.
//   - Every default-style operator (`:-`, `:=`, `=`, `:?`, `:+`) means "the
//     value, or the default if the value is empty". `=`/`:=` assign nothing,
//     `:?` raises nothing, `:+` is not bash's "alternate value".
//   - `${VAR-default}`, `${VAR+x}` and `${VAR?x}` (no colon) are syntax errors
//     upstream ("missing closing brace"), and so they are here.
//   - Lengths and offsets count UTF-8 bytes, as Go's len() and slicing do.
//   - Arguments (defaults, patterns) are expanded before the operator runs, so
//     in strict mode `${SET:-${UNSET}}` fails even though the default is unused.
//   - Any malformed expression makes the whole substitution fail, strict or
//     not: upstream's Eval returns the parse error and kustomize-controller
//     fails the build. We throw SubstitutionError naming the expression.
//   - Variable names inside `${}` may be any run of Unicode letters, digits and
//     `_` (so `${1abc}` parses and is simply unset). Only the keys of the
//     variable map are held to the stricter rule, see isValidVariableName.
//
// Out of scope, left to the caller because kustomize-controller does it
// around Eval rather than inside it: removing "\n" from every value, rejecting
// invalid keys, skipping resources labelled or annotated
// `kustomize.toolkit.fluxcd.io/substitute: disabled`, and not substituting at
// all when no variables are defined.

import { BuildError } from '../../model/errors.js';
import { compileGlob, globMatch } from '../tree/glob.js';

/** A `${...}` expression that cannot be parsed, or (strict) names an unset variable. */
export class SubstitutionError extends BuildError {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

/**
 * Whether `name` may be used as a postBuild variable key. kustomize-controller
 * rejects keys outside `^[_[:alpha:]][_[:alpha:][:digit:]]*$`; Go's POSIX
 * classes are ASCII-only, hence the explicit ranges.
 */
export function isValidVariableName(name: string): boolean {
  return /^[_A-Za-z][_A-Za-z0-9]*$/.test(name);
}

export interface SubstituteOptions {
  /** Fail on unset variables instead of expanding them to "" (Flux's strict substitution). */
  strict?: boolean;
  /** What is being substituted, e.g. "ConfigMap/apps/settings"; appended to error messages. */
  subject?: string;
  /**
   * A variable source could not be read, so an unset variable may be one it defines: its expression is
   * left as written (as if there were no substitution) instead of guessed as "" or its default.
   */
  keepUnset?: boolean;
}

/** Expands the `${...}` expressions in `text` the way Flux postBuild substitution does. */
export function substitute(
  text: string,
  vars: Readonly<Record<string, string>>,
  options: SubstituteOptions = {},
): string {
  const nodes = new Parser(text, options.subject).parseTemplate();
  const evaluator = new Evaluator(vars, options.strict === true, options.subject, options.keepUnset === true);
  return evaluator.evaluate(nodes);
}

// ---------------------------------------------------------------------------
// Syntax tree

/** Plain text is kept as a string; everything else is an expansion. */
type Node = string | Expansion;

interface Expansion {
  variable: string;
  /** The operator as upstream names it: "", ":-", "=", "^^", "#", "/%", ":" ... */
  op: string;
  /** Each argument is one node: a run of text or one nested expansion. */
  args: Node[];
  /** The expression as written, `${…}`. */
  source?: string;
}

interface Escapes {
  dollar: boolean;
  backslash: boolean;
}

const TEXT_ESCAPES: Escapes = { dollar: true, backslash: false };
const NO_ESCAPES: Escapes = { dollar: false, backslash: false };
// Replacement arguments are the only place upstream lets `\/` stand for a
// slash (and `\\` for a backslash), so patterns can contain the delimiter.
const REPLACE_ESCAPES: Escapes = { dollar: true, backslash: true };

/** Operators that supply their own value, so strict mode tolerates an unset variable. */
const DEFAULT_OPS = new Set(['-', '+', '=', '?', ':-', ':+', ':=', ':?']);

// Go's unicode.IsLetter / unicode.IsDigit / '_', which is what upstream
// accepts as a name inside `${}`.
const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

// ---------------------------------------------------------------------------
// Parser
//
// A recursive descent over the same grammar upstream's scanner accepts. The
// interesting characters are all ASCII, so indexing UTF-16 code units is safe
// except when reading names, which may contain astral letters.

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly subject: string | undefined,
  ) {}

  parseTemplate(): Node[] {
    const nodes: Node[] = [];
    while (this.pos < this.src.length) {
      nodes.push(this.atOpen() ? this.parseExpansion() : this.readText(() => false, TEXT_ESCAPES));
    }
    return nodes;
  }

  private parseExpansion(): Expansion {
    const start = this.pos;
    const e = this.parseExpansionBody();
    e.source = this.src.slice(start, this.pos);
    return e;
  }

  private parseExpansionBody(): Expansion {
    const start = this.pos;
    this.pos += 2; // "${"

    if (this.peek() === '#') {
      this.pos++;
      const variable = this.readName();
      if (variable === '') throw this.invalid(start, 'expected a variable name after "${#"');
      this.expectClose(start);
      return { variable, op: '#', args: [] };
    }

    const variable = this.readName();
    if (variable === '') throw this.badName(start);

    const c = this.peek();
    switch (c) {
      case '}':
        this.pos++;
        return { variable, op: '', args: [] };
      case ':': {
        const next = this.src[this.pos + 1];
        if (next === '=' || next === '-' || next === '?' || next === '+') {
          this.pos += 2;
          return this.parseDefault(start, variable, ':' + next);
        }
        this.pos++;
        return this.parseSubstring(start, variable);
      }
      case '=':
        this.pos++;
        return this.parseDefault(start, variable, '=');
      case ',':
      case '^':
        return this.parseCasing(start, variable);
      case '#':
      case '%':
        return this.parseTrim(start, variable, c);
      case '/':
        return this.parseReplace(start, variable);
      case undefined:
        throw this.invalid(start, 'missing closing "}"', variable);
      case '-':
      case '+':
      case '?':
        // bash has these without the colon; Flux does not, and fails the build.
        throw this.invalid(
          start,
          `operator "${c}" is not supported by Flux substitution (did you mean ":${c}"?)`,
          variable,
        );
      default:
        throw this.badName(start);
    }
  }

  private badName(start: number): SubstitutionError {
    const bad = this.innerText(start);
    const reason = bad === '' ? 'missing variable name' : `${quote(bad)} is not a valid variable name`;
    return this.invalid(start, reason, bad);
  }

  /** `${v:-word}` and friends: the word is any mix of text and nested expansions. */
  private parseDefault(start: number, variable: string, op: string): Expansion {
    const args: Node[] = [];
    while (this.peek() !== '}') {
      args.push(this.parseParam(start, (c) => c === '}', NO_ESCAPES));
    }
    this.pos++;
    return { variable, op, args };
  }

  /** `${v:offset}` and `${v:offset:length}`; each number is one text run or one expansion. */
  private parseSubstring(start: number, variable: string): Expansion {
    const args: Node[] = [this.parseParam(start, (c) => c === ':' || c === '}', NO_ESCAPES)];
    if (this.peek() === '}') {
      this.pos++;
      return { variable, op: ':', args };
    }
    if (this.peek() !== ':') throw this.invalid(start, 'expected ":" or "}" after the offset', variable);
    // Upstream's delimiter scan swallows a run of colons, so `${v:1::2}` is `${v:1:2}`.
    while (this.peek() === ':') this.pos++;
    args.push(this.parseParam(start, (c) => c === '}', NO_ESCAPES));
    this.expectClose(start);
    return { variable, op: ':', args };
  }

  /** `${v^}`, `${v^^}`, `${v,}`, `${v,,}`; mixed pairs like `^,` parse but do nothing. */
  private parseCasing(start: number, variable: string): Expansion {
    let op = '';
    while (op.length < 2 && (this.peek() === '^' || this.peek() === ',')) op += this.src[this.pos++];
    this.expectClose(start);
    return { variable, op, args: [] };
  }

  /** `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`: exactly one text run or one expansion as pattern. */
  private parseTrim(start: number, variable: string, mark: '#' | '%'): Expansion {
    let op = '';
    while (op.length < 2 && this.peek() === mark) op += this.src[this.pos++];
    const args = [this.parseParam(start, (c) => c === '}', NO_ESCAPES)];
    this.expectClose(start);
    return { variable, op, args };
  }

  /** `${v/p/r}`, `${v//p/r}`, `${v/#p/r}`, `${v/%p/r}`, each with an optional replacement. */
  private parseReplace(start: number, variable: string): Expansion {
    let op = this.src[this.pos++]; // "/"
    const kind = this.peek();
    if (kind === '/' || kind === '#' || kind === '%') op += this.src[this.pos++];

    const args: Node[] = [];
    // An empty pattern (`${v/#/prefix}`) is allowed and recorded explicitly.
    // A pattern stops only at "/" (even "}" belongs to it), exactly as upstream.
    args.push(this.peek() === '/' ? '' : this.parseParam(start, (c) => c === '/', REPLACE_ESCAPES));
    if (this.peek() !== '/') throw this.invalid(start, 'expected "/" after the pattern', variable);
    // As with ":", a run of delimiters counts as one.
    while (this.peek() === '/') this.pos++;

    if (this.peek() === '}') {
      this.pos++;
      return { variable, op, args };
    }
    args.push(this.parseParam(start, (c) => c === '}', REPLACE_ESCAPES));
    this.expectClose(start);
    return { variable, op, args };
  }

  /** One operator argument: a nested expansion, or a non-empty run of text. */
  private parseParam(start: number, stop: (c: string) => boolean, escapes: Escapes): Node {
    if (this.pos >= this.src.length) throw this.invalid(start, 'missing closing "}"');
    if (this.atOpen()) return this.parseExpansion();
    const from = this.pos;
    const text = this.readText(stop, escapes);
    if (this.pos === from) throw this.invalid(start, 'an operator is missing its argument');
    return text;
  }

  /**
   * Reads text up to `stop`, the end of input or the next `${`. An escaped
   * character is taken as is, even one that would otherwise stop the run.
   */
  private readText(stop: (c: string) => boolean, escapes: Escapes): string {
    let out = '';
    while (this.pos < this.src.length) {
      if (this.atOpen()) break;
      const c = this.src[this.pos];
      const next = this.src[this.pos + 1];
      const escaped =
        (escapes.dollar && c === '$' && next === '$') ||
        (escapes.backslash && c === '\\' && (next === '/' || next === '\\'));
      if (escaped) {
        // The escaped character is consumed too, so "$$$" is "$" + "$", not "$" + escape.
        out += next;
        this.pos += 2;
        continue;
      }
      if (stop(c)) break;
      out += c;
      this.pos++;
    }
    return out;
  }

  private readName(): string {
    let name = '';
    while (this.pos < this.src.length) {
      const ch = String.fromCodePoint(this.src.codePointAt(this.pos) ?? 0);
      if (!NAME_CHAR.test(ch)) break;
      name += ch;
      this.pos += ch.length;
    }
    return name;
  }

  private expectClose(start: number): void {
    if (this.peek() !== '}') throw this.invalid(start, 'expected "}"');
    this.pos++;
  }

  private atOpen(): boolean {
    return this.src[this.pos] === '$' && this.src[this.pos + 1] === '{';
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  /** What sits between "${" and the next "}" (or the end of the line), for messages. */
  private innerText(start: number): string {
    let end = start + 2;
    while (end < this.src.length && this.src[end] !== '}' && this.src[end] !== '\n') end++;
    return this.src.slice(start + 2, end);
  }

  private invalid(start: number, reason: string, variable?: string): SubstitutionError {
    const inner = this.innerText(start);
    const closed = this.src[start + 2 + inner.length] === '}';
    let shown = '${' + inner + (closed ? '}' : '');
    if (shown.length > 80) shown = shown.slice(0, 77) + '...';
    // Inputs are whole manifests, so say where in them the expression is.
    const line = this.src.slice(0, start).split('\n').length;
    return new SubstitutionError(
      `invalid substitution ${quote(shown)} at line ${line}: ${reason}${where(this.subject)}`,
      variable,
    );
  }
}

// ---------------------------------------------------------------------------
// Evaluation

class Evaluator {
  constructor(
    private readonly vars: Readonly<Record<string, string>>,
    private readonly strict: boolean,
    private readonly subject: string | undefined,
    private readonly keepUnset = false,
  ) {}

  evaluate(nodes: readonly Node[]): string {
    let out = '';
    for (const node of nodes) out += typeof node === 'string' ? node : this.expand(node);
    return out;
  }

  private expand(e: Expansion): string {
    // Upstream expands every argument before looking at the variable.
    const set = Object.hasOwn(this.vars, e.variable);
    if (!set && this.keepUnset && e.source !== undefined) return e.source;
    const args = e.args.map((a) => (typeof a === 'string' ? a : this.expand(a)));
    if (!set && this.strict && !DEFAULT_OPS.has(e.op)) {
      throw new SubstitutionError(`variable ${quote(e.variable)} is not set${where(this.subject)}`, e.variable);
    }
    return apply(e.op, set ? this.vars[e.variable] : '', args);
  }
}

function apply(op: string, value: string, args: string[]): string {
  switch (op) {
    case '^':
      return mapFirst(value, upperRune);
    case '^^':
      return mapRunes(value, upperRune);
    case ',':
      return mapFirst(value, lowerRune);
    case ',,':
      return mapRunes(value, lowerRune);
    case '#':
      // `${#v}` and `${v#p}` share upstream's operator name; the argument count tells them apart.
      return args.length === 0 ? String(Buffer.byteLength(value, 'utf8')) : trimPrefix(value, args[0], false);
    case '##':
      return trimPrefix(value, args[0], true);
    case '%':
      return trimSuffix(value, args[0], false);
    case '%%':
      return trimSuffix(value, args[0], true);
    case ':':
      return substring(value, args);
    case '/':
      return replaceFirst(value, args[0], args[1] ?? '');
    case '//':
      return replaceAll(value, args[0], args[1] ?? '');
    case '/#':
      // Upstream needs both arguments here; `${v/#p/}` leaves the value alone.
      if (args.length !== 2 || !value.startsWith(args[0])) return value;
      return args[1] + value.slice(args[0].length);
    case '/%':
      if (args.length !== 2 || !value.endsWith(args[0])) return value;
      return value.slice(0, value.length - args[0].length) + args[1];
    default:
      // "", the default-style operators, and mixed casing such as "^,".
      return value === '' && args.length > 0 ? args.join('') : value;
  }
}

// Go maps case one rune at a time (simple case mapping); JavaScript applies the
// full mapping, which can change the length ("ß" -> "SS"). Where JavaScript
// would produce several characters, keep what Go would: the original for
// upper case, the first character for lower case ("İ" -> "i").
function upperRune(ch: string): string {
  const up = ch.toUpperCase();
  return [...up].length === 1 ? up : ch;
}

function lowerRune(ch: string): string {
  const low = ch.toLowerCase();
  return [...low].length === 1 ? low : ([...low][0] ?? ch);
}

function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) out += f(ch);
  return out;
}

function mapFirst(s: string, f: (ch: string) => string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return s;
  const ch = String.fromCodePoint(first);
  return f(ch) + s.slice(ch.length);
}

/** `${v:offset[:length]}` over UTF-8 bytes, with upstream's treatment of bad numbers and bounds. */
function substring(value: string, args: string[]): string {
  const bytes = Buffer.from(value, 'utf8');
  const size = bytes.length;
  const slice = (from: number, to: number = size): string => bytes.subarray(from, to).toString('utf8');

  let pos = goAtoi(args[0]);
  // Like bash, an offset or length that is not a number yields the whole value.
  if (pos === undefined) return value;
  if (pos < 0) pos = Math.max(size + pos, 0);
  if (args.length === 1) return pos < size ? slice(pos) : '';

  const length = goAtoi(args[1]);
  if (length === undefined) return value;
  if (length < 0) {
    // A negative length counts back from the end.
    const end = size + length;
    return end < pos ? '' : slice(pos, end);
  }
  if (pos + length >= size) return pos < size ? slice(pos) : '';
  return slice(pos, pos + length);
}

/** Go's strconv.Atoi: optional sign, ASCII digits, 64-bit range; undefined on failure. */
function goAtoi(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return Number(n);
}

/** Go's strings.Replace(s, old, new, 1), including its empty-`old` behaviour. */
function replaceFirst(s: string, find: string, replacement: string): string {
  if (find === '') return replacement + s;
  const at = s.indexOf(find);
  return at < 0 ? s : s.slice(0, at) + replacement + s.slice(at + find.length);
}

/** Go's strings.Replace(s, old, new, -1): an empty `old` matches around every character. */
function replaceAll(s: string, find: string, replacement: string): string {
  if (find === '') {
    let out = replacement;
    for (const ch of s) out += ch + replacement;
    return out;
  }
  return s.split(find).join(replacement);
}

// ---------------------------------------------------------------------------
// Pattern trimming
//
// Upstream tests shell patterns with a copy of Go's path.Match in which "*"
// and "?" also match "/". It only ever tries non-empty prefixes, so
// `${v#*}` removes one character rather than none. Suffix trimming reverses
// both the value and the pattern and trims a prefix; a reversed pattern with
// a character class or a trailing backslash is malformed, and a malformed
// pattern leaves the value unchanged. We keep all of that. We step by
// characters where upstream steps by bytes, which only differs for patterns
// that would cut a multi-byte character in half.

function trimPrefix(value: string, pattern: string, longest: boolean): string {
  const glob = compileGlob([...pattern]);
  if (glob === undefined) return value;
  const chars = [...value];
  let cut = 0;
  for (let end = chars.length; end >= 1; end--) {
    if (!globMatch(glob, chars.slice(0, end))) continue;
    cut = end;
    if (longest) break;
  }
  return chars.slice(cut).join('');
}

function trimSuffix(value: string, pattern: string, longest: boolean): string {
  const reversed = trimPrefix(reverse(value), reverse(pattern), longest);
  return reverse(reversed);
}

function reverse(s: string): string {
  return [...s].reverse().join('');
}

// ---------------------------------------------------------------------------

function quote(s: string): string {
  return JSON.stringify(s);
}

function where(subject: string | undefined): string {
  return subject ? ` (in ${subject})` : '';
}
