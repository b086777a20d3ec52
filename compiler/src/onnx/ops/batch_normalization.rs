//! ONNX BatchNormalization in inference mode (epsilon; momentum ignored; training_mode = 1 unsupported).
use super::R;
use crate::ir::ops::BatchNorm;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    if c.attr_i("training_mode", 0)? != 0 {
        return Err(c.unsupported("training_mode = 1 is not supported"));
    }
    let epsilon = c.attr_f("epsilon", 1e-5)?;
    let ins = (0..5).map(|i| c.data(i)).collect::<Result<Vec<_>, _>>()?;
    c.emit(BatchNorm { epsilon }, &ins)?;
    Ok(())
}
