//! The kernel twin test's programs: each case's config struct comes from the HLS emitter's own
//! mapping (`binpoint::emit::hls::config`: Rust kernel config → the members its header reads), so
//! the test checks the mapping that ships; here only the test body is written (read inputs, call,
//! write outputs). The types of inputs and outputs are spelled out (the emitter names them by
//! their tensors' typedefs).

use std::fmt::Write as _;

use binpoint::emit::hls::config::{self, Io, TypeName};
use binpoint::emit::hls::ConfigStruct;
use binpoint_runtime::ops::affine::AffineConfig;
use binpoint_runtime::ops::average_pool::AveragePoolConfig;
use binpoint_runtime::ops::binary::BinaryConfig;
use binpoint_runtime::ops::clip::ClipConfig;
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv1d_shift_add::Conv1dShiftAddConfig;
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::conv2d_shift_add::Conv2dShiftAddConfig;
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::dense_shift_add::DenseShiftAddConfig;
use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;
use binpoint_runtime::ops::global_max_pool::GlobalMaxPoolConfig;
use binpoint_runtime::ops::hard_sigmoid::HardSigmoidConfig;
use binpoint_runtime::ops::hard_swish::HardSwishConfig;
use binpoint_runtime::ops::leaky_relu::LeakyReluConfig;
use binpoint_runtime::ops::lut::{LutConfig, LutTable};
use binpoint_runtime::ops::max_pool::MaxPoolConfig;
use binpoint_runtime::ops::relu::ReluConfig;
use binpoint_runtime::ops::softmax::SoftmaxConfig;

/// The members of a config struct and the body of a test case.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub config: String,
    pub body: String,
}

impl Rendered {
    /// A case whose config struct is `c` (its name is the program's; only the body is used).
    fn of(c: &ConfigStruct) -> Rendered {
        Rendered {
            config: c.cpp_body(),
            body: String::new(),
        }
    }

    /// `static CFG::<ty> <var>[len]; bp_read(<var>, len);`
    fn input(&mut self, var: &str, ty: &str, len: usize) -> &mut Self {
        let _ = writeln!(
            self.body,
            "  static CFG::{ty} {var}[{len}];\n  bp_read({var}, {len});"
        );
        self
    }

    /// `static CFG::<ty> <var>[rows][cols];` read row-major (the weights of MAC kernels).
    fn matrix(&mut self, var: &str, ty: &str, rows: usize, cols: usize) -> &mut Self {
        let _ = writeln!(
            self.body,
            "  static CFG::{ty} {var}[{rows}][{cols}];\n  bp_read(&{var}[0][0], {});",
            rows * cols
        );
        self
    }

    fn output(&mut self, var: &str, ty: &str, len: usize) -> &mut Self {
        let _ = writeln!(self.body, "  static CFG::{ty} {var}[{len}];");
        self
    }

    fn call(&mut self, kernel: &str, args: &str, out: &str, len: usize) -> &mut Self {
        let _ = writeln!(
            self.body,
            "  binpoint::{kernel}<CFG>({args});\n  bp_write({out}, {len});"
        );
        self
    }

    fn done(&mut self) -> Rendered {
        std::mem::take(self)
    }
}

/// Inputs `x`, `w`, `b`; output `y`.
pub fn dense(cfg: &DenseConfig) -> Rendered {
    let io = Io::literal(cfg.types.input, cfg.types.output);
    Rendered::of(&config::dense(String::new(), cfg, &io))
        .input("x", "in_t", cfg.n_in)
        .matrix("w", "weight_t", cfg.n_out, cfg.n_in)
        .input("b", "bias_t", cfg.n_out)
        .output("y", "out_t", cfg.n_out)
        .call("dense", "x, y, w, b", "y", cfg.n_out)
        .done()
}

/// Inputs `x`, `w`, `b`; output `y`.
pub fn conv2d(cfg: &Conv2dConfig) -> Rendered {
    let io = Io::literal(cfg.types.input, cfg.types.output);
    Rendered::of(&config::conv2d(String::new(), cfg, &io))
        .input("x", "in_t", cfg.input_len())
        .matrix("w", "weight_t", cfg.out_channels, cfg.fan_in())
        .input("b", "bias_t", cfg.out_channels)
        .output("y", "out_t", cfg.output_len())
        .call("conv2d", "x, y, w, b", "y", cfg.output_len())
        .done()
}

