//! fold-quantizers: turns the model's activation quantizers (`Quant` left after quant-weights) into
//! binpoint types, and the quantizers' scales into the layers around them, so that every tensor a
//! quantizer covers holds exactly the quantizer's integers (docs/precision.md, "Types from the
//! model"). In a graph that has quantizers (or integer weights from quant-weights), repeated until
//! nothing changes:
//! 1. `Mul`/`Add` of a per-channel constant becomes an `Affine`;
//! 2. `Affine(Affine(x))` merges into one (the inner one unused elsewhere and not typed by the model);
//! 3. `Quant(x, s)` becomes a requantization: the `Affine` that computes `x` (through a `Relu`), or a
//!    new `Affine(x, 1/s, 0)`, is divided by `s` and its output typed `ap_fixed<b,b,Q,O>` (Q from the
//!    rounding mode, O = AP_SAT, AP_SAT_SYM when narrow); the `Quant` becomes the dequantizing
//!    `Affine(s, 0)`; with a zero point `z` (QDQ) the range is shifted by `-z` and typed by the
//!    narrowest `ap_fixed<w,w>` holding it, followed by a `Clip` when it is not the type's own range;
//!    a bipolar `Quant` (BipolarQuant, a sign function) becomes a sign-bit cast
//!    and `2c + 1` ([`bipolar`]);
//! 4. a dequantizing `Affine` (one scale `s > 0` for all channels, no shift) moves past data movement,
//!    `Relu` and `Dense` (`Dense(s·x) = s·Dense(x)`), where rule 2 merges it into the next `Affine`.
//!
//! Then types: a `Dense` of integer weights on an integer tensor gets its exact integer accumulator as
//! output type; the scales and shifts of the `Affine` after it get 32-bit types (the float-scale
//! requantization), and an `Affine` whose output no quantizer types gets an exact output type.
//! A `Quant` that cannot become a type is refused naming the node and the reason.
use super::quant_weights::{integer_type, quant_err};
use super::{pass_err, CleanupOptions, Pass, MAX_REWRITES};
use crate::error::CompileError;
use crate::ir::ops::{Affine, Clip, Dense};
use crate::ir::{Graph, Op, TensorData};
use binpoint_runtime::{FixedType, Overflow, Rounding};
use ndarray::{ArrayD, IxDyn};
use petgraph::stable_graph::NodeIndex;

pub struct FoldQuantizers;

const NAME: &str = "fold-quantizers";
/// Word length of the scales and shifts of a float-scale requantization.
const REQUANT_BITS: u32 = 32;

impl Pass for FoldQuantizers {
    fn name(&self) -> &'static str {
        NAME
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        let active = !g.model_types.is_empty()
            || g.node_indices()
                .iter()
                .any(|&n| matches!(g.node(n).op, Op::Quant(_)));
        if !active {
            return Ok(false);
        }
        let mut changed = false;
        for _ in 0..MAX_REWRITES {
            if !step(g)? {
                break;
            }
            changed = true;
        }
        if let Some(q) = g
            .node_indices()
            .into_iter()
            .find(|&n| matches!(g.node(n).op, Op::Quant(_)))
        {
            let x = g.inputs_of(q)[0];
            if g.const_f32(x).is_none() {
                return Err(quant_err(g, q, "this quantizer could not become a type"));
            }
        }
        pin(g)?;
        Ok(changed)
    }
}

fn channels(g: &Graph, x: NodeIndex) -> Option<usize> {
    let s = &g.node(x).shape;
    if s.rank() < 2 {
        return None;
    }
    s.fixed_dim(1).ok()
}

