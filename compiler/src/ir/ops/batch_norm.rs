//! BatchNorm (inference): y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel (axis 1).
//! Inputs: x [N, C, ...], scale [C], bias [C], mean [C], var [C].
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm {
    pub epsilon: f32,
}

/// Checks that every parameter input is [C] for the channel axis 1 of x.
pub(crate) fn check_per_channel(i: &[&Shape]) -> Result<Shape, String> {
    let x = arg(i, 0)?;
    if x.rank() < 2 {
        return Err(format!("needs a channel axis 1, got {x}"));
    }
    let c = x.fixed_dim(1)?;
    for p in &i[1..] {
        if p.0 != [Dim::Fixed(c)] {
            return Err(format!("parameter {p} must be [{c}] for input {x}"));
        }
    }
    Ok(x.clone())
}

/// Applies `f(value, channel)` over axis 1.
pub(crate) fn per_channel(
    x: &ArrayD<f32>,
    f: impl Fn(f32, usize) -> f32,
) -> Result<ArrayD<f32>, String> {
    if x.ndim() < 2 {
        return Err("needs a channel axis 1".into());
    }
    let c = x.shape()[1];
    let inner: usize = x.shape()[2..].iter().product();
    let xd = contiguous(x);
    let out: Vec<f32> = xd
        .iter()
        .enumerate()
        .map(|(idx, &v)| f(v, (idx / inner.max(1)) % c.max(1)))
        .collect();
    ArrayD::from_shape_vec(x.raw_dim(), out).map_err(|e| e.to_string())
}

impl BatchNorm {
    /// The per-channel `(scale, shift)` with y = x * scale + shift, in f32 step by step as
    /// onnxruntime computes it (its BatchNorm kernel and its Conv+BN fusion).
    pub fn affine(
        &self,
        scale: &[f32],
        bias: &[f32],
        mean: &[f32],
        var: &[f32],
    ) -> (Vec<f32>, Vec<f32>) {
        let s: Vec<f32> = scale
            .iter()
            .zip(var)
            .map(|(&g, &v)| g / (v + self.epsilon).sqrt())
            .collect();
        let t = s
            .iter()
            .zip(bias.iter().zip(mean))
            .map(|(&s, (&b, &m))| b - m * s)
            .collect();
        (s, t)
    }
}

impl OpSpec for BatchNorm {
    fn name(&self) -> &'static str {
        "BatchNormalization"
    }
    fn arity(&self) -> (usize, usize) {
        (5, 5)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        check_per_channel(i)
    }
    fn macs(&self, _: &[&Shape], out: &Shape) -> u64 {
        out.fixed_numel().unwrap_or(0)
    }
    fn attrs(&self) -> String {
        format!("epsilon={}", self.epsilon)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let p: Vec<_> = (1..5)
            .map(|k| arg(i, k).map(|a| contiguous(a)))
            .collect::<Result<_, _>>()?;
        let c = arg(i, 0)?.shape().get(1).copied().unwrap_or(0);
        if p.iter().any(|v| v.len() != c) {
            return Err("parameter length differs from channel count".into());
        }
        let eps = self.epsilon as f64;
        per_channel(arg(i, 0)?, |x, ch| {
            let (g, b, m, v) = (
                p[0][ch] as f64,
                p[1][ch] as f64,
                p[2][ch] as f64,
                p[3][ch] as f64,
            );
            ((x as f64 - m) / (v + eps).sqrt() * g + b) as f32
        })
    }
}
