//! MaxPool, 1-D or 2-D: maximum over each window; padding never wins.
use super::prelude::*;
use super::window::Window;

#[derive(Clone, Debug, PartialEq)]
pub struct MaxPool {
    pub window: Window,
}

/// Output shape of a pooling window over [N, C, spatial...].
pub(crate) fn pool_shape(window: &Window, x: &Shape) -> Result<Shape, String> {
    let n = window.kernel.len();
    if x.rank() != n + 2 {
        return Err(format!(
            "{n}-D pooling needs a rank-{} input, got {x}",
            n + 2
        ));
    }
    let spatial: Vec<usize> = (2..n + 2)
        .map(|i| x.fixed_dim(i))
        .collect::<Result<_, _>>()?;
    let mut dims = vec![x.dim(0)?, Dim::Fixed(x.fixed_dim(1)?)];
    dims.extend(window.out_dims(&spatial)?.into_iter().map(Dim::Fixed));
    Ok(Shape(dims))
}

/// Runs `reduce(window values, divisor_padded, divisor_valid)` for every output position.
pub(crate) fn pool_eval(
    window: &Window,
    x: &ArrayD<f32>,
    reduce: impl Fn(&[f32], usize) -> f32,
) -> Result<ArrayD<f32>, String> {
    let s = x.shape();
    if s.len() != window.kernel.len() + 2 {
        return Err(format!("input rank {} does not match the window", s.len()));
    }
    let geo = window.geom2(&s[2..])?;
    let planes = s[0] * s[1];
    let xd = contiguous(x);
    let in_plane = geo.ih * geo.iw;
    if xd.len() != planes * in_plane {
        return Err("input size disagrees with its shape".into());
    }
    let mut out = Vec::with_capacity(planes * geo.oh * geo.ow);
    let mut vals = Vec::with_capacity(geo.kh * geo.kw);
    for p in 0..planes {
        let plane = &xd[p * in_plane..][..in_plane];
        for oy in 0..geo.oh {
            for ox in 0..geo.ow {
                vals.clear();
                let mut padded = 0;
                for ky in 0..geo.kh {
                    let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
                    let y_in_pad = iy < (geo.ih + geo.pb) as isize;
                    for kx in 0..geo.kw {
                        let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
                        if y_in_pad && ix < (geo.iw + geo.pr) as isize {
                            padded += 1;
                        }
                        if iy >= 0 && ix >= 0 && (iy as usize) < geo.ih && (ix as usize) < geo.iw {
                            vals.push(plane[iy as usize * geo.iw + ix as usize]);
                        }
                    }
                }
                out.push(reduce(&vals, padded));
            }
        }
    }
    let mut dims = vec![s[0], s[1]];
    dims.extend(window.out_dims(&s[2..])?);
    ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string())
}

impl OpSpec for MaxPool {
    fn name(&self) -> &'static str {
        "MaxPool"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        pool_shape(&self.window, arg(i, 0)?)
    }
    fn attrs(&self) -> String {
        self.window.attrs()
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        pool_eval(&self.window, arg(i, 0)?, |v, _| {
            v.iter().copied().fold(f32::NEG_INFINITY, f32::max)
        })
    }
}
