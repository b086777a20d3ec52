//! Decoding and validating a compiled model: every number of the file is checked before a kernel
//! config is built from it, and every kernel config's own checks (accumulators, windows, storage)
//! run at load time. Errors name the layer or tensor.

use std::path::Path;

use prost::Message;

use super::error::{LayerRef, ModelError};
use super::format::{self, layer::Kernel, ModelProto, OverflowProto, RoundingProto, TypeProto};
use super::index::{for_each_index, strides};
use super::interp::Slots;
use super::{ConcatPart, Exec, Gather, Layer, Model, TensorInfo, PAD};
use crate::fixed::Requant;
use crate::ops::affine::{AffineConfig, AffineTypes};
use crate::ops::average_pool::{AveragePoolConfig, AvgTypes};
use crate::ops::binary::{BinaryConfig, BinaryOp, Operand};
use crate::ops::clip::ClipConfig;
use crate::ops::conv1d::Conv1dConfig;
use crate::ops::conv1d_shift_add::Conv1dShiftAddConfig;
use crate::ops::conv2d::Conv2dConfig;
use crate::ops::conv2d_shift_add::Conv2dShiftAddConfig;
use crate::ops::dense::DenseConfig;
use crate::ops::dense_shift_add::DenseShiftAddConfig;
use crate::ops::global_average_pool::GlobalAveragePoolConfig;
use crate::ops::global_max_pool::GlobalMaxPoolConfig;
use crate::ops::hard_sigmoid::{HardParams, HardSigmoidConfig};
use crate::ops::hard_swish::HardSwishConfig;
use crate::ops::leaky_relu::LeakyReluConfig;
use crate::ops::lut::{LutConfig, LutTable};
use crate::ops::max_pool::MaxPoolConfig;
use crate::ops::relu::ReluConfig;
use crate::ops::softmax::{SoftmaxConfig, SoftmaxTypes};
use crate::ops::{MacTypes, Window2};
use crate::{FixedType, Overflow, Rounding};

/// Largest tensor, in elements per sample.
pub const MAX_TENSOR: usize = 1 << 26;
/// Largest sum of all tensors of a model, in elements per sample (one workspace).
pub const MAX_WORKSPACE: usize = 1 << 27;
/// Integer bits a type may have, either way (`|I| <= MAX_INT_BITS`).
pub const MAX_INT_BITS: i32 = 256;

impl From<FixedType> for TypeProto {
    fn from(t: FixedType) -> TypeProto {
        let rounding = match t.rounding() {
            Rounding::Trn => RoundingProto::Trn,
            Rounding::TrnZero => RoundingProto::TrnZero,
            Rounding::Rnd => RoundingProto::Rnd,
            Rounding::RndZero => RoundingProto::RndZero,
            Rounding::RndMinInf => RoundingProto::RndMinInf,
            Rounding::RndInf => RoundingProto::RndInf,
            Rounding::RndConv => RoundingProto::RndConv,
        };
        let overflow = match t.overflow() {
            Overflow::Wrap => OverflowProto::Wrap,
            Overflow::Sat => OverflowProto::Sat,
            Overflow::SatZero => OverflowProto::SatZero,
            Overflow::SatSym => OverflowProto::SatSym,
            Overflow::WrapSm => OverflowProto::WrapSm,
        };
        TypeProto {
            signed: t.is_signed(),
            width: t.width(),
            int_bits: t.int_bits(),
            rounding: rounding as i32,
            overflow: overflow as i32,
            sat_bits: t.sat_bits(),
        }
    }
}

impl TypeProto {
    /// The type, checked: `1 <= W <= 64`, `|I| <= 256`, known modes, `N <= W`, and raw values
    /// that fit an `i64` (so `ap_ufixed<64, ..>` is refused).
    pub fn to_fixed(&self) -> Result<FixedType, String> {
        self.decode(false)
    }

    /// An accumulator type of a multiply-accumulate layer: as [`TypeProto::to_fixed`], up to
    /// 128 bits (raw values that fit an `i128`; the kernels compute in `i128` beyond 64 bits).
    pub fn to_accum_fixed(&self) -> Result<FixedType, String> {
        self.decode(true)
    }

