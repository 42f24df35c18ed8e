#!/usr/bin/env bash
# Regenerates the figures shipped under plots/ (shown in the README) from the plan's
# experiments. Usage: scripts/regenerate-plots.sh [replications]   (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-8}"
cargo build --release --quiet
for exp in baseline spike autoscaling-demo zone-loss; do
  ./target/release/capsim run "experiments/$exp.yaml" -n "$n" -q --target-rps 2090 --out "out/plots/$exp" || true
  mkdir -p "plots/$exp"
  cp out/plots/$exp/*.png out/plots/$exp/*.svg "plots/$exp/"
done
echo "figures written under plots/"
