// Keeps the build inside the repository. kustomize runs with LoadRestrictionsNone (as Flux's
// kustomize-controller does, so `../base` works), which would also let a kustomization read ANY
// file on the machine: a pull request could make podo print a CI runner's kubeconfig into a PR
// comment through a configMapGenerator. Flux guards the same hole with a filesystem that refuses
// paths outside the source root (fluxcd/pkg kustomize/filesys MakeFsOnDiskSecure); podo checks
// every file reference before kustomize runs.
import { gitToplevelOf } from '../../process/git.js';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { BuildError } from '../../model/errors.js';
import type { RemoteBases } from '../../model/settings.js';
import type { Workspace } from './workspace.js';
import { guardYaml, MAX_YAML_BYTES, tooLargeError } from '../documents.js';
import { repositoryRoot } from '../../flux/source-root.js';
import { isVcsPathUnder } from './vcs.js';

export function isWithin(p: string, root: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (r !== '..' && !r.startsWith('..' + path.sep) && !path.isAbsolute(r));
}

/** A path inside the copy as the user knows it: relative to their repository root, `/`-separated. */
export function displayPath(ws: Workspace, p: string): string {
  const roots = [ws.root, safeRealpath(ws.root) ?? ws.root];
  for (const root of roots) {
    if (isWithin(p, root)) return path.relative(root, p).split(path.sep).join('/') || '.';
  }
  return p;
}

export function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Node's cpSync turns every copied symlink into an absolute link back into the USER's tree, so a
 * write through one would change their files and a read would bypass the copy. Re-point links that
 * stay inside the repository at their copy, relatively; return the links (paths relative to the
 * repository) whose target leaves it, after following chains, dangling ones judged by their text.
 */
export function containSymlinks(ws: Workspace): EscapingLinks {
  const links: string[] = [];
  collectLinks(ws.root, links);
  const escaping = new Map<string, EscapingLink['why']>();
  for (const link of links) {
    const target = path.resolve(path.dirname(link), readlinkSync(link));
    let mapped: string | undefined;
    if (isWithin(target, ws.root)) mapped = target;
    else if (isWithin(target, ws.userRoot)) mapped = path.join(ws.root, path.relative(ws.userRoot, target));
    if (!mapped) {
      escaping.set(link, 'outside');
      continue;
    }
    // `cfg -> ../.git/config`: inside the repository's directory, but not part of what a build may read.
    if (isVcsPathUnder(mapped, ws.root)) {
      escaping.set(link, 'vcs');
      continue;
    }
    unlinkSync(link);
    symlinkSync(path.relative(path.dirname(link), mapped) || '.', link);
  }
  // A link may stay inside the repository by its text yet pass through another link that leaves.
  const realRoot = safeRealpath(ws.root) ?? ws.root;
  for (const link of links) {
    if (escaping.has(link)) continue;
    const real = safeRealpath(link);
    if (real !== undefined && !isWithin(real, realRoot)) escaping.set(link, 'outside');
  }
  return new EscapingLinks([...escaping].map(([l, why]) => ({ link: displayPath(ws, l), why })).sort((a, b) => (a.link < b.link ? -1 : a.link > b.link ? 1 : 0)));
}

export interface EscapingLink {
  /** As displayPath shows it. */
  link: string;
  why: 'outside' | 'vcs';
}

/** The symlinks of a copy that lead out of what the build may read, in path order. */
export class EscapingLinks {
  private readonly byLink: Map<string, EscapingLink>;
  constructor(readonly list: EscapingLink[]) {
    this.byLink = new Map(list.map((l) => [l.link, l]));
  }
  get length(): number {
    return this.list.length;
  }
  has(link: string): boolean {
    return this.byLink.has(link);
  }
  /** The error for LINK (one of the list), or for the first one. */
  error(link?: string): BuildError {
    const l = link === undefined ? this.list[0] : this.byLink.get(link);
    return escapingLinkError(l?.link ?? link ?? '', l?.why);
  }
}

function collectLinks(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.push(p);
    else if (st.isDirectory()) collectLinks(p, out);
  }
}

export function outsideRootError(where: string, ref: string): BuildError {
  return new BuildError(`${where}: refers to ${ref} outside the repository root`, where);
}

export function escapingLinkError(link: string, why: EscapingLink['why'] = 'outside'): BuildError {
  if (why === 'vcs') return new BuildError(`${link}: symlink into version-control metadata (.git), which is not part of the repository a build may read`, link);
  return new BuildError(`${link}: symlink to a path outside the repository root`, link);
}

/**
 * kustomize treats a reference it cannot find locally as a remote target when it looks like a URL
 * or a git repository (`https://…`, `git@host:…`, `github.com/org/repo//dir?ref=…`).
 */
export function looksRemote(ref: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) ||
    /^git::/.test(ref) ||
    /^[\w.-]+@[\w.-]+:/.test(ref) ||
    /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(ref) ||
    /[?&](ref|version|submodules|timeout)=/.test(ref)
  );
}

/** Remote references are fetched (kustomize-controller's default) unless the caller says otherwise. */
const FETCH_REMOTE: RemoteBases = { fetch: true, loopback: false };

