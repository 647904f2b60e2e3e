import { describe, it, expect } from 'vitest';

import { SubstitutionError, isValidVariableName, substitute } from '../../src/render/flux/envsubst.js';
import { BuildError } from '../../src/model/errors.js';

// Expected values follow fluxcd/pkg/envsubst (what kustomize-controller runs),
// including the places where it differs from bash.

const VARS: Readonly<Record<string, string>> = {
  NAME: 'world',
  EMPTY: '',
  OTHER: 'other',
  MIXED: 'abcdEFGH28ij',
  UPPER: 'ABCDEFGH28IJ',
  PATH_NAME: '/home/bozo/ideas/thoughts.for.today',
  FILENAME: 'bash.string.txt',
  REL: 'path/to/file',
  ABS: '/path/to/file',
  IMAGE: 'ghcr.io/org/app:v1.2.3',
  PREFIX: 'ghcr.io/',
  STRINGZ: 'abcABC123ABCabc',
  DOTTED: 'foo.bar',
  SLASHED: 'foo/bar/baz',
  STAR: '*star',
  NEG: '-5',
  UNI: 'héllo',
  EMOJI: '🚀 café',
  SHARP: 'straße',
  ELAN: 'Élan',
};

interface Case {
  input: string;
  expected: string;
  vars?: Readonly<Record<string, string>>;
}

function table(cases: Array<[string, Case]>): void {
  it.each(cases)('%s', (_name, c) => {
    expect(substitute(c.input, c.vars ?? VARS)).toBe(c.expected);
  });
}

describe('substitute: plain references and escaping', () => {
  table([
    ['braced reference', { input: 'hello ${NAME}!', expected: 'hello world!' }],
    ['bare $VAR is left alone', { input: 'hello $NAME', expected: 'hello $NAME' }],
    ['$${VAR} is a literal ${VAR}', { input: '$${NAME}', expected: '${NAME}' }],
    ['$$ is a single $', { input: 'cost: $$5', expected: 'cost: $5' }],
    ['$$$ is $ then a literal $', { input: '$$$', expected: '$$' }],
    ['$$$$ is two $', { input: '$$$$', expected: '$$' }],
    ['$$ followed by a reference', { input: '$$${NAME}', expected: '$world' }],
    ['lone $ and } are text', { input: 'a $ b } c $', expected: 'a $ b } c $' }],
    ['backslashes outside ${} are untouched', { input: '\\\\x \\/ ${NAME}', expected: '\\\\x \\/ world' }],
    [
      'upstream mixed escaping case',
      {
        input: 'some text ${MIXED}$${var$${MIXED}$MIXED${MIXED}',
        expected: 'some text abcdEFGH28ij${var${MIXED}$MIXEDabcdEFGH28ij',
      },
    ],
    ['escaped expression with a nested live one', { input: 'x $${var=${OTHER}}', expected: 'x ${var=other}' }],
    ['unset without default is empty', { input: '[${MISSING}]', expected: '[]' }],
    ['set but empty', { input: '[${EMPTY}]', expected: '[]' }],
    ['names may start with a digit inside ${}', { input: '[${1abc}]', expected: '[]' }],
    ['unicode names parse and are unset', { input: '[${café}]', expected: '[]' }],
    ['unicode value', { input: 'v=${EMOJI}', expected: 'v=🚀 café' }],
    ['prototype keys are not variables', { input: '[${constructor}${toString}]', expected: '[]' }],
  ]);
});

