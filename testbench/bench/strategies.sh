#!/usr/bin/env bash
# Every fixture (opset 13, 8 bits, calibrated) and the digits CNN example under each design:
# the chooser's (no flag), --strategy latency --reuse 1, --strategy resource (the chooser's reuse
# factors), --strategy resource --reuse 64 (most folded) and --io stream (dataflow, the
# chooser's reuse factors); prints the binpoint estimate
# (DSP, LUT, FF, BRAM36, II, latency) and the verify result (g++ C-sim of the emitted HLS against
# the interpreter, 200 random vectors + the test digits), as a markdown table.
# Usage: testbench/bench/strategies.sh [BINPOINT] (about 2-4 minutes, mostly g++).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/binpoint}
fx=testbench/fixtures
data=$fx/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| model | design | DSP | LUT | FF | BRAM36 | II | latency | verify |"
echo "|---|---|---|---|---|---|---|---|---|"
row() {
  local name=$1 design=$2; shift 2
  local out="$work/$name-${design// /_}"
  if ! "$bin" compile "$@" -o "$out" --force >"$out.log" 2>&1; then
    echo "| $name | $design | compile failed: $(grep -m1 error "$out.log" | cut -c1-80) |"
    return
  fi
  local v
  v=$("$bin" verify "$out" --vectors 200 --calib "$test" 2>&1 | tail -1)
  python3 - "$out/report.json" "$name" "$design" "$v" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["totals"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {t['dsp']} | {t['lut']} | {t['ff']} | {t['bram36']:g} | "
      f"{t['ii']} ({t['core_ii']}) | {t['latency_cycles']} ({t['core_latency_cycles']}) | {sys.argv[4]} |")
PY
}
designs() {
  local name=$1 model=$2
  local common=(--bits 8 --calib "$calib")
  row "$name" "chooser" "$model" "${common[@]}"
  row "$name" "latency R=1" "$model" "${common[@]}" --strategy latency --reuse 1
  row "$name" "resource" "$model" "${common[@]}" --strategy resource
  row "$name" "resource R=64" "$model" "${common[@]}" --strategy resource --reuse 64
  row "$name" "stream (chooser)" "$model" "${common[@]}" --io stream
}
calib=$data/train_x.npy test=$data/test_x.npy
for m in mlp cnn_bn conv1d dwsep resnet activations; do
  designs "$m" "$fx/$m/${m}_opset13.onnx"
done
calib=examples/digits_cnn/calib.npy test=examples/digits_cnn/test_x.npy
designs digits_cnn examples/digits_cnn/model.onnx
