//! dead-code: removes nodes that no graph output depends on.
use super::{CleanupOptions, Pass};
use crate::error::CompileError;
use crate::ir::Graph;

pub struct DeadCode;

impl Pass for DeadCode {
    fn name(&self) -> &'static str {
        "dead-code"
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        Ok(g.remove_dead() > 0)
    }
}
