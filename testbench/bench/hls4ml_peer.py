"""Peer benchmark: binpoint against hls4ml 1.3.0 on one ONNX fixture, the same fixed-point types.

Run by testbench/bench/hls4ml_peer.sh (which makes the venv and builds binpoint); see
docs/benchmarks.md. Types, on both sides: every layer output, weight, bias and BatchNorm
parameter ap_fixed<16,6> with ap_fixed's default modes (AP_TRN, AP_WRAP). binpoint gets them from
a precision config written here ([default] bits 16, int_bits 6, and an int_bits 6 table for each
constant, by the names its first compile reports); hls4ml from its config with every 'auto'
replaced (its default 'auto' types are not what we compare, see DESIGN.md). Accumulators:
binpoint's are exact by construction; hls4ml gets ap_fixed<40,20>, which holds every sum of
these 16x16-bit products exactly, so neither side rounds before a layer's output.

Measures: hls4ml conversion + write (qonnx clean-up, config, convert, write), hls4ml compile()
(its g++ build), hls4ml predict() throughput; binpoint compile (wall, release binary, writing
all of OUT), the simulator's throughput (bench-sim, 1 thread and all threads). Prints figures,
ratios, and how the outputs agree (argmax vs float, vs each other, bit-equal output values).
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

TYPE = "fixed<16,6>"
ACCUM = "fixed<40,20>"


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu():
    """CPU seconds of this process and its finished children (g++ builds): unlike wall time,
    hardly moved by other jobs on the machine."""
    return time.process_time() + children_cpu()


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r.stdout


def binpoint_config(report_path, toml_path):
    """ap_fixed<16,6> (TRN, WRAP) for every tensor binpoint types: outputs and inputs through
    [default], each constant through its own table (int_bits of a weight only binds there)."""
    report = json.load(open(report_path))
    lines = [
        "[default]",
        "bits = 16",
        "int_bits = 6",
        'rounding = "AP_TRN"',
        'overflow = "AP_WRAP"',
        "",
    ]
    names = sorted({c["tensor"] for l in report["layers"] for c in l["constants"]})
    for n in names:
        lines += [f"[layer.{json.dumps(n)}]", "int_bits = 6", ""]
    open(toml_path, "w").write("\n".join(lines))
    return len(names)


def hls4ml_model(onnx_path, out_dir):
    """qonnx clean-up as hls4ml's own ONNX tests do it, then explicit types everywhere."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    import hls4ml

    m = ModelWrapper(onnx_path)
    m = cleanup_model(m)
    m = m.transform(ConvertToChannelsLastAndClean())
    m = m.transform(GemmToMatMul())
    m = cleanup_model(m)
    cfg = hls4ml.utils.config_from_onnx_model(
        m, granularity="name", backend="Vitis", default_precision=TYPE
    )
    for layer in cfg["LayerName"].values():
        p = layer.get("Precision", {})
        for key in list(p):
            if key == "accum":
                p[key] = ACCUM
            elif p[key] == "auto":
                p[key] = TYPE
    hm = hls4ml.converters.convert_from_onnx_model(
        m,
        output_dir=out_dir,
        project_name="peer",
        backend="Vitis",
        hls_config=cfg,
        io_type="io_parallel",
    )
    hm.write()
    return hm, cfg


