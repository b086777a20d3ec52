"""The MLP of the peer comparison with da4ml (docs/benchmarks.md, issue 15): 16 -> 64 -> 32 -> 5
with ReLU, seeded weights (numpy seed 15) already on a 6-bit grid, written as ONNX (opset 13),
plus 2,000 calibration samples (standard normal, seed 16).

usage: python3 testbench/bench/peer_mlp.py OUTDIR   (needs numpy and onnx)
"""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def layer(rng, n_in, n_out):
    # Weights on the grid of ap_fixed<6,0>: k/32 for k in [-32, 31]; He-like spread.
    w = np.clip(np.round(rng.normal(0, 1.0 / np.sqrt(n_in), (n_out, n_in)) * 32), -32, 31) / 32
    b = np.round(rng.normal(0, 0.1, n_out) * 32) / 32
    return w.astype(np.float32), b.astype(np.float32)


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(15)
    sizes = [16, 64, 32, 5]
    nodes, inits = [], []
    x = "x"
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w, b = layer(rng, n_in, n_out)
        inits += [numpy_helper.from_array(w, f"w{k}"), numpy_helper.from_array(b, f"b{k}")]
        y = f"fc{k}"
        nodes.append(helper.make_node("Gemm", [x, f"w{k}", f"b{k}"], [y], name=f"fc{k}", transB=1))
        x = y
        if k < len(sizes) - 2:
            y = f"relu{k}"
            nodes.append(helper.make_node("Relu", [x], [y], name=f"relu{k}"))
            x = y
    g = helper.make_graph(
        nodes,
        "peer_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", 5])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, out / "peer_mlp.onnx")
    calib = np.random.default_rng(16).normal(0, 1, (2000, 16)).astype(np.float32)
    np.save(out / "calib.npy", calib)


if __name__ == "__main__":
    main(sys.argv[1])
