//! `OUT/sim/`: the compiled model as a standalone Cargo crate of straight-line Rust, bit-exact with
//! the interpreter (docs/emit-sim.md).
//!
//! ```text
//! Model (validated once; the reference) ──▶ vectors/ (inputs, outputs, trace)
//!            ──per layer: mac / pool / elementwise / activation / lut / movement──▶ LayerCode
//!                 (config constructor call, kernel call, constants)
//!            ──askama (hls-templates/sim/)──▶ Cargo.toml, README.md, src/{lib,weights,main}.rs,
//!                                             tests/vectors.rs
//! ```
//!
//! Every number is computed here; the templates only interpolate. Every name from the model goes
//! through [`super::ident`]. Nothing depends on time, paths (except the runtime's, in Cargo.toml)
//! or hash order: the same model gives the same bytes.

/// `args![a, b, ..]`: the arguments of a generated call, each as its text.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($a.to_string()),*] };
}

mod activation;
mod elementwise;
mod lut;
mod mac;
mod movement;
mod pool;

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use askama::Template;
use binpoint_runtime::model::format::{layer::Kernel, LayerProto, ModelProto, TypeProto};
use binpoint_runtime::model::{Model, ModelError, Threads};
use binpoint_runtime::ops::{OpError, Storage};
use binpoint_runtime::FixedType;

use super::ident::{comment, rust_str, Names};

/// Emitting the simulator failed.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A layer the emitter cannot write (or that the runtime's kernels refuse).
    #[error("layer {index} '{layer}' ({op}): {reason}")]
    Layer {
        index: usize,
        layer: String,
        op: String,
        reason: String,
    },
    /// The model as a whole (tensors, inputs, outputs, options).
    #[error("simulator: {0}")]
    Model(String),
    /// The interpreter, which computes the test vectors, refuses the model.
    #[error("simulator: the interpreter cannot run the model, so there are no test vectors: {0}")]
    Interpreter(#[from] ModelError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("simulator template: {0}")]
    Render(#[from] askama::Error),
}

/// What the crate is made with.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The `binpoint-runtime` crate's folder (the workspace's `runtime/`).
    pub runtime_path: PathBuf,
    /// The package name (sanitized); default `<model>_sim`.
    pub crate_name: Option<String>,
    /// Raw inputs for `vectors/`, samples one after another (each the graph inputs one after
    /// another). Empty: [`SimOptions::random_vectors`] samples of seeded random raw values.
    pub vectors: Vec<i64>,
    /// How many random samples when `vectors` is empty (at least 1).
    pub random_vectors: usize,
    /// Where the crate will live when it is written elsewhere first and moved (the runtime's path
    /// in Cargo.toml is relative to it); None: where it is written.
    pub final_dir: Option<PathBuf>,
}

impl SimOptions {
    pub fn new(runtime_path: impl Into<PathBuf>) -> SimOptions {
        SimOptions {
            runtime_path: runtime_path.into(),
            crate_name: None,
            vectors: Vec::new(),
            random_vectors: 8,
            final_dir: None,
        }
    }
}

/// A written crate.
#[derive(Clone, Debug)]
pub struct SimCrate {
    pub dir: PathBuf,
    /// The package name, which is also the library's name.
    pub crate_name: String,
    /// The files written, relative to `dir`.
    pub files: Vec<String>,
    /// Test vectors in `vectors/`.
    pub vectors: usize,
}

/// Writes the simulator crate of `model` into `sim_dir` (`OUT/sim`, created if missing; the
/// generated files are replaced, anything else is left alone), depending on the runtime at
/// `runtime_path`, with 8 seeded random test vectors.
pub fn write_sim_crate(
    model: &Model,
    sim_dir: &Path,
    runtime_path: &Path,
) -> Result<SimCrate, EmitError> {
    write_sim_crate_with(model, sim_dir, &SimOptions::new(runtime_path))
}

