// What each field of a kustomization file refers to, once, for both walks of the reference graph
// (reference-walk.ts): the boundary check (boundary-check.ts) and the closure (reference-closure.ts).
// The field list is kustomize's own (api/types/kustomization.go, the Kustomization struct); the
// builtin plugins are kustomize's api/internal/builtins with the fields of their configs that name files.
import { BuildError } from '../../model/errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/object.js';
import { loadDocs } from './parsed-yaml.js';

/** What a kustomization field holds, as far as the files a build reads are concerned. */
export type FieldRole =
  /** Names no file. */
  | 'plain'
  /** kustomize's Helm inflation: kustomize-controller builds with Helm disabled, so Flux fails on it. */
  | 'helm'
  /** A list of files or kustomization directories, or remote targets kustomize fetches (resources, bases, components). */
  | 'kustomizations'
  /** A list of files. */
  | 'files'
  /** A list of files or inline patches (patchesStrategicMerge). */
  | 'files-or-inline'
  /** A list of maps, each naming a file in `path` or holding the content inline. */
  | 'path-of-each'
  /** A list of ConfigMap/Secret generators, reading `files`, `envs` and `env`. */
  | 'generator-sources'
  /** A map naming a schema file in `path` (openapi). */
  | 'openapi'
  /** A list of plugin configs: files, or directories that are kustomizations, or inline configs. */
  | 'plugin-configs';

/**
 * Every field of kustomize's Kustomization (api/types/kustomization.go) with its role. The fields that
 * name files come first, in the order both walks follow them (a walk reports the first bad reference).
 */
export const KUSTOMIZATION_FIELDS: Readonly<Record<string, FieldRole>> = Object.freeze<Record<string, FieldRole>>({
  resources: 'kustomizations',
  bases: 'kustomizations',
  components: 'kustomizations',
  crds: 'files',
  configurations: 'files',
  patchesStrategicMerge: 'files-or-inline',
  patches: 'path-of-each',
  patchesJson6902: 'path-of-each',
  replacements: 'path-of-each',
  configMapGenerator: 'generator-sources',
  secretGenerator: 'generator-sources',
  openapi: 'openapi',
  transformers: 'plugin-configs',
  generators: 'plugin-configs',
  validators: 'plugin-configs',
  helmCharts: 'helm',
  helmGlobals: 'helm',
  helmChartInflationGenerator: 'helm',
  apiVersion: 'plain',
  kind: 'plain',
  metadata: 'plain',
  namespace: 'plain',
  namePrefix: 'plain',
  nameSuffix: 'plain',
  commonLabels: 'plain',
  labels: 'plain',
  commonAnnotations: 'plain',
  images: 'plain',
  // Deprecated, merged into images by kustomize (FixKustomization): names no file.
  imageTags: 'plain',
  replicas: 'plain',
  vars: 'plain',
  generatorOptions: 'plain',
  sortOptions: 'plain',
  buildMetadata: 'plain',
});

/** The role of FIELD, undefined for a field kustomize does not have. */
export function roleOf(field: string): FieldRole | undefined {
  return Object.prototype.hasOwnProperty.call(KUSTOMIZATION_FIELDS, field) ? KUSTOMIZATION_FIELDS[field] : undefined;
}

/** The fields of a builtin plugin's config that name files. */
type PluginFileField = 'path' | 'paths' | 'generatorSources' | 'replacementPaths';

/**
 * Builtin plugins (kustomize's api/internal/builtins, and the older PrefixSuffixTransformer) and the
 * fields of their configs that name files; 'helm' for the one Flux cannot build.
 */
export const BUILTIN_PLUGINS: Readonly<Record<string, readonly PluginFileField[] | 'helm'>> = Object.freeze<Record<string, readonly PluginFileField[] | 'helm'>>({
  AnnotationsTransformer: [],
  LabelTransformer: [],
  NamespaceTransformer: [],
  PrefixSuffixTransformer: [],
  PrefixTransformer: [],
  SuffixTransformer: [],
  ImageTagTransformer: [],
  ReplicaCountTransformer: [],
  HashTransformer: [],
  SortOrderTransformer: [],
  ValueAddTransformer: [],
  // Its config (types.IAMPolicyGeneratorArgs: cloud, kubernetesService, serviceAccount) names no file.
  IAMPolicyGenerator: [],
  PatchTransformer: ['path'],
  PatchJson6902Transformer: ['path'],
  PatchStrategicMergeTransformer: ['paths'],
  ConfigMapGenerator: ['generatorSources'],
  SecretGenerator: ['generatorSources'],
  ReplacementTransformer: ['replacementPaths'],
  HelmChartInflationGenerator: 'helm',
});

/** Every field that names a file in any builtin plugin's config, in a fixed order. */
const ANY_PLUGIN_FILE_FIELDS: readonly PluginFileField[] = ['path', 'paths', 'generatorSources', 'replacementPaths'];

/** A patchesStrategicMerge or plugin entry that holds its content rather than naming a file. */
export function isInline(entry: string): boolean {
  return entry.includes('\n') || /^\s*(apiVersion|kind)\s*:/.test(entry);
}

/**
 * How a walk reads the values of the fields: what the table says is there, taken leniently (the
 * boundary check: what is not a file reference cannot leave the repository, and kustomize reports
 * malformed files itself) or strictly (the closure: any shape it does not expect makes it give up).
 * FILE names the file the value comes from, in complaints.
 */
