//! One converter per ONNX op (`convert(&mut NodeCtx)`), registered in `../registry.rs`.

pub mod add;
pub mod average_pool;
pub mod batch_normalization;
pub mod bipolar_quant;
pub mod cast;
pub mod channels_last;
pub mod clip;
pub mod concat;
pub mod constant;
pub mod constant_of_shape;
pub mod conv;
pub mod dequantize_linear;
pub mod div;
pub mod dropout;
pub mod flatten;
pub mod gather;
pub mod gemm;
pub mod global_average_pool;
pub mod global_max_pool;
pub mod hard_sigmoid;
pub mod hard_swish;
pub mod identity;
pub mod leaky_relu;
pub mod matmul;
pub mod max_pool;
pub mod mul;
pub mod pad;
pub mod quant;
pub mod quantize_linear;
pub mod reduce_mean;
pub mod relu;
pub mod reshape;
pub mod resize;
pub mod selu;
pub mod shape;
pub mod sigmoid;
pub mod softmax;
pub mod squeeze;
pub mod sub;
pub mod tanh;
pub mod transpose;
pub mod unsqueeze;

use super::context::{NodeCtx, Sym, Value};
use crate::error::CompileError;
use crate::ir::ops::window::{resolve_auto_pad, AutoPad, Window};
use crate::ir::{normalize_axis, Op, Shape, TensorData};
use ndarray::ArrayD;
use petgraph::stable_graph::NodeIndex;

pub(crate) type R = Result<(), CompileError>;

/// Emits a one-input op on input 0.
pub(crate) fn unary(c: &mut NodeCtx, op: impl Into<Op>) -> R {
    let x = c.data(0)?;
    c.emit(op, &[x])?;
    Ok(())
}

/// Reads strides, dilations, pads and auto_pad for a window of `kernel` over input `x`.
pub(crate) fn window(
    c: &NodeCtx,
    x: &Shape,
    kernel: Vec<usize>,
    ceil_mode: bool,
) -> Result<Window, CompileError> {
    let n = kernel.len();
    if n == 0 || n > 2 {
        return Err(c.unsupported(format!(
            "{n}-D windows are not supported (1-D and 2-D only)"
        )));
    }
    let read =
        |name: &'static str, default: usize, len: usize| -> Result<Vec<usize>, CompileError> {
            match c.attr_ints(name)? {
                Some(v) if v.len() == len => c.usizes(name, &v),
                Some(v) => Err(c.attr_err(name, format!("has {} values, expected {len}", v.len()))),
                None => Ok(vec![default; len]),
            }
        };
    let strides = read("strides", 1, n)?;
    let dilations = read("dilations", 1, n)?;
    let mut pads = read("pads", 0, 2 * n)?;
    if x.rank() != n + 2 {
        return Err(c.shape_err(format!(
            "{n}-D window needs a rank-{} input, got {x}",
            n + 2
        )));
    }
    let auto = c.attr_s("auto_pad")?.unwrap_or_else(|| "NOTSET".into());
    let mode = match auto.as_str() {
        "NOTSET" | "" => None,
        "SAME_UPPER" => Some(AutoPad::SameUpper),
        "SAME_LOWER" => Some(AutoPad::SameLower),
        "VALID" => Some(AutoPad::Valid),
        other => return Err(c.attr_err("auto_pad", format!("unknown mode '{other}'"))),
    };
    if let Some(mode) = mode {
        let spatial: Vec<usize> = (2..n + 2)
            .map(|a| x.fixed_dim(a))
            .collect::<Result<_, _>>()
            .map_err(|e| c.shape_err(e))?;
        pads = resolve_auto_pad(mode, &spatial, &kernel, &strides, &dilations)
            .map_err(|e| c.attr_err("auto_pad", e))?;
    }
    let w = Window {
        kernel,
        strides,
        dilations,
        pads,
        ceil_mode,
    };
    w.validate().map_err(|e| c.attr_err("kernel_shape", e))?;
    Ok(w)
}

/// `kernel_shape` attribute (required for pools).
pub(crate) fn kernel_attr(c: &NodeCtx) -> Result<Vec<usize>, CompileError> {
    let k = c
        .attr_ints("kernel_shape")?
        .ok_or_else(|| c.attr_err("kernel_shape", "missing"))?;
    c.usizes("kernel_shape", &k)
}

