//! ONNX BatchNormalization in inference mode (epsilon; momentum ignored; training_mode = 1 unsupported;
//! opset < 9 forms adapted in onnx/opset.rs; Keras' Transpose pairs folded in onnx/idioms.rs).
use super::R;
use crate::ir::ops::BatchNorm;
use crate::onnx::context::NodeCtx;
use crate::onnx::idioms::FOLDED_REVERSAL;

pub fn convert(c: &mut NodeCtx) -> R {
    if c.attr_i("training_mode", 0)? != 0 {
        return Err(c.unsupported("training_mode = 1 is not supported"));
    }
    if c.attr_bool(FOLDED_REVERSAL, false)? {
        // Two axis reversals folded away (onnx/idioms.rs): exact at rank 3, Keras' per-feature
        // BatchNorm at rank 2; at other ranks the reversal moved the channel axis.
        let rank = c.shape(0)?.rank();
        if !(2..=3).contains(&rank) {
            return Err(c.unsupported(format!(
                "between two Transposes that reverse the axes of a rank-{rank} tensor, \
                 BatchNormalization normalizes axis {} of it (only axis 1 is supported)",
                rank.saturating_sub(2)
            )));
        }
    }
    let epsilon = c.attr_f("epsilon", 1e-5)?;
    let ins = (0..5).map(|i| c.data(i)).collect::<Result<Vec<_>, _>>()?;
    c.emit(BatchNorm { epsilon }, &ins)?;
    Ok(())
}
