#!/usr/bin/env bash
# Step of action.yml: runs podo with -o markdown (with json-report: -o json for a matrix's merge job too;
# with merge: `podo report merge` of those JSON reports instead of a diff). The report goes to $PODO_REPORT (split into parts of at
# most $INPUT_MAX_COMMENT_BYTES, one comment each) and, when Actions sets $GITHUB_STEP_SUMMARY, to the job
# summary; podo's exit code goes to the step output `exit-code` (0 no changes, 1 changes, 2 error). The
# step itself always succeeds, so the comment is posted even for an error report; the last step of the
# action fails the job afterwards.
set -uo pipefail
podo=${PODO_BIN:-"$GITHUB_ACTION_PATH/bin/podo"}
report=${PODO_REPORT:?PODO_REPORT: where to write the report}
markdown=(-o markdown --max-comment-bytes "${INPUT_MAX_COMMENT_BYTES:-65000}")
# extra-args: split on whitespace like a command line, without glob expansion.
extra=()
if [ -n "${INPUT_EXTRA_ARGS:-}" ]; then
  set -f
  read -r -a extra <<< "$INPUT_EXTRA_ARGS"
  set +f
fi
if [ -n "${INPUT_MERGE:-}" ]; then
  # The merge job of a matrix: the JSON reports of the other jobs (CLUSTER=FILE or FILE, globs expanded)
  # as one report and one comment, with the exit code of one run over all of them.
  read -r -a merge <<< "$INPUT_MERGE"
  files=()
  for m in "${merge[@]}"; do
    if [[ "$m" == *=* ]]; then files+=("$m"); else for f in $m; do files+=("$f"); done; fi
  done
  node "$podo" report merge "${files[@]}" "${markdown[@]}" > "$report"
  code=$?
else
  args=(diff kustomization)
  if [ -n "${INPUT_KUSTOMIZATION:-}" ]; then
    args+=("$INPUT_KUSTOMIZATION")
  elif [ "${INPUT_ALL:-true}" = "true" ]; then
    args+=(--all)
  else
    echo "podo action: set the input kustomization (a name) or all: true" >&2
    exit 2
  fi
  args+=(--path "${INPUT_PATH:-.}")
  if [ -n "${INPUT_BASE_REF:-}" ]; then args+=(--base-ref "$INPUT_BASE_REF"); fi
  if [ -n "${INPUT_JSON_REPORT:-}" ]; then
    # A job of a matrix: the JSON report (with objects, for the merge job) and, from it, the Markdown one.
    node "$podo" "${args[@]}" -o json --with-objects "${extra[@]}" > "$INPUT_JSON_REPORT"
    code=$?
    # Its exit code is podo's again (0/1/2); only a report that could not be read leaves no comment text.
    node "$podo" report merge "$INPUT_JSON_REPORT" "${markdown[@]}" > "$report" 2>/dev/null
    if [ "$(head -n 1 "$report")" != '<!-- podo-diff -->' ]; then
      printf '<!-- podo-diff -->\n## podo diff\n\n**Failed:** podo exited with %s before writing a report: see the job log.\n' "$code" > "$report"
    fi
  else
    node "$podo" "${args[@]}" "${markdown[@]}" "${extra[@]}" > "$report"
    code=$?
  fi
fi
echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
# The job summary takes up to 1 MiB per step: the whole report when it fits, else its first part and a note.
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  size=$(wc -c < "$report")
  if [ "$size" -le 1000000 ]; then
    cat "$report" >> "$GITHUB_STEP_SUMMARY"
  else
    awk '/^<!-- podo-diff -->$/ { n++ } n <= 1' "$report" >> "$GITHUB_STEP_SUMMARY"
    printf '\n> [!NOTE]\n> The report (%s bytes) is larger than a job summary: the rest is in the pull-request comments.\n' "$size" >> "$GITHUB_STEP_SUMMARY"
  fi
fi
echo "podo exited with $code ($( [ "$code" = 0 ] && echo 'no changes' || { [ "$code" = 1 ] && echo changes || echo error; } ))"
exit 0
