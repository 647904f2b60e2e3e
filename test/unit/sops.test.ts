import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decryptSops } from 'sops-age';
import { parse, parseAllDocuments } from 'yaml';
import { loadAgeKeys, parseAgeKeys } from '../../src/render/sops/age-keys.js';
import { formatFloatF } from '../../src/render/sops/mac.js';
import { isSopsEncrypted } from '../../src/render/sops/metadata.js';
import { decryptSopsText } from '../../src/render/sops/sops.js';
import { DecryptionError, NoKeyError, UndecryptableError } from '../../src/render/sops/sops-errors.js';
import { encryptDotenv, encryptJson, encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';
import type { KubeObject } from '../../src/model/object.js';

const CANARY = 'CANARY-7f3a9';
const REGEX = '^(data|stringData)$';

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: app
  namespace: prod
type: Opaque
stringData:
  password: ${CANARY}
  "8080": listener-${CANARY}
  empty: ""
data:
  token: ${Buffer.from(CANARY).toString('base64')}
`;

let me: { identity: string; recipient: string };
let other: { identity: string; recipient: string };

beforeAll(async () => {
  me = await newAgeIdentity();
  other = await newAgeIdentity();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Runs fn, expects it to throw, and checks the message leaks nothing. */
async function thrown(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    const e = err as Error;
    expect(e.message).not.toContain(CANARY);
    expect(e.message).not.toContain(me.identity);
    expect(e.message).not.toContain(me.identity.slice(0, 20));
    expect(e.message).not.toContain(other.identity.slice(0, 20));
    return e;
  }
  throw new Error('expected an error');
}

describe('real sops 3.8.1 output (public test key of the sops-age project)', () => {
  // Produced by the sops binary; published as test data in github.com/humphd/sops-age.
  const KEY = 'AGE-SECRET-KEY-1QXRVEJH9S4NQU0FPD6V79ESZQ8S6PXH3L8V40EVPTHFH6KNKD4DQ7SKC4P';
  const YAML = `secret: ENC[AES256_GCM,data:ME9a8+qqBCwXn0eqF010rw==,iv:uhdG6vcUoywenIi6EDaXDvyhWb/2Lv6kL4MiLdLb/kU=,tag:llVdEID432oMefr5T2tl2g==,type:str]
string: ENC[AES256_GCM,data:LNzAFGse,iv:g4HM7I6aFegw57M+BOiVAV5WncBM6MHW2UECAnFkjRo=,tag:PTFT1DrCt9SiLlspc14oBQ==,type:str]
int: ENC[AES256_GCM,data:Ag==,iv:7mZlIiottanvOoufMaIRtOYNmq0yr3E0HBbChYkB7sc=,tag:FSHs1hYNQEkBAFCRYbcEUw==,type:int]
float: ENC[AES256_GCM,data:xXzcgA==,iv:nfQv47XSb+3zRPL7hZPlxtPcfhdHfXDVVf28/DpoaZ4=,tag:1S0vEap4M1RvG61FhDOUmA==,type:float]
boolean: ENC[AES256_GCM,data:qw4M9Q==,iv:6nWrJg5eHsgOpxQsTX3Z3egkRFKeVi5UztF3ccd6Nqk=,tag:n7Dnj1JtcCKBr1JTAzhhpA==,type:bool]
complex:
  value: ENC[AES256_GCM,data:pMPbf0Sq8YbouaBiYGmbbA==,iv:KQQkVbKqwAq9ijals9CiA/WYrv1qTvLOTq3lM7QeCQI=,tag:2S1rFDGNpu8vIDcOOW88AA==,type:str]
  array:
    - ENC[AES256_GCM,data:dDBg,iv:yQOKyyjy49vtuYeAGmwug6Bgj+r/nGAAq028IXGswWw=,tag:Uk5/fV0k2ICcHPY7gJfMNQ==,type:str]
    - ENC[AES256_GCM,data:SBYe,iv:bAQvkNXxAJs+s5BTa1/pBhoHSdM2b7a9PsV7YDAv2+8=,tag:AI0LFWDSe8LPl44vZlYTDg==,type:str]
    - ENC[AES256_GCM,data:U5QgThs=,iv:tDwNdnTOGTRCqoVmD/csblAftp33T/U4u+XITLmp0F4=,tag:jPJGfNYoG14OHkJEKWpDcA==,type:str]
sops:
  kms: []
  gcp_kms: []
  azure_kv: []
  hc_vault: []
  age:
    - recipient: age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBEaC9kMkV4d3FCWHlKN0Iz
        dkxWVmwvSmpuckN5Uk56Tjd5Wm04NitDeVhvCm5sb21XT0taNnY2QlRXN3hXc1No
        UWxQWHFZZ0hBb1p3NkpFdCtzNllkRDAKLS0tIGdLZ1pOUFFPYURLK0VqMFJUYndn
        YVB0U2wwQ21yTmc3Vk5BcjdXQ200U3MKY1GCVhawMSYQnY+eOo9ke2VqL8RTmZ0o
        iejCbKsOPtPfT14MX5TLORf8EY9QOgbCJRwckqyRhpErLR0SKQiaFA==
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-03-25T22:08:10Z"
  mac: ENC[AES256_GCM,data:VkH/rv9tvy2qLc9IDt83tu1WSy4JhI4BNY40xmlIclT5c/+nThdSoc8HBBj75YSVFCrtdORHKZGiw+O32vTCiuAz43Cv82aklh6mr2WmSliqi66Db3170C6hcUaMyjQ42CoEUb5CTDtzICo9de2hBOaVXHoqCOhfDblnn+YuG3g=,iv:tYmXV04d324Jb1Hg5XCmfMtn6yKl4dZEBjDHHSn5Fz4=,tag:Ohp2Jqo4f862lLFdE3bhzg==,type:str]
  pgp: []
  unencrypted_suffix: _unencrypted
  version: 3.8.1
`;
  const ENV = String.raw`secret=ENC[AES256_GCM,data:5OHzCogID5WTVZhe7LgUHg==,iv:bElDePWfYyYqXtqEjtXIAPVLk5z3VhTDW9syGx8GQG0=,tag:8fbUuEYYQbg8hG0AIPNpvw==,type:str]
another_secret=ENC[AES256_GCM,data:Pg==,iv:D/Tx/VPRJt2lbzncDUDYdba/mDtMDQZOroEyq/80wNQ=,tag:Dbz9C58/pCtwH4papKqLqg==,type:str]
sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBsRysvQ0tKOFdzSlpmUEF6\neTU5d1Vmc0Y5WG8rQjd3ekg5TUc1QXNXUHdzCm5LUWlZVmRaYUJHMEd5OFhrOCtl\nRUVmOUcrQ2REb3lTT0xiTVlEUlhORVEKLS0tIDVVbjRycEhWNGM4RFRPR2w2KytN\nMjdWZmlFL3lMUE1xQVA2WTgybmZhcWsKdhw0fbmvraETMYhbJhziNVRDy5r0A7HZ\nqaw9FCv6UK0rhQUfT5IIx1qFShYTzZFHg5qfdJ9xOaGZOOi1XljcRQ==\n-----END AGE ENCRYPTED FILE-----\n
sops_age__list_0__map_recipient=age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr
sops_lastmodified=2024-03-26T00:43:54Z
sops_mac=ENC[AES256_GCM,data:D3ihKMHL3PQMgY4bMJFvOyGuFtxJtu3+qhFE7mo34g8P3UJuxcnDyFsdun1bBlAgeLqUW0cd/SrDRPUlfiRleCKPCCe/ebhMLnlGSC6wX9Pld2IPAsFw1SGO8s/Oxq9MVoycFLV9cjERWqyaq/VoLCyXa+BNkjBYpKZC+slBinA=,iv:1I2pNcb6ZzqMNU409HL0C7FWOEvjQr3Q0IhXXTlZQek=,tag:JHVGx4Ie7fMVLVZqAmYkWw==,type:str]
sops_unencrypted_suffix=_unencrypted
sops_version=3.8.1
`;

  it('decrypts YAML and verifies the MAC computed by sops (ints, floats, bools, lists)', async () => {
    const out = parse(await decryptSopsText(YAML, 'yaml', 'real.enc.yaml', [KEY]));
    expect(out).toEqual(await decryptSops(YAML, { fileType: 'yaml', secretKey: KEY }));
    expect(typeof out.int).toBe('number');
    expect(typeof out.float).toBe('number');
    expect(typeof out.boolean).toBe('boolean');
    expect(out.sops).toBeUndefined();
  });

  it('rejects the real file once a value is swapped for another one', async () => {
    // Same data key, but "string"'s ciphertext is bound to its own path.
    const swapped = YAML.replace(/^secret: .*$/m, YAML.match(/^string: (.*)$/m)![0].replace('string', 'secret'));
    const e = await thrown(() => decryptSopsText(swapped, 'yaml', 'real.enc.yaml', [KEY]));
    expect(e).toBeInstanceOf(DecryptionError);
  });

  it('decrypts dotenv and verifies its MAC', async () => {
    const out = await decryptSopsText(ENV, 'dotenv', 'real.enc.env', [KEY]);
    const expected = await decryptSops(ENV, { fileType: 'env', secretKey: KEY });
    expect(out).toBe(`secret=${expected.secret}\nanother_secret=${expected.another_secret}\n`);
  });
});

describe('round trips through the test writer', () => {
  it('writes real SOPS YAML that sops-age decrypts', async () => {
    const enc = await encryptYaml(SECRET.replace(/^ {2}"8080".*\n/m, ''), { recipients: [me.recipient], encryptedRegex: REGEX });
    expect(enc).not.toContain(CANARY);
    expect(enc).toMatch(/password: ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:str\]/);
    expect(enc).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
    const viaSopsAge = await decryptSops(enc, { fileType: 'yaml', secretKey: me.identity });
    const { sops: _ignored, ...plain } = viaSopsAge;
    expect(plain).toEqual(parse(SECRET.replace(/^ {2}"8080".*\n/m, '')));
  });

  it('decrypts a Secret with encrypted_regex, leaving metadata untouched', async () => {
    const enc = await encryptYaml(SECRET, { recipients: [me.recipient], encryptedRegex: REGEX });
    const meta = parse(enc);
    expect(meta.metadata.name).toBe('app');
    expect(isSopsEncrypted(meta)).toBe(true);
    expect(meta.sops.encrypted_regex).toBe(REGEX);
    const out = await decryptSopsText(enc, 'yaml', 'secret.enc.yaml', [me.identity]);
    expect(parse(out)).toEqual(parse(SECRET));
    // Source order survives even for integer-like keys.
    expect(Object.keys(parse(out).stringData)).toEqual(['8080', 'password', 'empty']);
    expect(out.indexOf('password')).toBeLessThan(out.indexOf('"8080"'));
  });

  it('handles numeric map keys, which sops-age cannot', async () => {
    const enc = await encryptYaml('ports:\n  "8080": http\n  "9090": metrics\n', { recipients: [me.recipient] });
    await expect(decryptSops(enc, { fileType: 'yaml', secretKey: me.identity })).rejects.toThrow();
    const out = parse(await decryptSopsText(enc, 'yaml', 'ports.yaml', [me.identity]));
    expect(out).toEqual({ ports: { '8080': 'http', '9090': 'metrics' } });
  });

  it('keeps ints, floats and booleans typed', async () => {
    const plain = 'replicas: 3\nratio: 0.25\nenabled: true\noff: false\nbig: 9007199254740993\nname: "42"\nnothing: null\nlist:\n  - 1\n  - two\n';
    const enc = await encryptYaml(plain, { recipients: [me.recipient] });
    expect(enc).toMatch(/enabled: ENC\[.*type:bool\]/);
    expect(enc).toMatch(/replicas: ENC\[.*type:int\]/);
    expect(enc).toMatch(/ratio: ENC\[.*type:float\]/);
    const out = await decryptSopsText(enc, 'yaml', 'types.yaml', [me.identity]);
    expect(parse(out, { intAsBigInt: true })).toEqual(parse(plain, { intAsBigInt: true }));
  });

  it('honours the _unencrypted suffix', async () => {
    const plain = `user_unencrypted: admin\npassword: ${CANARY}\n`;
    const enc = await encryptYaml(plain, { recipients: [me.recipient] });
    expect(enc).toContain('user_unencrypted: admin');
    expect(parse(await decryptSopsText(enc, 'yaml', 'u.yaml', [me.identity]))).toEqual(parse(plain));
  });

  it('decrypts multi-document YAML with one MAC over all documents', async () => {
    const plain = `a: 1\nsecret: one-${CANARY}\n---\nb: two\n`;
    const enc = await encryptYaml(plain, { recipients: [me.recipient] });
    expect(enc.match(/^sops:/gm)).toHaveLength(2);
    const out = await decryptSopsText(enc, 'yaml', 'multi.yaml', [me.identity]);
    expect(parseAllDocuments(out).map((d) => (d as { toJS(): unknown }).toJS())).toEqual([{ a: 1, secret: `one-${CANARY}` }, { b: 'two' }]);
  });

  it('decrypts separately encrypted documents concatenated into one file', async () => {
    const one = await encryptYaml(`x: ${CANARY}\n`, { recipients: [me.recipient] });
    const two = await encryptYaml('y: 2\n', { recipients: [me.recipient] });
    const out = await decryptSopsText(`${one}---\n${two}`, 'yaml', 'cat.yaml', [me.identity]);
    expect(parseAllDocuments(out).map((d) => (d as { toJS(): unknown }).toJS())).toEqual([{ x: CANARY }, { y: 2 }]);
  });

  it('round trips JSON, in source order, numbers as sops floats', async () => {
    // Written by hand: JSON.stringify would itself move "10" to the front.
    const plain = `{"b": "${CANARY}", "10": "ten", "n": 5, "f": 1.5, "t": true, "z": null, "nested": {"list": ["x", 2]}}`;
    const enc = await encryptJson(plain, { recipients: [me.recipient] });
    expect(enc).toMatch(/"n": "ENC\[.*type:float\]"/);
    // sops-age drops integer-like keys from the additional data, so check it without one.
    const simple = await encryptJson(JSON.stringify({ b: CANARY, n: 5 }), { recipients: [me.recipient] });
    expect(await decryptSops(simple, { fileType: 'json', secretKey: me.identity })).toEqual({ b: CANARY, n: 5 });
    const out = await decryptSopsText(enc, 'json', 'c.json', [me.identity]);
    expect(JSON.parse(out)).toEqual(JSON.parse(plain));
    expect(out.indexOf('"b"')).toBeLessThan(out.indexOf('"10"'));
  });

  it('round trips dotenv for secretGenerator envs, comments and newlines included', async () => {
    const plain = `# database\nDB_PASSWORD=${CANARY}\nMULTI=line1\\nline2\nEMPTY=\n`;
    const enc = await encryptDotenv(plain, { recipients: [me.recipient] });
    expect(enc).not.toContain(CANARY);
    expect(enc).not.toContain('database');
    expect(await decryptSops(enc, { fileType: 'env', secretKey: me.identity })).toMatchObject({ DB_PASSWORD: CANARY });
    expect(await decryptSopsText(enc, 'dotenv', 'app.env', [me.identity])).toBe(plain);
  });

  it('binary files are a JSON envelope around "data"', async () => {
    const enc = await encryptJson(JSON.stringify({ data: `raw ${CANARY}\nbytes` }), { recipients: [me.recipient] });
    expect(await decryptSopsText(enc, 'binary', 'blob.bin', [me.identity])).toBe(`raw ${CANARY}\nbytes`);
  });
});