describe('substitute: defaults', () => {
  table([
    [':- unset', { input: '${MISSING:-fallback}', expected: 'fallback' }],
    [':- empty', { input: '${EMPTY:-fallback}', expected: 'fallback' }],
    [':- set', { input: '${NAME:-fallback}', expected: 'world' }],
    [':- with empty default', { input: '[${MISSING:-}]', expected: '[]' }],
    ['= unset', { input: '${MISSING=xyz}', expected: 'xyz' }],
    // Upstream has no "unset only" check: = behaves like :=.
    ['= set but empty still uses default', { input: '${EMPTY=xyz}', expected: 'xyz' }],
    ['= set', { input: '${NAME=xyz}', expected: 'world' }],
    [':= unset', { input: '${MISSING:=xyz}', expected: 'xyz' }],
    [':= does not assign', { input: '${MISSING:=xyz}/[${MISSING}]', expected: 'xyz/[]' }],
    // :+ and :? are parsed but act as "value or default" upstream.
    [':+ set keeps the value', { input: '${NAME:+alt}', expected: 'world' }],
    [':+ unset gives the word', { input: '${MISSING:+alt}', expected: 'alt' }],
    [':? unset gives the word', { input: '${MISSING:?msg}', expected: 'msg' }],
    ['default with colons, spaces and dashes', { input: '${MISSING:-a:b - c}', expected: 'a:b - c' }],
    ['default with a bare $VAR', { input: '${MISSING:-$HOME}', expected: '$HOME' }],
    ['nested default', { input: '${MISSING:-${OTHER}}', expected: 'other' }],
    ['nested default with text around', { input: 'x: ${MISSING=pre-${OTHER}-suf}', expected: 'x: pre-other-suf' }],
    ['doubly nested default', { input: '${MISSING:-${ALSO_MISSING:-deep}}', expected: 'deep' }],
    ['nested transformation in default', { input: '${MISSING=${MIXED^^}}', expected: 'ABCDEFGH28IJ' }],
    // Inside a default, $$ is not an escape: "$" then ${OTHER}.
    ['$$ inside a default is not an escape', { input: '${MISSING:-$${OTHER}}', expected: '$other' }],
    ['unicode default', { input: '${MISSING:-日本}', expected: '日本' }],
  ]);
});

describe('substitute: length and case', () => {
  table([
    ['length', { input: '${#MIXED}', expected: '12' }],
    ['length counts UTF-8 bytes', { input: '${#UNI}', expected: '6' }],
    ['length of unset', { input: '${#MISSING}', expected: '0' }],
    ['length of empty', { input: '${#EMPTY}', expected: '0' }],
    ['upper first', { input: '${MIXED^}', expected: 'AbcdEFGH28ij' }],
    ['upper all', { input: '${MIXED^^}', expected: 'ABCDEFGH28IJ' }],
    ['lower first', { input: '${UPPER,}', expected: 'aBCDEFGH28IJ' }],
    ['lower all', { input: '${UPPER,,}', expected: 'abcdefgh28ij' }],
    ['mixed casing operator does nothing', { input: '${MIXED^,}', expected: 'abcdEFGH28ij' }],
    ['unicode upper', { input: '${UNI^^}', expected: 'HÉLLO' }],
    ['ß has no single-rune upper case', { input: '${SHARP^^}', expected: 'STRAßE' }],
    ['unicode lower first', { input: '${ELAN,}', expected: 'élan' }],
    ['case of empty', { input: '[${EMPTY^}${MISSING,,}]', expected: '[]' }],
  ]);
});

describe('substitute: substrings', () => {
  table([
    ['offset', { input: '${PATH_NAME:11}', expected: 'ideas/thoughts.for.today' }],
    ['offset and length', { input: '${PATH_NAME:11:5}', expected: 'ideas' }],
    ['negative offset via a nested expression', { input: '${PATH_NAME:${NEG}}', expected: 'today' }],
    ['negative length counts from the end', { input: '${PATH_NAME:0:-6}', expected: '/home/bozo/ideas/thoughts.for' }],
    ['negative length before offset is empty', { input: '[${NAME:4:-3}]', expected: '[]' }],
    ['offset past the end', { input: '[${NAME:100}]', expected: '[]' }],
    ['length past the end', { input: '${PATH_NAME:30:100}', expected: 'today' }],
    ['offset that is not a number keeps the value', { input: '${NAME:abc}', expected: 'world' }],
    ['space before a negative offset keeps the value', { input: '${NAME: -2}', expected: 'world' }],
    ['a run of colons is one delimiter', { input: '${NAME:1::2}', expected: 'or' }],
    ['offsets count UTF-8 bytes', { input: '${UNI:3}', expected: 'llo' }],
    ['offset and length in bytes', { input: '${UNI:1:2}', expected: 'é' }],
  ]);
});

