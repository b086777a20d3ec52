//! Reshape to a target fully resolved at load time (ONNX 0 and -1 already replaced); the batch
//! dimension keeps its place symbolically.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Reshape {
    pub target: Vec<Dim>,
}

/// One entry of an ONNX shape tensor, the batch size being known symbolically.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReshapeDim {
    /// 0: copy the input dimension (unless allowzero).
    Keep,
    /// -1: whatever makes the element counts agree.
    Infer,
    Batch,
    Fixed(usize),
}

impl Reshape {
    pub fn resolve(input: &Shape, spec: &[ReshapeDim], allowzero: bool) -> Result<Reshape, String> {
        let mut out: Vec<Option<Dim>> = Vec::with_capacity(spec.len());
        for (i, d) in spec.iter().enumerate() {
            out.push(match d {
                ReshapeDim::Keep if allowzero => Some(Dim::Fixed(0)),
                ReshapeDim::Keep => {
                    Some(input.dim(i).map_err(|_| {
                        format!("0 at position {i} copies a missing input dimension")
                    })?)
                }
                ReshapeDim::Infer => None,
                ReshapeDim::Batch => Some(Dim::Batch),
                ReshapeDim::Fixed(n) => Some(Dim::Fixed(*n)),
            });
        }
        let unknown: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_none()).collect();
        let known = Shape(out.iter().flatten().copied().collect());
        let in_n = input.fixed_numel().ok_or("input size overflows")?;
        let known_n = known.fixed_numel().ok_or("target size overflows")?;
        match unknown.as_slice() {
            [] => {}
            [at] => {
                let d = if input.batch_count() == known.batch_count() {
                    if known_n == 0 || in_n % known_n != 0 {
                        return Err(format!("cannot reshape {input} into {spec:?}"));
                    }
                    Dim::Fixed((in_n / known_n) as usize)
                } else if input.batch_count() == known.batch_count() + 1 && in_n == known_n {
                    Dim::Batch
                } else {
                    return Err(format!(
                        "cannot infer -1 when reshaping {input} into {spec:?}"
                    ));
                };
                out[*at] = Some(d);
            }
            _ => return Err("more than one -1 in the target shape".into()),
        }
        let r = Reshape {
            target: out.into_iter().flatten().collect(),
        };
        r.infer(&[input])?;
        Ok(r)
    }
}

impl OpSpec for Reshape {
    fn name(&self) -> &'static str {
        "Reshape"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        let t = Shape(self.target.clone());
        if x.batch_count() != t.batch_count() || x.fixed_numel() != t.fixed_numel() {
            return Err(format!("cannot reshape {x} into {t}"));
        }
        Ok(t)
    }
    fn attrs(&self) -> String {
        format!("shape={}", Shape(self.target.clone()))
    }
    fn eval(&self, i: &[&ArrayD<f32>], ctx: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let dims = Shape(self.target.clone()).concrete(ctx.batch);
        ArrayD::from_shape_vec(IxDyn(&dims), contiguous(x).into_owned()).map_err(|e| e.to_string())
    }
}
