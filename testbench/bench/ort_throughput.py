"""Inferences per second of onnxruntime (CPU, one intra-op thread) on a batch of inputs.

Usage: python ort_throughput.py MODEL.onnx INPUT.npy [--min-seconds S]
Prints `ort_inf_per_s=<x> batch=<n>`. Run by testbench/bench/sim_vs_ort.sh in its own venv.
"""
import sys
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    model, inp = sys.argv[1], sys.argv[2]
    min_seconds = float(sys.argv[sys.argv.index("--min-seconds") + 1]) if "--min-seconds" in sys.argv else 2.0
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.load(inp).astype(np.float32)
    sess.run(None, {name: x})
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        sess.run(None, {name: x})
        runs += 1
    per_s = runs * x.shape[0] / (time.perf_counter() - start)
    print(f"ort_inf_per_s={per_s:.1f} batch={x.shape[0]}")


if __name__ == "__main__":
    main()
