//! Sliding-window geometry of convolutions and pooling, in 2-D; a 1-D window has height 1.
//!
//! Output position `(oy, ox)` reads input rows `oy·stride_h - pad_top + ky·dilation_h` for
//! `ky < kernel_h` (columns alike). Rows outside `[0, in_h)` are padding: zeros for a
//! convolution, skipped by pooling. The output size follows ONNX (and binpoint's IR): floor by
//! default, ceil with `ceil_mode`, where the last window must still start inside the input or its
//! leading padding.

use std::ops::Range;

/// Largest dimension, stride, dilation or pad accepted (as in the IR).
pub const MAX_DIM: usize = 1 << 24;

/// The valid taps `(start, end)` of every output row (or column).
pub type TapRanges = Vec<(usize, usize)>;

/// A 2-D sliding window over an `in_h × in_w` plane, producing `out_h × out_w` positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window2 {
    pub in_h: usize,
    pub in_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub pad_bottom: usize,
    pub pad_right: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Window2 {
    /// `input`, `kernel`, `stride`, `dilation` as `[h, w]`; `pads` in ONNX order
    /// `[top, left, bottom, right]`.
    pub fn new(
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
        pads: [usize; 4],
        ceil_mode: bool,
    ) -> Result<Window2, String> {
        let [in_h, in_w] = input;
        let out_h = out_size(
            in_h,
            kernel[0],
            stride[0],
            dilation[0],
            pads[0],
            pads[2],
            ceil_mode,
        )?;
        let out_w = out_size(
            in_w,
            kernel[1],
            stride[1],
            dilation[1],
            pads[1],
            pads[3],
            ceil_mode,
        )?;
        Ok(Window2 {
            in_h,
            in_w,
            kernel_h: kernel[0],
            kernel_w: kernel[1],
            stride_h: stride[0],
            stride_w: stride[1],
            dilation_h: dilation[0],
            dilation_w: dilation[1],
            pad_top: pads[0],
            pad_left: pads[1],
            pad_bottom: pads[2],
            pad_right: pads[3],
            out_h,
            out_w,
        })
    }

    /// A 1-D window over `input` positions; `pads` as `[left, right]`.
    pub fn new_1d(
        input: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
        pads: [usize; 2],
        ceil_mode: bool,
    ) -> Result<Window2, String> {
        Window2::new(
            [1, input],
            [1, kernel],
            [1, stride],
            [1, dilation],
            [0, pads[0], 0, pads[1]],
            ceil_mode,
        )
    }

    /// Taps per window.
    pub fn size(&self) -> usize {
        self.kernel_h * self.kernel_w
    }

    /// The kernel rows `ky` of output row `oy` that fall inside the input.
    pub fn rows(&self, oy: usize) -> Range<usize> {
        taps(
            oy,
            self.stride_h,
            self.pad_top,
            self.dilation_h,
            self.kernel_h,
            self.in_h,
        )
    }

    /// The kernel columns `kx` of output column `ox` that fall inside the input.
    pub fn cols(&self, ox: usize) -> Range<usize> {
        taps(
            ox,
            self.stride_w,
            self.pad_left,
            self.dilation_w,
            self.kernel_w,
            self.in_w,
        )
    }

    /// How many kernel rows of output row `oy` fall inside the input or its padding (not in
    /// the extra area that `ceil_mode` may add): the divisor of `count_include_pad` pooling.
    pub fn padded_rows(&self, oy: usize) -> usize {
        let limit = self.in_h + self.pad_top + self.pad_bottom;
        count_below(oy * self.stride_h, self.dilation_h, self.kernel_h, limit)
    }

    /// Columns alike.
    pub fn padded_cols(&self, ox: usize) -> usize {
        let limit = self.in_w + self.pad_left + self.pad_right;
        count_below(ox * self.stride_w, self.dilation_w, self.kernel_w, limit)
    }

    /// Input row of tap `ky` of output row `oy` (valid when `ky` is in [`Window2::rows`]).
    #[inline]
    pub fn in_row(&self, oy: usize, ky: usize) -> usize {
        oy * self.stride_h + ky * self.dilation_h - self.pad_top
    }

    /// Input column of tap `kx` of output column `ox` (valid when `kx` is in [`Window2::cols`]).
    #[inline]
    pub fn in_col(&self, ox: usize, kx: usize) -> usize {
        ox * self.stride_w + kx * self.dilation_w - self.pad_left
    }

    /// [`Window2::rows`] of every output row.
    pub fn row_taps(&self) -> TapRanges {
        (0..self.out_h)
            .map(|oy| self.rows(oy))
            .map(|r| (r.start, r.end))
            .collect()
    }

    /// [`Window2::cols`] of every output column.
    pub fn col_taps(&self) -> TapRanges {
        (0..self.out_w)
            .map(|ox| self.cols(ox))
            .map(|r| (r.start, r.end))
            .collect()
    }

    /// For each kernel column `kx`, the output columns `ox0..ox1` whose tap `kx` falls inside the
    /// input (an interval: `0 <= ox·stride_w + kx·dilation_w - pad_left < in_w`); `(0, 0)` when
    /// none does.
    pub fn col_spans(&self) -> TapRanges {
        (0..self.kernel_w)
            .map(|kx| {
                let valid = |ox: &usize| self.cols(*ox).contains(&kx);
                match (0..self.out_w).find(valid) {
                    Some(o0) => (o0, (o0..self.out_w).rfind(valid).map_or(o0, |o| o + 1)),
                    None => (0, 0),
                }
            })
            .collect()
    }

    /// True when every window reads at least one input value (pooling needs it).
    pub fn every_window_reads_input(&self) -> bool {
        (0..self.out_h).all(|oy| !self.rows(oy).is_empty())
            && (0..self.out_w).all(|ox| !self.cols(ox).is_empty())
    }
}