/// Sorted, distinct, normalized axes.
pub(crate) fn axes(
    c: &NodeCtx,
    attr: &'static str,
    v: &[i64],
    rank: usize,
) -> Result<Vec<usize>, CompileError> {
    let mut out: Vec<usize> = v
        .iter()
        .map(|&a| normalize_axis(a, rank))
        .collect::<Result<_, _>>()
        .map_err(|e| c.attr_err(attr, e))?;
    out.sort();
    out.dedup();
    if out.len() != v.len() {
        return Err(c.attr_err(attr, format!("repeated axis in {v:?}")));
    }
    Ok(out)
}

/// Axes from the attribute (before `input_from_opset`) or from input 1 (from it on).
pub(crate) fn axes_attr_or_input(
    c: &NodeCtx,
    input_from_opset: i64,
) -> Result<Option<Vec<i64>>, CompileError> {
    if c.opset() < input_from_opset {
        c.attr_ints("axes")
    } else if c.has(1) {
        Ok(Some(c.ints(1)?))
    } else {
        Ok(None)
    }
}

/// Element-wise arithmetic: integer shape values are folded here, float data goes to the graph.
pub(crate) fn binary(c: &mut NodeCtx, op: impl Into<Op>, f: fn(i64, i64) -> Option<i64>) -> R {
    let ints = (c.value(0)?.syms(), c.value(1)?.syms());
    if let (Some(a), Some(b)) = ints {
        let (av, bv) = (sym_ints(c, &a.v)?, sym_ints(c, &b.v)?);
        let n = av.len().max(bv.len());
        if (av.len() != n && av.len() != 1) || (bv.len() != n && bv.len() != 1) {
            return Err(c.shape_err("integer operands do not broadcast"));
        }
        let v: Option<Vec<Sym>> = (0..n)
            .map(|i| {
                f(
                    av[if av.len() == 1 { 0 } else { i }],
                    bv[if bv.len() == 1 { 0 } else { i }],
                )
                .map(Sym::Int)
            })
            .collect();
        let v =
            v.ok_or_else(|| c.unsupported("integer arithmetic overflows or divides by zero"))?;
        c.define(Value::from_syms(a.scalar && b.scalar, v));
        return Ok(());
    }
    let (a, b) = (c.data(0)?, legacy_broadcast_operand(c)?);
    c.emit(op, &[a, b])?;
    Ok(())
}

/// Operand B of Add/Sub/Mul/Div. Before opset 7, `broadcast = 1` with `axis` aligns B's shape with
/// A's at `axis`; numpy broadcasting aligns at the end, so a constant B gets trailing 1-sized axes.
fn legacy_broadcast_operand(c: &mut NodeCtx) -> Result<NodeIndex, CompileError> {
    if c.opset() >= 7 || !c.attr_bool("broadcast", false)? {
        return c.data(1);
    }
    let (ra, rb) = (c.shape(0)?.rank() as i64, c.shape(1)?.rank() as i64);
    let axis = c.attr_i("axis", ra - rb)?;
    let trailing = ra - axis - rb;
    if axis < 0 || trailing < 0 {
        return Err(c.attr_err(
            "axis",
            format!("{axis} does not align a rank-{rb} B inside a rank-{ra} A"),
        ));
    }
    if trailing == 0 {
        return c.data(1);
    }
    let data = match c.value(1)? {
        Value::Const(TensorData::F32(a)) => a.clone(),
        _ => {
            return Err(c.attr_err(
                "axis",
                "legacy broadcasting at an axis (opset < 7) is supported for a constant B only",
            ))
        }
    };
    let mut dims = data.shape().to_vec();
    dims.extend(std::iter::repeat_n(1, trailing as usize));
    let reshaped = data
        .into_shape_with_order(ndarray::IxDyn(&dims))
        .map_err(|e| c.shape_err(e.to_string()))?;
    let tensor = format!("{}#axis{axis}", c.node.input[1]);
    c.l.values
        .insert(tensor.clone(), Value::Const(TensorData::F32(reshaped)));
    c.l.materialize(&tensor, &c.name.clone())
}

fn sym_ints(c: &NodeCtx, v: &[Sym]) -> Result<Vec<i64>, CompileError> {
    v.iter()
        .map(|s| match s {
            Sym::Int(i) => Ok(*i),
            Sym::Batch => Err(c.unsupported("arithmetic on the symbolic batch size")),
        })
        .collect()
}

pub(crate) fn i64_array(dims: &[usize], v: Vec<i64>) -> Option<TensorData> {
    ArrayD::from_shape_vec(ndarray::IxDyn(dims), v)
        .ok()
        .map(TensorData::I64)
}
