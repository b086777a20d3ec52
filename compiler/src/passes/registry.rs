//! The one list of passes, by kebab-case name, and the named pipelines (data, not code).

use super::*;

/// The cleanup pipeline, in order.
pub const CLEANUP: &[&str] = &[
    "constant-folding",
    "remove-identity",
    "canonicalize-shapes",
    "fuse-dense",
    "fold-batch-norm",
    "dead-code",
];

pub fn by_name(name: &str) -> Option<Box<dyn Pass>> {
    Some(match name {
        "constant-folding" => Box::new(ConstantFolding),
        "remove-identity" => Box::new(RemoveIdentity),
        "canonicalize-shapes" => Box::new(CanonicalizeShapes),
        "fuse-dense" => Box::new(FuseDense),
        "fold-batch-norm" => Box::new(FoldBatchNorm),
        "dead-code" => Box::new(DeadCode),
        _ => return None,
    })
}

pub const ALL: &[&str] = CLEANUP;
