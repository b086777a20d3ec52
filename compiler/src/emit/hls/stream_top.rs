//! The dataflow design's top function file (`binpoint_top.cpp` of an `io = stream` design): the
//! read and write stages, one process per layer stage ([`super::stream::stage`]), the streams
//! and FIFO depths ([`crate::dataflow`]), in a `DATAFLOW` region. Called once the plan is made
//! (`super::render_firmware`), so the plan never calls back into it.

use super::plan::Plan;
use super::render::interface_text;
use super::stream::Port;
use super::HlsError;
use crate::dataflow::{fifo_depths, geometry};
use crate::hardware::Interface;
use askama::Template;
use binpoint_runtime::model::Model;

/// A function of the top file.
struct Function {
    comment: String,
    signature: String,
    body: Vec<String>,
}

#[derive(Template)]
#[template(path = "firmware/binpoint_top_stream.cpp")]
struct TopStreamCpp<'a> {
    model: &'a str,
    signature: &'a str,
    pragmas: Vec<String>,
    functions: Vec<Function>,
    streams: Vec<String>,
    calls: Vec<String>,
    trace_streams: Vec<String>,
    trace_calls: Vec<String>,
}

/// Who reads a tensor's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Layer(usize, usize),
    Output(usize),
}

/// The stream design's `binpoint_top.cpp`.
pub fn top(plan: &Plan, model: &Model) -> Result<String, HlsError> {
    let it = interface_text(plan);
    let n_tensors = model.tensors().len();
    let port = |t: usize| -> Result<Port, HlsError> {
        let info = &model.tensors()[t];
        let ty_name = plan
            .tensors
            .get(t)
            .map(|d| d.name.clone())
            .ok_or_else(|| HlsError::Unsupported(format!("tensor {t} has no typedef")))?;
        let (channels, pixels) = geometry(&info.shape);
        Ok(Port {
            ty_name,
            channels,
            pixels,
        })
    };
    // Readers of every tensor, in order.
    let mut readers: Vec<Vec<Reader>> = vec![Vec::new(); n_tensors];
    for (i, l) in model.layers().iter().enumerate() {
        for (k, &t) in l.inputs.iter().enumerate() {
            readers[t].push(Reader::Layer(i, k));
        }
    }
    for (k, &t) in model.outputs().iter().enumerate() {
        readers[t].push(Reader::Output(k));
    }
    let pixels: Vec<usize> = model
        .tensors()
        .iter()
        .map(|t| geometry(&t.shape).1)
        .collect();
    let edges: Vec<(Vec<usize>, usize)> = model
        .layers()
        .iter()
        .map(|l| (l.inputs.clone(), l.output))
        .collect();
    let reads: Vec<usize> = readers.iter().map(Vec::len).collect();
    let depth = fifo_depths(&pixels, &edges, model.inputs(), model.outputs(), &reads);

    let mut functions = Vec::new();
    // The read stage.
    let in_param = match plan.opts.hardware.interface {
        Interface::MAxi => "const io_word_t *input".to_string(),
        Interface::AxiStream => "hls::stream<io_axis_t> &input".to_string(),
    };
    let mut params = vec![in_param];
    let mut body = vec![
        "stage_sample:".to_string(),
        "  for (unsigned s = 0; s < n_samples; s++) {".into(),
    ];
    for (k, (slot, &t)) in plan.inputs.iter().zip(model.inputs()).enumerate() {
        let p = port(t)?;
        params.push(format!("{} &streamOut{k}", p.stream()));
        body.push(format!(
            "    bpm::{} {}[{}];",
            slot.buf.ty_name, slot.buf.name, slot.buf.len
        ));
    }
    body.extend(it.reads.iter().map(|r| format!("    {r};")));
    for (k, (slot, &t)) in plan.inputs.iter().zip(model.inputs()).enumerate() {
        let p = port(t)?;
        body.push(format!(
            "    binpoint::array_to_stream<bpm::{}, {}, {}>({}, streamOut{k});",
            p.ty_name, p.channels, p.pixels, slot.buf.name
        ));
    }
    body.push("  }".into());
    params.push("unsigned n_samples".into());
    functions.push(Function {
        comment: "The graph inputs, channels-first words from the interface, as pixels.".into(),
        signature: format!("static void stageRead({})", params.join(", ")),
        body,
    });
    // The layers.
    for l in &plan.layers {
        let s = l.stage.as_ref().ok_or_else(|| {
            HlsError::Unsupported(format!("layer {} has no stream stage", l.index))
        })?;
        let mut params: Vec<String> = s
            .ins
            .iter()
            .enumerate()
            .map(|(k, p)| format!("{} &streamIn{k}", p.stream()))
            .collect();
        params.push(format!("{} &streamOut", s.out.stream()));
        params.push("unsigned n_samples".into());
        functions.push(Function {
            comment: format!("{}: {} [{} stage]", l.index, l.comment, s.kind.as_str()),
            signature: format!("static void stageLayer{}({})", l.index, params.join(", ")),
            body: s.body.clone(),
        });
    }
    // The write stage.
    let out_param = match plan.opts.hardware.interface {
        Interface::MAxi => "io_word_t *output".to_string(),
        Interface::AxiStream => "hls::stream<io_axis_t> &output".to_string(),
    };
    let mut params = Vec::new();
    let mut body = vec![
        "stage_sample:".to_string(),
        "  for (unsigned s = 0; s < n_samples; s++) {".into(),
    ];
    for (k, (slot, &t)) in plan.outputs.iter().zip(model.outputs()).enumerate() {
        let p = port(t)?;
        params.push(format!("{} &streamIn{k}", p.stream()));
        body.push(format!(
            "    bpm::{} {}[{}];",
            slot.buf.ty_name, slot.buf.name, slot.buf.len
        ));
        body.push(format!(
            "    binpoint::stream_to_array<bpm::{}, {}, {}>(streamIn{k}, {});",
            p.ty_name, p.channels, p.pixels, slot.buf.name
        ));
    }
    body.extend(it.writes.iter().map(|w| format!("    {w};")));
    body.push("  }".into());
    params.push(out_param);
    params.push("unsigned n_samples".into());
    functions.push(Function {
        comment: "The graph outputs, pixels back to channels-first words on the interface.".into(),
        signature: format!("static void stageWrite({})", params.join(", ")),
        body,
    });

    // Streams: fifoT<t> from the producer; a tensor with several readers is copied into one
    // stream per reader (fifoT<t>_<j>) by clone2 processes.
    let mut streams = Vec::new();
    let mut calls = Vec::new();
    let mut trace_streams = Vec::new();
    let mut trace_calls = Vec::new();
    let mut reader_stream = vec![Vec::<String>::new(); n_tensors];
    let declare = |streams: &mut Vec<String>, name: &str, p: &Port, d: usize| {
        streams.push(format!("{} {name};", p.stream()));
        streams.push(format!("BP_PRAGMA(HLS STREAM variable={name} depth={d})"));
    };
    let mut clones = vec![Vec::<String>::new(); n_tensors];
    for t in 0..n_tensors {
        let n = readers[t].len();
        if n == 0 {
            let produced =
                model.inputs().contains(&t) || model.layers().iter().any(|l| l.output == t);
            if produced {
                return Err(HlsError::Unsupported(format!(
                    "tensor '{}' is computed but nothing reads it: a stream design needs a \
                     reader for every stream",
                    model.tensors()[t].name
                )));
            }
            continue;
        }
        let p = port(t)?;
        let base = format!("fifoT{t}");
        declare(&mut streams, &base, &p, depth[t]);
        if n == 1 {
            reader_stream[t].push(base);
            continue;
        }
        let words = p.pixels;
        let mut from = base.clone();
        for j in 0..n {
            let mine = format!("{base}_{j}");
            declare(&mut streams, &mine, &p, depth[t]);
            reader_stream[t].push(mine.clone());
            if j + 2 == n {
                let last = format!("{base}_{}", j + 1);
                declare(&mut streams, &last, &p, depth[t]);
                reader_stream[t].push(last.clone());
                clones[t].push(format!(
                    "binpoint::clone2<bpm::{}, {}>({from}, {mine}, {last}, (long long)n_samples * {words});",
                    p.ty_name, p.channels
                ));
                break;
            }
            let rest = format!("{base}_rest{j}");
            declare(&mut streams, &rest, &p, depth[t]);
            clones[t].push(format!(
                "binpoint::clone2<bpm::{}, {}>({from}, {mine}, {rest}, (long long)n_samples * {words});",
                p.ty_name, p.channels
            ));
            from = rest;
        }
    }
    let stream_of = |t: usize, r: Reader| -> String {
        let j = readers[t].iter().position(|&x| x == r).unwrap_or(0);
        reader_stream[t][j].clone()
    };
    let mut args = vec!["input".to_string()];
    args.extend(model.inputs().iter().map(|&t| format!("fifoT{t}")));
    args.push("n_samples".into());
    // Every process after the ones it reads from (C simulation runs them in this order).
    calls.push(format!("stageRead({});", args.join(", ")));
    trace_calls.push(format!("stageRead({});", args.join(", ")));
    for &t in model.inputs() {
        calls.extend(clones[t].iter().cloned());
        trace_calls.extend(clones[t].iter().cloned());
    }
    for (i, l) in model.layers().iter().enumerate() {
        let mut args: Vec<String> = l
            .inputs
            .iter()
            .enumerate()
            .map(|(k, &t)| stream_of(t, Reader::Layer(i, k)))
            .collect();
        let out = format!("fifoT{}", l.output);
        let p = port(l.output)?;
        let raw = format!("{out}_traced");
        trace_streams.push(format!("{} {raw};", p.stream()));
        let mut targs = args.clone();
        args.push(out.clone());
        args.push("n_samples".into());
        targs.push(raw.clone());
        targs.push("n_samples".into());
        calls.push(format!("stageLayer{i}({});", args.join(", ")));
        trace_calls.push(format!("stageLayer{i}({});", targs.join(", ")));
        trace_calls.push(format!(
            "binpoint::trace_stream<{i}, bpm::{}, {}, {}>({raw}, {out}, n_samples);",
            p.ty_name, p.channels, p.pixels
        ));
        calls.extend(clones[l.output].iter().cloned());
        trace_calls.extend(clones[l.output].iter().cloned());
    }
    let mut args: Vec<String> = model
        .outputs()
        .iter()
        .enumerate()
        .map(|(k, &t)| stream_of(t, Reader::Output(k)))
        .collect();
    args.push("output".into());
    args.push("n_samples".into());
    calls.push(format!("stageWrite({});", args.join(", ")));
    trace_calls.push(format!("stageWrite({});", args.join(", ")));

    let mut pragmas = it.pragmas.clone();
    pragmas.push("HLS DATAFLOW".into());
    TopStreamCpp {
        model: &plan.model,
        signature: it.signature,
        pragmas,
        functions,
        streams,
        calls,
        trace_streams,
        trace_calls,
    }
    .render()
    .map_err(|source| HlsError::Template {
        file: "binpoint_top_stream.cpp",
        source,
    })
}
