//! ONNX Reshape: the target (input 1) must be known at load time, possibly in terms of the batch size
//! (Shape → Gather → Concat chains); 0 copies, -1 infers, allowzero from opset 14.
use super::{unary, R};
use crate::ir::ops::{Reshape, ReshapeDim};
use crate::ir::Dim;
use crate::onnx::context::{NodeCtx, Sym, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let spec = c.syms(1)?;
    if spec.scalar {
        return Err(c.shape_err("the shape input must be 1-D"));
    }
    let allowzero = c.opset() >= 14 && c.attr_bool("allowzero", false)?;
    // Reshaping a shape value itself (rank 0 <-> 1).
    if let Some(v) = c.value(0)?.syms() {
        let scalar = match spec.v.as_slice() {
            [] if v.v.len() == 1 => true,
            [Sym::Int(n)] if *n == -1 || *n == v.v.len() as i64 => false,
            _ => return Err(c.unsupported("reshaping an integer shape tensor beyond rank 1")),
        };
        c.define(Value::from_syms(scalar, v.v));
        return Ok(());
    }
    let x = c.shape(0)?;
    // A model traced with a fixed batch names it in its reshape targets; the batch is `N` here.
    let declared = c.l.declared_batch.map(Sym::Int);
    let mut dims = Vec::with_capacity(spec.v.len());
    for (k, s) in spec.v.iter().enumerate() {
        let s = if k == 0 && Some(*s) == declared && x.dims().first() == Some(&Dim::Batch) {
            &Sym::Batch
        } else {
            s
        };
        dims.push(match *s {
            Sym::Batch => ReshapeDim::Batch,
            Sym::Int(0) => ReshapeDim::Keep,
            Sym::Int(-1) => ReshapeDim::Infer,
            Sym::Int(n) if n > 0 && n <= 1 << 31 => ReshapeDim::Fixed(n as usize),
            Sym::Int(n) => return Err(c.shape_err(format!("invalid target dimension {n}"))),
        });
    }
    let op = Reshape::resolve(&x, &dims, allowzero).map_err(|e| c.shape_err(e))?;
    unary(c, op)
}
