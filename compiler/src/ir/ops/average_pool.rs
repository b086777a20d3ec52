//! AveragePool, 1-D or 2-D: a sequential f32 sum over the window (row by row) divided once, as
//! onnxruntime computes it. With count_include_pad the divisor counts the padded positions a window
//! covers (not positions beyond the padding that ceil_mode adds); without, only real input positions.
use super::max_pool::{pool_eval, pool_shape};
use super::prelude::*;
use super::window::Window;

#[derive(Clone, Debug, PartialEq)]
pub struct AveragePool {
    pub window: Window,
    pub count_include_pad: bool,
}

impl OpSpec for AveragePool {
    fn name(&self) -> &'static str {
        "AveragePool"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        pool_shape(&self.window, arg(i, 0)?)
    }
    fn attrs(&self) -> String {
        format!(
            "{} count_include_pad={}",
            self.window.attrs(),
            self.count_include_pad as u8
        )
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        pool_eval(&self.window, arg(i, 0)?, |v, padded| {
            let sum: f32 = v.iter().sum();
            let n = if self.count_include_pad {
                padded
            } else {
                v.len()
            };
            if n == 0 {
                0.0
            } else {
                sum / n as f32
            }
        })
    }
}