describe('substitute: prefix and suffix removal', () => {
  table([
    ['# shortest prefix', { input: '${FILENAME#*.}', expected: 'string.txt' }],
    ['## longest prefix', { input: '${FILENAME##*.}', expected: 'txt' }],
    ['% shortest suffix', { input: '${FILENAME%.*}', expected: 'bash.string' }],
    ['%% longest suffix', { input: '${FILENAME%%.*}', expected: 'bash' }],
    ['* matches across /', { input: '${REL##*/}', expected: 'file' }],
    ['# with slash', { input: '${REL#*/}', expected: 'to/file' }],
    ['# with leading slash', { input: '${ABS#*/}', expected: 'path/to/file' }],
    ['## image tag', { input: '${IMAGE##*:}', expected: 'v1.2.3' }],
    ['% image repository', { input: '${IMAGE%:*}', expected: 'ghcr.io/org/app' }],
    ['literal prefix', { input: '${IMAGE#ghcr.io/}', expected: 'org/app:v1.2.3' }],
    ['no match keeps the value', { input: '${IMAGE#docker.io/}', expected: 'ghcr.io/org/app:v1.2.3' }],
    ['? matches one character', { input: '${NAME#??}', expected: 'rld' }],
    ['character class', { input: '${FILENAME#[a-c]}', expected: 'ash.string.txt' }],
    ['negated character class', { input: '${FILENAME#[^x]}', expected: 'ash.string.txt' }],
    ['escaped star is literal', { input: '${STAR#\\*}', expected: 'star' }],
    // Upstream only tries non-empty prefixes, so a lone * removes one character.
    ['lone * removes one character', { input: '${NAME#*}', expected: 'orld' }],
    ['lone * suffix removes one character', { input: '${NAME%*}', expected: 'worl' }],
    ['## * removes everything', { input: '[${NAME##*}]', expected: '[]' }],
    // The suffix pattern is reversed, which breaks character classes.
    ['class in a suffix pattern is malformed and ignored', { input: '${FILENAME%[tx]}', expected: 'bash.string.txt' }],
    ['malformed pattern is ignored', { input: '${NAME#[}', expected: 'world' }],
    ['pattern from a nested expression', { input: '${IMAGE#${PREFIX}}', expected: 'org/app:v1.2.3' }],
    ['trimming empty', { input: '[${EMPTY#*}]', expected: '[]' }],
  ]);
});

describe('substitute: replacement', () => {
  table([
    ['/ first', { input: '${STRINGZ/abc/xyz}', expected: 'xyzABC123ABCabc' }],
    ['// all', { input: '${STRINGZ//abc/xyz}', expected: 'xyzABC123ABCxyz' }],
    ['/# prefix', { input: '${STRINGZ/#abc/XYZ}', expected: 'XYZABC123ABCabc' }],
    ['/% suffix', { input: '${STRINGZ/%abc/XYZ}', expected: 'abcABC123ABCXYZ' }],
    ['/# no match', { input: '${STRINGZ/#ABC/XYZ}', expected: 'abcABC123ABCabc' }],
    ['/# empty pattern prepends', { input: '${NAME/#/hello-}', expected: 'hello-world' }],
    ['/% empty pattern appends', { input: '${NAME/%/-suffix}', expected: 'world-suffix' }],
    ['/ with empty replacement deletes', { input: '${DOTTED/./}', expected: 'foobar' }],
    ['// with empty replacement deletes all', { input: '${FILENAME//./}', expected: 'bashstringtxt' }],
    // Upstream needs a replacement for /# and /%; without one nothing happens.
    ['/# without replacement does nothing', { input: '${STRINGZ/#abc/}', expected: 'abcABC123ABCabc' }],
    ['escaped slash in pattern', { input: '${SLASHED/\\//-}', expected: 'foo-bar/baz' }],
    ['escaped slash in pattern, all', { input: '${SLASHED//\\//-}', expected: 'foo-bar-baz' }],
    ['escaped slash in replacement', { input: '${DOTTED/./\\/}', expected: 'foo/bar' }],
    ['patterns are literal, not globs', { input: '${FILENAME/*/X}', expected: 'bash.string.txt' }],
    ['JavaScript replacement patterns are literal', { input: '${STRINGZ/abc/$&}', expected: '$&ABC123ABCabc' }],
    ['$$ is an escape in replacements', { input: '${NAME/w/$$}', expected: '$orld' }],
    ['nested pattern and replacement', { input: '${NAME/${NAME}/${OTHER}}', expected: 'other' }],
    ['a run of slashes is one delimiter', { input: '${NAME/w//W}', expected: 'World' }],
    ['// with empty pattern inserts around every character', { input: '${UNI///-}', expected: '-h-é-l-l-o-' }],
    ['no match keeps the value', { input: '${NAME/xyz/abc}', expected: 'world' }],
  ]);
});

