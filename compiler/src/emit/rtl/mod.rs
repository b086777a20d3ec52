//! `OUT/rtl/`: synthesizable Verilog-2005 of the fully-parallel (latency) design, one file per
//! op family (docs/rtl.md). Read from the validated compiled model only (`Model::layers()`, each
//! layer's `exec()` config and the proto's raw constants): the RTL computes the interpreter's
//! bits, which `binpoint verify --rtl` checks with Verilator ([`verify`]).
//!
//! The design: a registered top (`binpoint_top`) with `in_valid` and one port per input value,
//! an input register, one module per computing layer ([`build`] dispatches on the layer's
//! config), views and gathers as wires, and `out_valid` from a shift register of valids as long
//! as the pipeline. Constant matrices (dense, conv) go through [`adders::constant_matrix`] and
//! take the stages their pipeline cuts give; the other modules take one cycle, an unregistered
//! ReLU none. The top tracks the cycle each tensor is valid in (`Signal::stage`) and holds an
//! earlier input of a multi-input layer in delay registers ([`Delays`]) until its latest input
//! arrives. Latency: 1 (the input register) + the cycles of the layers on the way; a new sample
//! every cycle. A layer without RTL is an error naming the layer and its op.

pub mod adders;
mod affine;
mod arith;
mod average_pool;
mod binary;
pub mod cast;
mod cast_layer;
mod clip;
pub mod cmvm;
mod concat;
mod conv;
mod dense;
mod gather;
mod global_average_pool;
mod global_max_pool;
mod hard_sigmoid;
mod hard_swish;
mod leaky_relu;
mod lut;
mod max_pool;
mod relu;
mod softmax;
pub mod synth;
pub mod verify;
pub mod verilator;
pub mod vivado;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use binpoint_runtime::model::{Exec, Layer, Model, TensorInfo};

use super::ident::comment;
pub use adders::Pipeline;

/// The top module's name (and the Verilator model's `V<top>` class).
pub const TOP: &str = "binpoint_top";

/// The folder under OUT.
pub const DIR: &str = "rtl";

/// One Verilog module and its text.
#[derive(Clone, Debug)]
pub struct Module {
    pub name: String,
    pub text: String,
    /// Cycles from its input to its registered output (its pipeline stages).
    pub cycles: u32,
    /// What it is built of (the estimate's input).
    pub parts: Parts,
}

/// What a module is built of, counted where it is built, for the estimate
/// (`estimate::rtl` applies the cost rules).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Parts {
    /// Each adder's carry-chain bits (the bits below both operands' shifts are wires).
    pub adders: Vec<u32>,
    /// Flip-flops (pipeline registers and the module's output register).
    pub register_bits: u64,
    /// Each cast's parts.
    pub casts: Vec<cast::CastParts>,
    /// Bits of 2:1 selects (ReLU) that a register's synchronous reset absorbs.
    pub select_bits: u64,
    /// Each exact comparison of two data values (max trees): its bits (a subtraction's carry
    /// chain).
    #[serde(default)]
    pub compares: Vec<u32>,
    /// Bits of comparisons of a value with a constant (clip bounds, hard sigmoid's ends).
    #[serde(default)]
    pub const_compare_bits: u64,
    /// Bits of 2:1 data selects no register absorbs (a max tree's, clip's, leaky ReLU's).
    #[serde(default)]
    pub mux_bits: u64,
    /// Each read of a ROM (LUT activations, softmax): `(entries, entry bits)`.
    #[serde(default)]
    pub rom_reads: Vec<(u32, u32)>,
    /// Each multiplier of two data operands: `(a bits, b bits)` (Yosys infers a DSP48E2).
    #[serde(default)]
    pub multipliers: Vec<(u32, u32)>,
}

impl Parts {
    /// Adds `other`'s parts to these (a module instantiated inside another).
    pub fn add(&mut self, other: &Parts) {
        self.adders.extend_from_slice(&other.adders);
        self.register_bits += other.register_bits;
        self.casts.extend_from_slice(&other.casts);
        self.select_bits += other.select_bits;
        self.compares.extend_from_slice(&other.compares);
        self.const_compare_bits += other.const_compare_bits;
        self.mux_bits += other.mux_bits;
        self.rom_reads.extend_from_slice(&other.rom_reads);
        self.multipliers.extend_from_slice(&other.multipliers);
    }
}

