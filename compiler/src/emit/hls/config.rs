//! Each kernel's C++ `CONFIG` members, from its runtime config: the one mapping from a Rust kernel
//! config to the struct its header reads (each header lists the members in its comment). The HLS
//! emitter renders these structs into `parameters.h`; the kernel twin test renders the same structs
//! into its test programs, so the twin test checks the mapping that ships.
//!
//! The tensors' types are named by the caller ([`TypeName`]): the emitter uses the typedefs of the
//! layer's buffers, the twin test the types themselves.

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
use binpoint_runtime::ops::{MacFold, MacStrategy, MacTypes, Window2};
use binpoint_runtime::FixedType;

use std::fmt::Write as _;

/// `static const <ty> <name> = <value>;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub ty: &'static str,
    pub name: String,
    pub value: String,
}

/// `typedef <ty> <name>;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typedef {
    pub ty: String,
    pub name: String,
}

/// A struct nested in a config (a table's index arithmetic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubStruct {
    pub name: String,
    pub members: Vec<Member>,
}

/// A kernel's `CONFIG` struct (see the kernel header's comment for its members).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigStruct {
    pub name: String,
    pub members: Vec<Member>,
    pub types: Vec<Typedef>,
    pub subs: Vec<SubStruct>,
}

/// A C++ `long long` literal (the most negative one cannot be written directly).
pub fn ll(v: i64) -> String {
    if v == i64::MIN {
        "(-9223372036854775807LL - 1)".to_string()
    } else {
        format!("{v}LL")
    }
}

impl ConfigStruct {
    pub fn new(name: String) -> ConfigStruct {
        ConfigStruct {
            name,
            ..ConfigStruct::default()
        }
    }

    /// `static const int` (every dimension is at most the runtime's tensor limit, 2^26).
    pub fn int(&mut self, name: &str, v: usize) -> &mut Self {
        self.members.push(int_member(name, v));
        self
    }

    /// `static const int` set to a named C++ constant (an enumerator).
    pub fn named_int(&mut self, name: &str, value: &str) -> &mut Self {
        self.members.push(Member {
            ty: "int",
            name: name.into(),
            value: value.into(),
        });
        self
    }

    pub fn boolean(&mut self, name: &str, v: bool) -> &mut Self {
        self.members.push(Member {
            ty: "bool",
            name: name.into(),
            value: v.to_string(),
        });
        self
    }

    /// `static const long long`: a raw constant.
    pub fn long(&mut self, name: &str, v: i64) -> &mut Self {
        self.members.push(Member {
            ty: "long long",
            name: name.into(),
            value: ll(v),
        });
        self
    }

    /// `typedef <ap_fixed type> <name>;`
    pub fn ty(&mut self, name: &str, t: FixedType) -> &mut Self {
        self.named(name, t.to_string())
    }

    /// `typedef <an existing type name> <name>;` (a tensor's typedef).
    pub fn named(&mut self, name: &str, ty: String) -> &mut Self {
        self.types.push(Typedef {
            ty,
            name: name.into(),
        });
        self
    }

    pub fn sub(&mut self, s: SubStruct) -> &mut Self {
        self.subs.push(s);
        self
    }

    /// The struct's body as C++ lines (members, typedefs, nested structs), two spaces in: what
    /// the kernel twin test declares. `parameters.h` renders the same struct through its
    /// template.
    pub fn cpp_body(&self) -> String {
        let mut s = String::new();
        for m in &self.members {
            let _ = writeln!(s, "  static const {} {} = {};", m.ty, m.name, m.value);
        }
        for t in &self.types {
            let _ = writeln!(s, "  typedef {} {};", t.ty, t.name);
        }
        for sub in &self.subs {
            let _ = writeln!(s, "  struct {} {{", sub.name);
            for m in &sub.members {
                let _ = writeln!(s, "    static const {} {} = {};", m.ty, m.name, m.value);
            }
            let _ = writeln!(s, "  }};");
        }
        s
    }
}

pub fn int_member(name: &str, v: usize) -> Member {
    Member {
        ty: "int",
        name: name.into(),
        value: v.to_string(),
    }
}

/// How a config names a tensor's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeName {
    /// A typedef that exists (the emitter's `<tensor>_t`).
    Named(String),
    /// The type itself (`ap_fixed<8,3,...>`).
    Literal(FixedType),
}

impl TypeName {
    fn spelling(&self) -> String {
        match self {
            TypeName::Named(n) => n.clone(),
            TypeName::Literal(t) => t.to_string(),
        }
    }
}