    fn decode(&self, wide: bool) -> Result<FixedType, String> {
        let rounding = match RoundingProto::try_from(self.rounding) {
            Ok(RoundingProto::Trn) => Rounding::Trn,
            Ok(RoundingProto::TrnZero) => Rounding::TrnZero,
            Ok(RoundingProto::Rnd) => Rounding::Rnd,
            Ok(RoundingProto::RndZero) => Rounding::RndZero,
            Ok(RoundingProto::RndMinInf) => Rounding::RndMinInf,
            Ok(RoundingProto::RndInf) => Rounding::RndInf,
            Ok(RoundingProto::RndConv) => Rounding::RndConv,
            Err(_) => return Err(format!("unknown rounding mode {}", self.rounding)),
        };
        let overflow = match OverflowProto::try_from(self.overflow) {
            Ok(OverflowProto::Wrap) => Overflow::Wrap,
            Ok(OverflowProto::Sat) => Overflow::Sat,
            Ok(OverflowProto::SatZero) => Overflow::SatZero,
            Ok(OverflowProto::SatSym) => Overflow::SatSym,
            Ok(OverflowProto::WrapSm) => Overflow::WrapSm,
            Err(_) => return Err(format!("unknown overflow mode {}", self.overflow)),
        };
        if self.int_bits.unsigned_abs() > MAX_INT_BITS as u32 {
            return Err(format!(
                "{} integer bits (at most {MAX_INT_BITS} either way)",
                self.int_bits
            ));
        }
        let make = if wide {
            FixedType::wide
        } else {
            FixedType::new
        };
        let ty = make(
            self.signed,
            self.width,
            self.int_bits,
            rounding,
            overflow,
            self.sat_bits,
        )
        .map_err(|e| e.to_string())?;
        if !wide && !self.signed && self.width >= 64 {
            return Err(format!("{ty}: raw values do not fit 64-bit integers"));
        }
        Ok(ty)
    }
}

