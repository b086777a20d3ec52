//! The integration tests of this crate, one binary (each former tests/<name>.rs is a module).

mod kernels_lut;
mod kernels_ops;
mod kernels_requant;
mod kernels_shift_add;
mod worked_examples;
