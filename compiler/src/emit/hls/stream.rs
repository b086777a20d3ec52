//! The dataflow design (`io = stream`, hls4ml's `io_stream`): one process per layer, connected
//! by `hls::stream`s in a `#pragma HLS DATAFLOW` top function.
//!
//! ```text
//! interface ──stageRead──▶ fifo ──layer 0──▶ fifo ──layer 1──▶ ... ──stageWrite──▶ interface
//!                                 (a tensor read by k layers: clone2 processes copy its words)
//! ```
//!
//! Layout: a tensor `[C, d1, d2, ...]` of one sample crosses a stream as `d1·d2·…` words, one
//! per pixel in raster order, each word the `C` channels of its pixel (`hls-templates/firmware/
//! stream.h`); `[N]` is one word of `N` channels. The interface stays channels-first: the read
//! stage reorders the words into pixels and the write stage back, so the testbench and
//! `verify` are the array design's.
//!
//! What each layer becomes (the kernels compute the array kernels' bits, see each header):
//! - **window**: conv2d, conv1d, max_pool, average_pool: `*_stream.h` over a line buffer
//!   (`line_buffer.h`), one padded input position per `reuse_factor` cycles (pools: 1);
//! - **pixel**: relu, clip, leaky_relu, hard_sigmoid, hard_swish, lut, cast, and affine when its
//!   channels are the word's: the array kernel on one word (its config with `size` = the
//!   word's channels), one word per cycle;
//! - **tensor**: every other layer (dense, softmax, add/sub/mul, global pools, K-hot layers,
//!   views whose word shape changes, gather, concat): its inputs collected into channels-first
//!   arrays, the array design's call, the output streamed out. Correct for any layer; it does
//!   not overlap within the layer.
//!
//! The rules (words, stage kinds, FIFO depths) are [`crate::dataflow`]'s. FIFO depths: 2 words, except on a path from a fork (a tensor read by several
//! layers, or several graph inputs) to a join (a layer with several stream inputs, or several
//! graph outputs): there the whole tensor (its words), so that a join that reads one input to
//! its end never stalls the branch that feeds its other input.

use binpoint_runtime::model::Exec;

use super::config::ConfigStruct;
use super::layer::{BufRef, Ctx, Emitted};
use super::HlsError;
use crate::dataflow::{geometry, stage_kind, StageKind};

/// A tensor as words: `channels` per word, `pixels` words per sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub ty_name: String,
    pub channels: usize,
    pub pixels: usize,
}

impl Port {
    pub fn of(b: &BufRef) -> Port {
        let (channels, pixels) = geometry(&b.shape);
        Port {
            ty_name: b.ty_name.clone(),
            channels,
            pixels,
        }
    }

    /// `binpoint::word<bpm::<type>, C>`.
    pub fn word(&self) -> String {
        format!("binpoint::word<bpm::{}, {}>", self.ty_name, self.channels)
    }

    pub(super) fn stream(&self) -> String {
        format!("hls::stream<{} >", self.word())
    }
}

/// One layer as a dataflow process: `static void <name>(streamIn0, ..., streamOut, n_samples)`.
#[derive(Clone, Debug)]
pub struct Stage {
    pub kind: StageKind,
    pub ins: Vec<Port>,
    pub out: Port,
    /// The function body (statements and loops, indented two spaces).
    pub body: Vec<String>,
}

/// The stage of a layer whose array design is `emitted` (its configs and constants stay; its
/// calls are replaced where the layer has a stream kernel; its headers gain the stream ones).
pub fn stage(ctx: &mut Ctx<'_>, emitted: &mut Emitted) -> Result<Stage, HlsError> {
    let ins: Vec<Port> = ctx.ins.iter().map(Port::of).collect();
    let out = Port::of(&ctx.out);
    let per_channel = match ctx.exec {
        Exec::Affine { cfg, .. } => cfg.channels == out.channels && cfg.size == out.pixels,
        _ => true,
    };
    let kernel = ctx_kernel(ctx);
    let kind = stage_kind(kernel, ins.len(), per_channel);
    // A pixel stage calls the array kernel once per word: one call of that kernel.
    let same_words = ins.len() == 1
        && ins[0].channels == out.channels
        && emitted.calls.len() == 1
        && emitted.calls[0].starts_with(&format!("binpoint::{kernel}<"));
    let arrays: Vec<String> = emitted
        .arrays
        .iter()
        .map(|a| format!("bpm::{}", a.name))
        .collect();
    let (kind, body) = match kind {
        StageKind::Window if emitted.configs.len() == 1 => {
            let kernel = stream_kernel(kernel)?;
            let cfg = emitted.configs[0].name.clone();
            let mut args = vec!["streamIn0".to_string(), "streamOut".to_string()];
            args.extend(arrays);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            emitted.headers = vec![header(kernel)?, "line_buffer.h", "stream.h"];
            if kernel == "conv1d_stream" {
                // conv1d_stream is conv2d_stream on a plane of height 1.
                emitted.headers.push("conv2d_stream.h");
            }
            (
                StageKind::Window,
                vec![
                    "stage_sample:".into(),
                    "  for (unsigned s = 0; s < n_samples; s++) {".into(),
                    format!("    {};", Emitted::call(kernel, &cfg, &refs)),
                    "  }".into(),
                ],
            )
        }
        StageKind::Pixel if same_words && emitted.configs.len() == 1 => {
            // The array kernel's config for one word: `size` values (affine: `channels` of
            // `size` 1).
            let pc = if kernel == "affine" {
                let pc = resized(&emitted.configs[0], ctx.name("pixel_config"), "size", 1);
                resized(&pc, pc.name.clone(), "channels", out.channels)
            } else {
                resized(
                    &emitted.configs[0],
                    ctx.name("pixel_config"),
                    "size",
                    out.channels,
                )
            };
            let mut args = vec!["a.v".to_string(), "b.v".to_string()];
            args.extend(arrays);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let call = Emitted::call(kernel, &pc.name, &refs);
            emitted.configs.push(pc);
            emitted.headers.push("stream.h");
            (
                StageKind::Pixel,
                vec![
                    "stage_pixel:".into(),
                    format!(
                        "  for (long long i = 0; i < (long long)n_samples * {}; i++) {{",
                        out.pixels
                    ),
                    "    BP_PRAGMA(HLS PIPELINE II=1)".into(),
                    format!("    const {} a = streamIn0.read();", ins[0].word()),
                    format!("    {} b;", out.word()),
                    format!("    {call};"),
                    "    streamOut.write(b);".into(),
                    "  }".into(),
                ],
            )
        }
        _ => (StageKind::Tensor, tensor_body(ctx, emitted, &ins, &out)),
    };
    if !emitted.headers.contains(&"stream.h") {
        emitted.headers.push("stream.h");
    }
    Ok(Stage {
        kind,
        ins,
        out,
        body,
    })
}

