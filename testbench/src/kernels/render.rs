//! Rust kernel configs → the members of the C++ config structs that the kernel headers expect
//! (each header lists them in its comment), plus the test body: read inputs, call, write outputs.
//!
//! This is the test's copy of the mapping; the HLS emitter renders the same members from the
//! same Rust configs. Every number comes from the Rust config: nothing is recomputed here.

use std::fmt::Write as _;

use binpoint_runtime::ops::affine::AffineConfig;
use binpoint_runtime::ops::average_pool::{AveragePoolConfig, Divide};
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
use binpoint_runtime::ops::hard_sigmoid::{HardParams, HardSigmoidConfig};
use binpoint_runtime::ops::hard_swish::HardSwishConfig;
use binpoint_runtime::ops::leaky_relu::LeakyReluConfig;
use binpoint_runtime::ops::lut::{LutConfig, LutTable};
use binpoint_runtime::ops::max_pool::MaxPoolConfig;
use binpoint_runtime::ops::relu::ReluConfig;
use binpoint_runtime::ops::shift_add::{cpp_raw_type, CPP_SHIFT_TYPE, CPP_SIGN_TYPE};
use binpoint_runtime::ops::softmax::SoftmaxConfig;
use binpoint_runtime::ops::{MacTypes, Window2};
use binpoint_runtime::FixedType;

/// The members of a config struct and the body of a test case.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub config: String,
    pub body: String,
}

impl Rendered {
    fn int(&mut self, name: &str, v: usize) -> &mut Self {
        let _ = writeln!(self.config, "  static const int {name} = {v};");
        self
    }

    fn boolean(&mut self, name: &str, v: bool) -> &mut Self {
        let _ = writeln!(self.config, "  static const bool {name} = {v};");
        self
    }

    fn long(&mut self, name: &str, v: i64) -> &mut Self {
        let _ = writeln!(self.config, "  static const long long {name} = {};", ll(v));
        self
    }

    fn ty(&mut self, name: &str, t: FixedType) -> &mut Self {
        let _ = writeln!(self.config, "  typedef {t} {name};");
        self
    }

    /// `typedef <spelling> <name>;` for a type that is not a `FixedType` (`ap_int<W>`, ...).
    fn named(&mut self, name: &str, spelling: &str) -> &mut Self {
        let _ = writeln!(self.config, "  typedef {spelling} {name};");
        self
    }

