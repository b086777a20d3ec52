#!/usr/bin/env bash
# Peer benchmark: binpoint against hls4ml 1.3.0 on the same fixtures and the same fixed-point
# types (ap_fixed<16,6>, AP_TRN, AP_WRAP everywhere). Not part of the test suite.
#
#   testbench/bench/hls4ml_peer.sh [FIXTURE...]        (default: mlp cnn_bn)
#
# Makes its own venv under the cargo target dir (hls4ml==1.3.0 with what its ONNX frontend needs:
# onnx and qonnx; onnxruntime for the float reference), builds binpoint and bench-sim in release,
# and runs testbench/bench/hls4ml_peer.py on each fixture's opset-13 export with the 360 test
# digits. Figures go to stdout and to <target>/bench/hls4ml_peer/<fixture>/result.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
fixtures=("$@"); [ ${#fixtures[@]} -gt 0 ] || fixtures=(mlp cnn_bn)
venv="$target/hls4ml-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import hls4ml, qonnx, onnxruntime' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q hls4ml==1.3.0 onnx==1.23.2 qonnx==1.0.0 numpy==2.4.6 onnxruntime==1.32.0
fi
cargo build -q --release -p binpoint -p binpoint-testbench
work="$target/bench/hls4ml_peer"; mkdir -p "$work"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) cores"
for fx in "${fixtures[@]}"; do
  dir="testbench/fixtures/$fx"
  mkdir -p "$work/$fx"
  "$venv/bin/python" - "$dir/input.npy" "$work/$fx" <<'PY'
import sys, numpy as np
shape, out = np.load(sys.argv[1]).shape[1:], sys.argv[2]
for name in ("test_x", "train_x"):
    x = np.load(f"testbench/fixtures/data/{name}.npy").astype(np.float32)
    np.save(f"{out}/{name}.npy", x.reshape((x.shape[0],) + shape))
PY
  "$venv/bin/python" testbench/bench/hls4ml_peer.py --name "$fx" \
    --onnx "$dir/${fx}_opset13.onnx" --x "$work/$fx/test_x.npy" --y testbench/fixtures/data/test_y.npy \
    --calib "$work/$fx/train_x.npy" --binpoint "$target/release/binpoint" \
    --bench-sim "$target/release/bench-sim" --work "$work/$fx" ${BINPOINT_FLAGS:+"--extra=$BINPOINT_FLAGS"}
done
