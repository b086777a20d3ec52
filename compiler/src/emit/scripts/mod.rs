//! `OUT/scripts/`: what takes the emitted firmware to a running board (docs/board-flow.md).
//!
//! - `hls.tcl`: Vitis HLS project: C simulation with the testbench and vectors of `OUT/tb/`, C
//!   synthesis for the board's part at the chosen clock, C/RTL co-simulation, export as an IP.
//! - `vivado.tcl`: the board's block design (processing system with the board preset, the HLS IP,
//!   SmartConnects to the PS ports, reset, address map), bitstream, and `OUT/board/` with the
//!   `.bit` and `.hwh` of the same base name that PYNQ loads.
//! - `driver.py`: a PYNQ class around the overlay (`pynq.Overlay`, `pynq.allocate`, the control
//!   registers, `ap_start`/`ap_done`).
//! - `run_vectors.py`: runs `input_raw.txt` on the board and compares with `expected_raw.txt`.
//!
//! Every number and name is computed here ([`ScriptOptions`]); the templates in
//! `hls-templates/scripts/` only interpolate. Names from the model reach the scripts only in
//! comments and strings, reduced to [`plain`] text.

use std::path::{Path, PathBuf};

use askama::Template;
use binpoint_runtime::model::format::{ModelProto, TypeProto};

use crate::board::Board;
use crate::hardware::Hardware;
use binpoint_runtime::model::Model;

/// The files [`write_scripts`] writes into `OUT/scripts/`.
pub const SCRIPT_FILES: [&str; 4] = ["hls.tcl", "vivado.tcl", "driver.py", "run_vectors.py"];

/// Folders the scripts create in `OUT/`.
const HLS_PROJECT: &str = "binpoint_hls";
const HLS_SOLUTION: &str = "solution1";
const VIVADO_PROJECT: &str = "binpoint_vivado";
const BLOCK_DESIGN: &str = "binpoint_bd";
/// The AXI DMA of the AXI-Stream design.
const DMA_CELL: &str = "axi_dma_0";

/// The data interface of the top function (the firmware's and the block design's agree: both
/// read it from the hardware plan).
pub use crate::hardware::Interface;

/// What the scripts are generated for.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptOptions {
    /// `--board` (default [`Board::ultra96v2`]).
    pub board: &'static Board,
    /// HLS clock period (default: the board's, 5 ns on the Ultra96-V2); the PL clock of the block
    /// design is set to `1000 / clock_ns` MHz.
    pub clock_ns: f64,
    /// The top function (`binpoint_top`).
    pub top: String,
    pub interface: Interface,
    /// Bits of an interface word: 32, or 64 when some input or output raw value needs more.
    pub io_bits: u32,
    /// Interface words per sample (every graph input, in order; every graph output).
    pub input_words: u64,
    pub output_words: u64,
    /// Base name of the `.bit`/`.hwh` pair in `OUT/board/`.
    pub overlay: String,
    /// The model's name, for comments.
    pub model: String,
}

impl ScriptOptions {
    /// Defaults for `board`; the model fields are placeholders ([`ScriptOptions::for_model`]
    /// fills them).
    pub fn new(board: &'static Board) -> ScriptOptions {
        ScriptOptions {
            board,
            clock_ns: board.default_clock_ns,
            top: "binpoint_top".into(),
            interface: Interface::MAxi,
            io_bits: 32,
            input_words: 1,
            output_words: 1,
            overlay: "binpoint".into(),
            model: "model".into(),
        }
    }

    /// The options for `model` on `board`: interface words and word width from its inputs and
    /// outputs (the same rule as the firmware's `io_word_t`), everything else by default.
    pub fn for_model(model: &ModelProto, board: &'static Board) -> ScriptOptions {
        let io = |ids: &[u32]| -> Vec<(u64, Option<TypeProto>)> {
            ids.iter()
                .filter_map(|&i| model.tensors.get(i as usize))
                .map(|t| (t.shape.iter().product::<u64>(), t.ty))
                .collect()
        };
        let (ins, outs) = (io(&model.inputs), io(&model.outputs));
        let wide = ins
            .iter()
            .chain(&outs)
            .filter_map(|(_, t)| *t)
            .any(|t| t.width + u32::from(!t.signed) > 32);
        ScriptOptions {
            io_bits: if wide { 64 } else { 32 },
            input_words: ins.iter().map(|(n, _)| n).sum(),
            output_words: outs.iter().map(|(n, _)| n).sum(),
            model: model.name.clone(),
            ..ScriptOptions::new(board)
        }
    }

