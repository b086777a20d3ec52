#!/usr/bin/env bash
# Compiles every fixture under a set of flag combinations into DEST/<case>/ (one OUT per case), so that
# two builds of binpoint can be compared byte for byte: `diff -r A B`.
# Usage: testbench/bench/out_snapshot.sh DEST [BINPOINT]
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=${1:?usage: out_snapshot.sh DEST [BINPOINT]}
bin=${2:-target/release/binpoint}
fx=testbench/fixtures
data=$fx/data
mkdir -p "$dest"
run() {
  local name=$1; shift
  "$bin" compile "$@" -o "$dest/$name" --force >"$dest/$name.stdout" 2>"$dest/$name.stderr" || echo "exit $?" >>"$dest/$name.stderr"
}
for m in mlp cnn_bn conv1d dwsep resnet activations; do
  for o in 13 18; do
    run "${m}_o${o}_b8" "$fx/$m/${m}_opset$o.onnx" --bits 8 --calib $data/train_x.npy --labels $data/train_y.npy
  done
  run "${m}_b16_prop" "$fx/$m/${m}_opset13.onnx" --bits 16 --input-range 0,1
  run "${m}_khot2" "$fx/$m/${m}_opset13.onnx" --bits 8 --khot 2 --calib $data/train_x.npy
  run "${m}_stream_r4" "$fx/$m/${m}_opset13.onnx" --bits 12 --calib $data/train_x.npy --stream --reuse 4 --board zcu104 --clock 4
done
run cnn_bn_keepbn "$fx/cnn_bn/cnn_bn_opset13.onnx" --bits 8 --calib $data/train_x.npy --keep-batch-norm
run mlp_lowrank_e90 "$fx/mlp/mlp_opset13.onnx" --bits 16 --calib $data/train_x.npy --low-rank energy=0.9
run mlp_lowrank_tol "$fx/mlp/mlp_opset13.onnx" --bits 16 --calib $data/train_x.npy --labels $data/train_y.npy --low-rank tolerance=1
run mlp_lowrank_tol_khot "$fx/mlp/mlp_opset13.onnx" --bits 8 --khot 2 --calib $data/train_x.npy --labels $data/train_y.npy --low-rank tolerance=1
run mlp_learn "$fx/mlp/mlp_opset13.onnx" --bits 6 --calib $data/train_x.npy --labels $data/train_y.npy --learn --epochs 2 --quiet
run cnn_bn_learn_khot "$fx/cnn_bn/cnn_bn_opset13.onnx" --bits 8 --khot 2 --calib $data/train_x.npy --learn --epochs 1 --quiet
run digits_cnn examples/digits_cnn/model.onnx --calib examples/digits_cnn/calib.npy --bits 8
run mlp_reuse_layer "$fx/mlp/mlp_opset13.onnx" --bits 8 --calib $data/train_x.npy --reuse 2 --reuse /fc2/Gemm=1
run mlp_reuse_layer_ok "$fx/mlp/mlp_opset13.onnx" --bits 8 --calib $data/train_x.npy --reuse 2 --reuse /net/net.2/Gemm=1
echo "wrote $(ls -d "$dest"/*/ | wc -l) OUT folders into $dest"