describe('substitute: YAML documents', () => {
  it('substitutes several variables in a multi-line manifest', () => {
    const input = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: ${APP}-settings',
      '  namespace: ${NAMESPACE:=default}',
      '  labels:',
      '    app.kubernetes.io/version: "${VERSION#v}"',
      'data:',
      '  cluster: "${CLUSTER}"',
      '  region: ${REGION:-eu-west-1}',
      '  image: ghcr.io/acme/${APP}:${VERSION}',
      '  owner: ${OWNER}',
      '  script: |',
      '    echo $HOME',
      '    echo $${NOT_SUBSTITUTED}',
      '    echo "$$PATH"',
      '',
    ].join('\n');
    const expected = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: podo-settings',
      '  namespace: default',
      '  labels:',
      '    app.kubernetes.io/version: "1.2.3"',
      'data:',
      '  cluster: "prod-1"',
      '  region: eu-west-1',
      '  image: ghcr.io/acme/podo:v1.2.3',
      '  owner: Zoë',
      '  script: |',
      '    echo $HOME',
      '    echo ${NOT_SUBSTITUTED}',
      '    echo "$PATH"',
      '',
    ].join('\n');
    const vars = { APP: 'podo', CLUSTER: 'prod-1', VERSION: 'v1.2.3', OWNER: 'Zoë' };
    expect(substitute(input, vars)).toBe(expected);
    expect(substitute(input, vars, { strict: true })).toBe(expected);
  });

  it('leaves text without expressions byte for byte', () => {
    const plain = 'a: 1\nb: "$x"\nc: \'}\'\nd: "{$}"\n';
    expect(substitute(plain, {})).toBe(plain);
  });

  it('fails on a stray "${" even inside a YAML comment', () => {
    // Substitution runs on text, so comments get no special treatment.
    expect(() => substitute('a: 1\n# use ${ here\n', {})).toThrow(
      'invalid substitution "${ here" at line 2: " here" is not a valid variable name',
    );
  });
});

describe('substitute: strict mode', () => {
  const subject = 'ConfigMap/apps/settings';

  it('names the variable and the subject', () => {
    let caught: unknown;
    try {
      substitute('cluster: ${CLUSTER}', {}, { strict: true, subject });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SubstitutionError);
    expect(caught).toBeInstanceOf(BuildError);
    const err = caught as SubstitutionError;
    expect(err.message).toBe('variable "CLUSTER" is not set (in ConfigMap/apps/settings)');
    expect(err.variable).toBe('CLUSTER');
  });

  it('omits the subject when none is given', () => {
    expect(() => substitute('${CLUSTER}', {}, { strict: true })).toThrow(/^variable "CLUSTER" is not set$/);
  });

  it('is off by default: unset becomes empty', () => {
    expect(substitute('[${CLUSTER}][${CLUSTER^^}][${#CLUSTER}]', {})).toBe('[][][0]');
    expect(substitute('[${CLUSTER}]', {}, { strict: false })).toBe('[]');
  });

  it.each([
    ['${MISSING:-fb}', 'fb'],
    ['${MISSING=fb}', 'fb'],
    ['${MISSING:=fb}', 'fb'],
    ['${MISSING:+fb}', 'fb'],
    ['[${EMPTY}]', '[]'],
    ['$MISSING', '$MISSING'],
    ['$${MISSING}', '${MISSING}'],
  ])('allows %s', (input, expected) => {
    expect(substitute(input, { EMPTY: '' }, { strict: true })).toBe(expected);
  });

  it.each([
    ['${MISSING}', 'MISSING'],
    ['${#MISSING}', 'MISSING'],
    ['${MISSING^^}', 'MISSING'],
    ['${MISSING,}', 'MISSING'],
    ['${MISSING:0:2}', 'MISSING'],
    ['${MISSING/a/b}', 'MISSING'],
    ['${MISSING#a}', 'MISSING'],
    ['${MISSING%%a}', 'MISSING'],
    ['${1abc}', '1abc'],
    ['${constructor}', 'constructor'],
    ['${MISSING:-${ALSO_MISSING}}', 'ALSO_MISSING'],
    // Arguments are expanded first, even when the default is not needed.
    ['${SET:-${ALSO_MISSING}}', 'ALSO_MISSING'],
  ])('rejects %s', (input, variable) => {
    let caught: unknown;
    try {
      substitute(input, { SET: 'x' }, { strict: true, subject });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SubstitutionError);
    expect((caught as SubstitutionError).variable).toBe(variable);
    expect((caught as SubstitutionError).message).toBe(`variable "${variable}" is not set (in ${subject})`);
  });
});