/// [`write_sim_crate`] with options (test vectors from real inputs, the crate's name).
pub fn write_sim_crate_with(
    model: &Model,
    sim_dir: &Path,
    opts: &SimOptions,
) -> Result<SimCrate, EmitError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| EmitError::Io { path, source }
    };
    std::fs::create_dir_all(sim_dir).map_err(io(sim_dir))?;
    let home = opts.final_dir.as_deref().unwrap_or(sim_dir);
    let dep = runtime_dependency(home, &opts.runtime_path);
    let rendered = render_sim_crate(model, opts, &dep)?;
    for (rel, text) in &rendered.files {
        let path = sim_dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(SimCrate {
        dir: sim_dir.to_path_buf(),
        crate_name: rendered.crate_name,
        files: rendered.files.into_iter().map(|(rel, _)| rel).collect(),
        vectors: rendered.vectors,
    })
}

/// The crate's files in memory.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub crate_name: String,
    /// `(path relative to the crate, contents)`, in a fixed order.
    pub files: Vec<(String, String)>,
    pub vectors: usize,
}

/// The `runtime/` folder of the checkout this binpoint was built from (what `binpoint compile`
/// passes as [`SimOptions::runtime_path`] unless told otherwise).
pub fn default_runtime_path() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
    p.canonicalize().unwrap_or(p)
}

/// The path of `runtime` as written in `sim_dir/Cargo.toml`: relative to `sim_dir` when the two
/// share a folder below the file system's root, else absolute. `/` separators.
pub fn runtime_dependency(sim_dir: &Path, runtime: &Path) -> String {
    let abs = |p: &Path| {
        p.canonicalize().unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (from, to) = (abs(sim_dir), abs(runtime));
    let comps = |p: &Path| -> Vec<String> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let (f, t) = (comps(&from), comps(&to));
    let same_root = from.components().next() == to.components().next();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if !same_root || common == 0 {
        return to.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(t[common..].iter().cloned());
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Renders every file of the crate; `runtime_dep` is the runtime's path as Cargo.toml says it.
pub fn render_sim_crate(
    interp: &Model,
    opts: &SimOptions,
    runtime_dep: &str,
) -> Result<Rendered, EmitError> {
    let model = interp.proto();
    let code = Code::build(model)?;
    let crate_name = {
        let base = match &opts.crate_name {
            Some(n) => n.clone(),
            None => format!("{}_sim", model.name),
        };
        // Not the name of a crate it uses or of the standard library's.
        Names::with_reserved(&[
            "std",
            "core",
            "alloc",
            "proc_macro",
            "test",
            "binpoint_runtime",
        ])
        .rust(&base)
    };
    let vectors = Vectors::compute(interp, &code, opts)?;
    let version = env!("CARGO_PKG_VERSION");
    let model_comment = quoted_comment(&model.name);
    let source_comment = quoted_comment(&model.source);
    let precision_comment = quoted_comment(&model.precision);
    let ranges_comment = quoted_comment(&model.ranges);

    let cargo = CargoToml {
        version,
        source_comment: &source_comment,
        crate_name: &crate_name,
        runtime_path: &toml_str(runtime_dep),
    }
    .render()?;
    let readme = ReadmeMd {
        version,
        crate_name: &crate_name,
        model_comment: &model_comment,
        source_comment: &source_comment,
        precision_comment: &precision_comment,
        layer_count: code.calls.len(),
        input_len: code.input_len,
        output_len: code.output_len,
    }
    .render()?;
    let lib = LibRs {
        version,
        model_comment: &model_comment,
        source_comment: &source_comment,
        precision_comment: &precision_comment,
        ranges_comment: &ranges_comment,
        model_name: &rust_str(&model.name),
        source: &rust_str(&model.source),
        precision: &rust_str(&model.precision),
        ranges: &rust_str(&model.ranges),
        inputs: &code.inputs.iter().map(Port::literal).collect::<Vec<_>>(),
        outputs: &code.outputs.iter().map(Port::literal).collect::<Vec<_>>(),
        input_len: code.input_len,
        output_len: code.output_len,
        layer_infos: &code.layer_infos,
        configs: &code.configs,
        tensors: &code.tensors,
        calls: &code.calls,
        loads: &code.inputs,
        stores: &code.outputs,
    }
    .render()?;
    let weights = WeightsRs {
        version,
        model_comment: &model_comment,
        consts: &code.consts,
    }
    .render()?;
    let main = MainRs {
        version,
        model_comment: &model_comment,
        crate_name: &crate_name,
        lib_name: &crate_name,
    }
    .render()?;
    let tests = VectorsRs {
        version,
        lib_name: &crate_name,
    }
    .render()?;
    let files = vec![
        ("Cargo.toml".to_string(), cargo),
        ("README.md".to_string(), readme),
        ("src/lib.rs".to_string(), lib),
        ("src/weights.rs".to_string(), weights),
        ("src/main.rs".to_string(), main),
        ("tests/vectors.rs".to_string(), tests),
        ("vectors/input.txt".to_string(), vectors.input),
        ("vectors/expected.txt".to_string(), vectors.expected),
        ("vectors/trace.txt".to_string(), vectors.trace),
    ];
    Ok(Rendered {
        crate_name,
        files: files
            .into_iter()
            .map(|(p, mut text)| {
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                (p, text)
            })
            .collect(),
        vectors: vectors.count,
    })
}

/// A name in a comment, quoted: `"x; system(\"rm -rf /\")"`-style text that cannot end the
/// comment.
fn quoted_comment(s: &str) -> String {
    format!("\"{}\"", comment(s).replace('"', "\\\""))
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "sim/Cargo.toml")]
struct CargoToml<'a> {
    version: &'a str,
    source_comment: &'a str,
    crate_name: &'a str,
    runtime_path: &'a str,
}

#[derive(Template)]
#[template(path = "sim/README.md")]
struct ReadmeMd<'a> {
    version: &'a str,
    crate_name: &'a str,
    model_comment: &'a str,
    source_comment: &'a str,
    precision_comment: &'a str,
    layer_count: usize,
    input_len: usize,
    output_len: usize,
}

