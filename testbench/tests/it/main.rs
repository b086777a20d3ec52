//! The integration tests of this crate, one binary (each former tests/<name>.rs is a module).

mod differential;
mod kernels_cpp;
