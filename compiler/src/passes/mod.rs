//! Cleanup passes over the float IR, in the order they run (see `registry.rs`):
//! quant-weights, constant-folding, remove-identity, canonicalize-shapes, fuse-dense, fold-batch-norm,
//! fold-quantizers, dead-code.
//! The manager verifies the graph after every pass and names the pass in the error; the pipeline
//! repeats while anything changes, at most [`MAX_ROUNDS`] times, and rewrite loops inside passes
//! are capped too.
//!
//! Compression (low-rank) is a phase of its own after cleanup: `crate::compress`.

mod canonicalize_shapes;
mod constant_folding;
mod dead_code;
mod fold_batch_norm;
mod fold_quantizers;
mod fuse_dense;
mod quant_weights;
pub mod registry;
mod remove_identity;

pub use canonicalize_shapes::CanonicalizeShapes;
pub use constant_folding::ConstantFolding;
pub use dead_code::DeadCode;
pub use fold_batch_norm::FoldBatchNorm;
pub use fold_quantizers::FoldQuantizers;
pub use fuse_dense::FuseDense;
pub use quant_weights::QuantWeights;
pub use remove_identity::RemoveIdentity;

use crate::error::CompileError;
use crate::ir::Graph;

pub const MAX_ROUNDS: usize = 4;
/// Cap on rewrites inside one run of one pass.
pub const MAX_REWRITES: usize = 100_000;

#[derive(Clone, Debug, Default)]
pub struct CleanupOptions {
    /// Keep BatchNorm as its own element-wise affine layer (QFX-style) instead of folding it into
    /// the Conv/Dense before it.
    pub keep_batch_norm: bool,
}

pub trait Pass {
    /// kebab-case, as listed in the registry.
    fn name(&self) -> &'static str;
    /// Rewrites the graph; returns whether anything changed.
    fn run(&self, g: &mut Graph, opts: &CleanupOptions) -> Result<bool, CompileError>;
}

/// The default cleanup pipeline.
pub fn cleanup(g: &mut Graph, opts: &CleanupOptions) -> Result<(), CompileError> {
    run_pipeline(g, registry::CLEANUP, opts)
}

/// Runs the named passes in order, repeating while the graph changes.
pub fn run_pipeline(
    g: &mut Graph,
    names: &[&str],
    opts: &CleanupOptions,
) -> Result<(), CompileError> {
    let passes = names
        .iter()
        .map(|n| {
            registry::by_name(n).ok_or_else(|| CompileError::Pass {
                file: g.source.clone(),
                pass: n.to_string(),
                reason: "no such pass".into(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for p in &passes {
            changed |= p.run(g, opts)?;
            g.verify_after(p.name())?;
        }
        if !changed {
            break;
        }
    }
    Ok(())
}

pub(crate) fn pass_err(g: &Graph, pass: &str, reason: impl Into<String>) -> CompileError {
    CompileError::Pass {
        file: g.source.clone(),
        pass: pass.into(),
        reason: reason.into(),
    }
}