#[derive(Template)]
#[template(path = "sim/src/lib.rs")]
struct LibRs<'a> {
    version: &'a str,
    model_comment: &'a str,
    source_comment: &'a str,
    precision_comment: &'a str,
    ranges_comment: &'a str,
    model_name: &'a str,
    source: &'a str,
    precision: &'a str,
    ranges: &'a str,
    inputs: &'a [String],
    outputs: &'a [String],
    input_len: usize,
    output_len: usize,
    layer_infos: &'a [String],
    configs: &'a [ConfigCode],
    tensors: &'a [TensorCode],
    calls: &'a [CallCode],
    loads: &'a [Port],
    stores: &'a [Port],
}

#[derive(Template)]
#[template(path = "sim/src/weights.rs")]
struct WeightsRs<'a> {
    version: &'a str,
    model_comment: &'a str,
    consts: &'a [ConstCode],
}

#[derive(Template)]
#[template(path = "sim/src/main.rs")]
struct MainRs<'a> {
    version: &'a str,
    model_comment: &'a str,
    crate_name: &'a str,
    lib_name: &'a str,
}

#[derive(Template)]
#[template(path = "sim/tests/vectors.rs")]
struct VectorsRs<'a> {
    version: &'a str,
    lib_name: &'a str,
}

// ---------------------------------------------------------------------------------------------
// The code of the model, computed from the proto

/// A tensor of one sample: a field of the generated `Tensors`.
#[derive(Clone, Debug)]
pub(crate) struct TensorCode {
    pub field: String,
    pub storage: Storage,
    pub len: usize,
    pub ty: FixedType,
    pub shape: Vec<usize>,
    pub name: String,
    pub comment: String,
}

/// A constant array of `weights.rs`.
#[derive(Clone, Debug)]
pub(crate) struct ConstCode {
    pub name: String,
    pub storage: &'static str,
    pub len: usize,
    pub comment: String,
    pub lines: Vec<String>,
}

/// One layer's kernel config: a field of the generated `Configs` and the constructor call that
/// builds it (an expression of type `Result<ty, _>`'s `Ok` value, inside a closure where `?`
/// converts any error).
#[derive(Clone, Debug)]
pub(crate) struct ConfigCode {
    pub index: usize,
    pub field: String,
    pub ty: String,
    pub expr: String,
    pub comment: String,
}

