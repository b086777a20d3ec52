//! Conv: 1-D or 2-D convolution, NC[H]W layout, with stride, pads, dilation and groups.
//! Inputs: x [N, C, spatial...], weight [M, C/group, k...], optional bias [M].
use super::prelude::*;
use super::window::Window;

#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    pub window: Window,
    pub group: usize,
}

impl Conv {
    fn check(&self, x: &Shape, w: &Shape, b: Option<&Shape>) -> Result<Shape, String> {
        let n = self.window.kernel.len();
        if x.rank() != n + 2 || w.rank() != n + 2 {
            return Err(format!(
                "{n}-D conv needs rank-{} input and weight, got {x} and {w}",
                n + 2
            ));
        }
        let c = x.fixed_dim(1)?;
        let m = w.fixed_dim(0)?;
        let g = self.group;
        if g == 0 || c % g != 0 || m % g != 0 {
            return Err(format!(
                "group {g} must divide input channels {c} and output channels {m}"
            ));
        }
        if w.fixed_dim(1)? != c / g {
            return Err(format!(
                "weight {w} needs {} input channels per group (input {x}, group {g})",
                c / g
            ));
        }
        for i in 0..n {
            if w.fixed_dim(i + 2)? != self.window.kernel[i] {
                return Err(format!(
                    "weight {w} disagrees with kernel {:?}",
                    self.window.kernel
                ));
            }
        }
        if let Some(b) = b {
            if b.0 != [Dim::Fixed(m)] {
                return Err(format!("bias {b} must be [{m}]"));
            }
        }
        let spatial: Vec<usize> = (2..n + 2)
            .map(|i| x.fixed_dim(i))
            .collect::<Result<_, _>>()?;
        let out = self.window.out_dims(&spatial)?;
        let mut dims = vec![x.dim(0)?, Dim::Fixed(m)];
        dims.extend(out.into_iter().map(Dim::Fixed));
        Ok(Shape(dims))
    }
}

impl OpSpec for Conv {
    fn name(&self) -> &'static str {
        "Conv"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 3)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        self.check(arg(i, 0)?, arg(i, 1)?, i.get(2).copied())
    }
    fn macs(&self, i: &[&Shape], out: &Shape) -> u64 {
        let per_out: u64 = i.get(1).and_then(|w| w.fixed_numel()).unwrap_or(0)
            / out.dim(1).ok().and_then(|d| d.fixed()).unwrap_or(1).max(1) as u64;
        out.fixed_numel().unwrap_or(0).saturating_mul(per_out)
    }
    fn attrs(&self) -> String {
        format!("{} group={}", self.window.attrs(), self.group)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let (x, w) = (arg(i, 0)?, arg(i, 1)?);
        let bias = i.get(2).map(|b| contiguous(b));
        let xs = x.shape();
        let ws = w.shape();
        if xs.len() < 3 || ws.len() != xs.len() {
            return Err(format!("bad ranks {xs:?} {ws:?}"));
        }
        let (n, c, m) = (xs[0], xs[1], ws[0]);
        let g = self.group.max(1);
        let (cg, mg) = (c / g, m / g);
        if cg == 0 || mg == 0 || ws[1] != cg {
            return Err(format!(
                "weight {ws:?} does not fit input {xs:?} with group {g}"
            ));
        }
        let geo = self.window.geom2(&xs[2..])?;
        let (xd, wd) = (contiguous(x), contiguous(w));
        let (in_plane, out_plane, kk) = (geo.ih * geo.iw, geo.oh * geo.ow, geo.kh * geo.kw);
        if xd.len() != n * c * in_plane || wd.len() != m * cg * kk {
            return Err("input or weight size disagrees with its shape".into());
        }
        let mut out = vec![0f32; n * m * out_plane];
        for b in 0..n {
            for oc in 0..m {
                let grp = oc / mg;
                let bias_v = bias
                    .as_ref()
                    .and_then(|bv| bv.get(oc))
                    .copied()
                    .unwrap_or(0.0) as f64;
                for oy in 0..geo.oh {
                    for ox in 0..geo.ow {
                        let mut acc = 0f64;
                        for ic in 0..cg {
                            let xc = &xd[(b * c + grp * cg + ic) * in_plane..][..in_plane];
                            let wk = &wd[(oc * cg + ic) * kk..][..kk];
                            for ky in 0..geo.kh {
                                let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
                                if iy < 0 || iy >= geo.ih as isize {
                                    continue;
                                }
                                let row = iy as usize * geo.iw;
                                for kx in 0..geo.kw {
                                    let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
                                    if ix < 0 || ix >= geo.iw as isize {
                                        continue;
                                    }
                                    acc +=
                                        xc[row + ix as usize] as f64 * wk[ky * geo.kw + kx] as f64;
                                }
                            }
                        }
                        out[(b * m + oc) * out_plane + oy * geo.ow + ox] = (acc + bias_v) as f32;
                    }
                }
            }
        }
        let mut dims = vec![n, m];
        dims.extend(self.window.out_dims(&xs[2..])?);
        ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string())
    }
}
