//! The plan rendered through the askama templates of `hls-templates/firmware/` and
//! `hls-templates/tb/`, plus the static headers copied as they are.

use askama::Template;

use super::config::ConfigStruct;
use super::layer::ConstArray;
use super::plan::{Plan, TensorDef};
use super::{Files, HlsError};
use crate::hardware::{Interface, Strategy};

/// The kernel headers and the firmware's own static headers, by file name.
const STATIC_HEADERS: &[(&str, &str)] = &[
    (
        "add.h",
        include_str!("../../../../hls-templates/kernels/add.h"),
    ),
    (
        "affine.h",
        include_str!("../../../../hls-templates/kernels/affine.h"),
    ),
    (
        "average_pool.h",
        include_str!("../../../../hls-templates/kernels/average_pool.h"),
    ),
    (
        "binpoint_common.h",
        include_str!("../../../../hls-templates/kernels/binpoint_common.h"),
    ),
    (
        "clip.h",
        include_str!("../../../../hls-templates/kernels/clip.h"),
    ),
    (
        "conv1d.h",
        include_str!("../../../../hls-templates/kernels/conv1d.h"),
    ),
    (
        "conv2d.h",
        include_str!("../../../../hls-templates/kernels/conv2d.h"),
    ),
    (
        "dense.h",
        include_str!("../../../../hls-templates/kernels/dense.h"),
    ),
    (
        "dense_shift_add.h",
        include_str!("../../../../hls-templates/kernels/dense_shift_add.h"),
    ),
    (
        "conv1d_shift_add.h",
        include_str!("../../../../hls-templates/kernels/conv1d_shift_add.h"),
    ),
    (
        "conv2d_shift_add.h",
        include_str!("../../../../hls-templates/kernels/conv2d_shift_add.h"),
    ),
    (
        "shift_add.h",
        include_str!("../../../../hls-templates/kernels/shift_add.h"),
    ),
    (
        "global_average_pool.h",
        include_str!("../../../../hls-templates/kernels/global_average_pool.h"),
    ),
    (
        "global_max_pool.h",
        include_str!("../../../../hls-templates/kernels/global_max_pool.h"),
    ),
    (
        "hard_sigmoid.h",
        include_str!("../../../../hls-templates/kernels/hard_sigmoid.h"),
    ),
    (
        "hard_swish.h",
        include_str!("../../../../hls-templates/kernels/hard_swish.h"),
    ),
    (
        "leaky_relu.h",
        include_str!("../../../../hls-templates/kernels/leaky_relu.h"),
    ),
    (
        "lut.h",
        include_str!("../../../../hls-templates/kernels/lut.h"),
    ),
    (
        "max_pool.h",
        include_str!("../../../../hls-templates/kernels/max_pool.h"),
    ),
    (
        "mul.h",
        include_str!("../../../../hls-templates/kernels/mul.h"),
    ),
    (
        "relu.h",
        include_str!("../../../../hls-templates/kernels/relu.h"),
    ),
    (
        "softmax.h",
        include_str!("../../../../hls-templates/kernels/softmax.h"),
    ),
    (
        "sub.h",
        include_str!("../../../../hls-templates/kernels/sub.h"),
    ),
    (
        "movement.h",
        include_str!("../../../../hls-templates/firmware/movement.h"),
    ),
    (
        "binpoint_io.h",
        include_str!("../../../../hls-templates/firmware/binpoint_io.h"),
    ),
    (
        "average_pool_stream.h",
        include_str!("../../../../hls-templates/kernels/average_pool_stream.h"),
    ),
    (
        "conv1d_stream.h",
        include_str!("../../../../hls-templates/kernels/conv1d_stream.h"),
    ),
    (
        "conv2d_stream.h",
        include_str!("../../../../hls-templates/kernels/conv2d_stream.h"),
    ),
    (
        "line_buffer.h",
        include_str!("../../../../hls-templates/kernels/line_buffer.h"),
    ),
    (
        "max_pool_stream.h",
        include_str!("../../../../hls-templates/kernels/max_pool_stream.h"),
    ),
    (
        "stream.h",
        include_str!("../../../../hls-templates/firmware/stream.h"),
    ),
    (
        "binpoint_param.h",
        include_str!("../../../../hls-templates/firmware/binpoint_param.h"),
    ),
];