/// Inputs `x`, `w`, `b`; output `y`.
pub fn conv1d(cfg: &Conv1dConfig) -> Rendered {
    let io = Io::literal(cfg.types.input, cfg.types.output);
    Rendered::of(&config::conv1d(String::new(), cfg, &io))
        .input("x", "in_t", cfg.input_len())
        .matrix("w", "weight_t", cfg.out_channels, cfg.fan_in())
        .input("b", "bias_t", cfg.out_channels)
        .output("y", "out_t", cfg.output_len())
        .call("conv1d", "x, y, w, b", "y", cfg.output_len())
        .done()
}

/// Inputs `x`, `shift`, `sign` (the digit tables), `b`; output `y`.
pub fn dense_shift_add(cfg: &DenseShiftAddConfig) -> Rendered {
    let d = &cfg.dense;
    let slots = d.n_in * d.n_out * cfg.terms.k as usize;
    let io = Io::literal(d.types.input, d.types.output);
    Rendered::of(&config::dense_shift_add(String::new(), cfg, &io))
        .input("x", "in_t", d.n_in)
        .input("shift", "shift_t", slots)
        .input("sign", "sign_t", slots)
        .input("b", "bias_t", d.n_out)
        .output("y", "out_t", d.n_out)
        .call("dense_shift_add", "x, y, shift, sign, b", "y", d.n_out)
        .done()
}

/// Inputs `x`, `shift`, `sign`, `b`; output `y`.
pub fn conv2d_shift_add(cfg: &Conv2dShiftAddConfig) -> Rendered {
    let c = &cfg.conv;
    let slots = c.weight_len() * cfg.terms.k as usize;
    let io = Io::literal(c.types.input, c.types.output);
    Rendered::of(&config::conv2d_shift_add(String::new(), cfg, &io))
        .input("x", "in_t", c.input_len())
        .input("shift", "shift_t", slots)
        .input("sign", "sign_t", slots)
        .input("b", "bias_t", c.out_channels)
        .output("y", "out_t", c.output_len())
        .call(
            "conv2d_shift_add",
            "x, y, shift, sign, b",
            "y",
            c.output_len(),
        )
        .done()
}

/// Inputs `x`, `shift`, `sign`, `b`; output `y`.
pub fn conv1d_shift_add(cfg: &Conv1dShiftAddConfig) -> Rendered {
    let c = &cfg.conv;
    let slots = c.weight_len() * cfg.terms.k as usize;
    let io = Io::literal(c.types.input, c.types.output);
    Rendered::of(&config::conv1d_shift_add(String::new(), cfg, &io))
        .input("x", "in_t", c.input_len())
        .input("shift", "shift_t", slots)
        .input("sign", "sign_t", slots)
        .input("b", "bias_t", c.out_channels)
        .output("y", "out_t", c.output_len())
        .call(
            "conv1d_shift_add",
            "x, y, shift, sign, b",
            "y",
            c.output_len(),
        )
        .done()
}

/// Input `x`; output `y`.
pub fn max_pool(cfg: &MaxPoolConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    Rendered::of(&config::max_pool(String::new(), cfg, &io))
        .input("x", "in_t", cfg.input_len())
        .output("y", "out_t", cfg.output_len())
        .call("max_pool", "x, y", "y", cfg.output_len())
        .done()
}

/// Inputs `x`, then the reciprocal table `recip` (see [`average_pool_recip`]); output `y`.
pub fn average_pool(cfg: &AveragePoolConfig) -> Rendered {
    let io = Io::literal(cfg.types.input, cfg.types.output);
    let table = cfg.window.size() + 1;
    Rendered::of(&config::average_pool(String::new(), cfg, &io))
        .input("x", "in_t", cfg.input_len())
        .input("recip", "recip_t", table)
        .output("y", "out_t", cfg.output_len())
        .call("average_pool", "x, y, recip", "y", cfg.output_len())
        .done()
}

/// The reciprocal table an average pool reads (the emitter's).
pub fn average_pool_recip(cfg: &AveragePoolConfig) -> Vec<i64> {
    config::average_pool_recip(cfg)
}

/// Input `x`; output `y`.
pub fn global_average_pool(cfg: &GlobalAveragePoolConfig) -> Rendered {
    let io = Io::literal(cfg.types.input, cfg.types.output);
    Rendered::of(&config::global_average_pool(String::new(), cfg, &io))
        .input("x", "in_t", cfg.channels * cfg.size)
        .output("y", "out_t", cfg.channels)
        .call("global_average_pool", "x, y", "y", cfg.channels)
        .done()
}

