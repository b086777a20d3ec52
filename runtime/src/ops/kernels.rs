//! The kernels, one entry each: the list every other list of kernels derives from (the interpreter,
//! both emitters, the estimator, the twin test, docs/adding-an-op.md). A kernel's stem names it in
//! every layer: `runtime/src/ops/<stem>.rs`, `hls-templates/kernels/<stem>.h`, the layer's
//! `kernel` in report.json and hardware.json. The data-movement kernels share one header
//! (`hls-templates/firmware/movement.h`) and run inside the interpreter (`model/interp.rs`).

/// What each backend needs to know of a kernel, written once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelInfo {
    /// Its name in every layer (see the module doc).
    pub stem: &'static str,
    /// The C++ header the firmware includes for it.
    pub header: &'static str,
    /// A multiply-accumulate kernel: the hardware plan folds it with a reuse factor.
    pub mac: bool,
    /// The emitter file of its family (`emit/hls/<family>.rs`, `emit/sim/<family>.rs`,
    /// `lower/<family>.rs`).
    pub family: Family,
}

/// The kernel families: one file per family in `lower/`, `emit/hls/` and `emit/sim/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Mac,
    Pool,
    Elementwise,
    Activation,
    Lut,
    Movement,
}

impl Family {
    /// The stem of its files.
    pub fn file(self) -> &'static str {
        match self {
            Family::Mac => "mac",
            Family::Pool => "pool",
            Family::Elementwise => "elementwise",
            Family::Activation => "activation",
            Family::Lut => "lut",
            Family::Movement => "movement",
        }
    }
}

const fn k(stem: &'static str, header: &'static str, mac: bool, family: Family) -> KernelInfo {
    KernelInfo {
        stem,
        header,
        mac,
        family,
    }
}

/// Every kernel, in the order of docs/kernels.md.
pub const KERNELS: &[KernelInfo] = &[
    k("dense", "dense.h", true, Family::Mac),
    k("conv1d", "conv1d.h", true, Family::Mac),
    k("conv2d", "conv2d.h", true, Family::Mac),
    k("dense_shift_add", "dense_shift_add.h", true, Family::Mac),
    k("conv1d_shift_add", "conv1d_shift_add.h", true, Family::Mac),
    k("conv2d_shift_add", "conv2d_shift_add.h", true, Family::Mac),
    k("max_pool", "max_pool.h", false, Family::Pool),
    k("average_pool", "average_pool.h", false, Family::Pool),
    k("global_max_pool", "global_max_pool.h", false, Family::Pool),
    k(
        "global_average_pool",
        "global_average_pool.h",
        false,
        Family::Pool,
    ),
    k("affine", "affine.h", false, Family::Mac),
    k("add", "add.h", false, Family::Elementwise),
    k("sub", "sub.h", false, Family::Elementwise),
    k("mul", "mul.h", false, Family::Elementwise),
    k("relu", "relu.h", false, Family::Activation),
    k("clip", "clip.h", false, Family::Activation),
    k("leaky_relu", "leaky_relu.h", false, Family::Activation),
    k("hard_sigmoid", "hard_sigmoid.h", false, Family::Activation),
    k("hard_swish", "hard_swish.h", false, Family::Activation),
    k("lut", "lut.h", false, Family::Lut),
    k("softmax", "softmax.h", false, Family::Lut),
    k("view", "movement.h", false, Family::Movement),
    k("cast", "movement.h", false, Family::Movement),
    k("gather", "movement.h", false, Family::Movement),
    k("concat", "movement.h", false, Family::Movement),
];

/// The kernel named `stem`.
pub fn kernel(stem: &str) -> Option<&'static KernelInfo> {
    KERNELS.iter().find(|k| k.stem == stem)
}

/// The kernels with their own Rust file and C++ header (every family but data movement): the
/// ones the twin test checks against g++.
pub fn twins() -> impl Iterator<Item = &'static KernelInfo> {
    KERNELS.iter().filter(|k| k.family != Family::Movement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_unique_and_headers_follow_them() {
        for (i, a) in KERNELS.iter().enumerate() {
            assert!(
                KERNELS[i + 1..].iter().all(|b| b.stem != a.stem),
                "{}",
                a.stem
            );
            if a.family != Family::Movement {
                assert_eq!(a.header, format!("{}.h", a.stem));
            }
        }
    }
}