/// `c` as one value per channel of a tensor of rank `rank` with `ch` channels on axis 1.
fn per_channel(c: &ArrayD<f32>, rank: usize, ch: usize) -> Option<Vec<f32>> {
    let v: Vec<f32> = c.iter().copied().collect();
    if v.len() == 1 {
        return Some(vec![v[0]; ch]);
    }
    if v.len() != ch || c.ndim() > rank {
        return None;
    }
    // Right-aligned: the channel axis of c is axis (1 - (rank - ndim)); all other axes are 1.
    let offset = rank - c.ndim();
    let axis_ok = c
        .shape()
        .iter()
        .enumerate()
        .all(|(i, &d)| d == 1 || i + offset == 1);
    axis_ok.then_some(v)
}

fn vec_const(g: &mut Graph, base: &str, v: Vec<f32>) -> Result<NodeIndex, CompileError> {
    let n = v.len();
    let a = ArrayD::from_shape_vec(IxDyn(&[n]), v).map_err(|e| pass_err(g, NAME, e.to_string()))?;
    let name = g.fresh_name(base);
    g.add_const(name, TensorData::F32(a))
}

fn affine_params(g: &Graph, n: NodeIndex) -> Option<(NodeIndex, Vec<f32>, Vec<f32>)> {
    if !matches!(g.node(n).op, Op::Affine(_)) {
        return None;
    }
    let ins = g.inputs_of(n);
    let s = g.const_f32(*ins.get(1)?)?.iter().copied().collect();
    let t = g.const_f32(*ins.get(2)?)?.iter().copied().collect();
    Some((ins[0], s, t))
}

fn set_affine(
    g: &mut Graph,
    n: NodeIndex,
    x: NodeIndex,
    s: Vec<f32>,
    t: Vec<f32>,
) -> Result<(), CompileError> {
    let base = g.node(n).name.clone();
    let sc = vec_const(g, &format!("{base}_scale"), s)?;
    let sh = vec_const(g, &format!("{base}_shift"), t)?;
    g.set_op(n, Affine, &[x, sc, sh])
}

fn pinned(g: &Graph, n: NodeIndex) -> bool {
    g.model_types.contains_key(&g.node(n).tensor)
}

fn single_use(g: &Graph, n: NodeIndex) -> Option<NodeIndex> {
    match (g.consumers(n)[..].to_vec(), g.is_output(n)) {
        (c, false) if c.len() == 1 => Some(c[0].0),
        _ => None,
    }
}

/// A dequantizing Affine: no shift, one positive scale, not typed by the model.
fn dequant_scale(g: &Graph, n: NodeIndex) -> Option<f32> {
    let (_, s, t) = affine_params(g, n)?;
    let s0 = *s.first()?;
    (!pinned(g, n) && s0 > 0.0 && s.iter().all(|&v| v == s0) && t.iter().all(|&v| v == 0.0))
        .then_some(s0)
}

/// Applies the first rewrite found; false when there is none.
fn step(g: &mut Graph) -> Result<bool, CompileError> {
    let order = g
        .topo_order()
        .map_err(|_| pass_err(g, NAME, "graph has a cycle"))?;
    for n in order {
        if g.get(n).is_none() {
            continue;
        }
        let ins = g.inputs_of(n);
        match g.node(n).op.clone() {
            // 1. Mul / Add by a per-channel constant.
            op @ (Op::Mul(_) | Op::Add(_)) => {
                let (x, c) = match (g.const_f32(ins[0]), g.const_f32(ins[1])) {
                    (None, Some(c)) => (ins[0], c.clone()),
                    (Some(c), None) => (ins[1], c.clone()),
                    _ => continue,
                };
                let (rank, Some(ch)) = (g.node(x).shape.rank(), channels(g, x)) else {
                    continue;
                };
                if g.node(n).shape != g.node(x).shape {
                    continue;
                }
                let Some(v) = per_channel(&c, rank, ch) else {
                    continue;
                };
                let (s, t) = match op {
                    Op::Mul(_) => (v, vec![0.0; ch]),
                    _ => (vec![1.0; ch], v),
                };
                set_affine(g, n, x, s, t)?;
                return Ok(true);
            }
            Op::Affine(_) => {
                // 2. Affine of an Affine.
                let Some((inner, s2, t2)) = affine_params(g, n) else {
                    continue;
                };
                if let Some((x, s1, t1)) = affine_params(g, inner) {
                    if !pinned(g, inner) && single_use(g, inner) == Some(n) {
                        let s: Vec<f32> = s1
                            .iter()
                            .zip(&s2)
                            .map(|(&a, &b)| (f64::from(a) * f64::from(b)) as f32)
                            .collect();
                        let t: Vec<f32> = t1
                            .iter()
                            .zip(&s2)
                            .zip(&t2)
                            .map(|((&a, &b), &c)| {
                                (f64::from(a) * f64::from(b) + f64::from(c)) as f32
                            })
                            .collect();
                        set_affine(g, n, x, s, t)?;
                        g.remove_node(inner);
                        return Ok(true);
                    }
                }
                // 4. A dequantizing Affine moves past its one consumer.
                if dequant_scale(g, n).is_some() && push(g, n)? {
                    return Ok(true);
                }
            }
            Op::Quant(_) if g.const_f32(ins[0]).is_none() => {
                requantize(g, n)?;
                return Ok(true);
            }
            _ => {}
        }
    }
    Ok(false)
}