/// Input `x`; output `y`.
pub fn global_max_pool(cfg: &GlobalMaxPoolConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    Rendered::of(&config::global_max_pool(String::new(), cfg, &io))
        .input("x", "in_t", cfg.channels * cfg.size)
        .output("y", "out_t", cfg.channels)
        .call("global_max_pool", "x, y", "y", cfg.channels)
        .done()
}

/// Inputs `x`, `scale`, `shift`; output `y`.
pub fn affine(cfg: &AffineConfig) -> Rendered {
    let n = cfg.channels * cfg.size;
    let io = Io::literal(cfg.types.input, cfg.types.output);
    Rendered::of(&config::affine(String::new(), cfg, &io))
        .input("x", "in_t", n)
        .input("scale", "scale_t", cfg.channels)
        .input("shift", "shift_t", cfg.channels)
        .output("y", "out_t", n)
        .call("affine", "x, y, scale, shift", "y", n)
        .done()
}

/// Inputs `a`, `b`; output `y`. The kernel is `cfg.op` (`add`, `sub`, `mul`).
pub fn binary(cfg: &BinaryConfig) -> Rendered {
    let n = cfg.channels * cfg.size;
    let (a, b, out) = (
        TypeName::Literal(cfg.a.ty),
        TypeName::Literal(cfg.b.ty),
        TypeName::Literal(cfg.output),
    );
    Rendered::of(&config::binary(String::new(), cfg, &a, &b, &out))
        .input("a", "a_t", cfg.a.len)
        .input("b", "b_t", cfg.b.len)
        .output("y", "out_t", n)
        .call(cfg.op.name(), "a, b, y", "y", n)
        .done()
}

/// Input `x`; output `y` (every activation below).
fn unary(c: ConfigStruct, kernel: &str, size: usize) -> Rendered {
    Rendered::of(&c)
        .input("x", "in_t", size)
        .output("y", "out_t", size)
        .call(kernel, "x, y", "y", size)
        .done()
}

pub fn relu(cfg: &ReluConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    unary(config::relu(String::new(), cfg, &io), "relu", cfg.size)
}

pub fn clip(cfg: &ClipConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    unary(config::clip(String::new(), cfg, &io), "clip", cfg.size)
}

pub fn leaky_relu(cfg: &LeakyReluConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    unary(
        config::leaky_relu(String::new(), cfg, &io),
        "leaky_relu",
        cfg.size,
    )
}

pub fn hard_sigmoid(cfg: &HardSigmoidConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    unary(
        config::hard_sigmoid(String::new(), cfg, &io),
        "hard_sigmoid",
        cfg.size,
    )
}

pub fn hard_swish(cfg: &HardSwishConfig) -> Rendered {
    let io = Io::literal(cfg.input, cfg.output);
    unary(
        config::hard_swish(String::new(), cfg, &io),
        "hard_swish",
        cfg.size,
    )
}

/// `static const ap_uint<W> <var>[size] = {...};`: a table as the ROM of raw entry words.
fn table_words(r: &mut Rendered, var: &str, t: &LutTable) {
    let w = t.entry.width();
    let mask = if w >= 64 { u64::MAX } else { (1u64 << w) - 1 };
    let words: Vec<String> = t
        .entries
        .iter()
        .map(|&e| format!("{:#x}ULL", e as u64 & mask))
        .collect();
    let _ = writeln!(
        r.body,
        "  static const ap_uint<{w}> {var}[{}] = {{{}}};",
        t.size(),
        words.join(", ")
    );
}

/// Input `x` (the table's index type); output `y` (its entry type); the table is a constant.
pub fn lut(cfg: &LutConfig) -> Rendered {
    let io = Io::literal(cfg.input(), cfg.output());
    let mut r = Rendered::of(&config::lut(String::new(), cfg, &io));
    table_words(&mut r, "table", &cfg.table);
    r.input("x", "in_t", cfg.size)
        .output("y", "out_t", cfg.size)
        .call("lut", "x, y, table", "y", cfg.size)
        .done()
}

/// Input `x`; output `y`; both tables are constants.
pub fn softmax(cfg: &SoftmaxConfig) -> Rendered {
    let n = cfg.size();
    let io = Io::literal(cfg.types.input, cfg.types.output);
    let mut r = Rendered::of(&config::softmax(String::new(), cfg, &io));
    table_words(&mut r, "exp_table", &cfg.exp);
    table_words(&mut r, "inv_table", &cfg.inv);
    r.input("x", "in_t", n)
        .output("y", "out_t", n)
        .call("softmax", "x, y, exp_table, inv_table", "y", n)
        .done()
}
