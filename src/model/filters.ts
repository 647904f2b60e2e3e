// The report filters a run was asked for (--ignore-field, -l, --kind, --skip-kind, the name globs of
// --all): part of the run's options, applied to the finished report by diff/filters.ts.

export interface IgnoreField {
  /** A kind (case-insensitive), or `*` for every kind. */
  kind: string;
  /** RFC 6901 JSON pointer, as in spec.ignore[].paths. */
  path: string;
}

export interface ReportFilters {
  ignoreFields: IgnoreField[];
  selector?: string;
  kinds: string[];
  skipKinds: string[];
  /** Globs (`*`, `?`) over a Kustomization's `name` or `namespace/name`; empty: every one. */
  kustomizations: string[];
}
