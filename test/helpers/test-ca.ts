// A throwaway certificate authority made with openssl, for tests of servers over TLS that need a client
// certificate (OCI registries and chart repositories with spec.certSecretRef).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCa {
  /** The directory holding the files (remove it when done). */
  dir: string;
  ca: string;
  /** For 127.0.0.1 (serverAuth). */
  server: { cert: string; key: string };
  /** CN podo-client (clientAuth). */
  client: { cert: string; key: string };
  /** A line from the middle of the client's private key: must appear in no output. */
  keyLine: string;
}

export function makeTestCa(prefix: string): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  /** A certificate for CN signed by the test CA, with EXT (subjectAltName, extendedKeyUsage). */
  const issue = (name: string, cn: string, ext: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=podo-test-ca');
  const server = issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const client = issue('client', 'podo-client', 'extendedKeyUsage=clientAuth\n');
  return { dir, ca: read('ca.crt'), server, client, keyLine: client.key.split('\n')[5] };
}
