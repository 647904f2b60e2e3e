// The Flux overlay against real kustomize: each fixture under fixtures/overlay/<case> is built the
// way podo builds it, and its hand-written plain/ kustomization (no podo logic) must give the
// same objects — which is what proves expected.yaml right. No cluster needed.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseObjects } from '../../src/render/documents.js';
import { sourceIgnoreFilter } from '../../src/render/tree/ignore.js';
import { findKustomize, runKustomize } from '../../src/render/kustomize/kustomize.js';
import { applyFluxMetadata } from '../../src/render/flux/metadata.js';
import { prepareOverlay } from '../../src/render/flux/overlay.js';
import { createWorkspace } from '../../src/render/tree/workspace.js';
import { repositoryRoot } from '../../src/flux/source-root.js';
import { BuildError } from '../../src/model/errors.js';
import { specFromObject } from '../../src/flux/spec.js';
import type { KustomizationSpec } from '../../src/model/kustomization.js';
import type { KubeObject } from '../../src/model/object.js';
import type { RemoteBases } from '../../src/model/settings.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/overlay');
const kustomize = findKustomize(undefined, process.env);

/** `--ignore-paths` per case (GitRepository spec.ignore in the cluster). */
const IGNORE_PATHS: Record<string, string[]> = { sourceignore: ['tmp/'] };
const CASES = ['generated', 'sourceignore', 'target-namespace', 'name-prefix-suffix', 'patches', 'images', 'components', 'common-metadata'];

function specsOf(caseName: string): KustomizationSpec[] {
  const file = path.join(FIXTURES, caseName, 'kustomization.yaml');
  return parseObjects(readFileSync(file, 'utf8'), file).map((o) => specFromObject(o, file).spec);
}

/** The podo pipeline: workspace copy → Flux overlay → kustomize → Flux metadata. */
async function buildWithPodo(repo: string, spec: KustomizationSpec, ignorePaths: string[] = [], remote?: RemoteBases): Promise<KubeObject[]> {
  const userDir = path.join(repo, spec.path ?? '.');
  const ws = createWorkspace(userDir, spec.path, sourceIgnoreFilter(repositoryRoot(userDir, spec.path), ignorePaths));
  try {
    prepareOverlay(ws, spec, remote);
    const objects = parseObjects(await runKustomize(kustomize, ws.dir, userDir), userDir);
    for (const o of objects) applyFluxMetadata(o, spec);
    return objects;
  } finally {
    ws.cleanup();
  }
}

/** Every file under DIR with its bytes (symlinks by their target text), to prove nothing was written. */
function snapshot(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.set(p, `-> ${readlinkSync(p)}`);
    else if (st.isDirectory()) snapshot(p, out);
    else out.set(p, readFileSync(p).toString('base64'));
  }
  return out;
}

describe.each(CASES)('overlay fixture %s', (caseName) => {
  const dir = path.join(FIXTURES, caseName);
  const expected = parseObjects(readFileSync(path.join(dir, 'expected.yaml'), 'utf8'), 'expected.yaml');

  it('podo builds the expected objects and never writes the repository', async () => {
    const repo = path.join(dir, 'repo');
    const before = snapshot(repo);
    const [spec] = specsOf(caseName);
    const objects = await buildWithPodo(repo, spec, IGNORE_PATHS[caseName]);
    expect(objects).toEqual(expected);
    expect(snapshot(repo)).toEqual(before);
  });

  it('the plain kustomization gives the same objects through real kustomize', async () => {
    const plain = path.join(dir, 'plain');
    expect(parseObjects(await runKustomize(kustomize, plain, plain), plain)).toEqual(expected);
  });
});

describe('outside the repository root', () => {
  const dir = path.join(FIXTURES, 'outside-root');
  const repo = path.join(dir, 'repo');
  const specs = new Map(specsOf('outside-root').map((s) => [s.name, s]));

  it.each([
    ['outside-resource', 'resource/kustomization.yaml', '../../etc'],
    ['outside-generator', 'generator/kustomization.yaml', '../../secret.txt'],
    ['outside-symlink', 'symlink/kustomization.yaml', 'leak.yaml'],
  ])('%s fails naming the kustomization file', async (name, file, ref) => {
    const before = snapshot(repo);
    const err = await buildWithPodo(repo, specs.get(name)!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BuildError);
    const msg = (err as BuildError).message;
    expect(msg).toBe(`${file}: refers to ${ref} outside the repository root`);
    expect((err as BuildError).file).toBe(file);
    expect(msg).not.toContain('podo-build-');
    expect(msg).not.toContain(os.tmpdir());
    expect(snapshot(repo)).toEqual(before);
  });
});