/// The runtime kernel of the layer being emitted.
fn ctx_kernel(ctx: &Ctx<'_>) -> &'static str {
    match ctx.exec {
        Exec::Conv2d { .. } => "conv2d",
        Exec::Conv1d { .. } => "conv1d",
        Exec::MaxPool(_) => "max_pool",
        Exec::AveragePool(_) => "average_pool",
        Exec::Relu(_) => "relu",
        Exec::Clip(_) => "clip",
        Exec::LeakyRelu(_) => "leaky_relu",
        Exec::HardSigmoid(_) => "hard_sigmoid",
        Exec::HardSwish(_) => "hard_swish",
        Exec::Lut(_) => "lut",
        Exec::Cast(_) => "cast",
        Exec::Affine { .. } => "affine",
        _ => "",
    }
}

/// The stream kernel of a window layer.
fn stream_kernel(kernel: &str) -> Result<&'static str, HlsError> {
    match kernel {
        "conv2d" => Ok("conv2d_stream"),
        "conv1d" => Ok("conv1d_stream"),
        "max_pool" => Ok("max_pool_stream"),
        "average_pool" => Ok("average_pool_stream"),
        _ => Err(HlsError::Unsupported(format!(
            "no stream kernel for {kernel}"
        ))),
    }
}

/// A stream kernel's header.
fn header(kernel: &str) -> Result<&'static str, HlsError> {
    match kernel {
        "conv2d_stream" => Ok("conv2d_stream.h"),
        "conv1d_stream" => Ok("conv1d_stream.h"),
        "max_pool_stream" => Ok("max_pool_stream.h"),
        "average_pool_stream" => Ok("average_pool_stream.h"),
        _ => Err(HlsError::Unsupported(format!("no stream kernel {kernel}"))),
    }
}

/// `c` renamed `name`, with its `member` set to `v`.
fn resized(c: &ConfigStruct, name: String, member: &str, v: usize) -> ConfigStruct {
    let mut p = c.clone();
    p.name = name;
    for m in &mut p.members {
        if m.name == member {
            m.value = v.to_string();
        }
    }
    p
}

/// A tensor stage: inputs into their channels-first arrays, the array design's calls, the
/// output array out as words.
fn tensor_body(ctx: &mut Ctx<'_>, emitted: &Emitted, ins: &[Port], out: &Port) -> Vec<String> {
    let mut decls = Vec::new();
    let mut reads = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (k, (b, p)) in ctx.ins.clone().iter().zip(ins).enumerate() {
        let name = if seen.contains(&b.name) {
            ctx.name("again")
        } else {
            b.name.clone()
        };
        seen.push(name.clone());
        decls.push(format!("    bpm::{} {}[{}];", b.ty_name, name, b.len));
        reads.push(format!(
            "    binpoint::stream_to_array<bpm::{}, {}, {}>(streamIn{k}, {name});",
            p.ty_name, p.channels, p.pixels
        ));
    }
    // A view shares its input's array.
    let out_name = if emitted.alias {
        ctx.ins[0].name.clone()
    } else {
        decls.push(format!(
            "    bpm::{} {}[{}];",
            ctx.out.ty_name, ctx.out.name, ctx.out.len
        ));
        ctx.out.name.clone()
    };
    let mut body = vec![
        "stage_sample:".to_string(),
        "  for (unsigned s = 0; s < n_samples; s++) {".into(),
    ];
    body.extend(decls);
    body.extend(reads);
    body.extend(emitted.calls.iter().map(|c| format!("    {c};")));
    body.push(format!(
        "    binpoint::array_to_stream<bpm::{}, {}, {}>({out_name}, streamOut);",
        out.ty_name, out.channels, out.pixels
    ));
    body.push("  }".into());
    body
}