/// 4: `c(D(x))` → `D'(c(x))` for data movement, Relu and Dense (bias → the shift).
fn push(g: &mut Graph, d: NodeIndex) -> Result<bool, CompileError> {
    let Some(s) = dequant_scale(g, d) else {
        return Ok(false);
    };
    let Some(c) = single_use(g, d) else {
        return Ok(false);
    };
    let x = g.inputs_of(d)[0];
    let c_ins = g.inputs_of(c);
    let movable = matches!(
        g.node(c).op,
        Op::Flatten(_)
            | Op::Reshape(_)
            | Op::Squeeze(_)
            | Op::Unsqueeze(_)
            | Op::Identity(_)
            | Op::Dropout(_)
            | Op::Relu(_)
            | Op::MaxPool(_)
    );
    let dense = matches!(g.node(c).op, Op::Dense(_)) && c_ins[0] == d;
    if !(movable || dense) {
        return Ok(false);
    }
    let mut new_ins = c_ins.clone();
    new_ins[0] = x;
    let bias = if dense && c_ins.len() > 2 {
        let b = g
            .const_f32(c_ins[2])
            .map(|b| b.iter().copied().collect::<Vec<f32>>());
        new_ins.truncate(2);
        b
    } else {
        None
    };
    let op = g.node(c).op.clone();
    if dense {
        g.set_op(c, Dense, &new_ins)?;
    } else {
        g.set_op(c, op, &new_ins)?;
    }
    let Some(ch) = channels(g, c) else {
        return Err(pass_err(
            g,
            NAME,
            "a dequantizing scale reached a tensor without channels",
        ));
    };
    let t = bias.unwrap_or_else(|| vec![0.0; ch]);
    g.replace_uses(c, d);
    set_affine(g, d, c, vec![s; ch], t)?;
    Ok(true)
}