describe('overlay edge cases', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-overlay-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const spec = (name: string, p: string, extra: Partial<KustomizationSpec> = {}): KustomizationSpec => ({ name, namespace: 'flux-system', path: p, ...extra });
  const repoWith = (name: string, files: Record<string, string>): string => {
    const repo = path.join(tmp, name);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      writeFileSync(path.join(repo, f), text);
    }
    return repo;
  };
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

  it('an empty directory builds to zero objects', async () => {
    const repo = path.join(tmp, 'empty');
    mkdirSync(path.join(repo, 'apps'), { recursive: true });
    expect(await buildWithPodo(repo, spec('empty', './apps'))).toEqual([]);
  });

  it('a non-manifest YAML file fails a generated kustomization, as in Flux', async () => {
    const repo = repoWith('non-manifest', { 'apps/values.yaml': 'replicas: 3\n' });
    const err = await failure(buildWithPodo(repo, spec('x', './apps')));
    expect(err).toBeInstanceOf(BuildError);
    expect(err?.message).toMatch(/^apps\/values\.yaml: not a Kubernetes manifest \(missing kind\)/);
  });

  it('remote bases are refused with --no-remote-bases, as kustomize-controller refuses them', async () => {
    const repo = repoWith('remote', {
      'apps/kustomization.yaml': 'resources:\n- github.com/example/repo//deploy?ref=v1.0.0\n',
    });
    const err = await failure(buildWithPodo(repo, spec('x', './apps'), [], { fetch: false, loopback: false }));
    expect(err).toBeInstanceOf(BuildError);
    expect(err?.message).toBe('apps/kustomization.yaml: resources github.com/example/repo//deploy?ref=v1.0.0: remote resources are refused (--no-remote-bases)');
  });

  it('remote references that would read this machine (file://, ssh, the metadata address) are refused even when fetching', async () => {
    const remote = { fetch: true, loopback: false };
    for (const [ref, why] of [
      ['file:///etc//passwd?ref=main', 'only http(s) remote resources are fetched'],
      ['git@github.com:org/repo//deploy?ref=v1', 'only http(s) remote resources are fetched'],
      ['http://169.254.169.254/latest/meta-data/x.yaml', 'the link-local (cloud metadata) host 169.254.169.254 is refused'],
      ['http://2130706433/x.yaml', 'the loopback host 127.0.0.1 is refused'],
    ]) {
      const repo = repoWith(`remote-${why.length}-${ref.length}`, { 'apps/kustomization.yaml': `resources:\n- ${ref}\n` });
      const err = await failure(buildWithPodo(repo, spec('x', './apps'), [], remote));
      expect(err).toBeInstanceOf(BuildError);
      expect(err?.message).toContain(`apps/kustomization.yaml: resources ${ref}: ${why}`);
    }
    const repo = repoWith('remote-component', { 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' });
    const err = await failure(buildWithPodo(repo, spec('x', './apps', { components: ['https://[::1]/c'] }), [], remote));
    expect(err?.message).toBe('Kustomization flux-system/x spec.components: https://[::1]/c: the loopback host ::1 is refused: only hosts on the network are fetched');
  });

  it('spec.components outside the repository are refused', async () => {
    const repo = repoWith('spec-components', { 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' });
    const err = await failure(buildWithPodo(repo, spec('x', './apps', { components: ['../../elsewhere'] })));
    expect(err?.message).toBe('Kustomization flux-system/x spec.components: refers to ../../elsewhere outside the repository root');
  });

  it('an unreferenced symlink out of the repository is refused; one inside it works', async () => {
    const repo = repoWith('links', {
      'apps/kustomization.yaml': 'resources:\n- cm.yaml\n- linked.yaml\n',
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      'shared/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    });
    symlinkSync('../shared/b.yaml', path.join(repo, 'apps/linked.yaml'));
    expect((await buildWithPodo(repo, spec('x', './apps'))).map((o) => o.metadata.name)).toEqual(['a', 'b']);
    symlinkSync(os.homedir(), path.join(repo, 'apps/home'));
    const err = await failure(buildWithPodo(repo, spec('x', './apps')));
    expect(err?.message).toBe('apps/home: symlink to a path outside the repository root');
  });

  it('the overlay edits an existing kustomization in the copy only', async () => {
    const text = '# keep me\nresources:\n- cm.yaml\n';
    const repo = repoWith('in-place', { 'apps/kustomization.yaml': text, 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' });
    const objects = await buildWithPodo(repo, spec('x', './apps', { targetNamespace: 'prod', namePrefix: 'p-' }));
    expect(objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['prod/p-a']);
    expect(readFileSync(path.join(repo, 'apps/kustomization.yaml'), 'utf8')).toBe(text);
  });
});

describe('sourceIgnoreFilter', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-ignore-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('applies the default exclusions only when the repository has no patterns of its own', () => {
    const plain = sourceIgnoreFilter(tmp, []);
    expect(plain('.sops.yaml', false)).toBe(true);
    expect(plain('apps/logo.png', false)).toBe(true);
    expect(plain('.github', true)).toBe(true);
    expect(plain('apps/app.yaml', false)).toBe(false);
    // source-controller: any user pattern replaces the defaults (VCS ones stay).
    const custom = sourceIgnoreFilter(tmp, ['drafts/']);
    expect(custom('.sops.yaml', false)).toBe(false);
    expect(custom('.gitignore', false)).toBe(true);
    expect(custom('apps/drafts', true)).toBe(true);
  });

  it('follows Flux gitignore semantics: negation, anchoring, dir-only, **', () => {
    const f = sourceIgnoreFilter(tmp, ['/*', '!/deploy/', 'deploy/**/secret-*.yaml', 'cache/', '*.tmp', '!keep.tmp', 'conf/[ab].yaml']);
    expect(f('README.md', false)).toBe(true);
    expect(f('deploy', true)).toBe(false);
    expect(f('deploy/app.yaml', false)).toBe(false);
    expect(f('deploy/x/y/secret-db.yaml', false)).toBe(true);
    expect(f('deploy/cache', false)).toBe(false); // dir-only pattern, a file
    expect(f('deploy/cache/a.yaml', false)).toBe(true);
    expect(f('deploy/a.tmp', false)).toBe(true);
    expect(f('deploy/keep.tmp', false)).toBe(false);
    // `/*` excludes other/, but with a negation present directories stay walkable: files decide.
    expect(f('other', true)).toBe(false);
    expect(f('other/file.yaml', false)).toBe(true);
    expect(sourceIgnoreFilter(tmp, ['conf/[ab].yaml'])('conf/a.yaml', false)).toBe(true);
    expect(sourceIgnoreFilter(tmp, ['conf/[ab].yaml'])('conf/c.yaml', false)).toBe(false);
  });
});