impl Model {
    /// Reads and validates `path` (a `model.bpm`).
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Model::from_bytes(&bytes)
    }

    /// Decodes and validates an encoded [`ModelProto`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let proto = ModelProto::decode(bytes).map_err(|e| ModelError::Decode(e.to_string()))?;
        Model::from_proto(&proto)
    }

    /// Validates a [`ModelProto`] and builds every layer's kernel config.
    pub fn from_proto(p: &ModelProto) -> Result<Model, ModelError> {
        if p.magic != format::MAGIC {
            return Err(ModelError::Decode(format!(
                "magic is {:?}, expected {:?}",
                truncate(&p.magic),
                format::MAGIC
            )));
        }
        if p.version != format::VERSION {
            return Err(ModelError::Version {
                found: p.version,
                supported: format::VERSION,
            });
        }
        let tensors = tensors(p)?;
        let model_err = ModelError::Model;
        let id = |what: &str, v: u32| -> Result<usize, ModelError> {
            let i = v as usize;
            if i < tensors.len() {
                Ok(i)
            } else {
                Err(model_err(format!(
                    "{what} refers to tensor {v}, but there are {}",
                    tensors.len()
                )))
            }
        };
        if p.inputs.is_empty() || p.outputs.is_empty() {
            return Err(model_err("needs at least one input and one output".into()));
        }
        let inputs = p
            .inputs
            .iter()
            .map(|&v| id("an input", v))
            .collect::<Result<Vec<_>, _>>()?;
        let outputs = p
            .outputs
            .iter()
            .map(|&v| id("an output", v))
            .collect::<Result<Vec<_>, _>>()?;
        let mut defined = vec![false; tensors.len()];
        for &i in &inputs {
            if std::mem::replace(&mut defined[i], true) {
                return Err(model_err(format!(
                    "tensor {i} '{}' is listed twice as an input",
                    tensors[i].name
                )));
            }
        }
        let mut layers = Vec::with_capacity(p.layers.len());
        for (index, l) in p.layers.iter().enumerate() {
            let at = LayerRef {
                index,
                name: &l.name,
                op: &l.op,
            };
            let ins = l
                .inputs
                .iter()
                .map(|&v| {
                    let i = v as usize;
                    match defined.get(i) {
                        Some(true) => Ok(i),
                        Some(false) => Err(at.err(format!(
                            "reads tensor {i} '{}' before any layer writes it",
                            tensors[i].name
                        ))),
                        None => Err(at.err(format!("reads tensor {v}, which does not exist"))),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = l.output as usize;
            match defined.get(out) {
                None => return Err(at.err(format!("writes tensor {out}, which does not exist"))),
                Some(true) => {
                    return Err(at.err(format!(
                        "writes tensor {out} '{}', which is already written",
                        tensors[out].name
                    )))
                }
                Some(false) => defined[out] = true,
            }
            let kernel = l.kernel.as_ref().ok_or_else(|| at.err("has no kernel"))?;
            let exec = build(at, kernel, &ins, out, &tensors)?;
            layers.push(Layer {
                name: l.name.clone(),
                op: l.op.clone(),
                inputs: ins,
                output: out,
                kernel: kernel.stem(),
                exec,
            });
        }
        for &o in &outputs {
            if !defined[o] {
                return Err(model_err(format!(
                    "output tensor {o} '{}' is never written",
                    tensors[o].name
                )));
            }
        }
        let steps: Vec<(&[usize], usize)> = layers
            .iter()
            .map(|l| (l.inputs.as_slice(), l.output))
            .collect();
        let slots = Slots::plan(&tensors, &inputs, &outputs, &steps);
        Ok(Model {
            name: p.name.clone(),
            source: p.source.clone(),
            float_model: p.float_model.clone(),
            precision: p.precision.clone(),
            ranges: p.ranges.clone(),
            tensors,
            inputs,
            outputs,
            layers,
            slots,
            proto: p.clone(),
        })
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn tensors(p: &ModelProto) -> Result<Vec<TensorInfo>, ModelError> {
    let mut total = 0usize;
    let mut out = Vec::with_capacity(p.tensors.len());
    for (index, t) in p.tensors.iter().enumerate() {
        let err = |reason: String| ModelError::Tensor {
            index,
            name: t.name.clone(),
            reason,
        };
        let ty =
            t.ty.as_ref()
                .ok_or_else(|| err("has no type".into()))?
                .to_fixed()
                .map_err(&err)?;
        let mut len = 1usize;
        let mut shape = Vec::with_capacity(t.shape.len());
        for &d in &t.shape {
            let d = usize::try_from(d)
                .ok()
                .filter(|&d| d > 0 && d <= MAX_TENSOR)
                .ok_or_else(|| err(format!("dimension {d} outside 1..={MAX_TENSOR}")))?;
            len = len
                .checked_mul(d)
                .filter(|&l| l <= MAX_TENSOR)
                .ok_or_else(|| err(format!("more than {MAX_TENSOR} elements per sample")))?;
            shape.push(d);
        }
        total = total.saturating_add(len);
        if total > MAX_WORKSPACE {
            return Err(err(format!(
                "the tensors hold more than {MAX_WORKSPACE} elements per sample"
            )));
        }
        out.push(TensorInfo {
            name: t.name.clone(),
            shape,
            ty,
            len,
        });
    }
    Ok(out)
}

/// What building one layer sees.
struct Ctx<'a> {
    at: LayerRef<'a>,
    ins: &'a [usize],
    out: usize,
    tensors: &'a [TensorInfo],
}

impl Ctx<'_> {
    fn err(&self, reason: impl std::fmt::Display) -> ModelError {
        self.at.err(reason)
    }

    /// Input `k`'s tensor.
    fn input(&self, k: usize) -> Result<&TensorInfo, ModelError> {
        self.ins
            .get(k)
            .map(|&i| &self.tensors[i])
            .ok_or_else(|| self.err(format!("needs input {k}, has {}", self.ins.len())))
    }

    fn output(&self) -> &TensorInfo {
        &self.tensors[self.out]
    }

    fn arity(&self, n: usize) -> Result<(), ModelError> {
        if self.ins.len() == n {
            Ok(())
        } else {
            Err(self.err(format!("takes {n} data input(s), has {}", self.ins.len())))
        }
    }

    fn ty(&self, what: &str, t: &Option<TypeProto>) -> Result<FixedType, ModelError> {
        t.as_ref()
            .ok_or_else(|| self.err(format!("{what}: missing")))?
            .to_fixed()
            .map_err(|r| self.err(format!("{what}: {r}")))
    }

    /// The accumulator type of a multiply-accumulate layer (up to 128 bits).
    fn accum_ty(&self, t: &Option<TypeProto>) -> Result<FixedType, ModelError> {
        let what = "accumulator type";
        t.as_ref()
            .ok_or_else(|| self.err(format!("{what}: missing")))?
            .to_accum_fixed()
            .map_err(|r| self.err(format!("{what}: {r}")))
    }

    fn size(&self, what: &str, v: u64) -> Result<usize, ModelError> {
        usize::try_from(v)
            .ok()
            .filter(|&v| v > 0 && v <= MAX_TENSOR)
            .ok_or_else(|| self.err(format!("{what} {v} outside 1..={MAX_TENSOR}")))
    }

    /// `values` has `len` raw values of `ty`.
    fn raws(
        &self,
        what: &str,
        values: &[i64],
        len: usize,
        ty: FixedType,
    ) -> Result<(), ModelError> {
        if values.len() != len {
            return Err(self.err(format!("{what}: {} values, expected {len}", values.len())));
        }
        let (lo, hi) = (ty.min_raw(), ty.max_raw());
        if let Some((i, v)) = values
            .iter()
            .enumerate()
            .find(|(_, &v)| i128::from(v) < lo || i128::from(v) > hi)
        {
            return Err(self.err(format!(
                "{what}: value {i} = {v} is not a raw value of {ty}"
            )));
        }
        Ok(())
    }

    fn len_is(&self, what: &str, t: &TensorInfo, len: usize) -> Result<(), ModelError> {
        if t.len == len {
            Ok(())
        } else {
            Err(self.err(format!(
                "{what} '{}' has {} values {:?}, the kernel needs {len}",
                t.name, t.len, t.shape
            )))
        }
    }

    /// A unary element-wise layer: one input, same element count in and out.
    fn unary(&self) -> Result<(usize, FixedType, FixedType), ModelError> {
        self.arity(1)?;
        let x = self.input(0)?;
        let y = self.output();
        self.len_is("output", y, x.len)?;
        Ok((x.len, x.ty, y.ty))
    }

    fn window(&self, w: &Option<format::WindowProto>) -> Result<Window2, ModelError> {
        let w = w.as_ref().ok_or_else(|| self.err("window: missing"))?;
        let u = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        Window2::new(
            [u(w.in_h), u(w.in_w)],
            [u(w.kernel_h), u(w.kernel_w)],
            [u(w.stride_h), u(w.stride_w)],
            [u(w.dilation_h), u(w.dilation_w)],
            [u(w.pad_top), u(w.pad_left), u(w.pad_bottom), u(w.pad_right)],
            w.ceil_mode,
        )
        .map_err(|r| self.err(format!("window: {r}")))
    }

    /// Checks `[c][in_h][in_w] → [c'][out_h][out_w]` element counts against the tensors.
    fn planes(&self, win: &Window2, c_in: usize, c_out: usize) -> Result<(), ModelError> {
        let n_in = [c_in, win.in_h, win.in_w]
            .iter()
            .try_fold(1usize, |a, &b| a.checked_mul(b));
        let n_out = [c_out, win.out_h, win.out_w]
            .iter()
            .try_fold(1usize, |a, &b| a.checked_mul(b));
        let too_big = || self.err("window planes overflow");
        self.len_is("input", self.input(0)?, n_in.ok_or_else(too_big)?)?;
        self.len_is("output", self.output(), n_out.ok_or_else(too_big)?)
    }
}

fn op_err<'a>(ctx: &'a Ctx<'a>) -> impl Fn(crate::ops::OpError) -> ModelError + 'a {
    move |e| ctx.err(e)
}

/// The bias of a MAC layer: its type and raw values, or raw zeros of `ap_ufixed<1, 1-F_acc>`
/// (a type that adds nothing to the accumulator's worst case) when the layer has none.
fn mac_bias(
    ctx: &Ctx<'_>,
    ty: &Option<TypeProto>,
    values: &[i64],
    n: usize,
    accum: FixedType,
) -> Result<(FixedType, Vec<i64>), ModelError> {
    match ty {
        Some(t) => {
            let t = t
                .to_fixed()
                .map_err(|r| ctx.err(format!("bias type: {r}")))?;
            ctx.raws("bias", values, n, t)?;
            Ok((t, values.to_vec()))
        }
        None => {
            if !values.is_empty() {
                return Err(ctx.err("bias values without a bias type"));
            }
            let t = crate::ops::MacTypes::absent_bias(accum).map_err(|e| ctx.err(e))?;
            Ok((t, vec![0; n]))
        }
    }
}

fn build(
    at: LayerRef<'_>,
    kernel: &Kernel,
    ins: &[usize],
    out: usize,
    tensors: &[TensorInfo],
) -> Result<Exec, ModelError> {
    let ctx = Ctx {
        at,
        ins,
        out,
        tensors,
    };
    let ctx = &ctx;
    let oe = op_err(ctx);
    Ok(match kernel {
        Kernel::Dense(d) => {
            ctx.arity(1)?;
            let n_in = ctx.size("n_in", d.n_in)?;
            let n_out = ctx.size("n_out", d.n_out)?;
            ctx.len_is("input", ctx.input(0)?, n_in)?;
            ctx.len_is("output", ctx.output(), n_out)?;
            let weight = ctx.ty("weight type", &d.weight_type)?;
            let accum = ctx.accum_ty(&d.accum_type)?;
            let n_w = n_in
                .checked_mul(n_out)
                .ok_or_else(|| ctx.err("weights overflow"))?;
            ctx.raws("weights", &d.weights, n_w, weight)?;
            let (bias, b) = mac_bias(ctx, &d.bias_type, &d.bias, n_out, accum)?;
            let types = MacTypes {
                input: ctx.input(0)?.ty,
                weight,
                bias,
                accum,
                output: ctx.output().ty,
            };
            let cfg = DenseConfig::new(n_in, n_out, types).map_err(&oe)?;
            if d.khot > 0 {
                Exec::DenseShiftAdd {
                    cfg: DenseShiftAddConfig::new(cfg, d.khot, &d.weights).map_err(&oe)?,
                    b,
                }
            } else {
                Exec::Dense {
                    w: cfg.pack(&d.weights).map_err(&oe)?,
                    cfg,
                    b,
                }
            }
        }
        Kernel::Conv(c) => {
            ctx.arity(1)?;
            let c_in = ctx.size("in_channels", c.in_channels)?;
            let c_out = ctx.size("out_channels", c.out_channels)?;
            let groups = ctx.size("groups", c.groups)?;
            let win = ctx.window(&c.window)?;
            ctx.planes(&win, c_in, c_out)?;
            let weight = ctx.ty("weight type", &c.weight_type)?;
            let accum = ctx.accum_ty(&c.accum_type)?;
            if c_in % groups != 0 {
                return Err(ctx.err(format!("groups {groups} do not divide {c_in} channels")));
            }
            let n_w = [c_out, c_in / groups, win.kernel_h, win.kernel_w]
                .iter()
                .try_fold(1usize, |a, &b| a.checked_mul(b))
                .ok_or_else(|| ctx.err("weights overflow"))?;
            ctx.raws("weights", &c.weights, n_w, weight)?;
            let (bias, b) = mac_bias(ctx, &c.bias_type, &c.bias, c_out, accum)?;
            let types = MacTypes {
                input: ctx.input(0)?.ty,
                weight,
                bias,
                accum,
                output: ctx.output().ty,
            };
            match (c.rank, c.khot) {
                (1, k) if k > 0 => {
                    let cfg = Conv1dConfig::new(c_in, c_out, groups, win, types).map_err(&oe)?;
                    Exec::Conv1dShiftAdd {
                        cfg: Conv1dShiftAddConfig::new(cfg, k, &c.weights).map_err(&oe)?,
                        b,
                    }
                }
                (2, k) if k > 0 => {
                    let cfg = Conv2dConfig::new(c_in, c_out, groups, win, types).map_err(&oe)?;
                    Exec::Conv2dShiftAdd {
                        cfg: Conv2dShiftAddConfig::new(cfg, k, &c.weights).map_err(&oe)?,
                        b,
                    }
                }
                (1, _) => {
                    let cfg = Conv1dConfig::new(c_in, c_out, groups, win, types).map_err(&oe)?;
                    let w = cfg.pack(&c.weights).map_err(&oe)?;
                    Exec::Conv1d { cfg, w, b }
                }
                (2, _) => {
                    let cfg = Conv2dConfig::new(c_in, c_out, groups, win, types).map_err(&oe)?;
                    let w = cfg.pack(&c.weights).map_err(&oe)?;
                    Exec::Conv2d { cfg, w, b }
                }
                (r, _) => return Err(ctx.err(format!("{r}-D convolution (1-D and 2-D only)"))),
            }
        }
        Kernel::MaxPool(m) => {
            ctx.arity(1)?;
            let c = ctx.size("channels", m.channels)?;
            let win = ctx.window(&m.window)?;
            ctx.planes(&win, c, c)?;
            Exec::MaxPool(
                MaxPoolConfig::new(c, win, ctx.input(0)?.ty, ctx.output().ty).map_err(&oe)?,
            )
        }
        Kernel::AveragePool(a) => {
            ctx.arity(1)?;
            let c = ctx.size("channels", a.channels)?;
            let win = ctx.window(&a.window)?;
            ctx.planes(&win, c, c)?;
            let types = AvgTypes {
                input: ctx.input(0)?.ty,
                accum: ctx.ty("accumulator type", &a.accum_type)?,
                recip: ctx.ty("reciprocal type", &a.recip_type)?,
                output: ctx.output().ty,
            };
            Exec::AveragePool(
                AveragePoolConfig::new(c, win, a.count_include_pad, types).map_err(&oe)?,
            )
        }
        Kernel::GlobalMaxPool(g) => {
            ctx.arity(1)?;
            let (c, n) = (ctx.size("channels", g.channels)?, ctx.size("size", g.size)?);
            let len = c.checked_mul(n).ok_or_else(|| ctx.err("size overflows"))?;
            ctx.len_is("input", ctx.input(0)?, len)?;
            ctx.len_is("output", ctx.output(), c)?;
            Exec::GlobalMaxPool(
                GlobalMaxPoolConfig::new(c, n, ctx.input(0)?.ty, ctx.output().ty).map_err(&oe)?,
            )
        }
        Kernel::GlobalAveragePool(g) => {
            ctx.arity(1)?;
            let (c, n) = (ctx.size("channels", g.channels)?, ctx.size("size", g.size)?);
            let len = c.checked_mul(n).ok_or_else(|| ctx.err("size overflows"))?;
            ctx.len_is("input", ctx.input(0)?, len)?;
            ctx.len_is("output", ctx.output(), c)?;
            let types = AvgTypes {
                input: ctx.input(0)?.ty,
                accum: ctx.ty("accumulator type", &g.accum_type)?,
                recip: ctx.ty("reciprocal type", &g.recip_type)?,
                output: ctx.output().ty,
            };
            Exec::GlobalAveragePool(GlobalAveragePoolConfig::new(c, n, types).map_err(&oe)?)
        }
        Kernel::Affine(a) => {
            ctx.arity(1)?;
            let (c, n) = (ctx.size("channels", a.channels)?, ctx.size("size", a.size)?);
            let len = c.checked_mul(n).ok_or_else(|| ctx.err("size overflows"))?;
            ctx.len_is("input", ctx.input(0)?, len)?;
            ctx.len_is("output", ctx.output(), len)?;
            let scale = ctx.ty("scale type", &a.scale_type)?;
            let shift = ctx.ty("shift type", &a.shift_type)?;
            ctx.raws("scale", &a.scale, c, scale)?;
            ctx.raws("shift", &a.shift, c, shift)?;
            let types = AffineTypes {
                input: ctx.input(0)?.ty,
                scale,
                shift,
                output: ctx.output().ty,
            };
            Exec::Affine {
                cfg: AffineConfig::new(c, n, types).map_err(&oe)?,
                scale: a.scale.clone(),
                shift: a.shift.clone(),
            }
        }
        Kernel::Binary(b) => {
            let op = match format::BinaryOpProto::try_from(b.op) {
                Ok(format::BinaryOpProto::Add) => BinaryOp::Add,
                Ok(format::BinaryOpProto::Sub) => BinaryOp::Sub,
                Ok(format::BinaryOpProto::Mul) => BinaryOp::Mul,
                Err(_) => return Err(ctx.err(format!("unknown element-wise op {}", b.op))),
            };
            let (c, n) = (ctx.size("channels", b.channels)?, ctx.size("size", b.size)?);
            let len = c.checked_mul(n).ok_or_else(|| ctx.err("size overflows"))?;
            ctx.len_is("output", ctx.output(), len)?;
            let mut next = 0;
            let mut operand = |which: &str,
                               o: &Option<format::OperandProto>|
             -> Result<(Operand, Option<Vec<i64>>), ModelError> {
                let o = o
                    .as_ref()
                    .ok_or_else(|| ctx.err(format!("operand {which}: missing")))?;
                let olen = ctx.size(&format!("operand {which} length"), o.len)?;
                let stride = |s: u64| usize::try_from(s).ok().filter(|&s| s <= MAX_TENSOR);
                let (Some(stride_c), Some(stride_i)) = (stride(o.stride_c), stride(o.stride_i))
                else {
                    return Err(ctx.err(format!("operand {which}: strides too large")));
                };
                let (ty, data) = match &o.constant {
                    Some(k) => {
                        let ty = ctx.ty(&format!("operand {which} type"), &k.ty)?;
                        ctx.raws(&format!("operand {which}"), &k.values, olen, ty)?;
                        (ty, Some(k.values.clone()))
                    }
                    None => {
                        let t = ctx.input(next)?;
                        next += 1;
                        ctx.len_is(&format!("operand {which}"), t, olen)?;
                        (t.ty, None)
                    }
                };
                Ok((
                    Operand {
                        ty,
                        len: olen,
                        stride_c,
                        stride_i,
                    },
                    data,
                ))
            };
            let (oa, ka) = operand("a", &b.a)?;
            let (ob, kb) = operand("b", &b.b)?;
            ctx.arity(next)?;
            let cfg = BinaryConfig::new(op, c, n, oa, ob, ctx.output().ty).map_err(&oe)?;
            Exec::Binary { cfg, a: ka, b: kb }
        }
        Kernel::Relu(_) => {
            let (n, x, y) = ctx.unary()?;
            Exec::Relu(ReluConfig::new(n, x, y).map_err(&oe)?)
        }
        Kernel::Clip(c) => {
            let (n, x, y) = ctx.unary()?;
            let bound = ctx.ty("bound type", &c.bound_type)?;
            ctx.raws("bounds", &[c.lo, c.hi], 2, bound)?;
            Exec::Clip(ClipConfig::new(n, x, bound, c.lo, c.hi, y).map_err(&oe)?)
        }
        Kernel::LeakyRelu(l) => {
            let (n, x, y) = ctx.unary()?;
            let alpha = ctx.ty("alpha type", &l.alpha_type)?;
            ctx.raws("alpha", &[l.alpha], 1, alpha)?;
            Exec::LeakyRelu(LeakyReluConfig::new(n, x, alpha, l.alpha, y).map_err(&oe)?)
        }
        Kernel::HardSigmoid(h) | Kernel::HardSwish(h) => {
            let (n, x, y) = ctx.unary()?;
            let alpha_type = ctx.ty("alpha type", &h.alpha_type)?;
            let beta_type = ctx.ty("beta type", &h.beta_type)?;
            ctx.raws("alpha", &[h.alpha], 1, alpha_type)?;
            ctx.raws("beta", &[h.beta], 1, beta_type)?;
            let params = HardParams {
                alpha_type,
                alpha: h.alpha,
                beta_type,
                beta: h.beta,
            };
            if matches!(kernel, Kernel::HardSigmoid(_)) {
                Exec::HardSigmoid(HardSigmoidConfig::new(n, x, params, y).map_err(&oe)?)
            } else {
                Exec::HardSwish(HardSwishConfig::new(n, x, params, y).map_err(&oe)?)
            }
        }
        Kernel::View(_) => {
            let (_, x, y) = ctx.unary()?;
            if x != y {
                return Err(ctx.err(format!(
                    "a view keeps the raw values, but the input is {x} and the output {y}"
                )));
            }
            Exec::View
        }
        Kernel::Cast(_) => {
            let (_, x, y) = ctx.unary()?;
            Exec::Cast(Requant::new(x, y).map_err(|e| ctx.err(e))?)
        }
        Kernel::Transpose(t) => {
            let (_, x, y) = ctx.unary()?;
            same_type(ctx, x, y)?;
            let dims = &ctx.input(0)?.shape;
            let perm: Vec<usize> = t
                .perm
                .iter()
                .map(|&p| usize::try_from(p).unwrap_or(usize::MAX))
                .collect();
            let mut seen = vec![false; dims.len()];
            if perm.len() != dims.len()
                || perm
                    .iter()
                    .any(|&p| p >= dims.len() || std::mem::replace(&mut seen[p], true))
            {
                return Err(ctx.err(format!(
                    "perm {:?} is not a permutation of the {} axes of {:?}",
                    t.perm,
                    dims.len(),
                    dims
                )));
            }
            let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
            if out_dims != ctx.output().shape {
                return Err(ctx.err(format!(
                    "transposed shape {out_dims:?} differs from the output {:?}",
                    ctx.output().shape
                )));
            }
            let in_strides = strides(dims);
            let mut map = Vec::with_capacity(ctx.output().len);
            for_each_index(&out_dims, |idx| {
                map.push(
                    idx.iter()
                        .zip(&perm)
                        .map(|(&i, &p)| i * in_strides[p])
                        .sum(),
                )
            });
            Exec::Gather(Gather { map, fill: 0 })
        }
        Kernel::Pad(p) => {
            ctx.arity(1)?;
            let (x, y) = (ctx.input(0)?, ctx.output());
            same_type(ctx, x.ty, y.ty)?;
            let r = x.shape.len();
            if p.pads.len() != 2 * r {
                return Err(ctx.err(format!("{} pads for {r} axes", p.pads.len())));
            }
            let pads: Vec<usize> = p
                .pads
                .iter()
                .map(|&v| usize::try_from(v).unwrap_or(usize::MAX))
                .collect();
            let out_dims: Option<Vec<usize>> = (0..r)
                .map(|a| x.shape[a].checked_add(pads[a])?.checked_add(pads[a + r]))
                .collect();
            if out_dims.as_ref() != Some(&y.shape) {
                return Err(ctx.err(format!(
                    "{:?} padded by {:?} is not the output shape {:?}",
                    x.shape, p.pads, y.shape
                )));
            }
            ctx.raws("pad value", &[p.value], 1, x.ty)?;
            let in_strides = strides(&x.shape);
            let mut map = Vec::with_capacity(y.len);
            for_each_index(&y.shape, |idx| {
                let mut at = 0;
                for (a, &i) in idx.iter().enumerate() {
                    if i < pads[a] || i >= pads[a] + x.shape[a] {
                        map.push(PAD);
                        return;
                    }
                    at += (i - pads[a]) * in_strides[a];
                }
                map.push(at);
            });
            Exec::Gather(Gather { map, fill: p.value })
        }
        Kernel::Concat(c) => {
            if ctx.ins.is_empty() {
                return Err(ctx.err("concatenates nothing"));
            }
            let y = ctx.output();
            let r = y.shape.len();
            let axis = usize::try_from(c.axis)
                .ok()
                .filter(|&a| a < r)
                .ok_or_else(|| ctx.err(format!("axis {} of a rank-{r} output", c.axis)))?;
            let inner: usize = y.shape[axis + 1..].iter().product();
            let outer: usize = y.shape[..axis].iter().product();
            let mut total = 0usize;
            let mut parts = Vec::with_capacity(ctx.ins.len());
            for k in 0..ctx.ins.len() {
                let x = ctx.input(k)?;
                let fits =
                    x.shape.len() == r && (0..r).all(|a| a == axis || x.shape[a] == y.shape[a]);
                if !fits {
                    return Err(ctx.err(format!(
                        "input {k} {:?} does not fit the output {:?} along axis {axis}",
                        x.shape, y.shape
                    )));
                }
                total += x.shape[axis];
                parts.push(ConcatPart {
                    chunk: x.shape[axis] * inner,
                    requant: Requant::new(x.ty, y.ty).map_err(|e| ctx.err(e))?,
                });
            }
            if total != y.shape[axis] {
                return Err(ctx.err(format!(
                    "inputs add up to {total} along axis {axis}, the output has {}",
                    y.shape[axis]
                )));
            }
            Exec::Concat { outer, parts }
        }
        Kernel::Lut(t) => {
            let (n, x, y) = ctx.unary()?;
            let table = table(ctx, "table", t)?;
            if table.index != x || table.entry != y {
                return Err(ctx.err(format!(
                    "the table maps {} to {}, but the layer maps {x} to {y}",
                    table.index, table.entry
                )));
            }
            Exec::Lut(LutConfig::new(n, table).map_err(&oe)?)
        }
        Kernel::Softmax(s) => {
            let (len, x, y) = ctx.unary()?;
            let (o, l, i) = (
                ctx.size("outer", s.outer)?,
                ctx.size("len", s.len)?,
                ctx.size("inner", s.inner)?,
            );
            if o.checked_mul(l).and_then(|v| v.checked_mul(i)) != Some(len) {
                return Err(ctx.err(format!("{o}×{l}×{i} is not the {len} input values")));
            }
            let types = SoftmaxTypes {
                input: x,
                sum: ctx.ty("sum type", &s.sum_type)?,
                product: ctx.ty("product type", &s.product_type)?,
                output: y,
            };
            let exp = s
                .exp
                .as_ref()
                .ok_or_else(|| ctx.err("exp table: missing"))?;
            let inv = s
                .inv
                .as_ref()
                .ok_or_else(|| ctx.err("inv table: missing"))?;
            let (exp, inv) = (table(ctx, "exp table", exp)?, table(ctx, "inv table", inv)?);
            Exec::Softmax(SoftmaxConfig::new(o, l, i, types, exp, inv).map_err(&oe)?)
        }
    })
}

/// A table from its proto: index and entry types, origin, shift and entries (checked by
/// [`LutTable::new`]: a power of two of raw entry values).
fn table(ctx: &Ctx<'_>, what: &str, t: &format::LutProto) -> Result<LutTable, ModelError> {
    let index = ctx.ty(&format!("{what} index type"), &t.index_type)?;
    let entry = ctx.ty(&format!("{what} entry type"), &t.entry_type)?;
    if t.entries.len() > 1 << 16 {
        return Err(ctx.err(format!(
            "{what}: {} entries (at most 65536)",
            t.entries.len()
        )));
    }
    LutTable::new(index, t.origin_raw, t.shift, entry, t.entries.clone())
        .map_err(|e| ctx.err(format!("{what}: {e}")))
}

fn same_type(ctx: &Ctx<'_>, x: FixedType, y: FixedType) -> Result<(), ModelError> {
    if x == y {
        Ok(())
    } else {
        Err(ctx.err(format!(
            "moves raw values, but the input is {x} and the output {y}"
        )))
    }
}