/// The names of a layer's input and output types (`in_t`, `out_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Io {
    pub input: TypeName,
    pub output: TypeName,
}

impl Io {
    /// Both types spelled out (the twin test).
    pub fn literal(input: FixedType, output: FixedType) -> Io {
        Io {
            input: TypeName::Literal(input),
            output: TypeName::Literal(output),
        }
    }
}

fn io_types(c: &mut ConfigStruct, io: &Io) {
    c.named("in_t", io.input.spelling())
        .named("out_t", io.output.spelling());
}

/// The folding of a position's `n_in × n_out` products ([`MacFold`]): `strategy`,
/// `reuse_factor` (hls4ml's), `block_factor` (multipliers) and `output_groups`.
fn folding(c: &mut ConfigStruct, fold: &MacFold, n_in: usize, n_out: usize) {
    let strategy = match fold.strategy {
        MacStrategy::Latency => "binpoint::latency",
        MacStrategy::Resource => "binpoint::resource",
    };
    c.named_int("strategy", strategy)
        .int("reuse_factor", fold.reuse_factor)
        .int("block_factor", fold.block_factor(n_in, n_out))
        .int("output_groups", fold.output_groups(n_in));
}

/// `in_banks`, `out_banks`: how the `resource` convolution partitions its input and output
/// arrays ([`MacFold::conv_in_banks`], [`MacFold::conv_out_banks`]; the estimator reads the same).
fn conv_banks(
    c: &mut ConfigStruct,
    fold: &MacFold,
    n_in: usize,
    n_out: usize,
    groups: usize,
    input_len: usize,
) {
    c.int(
        "in_banks",
        fold.conv_in_banks(n_in, n_out, groups, input_len),
    )
    .int("out_banks", fold.conv_out_banks(n_in, n_out));
}

/// `in_t, weight_t, bias_t, accum_t, out_t`.
fn mac_types(c: &mut ConfigStruct, t: &MacTypes, io: &Io) {
    c.named("in_t", io.input.spelling())
        .ty("weight_t", t.weight)
        .ty("bias_t", t.bias)
        .ty("accum_t", t.accum)
        .named("out_t", io.output.spelling());
}

