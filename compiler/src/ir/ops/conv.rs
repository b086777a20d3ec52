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
        self.eval_with_sum(i, None)
    }
}

impl Conv {
    /// Whether onnxruntime (CPU, AVX2, default optimizations) runs this conv with its NCHWc kernels,
    /// given input channels `c` and output channels `m`.
    pub fn onnxruntime_nchwc(&self, c: usize, m: usize) -> bool {
        let g = self.group.max(1);
        let depthwise = g == c && g == m;
        self.window.kernel.len() == 2
            && m.is_multiple_of(8)
            && ((g == 1 && (c.is_multiple_of(8) || c < 8)) || (depthwise && c.is_multiple_of(8)))
    }

    /// The conv followed by `+ sum` the way onnxruntime computes `Add(Conv(..), sum)` when it fuses the
    /// Add into an NCHWc conv: the accumulator starts from `sum`, the bias comes last. Without `sum`,
    /// plain Conv.
    pub fn eval_with_sum(
        &self,
        i: &[&ArrayD<f32>],
        sum: Option<&ArrayD<f32>>,
    ) -> Result<ArrayD<f32>, String> {
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
        // Accumulation order of onnxruntime's CPU kernels (checked bit for bit on AVX2): 2-D convs
        // with 8k input and output channels and a kernel larger than 1x1 run as NCHWc: one f32 FMA
        // chain per block of 8 input channels, in (ky, kx, c) order, the block sums added, then the
        // bias. Everything else is im2col + SGEMM: one FMA chain in (c, ky, kx) order, then the bias.
        let nchwc = self.onnxruntime_nchwc(c, m) && g == 1 && cg.is_multiple_of(8) && kk > 1;
        let block = if nchwc { 8 } else { cg };
        let sum = sum.map(|s| contiguous(s));
        if sum.as_ref().is_some_and(|s| s.len() != n * m * out_plane) {
            return Err("fused sum has the wrong size".into());
        }
        let mut out = vec![0f32; n * m * out_plane];
        for b in 0..n {
            for oc in 0..m {
                let grp = oc / mg;
                let bias_v = bias
                    .as_ref()
                    .and_then(|bv| bv.get(oc))
                    .copied()
                    .unwrap_or(0.0);
                let wk_oc = &wd[oc * cg * kk..][..cg * kk];
                for oy in 0..geo.oh {
                    for ox in 0..geo.ow {
                        let at = (b * m + oc) * out_plane + oy * geo.ow + ox;
                        let mut total = sum.as_ref().map(|s| s[at]);
                        for c0 in (0..cg).step_by(block.max(1)) {
                            let mut acc = 0f32;
                            let mut tap = |ic: usize, ky: usize, kx: usize| {
                                let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
                                let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
                                if iy >= 0
                                    && ix >= 0
                                    && (iy as usize) < geo.ih
                                    && (ix as usize) < geo.iw
                                {
                                    let xv = xd[(b * c + grp * cg + ic) * in_plane
                                        + iy as usize * geo.iw
                                        + ix as usize];
                                    acc = xv.mul_add(wk_oc[ic * kk + ky * geo.kw + kx], acc);
                                }
                            };
                            if nchwc {
                                for ky in 0..geo.kh {
                                    for kx in 0..geo.kw {
                                        for ic in c0..c0 + block {
                                            tap(ic, ky, kx);
                                        }
                                    }
                                }
                            } else {
                                for ic in c0..c0 + block {
                                    for ky in 0..geo.kh {
                                        for kx in 0..geo.kw {
                                            tap(ic, ky, kx);
                                        }
                                    }
                                }
                            }
                            total = Some(total.map_or(acc, |t| t + acc));
                        }
                        out[at] = total.unwrap_or(0.0) + bias_v;
                    }
                }
            }
        }
        let mut dims = vec![n, m];
        dims.extend(self.window.out_dims(&xs[2..])?);
        ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string())
    }
}
