#!/usr/bin/env bash
# Step of action.yml: runs podo with -o markdown. The report goes to $PODO_REPORT (split into parts of at
# most $INPUT_MAX_COMMENT_BYTES, one comment each) and, when Actions sets $GITHUB_STEP_SUMMARY, to the job
# summary; podo's exit code goes to the step output `exit-code` (0 no changes, 1 changes, 2 error). The
# step itself always succeeds, so the comment is posted even for an error report; the last step of the
# action fails the job afterwards.
set -uo pipefail
podo=${PODO_BIN:-"$GITHUB_ACTION_PATH/bin/podo"}
report=${PODO_REPORT:?PODO_REPORT: where to write the report}
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
args+=(-o markdown --max-comment-bytes "${INPUT_MAX_COMMENT_BYTES:-65000}")
# extra-args: split on whitespace like a command line, without glob expansion.
extra=()
if [ -n "${INPUT_EXTRA_ARGS:-}" ]; then
  set -f
  read -r -a extra <<< "$INPUT_EXTRA_ARGS"
  set +f
fi
node "$podo" "${args[@]}" "${extra[@]}" > "$report"
code=$?
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
