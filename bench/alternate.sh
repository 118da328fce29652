#!/usr/bin/env bash
# Alternating speed comparison: runs two or more labelled commands in turn, A B [C …] A B [C …] …, for N
# rounds, and prints the median (with min and max) of the per-round ratios of the first command's speed to
# each other command's. On a shared, noisy machine one run of each proves little; rounds that alternate see
# the same noise, and the median of their ratios ignores the odd disturbed run.
#
#   bench/alternate.sh [-n ROUNDS] [-m METRIC] [-r NAME[,NAME…]] [-p TAG] LABEL COMMAND LABEL COMMAND [LABEL COMMAND …]
#
# Each COMMAND is one string, run with `bash -c` from the current directory (quote its words as in a shell;
# `printf '%q '` does it for you). Its output (stdout and stderr) is collected; its result is the last line
# that starts with `LABEL ` and has `METRIC=<number>`, e.g.
#     mnemo ms_per_step=31.20 tok_per_s=24615 peak_rss_mb=402.1 final_loss=2.4410
# METRIC must grow with speed (tok_per_s, steps_per_s). Each command runs with these in its environment:
#     ROUND     the round, 1 … ROUNDS
#     RUN_DIR   a fresh empty folder for this one run (e.g. for `--out "$RUN_DIR"`), removed after it
#
# Example (bench/bench_train.sh is a fuller one):
#   bench/alternate.sh -n 7 mnemo '.build/release/mnemo train my.toml --bench --out "$RUN_DIR"' \
#                           pytorch 'python bench/my_pytorch.py --steps 200'
#
# Options:
#   -n ROUNDS   rounds (default 5); fewer than 5 works but the median then means little (a note says so)
#   -m METRIC   the compared field (default tok_per_s)
#   -r NAMES    comma-separated names of the ratio lines, one per command after the first (default: `ratio`
#               for the second command, `ratio_<its label>` for the others)
#   -p TAG      prefix of the progress and error messages on stderr (default alternate)
#
# Output (stdout): every round's result lines, as the commands printed them, then
#     round 1/5: ratio=1.032 ratio_compiled=0.871
# after each round; at the end one summary line per label and one line per ratio:
#     mnemo tok_per_s: median 24615 (min 22810, max 25001)
#     ratio=1.071 (median of 5 pairs; min 0.954, max 1.203)
# where ratio = METRIC of the first command / METRIC of that command in the same round (> 1: the first is
# faster). Lines starting with `<ratio name>=` appear only in this final block, so `grep '^ratio='` reads it.
#
# Exit status 1, with the failing command's output (its last 60 lines) on stderr, if a command fails or
# prints no result line. Its temporary folder is removed on exit.
set -euo pipefail

ROUNDS=5
METRIC=tok_per_s
NAMES=""
TAG=alternate

usage() { grep -m 1 '^#   bench/alternate.sh ' "$0" | sed 's/^# */usage: /' >&2; exit 2; }
die() { echo "$TAG: error: $*" >&2; exit 1; }

while getopts "n:m:r:p:h" opt; do
  case "$opt" in
    n) ROUNDS="$OPTARG" ;;
    m) METRIC="$OPTARG" ;;
    r) NAMES="$OPTARG" ;;
    p) TAG="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))