/// 3: a Quant on a computed tensor becomes a typed requantization and a dequantizing Affine.
fn requantize(g: &mut Graph, q: NodeIndex) -> Result<(), CompileError> {
    let Op::Quant(op) = g.node(q).op.clone() else {
        return Ok(());
    };
    let ins = g.inputs_of(q);
    let x = ins[0];
    if op.bipolar() {
        return bipolar(g, q);
    }
    let rounding = op.rounding.ap_rounding().ok_or_else(|| {
        quant_err(
            g,
            q,
            format!(
                "rounding mode {} has no ap_fixed quantization mode",
                op.rounding.label()
            ),
        )
    })?;
    let (ty, clip) = if op.zero_point == 0 {
        let overflow = op.ap_overflow().ok_or_else(|| {
            quant_err(
                g,
                q,
                "an unsigned narrow range (0..2^bits-2) has no ap_fixed overflow mode",
            )
        })?;
        let ty = FixedType::new(op.signed, op.bits, op.bits as i32, rounding, overflow, 0)
            .map_err(|e| quant_err(g, q, e.to_string()))?;
        (ty, None)
    } else {
        shifted_type(&op, rounding).map_err(|e| quant_err(g, q, e))?
    };
    let (rank, Some(ch)) = (g.node(x).shape.rank(), channels(g, x)) else {
        return Err(quant_err(g, q, "the quantized tensor has no channel axis"));
    };
    let scale = g
        .const_f32(ins[1])
        .and_then(|c| per_channel(c, rank, ch))
        .ok_or_else(|| quant_err(g, q, "the scale is neither one value nor one per channel"))?;
    // The Affine that computes x (through one Relu), or a new one.
    let through_relu = matches!(g.node(x).op, Op::Relu(_)) && single_use(g, x) == Some(q);
    let cand = if through_relu { g.inputs_of(x)[0] } else { x };
    let target_use = if through_relu { x } else { q };
    let reuse = affine_params(g, cand).is_some()
        && !pinned(g, cand)
        && single_use(g, cand) == Some(target_use);
    let target = if reuse {
        cand
    } else {
        let name = g.fresh_name(&format!("{}_requant", g.node(q).name));
        let tensor = name.clone();
        let ones = vec_const(g, &format!("{name}_scale"), vec![1.0; ch])?;
        let zeros = vec_const(g, &format!("{name}_shift"), vec![0.0; ch])?;
        let a = g.add_node(name, tensor, Affine, &[x, ones, zeros])?;
        g.replace_uses(x, a);
        g.set_op(a, Affine, &[x, ones, zeros])?;
        a
    };
    let (ax, s, t) = affine_params(g, target).ok_or_else(|| pass_err(g, NAME, "lost an Affine"))?;
    let div = |v: &[f32]| -> Vec<f32> {
        v.iter()
            .zip(&scale)
            .map(|(&a, &k)| (f64::from(a) / f64::from(k)) as f32)
            .collect()
    };
    set_affine(g, target, ax, div(&s), div(&t))?;
    let tensor = g.node(target).tensor.clone();
    g.model_types.insert(tensor, ty);
    let mut qx = g.inputs_of(q)[0];
    if let Some((min, max)) = clip {
        // The shifted range inside the type: a Clip of integers, exact (0 lies in the range, so it
        // commutes with a Relu between).
        let name = g.fresh_name(&format!("{}_clip", g.node(q).name));
        let c = g.add_node(name.clone(), name.clone(), Clip { min, max }, &[qx])?;
        g.model_types.insert(name, ty);
        qx = c;
    }
    set_affine(g, q, qx, scale, vec![0.0; ch])?;
    Ok(())
}

/// The type of a quantizer with a nonzero zero point: its integers `round(x / s)` lie in the
/// shifted range `[lo, hi]` ([`Quant::int_range`]); the narrowest `ap_fixed<w,w>` (or `ap_ufixed`
/// when `lo >= 0`) holding it with AP_SAT, and the Clip bounds when the range is not the type's own
/// (uint8 with zero point 128 is exactly `ap_fixed<8,8,..,AP_SAT>`, with 100 it is `ap_fixed<9,9>`
/// and a Clip to [-100, 155]).
fn shifted_type(
    op: &crate::ir::ops::Quant,
    rounding: Rounding,
) -> Result<(FixedType, Option<(f32, f32)>), String> {
    let (lo, hi) = op.int_range();
    let signed = lo < 0.0;
    let mut w = 1i32;
    let range = |w: i32| {
        if signed {
            (-(2f64.powi(w - 1)), 2f64.powi(w - 1) - 1.0)
        } else {
            (0.0, 2f64.powi(w) - 1.0)
        }
    };
    while !(range(w).0 <= lo && hi <= range(w).1) {
        w += 1;
        if w > 32 {
            return Err(format!(
                "the shifted range [{lo}, {hi}] needs more than 32 bits"
            ));
        }
    }
    let ty = FixedType::new(signed, w as u32, w, rounding, Overflow::Sat, 0)
        .map_err(|e| e.to_string())?;
    let clip = (range(w) != (lo, hi)).then_some((lo as f32, hi as f32));
    Ok((ty, clip))
}

