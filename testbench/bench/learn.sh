#!/usr/bin/env bash
# Bench: post-training quantization (calibrated binary points) against learned binary points
# (`--learn`), accuracy on the digits test split measured with the bit-exact interpreter
# (`binpoint eval`). Calibration and learning see the training split only (train_x, train_y).
#
#   testbench/bench/learn.sh [EPOCHS] [FIXTURE...]   (default: --learn's own, every opset-13 fixture)
#   BITS="4 6 8" testbench/bench/learn.sh            (word lengths; default "6 8")
#   EXTRA="--learn-points-only" testbench/bench/learn.sh   (more flags for the learned compile)
#
# One row per fixture: float accuracy, then per word length PTQ, learned and their difference, then
# the wall time of each whole learned compile (`compile --learn`, start to end) and, in brackets,
# its learning stage (from compile's stderr). BINPOINT_NO_BUILD=1 skips the cargo build. Uses
# $CARGO_TARGET_DIR if set.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
epochs="${1:-}"; shift || true
epoch_flag=(); [ -z "$epochs" ] || epoch_flag=(--epochs "$epochs")
fixtures=("$@"); [ ${#fixtures[@]} -gt 0 ] || fixtures=(mlp cnn_bn resnet dwsep conv1d activations)
read -r -a widths <<<"${BITS:-6 8}"
read -r -a extra <<<"${EXTRA:-}"
[ -n "${BINPOINT_NO_BUILD:-}" ] || cargo build -q --release -p binpoint
bin="${CARGO_TARGET_DIR:-target}/release/binpoint"
work="${CARGO_TARGET_DIR:-target}/bench/learn"; mkdir -p "$work"
data=testbench/fixtures/data
acc() { # OUT -> "float fixed" accuracies (percent, with the % sign)
  "$bin" eval "$1" --input $data/test_x.npy --labels $data/test_y.npy --threads 1 2>/dev/null |
    awk '/^float accuracy/ {f=$3} /^fixed accuracy/ {x=$3} END {print f, x}'
}
header=$(printf '%-12s %7s' fixture float)
for w in "${widths[@]}"; do header+=$(printf ' | %6s %8s %6s' "ptq$w" "learn$w" delta); done
echo "$header | learning time (s) per width"
for fx in "${fixtures[@]}"; do
  model=testbench/fixtures/$fx/${fx}_opset13.onnx
  row=""; times=""; float=""
  for w in "${widths[@]}"; do
    "$bin" compile "$model" -o "$work/$fx-ptq$w" --bits "$w" --calib $data/train_x.npy --force \
      >/dev/null 2>&1
    start=$(date +%s.%N)
    "$bin" compile "$model" -o "$work/$fx-learn$w" --bits "$w" --calib $data/train_x.npy \
      --labels $data/train_y.npy --learn "${epoch_flag[@]}" --quiet --force "${extra[@]}" \
      >/dev/null 2>"$work/$fx-learn$w.log"
    wall=$(python3 -c "import time; print(f'{time.time()-$start:.1f}')")
    read -r float ptq <<<"$(acc "$work/$fx-ptq$w")"
    read -r _ learned <<<"$(acc "$work/$fx-learn$w")"
    delta=$(python3 -c "print(f'{${learned%\%}-${ptq%\%}:+.2f}')")
    row+=$(printf ' | %6s %8s %6s' "$ptq" "$learned" "$delta")
    times+=" $wall ($(sed -n 's/^learned .* in \([0-9.]*\) s:.*/\1/p' "$work/$fx-learn$w.log"))"
  done
  printf '%-12s %7s%s |%s\n' "$fx" "$float" "$row" "$times"
done
echo "epochs=${epochs:-default} ${EXTRA:-}  $(nproc) cores  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