/// Choices of the RTL design (recorded in `rtl.json`, so `verify --rtl` and `synth` rebuild the
/// same design).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RtlOptions {
    /// Where the pipeline registers go inside a layer.
    #[serde(default)]
    pub pipeline: Pipeline,
    /// The part and clock of `vivado_ooc.tcl` (compile passes its board's and clock).
    pub part: String,
    pub clock_ns: f64,
}

impl Default for RtlOptions {
    /// The Ultra96-V2's part at 5 ns (200 MHz), the target the default pipeline cut is made for.
    fn default() -> RtlOptions {
        RtlOptions {
            pipeline: Pipeline::default(),
            part: crate::board::Board::ultra96v2().part.to_string(),
            clock_ns: 5.0,
        }
    }
}

/// A data port of the top: one raw value of a graph input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub width: u32,
    pub signed: bool,
}

/// One pipeline stage: the layer that ends in a register.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Stage {
    pub index: usize,
    pub layer: String,
    pub op: String,
    pub module: String,
    /// Its latency in cycles.
    pub cycles: u32,
    /// What it is built of (not written to rtl.json: every adder's width is too long a list;
    /// `estimate::rtl` rebuilds it).
    #[serde(skip)]
    pub parts: Parts,
}

/// The emitted design.
#[derive(Clone, Debug)]
pub struct Rtl {
    /// `(file name, text)`, the top first.
    pub files: Vec<(String, String)>,
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
    /// Cycles from a sample's `in_valid` to its `out_valid`.
    pub latency: u32,
    pub stages: Vec<Stage>,
    /// Bits of the top's delay registers (inputs of multi-input layers waiting for the latest).
    pub delay_bits: u64,
}