/// One tap `(ky, kx)` of a pooling window for a run of output columns, in the lanes layout:
/// `acc[i·L + s] = f(acc[i·L + s], row[(col0 + i·stride)·L + s])`, where output column `ox0 + i`
/// reads input column `col0 + i·stride` of `row`, and `acc` holds the outputs `ox0..ox1`. With
/// stride 1 the inputs are contiguous too, so this is one run over `(ox1 - ox0)·L` values.
#[inline(always)]
pub(crate) fn fold_tap<T: Copy, X: Copy>(
    acc: &mut [T],
    row: &[X],
    col0: usize,
    stride: usize,
    lanes: usize,
    f: impl Fn(T, X) -> T,
) {
    if stride == 1 {
        let src = &row[col0 * lanes..][..acc.len()];
        for (a, &t) in acc.iter_mut().zip(src) {
            *a = f(*a, t);
        }
    } else {
        for (i, acc) in acc.chunks_exact_mut(lanes).enumerate() {
            let src = &row[(col0 + i * stride) * lanes..][..lanes];
            for (a, &t) in acc.iter_mut().zip(src) {
                *a = f(*a, t);
            }
        }
    }
}

/// Taps `k < kernel` with `0 <= start - pad + k·dilation < input`, `start = o·stride`.
fn taps(
    o: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    kernel: usize,
    input: usize,
) -> Range<usize> {
    let start = o * stride;
    // First tap at or after the padding: start + k·d >= pad.
    let lo = if start >= pad {
        0
    } else {
        (pad - start).div_ceil(dilation)
    };
    // Taps before the end of the input: start + k·d < pad + input.
    let hi = count_below(start, dilation, kernel, pad + input);
    lo.min(hi)..hi
}

/// `#{k < kernel : start + k·dilation < limit}`.
fn count_below(start: usize, dilation: usize, kernel: usize, limit: usize) -> usize {
    if start >= limit {
        0
    } else {
        (limit - start).div_ceil(dilation).min(kernel)
    }
}

/// Output size along one axis (the IR's `window::out_size`).
fn out_size(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    pad_begin: usize,
    pad_end: usize,
    ceil: bool,
) -> Result<usize, String> {
    for (name, v) in [
        ("kernel", kernel),
        ("stride", stride),
        ("dilation", dilation),
    ] {
        if v == 0 || v > MAX_DIM {
            return Err(format!("{name} {v} is outside 1..={MAX_DIM}"));
        }
    }
    for (name, v) in [("input size", input), ("pad", pad_begin), ("pad", pad_end)] {
        if v > MAX_DIM {
            return Err(format!("{name} {v} is larger than {MAX_DIM}"));
        }
    }
    if input == 0 {
        return Err("input size 0".into());
    }
    let extent = dilation * (kernel - 1) + 1;
    let padded = input + pad_begin + pad_end;
    if padded < extent {
        return Err(format!(
            "window extent {extent} is larger than the padded input {padded}"
        ));
    }
    let span = padded - extent;
    let mut out = if ceil {
        span.div_ceil(stride)
    } else {
        span / stride
    } + 1;
    if ceil && out > 1 && (out - 1) * stride >= input + pad_begin {
        out -= 1;
    }
    Ok(out)
}