/// One layer's statements in `forward`: each a `Result<(), _>` expression.
#[derive(Clone, Debug)]
pub(crate) struct CallCode {
    pub index: usize,
    pub comment: String,
    pub stmts: Vec<String>,
    /// The field of the tensor it writes.
    pub output: String,
}

/// A graph input or output.
#[derive(Clone, Debug)]
pub(crate) struct Port {
    pub index: usize,
    pub field: String,
    pub name: String,
    pub shape: Vec<usize>,
    pub ty: FixedType,
    pub offset: usize,
    pub len: usize,
}

impl Port {
    fn literal(&self) -> String {
        format!(
            "Port {{ name: {}, shape: &{:?}, ty: {}, offset: {}, len: {}, min_raw: {}, max_raw: {} }}",
            rust_str(&self.name),
            self.shape,
            rust_str(&self.ty.to_string()),
            self.offset,
            self.len,
            int(self.ty.min_raw() as i64),
            int(self.ty.max_raw() as i64),
        )
    }
}

struct Code {
    tensors: Vec<TensorCode>,
    consts: Vec<ConstCode>,
    configs: Vec<ConfigCode>,
    calls: Vec<CallCode>,
    layer_infos: Vec<String>,
    inputs: Vec<Port>,
    outputs: Vec<Port>,
    input_len: usize,
    output_len: usize,
}

impl Code {
    fn build(model: &ModelProto) -> Result<Code, EmitError> {
        let mut fields = Names::default();
        let mut tensors = Vec::with_capacity(model.tensors.len());
        for (i, t) in model.tensors.iter().enumerate() {
            let bad = |r: String| EmitError::Model(format!("tensor {i} '{}': {r}", t.name));
            let ty =
                t.ty.as_ref()
                    .ok_or_else(|| bad("no type".into()))?
                    .to_fixed()
                    .map_err(bad)?;
            check_spelling(ty).map_err(bad)?;
            let storage = Storage::for_type(ty)
                .ok_or_else(|| bad(format!("{ty} does not fit 64-bit storage")))?;
            let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
            tensors.push(TensorCode {
                field: fields.rust(&t.name),
                storage,
                len: shape.iter().product(),
                ty,
                comment: format!("{} {shape:?} {ty}", quoted_comment(&t.name)),
                shape,
                name: t.name.clone(),
            });
        }
        let ports = |ids: &[u32]| -> Result<(Vec<Port>, usize), EmitError> {
            let mut offset = 0;
            let mut out = Vec::with_capacity(ids.len());
            for (index, &id) in ids.iter().enumerate() {
                let t = tensors
                    .get(id as usize)
                    .ok_or_else(|| EmitError::Model(format!("no tensor {id}")))?;
                out.push(Port {
                    index,
                    field: t.field.clone(),
                    name: t.name.clone(),
                    shape: t.shape.clone(),
                    ty: t.ty,
                    offset,
                    len: t.len,
                });
                offset += t.len;
            }
            Ok((out, offset))
        };
        let (inputs, input_len) = ports(&model.inputs)?;
        let (outputs, output_len) = ports(&model.outputs)?;

        let mut consts = Vec::new();
        // `weights.rs` defines `PAD` itself.
        let mut const_names = Names::with_reserved(&["pad"]);
        let mut config_names = Names::default();
        let mut configs = Vec::new();
        let mut calls = Vec::with_capacity(model.layers.len());
        let mut layer_infos = Vec::with_capacity(model.layers.len());
        for (index, layer) in model.layers.iter().enumerate() {
            let kernel = layer.kernel.as_ref().ok_or_else(|| EmitError::Layer {
                index,
                layer: layer.name.clone(),
                op: layer.op.clone(),
                reason: "has no kernel".into(),
            })?;
            let kernel_name = kernel.stem();
            let mut lx = Lx {
                index,
                layer,
                tensors: &tensors,
                const_names: &mut const_names,
                config_names: &mut config_names,
                consts: &mut consts,
                config: None,
                stmts: Vec::new(),
            };
            emit_layer(&mut lx, kernel)?;
            let Lx { config, stmts, .. } = lx;
            let out = lx_tensor(&tensors, layer.output, index, layer)?;
            let ins = layer
                .inputs
                .iter()
                .map(|&i| lx_tensor(&tensors, i, index, layer).map(|t| quoted_comment(&t.name)))
                .collect::<Result<Vec<_>, _>>()?;
            let comment = format!(
                "{index} {} ({} -> {kernel_name})\n    //   {} -> {} {:?} {}",
                quoted_comment(&layer.name),
                comment(&layer.op),
                ins.join(", "),
                quoted_comment(&out.name),
                out.shape,
                out.ty
            );
            if let Some(c) = config {
                configs.push(ConfigCode {
                    index,
                    comment: format!("{index} {}", quoted_comment(&layer.name)),
                    ..c
                });
            }
            calls.push(CallCode {
                index,
                comment,
                stmts,
                output: out.field.clone(),
            });
            layer_infos.push(format!(
                "LayerInfo {{ name: {}, op: {}, kernel: {}, tensor: {} }}",
                rust_str(&layer.name),
                rust_str(&layer.op),
                rust_str(kernel_name),
                rust_str(&out.name)
            ));
        }
        Ok(Code {
            tensors,
            consts,
            configs,
            calls,
            layer_infos,
            inputs,
            outputs,
            input_len,
            output_len,
        })
    }
}

