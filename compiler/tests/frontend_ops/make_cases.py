#!/usr/bin/env python3
"""Single-op (or few-op) ONNX cases with onnxruntime's outputs, for compiler/tests/frontend_ops.rs.

Each case writes <name>.onnx, <name>.in.npy and <name>.out.npy here (a few KB in total). onnxruntime runs
with its default optimizations and one thread, as the fixtures do. Regenerate with the fixtures' venv
(testbench/fixtures/requirements.txt):

    .venv-fixtures/bin/python compiler/tests/frontend_ops/make_cases.py
"""
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(20261127)


def rnd(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def case(name, nodes, x_shape, inits=(), opset=13, batch=3, x=None, external=False):
    """x_shape uses 'N' for the batch dimension; inits are numpy arrays or TensorProtos keyed by name."""
    tensors = [v if isinstance(v, onnx.TensorProto) else numpy_helper.from_array(v, k) for k, v in dict(inits).items()]
    g = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        tensors,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    path = HERE / f"{name}.onnx"
    if external:
        onnx.save(m, str(path), save_as_external_data=True, location=f"{name}.weights", size_threshold=0)
    else:
        onnx.save(m, str(path))
    if x is None:
        x = rnd(*[batch if d == "N" else d for d in x_shape])
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    y = s.run(None, {"x": x})[0]
    np.save(HERE / f"{name}.in.npy", x)
    np.save(HERE / f"{name}.out.npy", y)
    print(f"{name}: {list(x.shape)} -> {list(y.shape)}")


N = helper.make_node

# ---- convolution ----------------------------------------------------------------------------------
case("conv_pads_stride_dilation", [N("Conv", ["x", "w", "b"], ["y"], strides=[2, 1], pads=[1, 0, 2, 1], dilations=[2, 1])],
     ["N", 3, 9, 9], {"w": rnd(4, 3, 3, 3), "b": rnd(4)})
case("conv_same_upper", [N("Conv", ["x", "w"], ["y"], strides=[2, 2], auto_pad="SAME_UPPER")],
     ["N", 2, 8, 7], {"w": rnd(3, 2, 2, 3)})
case("conv_same_lower", [N("Conv", ["x", "w"], ["y"], strides=[2, 2], auto_pad="SAME_LOWER")],
     ["N", 2, 8, 7], {"w": rnd(3, 2, 2, 3)})
case("conv_valid", [N("Conv", ["x", "w", "b"], ["y"], auto_pad="VALID", kernel_shape=[3, 3])],
     ["N", 2, 6, 6], {"w": rnd(5, 2, 3, 3), "b": rnd(5)})
case("conv_group2", [N("Conv", ["x", "w", "b"], ["y"], group=2, pads=[1, 1, 1, 1])],
     ["N", 4, 6, 6], {"w": rnd(6, 2, 3, 3), "b": rnd(6)})
case("conv_depthwise", [N("Conv", ["x", "w", "b"], ["y"], group=8, pads=[1, 1, 1, 1]), N("Clip", ["y0"], ["y"])][:1],
     ["N", 8, 6, 6], {"w": rnd(8, 1, 3, 3), "b": rnd(8)})
case("conv_nchwc_residual", [
    N("Conv", ["x", "w1", "b1"], ["h"], pads=[1, 1, 1, 1]), N("Relu", ["h"], ["r"]),
    N("Conv", ["r", "w2", "b2"], ["c"], pads=[1, 1, 1, 1]), N("Add", ["c", "x"], ["s"]), N("Relu", ["s"], ["y"])],
     ["N", 16, 5, 5], {"w1": rnd(16, 16, 3, 3, scale=0.3), "b1": rnd(16), "w2": rnd(16, 16, 3, 3, scale=0.3), "b2": rnd(16)})
case("conv1d_same_stride", [N("Conv", ["x", "w", "b"], ["y"], strides=[2], auto_pad="SAME_UPPER")],
     ["N", 3, 10], {"w": rnd(5, 3, 3), "b": rnd(5)})

# ---- dense ----------------------------------------------------------------------------------------
case("gemm_transa_alpha_beta", [N("Gemm", ["x", "w", "c"], ["y"], transA=1, transB=1, alpha=0.5, beta=2.0)],
     [6, 4], {"w": rnd(5, 6), "c": rnd(5)})
case("gemm_no_bias", [N("Gemm", ["x", "w"], ["y"])], ["N", 7], {"w": rnd(7, 3)})
case("matmul_add_rank3", [N("MatMul", ["x", "w"], ["m"]), N("Add", ["m", "b"], ["y"])],
     ["N", 3, 4], {"w": rnd(4, 5), "b": rnd(5)})

# ---- element-wise -------------------------------------------------------------------------------
case("binary_broadcast", [
    N("Sub", ["x", "c1"], ["a"]), N("Div", ["a", "c2"], ["b"]), N("Mul", ["b", "s"], ["c"]), N("Add", ["c", "x"], ["y"])],
     ["N", 3, 4, 4], {"c1": rnd(3, 1, 1), "c2": (np.abs(rnd(1, 4)) + 0.5).astype(np.float32), "s": np.array(1.5, np.float32)})
case("batchnorm_standalone", [N("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], epsilon=1e-3)],
     ["N", 3, 4, 4], {"g": rnd(3), "b": rnd(3), "m": rnd(3), "v": (np.abs(rnd(3)) + 0.1).astype(np.float32)})
case("activations_opset14", [
    N("LeakyRelu", ["x"], ["a"], alpha=0.2), N("HardSigmoid", ["a"], ["b"], alpha=0.3, beta=0.4),
    N("HardSwish", ["x"], ["c"]), N("Add", ["b", "c"], ["d"]), N("Clip", ["d", "", "mx"], ["e"]),
    N("Tanh", ["e"], ["f"]), N("Sigmoid", ["x"], ["g"]), N("Mul", ["f", "g"], ["y"])],
     ["N", 4, 5], {"mx": np.array(0.7, np.float32)}, opset=14, x=rnd(3, 4, 5, scale=4.0))

# ---- softmax (axis semantics changed in opset 13) -----------------------------------------------
case("softmax_opset11_axis1", [N("Softmax", ["x"], ["y"], axis=1)], ["N", 3, 4], opset=11)
case("softmax_opset13_axis1", [N("Softmax", ["x"], ["y"], axis=1)], ["N", 3, 4], opset=13)

# ---- pooling --------------------------------------------------------------------------------------
case("maxpool_ceil_pads", [N("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)],
     ["N", 2, 8, 8])
case("maxpool_dilation", [N("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])], ["N", 2, 7, 7])
case("maxpool1d", [N("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2])], ["N", 2, 9])
case("avgpool_include_pad", [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)],
     ["N", 2, 7, 7])
case("avgpool_exclude_pad", [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
     ["N", 2, 7, 7])
case("avgpool_ceil_include_pad", [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)],
     ["N", 2, 8, 8])
case("avgpool_ceil_exclude_pad", [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)],
     ["N", 2, 8, 8])
case("global_max_pool_flatten", [N("GlobalMaxPool", ["x"], ["p"]), N("Flatten", ["p"], ["y"])], ["N", 3, 5, 5])
case("reduce_mean_opset13_no_keepdims", [N("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=0)], ["N", 3, 5, 5], opset=13)
case("reduce_mean_opset18", [N("ReduceMean", ["x", "axes"], ["y"])], ["N", 3, 4, 4], {"axes": np.array([-2, -1], np.int64)}, opset=18)

# ---- shapes ---------------------------------------------------------------------------------------
case("reshape_shape_chain", [
    N("Shape", ["x"], ["s"]), N("Gather", ["s", "zero"], ["n"], axis=0), N("Unsqueeze", ["n", "ax0"], ["n1"]),
    N("Concat", ["n1", "minus1"], ["shape"], axis=0), N("Reshape", ["x", "shape"], ["y"])],
     ["N", 2, 3, 4], {"zero": np.array(0, np.int64), "ax0": np.array([0], np.int64), "minus1": np.array([-1], np.int64)})
case("squeeze_unsqueeze_opset11", [
    N("Unsqueeze", ["x"], ["u"], axes=[1, -1]), N("Transpose", ["u"], ["t"], perm=[0, 2, 1, 3, 4]),
    N("Squeeze", ["t"], ["y"], axes=[2, 4])], ["N", 3, 4], opset=11)
case("squeeze_unsqueeze_opset13", [
    N("Unsqueeze", ["x", "a"], ["u"]), N("Squeeze", ["u", "b"], ["y"])], ["N", 3, 4],
     {"a": np.array([1, -1], np.int64), "b": np.array([1], np.int64)}, opset=13)
case("transpose_concat", [N("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]), N("Concat", ["t", "t2"], ["y"], axis=-1)],
     [1, 2, 3, 3], {"t2": rnd(1, 3, 3, 1)})
case("pad_opset11", [N("Pad", ["x", "pads", "v"], ["y"])], ["N", 2, 3, 3],
     {"pads": np.array([0, 0, 1, 2, 0, 0, 3, 0], np.int64), "v": np.array(0.5, np.float32)}, opset=11)
case("pad_opset18_axes", [N("Pad", ["x", "pads", "", "axes"], ["y"])], ["N", 2, 3, 3],
     {"pads": np.array([1, 0, 2, 1], np.int64), "axes": np.array([2, 3], np.int64)}, opset=18)
case("flatten_axis2", [N("Flatten", ["x"], ["y"], axis=2)], [1, 2, 3, 4], batch=1)

# ---- storage forms ------------------------------------------------------------------------------
w16 = rnd(4, 3)
case("initializer_float16_typed", [N("Cast", ["w"], ["wf"], to=TensorProto.FLOAT), N("MatMul", ["x", "wf"], ["y"])],
     ["N", 4], {"w": helper.make_tensor("w", TensorProto.FLOAT16, [4, 3], w16.astype(np.float16).view(np.uint16).astype(np.int32).tolist())})
case("initializer_float16_raw", [N("Cast", ["w"], ["wf"], to=TensorProto.FLOAT), N("MatMul", ["x", "wf"], ["y"])],
     ["N", 4], {"w": numpy_helper.from_array(w16.astype(np.float16), "w")})
case("initializer_double_int8", [
    N("Cast", ["wd"], ["w"], to=TensorProto.FLOAT), N("Cast", ["q"], ["qf"], to=TensorProto.FLOAT),
    N("MatMul", ["x", "w"], ["m"]), N("Add", ["m", "qf"], ["y"])],
     ["N", 4], {"wd": rnd(4, 3).astype(np.float64), "q": np.array([-7, 3, 127], np.int8)})
case("initializer_typed_float", [N("Gemm", ["x", "w", "b"], ["y"], transB=1)], ["N", 3],
     {"w": helper.make_tensor("w", TensorProto.FLOAT, [2, 3], rnd(2, 3).ravel().tolist()),
      "b": helper.make_tensor("b", TensorProto.FLOAT, [2], rnd(2).tolist())})
case("constant_nodes", [
    N("Constant", [], ["s"], value_float=2.5), N("Constant", [], ["shape"], value_ints=[-1, 6]),
    N("Constant", [], ["t"], value=numpy_helper.from_array(rnd(6), "t")),
    N("Mul", ["x", "s"], ["a"]), N("Reshape", ["a", "shape"], ["r"]), N("Add", ["r", "t"], ["y"])],
     ["N", 2, 3])
case("identity_dropout", [N("Identity", ["x"], ["a"]), N("Dropout", ["a", "ratio"], ["b"]), N("Relu", ["b"], ["y"])],
     ["N", 5], {"ratio": np.array(0.3, np.float32)})
case("external_data", [N("Gemm", ["x", "w", "b"], ["y"], transB=1)], ["N", 6], {"w": rnd(4, 6), "b": rnd(4)}, external=True)