describe('keys', () => {
  it('parses key files with comments, blank lines and several keys', () => {
    const text = `# created: 2024\n# public key: age1xyz\n${other.identity}\r\n\n  ${me.identity}  \nnot a key\n`;
    expect(parseAgeKeys(text)).toEqual([other.identity, me.identity]);
  });

  it('tries every key: only the second one matches', async () => {
    const enc = await encryptYaml(`password: ${CANARY}\n`, { recipients: [me.recipient] });
    const keys = parseAgeKeys(`${other.identity}\n${me.identity}\n`);
    expect(parse(await decryptSopsText(enc, 'yaml', 'k.yaml', keys)).password).toBe(CANARY);
  });

  it('decrypts with any one of several recipients', async () => {
    const enc = await encryptYaml(`password: ${CANARY}\n`, { recipients: [other.recipient, me.recipient] });
    expect(parse(await decryptSopsText(enc, 'yaml', 'k.yaml', [me.identity])).password).toBe(CANARY);
  });

  it('the wrong key is a NoKeyError naming the file and recipients, never a key', async () => {
    const enc = await encryptYaml(`password: ${CANARY}\n`, { recipients: [me.recipient] });
    const e = await thrown(() => decryptSopsText(enc, 'yaml', 'secrets/db.enc.yaml', [other.identity]));
    expect(e).toBeInstanceOf(NoKeyError);
    expect(e).toBeInstanceOf(DecryptionError);
    expect(e.message).toContain('secrets/db.enc.yaml');
    expect(e.message).toContain(me.recipient);
    expect((e as NoKeyError).file).toBe('secrets/db.enc.yaml');
    const none = await thrown(() => decryptSopsText(enc, 'yaml', 'x.yaml', []));
    expect(none).toBeInstanceOf(NoKeyError);
  });

  describe('loadAgeKeys', () => {
    let home: string;
    beforeAll(async () => {
      home = await mkdtemp(path.join(tmpdir(), 'podo-sops-'));
      await mkdir(path.join(home, '.config', 'sops', 'age'), { recursive: true });
    });

    it('collects flag, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, keys.txt and extra, in that order', async () => {
      const k = await Promise.all([1, 2, 3, 4, 5].map(() => newAgeIdentity()));
      const flagFile = path.join(home, 'flag.txt');
      const envFile = path.join(home, 'env.txt');
      await writeFile(flagFile, `# flag\n${k[0]!.identity}\n`);
      await writeFile(envFile, `${k[1]!.identity}\n${k[0]!.identity}\n`);
      await writeFile(path.join(home, '.config', 'sops', 'age', 'keys.txt'), `${k[3]!.identity}\n`);
      const env = { SOPS_AGE_KEY_FILE: envFile, SOPS_AGE_KEY: k[2]!.identity };
      const got = await loadAgeKeys({ keyFile: flagFile, env, home, extra: [k[4]!.identity] });
      expect(got.keys).toEqual(k.map((x) => x.identity));
      expect(got.sources).toHaveLength(5);
      expect(got.sources[0]).toContain('--sops-age-key-file');
      expect(got.sources.join(' ')).not.toContain('AGE-SECRET-KEY');

      const onlyHome = await loadAgeKeys({ env: {}, home });
      expect(onlyHome.keys).toEqual([k[3]!.identity]);
      const xdg = await loadAgeKeys({ env: { XDG_CONFIG_HOME: path.join(home, 'nowhere') }, home });
      expect(xdg.keys).toEqual([]);
    });

    it('a missing explicit key file is an error', async () => {
      await expect(loadAgeKeys({ keyFile: path.join(home, 'missing'), env: {}, home })).rejects.toThrow(/cannot read/);
    });

    it('a missing default keys.txt is fine', async () => {
      const empty = await mkdtemp(path.join(tmpdir(), 'podo-sops-empty-'));
      expect(await loadAgeKeys({ env: {}, home: empty })).toEqual({ keys: [], sources: [] });
      await rm(empty, { recursive: true });
    });
  });
});