fn lx_tensor<'a>(
    tensors: &'a [TensorCode],
    id: u32,
    index: usize,
    layer: &LayerProto,
) -> Result<&'a TensorCode, EmitError> {
    tensors.get(id as usize).ok_or_else(|| EmitError::Layer {
        index,
        layer: layer.name.clone(),
        op: layer.op.clone(),
        reason: format!("tensor {id} does not exist"),
    })
}

fn emit_layer(lx: &mut Lx<'_>, kernel: &Kernel) -> Result<(), EmitError> {
    match kernel {
        Kernel::Dense(d) => mac::dense(lx, d),
        Kernel::Conv(c) => mac::conv(lx, c),
        Kernel::Affine(a) => mac::affine(lx, a),
        Kernel::MaxPool(p) => pool::max_pool(lx, p),
        Kernel::AveragePool(p) => pool::average_pool(lx, p),
        Kernel::GlobalMaxPool(p) => pool::global_max_pool(lx, p),
        Kernel::GlobalAveragePool(p) => pool::global_average_pool(lx, p),
        Kernel::Binary(b) => elementwise::binary(lx, b),
        Kernel::Relu(_) => activation::relu(lx),
        Kernel::Clip(c) => activation::clip(lx, c),
        Kernel::LeakyRelu(l) => activation::leaky_relu(lx, l),
        Kernel::HardSigmoid(h) => activation::hard(lx, h, false),
        Kernel::HardSwish(h) => activation::hard(lx, h, true),
        Kernel::Lut(t) => lut::lut(lx, t),
        Kernel::Softmax(s) => lut::softmax(lx, s),
        Kernel::View(_) => movement::view(lx),
        Kernel::Cast(_) => movement::cast(lx),
        Kernel::Transpose(t) => movement::transpose(lx, t),
        Kernel::Pad(p) => movement::pad(lx, p),
        Kernel::Concat(c) => movement::concat(lx, c),
    }
}

/// One layer being emitted.
pub(crate) struct Lx<'a> {
    pub index: usize,
    pub layer: &'a LayerProto,
    pub tensors: &'a [TensorCode],
    const_names: &'a mut Names,
    config_names: &'a mut Names,
    consts: &'a mut Vec<ConstCode>,
    config: Option<ConfigCode>,
    stmts: Vec<String>,
}

