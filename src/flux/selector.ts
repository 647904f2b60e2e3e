// Flux's object selector (`spec.ignore[].target`, as fluxcd/pkg ssa/jsondiff reads it): group, version,
// kind, name and namespace are regular expressions anchored to the whole value; labelSelector and
// annotationSelector are Kubernetes label selector expressions. An empty field matches everything.
import type { Selector } from '../model/kustomization.js';
import { annotationsOf, groupOf, labelsOf, type KubeObject } from '../model/object.js';

/** A selector that cannot be compiled; the message names the field and what is wrong. */
export class SelectorError extends Error {}

export type ObjectMatcher = (obj: KubeObject) => boolean;

const REGEX_FIELDS = ['group', 'version', 'kind', 'name', 'namespace'] as const;

export function compileSelector(sel: Selector | undefined): ObjectMatcher {
  if (!sel) return () => true;
  const regexes = new Map<(typeof REGEX_FIELDS)[number], RegExp>();
  for (const field of REGEX_FIELDS) {
    const pattern = sel[field];
    if (!pattern) continue;
    try {
      // Go's regexp (RE2) and JavaScript agree on the syntax selectors use in practice; `u` rejects
      // the JavaScript-only escapes RE2 would refuse too.
      regexes.set(field, new RegExp(`^(?:${pattern})$`, 'u'));
    } catch (err) {
      throw new SelectorError(`invalid ${field} regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
    }
  }
  const labels = sel.labelSelector ? parseLabelSelector(sel.labelSelector, 'labelSelector') : undefined;
  const annotations = sel.annotationSelector ? parseLabelSelector(sel.annotationSelector, 'annotationSelector') : undefined;
  return (obj) => {
    const [group, version] = splitApiVersion(obj.apiVersion);
    const values = { group, version, kind: obj.kind, name: obj.metadata.name, namespace: typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : '' };
    for (const [field, re] of regexes) if (!re.test(values[field])) return false;
    if (labels && !labels(labelsOf(obj))) return false;
    if (annotations && !annotations(annotationsOf(obj))) return false;
    return true;
  };
}

function splitApiVersion(apiVersion: string): [string, string] {
  const group = groupOf(apiVersion);
  return [group, group === '' ? apiVersion : apiVersion.slice(group.length + 1)];
}

// ---------------------------------------------------------------------------------------------
// Label selectors, as k8s.io/apimachinery/pkg/labels.Parse reads them:
//   key, !key, key=value, key==value, key!=value, key in (a,b), key notin (a,b), key>1, key<1
// separated by commas. `!=` and `notin` also match when the key is absent.

type LabelMatcher = (labels: Record<string, string>) => boolean;

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type Token = { t: 'word'; v: string } | { t: 'op'; v: string };

function tokenize(text: string, field: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(==|!=|=|!|\(|\)|,|<|>|[^\s,()=!<>]+)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length && (m = re.exec(text)) !== null) {
    pos = re.lastIndex;
    const v = m[1];
    out.push(/^(==|!=|=|!|\(|\)|,|<|>)$/.test(v) ? { t: 'op', v } : { t: 'word', v });
  }
  if (text.slice(pos).trim() !== '') throw new SelectorError(`invalid ${field} ${JSON.stringify(text)}`);
  return out;
}

export function parseLabelSelector(text: string, field = 'labelSelector'): LabelMatcher {
  const tokens = tokenize(text, field);
  const bad = (why: string) => new SelectorError(`invalid ${field} ${JSON.stringify(text)}: ${why}`);
  const requirements: LabelMatcher[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const key = (): string => {
    const tok = tokens[i++];
    if (!tok || tok.t !== 'word') throw bad('expected a key');
    if (tok.v.length > 317 || !QUALIFIED_NAME.test(tok.v)) throw bad(`${JSON.stringify(tok.v)} is not a valid key`);
    return tok.v;
  };
  const value = (): string => {
    const tok = peek();
    if (!tok || tok.t !== 'word') return ''; // `key=` selects the empty value
    i++;
    if (tok.v.length > 63 || !LABEL_VALUE.test(tok.v)) throw bad(`${JSON.stringify(tok.v)} is not a valid value`);
    return tok.v;
  };
  const valueSet = (): Set<string> => {
    const open = tokens[i++];
    if (!open || open.v !== '(') throw bad('expected "(" after in/notin');
    const values = new Set<string>();
    for (;;) {
      values.add(value());
      const sep = tokens[i++];
      if (sep?.v === ')') break;
      if (sep?.v !== ',') throw bad('expected "," or ")" in a value set');
    }
    return values;
  };
  while (i < tokens.length) {
    if (peek().v === '!') {
      i++;
      const k = key();
      requirements.push((l) => !Object.hasOwn(l, k));
    } else {
      const k = key();
      const op = peek();
      if (!op || op.v === ',') {
        requirements.push((l) => Object.hasOwn(l, k));
      } else if (op.v === '=' || op.v === '==') {
        i++;
        const v = value();
        requirements.push((l) => Object.hasOwn(l, k) && l[k] === v);
      } else if (op.v === '!=') {
        i++;
        const v = value();
        requirements.push((l) => !Object.hasOwn(l, k) || l[k] !== v);
      } else if (op.t === 'word' && (op.v === 'in' || op.v === 'notin')) {
        i++;
        const set = valueSet();
        requirements.push(op.v === 'in' ? (l) => Object.hasOwn(l, k) && set.has(l[k]) : (l) => !Object.hasOwn(l, k) || !set.has(l[k]));
      } else if (op.v === '<' || op.v === '>') {
        i++;
        const raw = value();
        if (!/^-?\d+$/.test(raw)) throw bad(`${JSON.stringify(raw)} is not an integer`);
        const bound = BigInt(raw);
        const gt = op.v === '>';
        requirements.push((l) => Object.hasOwn(l, k) && /^-?\d+$/.test(l[k]) && (gt ? BigInt(l[k]) > bound : BigInt(l[k]) < bound));
      } else {
        throw bad(`unexpected ${JSON.stringify(op.v)} after key ${JSON.stringify(k)}`);
      }
    }
    if (i < tokens.length) {
      if (peek().v !== ',') throw bad(`unexpected ${JSON.stringify(peek().v)}`);
      i++;
      if (i === tokens.length) throw bad('trailing ","');
    }
  }
  return (l) => requirements.every((r) => r(l));
}
