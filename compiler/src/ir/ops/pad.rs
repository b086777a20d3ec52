//! Pad (constant mode) with non-negative pads; the batch dimension is never padded.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Pad {
    /// ONNX order: all begins, then all ends.
    pub pads: Vec<usize>,
    pub value: f32,
}

impl OpSpec for Pad {
    fn name(&self) -> &'static str {
        "Pad"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        let r = x.rank();
        if self.pads.len() != 2 * r {
            return Err(format!("{} pads for rank {r}", self.pads.len()));
        }
        let mut out = x.clone();
        for a in 0..r {
            let (b, e) = (self.pads[a], self.pads[a + r]);
            out.0[a] = match x.0[a] {
                Dim::Batch if b + e == 0 => Dim::Batch,
                Dim::Batch => return Err("padding the batch dimension".into()),
                Dim::Fixed(n) => Dim::Fixed(
                    n.checked_add(b)
                        .and_then(|v| v.checked_add(e))
                        .ok_or("overflow")?,
                ),
            };
        }
        Ok(out)
    }
    fn attrs(&self) -> String {
        format!("pads=[{}] value={}", super::join(&self.pads), self.value)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let r = x.ndim();
        if self.pads.len() != 2 * r {
            return Err("pads do not match rank".into());
        }
        let dims: Vec<usize> = (0..r)
            .map(|a| x.shape()[a] + self.pads[a] + self.pads[a + r])
            .collect();
        let mut out = ArrayD::from_elem(IxDyn(&dims), self.value);
        out.slice_each_axis_mut(|ax| {
            let b = self.pads[ax.axis.index()];
            ndarray::Slice::from(b..b + x.shape()[ax.axis.index()])
        })
        .assign(x);
        Ok(out)
    }
}
