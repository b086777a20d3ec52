//! Constant tensor data: float weights as f32, integer (shape) tensors as i64.

use ndarray::ArrayD;

#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    F32(ArrayD<f32>),
    I64(ArrayD<i64>),
}

impl TensorData {
    pub fn shape(&self) -> &[usize] {
        match self {
            TensorData::F32(a) => a.shape(),
            TensorData::I64(a) => a.shape(),
        }
    }
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(a) => a.len(),
            TensorData::I64(a) => a.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn dtype(&self) -> &'static str {
        match self {
            TensorData::F32(_) => "f32",
            TensorData::I64(_) => "i64",
        }
    }
    pub fn as_f32(&self) -> Option<&ArrayD<f32>> {
        match self {
            TensorData::F32(a) => Some(a),
            TensorData::I64(_) => None,
        }
    }
    /// Converts to f32 (integers exactly when they fit in f32's mantissa).
    pub fn to_f32(&self) -> ArrayD<f32> {
        match self {
            TensorData::F32(a) => a.clone(),
            TensorData::I64(a) => a.mapv(|v| v as f32),
        }
    }
}
