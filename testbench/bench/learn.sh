#!/usr/bin/env bash
# Bench: post-training quantization (calibrated binary points) against learned binary points
# (`--learn`), accuracy on the digits test split measured with the bit-exact interpreter
# (`binpoint eval`). Calibration and learning see the training split only.
#
#   testbench/bench/learn.sh [EPOCHS] [FIXTURE...]     (default: 5, every opset-13 fixture)
#
# Prints one row per fixture: float, PTQ and learned accuracy at 6 and 8 bits, and the learning
# time of the 6-bit run (wall clock, from `compile`'s stderr). Uses $CARGO_TARGET_DIR if set.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
epochs="${1:-5}"; shift || true
fixtures=("$@"); [ ${#fixtures[@]} -gt 0 ] || fixtures=(mlp cnn_bn resnet dwsep conv1d activations)
cargo build -q --release -p binpoint
bin="${CARGO_TARGET_DIR:-target}/release/binpoint"
work="${CARGO_TARGET_DIR:-target}/bench/learn"; mkdir -p "$work"
data=testbench/fixtures/data
acc() { # OUT -> "float fixed" accuracies in percent
  "$bin" eval "$1" --input $data/test_x.npy --labels $data/test_y.npy --threads 1 |
    awk '/float/ && /accuracy/ {for(i=1;i<=NF;i++) if ($i ~ /%$/) {f=$i; break}}
         /fixed/ && /accuracy/ {for(i=1;i<=NF;i++) if ($i ~ /%$/) {x=$i; break}}
         END {print f, x}'
}
printf '%-12s %7s | %7s %7s %6s | %7s %7s | %s\n' fixture float ptq6 learn6 delta ptq8 learn8 "learn time (6 bit)"
for fx in "${fixtures[@]}"; do
  model=testbench/fixtures/$fx/${fx}_opset13.onnx
  row=()
  for bits in 6 8; do
    "$bin" compile "$model" -o "$work/$fx-ptq$bits" --bits $bits --calib $data/train_x.npy --force >/dev/null
    t0=$(date +%s.%N)
    "$bin" compile "$model" -o "$work/$fx-learn$bits" --bits $bits --calib $data/train_x.npy \
      --labels $data/train_y.npy --learn --epochs "$epochs" --quiet --force >/dev/null 2>"$work/$fx-learn$bits.log"
    t1=$(date +%s.%N)
    read -r float ptq <<<"$(acc "$work/$fx-ptq$bits")"
    read -r _ learned <<<"$(acc "$work/$fx-learn$bits")"
    row+=("$float" "$ptq" "$learned" "$(python3 -c "print(f'{$t1-$t0:.1f}')")" \
      "$(sed -n 's/^learned binary points in \([0-9.]*\) s.*/\1/p' "$work/$fx-learn$bits.log")")
  done
  delta=$(python3 -c "print(f'{${row[2]%\%}-${row[1]%\%}:+.2f}')")
  printf '%-12s %7s | %7s %7s %6s | %7s %7s | %s s learning (%s s compile)\n' \
    "$fx" "${row[0]}" "${row[1]}" "${row[2]}" "$delta" "${row[6]}" "${row[7]}" "${row[4]}" "${row[3]}"
done
echo "epochs=$epochs  $(nproc) cores  load: $(cut -d' ' -f1-3 /proc/loadavg)"