export interface Reading {
  /** A kustomization field holding a list of strings. */
  list(v: JsonValue | undefined, file: string, field: string): string[];
  /** A kustomization field holding a list of maps. */
  maps(v: JsonValue | undefined, file: string, field: string): JsonObject[];
  /** A kustomization field holding one map. */
  map(v: JsonValue | undefined, file: string, field: string): JsonObject | undefined;
  /** An optional path (LABEL names it in a complaint). */
  path(v: JsonValue | undefined, file: string, label: string): string[];
  /** The files a ConfigMap/Secret generator reads. */
  generatorSources(g: JsonObject, file: string): string[];
  /** The plugin configs an inline transformers/generators/validators entry holds. */
  inlineConfigs(text: string, file: string, field: string): JsonObject[];
  /** The files a plugin config names. */
  pluginFiles(cfg: JsonObject, file: string): string[];
}

const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
const objects = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
/** A `files` entry of a generator: `key=path` or `path`. */
const fileSource = (f: string) => (f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);

/** `files`, `envs` and the older `env` of a ConfigMap/Secret generator, whatever their shape. */
function lenientGeneratorSources(g: JsonObject): string[] {
  return [...strings(g.files).map(fileSource), ...strings(g.envs), ...strings(g.env)];
}

const LENIENT_PLUGIN_FIELDS: Record<PluginFileField, (cfg: JsonObject) => string[]> = {
  path: (c) => strings(c.path),
  paths: (c) => strings(c.paths),
  generatorSources: lenientGeneratorSources,
  replacementPaths: (c) => objects(c.replacements).flatMap((r) => strings(r.path)),
};

/**
 * The boundary check's reading: every string where a file may be named, of any plugin kind (a config
 * of a kind it does not know is read for all the fields any builtin reads files from).
 */
export const LENIENT: Reading = {
  list: (v) => strings(v),
  maps: (v) => objects(v),
  map: (v) => (isJsonObject(v) ? v : undefined),
  path: (v) => (typeof v === 'string' ? [v] : []),
  generatorSources: (g) => lenientGeneratorSources(g),
  inlineConfigs: (text) => loadDocs(text) ?? [],
  pluginFiles(cfg, file) {
    if (cfg.kind === 'HelmChartInflationGenerator') {
      throw new BuildError(`${file}: HelmChartInflationGenerator is not supported: Flux's kustomize-controller builds without Helm`, file);
    }
    return ANY_PLUGIN_FILE_FIELDS.flatMap((f) => LENIENT_PLUGIN_FIELDS[f](cfg));
  },
};

/** The closure's reading: FAIL (which throws) says why a value is not what kustomize would accept or podo can prove. */
export function strictReading(fail: (why: string) => never): Reading {
  const listOf = (v: JsonValue | undefined, file: string, field: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`${file}: ${field} is not a list of strings`);
    return v as string[];
  };
  const mapsOf = (v: JsonValue | undefined, file: string, field: string): JsonObject[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every(isJsonObject)) fail(`${file}: ${field} is not a list of maps`);
    return v as JsonObject[];
  };
  const stringOf = (v: JsonValue, file: string, field: string): string => (typeof v === 'string' ? v : fail(`${file}: ${field} is not a string`));
  const aList = (v: JsonValue | undefined, file: string, field: string) => {
    if (v !== undefined && v !== null && !Array.isArray(v)) fail(`${file}: ${field} is not a list`);
  };
  const path = (v: JsonValue | undefined, file: string, label: string) => (v === undefined ? [] : [stringOf(v, file, label)]);
  const generatorSources = (g: JsonObject, file: string): string[] => {
    const files = listOf(g.files, file, 'files').map(fileSource);
    const env = g.env === undefined || g.env === null ? [] : [stringOf(g.env, file, 'env')];
    return [...files, ...listOf(g.envs, file, 'envs'), ...env];
  };
  const pluginFields: Record<PluginFileField, (cfg: JsonObject, file: string) => string[]> = {
    path: (c, f) => path(c.path, f, 'path'),
    paths: (c, f) => listOf(c.paths, f, 'paths'),
    generatorSources,
    replacementPaths: (c, f) => mapsOf(c.replacements, f, 'replacements').flatMap((r) => path(r.path, f, 'path')),
  };
  return {
    list(v, file, field) {
      aList(v, file, field);
      return listOf(v, file, field);
    },
    maps(v, file, field) {
      aList(v, file, field);
      return mapsOf(v, file, field);
    },
    map(v, file, field) {
      if (v === undefined || v === null) return undefined;
      return isJsonObject(v) ? v : fail(`${file}: ${field} is not a map`);
    },
    path,
    generatorSources,
    inlineConfigs(text, file, field) {
      let cfgs: JsonObject[] | undefined;
      try {
        cfgs = loadDocs(text);
      } catch {
        fail(`${file}: cannot be parsed`);
      }
      return cfgs ?? fail(`${file}: ${field} entry is not YAML`);
    },
    pluginFiles(cfg, file) {
      const kind = typeof cfg.kind === 'string' ? cfg.kind : '';
      const fields = Object.prototype.hasOwnProperty.call(BUILTIN_PLUGINS, kind) ? BUILTIN_PLUGINS[kind] : undefined;
      if (fields === undefined || fields === 'helm') fail(`${file}: plugin ${kind || '(no kind)'}`);
      return (fields as readonly PluginFileField[]).flatMap((f) => pluginFields[f](cfg, file));
    },
  };
}