/// Why the RTL cannot be emitted, built or run.
#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    #[error("layer {index} '{name}' ({op}): {reason}")]
    Layer {
        index: usize,
        name: String,
        op: String,
        reason: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{tool}` is not installed (not on PATH): the RTL flow needs it. Install it, e.g. \
         `apt-get install -y {package}` on Debian/Ubuntu"
    )]
    MissingTool {
        tool: &'static str,
        package: &'static str,
    },
    #[error("{tool} failed ({command}):\n{output}")]
    Tool {
        tool: &'static str,
        command: String,
        output: String,
    },
}

impl RtlError {
    /// An error about the layer called `name` (the index is filled in by [`emit`]).
    pub(crate) fn layer(name: &str, op: &str, reason: impl Into<String>) -> RtlError {
        RtlError::Layer {
            index: usize::MAX,
            name: name.to_string(),
            op: op.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> RtlError {
        RtlError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }

    fn at(self, index: usize) -> RtlError {
        match self {
            RtlError::Layer {
                name, op, reason, ..
            } => RtlError::Layer {
                index,
                name,
                op,
                reason,
            },
            e => e,
        }
    }
}

/// A tensor as the top sees it: the wire holding its raw values and the cycle they are valid in
/// (counted from the sample's `in_valid`).
#[derive(Clone, Debug)]
struct Signal {
    wire: String,
    stage: u32,
}

/// Delay registers in the top: a tensor's wire held back until a later cycle, made once per
/// (wire, cycle).
#[derive(Default)]
struct Delays {
    made: std::collections::BTreeMap<(String, u32), String>,
    bits: u64,
}

impl Delays {
    /// The wire carrying `x` (of `bits` bits) in cycle `stage >= x.stage`.
    fn at(&mut self, body: &mut String, x: &Signal, stage: u32, bits: u32) -> String {
        let mut wire = x.wire.clone();
        for s in x.stage + 1..=stage {
            let key = (x.wire.clone(), s);
            if let Some(w) = self.made.get(&key) {
                wire = w.clone();
                continue;
            }
            let reg = format!("d_{}_{s}", x.wire);
            let _ = writeln!(body, "  reg [{}:0] {reg};", bits - 1);
            let _ = writeln!(body, "  always @(posedge clk) {reg} <= {wire};");
            self.made.insert(key, reg.clone());
            self.bits += u64::from(bits);
            wire = reg;
        }
        wire
    }
}

/// The layer a module is built for.
pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub index: usize,
    /// The module's name.
    pub name: &'a str,
    /// The layer's name, escaped for a comment.
    pub layer: &'a str,
    pub op: &'a str,
    /// Where the pipeline registers go inside a constant-matrix layer (dense, conv).
    pub pipe: Pipeline,
    /// Whether its output is the model's (a ReLU then keeps its register).
    pub is_output: bool,
}

impl Ctx<'_> {
    /// An error about this layer.
    pub fn refuse(&self, reason: impl Into<String>) -> RtlError {
        RtlError::layer(self.layer, self.op, reason)
    }
}

/// The modules of one computing layer, its own first (ports `clk`, `x`: the inputs' raw values
/// concatenated, input 0 in the low bits, `y`; its `cycles` and `parts` are the layer's).
fn build(
    ctx: &Ctx,
    exec: &Exec,
    layer: &Layer,
    tensors: &[TensorInfo],
) -> Result<Vec<Module>, RtlError> {
    use binpoint_runtime::model::format::layer::Kernel as K;
    let proto = ctx
        .model
        .proto()
        .layers
        .get(ctx.index)
        .and_then(|l| l.kernel.as_ref());
    let ty = |k: usize| tensors[layer.inputs[k]].ty;
    let (name, shown) = (ctx.name, ctx.layer);
    let one = |m: Result<Module, RtlError>| m.map(|m| vec![m]);
    match (exec, proto) {
        (Exec::Dense { cfg, b, .. }, Some(K::Dense(d))) => {
            one(dense::module(name, shown, cfg, &d.weights, b, ctx.pipe))
        }
        (Exec::DenseShiftAdd { cfg, b }, Some(K::Dense(d))) => one(dense::module(
            name, shown, &cfg.dense, &d.weights, b, ctx.pipe,
        )),
        (Exec::Conv1d { cfg, b, .. }, Some(K::Conv(c))) => {
            conv::modules(ctx, conv::Shape::conv1d(cfg), &c.weights, b)
        }
        (Exec::Conv2d { cfg, b, .. }, Some(K::Conv(c))) => {
            conv::modules(ctx, conv::Shape::conv2d(cfg), &c.weights, b)
        }
        (Exec::Conv1dShiftAdd { cfg, b }, Some(K::Conv(c))) => {
            conv::modules(ctx, conv::Shape::conv1d(&cfg.conv), &c.weights, b)
        }
        (Exec::Conv2dShiftAdd { cfg, b }, Some(K::Conv(c))) => {
            conv::modules(ctx, conv::Shape::conv2d(&cfg.conv), &c.weights, b)
        }
        (Exec::Relu(cfg), _) => one(relu::module(
            name,
            shown,
            cfg,
            relu::registered(cfg, ctx.is_output),
        )),
        (Exec::Clip(cfg), _) => one(clip::module(ctx, cfg)),
        (Exec::LeakyRelu(cfg), _) => one(leaky_relu::module(ctx, cfg)),
        (Exec::HardSigmoid(cfg), _) => one(hard_sigmoid::module(ctx, cfg)),
        (Exec::HardSwish(cfg), _) => one(hard_swish::module(ctx, cfg)),
        (Exec::Affine { cfg, scale, shift }, _) => one(affine::module(ctx, cfg, scale, shift)),
        (Exec::Binary { cfg, a, b }, _) => {
            one(binary::module(ctx, cfg, a.as_deref(), b.as_deref()))
        }
        (Exec::MaxPool(cfg), _) => one(max_pool::module(ctx, cfg)),
        (Exec::GlobalMaxPool(cfg), _) => one(global_max_pool::module(ctx, cfg)),
        (Exec::AveragePool(cfg), _) => one(average_pool::module(ctx, cfg)),
        (Exec::GlobalAveragePool(cfg), _) => one(global_average_pool::module(ctx, cfg)),
        (Exec::Lut(cfg), _) => one(lut::module(ctx, cfg)),
        (Exec::Softmax(cfg), _) => one(softmax::module(ctx, cfg)),
        (Exec::Cast(rq), _) => one(cast_layer::module(ctx, rq, tensors[layer.output].len)),
        (Exec::Concat { outer, parts }, _) => {
            let types: Vec<_> = (0..layer.inputs.len()).map(ty).collect();
            one(concat::module(ctx, *outer, parts, &types))
        }
        _ => Err(ctx.refuse(format!(
            "the RTL has no {} kernel for this layer (its config and constants disagree)",
            layer.kernel()
        ))),
    }
}

/// The RTL of `model` with the default options.
pub fn emit(model: &Model) -> Result<Rtl, RtlError> {
    emit_with(model, &RtlOptions::default())
}

/// The RTL of `model` (see the module docs).
pub fn emit_with(model: &Model, opts: &RtlOptions) -> Result<Rtl, RtlError> {
    let [input] = model.inputs() else {
        return Err(RtlError::Unsupported(format!(
            "the RTL takes models with one input; this one has {}",
            model.inputs().len()
        )));
    };
    let [output] = model.outputs() else {
        return Err(RtlError::Unsupported(format!(
            "the RTL takes models with one output; this one has {}",
            model.outputs().len()
        )));
    };
    let tensors = model.tensors();
    let bus = |id: usize| -> u32 { tensors[id].ty.width() * tensors[id].len as u32 };
    let mut signals: Vec<Option<Signal>> = vec![None; tensors.len()];
    signals[*input] = Some(Signal {
        wire: "t_in".into(),
        stage: 1,
    });
    let mut body = String::new();
    let mut modules = Vec::new();
    let mut stages = Vec::new();
    let mut delays = Delays::default();
    for (index, layer) in model.layers().iter().enumerate() {
        let op = layer.op.as_str();
        let refuse = |reason: String| RtlError::Layer {
            index,
            name: layer.name.clone(),
            op: op.to_string(),
            reason,
        };
        if layer.inputs.is_empty() {
            return Err(refuse("no inputs".into()));
        }
        let mut xs = Vec::with_capacity(layer.inputs.len());
        for src in &layer.inputs {
            let Some(x) = signals[*src].clone() else {
                return Err(refuse("its input is computed after it".into()));
            };
            xs.push(x);
        }
        // Inputs computed in different cycles meet in the latest one: the earlier ones wait in
        // delay registers.
        let stage = xs.iter().map(|x| x.stage).max().unwrap_or(1);
        let wires: Vec<String> = xs
            .iter()
            .zip(&layer.inputs)
            .map(|(x, &src)| delays.at(&mut body, x, stage, bus(src)))
            .collect();
        let y = layer.output;
        let name = format!("l{index}_{}", layer.kernel());
        let shown = comment(&layer.name);
        let ctx = Ctx {
            model,
            index,
            name: &name,
            layer: &shown,
            op,
            pipe: opts.pipeline,
            is_output: y == *output,
        };
        let built = match layer.exec() {
            Exec::View => {
                if bus(layer.inputs[0]) != bus(y) {
                    return Err(refuse(format!(
                        "a view from {} to {} bits",
                        bus(layer.inputs[0]),
                        bus(y)
                    )));
                }
                let _ = writeln!(body, "  // {index}: {shown} ({op}, view): wires");
                signals[y] = Some(Signal {
                    wire: wires[0].clone(),
                    stage,
                });
                continue;
            }
            Exec::Gather(g) => {
                let wire = format!("t{index}");
                let src = &tensors[layer.inputs[0]];
                let text = gather::wires(&wire, &wires[0], g, src.len, &src.ty, &tensors[y].ty)
                    .map_err(refuse)?;
                let _ = writeln!(body, "  // {index}: {shown} ({op}, gather): wires");
                body.push_str(&text);
                signals[y] = Some(Signal { wire, stage });
                continue;
            }
            exec => build(&ctx, exec, layer, tensors).map_err(|e| e.at(index))?,
        };
        let Some(module) = built.first() else {
            return Err(refuse("no module was built".into()));
        };
        let wire = format!("t{index}");
        let joined: Vec<&str> = wires.iter().rev().map(String::as_str).collect();
        let _ = writeln!(body, "  // {index}: {shown} ({op}, {})", layer.kernel());
        let _ = writeln!(body, "  wire [{}:0] {wire};", bus(y) - 1);
        let _ = writeln!(
            body,
            "  {name} u{index} (.clk(clk), .x({{{}}}), .y({wire}));",
            joined.join(", ")
        );
        signals[y] = Some(Signal {
            wire,
            stage: stage + module.cycles,
        });
        stages.push(Stage {
            index,
            layer: layer.name.clone(),
            op: op.to_string(),
            module: name.clone(),
            cycles: module.cycles,
            parts: module.parts.clone(),
        });
        modules.extend(built);
    }
    let Some(out) = signals[*output].clone() else {
        return Err(RtlError::Unsupported(
            "the graph output is computed by no layer".into(),
        ));
    };
    let ports = |id: usize, prefix: &str| -> Vec<Port> {
        let t = &tensors[id];
        (0..t.len)
            .map(|i| Port {
                name: format!("{prefix}_{i}"),
                width: t.ty.width(),
                signed: t.ty.is_signed(),
            })
            .collect()
    };
    let (inputs, outputs) = (ports(*input, "in"), ports(*output, "out"));
    let latency = out.stage;
    let top = top(
        model, *input, *output, &inputs, &outputs, latency, &out.wire, &body,
    );
    let mut files = vec![(format!("{TOP}.v"), top)];
    files.extend(
        modules
            .into_iter()
            .map(|m| (format!("{}.v", m.name), m.text)),
    );
    Ok(Rtl {
        files,
        inputs,
        outputs,
        latency,
        stages,
        delay_bits: delays.bits,
    })
}

#[allow(clippy::too_many_arguments)]
fn top(
    model: &Model,
    input: usize,
    output: usize,
    inputs: &[Port],
    outputs: &[Port],
    latency: u32,
    result: &str,
    body: &str,
) -> String {
    let t = model.tensors();
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// binpoint_top: {} ({}) -> {} ({}); latency {latency} cycles, a new sample every cycle.",
        comment(&t[input].name),
        t[input].ty,
        comment(&t[output].name),
        t[output].ty
    );
    let _ = writeln!(
        v,
        "// Each port is one raw value (W bits of its type); value = raw / 2^F."
    );
    let _ = writeln!(v, "module {TOP} (");
    let _ = writeln!(v, "  input wire clk,");
    let _ = writeln!(v, "  input wire rst,");
    let _ = writeln!(v, "  input wire in_valid,");
    for p in inputs {
        let _ = writeln!(v, "  input wire [{}:0] {},", p.width - 1, p.name);
    }
    let _ = writeln!(v, "  output wire out_valid,");
    let last = outputs.len() - 1;
    for (i, p) in outputs.iter().enumerate() {
        let sep = if i == last { "" } else { "," };
        let _ = writeln!(v, "  output wire [{}:0] {}{sep}", p.width - 1, p.name);
    }
    let _ = writeln!(v, ");");
    let win: u32 = inputs.iter().map(|p| p.width).sum();
    let _ = writeln!(v, "  reg [{}:0] t_in;", win - 1);
    let names: Vec<&str> = inputs.iter().rev().map(|p| p.name.as_str()).collect();
    let _ = writeln!(
        v,
        "  always @(posedge clk) t_in <= {{{}}};",
        names.join(", ")
    );
    let _ = writeln!(v, "  reg [{}:0] valid;", latency - 1);
    let shift = if latency == 1 {
        "in_valid".to_string()
    } else {
        format!("{{valid[{}:0], in_valid}}", latency - 2)
    };
    let _ = writeln!(v, "  always @(posedge clk) begin");
    let _ = writeln!(v, "    if (rst) valid <= {latency}'h0;");
    let _ = writeln!(v, "    else valid <= {shift};");
    let _ = writeln!(v, "  end");
    v.push_str(body);
    let _ = writeln!(v, "  assign out_valid = valid[{}];", latency - 1);
    let mut at = 0;
    for p in outputs {
        let _ = writeln!(
            v,
            "  assign {} = {result}[{}:{at}];",
            p.name,
            at + p.width - 1
        );
        at += p.width;
    }
    let _ = writeln!(v, "endmodule");
    v
}

/// What `OUT/rtl/rtl.json` records: the latency `verify --rtl` checks and the stages.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RtlInfo {
    pub top: String,
    pub latency_cycles: u32,
    pub initiation_interval: u32,
    /// The options the design was built with.
    #[serde(default)]
    pub options: RtlOptions,
    /// Per computing layer: its module and cycles.
    #[serde(default)]
    pub stages: Vec<Stage>,
    pub files: Vec<String>,
}

/// Emits the RTL of `model` into `OUT/rtl/` with the default options.
pub fn write_rtl(model: &Model, out: &Path) -> Result<Rtl, RtlError> {
    write_rtl_with(model, out, &RtlOptions::default())
}

/// Emits the RTL of `model` into `OUT/rtl/` (replacing the folder's `.v` files and `rtl.json`).
pub fn write_rtl_with(model: &Model, out: &Path, opts: &RtlOptions) -> Result<Rtl, RtlError> {
    let rtl = emit_with(model, opts)?;
    let dir = out.join(DIR);
    if dir.is_dir() {
        let entries = fs::read_dir(&dir).map_err(|e| RtlError::io("reading", &dir, e))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "v") {
                fs::remove_file(&p).map_err(|e| RtlError::io("removing", &p, e))?;
            }
        }
    }
    fs::create_dir_all(&dir).map_err(|e| RtlError::io("creating", &dir, e))?;
    for (name, text) in &rtl.files {
        let p = dir.join(name);
        fs::write(&p, text).map_err(|e| RtlError::io("writing", &p, e))?;
    }
    let info = RtlInfo {
        top: TOP.into(),
        latency_cycles: rtl.latency,
        initiation_interval: 1,
        options: opts.clone(),
        stages: rtl.stages.clone(),
        files: rtl.files.iter().map(|(n, _)| n.clone()).collect(),
    };
    let names: Vec<String> = rtl.files.iter().map(|(n, _)| n.clone()).collect();
    let tcl = vivado::render(
        &model.proto().name,
        TOP,
        &opts.part,
        opts.clock_ns,
        rtl.latency,
        &names,
    )
    .map_err(|e| RtlError::Unsupported(format!("rendering {}: {e}", vivado::FILE)))?;
    let p = dir.join(vivado::FILE);
    fs::write(&p, tcl).map_err(|e| RtlError::io("writing", &p, e))?;
    let p = dir.join("rtl.json");
    let json = serde_json::to_string_pretty(&info).unwrap_or_default() + "\n";
    fs::write(&p, json).map_err(|e| RtlError::io("writing", &p, e))?;
    // report.json (when compile wrote one) states the RTL's latency too.
    let rp = out.join("report.json");
    if let Ok(text) = fs::read_to_string(&rp) {
        let mut whole: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| RtlError::Unsupported(format!("{}: {e}", rp.display())))?;
        if let (Some(obj), Ok(v)) = (whole.as_object_mut(), serde_json::to_value(&info)) {
            obj.insert("rtl".into(), v);
        }
        let text = serde_json::to_string_pretty(&whole).unwrap_or_default() + "\n";
        fs::write(&rp, text).map_err(|e| RtlError::io("writing", &rp, e))?;
    }
    Ok(rtl)
}

/// `OUT/rtl/rtl.json`.
pub fn read_info(out: &Path) -> Result<RtlInfo, RtlError> {
    let p = out.join(DIR).join("rtl.json");
    let text = fs::read_to_string(&p).map_err(|e| RtlError::io("reading", &p, e))?;
    serde_json::from_str(&text).map_err(|e| RtlError::Unsupported(format!("{}: {e}", p.display())))
}