    /// `static CFG::<ty> <var>[len]; bp_read(<var>, len);`
    fn input(&mut self, var: &str, ty: &str, len: usize) -> &mut Self {
        let _ = writeln!(
            self.body,
            "  static CFG::{ty} {var}[{len}];\n  bp_read({var}, {len});"
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

/// A C++ `long long` literal (the most negative one cannot be written directly).
fn ll(v: i64) -> String {
    if v == i64::MIN {
        "(-9223372036854775807LL - 1)".to_string()
    } else {
        format!("{v}LL")
    }
}

fn mac_types(r: &mut Rendered, t: &MacTypes) {
    r.ty("in_t", t.input)
        .ty("weight_t", t.weight)
        .ty("bias_t", t.bias)
        .ty("accum_t", t.accum)
        .ty("out_t", t.output);
}

/// Multipliers of a folded loop: `ceil(fan_in / reuse_factor)`.
fn block_factor(fan_in: usize, reuse_factor: usize) -> usize {
    fan_in.div_ceil(reuse_factor)
}

/// Inputs `x`, `w`, `b`; output `y`.
pub fn dense(cfg: &DenseConfig) -> Rendered {
    let mut r = Rendered::default();
    r.int("n_in", cfg.n_in)
        .int("n_out", cfg.n_out)
        .int("reuse_factor", cfg.reuse_factor)
        .int("block_factor", block_factor(cfg.n_in, cfg.reuse_factor));
    mac_types(&mut r, &cfg.types);
    r.input("x", "in_t", cfg.n_in)
        .input("w", "weight_t", cfg.n_in * cfg.n_out)
        .input("b", "bias_t", cfg.n_out)
        .output("y", "out_t", cfg.n_out)
        .call("dense", "x, y, w, b", "y", cfg.n_out)
        .done()
}

fn window(r: &mut Rendered, w: &Window2) {
    r.int("in_h", w.in_h)
        .int("in_w", w.in_w)
        .int("kernel_h", w.kernel_h)
        .int("kernel_w", w.kernel_w)
        .int("stride_h", w.stride_h)
        .int("stride_w", w.stride_w)
        .int("dilation_h", w.dilation_h)
        .int("dilation_w", w.dilation_w)
        .int("pad_top", w.pad_top)
        .int("pad_left", w.pad_left)
        .int("pad_bottom", w.pad_bottom)
        .int("pad_right", w.pad_right)
        .int("out_h", w.out_h)
        .int("out_w", w.out_w);
}

/// Inputs `x`, `w`, `b`; output `y`.
pub fn conv2d(cfg: &Conv2dConfig) -> Rendered {
    let mut r = Rendered::default();
    r.int("in_channels", cfg.in_channels)
        .int("out_channels", cfg.out_channels)
        .int("groups", cfg.groups)
        .int("reuse_factor", cfg.reuse_factor)
        .int("block_factor", block_factor(cfg.fan_in(), cfg.reuse_factor));
    window(&mut r, &cfg.window);
    mac_types(&mut r, &cfg.types);
    r.input("x", "in_t", cfg.input_len())
        .input("w", "weight_t", cfg.weight_len())
        .input("b", "bias_t", cfg.out_channels)
        .output("y", "out_t", cfg.output_len())
        .call("conv2d", "x, y, w, b", "y", cfg.output_len())
        .done()
}

/// Inputs `x`, `w`, `b`; output `y`.
pub fn conv1d(cfg: &Conv1dConfig) -> Rendered {
    let w = &cfg.window;
    let mut r = Rendered::default();
    r.int("in_channels", cfg.in_channels)
        .int("out_channels", cfg.out_channels)
        .int("groups", cfg.groups)
        .int("in_len", w.in_w)
        .int("kernel", w.kernel_w)
        .int("stride", w.stride_w)
        .int("dilation", w.dilation_w)
        .int("pad_left", w.pad_left)
        .int("out_len", w.out_w)
        .int("reuse_factor", cfg.reuse_factor)
        .int("block_factor", block_factor(cfg.fan_in(), cfg.reuse_factor));
    mac_types(&mut r, &cfg.types);
    r.input("x", "in_t", cfg.input_len())
        .input("w", "weight_t", cfg.weight_len())
        .input("b", "bias_t", cfg.out_channels)
        .output("y", "out_t", cfg.output_len())
        .call("conv1d", "x, y, w, b", "y", cfg.output_len())
        .done()
}

/// The shift-add members shared by the K-hot kernels: `khot`, the alignment shifts, the raw
/// integer types and the digit table types (`in_t`, `bias_t`, `accum_t`, `out_t` as MAC layers).
fn shift_add_members(r: &mut Rendered, t: &MacTypes, khot: u32, prod_shift: u32, bias_shift: u32) {
    r.int("khot", khot as usize)
        .int("prod_shift", prod_shift as usize)
        .int("bias_shift", bias_shift as usize);
    r.ty("in_t", t.input)
        .ty("bias_t", t.bias)
        .ty("accum_t", t.accum)
        .ty("out_t", t.output)
        .named("raw_t", &format!("ap_int<{}>", t.accum.width()))
        .named("in_raw_t", &cpp_raw_type(t.input))
        .named("bias_raw_t", &cpp_raw_type(t.bias))
        .named("shift_t", CPP_SHIFT_TYPE)
        .named("sign_t", CPP_SIGN_TYPE);
}

/// Inputs `x`, `shift`, `sign` (the digit tables), `b`; output `y`.
pub fn dense_shift_add(cfg: &DenseShiftAddConfig) -> Rendered {
    let d = &cfg.dense;
    let slots = d.n_in * d.n_out * cfg.terms.k as usize;
    let mut r = Rendered::default();
    r.int("n_in", d.n_in).int("n_out", d.n_out);
    shift_add_members(
        &mut r,
        &d.types,
        cfg.terms.k,
        d.plan.prod_shift,
        d.plan.bias_shift,
    );
    r.input("x", "in_t", d.n_in)
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
    let mut r = Rendered::default();
    r.int("in_channels", c.in_channels)
        .int("out_channels", c.out_channels)
        .int("groups", c.groups)
        .int("reuse_factor", c.reuse_factor);
    window(&mut r, &c.window);
    shift_add_members(
        &mut r,
        &c.types,
        cfg.terms.k,
        c.plan.prod_shift,
        c.plan.bias_shift,
    );
    r.input("x", "in_t", c.input_len())
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
    let w = &c.window;
    let slots = c.weight_len() * cfg.terms.k as usize;
    let mut r = Rendered::default();
    r.int("in_channels", c.in_channels)
        .int("out_channels", c.out_channels)
        .int("groups", c.groups)
        .int("in_len", w.in_w)
        .int("kernel", w.kernel_w)
        .int("stride", w.stride_w)
        .int("dilation", w.dilation_w)
        .int("pad_left", w.pad_left)
        .int("out_len", w.out_w)
        .int("reuse_factor", c.reuse_factor);
    shift_add_members(
        &mut r,
        &c.types,
        cfg.terms.k,
        c.plan.prod_shift,
        c.plan.bias_shift,
    );
    r.input("x", "in_t", c.input_len())
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
    let mut r = Rendered::default();
    r.int("channels", cfg.channels);
    window(&mut r, &cfg.window);
    r.ty("in_t", cfg.input).ty("out_t", cfg.output);
    r.input("x", "in_t", cfg.input_len())
        .output("y", "out_t", cfg.output_len())
        .call("max_pool", "x, y", "y", cfg.output_len())
        .done()
}

/// `shift_t`: the accumulator reread with `bits` more fractional bits (or the accumulator).
fn shift_type(divide: &Divide, accum: FixedType) -> FixedType {
    match divide {
        Divide::Shift { shifted, .. } => *shifted,
        Divide::Reciprocal { .. } => accum,
    }
}

/// Inputs `x`, then the reciprocal table `recip` (see [`average_pool_recip`]); output `y`.
pub fn average_pool(cfg: &AveragePoolConfig) -> Rendered {
    let mut r = Rendered::default();
    r.int("channels", cfg.channels);
    window(&mut r, &cfg.window);
    r.boolean("count_include_pad", cfg.count_include_pad)
        .boolean("shift_divide", matches!(cfg.divide, Divide::Shift { .. }))
        .ty("in_t", cfg.types.input)
        .ty("accum_t", cfg.types.accum)
        .ty("recip_t", cfg.types.recip)
        .ty("shift_t", shift_type(&cfg.divide, cfg.types.accum))
        .ty("out_t", cfg.types.output);
    let table = cfg.window.size() + 1;
    r.input("x", "in_t", cfg.input_len())
        .input("recip", "recip_t", table)
        .output("y", "out_t", cfg.output_len())
        .call("average_pool", "x, y, recip", "y", cfg.output_len())
        .done()
}

/// The reciprocal table an average pool reads (zeros when it shifts).
pub fn average_pool_recip(cfg: &AveragePoolConfig) -> Vec<i64> {
    match &cfg.divide {
        Divide::Reciprocal { recip, .. } => recip.clone(),
        Divide::Shift { .. } => vec![0; cfg.window.size() + 1],
    }
}

/// Input `x`; output `y`.
pub fn global_average_pool(cfg: &GlobalAveragePoolConfig) -> Rendered {
    let mut r = Rendered::default();
    let recip_bits = match &cfg.divide {
        Divide::Reciprocal { recip, .. } => recip[cfg.size],
        Divide::Shift { .. } => 0,
    };
    r.int("channels", cfg.channels)
        .int("size", cfg.size)
        .boolean("shift_divide", matches!(cfg.divide, Divide::Shift { .. }))
        .long("recip_bits", recip_bits)
        .ty("in_t", cfg.types.input)
        .ty("accum_t", cfg.types.accum)
        .ty("recip_t", cfg.types.recip)
        .ty("shift_t", shift_type(&cfg.divide, cfg.types.accum))
        .ty("out_t", cfg.types.output);
    r.input("x", "in_t", cfg.channels * cfg.size)
        .output("y", "out_t", cfg.channels)
        .call("global_average_pool", "x, y", "y", cfg.channels)
        .done()
}

/// Input `x`; output `y`.
pub fn global_max_pool(cfg: &GlobalMaxPoolConfig) -> Rendered {
    let mut r = Rendered::default();
    r.int("channels", cfg.channels)
        .int("size", cfg.size)
        .ty("in_t", cfg.input)
        .ty("out_t", cfg.output);
    r.input("x", "in_t", cfg.channels * cfg.size)
        .output("y", "out_t", cfg.channels)
        .call("global_max_pool", "x, y", "y", cfg.channels)
        .done()
}

/// Inputs `x`, `scale`, `shift`; output `y`.
pub fn affine(cfg: &AffineConfig) -> Rendered {
    let n = cfg.channels * cfg.size;
    let mut r = Rendered::default();
    r.int("channels", cfg.channels)
        .int("size", cfg.size)
        .ty("in_t", cfg.types.input)
        .ty("scale_t", cfg.types.scale)
        .ty("shift_t", cfg.types.shift)
        .ty("out_t", cfg.types.output);
    r.input("x", "in_t", n)
        .input("scale", "scale_t", cfg.channels)
        .input("shift", "shift_t", cfg.channels)
        .output("y", "out_t", n)
        .call("affine", "x, y, scale, shift", "y", n)
        .done()
}

/// Inputs `a`, `b`; output `y`. The kernel is `cfg.op` (`add`, `sub`, `mul`).
pub fn binary(cfg: &BinaryConfig) -> Rendered {
    let n = cfg.channels * cfg.size;
    let mut r = Rendered::default();
    r.int("channels", cfg.channels)
        .int("size", cfg.size)
        .int("a_len", cfg.a.len)
        .int("a_stride_c", cfg.a.stride_c)
        .int("a_stride_i", cfg.a.stride_i)
        .int("b_len", cfg.b.len)
        .int("b_stride_c", cfg.b.stride_c)
        .int("b_stride_i", cfg.b.stride_i)
        .ty("a_t", cfg.a.ty)
        .ty("b_t", cfg.b.ty)
        .ty("out_t", cfg.output);
    r.input("a", "a_t", cfg.a.len)
        .input("b", "b_t", cfg.b.len)
        .output("y", "out_t", n)
        .call(cfg.op.name(), "a, b, y", "y", n)
        .done()
}

fn unary(
    r: &mut Rendered,
    kernel: &str,
    size: usize,
    input: FixedType,
    output: FixedType,
) -> Rendered {
    r.int("size", size).ty("in_t", input).ty("out_t", output);
    r.input("x", "in_t", size)
        .output("y", "out_t", size)
        .call(kernel, "x, y", "y", size)
        .done()
}

/// Input `x`; output `y` (also for every activation below).
pub fn relu(cfg: &ReluConfig) -> Rendered {
    unary(
        &mut Rendered::default(),
        "relu",
        cfg.size,
        cfg.input,
        cfg.output,
    )
}

pub fn clip(cfg: &ClipConfig) -> Rendered {
    let mut r = Rendered::default();
    r.long("lo_bits", cfg.lo)
        .long("hi_bits", cfg.hi)
        .ty("bound_t", cfg.bound);
    unary(&mut r, "clip", cfg.size, cfg.input, cfg.output)
}

pub fn leaky_relu(cfg: &LeakyReluConfig) -> Rendered {
    let mut r = Rendered::default();
    r.long("alpha_bits", cfg.alpha)
        .ty("alpha_t", cfg.alpha_type);
    unary(&mut r, "leaky_relu", cfg.size, cfg.input, cfg.output)
}

fn hard_params(r: &mut Rendered, p: &HardParams) {
    r.long("alpha_bits", p.alpha)
        .long("beta_bits", p.beta)
        .ty("alpha_t", p.alpha_type)
        .ty("beta_t", p.beta_type);
}

pub fn hard_sigmoid(cfg: &HardSigmoidConfig) -> Rendered {
    let mut r = Rendered::default();
    hard_params(&mut r, &cfg.params);
    unary(&mut r, "hard_sigmoid", cfg.size, cfg.input, cfg.output)
}

pub fn hard_swish(cfg: &HardSwishConfig) -> Rendered {
    let mut r = Rendered::default();
    hard_params(&mut r, &cfg.params);
    unary(&mut r, "hard_swish", cfg.size, cfg.input, cfg.output)
}

/// `struct <name> { size, shift, width, origin }`: a table's index arithmetic (`lut.h`).
fn table_index(r: &mut Rendered, name: &str, t: &LutTable) {
    let _ = writeln!(
        r.config,
        "  struct {name} {{\n    static const int size = {};\n    static const int shift = {};\n    \
         static const int width = {};\n    static const long long origin = {};\n  }};",
        t.size(),
        t.cpp_shift(),
        t.index_width,
        ll(t.origin_raw)
    );
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
    let mut r = Rendered::default();
    r.int("size", cfg.size);
    table_index(&mut r, "table_index", &cfg.table);
    r.ty("in_t", cfg.input()).ty("out_t", cfg.output());
    table_words(&mut r, "table", &cfg.table);
    r.input("x", "in_t", cfg.size)
        .output("y", "out_t", cfg.size)
        .call("lut", "x, y, table", "y", cfg.size)
        .done()
}

/// Input `x`; output `y`; both tables are constants.
pub fn softmax(cfg: &SoftmaxConfig) -> Rendered {
    let n = cfg.size();
    let mut r = Rendered::default();
    r.int("outer", cfg.outer)
        .int("len", cfg.len)
        .int("inner", cfg.inner);
    table_index(&mut r, "exp_index", &cfg.exp);
    table_index(&mut r, "inv_index", &cfg.inv);
    r.ty("in_t", cfg.types.input)
        .ty("diff_t", cfg.exp.index)
        .ty("exp_t", cfg.exp.entry)
        .ty("sum_t", cfg.types.sum)
        .ty("inv_t", cfg.inv.entry)
        .ty("out_t", cfg.types.output);
    table_words(&mut r, "exp_table", &cfg.exp);
    table_words(&mut r, "inv_table", &cfg.inv);
    r.input("x", "in_t", n)
        .output("y", "out_t", n)
        .call("softmax", "x, y, exp_table, inv_table", "y", n)
        .done()
}