/// 3 (bipolar): `BipolarQuant(x, s) = s · (x >= 0 ? 1 : -1)` on a computed tensor, as two casts
/// and the dequantizing `Affine(s, 0)`:
/// - `c = Affine(x, 1, 0)` typed `ap_fixed<1,1,AP_TRN,AP_SAT>` (raw -1 or 0): the floor of any
///   negative value is at most -1 and saturates to -1, of any other value at least 0 and saturates
///   to 0, whatever the type of `x`, so `c = -1` exactly when `x < 0`;
/// - `b = Affine(c, 2, 1)` typed `ap_fixed<2,2>`: `-1` or `1`, the quantizer's integers.
///
/// A positive scale (a dequantizing `Affine` merged into `c` by rule 2) leaves the sign unchanged.
fn bipolar(g: &mut Graph, q: NodeIndex) -> Result<(), CompileError> {
    let ins = g.inputs_of(q);
    let x = ins[0];
    let (rank, Some(ch)) = (g.node(x).shape.rank(), channels(g, x)) else {
        return Err(quant_err(g, q, "the quantized tensor has no channel axis"));
    };
    let scale = g
        .const_f32(ins[1])
        .and_then(|c| per_channel(c, rank, ch))
        .ok_or_else(|| quant_err(g, q, "the scale is neither one value nor one per channel"))?;
    let sign_bit = FixedType::new(true, 1, 1, Rounding::Trn, Overflow::Sat, 0)
        .map_err(|e| quant_err(g, q, e.to_string()))?;
    let bipolar = FixedType::new(true, 2, 2, Rounding::Trn, Overflow::Wrap, 0)
        .map_err(|e| quant_err(g, q, e.to_string()))?;
    let base = g.node(q).name.clone();
    let layer = |g: &mut Graph, suffix: &str, input: NodeIndex, s: f32, t: f32, ty| {
        let name = g.fresh_name(&format!("{base}_{suffix}"));
        let sc = vec_const(g, &format!("{name}_scale"), vec![s; ch])?;
        let sh = vec_const(g, &format!("{name}_shift"), vec![t; ch])?;
        let a = g.add_node(name.clone(), name.clone(), Affine, &[input, sc, sh])?;
        g.model_types.insert(name, ty);
        Ok::<NodeIndex, CompileError>(a)
    };
    let c = layer(g, "sign", x, 1.0, 0.0, sign_bit)?;
    let b = layer(g, "bipolar", c, 2.0, 1.0, bipolar)?;
    set_affine(g, q, b, scale, vec![0.0; ch])?;
    Ok(())
}

fn bits_for(mag: f64) -> i32 {
    // Integer bits (sign included) of a signed type holding ±mag.
    let mut i = 1;
    while 2f64.powi(i - 1) <= mag && i < 1100 {
        i += 1;
    }
    i
}

/// The largest magnitude a type holds.
fn type_mag(t: FixedType) -> f64 {
    let f = t.width() as i32 - t.int_bits();
    2f64.powi(t.width() as i32 - i32::from(t.is_signed())) * 2f64.powi(-f)
}

/// Model type of the tensor reaching `n` through data movement, if any.
fn integer_input(g: &Graph, mut n: NodeIndex) -> Option<FixedType> {
    loop {
        if let Some(t) = g.model_types.get(&g.node(n).tensor) {
            return Some(*t);
        }
        match g.node(n).op {
            Op::Flatten(_)
            | Op::Reshape(_)
            | Op::Squeeze(_)
            | Op::Unsqueeze(_)
            | Op::Identity(_)
            | Op::Dropout(_)
            | Op::Relu(_)
            | Op::Clip(_)
            | Op::MaxPool(_) => n = g.inputs_of(n)[0],
            _ => return None,
        }
    }
}