def argmax_agree(a, b):
    return float(np.mean(np.argmax(a, 1) == np.argmax(b, 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--x", required=True, help="test inputs, reshaped to the model input")
    ap.add_argument("--y", required=True, help="test labels")
    ap.add_argument("--calib", required=True)
    ap.add_argument("--binpoint", required=True)
    ap.add_argument("--bench-sim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--extra", default="", help="extra binpoint compile flags")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    x = np.load(a.x).astype(np.float32)
    labels = np.load(a.y).astype(np.int64)
    n = x.shape[0]
    extra = a.extra.split()

    # binpoint: names first, then the typed compile, timed (wall, a fresh OUT each run).
    probe = os.path.join(a.work, "bp-probe")
    run([a.binpoint, "compile", a.onnx, "-o", probe, "--bits", "16", "--force", *extra])
    toml = os.path.join(a.work, "types.toml")
    n_const = binpoint_config(os.path.join(probe, "report.json"), toml)
    # The config pins every type, as hls4ml's does: no calibration is needed for them (timed
    # alone), and with --calib (the usual flow: saturation counts on the training set) as well.
    def timed_compiles(tag, flags):
        times, cpus = [], []
        for i in range(a.runs):
            out = os.path.join(a.work, f"bp-{tag}{i}")
            shutil.rmtree(out, ignore_errors=True)
            cmd = [a.binpoint, "compile", a.onnx, "-o", out, "--config", toml, *flags, *extra]
            t, c = time.perf_counter(), children_cpu()
            run(cmd)
            times.append(time.perf_counter() - t)
            cpus.append(children_cpu() - c)
        return times, cpus

    compile_s, compile_cpu = timed_compiles("", [])
    compile_calib_s, _ = timed_compiles("calib-", ["--calib", a.calib])
    bp_out = os.path.join(a.work, "bp-0")
    bp_y_path = os.path.join(a.work, "bp_y.npy")
    run([a.binpoint, "simulate", bp_out, "--input", a.x, "--output", bp_y_path, "--force"])
    bp_y = np.load(bp_y_path)
    report = json.load(open(os.path.join(bp_out, "report.json")))
    bp_types = sorted({l["output"]["type"] for l in report["layers"]})
    sim = {1: 0.0, 0: 0.0}
    for _ in range(3):
        for threads in (1, 0):
            line = run([a.bench_sim, os.path.join(bp_out, "model.bpm"), a.x, "--threads", str(threads)])
            sim[threads] = max(sim[threads], float(line.split("sim_inf_per_s=")[1].split()[0]))

    # Float reference: onnxruntime, one thread.
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
    float_y = sess.run(None, {sess.get_inputs()[0].name: x})[0]

    # hls4ml: import once (not timed in the conversion), conversion + write, compile, predict.
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import hls4ml  # noqa: F401
    import_s = time.perf_counter() - t
    convert_s, convert_cpu = [], []
    hm = None
    for i in range(a.runs):
        prj = os.path.join(a.work, f"hls4ml-{i}")
        shutil.rmtree(prj, ignore_errors=True)
        t, c = time.perf_counter(), cpu()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hm, cfg = hls4ml_model(a.onnx, prj)
        convert_s.append(time.perf_counter() - t)
        convert_cpu.append(cpu() - c)
    t, c = time.perf_counter(), cpu()
    hm.compile()
    compile_h = time.perf_counter() - t
    compile_h_cpu = cpu() - c
    xs = np.ascontiguousarray(x.reshape(n, -1))
    predict_s = []
    h_y = None
    for _ in range(5):
        t = time.perf_counter()
        h_y = hm.predict(xs)
        predict_s.append(time.perf_counter() - t)
    h_y = np.asarray(h_y, dtype=np.float64).reshape(n, -1)
    h_rate = n / min(predict_s)
    h_types = sorted(
        {str(v) for l in cfg["LayerName"].values() for v in l.get("Precision", {}).values()}
    )

    bp_compile = statistics.median(compile_s)
    h_convert = statistics.median(convert_s)
    acc = lambda y: float(np.mean(np.argmax(y, 1) == labels))
    res = {
        "fixture": a.name,
        "samples": n,
        "binpoint_types": bp_types,
        "binpoint_constants_pinned": n_const,
        "hls4ml_types": h_types,
        "binpoint_compile_s": bp_compile,
        "binpoint_compile_runs_s": compile_s,
        "binpoint_compile_with_calib_s": statistics.median(compile_calib_s),
        "hls4ml_import_s": import_s,
        "hls4ml_convert_write_s": h_convert,
        "hls4ml_convert_write_runs_s": convert_s,
        "hls4ml_compile_s": compile_h,
        "hls4ml_predict_inf_per_s": h_rate,
        "sim_inf_per_s_1_thread": sim[1],
        "sim_inf_per_s_all_threads": sim[0],
        "ratio_compile_vs_convert_write": h_convert / bp_compile,
        "ratio_compile_vs_convert_write_fastest": min(convert_s) / min(compile_s),
        "binpoint_compile_cpu_s": statistics.median(compile_cpu),
        "hls4ml_convert_write_cpu_s": statistics.median(convert_cpu),
        "hls4ml_compile_cpu_s": compile_h_cpu,
        "ratio_compile_vs_convert_write_cpu": statistics.median(convert_cpu) / statistics.median(compile_cpu),
        "ratio_compile_vs_convert_write_compile": (h_convert + compile_h) / bp_compile,
        "ratio_sim1_vs_predict": sim[1] / h_rate,
        "ratio_sim_all_vs_predict": sim[0] / h_rate,
        "accuracy_float": acc(float_y),
        "accuracy_binpoint": acc(bp_y),
        "accuracy_hls4ml": acc(h_y),
        "argmax_hls4ml_vs_float": argmax_agree(h_y, float_y),
        "argmax_binpoint_vs_float": argmax_agree(bp_y, float_y),
        "argmax_hls4ml_vs_binpoint": argmax_agree(h_y, bp_y),
        "equal_output_values_hls4ml_vs_binpoint": float(np.mean(h_y == bp_y)),
        "max_abs_diff_hls4ml_vs_binpoint": float(np.max(np.abs(h_y - bp_y))),
    }
    json.dump(res, open(os.path.join(a.work, "result.json"), "w"), indent=1)
    print(f"== {a.name}: {n} test samples, every tensor ap_fixed<16,6> (AP_TRN, AP_WRAP) on both sides")
    print(f"binpoint compile (all of OUT)      {bp_compile*1000:9.1f} ms  (median of {a.runs}; fastest {min(compile_s)*1000:.1f})")
    print(f"binpoint compile --calib train_x   {res['binpoint_compile_with_calib_s']*1000:9.1f} ms  (same types; + calibration run for the report's saturation counts)")
    print(f"hls4ml convert + write             {h_convert*1000:9.1f} ms  (median of {a.runs}; fastest {min(convert_s)*1000:.1f}; import hls4ml {import_s:.1f} s not counted)")
    print(f"hls4ml compile() (g++)             {compile_h*1000:9.1f} ms")
    print(f"CPU time: binpoint compile {res['binpoint_compile_cpu_s']*1000:.1f} ms, hls4ml convert+write {res['hls4ml_convert_write_cpu_s']*1000:.1f} ms ({res['ratio_compile_vs_convert_write_cpu']:.1f} x), hls4ml compile() {compile_h_cpu:.1f} s")
    print(f"  ratio convert+write / binpoint   {res['ratio_compile_vs_convert_write']:9.1f} x  (target >= 10; fastest/fastest {res['ratio_compile_vs_convert_write_fastest']:.1f} x)")
    print(f"  ratio (convert+write+compile)    {res['ratio_compile_vs_convert_write_compile']:9.1f} x")
    print(f"hls4ml predict()                   {h_rate:9.0f} inf/s  (best of 5)")
    print(f"binpoint simulator, 1 thread       {sim[1]:9.0f} inf/s  ({res['ratio_sim1_vs_predict']:.1f} x, target >= 30; best of 3)")
    print(f"binpoint simulator, all threads    {sim[0]:9.0f} inf/s  ({res['ratio_sim_all_vs_predict']:.1f} x)")
    print(f"accuracy float / binpoint / hls4ml {res['accuracy_float']:.4f} / {res['accuracy_binpoint']:.4f} / {res['accuracy_hls4ml']:.4f}")
    print(f"argmax agreement: hls4ml-float {res['argmax_hls4ml_vs_float']:.4f}, binpoint-float {res['argmax_binpoint_vs_float']:.4f}, hls4ml-binpoint {res['argmax_hls4ml_vs_binpoint']:.4f}")
    print(f"output values equal hls4ml-binpoint {res['equal_output_values_hls4ml_vs_binpoint']:.4f} (max |diff| {res['max_abs_diff_hls4ml_vs_binpoint']:.6g})")


if __name__ == "__main__":
    main()