/// A static header's text, as the firmware ships it (None: no such header).
pub fn static_header(name: &str) -> Option<&'static str> {
    STATIC_HEADERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

fn shipped_header(name: &str) -> Result<&'static str, HlsError> {
    static_header(name)
        .ok_or_else(|| HlsError::Unsupported(format!("no kernel header named {name}")))
}

#[derive(Template)]
#[template(path = "firmware/defines.h")]
struct DefinesH<'a> {
    model: &'a str,
    source: &'a str,
    io_bits: u32,
    io_decls: Vec<String>,
    tensors: &'a [TensorDef],
}

struct LayerView<'a> {
    index: usize,
    comment: &'a str,
    configs: &'a [ConfigStruct],
    arrays: &'a [ConstArray],
}

#[derive(Template)]
#[template(path = "firmware/parameters.h")]
struct ParametersH<'a> {
    model: &'a str,
    headers: Vec<&'a str>,
    layers: Vec<LayerView<'a>>,
}

#[derive(Template)]
#[template(path = "firmware/binpoint_top.h")]
struct TopH<'a> {
    model: &'a str,
    interface_doc: &'a str,
    in_words: usize,
    out_words: usize,
    max_batch: usize,
    layers: usize,
    signature: &'a str,
}

struct BufferView {
    ty: String,
    name: String,
    len: usize,
    comment: String,
}

struct TopLayer<'a> {
    index: usize,
    comment: &'a str,
    calls: &'a [String],
    out: &'a str,
    len: usize,
}

#[derive(Template)]
#[template(path = "firmware/binpoint_top.cpp")]
struct TopCpp<'a> {
    model: &'a str,
    signature: &'a str,
    pragmas: Vec<String>,
    max_batch: usize,
    /// The sample loop's own pragmas (an all-latency design: one pipeline).
    sample_pragmas: Vec<String>,
    buffers: Vec<BufferView>,
    buffer_pragmas: Vec<String>,
    reads: Vec<String>,
    layers: Vec<TopLayer<'a>>,
    writes: Vec<String>,
}

#[derive(Template)]
#[template(path = "tb/tb.cpp")]
struct TbCpp<'a> {
    model: &'a str,
    call: &'a str,
}

/// What differs between the two interfaces.
pub(super) struct InterfaceText {
    doc: &'static str,
    pub(super) signature: &'static str,
    io_decls: Vec<String>,
    pub(super) pragmas: Vec<String>,
    pub(super) reads: Vec<String>,
    pub(super) writes: Vec<String>,
    tb_call: &'static str,
}

const MMAP_SIGNATURE: &str =
    "void binpoint_top(const io_word_t *input, io_word_t *output, unsigned n_samples)";
const STREAM_SIGNATURE: &str = "void binpoint_top(hls::stream<io_axis_t> &input, \
                                hls::stream<io_axis_t> &output, unsigned n_samples)";

const MMAP_TB_CALL: &str = "binpoint_top(&in_words[0], &out_words[0], (unsigned)batch);";
const STREAM_TB_CALL: &str = "{
      hls::stream<io_axis_t> in_stream, out_stream;
      const long long n_in = batch * BINPOINT_IN_WORDS, n_out = batch * BINPOINT_OUT_WORDS;
      for (long long i = 0; i < n_in; i++) {
        io_axis_t w;
        w.data = in_words[i];
        w.keep = -1;
        w.strb = -1;
        w.last = i + 1 == n_in;
        in_stream.write(w);
      }
      binpoint_top(in_stream, out_stream, (unsigned)batch);
      for (long long i = 0; i < n_out; i++) out_words[i] = out_stream.read().data;
    }";