describe('substitute: malformed expressions', () => {
  // Upstream fails the whole build for these whether or not strict is on.
  it.each([
    ['${}', 'invalid substitution "${}" at line 1: missing variable name', ''],
    ['${a.b}', 'invalid substitution "${a.b}" at line 1: "a.b" is not a valid variable name', 'a.b'],
    ['${-x}', 'invalid substitution "${-x}" at line 1: "-x" is not a valid variable name', '-x'],
    ['${ NAME }', 'invalid substitution "${ NAME }" at line 1: " NAME " is not a valid variable name', ' NAME '],
    [
      '${a-b}',
      'invalid substitution "${a-b}" at line 1: operator "-" is not supported by Flux substitution (did you mean ":-"?)',
      'a',
    ],
    [
      '${VAR+x}',
      'invalid substitution "${VAR+x}" at line 1: operator "+" is not supported by Flux substitution (did you mean ":+"?)',
      'VAR',
    ],
    ['x ${NAME', 'invalid substitution "${NAME" at line 1: missing closing "}"', 'NAME'],
    ['${#}', 'invalid substitution "${#}" at line 1: expected a variable name after "${#"', undefined],
    ['${NAME:}', 'invalid substitution "${NAME:}" at line 1: an operator is missing its argument', undefined],
    ['${NAME:-x', 'invalid substitution "${NAME:-x" at line 1: missing closing "}"', undefined],
    ['${NAME/a}', 'invalid substitution "${NAME/a}" at line 1: expected "/" after the pattern', 'NAME'],
    ['${NAME^^^}', 'invalid substitution "${NAME^^^}" at line 1: expected "}"', undefined],
    // A trim pattern is one text run or one expression, not both.
    ['${IMAGE#${PREFIX}org/}', 'invalid substitution "${IMAGE#${PREFIX}" at line 1: expected "}"', undefined],
  ])('%s', (input, message, variable) => {
    for (const strict of [false, true]) {
      let caught: unknown;
      try {
        substitute(input, VARS, { strict, subject: 'Deployment/apps/web' });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SubstitutionError);
      expect((caught as SubstitutionError).message).toBe(`${message} (in Deployment/apps/web)`);
      expect((caught as SubstitutionError).variable).toBe(variable);
    }
  });
});

describe('isValidVariableName', () => {
  it.each(['CLUSTER', '_x', 'a1', 'A_B_9', '_'])('accepts %s', (name) => {
    expect(isValidVariableName(name)).toBe(true);
  });
  it.each(['', '1abc', 'a-b', 'a.b', 'a b', 'café', 'Ä'])('rejects %j', (name) => {
    expect(isValidVariableName(name)).toBe(false);
  });
});

describe('keepUnset: a variable source could not be read', () => {
  it('leaves unset variables as written (defaults and operators too), expands the set ones', async () => {
    const { substitute } = await import('../../src/render/flux/envsubst.js');
    const text = 'a: ${A}\nb: "${B},${C}"\nc: ${C:=fallback}\nd: ${D^^}\ne: $${A}\n';
    expect(substitute(text, { A: 'x' }, { keepUnset: true })).toBe('a: x\nb: "${B},${C}"\nc: ${C:=fallback}\nd: ${D^^}\ne: ${A}\n');
    // Strict mode does not fail on what may be defined by the unread source.
    expect(substitute('v: ${UNSET}', {}, { keepUnset: true, strict: true })).toBe('v: ${UNSET}');
    // Without it, Flux's own rules: unset is empty, defaults apply.
    expect(substitute(text, { A: 'x' })).toBe('a: x\nb: ","\nc: fallback\nd: \ne: ${A}\n');
  });
});
