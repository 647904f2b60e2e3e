// kustomize and `kubectl kustomize` are Go programs that podo starts once per build and that, for the
// builds most Kustomizations are (a few dozen objects), exit within a fraction of a second. For such a
// short life, Go's default collector (GOGC=100) spends a third of the child's CPU collecting start-up
// garbage that exit would free anyway (measured on `kubectl kustomize`: 4.1 → 2.6 CPU-seconds for 50
// builds of 20 objects). With collection off below a soft memory limit the output is byte-identical
// (https://go.dev/doc/gc-guide#Memory_limit).
//
// Only for small builds: a build whose live heap nears the limit makes Go collect continuously, on
// every core (a 5,000-object `kubectl kustomize`, 3 MB of YAML, took 268 s and 316 CPU-seconds at
// 128 MiB, against 232 s with Go's defaults within the same half hour). The live heap grows with the
// input, so the tuning applies when the files the build reads (its reference closure) total at most
// SMALL_BUILD_BYTES, and never when podo does not know them (a whole-repository copy). helm keeps Go's
// defaults: a chart's size is not known before it is rendered. A user who tunes the Go runtime (GOGC
// or GOMEMLIMIT) keeps their own settings in every case.
const SOFT_MEMORY_LIMIT = '128MiB';
/** 500 objects of the benchmark are 285 KB of YAML and peak at 157 MB under the limit, 25% less CPU. */
export const SMALL_BUILD_BYTES = 512 * 1024;

/** ENV for a kustomize child reading INPUTBYTES of files (undefined: unknown); USER is podo's own environment. */
export function goChildEnv(env: NodeJS.ProcessEnv, inputBytes: number | undefined, user: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (user.GOGC !== undefined || user.GOMEMLIMIT !== undefined) {
    return { ...env, ...(user.GOGC !== undefined ? { GOGC: user.GOGC } : {}), ...(user.GOMEMLIMIT !== undefined ? { GOMEMLIMIT: user.GOMEMLIMIT } : {}) };
  }
  if (inputBytes === undefined || inputBytes > SMALL_BUILD_BYTES) return env;
  return { ...env, GOGC: 'off', GOMEMLIMIT: SOFT_MEMORY_LIMIT };
}
