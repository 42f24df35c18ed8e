#!/usr/bin/env bash
# Instructions the engine executes per tandem request, counted by valgrind's callgrind:
# a figure that does not move with the machine's load, unlike a timing on a shared
# machine. Two runs of the shared tandem (../shared/bench/tandem) that differ only in
# simulated time (10 s and 20 s, three replications each: `capsim bench`'s warm-up, its
# single run and its parallel run); the difference in instructions, divided by the
# requests of the extra 10 s (3 x 10 s x 640 customers/s x 4 requests), leaves out
# everything that does not grow with the run (loading, allocation, the final results).
#
# usage: scripts/instructions-per-request.sh [CAPSIM_BINARY]   (default target/release/capsim)
# needs: valgrind; the shared bench folder beside the repository.
# Writes the two callgrind profiles to a temporary folder and prints their path, for
# `callgrind_annotate` (per function or per source line).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/capsim}
bench=../shared/bench/tandem
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 2; }
[ -x "$bin" ] || { echo "no capsim binary at $bin: cargo build --release" >&2; exit 2; }
[ -f "$bench/tandem.yaml" ] || { echo "no shared tandem at $bench" >&2; exit 2; }
out=$(mktemp -d)
refs=()
for seconds in 10 20; do
  # The experiment must sit beside its model (tandem.yaml names model.yaml).
  exp="$bench/.ipr-$$-$seconds.yaml"
  sed "s/duration: 500s/duration: ${seconds}s/" "$bench/tandem.yaml" > "$exp"
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$seconds" \
    "$bin" bench "$exp" --json --threads 1 --replications 1 >/dev/null 2>"$out/log.$seconds" ||
    { rm -f "$exp"; cat "$out/log.$seconds" >&2; exit 1; }
  rm -f "$exp"
  refs+=("$(grep -o 'refs: *[0-9,]*' "$out/log.$seconds" | tr -dc 0-9)")
done
requests=$((3 * 10 * 640 * 4))
echo "$(( (refs[1] - refs[0]) / requests )) instructions per request ($bin; profiles in $out)"
