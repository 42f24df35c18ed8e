#!/usr/bin/env bash
# Shows that a change leaves capsim's results byte-identical: runs every shipped
# experiment with two binaries (or a saved snapshot and a binary) and compares
# summary.json, timeseries.csv, latency.csv and decisions.csv file by file.
#
# Usage:
#   scripts/same-outputs.sh snapshot BIN DIR [N]   run every experiment with BIN into DIR
#   scripts/same-outputs.sh compare DIR_A DIR_B    compare two snapshots; exit 1 on a difference
#   scripts/same-outputs.sh BEFORE_BIN AFTER_BIN [N]  both of the above in a temporary folder
#
# N is the number of replications per experiment (default 2: every code path runs, the
# whole set takes a few minutes on 2 cores). Seeds are the experiments' own.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(summary.json timeseries.csv latency.csv decisions.csv)

experiments() {
  for exp in experiments/*.yaml; do
    # plan.yaml is the planning report's mapping, not an experiment.
    grep -q '^model:' "$exp" && echo "$exp"
  done
}

snapshot() {
  local bin=$1 dir=$2 n=${3:-2}
  mkdir -p "$dir"
  for exp in $(experiments); do
    local name
    name=$(basename "$exp" .yaml)
    # Exit 1 (a threshold fails) is a result like any other; only 2 and above are errors.
    local rc=0
    "$bin" run "$exp" -n "$n" -q --no-plots --threads 2 --out "$dir/$name" || rc=$?
    if [ "$rc" -ge 2 ]; then
      echo "$exp: capsim exited $rc" >&2
      exit "$rc"
    fi
    echo "$name: exit $rc" >> "$dir/exit-codes.txt"
  done
}

compare() {
  local a=$1 b=$2 differ=0 count=0
  for dir in "$a"/*/; do
    local name
    name=$(basename "$dir")
    for f in "${files[@]}"; do
      count=$((count + 1))
      if ! cmp -s "$a/$name/$f" "$b/$name/$f"; then
        echo "differs: $name/$f"
        differ=1
      fi
    done
  done
  cmp -s "$a/exit-codes.txt" "$b/exit-codes.txt" || { echo "differs: exit codes"; differ=1; }
  if [ "$differ" -eq 0 ]; then
    echo "identical: $count files of $(ls -d "$a"/*/ | wc -l) experiments"
  fi
  return "$differ"
}

case "${1:-}" in
  snapshot) shift; snapshot "$@" ;;
  compare) shift; compare "$@" ;;
  ""|-h|--help) sed -n 2,12p "$0"; exit 2 ;;
  *)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    snapshot "$1" "$tmp/before" "${3:-2}"
    snapshot "$2" "$tmp/after" "${3:-2}"
    compare "$tmp/before" "$tmp/after"
    ;;
esac