    /// The options of the hardware plan `hw` for `model`: its board, clock and interface.
    pub fn for_plan(model: &Model, hw: &Hardware) -> ScriptOptions {
        ScriptOptions {
            clock_ns: hw.clock_ns,
            interface: hw.interface,
            ..ScriptOptions::for_model(model.proto(), hw.board)
        }
    }

    fn check(&self) -> Result<(), ScriptError> {
        let bad = |what: String| Err(ScriptError::Option(what));
        if !(self.clock_ns.is_finite() && self.clock_ns >= 1.0 && self.clock_ns <= 1000.0) {
            return bad(format!(
                "clock period {} ns (expected 1 to 1000 ns)",
                self.clock_ns
            ));
        }
        if !is_c_ident(&self.top) {
            return bad(format!("top function '{}' is not a C identifier", self.top));
        }
        if self.overlay.is_empty()
            || !self
                .overlay
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad(format!(
                "overlay name '{}' (letters, digits, '_' and '-' only)",
                self.overlay
            ));
        }
        if self.io_bits != 32 && self.io_bits != 64 {
            return bad(format!(
                "interface words of {} bits (32 or 64)",
                self.io_bits
            ));
        }
        if self.input_words == 0 || self.output_words == 0 {
            return bad("a model without input or output words".into());
        }
        Ok(())
    }
}

/// Scripts that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("scripts: {0}")]
    Option(String),
    #[error("scripts: template {file}: {source}")]
    Template {
        file: &'static str,
        source: askama::Error,
    },
    #[error("scripts: {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// One rendered script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub name: &'static str,
    pub text: String,
}

/// Renders every script (in [`SCRIPT_FILES`] order) without writing anything.
pub fn render_scripts(opts: &ScriptOptions) -> Result<Vec<Script>, ScriptError> {
    opts.check()?;
    let v = Values::new(opts);
    let connect = match opts.interface {
        Interface::MAxi => render("vivado_connect_maxi.tcl", &ConnectMaxi { v: &v })?,
        Interface::AxiStream => render("vivado_connect_axis.tcl", &ConnectAxis { v: &v })?,
    };
    let scripts = vec![
        Script {
            name: "hls.tcl",
            text: render("hls.tcl", &HlsTcl { v: &v })?,
        },
        Script {
            name: "vivado.tcl",
            text: render(
                "vivado.tcl",
                &VivadoTcl {
                    v: &v,
                    connect: connect.trim_end(),
                },
            )?,
        },
        Script {
            name: "driver.py",
            text: render("driver.py", &DriverPy { v: &v })?,
        },
        Script {
            name: "run_vectors.py",
            text: render("run_vectors.py", &RunVectorsPy { v: &v })?,
        },
    ];
    Ok(scripts)
}