describe('tampering and unsupported files', () => {
  it('a changed plaintext value is a MAC mismatch naming the file', async () => {
    const enc = await encryptYaml(SECRET, { recipients: [me.recipient], encryptedRegex: REGEX });
    const e = await thrown(() => decryptSopsText(enc.replace('namespace: prod', 'namespace: dev'), 'yaml', 'secret.enc.yaml', [me.identity]));
    expect(e).toBeInstanceOf(DecryptionError);
    expect(e.message).toBe('secret.enc.yaml: MAC mismatch, the file was modified after encryption');
  });

  it('a removed encrypted value is a MAC mismatch', async () => {
    const enc = await encryptYaml(SECRET, { recipients: [me.recipient], encryptedRegex: REGEX });
    const e = await thrown(() => decryptSopsText(enc.replace(/^\s+password: .*\n/m, ''), 'yaml', 's.yaml', [me.identity]));
    expect(e.message).toMatch(/MAC mismatch/);
  });

  it('a changed ciphertext fails without echoing it', async () => {
    const enc = await encryptYaml(`password: ${CANARY}\n`, { recipients: [me.recipient] });
    const tampered = enc.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, pre: string, c: string) => pre + (c === 'A' ? 'B' : 'A'));
    const e = await thrown(() => decryptSopsText(tampered, 'yaml', 'p.yaml', [me.identity]));
    expect(e).toBeInstanceOf(DecryptionError);
    expect(e.message).toContain('p.yaml');
    expect(e.message).not.toContain('ENC[');
  });

  it('a tampered mac is rejected', async () => {
    const enc = await encryptYaml(`password: ${CANARY}\n`, { recipients: [me.recipient] });
    const tampered = enc.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_m, pre: string, c: string) => pre + (c === 'A' ? 'B' : 'A'));
    const e = await thrown(() => decryptSopsText(tampered, 'yaml', 'm.yaml', [me.identity]));
    expect(e.message).toMatch(/m\.yaml: MAC mismatch/);
    const other = await encryptYaml(`password: ${CANARY}\n`, { recipients: [me.recipient], lastModified: '2020-01-01T00:00:00Z' });
    const moved = other.replace(/lastmodified: .*/, 'lastmodified: "2021-01-01T00:00:00Z"');
    expect((await thrown(() => decryptSopsText(moved, 'yaml', 'm.yaml', [me.identity]))).message).toMatch(/MAC mismatch/);
  });

  it('tampering in JSON and dotenv is caught too', async () => {
    const json = await encryptJson(JSON.stringify({ a: 'public', b: CANARY }), { recipients: [me.recipient], encryptedRegex: '^b$' });
    await thrown(() => decryptSopsText(json.replace('"public"', '"changed"'), 'json', 'j.json', [me.identity]));
    const env = await encryptDotenv(`A_unencrypted=x\nB=${CANARY}\n`, { recipients: [me.recipient] });
    const e = await thrown(() => decryptSopsText(env.replace('A_unencrypted=x', 'A_unencrypted=y'), 'dotenv', 'e.env', [me.identity]));
    expect(e.message).toMatch(/e\.env: MAC mismatch/);
  });

  it('a PGP-only file without sops on PATH is an UndecryptableError', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'podo-nopath-'));
    vi.stubEnv('PATH', empty);
    const pgpOnly = `password: ENC[AES256_GCM,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]
sops:
    lastmodified: "2024-05-22T20:16:23Z"
    mac: ENC[AES256_GCM,data:t5sI,iv:mhrVlCOWU0MnIYxnccGGFDCPAXsNwl9sopIm7f74kT8=,tag:w+XIuL4lhKHlgGOlclR2PA==,type:str]
    pgp:
        - created_at: "2024-05-22T20:16:20Z"
          enc: |-
            -----BEGIN PGP MESSAGE-----
            -----END PGP MESSAGE-----
          fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4
    unencrypted_suffix: _unencrypted
    version: 3.8.1
`;
    const e = await thrown(() => decryptSopsText(pgpOnly, 'yaml', 'pgp.enc.yaml', [me.identity]));
    expect(e).toBeInstanceOf(UndecryptableError);
    expect(e.message).toMatch(/pgp\.enc\.yaml: .*pgp.*no sops binary is on PATH/);
    await rm(empty, { recursive: true });
  });
});

