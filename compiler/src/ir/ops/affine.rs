//! Affine: y = x * scale[c] + shift[c] over channel axis 1. What BatchNorm becomes when it is kept as its
//! own layer (QFX-style) or has no Conv/Dense before it to fold into. f32, unfused, like onnxruntime.
use super::batch_norm::{check_per_channel, per_channel};
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Affine;

impl OpSpec for Affine {
    fn name(&self) -> &'static str {
        "Affine"
    }
    fn arity(&self) -> (usize, usize) {
        (3, 3)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        check_per_channel(i)
    }
    fn macs(&self, _: &[&Shape], out: &Shape) -> u64 {
        out.fixed_numel().unwrap_or(0)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let (s, t) = (contiguous(arg(i, 1)?), contiguous(arg(i, 2)?));
        let c = arg(i, 0)?.shape().get(1).copied().unwrap_or(0);
        if s.len() != c || t.len() != c {
            return Err("parameter length differs from channel count".into());
        }
        per_channel(arg(i, 0)?, |x, ch| {
            (x as f64 * s[ch] as f64 + t[ch] as f64) as f32
        })
    }
}