/**
 * Why the remote reference REF may not be fetched, or undefined when kustomize may fetch it. Flux's
 * kustomize-controller fetches remote resources unless started with `--no-remote-bases`; kustomize
 * reads an `http(s)://` file with its HTTP client and clones a git repository with `git`
 * (api/internal/loader, api/internal/git). podo lets it, over http(s) only: a `file://` URL or a
 * local path would read this machine's files, and ssh would use this machine's keys, neither of which
 * a pull request may reach. Hosts that only this machine can reach are refused by name: the cloud
 * metadata address (link-local), and loopback unless allowed. Redirects, resolved names and references
 * inside fetched content are checked on the way out (render/kustomize/egress.ts).
 */
export function remoteProblem(ref: string, policy: RemoteBases = FETCH_REMOTE): string | undefined {
  if (!policy.fetch) return 'remote resources are refused (--no-remote-bases)';
  const url = remoteUrl(ref);
  if (!url) return 'only http(s) remote resources are fetched: a file, ssh or other git URL could read this machine\'s files or use its credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const local = localHost(host);
  if (local === 'loopback' && policy.loopback) return undefined;
  if (local) return `${LOCAL_HOSTS[local]} ${host} is refused: only hosts on the network are fetched`;
  return undefined;
}

/** The http(s) URL kustomize will fetch for REF (git::, the github.com/… shorthand), or undefined. */
function remoteUrl(ref: string): URL | undefined {
  let r = ref.replace(/^git::/, '');
  if (/^(github\.com|gitlab\.com|bitbucket\.org)\//.test(r)) r = `https://${r}`;
  if (!/^https?:\/\//i.test(r)) return undefined;
  try {
    return new URL(r);
  } catch {
    return undefined;
  }
}

/** Why kustomize may not connect to ADDRESS (an IP address a host name resolved to), or undefined (render/kustomize/egress.ts). */
export function addressProblem(address: string, loopback: boolean): string | undefined {
  const local = localHost(address.toLowerCase());
  if (!local || (local === 'loopback' && loopback)) return undefined;
  return `${LOCAL_HOSTS[local]} ${address}`;
}

const LOCAL_HOSTS = {
  loopback: 'the loopback host',
  'link-local': 'the link-local (cloud metadata) host',
  unspecified: 'the unspecified address',
} as const;

/**
 * A host only this machine reaches: loopback, link-local (cloud metadata), unspecified. HOST is as the
 * WHATWG URL parser canonicalizes it: `2130706433` and `0x7f.1` are already `127.0.0.1`.
 */
function localHost(host: string): keyof typeof LOCAL_HOSTS | undefined {
  if (host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || /^::ffff:127\./.test(host) || /^::ffff:7f/.test(host)) return 'loopback';
  if (/^169\.254\./.test(host) || /^::ffff:a9fe:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host) || host === 'fd00:ec2::254' || host === 'metadata.google.internal' || host === 'metadata') return 'link-local';
  if (host === '0.0.0.0' || host === '::' || /^0\./.test(host)) return 'unspecified';
  return undefined;
}

export function remoteError(where: string, field: string, ref: string, why: string): BuildError {
  return new BuildError(`${where}: ${field} ${ref}: ${why}`, where);
}

const YAML_EXT = /\.(ya?ml|json)$|(^|\/)Kustomization$/i;

/** Refuses a file kustomize would read when it is too large, or YAML whose aliases explode. */
export function guardFile(abs: string, shown: string): void {
  const size = statSync(abs).size;
  if (size > MAX_YAML_BYTES) throw tooLargeError(shown, size);
  if (YAML_EXT.test(abs)) guardYaml(readFileSync(abs, 'utf8'), shown);
}

/** Reads a YAML file podo itself parses, after the same checks. */
export function guardedRead(abs: string, shown: string): string {
  const size = statSync(abs).size;
  if (size > MAX_YAML_BYTES) throw tooLargeError(shown, size);
  const text = readFileSync(abs, 'utf8');
  guardYaml(text, shown);
  return text;
}

/**
 * The repository boundary: the git work tree that holds `userDir` (as `git rev-parse --show-toplevel`
 * finds it, with GIT_* variables a caller may have exported removed), else `userDir` minus
 * `spec.path` when it ends with it, else `userDir`. Nothing the build reads may lie outside it.
 */
export async function repositoryBoundary(userDir: string, specPath: string | undefined): Promise<string> {
  const real = realpathSync(path.resolve(userDir));
  const top = await gitToplevelOf(real);
  // Without git, or outside a repository, the spec.path rule applies.
  if ('dir' in top && isWithin(real, top.dir)) return top.dir;
  return repositoryRoot(real, specPath);
}

/**
 * A Kustomization's spec.path that climbs out of its source (`../outside`, `a/../../b`) is refused:
 * kustomize-controller would clamp it to the source root, podo does not guess which was meant.
 */
export function specPathProblem(specPath: string | undefined): string | undefined {
  if (specPath === undefined) return undefined;
  const norm = path.posix.normalize(specPath.replace(/\\/g, '/').replace(/^\/+/, ''));
  if (norm === '..' || norm.startsWith('../')) return `spec.path ${specPath} leads outside the repository root`;
  return undefined;
}