impl Lx<'_> {
    pub fn err(&self, reason: impl std::fmt::Display) -> EmitError {
        EmitError::Layer {
            index: self.index,
            layer: self.layer.name.clone(),
            op: self.layer.op.clone(),
            reason: reason.to_string(),
        }
    }

    /// For `map_err` on the runtime's config constructors.
    pub fn op_err(&self) -> impl Fn(OpError) -> EmitError + '_ {
        move |e| self.err(e)
    }

    /// Data input `k`.
    pub fn x(&self, k: usize) -> Result<&TensorCode, EmitError> {
        let id = *self
            .layer
            .inputs
            .get(k)
            .ok_or_else(|| self.err(format!("has no input {k}")))?;
        lx_tensor(self.tensors, id, self.index, self.layer)
    }

    pub fn arity(&self) -> usize {
        self.layer.inputs.len()
    }

    pub fn y(&self) -> Result<&TensorCode, EmitError> {
        lx_tensor(self.tensors, self.layer.output, self.index, self.layer)
    }

    /// A type of the kernel proto.
    pub fn ty(&self, what: &str, t: &Option<TypeProto>) -> Result<FixedType, EmitError> {
        self.ty_checked(what, t, TypeProto::to_fixed)
    }

    /// The accumulator type of a Dense or Conv layer (up to 128 bits).
    pub fn accum_ty(&self, t: &Option<TypeProto>) -> Result<FixedType, EmitError> {
        self.ty_checked("accumulator type", t, TypeProto::to_accum_fixed)
    }

    fn ty_checked(
        &self,
        what: &str,
        t: &Option<TypeProto>,
        decode: fn(&TypeProto) -> Result<FixedType, String>,
    ) -> Result<FixedType, EmitError> {
        let t = t
            .as_ref()
            .ok_or_else(|| self.err(format!("{what}: missing")))?;
        let t = decode(t).map_err(|r| self.err(format!("{what}: {r}")))?;
        check_spelling(t).map_err(|r| self.err(format!("{what}: {r}")))?;
        Ok(t)
    }

    /// A constant array of raw values of `ty`, row-major over `dims`, in `weights.rs`, in the
    /// narrowest integer that holds `ty`: its path from `lib.rs`.
    pub fn konst(
        &mut self,
        what: &str,
        ty: FixedType,
        values: &[i64],
        dims: &[usize],
    ) -> Result<String, EmitError> {
        let storage = Storage::for_type(ty)
            .ok_or_else(|| self.err(format!("{what}: {ty} does not fit 64-bit storage")))?;
        self.konst_in(what, ty, values, dims, storage)
    }

    /// [`Lx::konst`] in the given storage integer (`i64` for what the runtime takes as `Vec<i64>`).
    pub fn konst_in(
        &mut self,
        what: &str,
        ty: FixedType,
        values: &[i64],
        dims: &[usize],
        storage: Storage,
    ) -> Result<String, EmitError> {
        let len: usize = dims.iter().product();
        if values.len() != len {
            return Err(self.err(format!("{what}: {} values, expected {len}", values.len())));
        }
        let (lo, hi) = (ty.min_raw(), ty.max_raw());
        if let Some((i, v)) = values
            .iter()
            .enumerate()
            .find(|(_, &v)| i128::from(v) < lo || i128::from(v) > hi)
        {
            return Err(self.err(format!(
                "{what}: value {i} = {v} is not a raw value of {ty}"
            )));
        }
        let name = self
            .const_names
            .rust_upper(&format!("{} {what}", self.layer.name));
        self.consts.push(ConstCode {
            comment: format!(
                "Layer {} {}: {what} {}, raw values of {ty}",
                self.index,
                quoted_comment(&self.layer.name),
                dims.iter().map(|d| format!("[{d}]")).collect::<String>()
            ),
            lines: lines(values.iter().map(|&v| int(v))),
            name: name.clone(),
            storage: storage_name(storage),
            len,
        });
        Ok(format!("weights::{name}"))
    }

    /// A `u32` array (a gather map) in `weights.rs`: its path from `lib.rs`.
    pub fn map(&mut self, what: &str, values: &[u32]) -> String {
        let name = self
            .const_names
            .rust_upper(&format!("{} {what}", self.layer.name));
        self.consts.push(ConstCode {
            comment: format!(
                "Layer {} {}: {what}, the input index of each output value (or PAD)",
                self.index,
                quoted_comment(&self.layer.name)
            ),
            lines: lines(values.iter().map(|&v| {
                if v == u32::MAX {
                    "PAD".to_string()
                } else {
                    v.to_string()
                }
            })),
            name: name.clone(),
            storage: "u32",
            len: values.len(),
        });
        format!("weights::{name}")
    }

    /// Sets the layer's kernel config (`ty` built by `expr`): its path in `forward` (`c.<field>`).
    pub fn config(&mut self, ty: &str, expr: String) -> String {
        let field = self.config_names.rust(&self.layer.name);
        let path = format!("c.{field}");
        self.config = Some(ConfigCode {
            index: self.index,
            field,
            ty: ty.to_string(),
            expr,
            comment: String::new(),
        });
        path
    }

    /// Sets the layer's kernel config to `ty::new(args)?`: its path in `forward`.
    pub fn config_new(&mut self, ty: &str, args: Vec<String>) -> String {
        let expr = fmt_call(&format!("{ty}::new"), args) + "?";
        self.config(ty, expr)
    }

    /// Adds the call `f(args)` to the layer's part of `forward`.
    pub fn call(&mut self, f: &str, args: Vec<String>) {
        self.stmts.push(fmt_call(f, args));
    }

    /// `&t.<field>` of data input `k`.
    pub fn x_ref(&self, k: usize) -> Result<String, EmitError> {
        Ok(format!("&t.{}", self.x(k)?.field))
    }

    /// `&mut t.<field>` of the output.
    pub fn y_mut(&self) -> Result<String, EmitError> {
        Ok(format!("&mut t.{}", self.y()?.field))
    }

    /// Checks the data inputs' count.
    pub fn arity_is(&self, n: usize) -> Result<(), EmitError> {
        if self.arity() == n {
            Ok(())
        } else {
            Err(self.err(format!("takes {n} data input(s), has {}", self.arity())))
        }
    }
}

