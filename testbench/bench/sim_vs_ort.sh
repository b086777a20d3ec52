#!/usr/bin/env bash
# Bench: the bit-exact simulator against onnxruntime float, both single-threaded, on the same
# fixture and the same batch of 256 test inputs. Prints both throughputs and their ratio.
#
#   testbench/bench/sim_vs_ort.sh [BITS] [FIXTURE...]      (default: 16, the CNN fixtures)
#
# Sets up its own venv ($CARGO_TARGET_DIR/bench-venv, default target/: numpy + onnxruntime, pinned as
# for the fixtures).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bits="${1:-16}"; shift || true
fixtures=("$@"); [ ${#fixtures[@]} -gt 0 ] || fixtures=(cnn_bn resnet dwsep conv1d mlp)
tgt="${CARGO_TARGET_DIR:-target}"
venv=$tgt/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy==2.4.6 onnxruntime==1.32.0
fi
cargo build -q --release -p binpoint -p binpoint-testbench
work=$tgt/bench/sim_vs_ort; mkdir -p "$work"
printf '%-10s %6s %14s %14s %8s\n' fixture bits sim_inf/s ort_inf/s ratio
for fx in "${fixtures[@]}"; do
  dir=testbench/fixtures/$fx
  "$venv/bin/python" - "$dir/meta.json" "$work/$fx" <<'PY'
import json, sys, numpy as np
meta, out = sys.argv[1], sys.argv[2]
shape = json.load(open(meta))["input_shape"] if "input_shape" in json.load(open(meta)) else None
x = np.load("testbench/fixtures/data/test_x.npy")[:256].astype(np.float32)
calib = np.load("testbench/fixtures/data/train_x.npy").astype(np.float32)
inp = np.load(meta.replace("meta.json", "input.npy"))
x = x.reshape((x.shape[0],) + inp.shape[1:]); calib = calib.reshape((calib.shape[0],) + inp.shape[1:])
np.save(out + "_x256.npy", x); np.save(out + "_calib.npy", calib)
PY
  "$tgt"/release/binpoint compile "$dir/${fx}_opset13.onnx" -o "$work/$fx-$bits" --bits "$bits" \
    --calib "$work/${fx}_calib.npy" --force >/dev/null
  sim=$("$tgt"/release/bench-sim "$work/$fx-$bits/model.bpm" "$work/${fx}_x256.npy" --threads 1 | sed -n 's/^sim_inf_per_s=\([0-9.]*\).*/\1/p')
  ortv=$("$venv/bin/python" testbench/bench/ort_throughput.py "$dir/${fx}_opset13.onnx" "$work/${fx}_x256.npy" | sed -n 's/^ort_inf_per_s=\([0-9.]*\).*/\1/p')
  ratio=$(python3 -c "print(f'{$sim/$ortv:.2f}')")
  printf '%-10s %6s %14s %14s %8s\n' "$fx" "$bits" "$sim" "$ortv" "$ratio"
done
