//! Element-wise `y = a + b` with broadcast (full tensors, per-channel constants, scalars). Twin
//! of `hls-templates/kernels/add.h`; the loops, the exact result type and the one output cast are
//! described in [`binary`](super::binary).

use super::binary::{self, BinaryConfig, BinaryOp, Operand};
use super::common::{OpError, Raw};
use crate::FixedType;

/// `a + b` over `[channels][size]`.
pub fn config(
    channels: usize,
    size: usize,
    a: Operand,
    b: Operand,
    output: FixedType,
) -> Result<BinaryConfig, OpError> {
    BinaryConfig::new(BinaryOp::Add, channels, size, a, b, output)
}

/// Runs `a + b` on raw values (`cfg` from [`config`]).
pub fn run<A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: &[A],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    if cfg.op != BinaryOp::Add {
        return Err(OpError::config(
            "add",
            format!("config is for {}", cfg.op.name()),
        ));
    }
    binary::run(cfg, a, b, y)
}
