//! ONNX Pad, constant mode: pads/value as attributes before opset 11, as inputs from 11
//! (axes input from 18). Negative pads are unsupported.
use super::{axes, unary, R};
use crate::ir::ops::Pad;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let mode = c.attr_s("mode")?.unwrap_or_else(|| "constant".into());
    if mode != "constant" {
        return Err(c.unsupported(format!("mode '{mode}' (only 'constant' is supported)")));
    }
    let rank = c.shape(0)?.rank();
    let (given, value) = if c.opset() < 11 {
        (
            c.attr_ints("pads")?
                .ok_or_else(|| c.attr_err("pads", "missing"))?,
            c.attr_f("value", 0.0)?,
        )
    } else {
        (c.ints(1)?, c.scalar_f32(2)?.unwrap_or(0.0))
    };
    let which: Vec<usize> = if c.opset() >= 18 && c.has(3) {
        axes(c, "axes", &c.ints(3)?, rank)?
    } else {
        (0..rank).collect()
    };
    if given.len() != 2 * which.len() {
        return Err(c.attr_err(
            "pads",
            format!("{} values for {} axes", given.len(), which.len()),
        ));
    }
    let mut pads = vec![0usize; 2 * rank];
    for (k, &a) in which.iter().enumerate() {
        let (b, e) = (given[k], given[k + which.len()]);
        if b < 0 || e < 0 {
            return Err(c.unsupported("negative pads (cropping)"));
        }
        pads[a] = c.to_usize("pads", b)?;
        pads[a + rank] = c.to_usize("pads", e)?;
    }
    unary(c, Pad { pads, value })
}
