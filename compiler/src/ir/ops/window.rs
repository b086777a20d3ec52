//! Sliding-window geometry shared by Conv, MaxPool and AveragePool (1-D and 2-D).

use super::join;

#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// ONNX order: all begins, then all ends.
    pub pads: Vec<usize>,
    pub ceil_mode: bool,
}

/// A 1-D window seen as 2-D with height 1.
#[derive(Clone, Copy, Debug)]
pub struct Geom2 {
    pub ih: usize,
    pub iw: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
    pub pb: usize,
    pub pr: usize,
}

/// How `auto_pad` splits the padding (ONNX SAME_UPPER / SAME_LOWER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoPad {
    SameUpper,
    SameLower,
    Valid,
}

impl Window {
    pub fn new(kernel: Vec<usize>) -> Window {
        let n = kernel.len();
        Window {
            kernel,
            strides: vec![1; n],
            dilations: vec![1; n],
            pads: vec![0; 2 * n],
            ceil_mode: false,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let n = self.kernel.len();
        if n == 0 || n > 2 {
            return Err(format!(
                "{n}-D windows are not supported (1-D and 2-D only)"
            ));
        }
        if self.strides.len() != n || self.dilations.len() != n || self.pads.len() != 2 * n {
            return Err(format!(
                "kernel {:?}, strides {:?}, dilations {:?} and pads {:?} disagree in rank",
                self.kernel, self.strides, self.dilations, self.pads
            ));
        }
        let limit = 1 << 24;
        for v in self
            .kernel
            .iter()
            .chain(&self.strides)
            .chain(&self.dilations)
        {
            if *v == 0 || *v > limit {
                return Err(format!(
                    "kernel, stride and dilation must be in 1..={limit}"
                ));
            }
        }
        if self.pads.iter().any(|p| *p > limit) {
            return Err(format!("pads {:?} too large", self.pads));
        }
        Ok(())
    }

    /// Output sizes of the spatial dimensions.
    pub fn out_dims(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        self.validate()?;
        let n = self.kernel.len();
        if input.len() != n {
            return Err(format!("{}-D window on {} spatial dims", n, input.len()));
        }
        (0..n)
            .map(|i| {
                out_size(
                    input[i],
                    self.kernel[i],
                    self.strides[i],
                    self.dilations[i],
                    self.pads[i],
                    self.pads[i + n],
                    self.ceil_mode,
                )
            })
            .collect()
    }

    pub fn geom2(&self, input: &[usize]) -> Result<Geom2, String> {
        let out = self.out_dims(input)?;
        let n = self.kernel.len();
        Ok(if n == 1 {
            Geom2 {
                ih: 1,
                iw: input[0],
                oh: 1,
                ow: out[0],
                kh: 1,
                kw: self.kernel[0],
                sh: 1,
                sw: self.strides[0],
                dh: 1,
                dw: self.dilations[0],
                pt: 0,
                pl: self.pads[0],
                pb: 0,
                pr: self.pads[1],
            }
        } else {
            Geom2 {
                ih: input[0],
                iw: input[1],
                oh: out[0],
                ow: out[1],
                kh: self.kernel[0],
                kw: self.kernel[1],
                sh: self.strides[0],
                sw: self.strides[1],
                dh: self.dilations[0],
                dw: self.dilations[1],
                pt: self.pads[0],
                pl: self.pads[1],
                pb: self.pads[2],
                pr: self.pads[3],
            }
        })
    }

    pub fn attrs(&self) -> String {
        let mut s = format!(
            "kernel=[{}] strides=[{}] pads=[{}] dilations=[{}]",
            join(&self.kernel),
            join(&self.strides),
            join(&self.pads),
            join(&self.dilations)
        );
        if self.ceil_mode {
            s.push_str(" ceil_mode");
        }
        s
    }
}

pub fn out_size(
    input: usize,
    k: usize,
    s: usize,
    d: usize,
    pb: usize,
    pe: usize,
    ceil: bool,
) -> Result<usize, String> {
    if s == 0 || d == 0 || k == 0 {
        return Err("kernel, stride and dilation must be positive".into());
    }
    let eff = d
        .checked_mul(k - 1)
        .and_then(|v| v.checked_add(1))
        .ok_or("kernel extent overflows")?;
    let padded = input
        .checked_add(pb)
        .and_then(|v| v.checked_add(pe))
        .ok_or("padded size overflows")?;
    if padded < eff {
        return Err(format!(
            "window extent {eff} is larger than the padded input {padded}"
        ));
    }
    let span = padded - eff;
    let mut out = if ceil { span.div_ceil(s) } else { span / s } + 1;
    // With ceil_mode the last window must start inside the input or its left padding.
    if ceil && out > 1 && (out - 1) * s >= input + pb {
        out -= 1;
    }
    Ok(out)
}

/// Explicit (begin..., end...) pads for an `auto_pad` mode.
pub fn resolve_auto_pad(
    mode: AutoPad,
    input: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
) -> Result<Vec<usize>, String> {
    let n = kernel.len();
    if input.len() != n || strides.len() != n || dilations.len() != n {
        return Err("auto_pad: rank mismatch between input, kernel, strides and dilations".into());
    }
    let mut pads = vec![0; 2 * n];
    if mode == AutoPad::Valid {
        return Ok(pads);
    }
    for i in 0..n {
        if strides[i] == 0 || dilations[i] == 0 || kernel[i] == 0 {
            return Err("kernel, stride and dilation must be positive".into());
        }
        let out = input[i].div_ceil(strides[i]);
        let eff = dilations[i].saturating_mul(kernel[i] - 1).saturating_add(1);
        let need = (out.saturating_sub(1))
            .saturating_mul(strides[i])
            .saturating_add(eff);
        let total = need.saturating_sub(input[i]);
        let small = total / 2;
        let (b, e) = match mode {
            AutoPad::SameUpper => (small, total - small),
            _ => (total - small, small),
        };
        pads[i] = b;
        pads[i + n] = e;
    }
    Ok(pads)
}
