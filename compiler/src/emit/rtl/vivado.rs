//! `OUT/rtl/vivado_ooc.tcl`: out-of-context Vivado synthesis of the RTL for users who have
//! Vivado (template `hls-templates/scripts/rtl_vivado_ooc.tcl`; every value computed here).

use askama::Template;

/// The file's name inside `OUT/rtl/`.
pub const FILE: &str = "vivado_ooc.tcl";

#[derive(Template)]
#[template(path = "scripts/rtl_vivado_ooc.tcl")]
struct OocTcl<'a> {
    model: &'a str,
    top: &'a str,
    part: &'a str,
    clock_ns: String,
    latency: u32,
    files: &'a [String],
}

/// The script for the Verilog `files` (names inside `OUT/rtl/`) of top `top`.
pub fn render(
    model: &str,
    top: &str,
    part: &str,
    clock_ns: f64,
    latency: u32,
    files: &[String],
) -> Result<String, askama::Error> {
    OocTcl {
        model: &tcl_safe(model),
        top,
        part,
        clock_ns: format!("{clock_ns}"),
        latency,
        files,
    }
    .render()
}

/// `s` with every character but letters, digits, `_`, `-` and `.` made `_` (a Tcl comment must not
/// hold braces, backslashes or newlines).
fn tcl_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
