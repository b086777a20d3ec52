#!/usr/bin/env bash
# Paired A/B of simulator builds on one fixture: each round runs every binary back to back, and the
# ratio to the first binary is taken per round, then the median over rounds. On a shared machine whose
# speed drifts from minute to minute, this compares builds where single runs cannot.
#
#   testbench/bench/sim_ab.sh FIXTURE ROUNDS BENCH_SIM_BINARY...
#
# Copy `target/release/bench-sim` aside after each build to compare (cp target/release/bench-sim /tmp/bs-a).
# Uses the model and inputs that testbench/bench/sim_vs_ort.sh left under $CARGO_TARGET_DIR/bench/ (16 bits).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -ge 3 ] || { sed -n 2,8p "$0"; exit 2; }
fx=$1; rounds=$2; shift 2
work="${CARGO_TARGET_DIR:-$root/target}/bench/sim_vs_ort"
model=$work/$fx-16/model.bpm; x=$work/${fx}_x256.npy
[ -f "$model" ] && [ -f "$x" ] || { echo "no $model or $x: run testbench/bench/sim_vs_ort.sh 16 $fx first" >&2; exit 1; }
for i in $(seq "$rounds"); do
  for b in "$@"; do
    r=$("$b" "$model" "$x" --threads 1 --min-seconds 0.3 | sed -n 's/^sim_inf_per_s=\([0-9.]*\).*/\1/p')
    echo "$i $b $r"
  done
done | python3 -c '
import sys, statistics, collections
runs = collections.defaultdict(dict); order = []
for line in sys.stdin:
    i, b, r = line.split()
    runs[i][b] = float(r)
    if b not in order: order.append(b)
print("%-40s %13s %11s %13s" % ("binary", "median inf/s", "max inf/s", "paired ratio"))
for b in order:
    vals = [r[b] for r in runs.values()]
    ratio = statistics.median(r[b] / r[order[0]] for r in runs.values())
    print(f"{b:40s} {statistics.median(vals):13,.0f} {max(vals):11,.0f} {ratio:13.3f}")
'