pub fn window_members(c: &mut ConfigStruct, w: &Window2) {
    c.int("in_h", w.in_h)
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

/// The 1-D window (a 2-D one of height 1): `in_len`, `kernel`, `stride`, `dilation`,
/// `pad_left`, `out_len`.
fn window_1d(c: &mut ConfigStruct, w: &Window2) {
    c.int("in_len", w.in_w)
        .int("kernel", w.kernel_w)
        .int("stride", w.stride_w)
        .int("dilation", w.dilation_w)
        .int("pad_left", w.pad_left)
        .int("out_len", w.out_w);
}

pub fn dense(name: String, cfg: &DenseConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("n_in", cfg.n_in).int("n_out", cfg.n_out);
    folding(&mut c, &cfg.fold, cfg.n_in, cfg.n_out);
    mac_types(&mut c, &cfg.types, io);
    c
}

pub fn conv1d(name: String, cfg: &Conv1dConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("in_channels", cfg.in_channels)
        .int("out_channels", cfg.out_channels)
        .int("groups", cfg.groups);
    window_1d(&mut c, &cfg.window);
    c.int("fan_in", cfg.fan_in());
    folding(&mut c, &cfg.fold, cfg.fan_in(), cfg.out_channels);
    conv_banks(
        &mut c,
        &cfg.fold,
        cfg.fan_in(),
        cfg.out_channels,
        cfg.groups,
        cfg.input_len(),
    );
    mac_types(&mut c, &cfg.types, io);
    c
}

pub fn conv2d(name: String, cfg: &Conv2dConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("in_channels", cfg.in_channels)
        .int("out_channels", cfg.out_channels)
        .int("groups", cfg.groups);
    window_members(&mut c, &cfg.window);
    c.int("fan_in", cfg.fan_in());
    folding(&mut c, &cfg.fold, cfg.fan_in(), cfg.out_channels);
    conv_banks(
        &mut c,
        &cfg.fold,
        cfg.fan_in(),
        cfg.out_channels,
        cfg.groups,
        cfg.input_len(),
    );
    mac_types(&mut c, &cfg.types, io);
    c
}

/// The shift-add members shared by the K-hot kernels: `khot`, the alignment shifts, the raw
/// integer types and the digit table types (`in_t`, `bias_t`, `accum_t`, `out_t` as MAC layers).
fn shift_add_members(
    c: &mut ConfigStruct,
    t: &MacTypes,
    khot: u32,
    prod_shift: u32,
    bias_shift: u32,
    io: &Io,
) {
    c.int("khot", khot as usize)
        .int("prod_shift", prod_shift as usize)
        .int("bias_shift", bias_shift as usize)
        .named("in_t", io.input.spelling())
        .ty("bias_t", t.bias)
        .ty("accum_t", t.accum)
        .named("out_t", io.output.spelling())
        .named("raw_t", format!("ap_int<{}>", t.accum.width()))
        .named("in_raw_t", cpp_raw_type(t.input))
        .named("bias_raw_t", cpp_raw_type(t.bias))
        .named("shift_t", CPP_SHIFT_TYPE.into())
        .named("sign_t", CPP_SIGN_TYPE.into());
}

pub fn dense_shift_add(name: String, cfg: &DenseShiftAddConfig, io: &Io) -> ConfigStruct {
    let d = &cfg.dense;
    let mut c = ConfigStruct::new(name);
    c.int("n_in", d.n_in).int("n_out", d.n_out);
    let p = &d.plan;
    shift_add_members(
        &mut c,
        &d.types,
        cfg.terms.k,
        p.prod_shift,
        p.bias_shift,
        io,
    );
    c
}

pub fn conv1d_shift_add(name: String, cfg: &Conv1dShiftAddConfig, io: &Io) -> ConfigStruct {
    let k = &cfg.conv;
    let mut c = ConfigStruct::new(name);
    c.int("in_channels", k.in_channels)
        .int("out_channels", k.out_channels)
        .int("groups", k.groups);
    window_1d(&mut c, &k.window);
    c.int("reuse_factor", k.fold.reuse_factor);
    let p = &k.plan;
    shift_add_members(
        &mut c,
        &k.types,
        cfg.terms.k,
        p.prod_shift,
        p.bias_shift,
        io,
    );
    c
}

pub fn conv2d_shift_add(name: String, cfg: &Conv2dShiftAddConfig, io: &Io) -> ConfigStruct {
    let k = &cfg.conv;
    let mut c = ConfigStruct::new(name);
    c.int("in_channels", k.in_channels)
        .int("out_channels", k.out_channels)
        .int("groups", k.groups);
    window_members(&mut c, &k.window);
    c.int("reuse_factor", k.fold.reuse_factor);
    let p = &k.plan;
    shift_add_members(
        &mut c,
        &k.types,
        cfg.terms.k,
        p.prod_shift,
        p.bias_shift,
        io,
    );
    c
}

pub fn max_pool(name: String, cfg: &MaxPoolConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("channels", cfg.channels);
    window_members(&mut c, &cfg.window);
    io_types(&mut c, io);
    c
}

pub fn global_max_pool(name: String, cfg: &GlobalMaxPoolConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("channels", cfg.channels).int("size", cfg.size);
    io_types(&mut c, io);
    c
}

/// `shift_t`: the accumulator reread with more fractional bits (or the accumulator).
fn shift_type(divide: &Divide, accum: FixedType) -> FixedType {
    match divide {
        Divide::Shift { shifted, .. } => *shifted,
        Divide::Reciprocal { .. } => accum,
    }
}

fn avg_members(c: &mut ConfigStruct, divide: &Divide, accum: FixedType, recip: FixedType, io: &Io) {
    c.boolean("shift_divide", matches!(divide, Divide::Shift { .. }))
        .named("in_t", io.input.spelling())
        .ty("accum_t", accum)
        .ty("recip_t", recip)
        .ty("shift_t", shift_type(divide, accum))
        .named("out_t", io.output.spelling());
}

pub fn average_pool(name: String, cfg: &AveragePoolConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("channels", cfg.channels);
    window_members(&mut c, &cfg.window);
    c.boolean("count_include_pad", cfg.count_include_pad);
    avg_members(&mut c, &cfg.divide, cfg.types.accum, cfg.types.recip, io);
    c
}

/// The reciprocal table an average pool reads, indexed by the divisor (zeros when it shifts).
pub fn average_pool_recip(cfg: &AveragePoolConfig) -> Vec<i64> {
    match &cfg.divide {
        Divide::Reciprocal { recip, .. } => recip.clone(),
        Divide::Shift { .. } => vec![0; cfg.window.size() + 1],
    }
}

pub fn global_average_pool(name: String, cfg: &GlobalAveragePoolConfig, io: &Io) -> ConfigStruct {
    let recip_bits = match &cfg.divide {
        Divide::Reciprocal { recip, .. } => recip[cfg.size],
        Divide::Shift { .. } => 0,
    };
    let mut c = ConfigStruct::new(name);
    c.int("channels", cfg.channels)
        .int("size", cfg.size)
        .long("recip_bits", recip_bits);
    avg_members(&mut c, &cfg.divide, cfg.types.accum, cfg.types.recip, io);
    c
}

pub fn affine(name: String, cfg: &AffineConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("channels", cfg.channels)
        .int("size", cfg.size)
        .named("in_t", io.input.spelling())
        .ty("scale_t", cfg.types.scale)
        .ty("shift_t", cfg.types.shift)
        .named("out_t", io.output.spelling());
    c
}

/// Add, Sub, Mul: `a` and `b` are named like the inputs of other kernels (a constant operand's
/// type is spelled out, a tensor's is its typedef).
pub fn binary(
    name: String,
    cfg: &BinaryConfig,
    a: &TypeName,
    b: &TypeName,
    out: &TypeName,
) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("channels", cfg.channels).int("size", cfg.size);
    for (which, o, t) in [("a", &cfg.a, a), ("b", &cfg.b, b)] {
        c.int(&format!("{which}_len"), o.len)
            .int(&format!("{which}_stride_c"), o.stride_c)
            .int(&format!("{which}_stride_i"), o.stride_i)
            .named(&format!("{which}_t"), t.spelling());
    }
    c.named("out_t", out.spelling());
    c
}

