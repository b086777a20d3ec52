"""da4ml 0.6.0's RTL of binpoint's peer MLP (testbench/bench/peer_mlp.py), with the types binpoint
chose for it (read from OUT/report.json): the same input, weights, biases, layer output types, ReLU.
da4ml is a peer we measure against (LGPL): run in its own venv, never imported by binpoint.

usage: /tmp/da4ml-venv/bin/python testbench/bench/peer_da4ml.py PEER_DIR OUT LATENCY_CUTOFF DEST
  PEER_DIR: where peer_mlp.py wrote peer_mlp.onnx; OUT: binpoint's compile folder; DEST: the project
"""
import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from da4ml.codegen import VerilogModel
from da4ml.trace import FixedVariableArrayInput, comb_trace
from da4ml.trace.ops import quantize, relu


def kif(t):
    """ap_fixed<W,I,...> -> (k, i, f) in da4ml's words (i excludes the sign)."""
    m = re.match(r"ap_(u?)fixed<(-?\d+),(-?\d+)", t)
    signed = m.group(1) == ""
    w, i = int(m.group(2)), int(m.group(3))
    return int(signed), i - int(signed), w - i


def on_grid(x, t):
    """x rounded to nearest and clipped into type t (binpoint's weight/bias quantization)."""
    k, i, f = kif(t)
    raw = np.round(np.asarray(x, np.float64) * 2.0**f)
    lo, hi = (-(2 ** (i + f)) if k else 0), 2 ** (i + f) - 1
    return np.clip(raw, lo, hi) / 2.0**f


def main(peer, out, cutoff, dest):
    m = onnx.load(Path(peer) / "peer_mlp.onnx")
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    report = json.loads((Path(out) / "report.json").read_text())
    dense = [l for l in report["layers"] if l["op"] == "Dense"]
    k, i, f = kif(report["inputs"][0]["type"])
    inp = FixedVariableArrayInput((16,))
    x = quantize(inp, k, i, f)
    for n, l in enumerate(dense):
        w = on_grid(init[f"w{n}"], l["types"]["weight"])
        b = on_grid(init[f"b{n}"], l["types"]["bias"])
        x = x @ w.T + b
        k, i, f = kif(l["output"]["type"])
        x = quantize(x, k, i, f, "SAT", "RND")
        if n < len(dense) - 1:
            x = relu(x)
    comb = comb_trace(inp, x)
    model = VerilogModel(comb, "peer_mlp", dest, latency_cutoff=cutoff)
    model.write()
    print(model)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4])
