// The kubeconfig fast path on plain files: merge order, context choice, file references, and the
// cases it leaves to @kubernetes/client-node.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadStaticCredentials } from '../../src/cluster/kubeconfig-fast.js';
import { writeTree } from '../helpers/cluster.js';

const cfg = (o: { ctx: string; server: string; user: string; userBody: string; current?: string }) => `apiVersion: v1
kind: Config
${o.current ? `current-context: ${o.current}\n` : ''}clusters:
- name: ${o.ctx}-cluster
  cluster:
    server: ${o.server}
    certificate-authority: ca.crt
contexts:
- name: ${o.ctx}
  context: {cluster: ${o.ctx}-cluster, user: ${o.user}}
users:
- name: ${o.user}
  user:
${o.userBody}`;

describe('loadStaticCredentials', () => {
  const dir = writeTree({
    'a.yaml': cfg({ ctx: 'a', server: 'https://a.example:6443', user: 'alice', userBody: '    tokenFile: token.txt\n', current: 'a' }),
    'b.yaml': cfg({ ctx: 'b', server: 'https://b.example:6443', user: 'bob', userBody: '    username: bob\n    password: pw\n', current: 'b' }),
    'exec.yaml': cfg({ ctx: 'e', server: 'https://e.example', user: 'eve', userBody: '    exec:\n      command: aws\n', current: 'e' }),
    'ca.crt': 'CA-PEM',
    'token.txt': 'tok-123\n',
  });
  const env = (files: string[]) => ({ KUBECONFIG: files.map((f) => path.join(dir, f)).join(':'), HOME: dir });

  it('takes current-context from the first file that sets it, resolving files next to the kubeconfig', () => {
    const c = loadStaticCredentials(undefined, undefined, env(['a.yaml', 'b.yaml']))!;
    expect(c.server).toBe('https://a.example:6443');
    expect(c.user).toBe('alice');
    expect(c.headers.Authorization).toBe('Bearer tok-123');
    expect(c.ca?.toString()).toBe('CA-PEM');
  });

  it('honours --context across merged files, and basic auth', () => {
    const c = loadStaticCredentials(undefined, 'b', env(['a.yaml', 'b.yaml']))!;
    expect(c.server).toBe('https://b.example:6443');
    expect(c.headers.Authorization).toBe('Basic ' + Buffer.from('bob:pw').toString('base64'));
  });

  it('an unknown --context is an input error naming it', () => {
    expect(() => loadStaticCredentials(path.join(dir, 'a.yaml'), 'nope', {})).toThrow(/no context "nope"/);
  });

  it('leaves exec plugins and missing kubeconfigs to client-node', () => {
    expect(loadStaticCredentials(path.join(dir, 'exec.yaml'), undefined, {})).toBeUndefined();
    expect(loadStaticCredentials(undefined, undefined, { HOME: path.join(dir, 'nowhere') })).toBeUndefined();
  });
});