/// Types are written in their C++ spelling and parsed back by the generated code: the spelling
/// must give the same type.
fn check_spelling(t: FixedType) -> Result<(), String> {
    // The crate's `ty()` reads it back with `FixedType::parse_wide` (accumulators up to 128 bits).
    match FixedType::parse_wide(&t.to_string()) {
        Ok(back) if back == t => Ok(()),
        _ => Err(format!("{t} does not parse back to the same type")),
    }
}

/// Single-line code up to this length; longer calls and literals get one argument per line.
const LINE: usize = 72;

/// `f(a, b)` on one line when short, else one argument per line (nested code indented).
pub(crate) fn fmt_call(f: &str, args: Vec<String>) -> String {
    wrap(&format!("{f}("), ")", &args, ", ")
}

/// `Name { a: x, b: y }` on one line when short, else one field per line.
pub(crate) fn fmt_struct(name: &str, fields: &[(&str, String)]) -> String {
    let items: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if items.is_empty() {
        return format!("{name} {{}}");
    }
    let one = format!("{name} {{ {} }}", items.join(", "));
    if one.len() <= LINE && !one.contains('\n') {
        return one;
    }
    wrap(&format!("{name} {{"), "}", &items, ", ")
}

/// `[a, b]` likewise.
pub(crate) fn fmt_array(items: &[String]) -> String {
    wrap("[", "]", items, ", ")
}

fn wrap(open: &str, close: &str, items: &[String], sep: &str) -> String {
    let one = format!("{open}{}{close}", items.join(sep));
    if one.len() <= LINE && !one.contains('\n') {
        return one;
    }
    let mut s = open.to_string();
    for item in items {
        s.push_str("\n    ");
        s.push_str(&item.replace('\n', "\n    "));
        s.push(',');
    }
    s.push('\n');
    s.push_str(close);
    s
}

/// `ty("ap_fixed<..>")?`: a type in generated code.
pub(crate) fn ty_expr(t: FixedType) -> String {
    format!("ty({})?", rust_str(&t.to_string()))
}

/// An `i64` literal (`i64::MIN` has none).
pub(crate) fn int(v: i64) -> String {
    if v == i64::MIN {
        "i64::MIN".to_string()
    } else {
        v.to_string()
    }
}