/// Writes `OUT/scripts/` ([`SCRIPT_FILES`]) and returns the paths written.
pub fn write_scripts(out_dir: &Path, opts: &ScriptOptions) -> Result<Vec<PathBuf>, ScriptError> {
    let scripts = render_scripts(opts)?;
    let dir = out_dir.join("scripts");
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| ScriptError::Write { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let mut written = Vec::with_capacity(scripts.len());
    for s in scripts {
        let path = dir.join(s.name);
        std::fs::write(&path, s.text).map_err(io_err(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// `name` reduced to text that is inert in a tcl comment, a tcl word, a Python string and a
/// Python docstring: ASCII letters, digits, space and `_ . , : + - ( ) /`; anything else becomes
/// `_`; at most 80 characters; never empty.
pub fn plain(name: &str) -> String {
    let s: String = name
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || " _.,:+-()/".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.trim().is_empty() {
        "model".into()
    } else {
        s
    }
}

fn is_c_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Everything the templates interpolate, computed once.
struct Values {
    model: String,
    description_braced: String,
    top: String,
    ip_name: String,
    hw_header: String,
    board: String,
    part: String,
    part_braced: String,
    board_part: String,
    board_part_braced: String,
    clock_ns: String,
    pl_clock_mhz: u64,
    overlay: String,
    hls_project: &'static str,
    project: &'static str,
    solution: &'static str,
    vivado_project: &'static str,
    design: &'static str,
    dma: &'static str,
    ps_cell: &'static str,
    ps_ip: &'static str,
    ps_rule: &'static str,
    ps_preset_braced: String,
    ps_ports: &'static str,
    ps_clock_property: &'static str,
    control_master: &'static str,
    data_slave: &'static str,
    interface: &'static str,
    io_bits: u32,
    word_bits: u32,
    word_dtype: &'static str,
    input_words: u64,
    output_words: u64,
}

impl Values {
    fn new(o: &ScriptOptions) -> Values {
        let b = o.board;
        let model = plain(&o.model);
        Values {
            description_braced: format!("{{binpoint model {model}}}"),
            model,
            top: o.top.clone(),
            ip_name: format!("{}_0", o.top),
            hw_header: format!("x{}_hw.h", o.top.to_ascii_lowercase()),
            board: b.display_name.to_string(),
            part: b.part.to_string(),
            part_braced: format!("{{{}}}", b.part),
            board_part: b.board_part.to_string(),
            board_part_braced: format!("{{{}}}", b.board_part),
            clock_ns: format!("{}", o.clock_ns),
            pl_clock_mhz: (1000.0 / o.clock_ns).round() as u64,
            overlay: o.overlay.clone(),
            hls_project: HLS_PROJECT,
            project: HLS_PROJECT,
            solution: HLS_SOLUTION,
            vivado_project: VIVADO_PROJECT,
            design: BLOCK_DESIGN,
            dma: DMA_CELL,
            ps_cell: b.ps.cell,
            ps_ip: b.ps.ip,
            ps_rule: b.ps.preset_rule,
            ps_preset_braced: format!("{{{}}}", b.ps.preset_config),
            ps_ports: b.ps.port_config,
            ps_clock_property: b.ps.pl_clock_property,
            control_master: b.ps.control_master,
            data_slave: b.ps.data_slave,
            interface: match o.interface {
                Interface::MAxi => "m_axi",
                Interface::AxiStream => "axi_stream",
            },
            io_bits: o.io_bits,
            word_bits: o.io_bits,
            word_dtype: if o.io_bits == 64 { "int64" } else { "int32" },
            input_words: o.input_words,
            output_words: o.output_words,
        }
    }
}

#[derive(Template)]
#[template(path = "scripts/hls.tcl")]
struct HlsTcl<'a> {
    v: &'a Values,
}

#[derive(Template)]
#[template(path = "scripts/vivado.tcl")]
struct VivadoTcl<'a> {
    v: &'a Values,
    connect: &'a str,
}

#[derive(Template)]
#[template(path = "scripts/vivado_connect_maxi.tcl")]
struct ConnectMaxi<'a> {
    v: &'a Values,
}

#[derive(Template)]
#[template(path = "scripts/vivado_connect_axis.tcl")]
struct ConnectAxis<'a> {
    v: &'a Values,
}

#[derive(Template)]
#[template(path = "scripts/driver.py")]
struct DriverPy<'a> {
    v: &'a Values,
}

#[derive(Template)]
#[template(path = "scripts/run_vectors.py")]
struct RunVectorsPy<'a> {
    v: &'a Values,
}

// The templates name the fields of `Values` directly (`{{ part }}`).
macro_rules! values_deref {
    ($($t:ident),*) => {$(
        impl std::ops::Deref for $t<'_> {
            type Target = Values;
            fn deref(&self) -> &Values {
                self.v
            }
        }
    )*};
}
values_deref!(
    HlsTcl,
    VivadoTcl,
    ConnectMaxi,
    ConnectAxis,
    DriverPy,
    RunVectorsPy
);

fn render<T: Template>(file: &'static str, t: &T) -> Result<String, ScriptError> {
    t.render()
        .map_err(|source| ScriptError::Template { file, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_inert() {
        assert_eq!(plain("cnn_bn"), "cnn_bn");
        assert_eq!(
            plain("x; system(\"rm -rf /\"); //"),
            "x_ system(_rm -rf /_)_ //"
        );
        assert_eq!(plain("a}\n[exec rm]$b\"\"\"\\"), "a___exec rm__b____");
        assert_eq!(plain(""), "model");
        assert_eq!(plain("ψ"), "_");
        assert_eq!(plain(&"x".repeat(200)).len(), 80);
    }

    #[test]
    fn options_are_checked() {
        let b = Board::ultra96v2();
        let ok = ScriptOptions::new(b);
        assert!(render_scripts(&ok).is_ok());
        for bad in [
            ScriptOptions {
                clock_ns: 0.0,
                ..ok.clone()
            },
            ScriptOptions {
                clock_ns: f64::NAN,
                ..ok.clone()
            },
            ScriptOptions {
                top: "1top".into(),
                ..ok.clone()
            },
            ScriptOptions {
                top: "top; exec".into(),
                ..ok.clone()
            },
            ScriptOptions {
                overlay: "a b".into(),
                ..ok.clone()
            },
            ScriptOptions {
                io_bits: 16,
                ..ok.clone()
            },
            ScriptOptions {
                input_words: 0,
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(render_scripts(&bad), Err(ScriptError::Option(_))),
                "{bad:?}"
            );
        }
    }
}
