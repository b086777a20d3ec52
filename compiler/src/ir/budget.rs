//! One memory budget for a model's tensors: every tensor of the graph for one sample (constants
//! and activations alike) must fit in [`MODEL_BYTES`] together. The loader charges each constant
//! before it allocates it (initializers, `Constant`, `ConstantOfShape`), and `Graph::verify` checks
//! the whole graph after every pass, so constant folding (which turns a computed tensor into a
//! stored one of the same size) never exceeds it either. A model over the budget is an error
//! naming the node whose tensor crosses it, never an allocation of gigabytes.

use crate::error::CompileError;

/// 1 GiB: ten times VGG-16's weights plus its activations, far above any model an FPGA holds.
pub const MODEL_BYTES: u64 = 1 << 30;

/// Bytes charged so far against [`MODEL_BYTES`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    used: u64,
}

impl Budget {
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Charges `bytes` for node `node` (op `op`) of `file`, or says why it does not fit.
    pub fn charge(
        &mut self,
        bytes: u64,
        file: &str,
        node: &str,
        op: &str,
    ) -> Result<(), CompileError> {
        match self.used.checked_add(bytes) {
            Some(total) if total <= MODEL_BYTES => {
                self.used = total;
                Ok(())
            }
            _ => Err(CompileError::MemoryBudget {
                file: file.into(),
                node: node.into(),
                op: op.into(),
                bytes,
                used: self.used,
                limit: MODEL_BYTES,
            }),
        }
    }
}

/// Bytes of `elements` values of `elem_bytes` each, saturating (a saturated count is over budget).
pub fn bytes_of(elements: u64, elem_bytes: u64) -> u64 {
    elements.saturating_mul(elem_bytes)
}

/// Bytes of a node's tensor for one sample: integer constants as i64, everything else as f32.
pub fn node_bytes(node: &super::Node) -> u64 {
    let elem = match &node.op {
        super::Op::Const(c) if matches!(c.data, super::TensorData::I64(_)) => 8,
        _ => 4,
    };
    node.shape
        .fixed_numel()
        .map_or(u64::MAX, |n| bytes_of(n, elem))
}
