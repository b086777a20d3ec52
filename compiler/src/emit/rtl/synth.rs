//! `binpoint synth OUT`: Yosys maps `OUT/rtl/` onto UltraScale+ primitives
//! (`synth_xilinx -family xcup -flatten -noiopad -abc9`) and counts the cells, per layer (each
//! layer module synthesized as its own top) and for the whole design (`binpoint_top`). These are
//! **Yosys-mapped cells of binpoint's RTL**, not Vivado's utilization: Yosys does not pack
//! registers into DSP48E2 on `xcup` and maps carries onto CARRY4, counted here as half a CARRY8.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::verilator::{run_tool, sources};
use super::{read_info, RtlError, DIR, TOP};

/// What the report says these numbers are.
pub const LABEL: &str = "Yosys-mapped cells of binpoint's RTL";

/// The Yosys script for `top` (after the `read_verilog` of every file).
pub const SCRIPT: &str = "synth_xilinx -family xcup -flatten -noiopad -abc9";

/// Cells of one synthesized module.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cells {
    /// LUT1-LUT6 and INV.
    pub lut: u64,
    pub ff: u64,
    /// CARRY8 equivalents: CARRY8 + CARRY4 / 2.
    pub carry8: f64,
    pub dsp: u64,
    /// BRAM36 equivalents: RAMB36 + RAMB18 / 2.
    pub bram36: f64,
    pub srl: u64,
    pub lutram: u64,
    /// Every cell type Yosys reported, by name.
    pub by_type: BTreeMap<String, u64>,
}

impl Cells {
    /// Counts from `num_cells_by_type`.
    pub fn from_types(by_type: BTreeMap<String, u64>) -> Cells {
        let mut c = Cells::default();
        for (t, &n) in &by_type {
            let t = t.as_str();
            // INV: Vivado maps an inverter onto a LUT1.
            if t.starts_with("LUT") || t == "INV" {
                c.lut += n;
            } else if t.starts_with("FD") {
                c.ff += n;
            } else if t == "CARRY8" {
                c.carry8 += n as f64;
            } else if t == "CARRY4" {
                c.carry8 += n as f64 / 2.0;
            } else if t.starts_with("DSP48") {
                c.dsp += n;
            } else if t.starts_with("RAMB36") {
                c.bram36 += n as f64;
            } else if t.starts_with("RAMB18") {
                c.bram36 += n as f64 / 2.0;
            } else if t.starts_with("SRL") {
                c.srl += n;
            } else if t.starts_with("RAM") {
                c.lutram += n;
            }
        }
        c.by_type = by_type;
        c
    }
}

/// One layer's cells.
#[derive(Clone, Debug, Serialize)]
pub struct LayerCells {
    pub index: usize,
    pub layer: String,
    pub op: String,
    pub module: String,
    pub cells: Cells,
}

/// `report.json`'s `synth`.
#[derive(Clone, Debug, Serialize)]
pub struct SynthReport {
    pub label: &'static str,
    pub tool: String,
    pub command: String,
    pub part_family: &'static str,
    pub latency_cycles: u32,
    pub layers: Vec<LayerCells>,
    pub total: Cells,
    pub seconds: f64,
}

/// `yosys -V`.
pub fn version() -> Result<String, RtlError> {
    let (_, v) = run_tool("yosys", "yosys", &["-V".into()], Path::new("."))?;
    Ok(v.trim().to_string())
}

/// Synthesizes module `top` of the files in `dir`: its cells.
fn cells(dir: &Path, top: &str, work: &Path) -> Result<Cells, RtlError> {
    let files: Vec<String> = sources(dir)?
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let json = work.join(format!("{top}.stat.json"));
    let script = format!(
        "read_verilog {}; {SCRIPT} -top {top}; tee -q -o {} stat -json",
        files.join(" "),
        json.display()
    );
    let args = vec!["-q".to_string(), "-p".to_string(), script.clone()];
    let (ok, text) = run_tool("yosys", "yosys", &args, work)?;
    if !ok {
        return Err(RtlError::Tool {
            tool: "yosys",
            command: format!("yosys -q -p \"{script}\""),
            output: text,
        });
    }
    let stat = fs::read_to_string(&json).map_err(|e| RtlError::io("reading", &json, e))?;
    let v: serde_json::Value = serde_json::from_str(&stat)
        .map_err(|e| RtlError::Unsupported(format!("{}: {e}", json.display())))?;
    let by_type = v["design"]["num_cells_by_type"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Cells::from_types(by_type))
}

/// Yosys's cells of module `module` of `OUT/rtl/` alone (`binpoint_top`: the whole design), its
/// files in `OUT/synth/`.
pub fn synth_module(out: &Path, module: &str) -> Result<Cells, RtlError> {
    let out = &std::path::absolute(out).map_err(|e| RtlError::io("resolving", out, e))?;
    let work = out.join("synth");
    fs::create_dir_all(&work).map_err(|e| RtlError::io("creating", &work, e))?;
    cells(&out.join(DIR), module, &work)
}

/// Runs Yosys on `OUT/rtl/` (per layer and the whole top) and writes the result into
/// `OUT/report.json` (`synth`; a new file when there is none) and `OUT/rtl/synth.json`.
pub fn synth(out: &Path, model: &binpoint_runtime::model::Model) -> Result<SynthReport, RtlError> {
    let start = Instant::now();
    // Yosys runs in OUT/synth: every path it is given must not be relative to the caller's.
    let out = &std::path::absolute(out).map_err(|e| RtlError::io("resolving", out, e))?;
    let dir = out.join(DIR);
    let info = read_info(out)?;
    let tool = version()?;
    let rtl = super::emit_with(model, &info.options)?;
    let work = out.join("synth");
    fs::create_dir_all(&work).map_err(|e| RtlError::io("creating", &work, e))?;
    let mut layers = Vec::new();
    for s in &rtl.stages {
        layers.push(LayerCells {
            index: s.index,
            layer: s.layer.clone(),
            op: s.op.clone(),
            module: s.module.clone(),
            cells: cells(&dir, &s.module, &work)?,
        });
    }
    let total = cells(&dir, TOP, &work)?;
    let report = SynthReport {
        label: LABEL,
        tool,
        command: format!(
            "yosys -p \"read_verilog OUT/rtl/*.v; {SCRIPT} -top <module>; stat -json\""
        ),
        part_family: "xcup (UltraScale+)",
        latency_cycles: info.latency_cycles,
        layers,
        total,
        seconds: start.elapsed().as_secs_f64(),
    };
    let value = serde_json::to_value(&report)
        .map_err(|e| RtlError::Unsupported(format!("synth report: {e}")))?;
    let p = dir.join("synth.json");
    let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
    fs::write(&p, text).map_err(|e| RtlError::io("writing", &p, e))?;
    let rp = out.join("report.json");
    let mut whole: serde_json::Value = match fs::read_to_string(&rp) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| RtlError::Unsupported(format!("{}: {e}", rp.display())))?,
        Err(_) => serde_json::json!({}),
    };
    if let Some(obj) = whole.as_object_mut() {
        obj.insert("synth".into(), value);
    }
    let text = serde_json::to_string_pretty(&whole).unwrap_or_default() + "\n";
    fs::write(&rp, text).map_err(|e| RtlError::io("writing", &rp, e))?;
    Ok(report)
}
