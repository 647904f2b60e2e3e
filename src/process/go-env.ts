// kustomize, `kubectl kustomize` and helm are Go programs that podo starts once per build and that
// exit within a fraction of a second. For such a short life, Go's default collector (GOGC=100) spends
// a third of the child's CPU collecting start-up garbage that exit would free anyway (measured on
// `kubectl kustomize`: 4.1 → 2.6 CPU-seconds for 50 builds). With collection off below a soft memory
// limit the output is byte-identical and only a build whose heap passes the limit collects at all
// (https://go.dev/doc/gc-guide#Memory_limit). A user who tunes the Go runtime themselves keeps
// their own settings.
const SOFT_MEMORY_LIMIT = '256MiB';

/** ENV for a Go child; USER is the environment podo was started with (where a user's own tuning lives). */
export function goChildEnv(env: NodeJS.ProcessEnv, user: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (user.GOGC !== undefined || user.GOMEMLIMIT !== undefined) {
    return { ...env, ...(user.GOGC !== undefined ? { GOGC: user.GOGC } : {}), ...(user.GOMEMLIMIT !== undefined ? { GOMEMLIMIT: user.GOMEMLIMIT } : {}) };
  }
  return { ...env, GOGC: 'off', GOMEMLIMIT: SOFT_MEMORY_LIMIT };
}