/// `size`, `in_t`, `out_t` after the activation's own members.
fn unary(mut c: ConfigStruct, size: usize, io: &Io) -> ConfigStruct {
    c.int("size", size);
    io_types(&mut c, io);
    c
}

pub fn relu(name: String, cfg: &ReluConfig, io: &Io) -> ConfigStruct {
    unary(ConfigStruct::new(name), cfg.size, io)
}

pub fn clip(name: String, cfg: &ClipConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.long("lo_bits", cfg.lo)
        .long("hi_bits", cfg.hi)
        .ty("bound_t", cfg.bound);
    unary(c, cfg.size, io)
}

pub fn leaky_relu(name: String, cfg: &LeakyReluConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.long("alpha_bits", cfg.alpha)
        .ty("alpha_t", cfg.alpha_type);
    unary(c, cfg.size, io)
}

fn hard(name: String, p: &HardParams, size: usize, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.long("alpha_bits", p.alpha)
        .long("beta_bits", p.beta)
        .ty("alpha_t", p.alpha_type)
        .ty("beta_t", p.beta_type);
    unary(c, size, io)
}

pub fn hard_sigmoid(name: String, cfg: &HardSigmoidConfig, io: &Io) -> ConfigStruct {
    hard(name, &cfg.params, cfg.size, io)
}

pub fn hard_swish(name: String, cfg: &HardSwishConfig, io: &Io) -> ConfigStruct {
    hard(name, &cfg.params, cfg.size, io)
}

/// `struct <name> { size, shift, width, origin }` (a `LUT_INDEX` of `lut.h`).
fn index_struct(name: &str, t: &LutTable) -> SubStruct {
    SubStruct {
        name: name.into(),
        members: vec![
            int_member("size", t.size()),
            int_member("shift", t.cpp_shift() as usize),
            int_member("width", t.index_width as usize),
            Member {
                ty: "long long",
                name: "origin".into(),
                value: ll(t.origin_raw),
            },
        ],
    }
}

pub fn lut(name: String, cfg: &LutConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("size", cfg.size)
        .sub(index_struct("table_index", &cfg.table));
    io_types(&mut c, io);
    c
}

pub fn softmax(name: String, cfg: &SoftmaxConfig, io: &Io) -> ConfigStruct {
    let mut c = ConfigStruct::new(name);
    c.int("outer", cfg.outer)
        .int("len", cfg.len)
        .int("inner", cfg.inner)
        .sub(index_struct("exp_index", &cfg.exp))
        .sub(index_struct("inv_index", &cfg.inv))
        .named("in_t", io.input.spelling())
        .ty("diff_t", cfg.exp.index)
        .ty("exp_t", cfg.exp.entry)
        .ty("sum_t", cfg.types.sum)
        .ty("inv_t", cfg.inv.entry)
        .named("out_t", io.output.spelling());
    c
}