fn storage_name(s: Storage) -> &'static str {
    match s {
        Storage::I8 => "i8",
        Storage::I16 => "i16",
        Storage::I32 => "i32",
        Storage::I64 => "i64",
    }
}

impl std::fmt::Display for TensorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.field)
    }
}

/// Values joined by `, ` into lines of at most ~96 characters, each ending in `,`.
fn lines(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for v in values {
        if !line.is_empty() && line.len() + v.len() + 2 > 96 {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&v);
        line.push(',');
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Test vectors

struct Vectors {
    input: String,
    expected: String,
    trace: String,
    count: usize,
}

impl Vectors {
    fn compute(interp: &Model, code: &Code, opts: &SimOptions) -> Result<Vectors, EmitError> {
        let n_in = code.input_len;
        let samples: Vec<i64> = if opts.vectors.is_empty() {
            random_inputs(&code.inputs, n_in, opts.random_vectors.max(1))
        } else {
            if opts.vectors.len().checked_rem(n_in) != Some(0) {
                return Err(EmitError::Model(format!(
                    "{} raw input values are not whole samples of {n_in}",
                    opts.vectors.len()
                )));
            }
            opts.vectors.clone()
        };
        let batch = samples.len() / n_in.max(1);
        // The interpreter takes one slice per graph input, samples one after another.
        let per_input: Vec<Vec<i64>> = code
            .inputs
            .iter()
            .map(|p| {
                samples
                    .chunks_exact(n_in)
                    .flat_map(|s| s[p.offset..p.offset + p.len].iter().copied())
                    .collect()
            })
            .collect();
        let views: Vec<&[i64]> = per_input.iter().map(Vec::as_slice).collect();
        let outs = interp.run_raw(&views, batch, Threads::Single)?;
        let first: Vec<&[i64]> = code
            .inputs
            .iter()
            .map(|p| &samples[p.offset..p.offset + p.len])
            .collect();
        let trace = interp.trace(&first)?;

        let header = |what: &str| {
            format!(
                "# {what}: one sample per line, raw integers; the graph inputs one after another: {}\n",
                code.inputs
                    .iter()
                    .map(|p| format!("{} {:?} {}", quoted_comment(&p.name), p.shape, p.ty))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut input = header("inputs");
        for s in samples.chunks_exact(n_in.max(1)) {
            input += &join(s);
            input.push('\n');
        }
        let mut expected = format!(
            "# raw outputs computed by binpoint's interpreter, one sample per line: {}\n",
            code.outputs
                .iter()
                .map(|p| format!("{} {:?} {}", quoted_comment(&p.name), p.shape, p.ty))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for s in 0..batch {
            let row: Vec<i64> = outs
                .iter()
                .zip(&code.outputs)
                .flat_map(|(o, p)| o[s * p.len..(s + 1) * p.len].iter().copied())
                .collect();
            expected += &join(&row);
            expected.push('\n');
        }
        let mut tr =
            String::from("# every layer's raw output for the first input, by the interpreter\n");
        for (i, l) in trace.iter().enumerate() {
            let _ = writeln!(tr, "# {i} {}", quoted_comment(&l.layer));
            tr += &join(&l.raw);
            tr.push('\n');
        }
        Ok(Vectors {
            input,
            expected,
            trace: tr,
            count: batch,
        })
    }
}

fn join(v: &[i64]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `count` samples: uniform over each input type's raw values (splitmix64, fixed seed), the last
/// all zeros.
fn random_inputs(ports: &[Port], n_in: usize, count: usize) -> Vec<i64> {
    let mut state = 0x5eed_b1a9_0000_0001u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut out = Vec::with_capacity(n_in * count);
    for _ in 1..count {
        for p in ports {
            let (lo, hi) = (p.ty.min_raw(), p.ty.max_raw());
            let span = (hi - lo + 1) as u128;
            for _ in 0..p.len {
                out.push((lo + (u128::from(next()) % span) as i128) as i64);
            }
        }
    }
    out.resize(n_in * count, 0);
    out
}