/// `ap_axis` from Vitis's `ap_axi_sdata.h`; a stand-in with the same members for C simulation
/// against the open-source headers, which lack it.
fn axis_decls(bits: u32) -> Vec<String> {
    let bytes = bits / 8;
    vec![
        "#include <hls_stream.h>".into(),
        "#if defined(__has_include)".into(),
        "#if __has_include(<ap_axi_sdata.h>)".into(),
        "#define BINPOINT_HAS_AXI_SDATA 1".into(),
        "#endif".into(),
        "#endif".into(),
        "#ifdef BINPOINT_HAS_AXI_SDATA".into(),
        "#include <ap_axi_sdata.h>".into(),
        "// One AXI-Stream beat: an interface word, TKEEP, TSTRB and TLAST.".into(),
        format!("typedef ap_axis<{bits}, 0, 0, 0> io_axis_t;"),
        "#else".into(),
        "// The members of ap_axis (Vitis's ap_axi_sdata.h) for C simulation without it.".into(),
        format!(
            "struct io_axis_t {{\n  ap_int<{bits}> data;\n  ap_uint<{bytes}> keep;\n  \
             ap_uint<{bytes}> strb;\n  ap_uint<1> last;\n}};"
        ),
        "#endif".into(),
    ]
}

pub(super) fn interface_text(plan: &Plan) -> InterfaceText {
    let max = plan.opts.max_batch;
    let (iw, ow) = (plan.in_words, plan.out_words);
    match plan.opts.hardware.interface {
        Interface::MAxi => InterfaceText {
            doc: "Interface: m_axi data (input on bundle gmem0, output on gmem1), s_axilite \
                  control (bundle control: input, output, n_samples, return).",
            signature: MMAP_SIGNATURE,
            io_decls: Vec::new(),
            pragmas: vec![
                format!(
                    "HLS INTERFACE m_axi port=input offset=slave bundle=gmem0 depth={}",
                    iw * max
                ),
                format!(
                    "HLS INTERFACE m_axi port=output offset=slave bundle=gmem1 depth={}",
                    ow * max
                ),
                "HLS INTERFACE s_axilite port=input bundle=control".into(),
                "HLS INTERFACE s_axilite port=output bundle=control".into(),
                "HLS INTERFACE s_axilite port=n_samples bundle=control".into(),
                "HLS INTERFACE s_axilite port=return bundle=control".into(),
            ],
            reads: plan
                .inputs
                .iter()
                .map(|x| {
                    format!(
                        "binpoint::read_words(input + s * {iw} + {}, {}, {})",
                        x.offset, x.buf.name, x.buf.len
                    )
                })
                .collect(),
            writes: plan
                .outputs
                .iter()
                .map(|y| {
                    format!(
                        "binpoint::write_words({}, output + s * {ow} + {}, {})",
                        y.buf.name, y.offset, y.buf.len
                    )
                })
                .collect(),
            tb_call: MMAP_TB_CALL,
        },
        Interface::AxiStream => {
            let last = plan.outputs.len().saturating_sub(1);
            InterfaceText {
                doc: "Interface: AXI-Stream data (input, output: ap_axis words, TLAST on the last \
                      word of the last sample), s_axilite control (bundle control: n_samples, \
                      return).",
                signature: STREAM_SIGNATURE,
                io_decls: axis_decls(plan.io_bits),
                pragmas: vec![
                    "HLS INTERFACE axis port=input".into(),
                    "HLS INTERFACE axis port=output".into(),
                    "HLS INTERFACE s_axilite port=n_samples bundle=control".into(),
                    "HLS INTERFACE s_axilite port=return bundle=control".into(),
                ],
                reads: plan
                    .inputs
                    .iter()
                    .map(|x| {
                        format!(
                            "binpoint::read_stream(input, {}, {})",
                            x.buf.name, x.buf.len
                        )
                    })
                    .collect(),
                writes: plan
                    .outputs
                    .iter()
                    .enumerate()
                    .map(|(k, y)| {
                        let last = if k == last {
                            "s + 1 == n_samples"
                        } else {
                            "false"
                        };
                        format!(
                            "binpoint::write_stream<io_axis_t, io_word_t>({}, output, {}, {last})",
                            y.buf.name, y.buf.len
                        )
                    })
                    .collect(),
                tb_call: STREAM_TB_CALL,
            }
        }
    }
}

fn render<T: Template>(file: &'static str, t: &T) -> Result<String, HlsError> {
    t.render()
        .map_err(|source| HlsError::Template { file, source })
}

