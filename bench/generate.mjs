// Generates the benchmark's desired state (a kustomize directory) and its drifted live state.
//
// The desired objects already carry Flux's owner labels, so that the labels podo adds are identical
// and `kubectl diff -k` and `podo diff` compare exactly the same content.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export const OWNER_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';
export const OWNER_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';

/** Small deterministic PRNG (mulberry32), so a given seed always yields the same drift. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

/**
 * N objects in `namespace`: apps of one Deployment + Service + ConfigMap + Secret each
 * (the remainder, when N is not a multiple of 4, is filled with ConfigMaps).
 */
export function desiredObjects(n, namespace, ksName) {
  const owner = { [OWNER_NAME_LABEL]: ksName, [OWNER_NAMESPACE_LABEL]: 'flux-system' };
  const out = [];
  const apps = Math.floor(n / 4);
  for (let k = 0; k < apps; k++) {
    const app = `app-${String(k).padStart(4, '0')}`;
    const labels = { app, tier: k % 3 === 0 ? 'frontend' : 'backend', ...owner };
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app, tier: labels.tier } },
          spec: {
            containers: [
              {
                name: 'main',
                image: `registry.example.com/team/${app}:1.${k % 20}.0`,
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                env: [
                  { name: 'APP_NAME', value: app },
                  { name: 'LOG_LEVEL', value: 'info' },
                ],
                envFrom: [{ configMapRef: { name: `${app}-config` } }, { secretRef: { name: `${app}-secret` } }],
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
              },
            ],
          },
        },
      },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: { app },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${app}-config`, namespace, labels },
      data: {
        FEATURE_FLAGS: 'search,checkout,recommendations',
        CACHE_TTL: '300',
        UPSTREAM_URL: `http://${app}-upstream.${namespace}.svc:8080`,
        'app.properties': `name=${app}\nthreads=8\ntimeout=30s\n`,
      },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${app}-secret`, namespace, labels },
      type: 'Opaque',
      data: { DB_USER: b64(`${app}-user`), DB_PASSWORD: b64(`s3cret-${app}-${k * 7919}`) },
    });
  }
  for (let i = out.length; i < n; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `extra-${String(i).padStart(5, '0')}`, namespace, labels: { ...owner } },
      data: { VALUE: String(i) },
    });
  }
  return out;
}

/**
 * The live state: a deep copy of the desired objects with ~15% drifted (replicas, image tag, a
 * ConfigMap value, a Secret value, a Service targetPort) and ~5% missing (so they show as created).
 * Returns the live objects and the expected counts.
 */
export function liveObjects(desired, seed) {
  const rand = rng(seed);
  const live = [];
  let drifted = 0;
  let missing = 0;
  for (const d of desired) {
    const r = rand();
    if (r < 0.05) {
      missing++;
      continue;
    }
    const o = structuredClone(d);
    if (r < 0.2) {
      drifted++;
      switch (o.kind) {
        case 'Deployment':
          if (rand() < 0.5) o.spec.replicas = 3;
          else o.spec.template.spec.containers[0].image = o.spec.template.spec.containers[0].image.replace(/:[^:]+$/, ':0.9.9');
          break;
        case 'ConfigMap':
          o.data[Object.keys(o.data)[0]] = 'drifted-by-hand';
          break;
        case 'Secret':
          o.data.DB_PASSWORD = b64('an-old-password');
          break;
        case 'Service':
          o.spec.ports[0].targetPort = 9090;
          break;
      }
    }
    live.push(o);
  }
  return { live, drifted, missing };
}

/** Writes DIR/kustomization.yaml plus one file per kind. */
export function writeKustomizeDir(dir, objects, namespace) {
  mkdirSync(dir, { recursive: true });
  const byKind = new Map();
  for (const o of objects) {
    const f = `${o.kind.toLowerCase()}s.yaml`;
    if (!byKind.has(f)) byKind.set(f, []);
    byKind.get(f).push(o);
  }
  for (const [f, objs] of byKind) writeFileSync(path.join(dir, f), toYamlStream(objs));
  writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace, resources: [...byKind.keys()] }),
  );
}

export function toYamlStream(objects) {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** The Flux Kustomization podo reads from the cluster. */
export function fluxKustomization(name) {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'flux-system' },
    spec: {
      interval: '10m',
      path: './',
      prune: false,
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    },
  };
}
