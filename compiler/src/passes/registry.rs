//! The one list of passes, by kebab-case name, and the named pipelines (data, not code).

use super::*;

/// The cleanup pipeline, in order.
pub const CLEANUP: &[&str] = &[
    "quant-weights",
    "constant-folding",
    "remove-identity",
    "canonicalize-shapes",
    "fuse-dense",
    "fold-batch-norm",
    "fold-quantizers",
    "dead-code",
];

/// The float reference: cleanup without fold-quantizers, so the model's quantizers (IR `Quant`)
/// still round and clamp when the graph is evaluated in float (`binpoint simulate --float`, the
/// float column of the accuracy report).
pub const FLOAT_REFERENCE: &[&str] = &[
    "quant-weights",
    "constant-folding",
    "remove-identity",
    "canonicalize-shapes",
    "fuse-dense",
    "fold-batch-norm",
    "dead-code",
];

pub fn by_name(name: &str) -> Option<Box<dyn Pass>> {
    Some(match name {
        "quant-weights" => Box::new(QuantWeights),
        "constant-folding" => Box::new(ConstantFolding),
        "remove-identity" => Box::new(RemoveIdentity),
        "canonicalize-shapes" => Box::new(CanonicalizeShapes),
        "fuse-dense" => Box::new(FuseDense),
        "fold-batch-norm" => Box::new(FoldBatchNorm),
        "fold-quantizers" => Box::new(FoldQuantizers),
        "dead-code" => Box::new(DeadCode),
        _ => return None,
    })
}

pub const ALL: &[&str] = CLEANUP;