/// A design whose every layer is `latency` is one pipeline: the sample loop at II = the largest
/// reuse factor, every tensor in registers.
fn one_pipeline(plan: &Plan) -> Option<u64> {
    let layers = &plan.opts.hardware.layers;
    layers
        .iter()
        .all(|l| l.strategy == Strategy::Latency)
        .then(|| layers.iter().map(|l| l.reuse_factor).max().unwrap_or(1))
}

fn sample_pragmas(plan: &Plan) -> Vec<String> {
    one_pipeline(plan)
        .map(|ii| format!("HLS PIPELINE II={ii}"))
        .into_iter()
        .collect()
}

fn buffer_pragmas(plan: &Plan) -> Vec<String> {
    match one_pipeline(plan) {
        Some(_) => plan
            .buffers
            .iter()
            .map(|(b, _)| format!("HLS ARRAY_PARTITION variable={} complete", b.name))
            .collect(),
        None => Vec::new(),
    }
}

pub fn firmware(plan: &Plan) -> Result<Files, HlsError> {
    let it = interface_text(plan);
    let mut files = Files::default();
    let mut put = |name: &str, text: String| {
        files.files.insert(name.to_string(), text);
    };
    put(
        "defines.h",
        render(
            "defines.h",
            &DefinesH {
                model: &plan.model,
                source: &plan.source,
                io_bits: plan.io_bits,
                io_decls: it.io_decls.clone(),
                tensors: &plan.tensors,
            },
        )?,
    );
    put(
        "parameters.h",
        render(
            "parameters.h",
            &ParametersH {
                model: &plan.model,
                headers: plan
                    .headers
                    .iter()
                    .copied()
                    .filter(|h| *h != "binpoint_common.h")
                    .collect(),
                layers: plan
                    .layers
                    .iter()
                    .map(|l| LayerView {
                        index: l.index,
                        comment: &l.comment,
                        configs: &l.emitted.configs,
                        arrays: &l.emitted.arrays,
                    })
                    .collect(),
            },
        )?,
    );
    put(
        "binpoint_top.h",
        render(
            "binpoint_top.h",
            &TopH {
                model: &plan.model,
                interface_doc: it.doc,
                in_words: plan.in_words,
                out_words: plan.out_words,
                max_batch: plan.opts.max_batch,
                layers: plan.layers.len(),
                signature: it.signature,
            },
        )?,
    );
    let top = match &plan.stream_top {
        Some(text) => text.clone(),
        None => array_top(plan, it.signature, it.pragmas, it.reads, it.writes)?,
    };
    put("binpoint_top.cpp", top);
    for name in plan
        .headers
        .iter()
        .copied()
        .chain(["binpoint_io.h", "binpoint_param.h"])
    {
        put(name, shipped_header(name)?.to_string());
    }
    Ok(files)
}

/// The array design's top function.
fn array_top(
    plan: &Plan,
    signature: &str,
    pragmas: Vec<String>,
    reads: Vec<String>,
    writes: Vec<String>,
) -> Result<String, HlsError> {
    render(
        "binpoint_top.cpp",
        &TopCpp {
            model: &plan.model,
            signature,
            pragmas,
            max_batch: plan.opts.max_batch,
            sample_pragmas: sample_pragmas(plan),
            buffer_pragmas: buffer_pragmas(plan),
            buffers: plan
                .buffers
                .iter()
                .map(|(b, comment)| BufferView {
                    ty: b.ty_name.clone(),
                    name: b.name.clone(),
                    len: b.len,
                    comment: comment.clone(),
                })
                .collect(),
            reads,
            layers: plan
                .layers
                .iter()
                .map(|l| TopLayer {
                    index: l.index,
                    comment: &l.comment,
                    calls: &l.emitted.calls,
                    out: &l.out.name,
                    len: l.out.len,
                })
                .collect(),
            writes,
        },
    )
}

pub fn tb(plan: &Plan) -> Result<Files, HlsError> {
    let it = interface_text(plan);
    let mut files = Files::default();
    files.files.insert(
        "tb.cpp".into(),
        render(
            "tb.cpp",
            &TbCpp {
                model: &plan.model,
                call: it.tb_call,
            },
        )?,
    );
    Ok(files)
}