/// The model type of a constant of integers (the quantizer's integers, after cleanup moved or
/// transposed them): pinned, and returned.
fn integer_weight(g: &mut Graph, w: NodeIndex) -> Option<FixedType> {
    let v = g.const_f32(w)?;
    if v.iter().any(|x| x.fract() != 0.0) {
        return None;
    }
    let lo = v.iter().copied().fold(0f32, f32::min) as f64;
    let hi = v.iter().copied().fold(0f32, f32::max) as f64;
    let t = integer_type(lo, hi)?;
    let tensor = g.node(w).tensor.clone();
    g.model_types.insert(tensor, t);
    Some(t)
}

/// A 32-bit signed type for the values `v` (AP_RND_CONV, AP_SAT).
fn requant_type(v: &[f32]) -> Option<FixedType> {
    let mag = v.iter().fold(0f64, |m, &x| m.max(f64::from(x).abs()));
    let i = if mag == 0.0 {
        1
    } else {
        mag.log2().floor() as i32 + 2
    };
    FixedType::new(true, REQUANT_BITS, i, Rounding::RndConv, Overflow::Sat, 0).ok()
}

/// The types described in the module header.
fn pin(g: &mut Graph) -> Result<(), CompileError> {
    let order = g
        .topo_order()
        .map_err(|_| pass_err(g, NAME, "graph has a cycle"))?;
    for n in order {
        let ins = g.inputs_of(n);
        match g.node(n).op {
            Op::Dense(_) if ins.len() == 2 => {
                let (Some(xt), Some(wt)) = (integer_input(g, ins[0]), integer_weight(g, ins[1]))
                else {
                    continue;
                };
                if xt.width() as i32 != xt.int_bits() {
                    continue;
                }
                let fan_in = g.node(ins[1]).shape.fixed_dim(1).unwrap_or(1) as f64;
                let bound = fan_in * type_mag(xt) * type_mag(wt);
                let w = bits_for(bound) as u32;
                if let Ok(t) = FixedType::new(true, w, w as i32, Rounding::Trn, Overflow::Wrap, 0) {
                    let tensor = g.node(n).tensor.clone();
                    g.model_types.insert(tensor, t);
                }
            }
            Op::Affine(_) => {
                let x = ins[0];
                let x_int = integer_input(g, x);
                let from_input = matches!(g.node(x).op, Op::Input(_));
                let Some(xt) = x_int.filter(|t| t.width() as i32 == t.int_bits()) else {
                    if from_input && pinned(g, n) {
                        for &p in &ins[1..] {
                            pin_param(g, p);
                        }
                    }
                    continue;
                };
                let (Some(st), Some(tt)) = (pin_param(g, ins[1]), pin_param(g, ins[2])) else {
                    continue;
                };
                if !pinned(g, n) {
                    let f =
                        (st.width() as i32 - st.int_bits()).max(tt.width() as i32 - tt.int_bits());
                    let bound = type_mag(xt) * type_mag(st) + type_mag(tt);
                    let i = bits_for(bound);
                    if let Ok(t) =
                        FixedType::new(true, (i + f) as u32, i, Rounding::Trn, Overflow::Wrap, 0)
                    {
                        let tensor = g.node(n).tensor.clone();
                        g.model_types.insert(tensor, t);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn pin_param(g: &mut Graph, p: NodeIndex) -> Option<FixedType> {
    let v: Vec<f32> = g.const_f32(p)?.iter().copied().collect();
    let t = requant_type(&v)?;
    let tensor = g.node(p).tensor.clone();
    g.model_types.insert(tensor, t);
    Some(t)
}