describe('helpers', () => {
  it('isSopsEncrypted wants a sops map with a mac', () => {
    expect(isSopsEncrypted({ sops: { mac: 'ENC[…]' } })).toBe(true);
    expect(isSopsEncrypted({ sops: {} })).toBe(false);
    expect(isSopsEncrypted({ sops: 'x' })).toBe(false);
    expect(isSopsEncrypted(null)).toBe(false);
    expect(isSopsEncrypted([])).toBe(false);
  });

  it('formatFloatF matches strconv.FormatFloat(f, \'f\', -1, 64)', () => {
    expect(formatFloatF(1)).toBe('1');
    expect(formatFloatF(0.25)).toBe('0.25');
    expect(formatFloatF(1e21)).toBe('1000000000000000000000');
    expect(formatFloatF(1.5e-7)).toBe('0.00000015');
    expect(formatFloatF(-2.5e22)).toBe('-25000000000000000000000');
    expect(formatFloatF(Infinity)).toBe('+Inf');
  });
});

describe('decryptWorkspace keeps the plaintext only to scrub it from messages', () => {
  it('collects the decrypted values of a file and scrubs them, also base64-encoded', async () => {
    const { decryptWorkspace, scrubSecrets } = await import('../../src/render/sops/decrypt.js');
    const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const id = await newAgeIdentity();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-scrub-'));
    const plain = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: CANARY-scrub-77x\n';
    writeFileSync(path.join(dir, 's.yaml'), await encryptYaml(plain, { recipients: [id.recipient], encryptedRegex: '^(data|stringData)$' }));
    // A generator source is decrypted in place, before kustomize runs.
    const outcome = await decryptWorkspace(dir, async () => [id.identity], (f) => path.basename(f), new Set([path.join(dir, 's.yaml')]));
    expect(outcome.decrypted).toBe(1);
    expect(readFileSync(path.join(dir, 's.yaml'), 'utf8')).toContain('CANARY-scrub-77x');
    expect(outcome.secrets).toEqual(['CANARY-scrub-77x']);
    const msg = `kustomize: bad value CANARY-scrub-77x (${Buffer.from('CANARY-scrub-77x').toString('base64')})`;
    expect(scrubSecrets(msg, outcome.secrets)).toBe('kustomize: bad value *** (***)');
  });

  it('a resource file stays encrypted for kustomize; its object is decrypted after the build (kustomize-controller DecryptResource)', async () => {
    const { decryptWorkspace, decryptObject } = await import('../../src/render/sops/decrypt.js');
    const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
    const { load } = await import('js-yaml');
    const os = await import('node:os');
    const path = await import('node:path');
    const id = await newAgeIdentity();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-after-'));
    const plain = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: CANARY-after-31q\n  port: 8080\n';
    const encrypted = await encryptYaml(plain, { recipients: [id.recipient], encryptedRegex: '^(data|stringData)$' });
    writeFileSync(path.join(dir, 's.yaml'), encrypted);
    const outcome = await decryptWorkspace(dir, async () => [id.identity], (f) => path.basename(f), new Set());
    expect(outcome.decrypted).toBe(1);
    expect(readFileSync(path.join(dir, 's.yaml'), 'utf8')).not.toContain('CANARY-after-31q');
    // As kustomize passes it on: a label added, the ciphertext and the sops metadata kept.
    const built = load(encrypted) as KubeObject;
    built.metadata.labels = { added: 'by-kustomize' };
    decryptObject(built, outcome, 'Secret/s');
    expect(built.stringData).toEqual({ token: 'CANARY-after-31q', port: 8080 });
    expect(built.sops).toBeUndefined();
    // A stand-in rendering: stand-ins of the same types, nothing of the real values.
    const shadow = load(encrypted) as KubeObject;
    decryptObject(shadow, outcome, 'Secret/s', 1);
    expect(typeof (shadow.stringData as Record<string, unknown>).token).toBe('string');
    expect((shadow.stringData as Record<string, unknown>).token).not.toBe('CANARY-after-31q');
    expect(typeof (shadow.stringData as Record<string, unknown>).port).toBe('number');
  });
});