[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 ]] || die "the number of rounds must be a positive integer, got '$ROUNDS'"
[[ "$METRIC" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "METRIC must be a field name such as tok_per_s, got '$METRIC'"
(( $# >= 4 && $# % 2 == 0 )) || { echo "$TAG: error: give at least two LABEL COMMAND pairs" >&2; usage; }

labels=()
commands=()
while (( $# )); do
  [[ "$1" =~ ^[^[:space:]]+$ ]] || die "a label must be one word, got '$1'"
  [[ -n "$2" ]] || die "the command for label '$1' is empty"
  labels+=("$1"); commands+=("$2"); shift 2
done
n=${#labels[@]}

ratio_names=()
if [[ -n "$NAMES" ]]; then
  IFS=, read -r -a ratio_names <<< "$NAMES"
  (( ${#ratio_names[@]} == n - 1 )) || die "-r gives ${#ratio_names[@]} name(s) for $((n - 1)) ratio(s)"
else
  ratio_names+=(ratio)
  for ((i = 2; i < n; i++)); do ratio_names+=("ratio_$(tr -c 'A-Za-z0-9_\n' '_' <<< "${labels[i]}")"); done
fi
for name in "${ratio_names[@]}"; do
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "ratio name '$name' is not a plain word"
done

(( ROUNDS >= 5 )) || echo "$TAG: note: only $ROUNDS round(s); a median of fewer than 5 pairs is a weak estimate" >&2

tmp="$(mktemp -d "${TMPDIR:-/tmp}/mnemo-alternate.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# field NAME LINE: the value of NAME=... in LINE
field() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p" | tail -n 1; }

# show_output FILE: the last 60 lines of FILE, indented, for error messages
show_output() {
  [[ -s "$1" ]] || { echo "  (no output)"; return; }
  local total; total=$(wc -l < "$1")
  (( total <= 60 )) || echo "  … ($((total - 60)) earlier lines left out)"
  tail -n 60 "$1" | sed 's/^/  | /'
}

# stats VALUES…: "median min max" of the numbers (median of an even count: mean of the middle two)
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

declare -A values  # values[<label index>,<round>] = METRIC of that run
for ((r = 1; r <= ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    label="${labels[i]}"
    echo "$TAG: round $r/$ROUNDS: $label" >&2
    out="$tmp/out"
    run_dir="$tmp/run"
    rm -rf "$run_dir"; mkdir "$run_dir"
    status=0
    ROUND="$r" RUN_DIR="$run_dir" bash -c "${commands[i]}" > "$out" 2>&1 < /dev/null || status=$?
    rm -rf "$run_dir"
    (( status == 0 )) || die "'$label' failed (exit status $status) in round $r: ${commands[i]}
its output was:
$(show_output "$out")"
    line="$(grep "^$label .*$METRIC=" "$out" | tail -n 1 || true)"
    [[ -n "$line" ]] || die "'$label' printed no '$label … $METRIC=…' line in round $r: ${commands[i]}
its output was:
$(show_output "$out")"
    value="$(field "$METRIC" "$line")"
    awk -v v="$value" 'BEGIN { exit !(v + 0 > 0 && v ~ /^[0-9.eE+-]+$/) }' \
      || die "'$label' printed $METRIC='$value' in round $r, not a positive number: $line"
    values[$i,$r]="$value"
    echo "$line"
  done
  summary=""
  for ((i = 1; i < n; i++)); do
    summary+=" ${ratio_names[i-1]}=$(awk -v a="${values[0,$r]}" -v b="${values[$i,$r]}" 'BEGIN { printf "%.3f", a / b }')"
  done
  echo "round $r/$ROUNDS:$summary"
done

for ((i = 0; i < n; i++)); do
  vs=(); for ((r = 1; r <= ROUNDS; r++)); do vs+=("${values[$i,$r]}"); done
  read -r med lo hi <<< "$(stats "${vs[@]}")"
  awk -v l="${labels[i]}" -v m="$METRIC" -v a="$med" -v b="$lo" -v c="$hi" \
    'BEGIN { printf "%s %s: median %.6g (min %.6g, max %.6g)\n", l, m, a, b, c }'
done
for ((i = 1; i < n; i++)); do
  rs=(); for ((r = 1; r <= ROUNDS; r++)); do
    rs+=("$(awk -v a="${values[0,$r]}" -v b="${values[$i,$r]}" 'BEGIN { printf "%.9g", a / b }')")
  done
  read -r med lo hi <<< "$(stats "${rs[@]}")"
  awk -v name="${ratio_names[i-1]}" -v k="$ROUNDS" -v a="$med" -v b="$lo" -v c="$hi" \
    'BEGIN { printf "%s=%.3f (median of %d pair%s; min %.3f, max %.3f)\n", name, a, k, (k == 1 ? "" : "s"), b, c }'
done
