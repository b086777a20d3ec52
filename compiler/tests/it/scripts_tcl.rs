//! OUT/scripts/ for a fixture-sized model (cnn_bn): every tcl file checked with tclsh, the Python
//! files compiled, the key facts asserted, the output deterministic.
//!
//! tclsh checks each tcl script twice:
//! 1. **Parse only** (`PARSE_CHECK`): the whole text must be `info complete`, and Tcl compiles it
//!    to bytecode without running it (`::tcl::unsupported::disassemble script`): a syntax error
//!    ("extra characters after close-brace", a stray quote) becomes a `syntax` instruction, which
//!    the check reports with its message. Bodies Tcl does not compile in place (`proc` bodies)
//!    are checked the same way: every multi-line word of a command, recursively.
//! 2. **Stubbed run** (`STUB_RUN`): the script is sourced in a fake OUT folder with every
//!    Vivado/Vitis command replaced by a stub that records its arguments (`unknown` handler), so
//!    the real Tcl in it (variables, paths, `glob`, `file copy`, control flow, procs) runs for
//!    real; the recorded commands are then asserted here.
//!
//! The Python files are compiled with `python3 -m py_compile`; when the Python also has numpy,
//! run_vectors.py runs against a fake `pynq` module that plays the accelerator (it answers with
//! the expected words), through both ways of finding the register offsets.

use crate::compile_util;

use std::path::{Path, PathBuf};
use std::process::Command;

use binpoint::board::Board;
use binpoint::emit::scripts::{
    render_scripts, write_scripts, Interface, ScriptOptions, SCRIPT_FILES,
};
use binpoint_runtime::model::format::ModelProto;
use compile_util::{graph, inputs, lowered, typed};

const PARSE_CHECK: &str = r##"
# Tcl compiles a script without running it; a syntax error becomes a `syntax` instruction whose
# message is the literal pushed just before it.
proc compile_errors {text} {
    set code [::tcl::unsupported::disassemble script $text]
    set errors {}
    set last ""
    foreach line [split $code "\n"] {
        if {[regexp {^\s*\(\d+\) push\d? \d+\s+# "(.*)"$} $line -> lit]} {
            set last $lit
        } elseif {[regexp {^\s*\(\d+\) syntax } $line]} {
            lappend errors $last
        }
    }
    return $errors
}
proc check_script {text where} {
    if {![info complete $text]} {
        error "$where: unbalanced braces, brackets or quotes"
    }
    set errors [compile_errors $text]
    if {[llength $errors]} {
        error "$where: [join $errors {; }]"
    }
    # Bodies Tcl does not compile in place (proc bodies, ...): every multi-line word of a
    # command that parses as a list, recursively.
    set cmd ""
    set n 0
    set start 1
    foreach line [split $text "\n"] {
        incr n
        append cmd $line "\n"
        if {![info complete $cmd]} {
            continue
        }
        set c [string trim $cmd]
        if {$c ne "" && [string index $c 0] ne "#" && ![catch {llength $c}]} {
            foreach word $c {
                if {[string first "\n" $word] >= 0} {
                    check_script $word "$where:$start"
                }
            }
        }
        set cmd ""
        set start [expr {$n + 1}]
    }
}
set f [open [lindex $argv 0]]
set text [read $f]
close $f
check_script $text [lindex $argv 0]
puts "parse ok"
"##;

const STUB_RUN: &str = r##"
set ::calls {}
rename exit _real_exit
rename unknown _tcl_unknown
proc unknown {args} {
    set name [lindex $args 0]
    if {[info procs auto_load] ne "" && [auto_load $name]} {
        return [uplevel 1 $args]
    }
    lappend ::calls $args
    switch -- $name {
        get_property {
            switch -- [lindex $args 1] {
                PROGRESS { return "100%" }
                STATS.WNS { return 0.25 }
                VLNV { return "xilinx.com:hls:stub:1.0" }
            }
        }
        get_ipdefs { return [list "xilinx.com:hls:stub:1.0"] }
        get_bd_intf_pins {
            if {[lsearch -exact $args -of_objects] >= 0 && [lsearch -exact $args -filter] < 0} {
                return [list /pin_a /pin_b]
            }
            return /pin_a
        }
        make_wrapper { return wrapper.v }
    }
    return stub
}
proc exit {args} {
    lappend ::calls [concat exit $args]
    return -code return
}
set script [lindex $argv 0]
set code [catch {uplevel #0 [list source $script]} err]
foreach c $::calls {
    puts "CALL $c"
}
if {$code == 1} {
    puts "ERROR $err"
    _real_exit 1
}
puts "run ok"
"##;

const FAKE_PYNQ: &str = r##"
"""A stand-in for pynq: the 'accelerator' answers each sample with its line of FAKE_EXPECTED."""
import os
import numpy as np

_buffers = {}
_next = [0x10000000]


class _Buf(np.ndarray):
    def flush(self):
        pass

    def invalidate(self):
        pass

    def freebuffer(self):
        pass


def allocate(shape, dtype):
    b = np.zeros(shape, dtype=dtype).view(_Buf)
    b.physical_address = _next[0]
    _buffers[_next[0]] = b
    _next[0] += 0x100000000  # above 4 GiB: both halves of the address matter
    return b


class _Reg:
    def __init__(self, address):
        self.address = address


class _Map:
    pass


class _Ip:
    def __init__(self, offsets):
        self.offsets = offsets
        self.regs = {}
        self.samples_done = 0
        self.register_map = _Map()
        for name, off in offsets.items():
            setattr(self.register_map, name, _Reg(off))

    def write(self, off, value):
        assert 0 <= value < 2**32, value
        self.regs[off] = value
        if off == 0 and value & 1:
            self._run()

    def read(self, off):
        v = self.regs.get(off, 0)
        if off == 0:
            self.regs[0] = v & ~2  # ap_done clears on read
        return v

    def _addr(self, name):
        o = self.offsets[name]
        return self.regs[o] | (self.regs[o + 4] << 32)

    def _run(self):
        words = np.array(
            [int(v) for v in open(os.environ["FAKE_EXPECTED"]).read().split()], dtype=np.int64
        )
        n = self.regs[self.offsets["n_samples"]]
        out = _buffers[self._addr("output_r_1")]
        inp = _buffers[self._addr("input_r_1")]
        assert inp.dtype == out.dtype
        per = out.size // int(os.environ["FAKE_MAX_BATCH"])
        start = self.samples_done
        out[: n * per] = words[start * per : (start + n) * per]
        self.samples_done += n
        self.regs[0] = 2


class Overlay:
    def __init__(self, bitfile):
        assert bitfile.endswith(".bit"), bitfile
        offsets = {"input_r_1": 0x10, "output_r_1": 0x1C, "n_samples": 0x28}
        setattr(self, os.environ["FAKE_IP"], _Ip(offsets))
"##;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("scripts_tcl_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cnn_bn() -> ModelProto {
    let g = graph("cnn_bn", 13, false);
    let x = inputs(&g, "train_x", 128);
    lowered(&typed(&g, &x, 16)).proto
}

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `tclsh <harness> <file>` with `env`: its stdout, or a panic with its output.
fn tclsh(harness: &Path, file: &Path, env: &[(&str, &str)], expect_ok: bool) -> String {
    let mut c = Command::new("tclsh");
    c.arg(harness).arg(file);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("tclsh runs");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.success(),
        expect_ok,
        "tclsh {} {}:\n{out}\n{err}",
        harness.display(),
        file.display()
    );
    out
}

fn tclsh_or_skip() -> bool {
    let ok = Command::new("tclsh")
        .stdin(std::process::Stdio::null())
        .arg("/dev/null")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("tclsh not found: tcl checks skipped");
    }
    ok
}

/// A fake OUT folder: the firmware, testbench and vectors hls.tcl checks for, the exported IP
/// and the Vivado outputs vivado.tcl copies.
fn fake_out(out: &Path) {
    let files = [
        "firmware/binpoint_top.cpp",
        "firmware/parameters.h",
        "tb/tb.cpp",
        "binpoint_hls/solution1/impl/ip/component.xml",
        "binpoint_hls/solution1/impl/ip/drivers/binpoint_top_v1_0/src/xbinpoint_top_hw.h",
        "vivado/binpoint_vivado.runs/impl_1/binpoint_bd_wrapper.bit",
        "vivado/binpoint_vivado.gen/sources_1/bd/binpoint_bd/hw_handoff/binpoint_bd.hwh",
    ];
    for f in files {
        let p = out.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, f).unwrap();
    }
    std::fs::write(out.join("tb/input_raw.txt"), "1 2\n3 4\n").unwrap();
    std::fs::write(out.join("tb/expected_raw.txt"), "5\n6\n").unwrap();
}

fn calls(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("CALL "))
        .collect()
}

#[test]
fn scripts_for_cnn_bn_on_the_ultra96v2() {
    let m = cnn_bn();
    let opts = ScriptOptions::for_model(&m, Board::ultra96v2());
    assert_eq!(
        (opts.input_words, opts.output_words, opts.io_bits),
        (64, 10, 32)
    );
    let out = tmp("u96");
    let written = write_scripts(&out, &opts).unwrap();
    assert_eq!(written.len(), SCRIPT_FILES.len());
    let read = |f: &str| std::fs::read_to_string(out.join("scripts").join(f)).unwrap();
    let hls = read("hls.tcl");
    for want in [
        "set top binpoint_top\n",
        "set part {xczu3eg-sbva484-1-i}\n",
        "set clock_ns 5\n",
        "set_top $top",
        "set_part $part",
        "create_clock -period $clock_ns -name default",
        "open_solution -reset solution1 -flow_target vivado",
        "-cflags \"-std=c++14 -I$fw\"",
        "add_files -tb [file join $tb tb.cpp]",
        "csim_design -argv $tb_args",
        "csynth_design",
        "cosim_design -argv $tb_args",
        "export_design -format ip_catalog",
        "BINPOINT_HLS_STEPS",
    ] {
        assert!(hls.contains(want), "hls.tcl lacks {want:?}:\n{hls}");
    }
    let viv = read("vivado.tcl");
    for want in [
        "set part {xczu3eg-sbva484-1-i}\n",
        "set board_part {avnet.com:ultra96v2:part0:1.2}\n",
        "set pl_clock_mhz 200\n",
        "create_project -force binpoint_vivado $proj_dir -part $part",
        "set_property board_part $board_part [current_project]",
        "set_property ip_repo_paths [list $ip_repo] [current_project]",
        "update_ip_catalog",
        "create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e $ps",
        "apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset \"1\"}",
        "CONFIG.PSU__USE__M_AXI_GP0 {1}",
        "CONFIG.PSU__USE__M_AXI_GP1 {0}",
        "CONFIG.PSU__USE__S_AXI_GP2 {1}",
        "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $pl_clock_mhz",
        "connect_axi /$ps/M_AXI_HPM0_FPD /$acc/s_axi_control",
        "connect_axi /$acc/m_axi_gmem0 /$ps/S_AXI_HP0_FPD",
        "connect_axi /$acc/m_axi_gmem1 /$ps/S_AXI_HP0_FPD",
        "xilinx.com:bd_rule:axi4",
        "assign_bd_address",
        "validate_bd_design",
        "make_wrapper -files [get_files $design.bd] -top",
        "launch_runs impl_1 -to_step write_bitstream -jobs $jobs",
        "wait_on_run impl_1",
        "hw_handoff $design.hwh",
        "xbinpoint_top_hw.h",
    ] {
        assert!(viv.contains(want), "vivado.tcl lacks {want:?}:\n{viv}");
    }
    let drv = read("driver.py");
    for want in [
        "IN_WORDS = 64\n",
        "OUT_WORDS = 10\n",
        "WORD = np.int32\n",
        "IP_NAME = \"binpoint_top_0\"",
        "INTERFACE = \"m_axi\"",
        "from pynq import Overlay, allocate",
        "HW_HEADER = \"xbinpoint_top_hw.h\"",
        "binpoint.bit",
    ] {
        assert!(drv.contains(want), "driver.py lacks {want:?}");
    }
    assert!(read("run_vectors.py").contains("passed, %d failed"));

    // Deterministic: the same bytes twice.
    let again = tmp("u96_again");
    write_scripts(&again, &opts).unwrap();
    for f in SCRIPT_FILES {
        assert_eq!(
            std::fs::read(out.join("scripts").join(f)).unwrap(),
            std::fs::read(again.join("scripts").join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        render_scripts(&opts).unwrap(),
        render_scripts(&opts).unwrap()
    );
}

#[test]
fn every_tcl_parses_in_tclsh() {
    if !tclsh_or_skip() {
        return;
    }
    let m = cnn_bn();
    let dir = tmp("parse");
    let harness = dir.join("parse_check.tcl");
    std::fs::write(&harness, PARSE_CHECK).unwrap();
    for board in ["ultra96v2", "zcu104", "pynq-z2"] {
        for interface in [Interface::MAxi, Interface::AxiStream] {
            let opts = ScriptOptions {
                interface,
                ..ScriptOptions::for_model(&m, Board::lookup(board).unwrap())
            };
            let out = dir.join(format!("{board}_{interface:?}"));
            for path in write_scripts(&out, &opts).unwrap() {
                if path.extension().is_some_and(|e| e == "tcl") {
                    let o = tclsh(&harness, &path, &[], true);
                    assert!(o.contains("parse ok"), "{o}");
                }
            }
        }
    }
    // The checker does catch errors.
    let bad = dir.join("bad.tcl");
    for text in [
        "set a {b}c\n",
        "set a [foo -f {b}c]\n",
        "if {1} {\n  puts \"x\"y\n}\n",
        "foreach x {1 2} {\n  set y [list $x\n}\n",
        "proc p {} {\n  set a {b}c\n}\n",
        "set x {\n",
    ] {
        std::fs::write(&bad, text).unwrap();
        tclsh(&harness, &bad, &[], false);
    }
}

#[test]
fn hls_tcl_runs_with_stubbed_vitis() {
    if !tclsh_or_skip() {
        return;
    }
    let m = cnn_bn();
    let out = tmp("hls_run");
    fake_out(&out);
    let opts = ScriptOptions {
        clock_ns: 4.0,
        ..ScriptOptions::for_model(&m, Board::ultra96v2())
    };
    write_scripts(&out, &opts).unwrap();
    let harness = out.join("stub_run.tcl");
    std::fs::write(&harness, STUB_RUN).unwrap();
    let hls = out.join("scripts/hls.tcl");
    let o = tclsh(&harness, &hls, &[], true);
    let c = calls(&o);
    let fw = out.join("firmware").canonicalize().unwrap();
    let tb = out.join("tb").canonicalize().unwrap();
    let expect = [
        "open_project -reset binpoint_hls".to_string(),
        "set_top binpoint_top".into(),
        format!(
            "add_files {}/binpoint_top.cpp -cflags {{-std=c++14 -I{}}}",
            fw.display(),
            fw.display()
        ),
        format!(
            "add_files -tb {}/tb.cpp -cflags {{-std=c++14 -I{}}}",
            tb.display(),
            fw.display()
        ),
        format!("add_files -tb {}/input_raw.txt", tb.display()),
        format!("add_files -tb {}/expected_raw.txt", tb.display()),
        "open_solution -reset solution1 -flow_target vivado".into(),
        "set_part xczu3eg-sbva484-1-i".into(),
        "create_clock -period 4 -name default".into(),
        format!(
            "csim_design -argv {{{0}/input_raw.txt {0}/expected_raw.txt}}",
            tb.display()
        ),
        "csynth_design".into(),
        format!(
            "cosim_design -argv {{{0}/input_raw.txt {0}/expected_raw.txt}}",
            tb.display()
        ),
        "export_design -format ip_catalog -description {binpoint model main_graph}".into(),
        "exit".into(),
    ];
    let got: Vec<String> = c.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, expect, "{o}");

    // Only csim: the project is reused, nothing else runs.
    let o = tclsh(&harness, &hls, &[("BINPOINT_HLS_STEPS", "csim")], true);
    let c = calls(&o);
    assert!(c.contains(&"open_project binpoint_hls"), "{o}");
    assert!(c.contains(&"open_solution solution1"), "{o}");
    assert!(c.iter().any(|l| l.starts_with("csim_design")), "{o}");
    assert!(!c
        .iter()
        .any(|l| l.starts_with("csynth_design") || l.starts_with("export")));
    // A typo in the steps is an error, before anything runs.
    let o = tclsh(
        &harness,
        &hls,
        &[("BINPOINT_HLS_STEPS", "csim synth")],
        false,
    );
    assert!(o.contains("unknown step 'synth'"), "{o}");
    // Vectors only in OUT/verify/ (where `binpoint verify` writes them) are found there.
    std::fs::create_dir_all(out.join("verify")).unwrap();
    for f in ["input_raw.txt", "expected_raw.txt"] {
        std::fs::rename(out.join("tb").join(f), out.join("verify").join(f)).unwrap();
    }
    let o = tclsh(&harness, &hls, &[("BINPOINT_HLS_STEPS", "csim")], true);
    let verify = out.join("verify").canonicalize().unwrap();
    let want = format!(
        "csim_design -argv {{{0}/input_raw.txt {0}/expected_raw.txt}}",
        verify.display()
    );
    assert!(calls(&o).contains(&want.as_str()), "{o}");
    // Missing vectors are reported.
    std::fs::remove_file(out.join("verify/expected_raw.txt")).unwrap();
    let o = tclsh(&harness, &hls, &[], false);
    assert!(o.contains("tb/input_raw.txt is missing"), "{o}");
}

#[test]
fn vivado_tcl_runs_with_stubbed_vivado() {
    if !tclsh_or_skip() {
        return;
    }
    let m = cnn_bn();
    for interface in [Interface::MAxi, Interface::AxiStream] {
        let out = tmp(&format!("vivado_run_{interface:?}"));
        fake_out(&out);
        let opts = ScriptOptions {
            interface,
            ..ScriptOptions::for_model(&m, Board::ultra96v2())
        };
        write_scripts(&out, &opts).unwrap();
        let harness = out.join("stub_run.tcl");
        std::fs::write(&harness, STUB_RUN).unwrap();
        let o = tclsh(
            &harness,
            &out.join("scripts/vivado.tcl"),
            &[("BINPOINT_VIVADO_JOBS", "3")],
            true,
        );
        let c = calls(&o);
        let proj = out.join("vivado").canonicalize().unwrap();
        for want in [
            format!(
                "create_project -force binpoint_vivado {} -part xczu3eg-sbva484-1-i",
                proj.display()
            ),
            "set_property board_part avnet.com:ultra96v2:part0:1.2 stub".into(),
            "create_bd_design binpoint_bd".into(),
            "create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e zynq_ultra_ps_e_0".into(),
            "apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset \"1\"} stub".into(),
            "create_bd_cell -type ip -vlnv xilinx.com:hls:stub:1.0 binpoint_top_0".into(),
            "assign_bd_address".into(),
            "validate_bd_design".into(),
            "add_files -norecurse wrapper.v".into(),
            "set_property top binpoint_bd_wrapper stub".into(),
            "launch_runs impl_1 -to_step write_bitstream -jobs 3".into(),
            "wait_on_run impl_1".into(),
        ] {
            assert!(c.contains(&want.as_str()), "{interface:?}: no call {want:?} in\n{o}");
        }
        let ps = c
            .iter()
            .find(|l| l.starts_with("set_property -dict {CONFIG.PSU__USE__M_AXI_GP0"))
            .unwrap_or_else(|| panic!("{o}"));
        assert!(ps.contains("CONFIG.PSU__USE__S_AXI_GP2 1 "), "{ps}");
        assert!(
            ps.contains("CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 200"),
            "{ps}"
        );
        let axi: Vec<&&str> = c
            .iter()
            .filter(|l| l.starts_with("apply_bd_automation -rule xilinx.com:bd_rule:axi4"))
            .collect();
        let pairs: &[(&str, &str)] = match interface {
            Interface::MAxi => &[
                (
                    "/zynq_ultra_ps_e_0/M_AXI_HPM0_FPD",
                    "/binpoint_top_0/s_axi_control",
                ),
                (
                    "/binpoint_top_0/m_axi_gmem0",
                    "/zynq_ultra_ps_e_0/S_AXI_HP0_FPD",
                ),
                (
                    "/binpoint_top_0/m_axi_gmem1",
                    "/zynq_ultra_ps_e_0/S_AXI_HP0_FPD",
                ),
            ],
            Interface::AxiStream => &[
                ("/zynq_ultra_ps_e_0/M_AXI_HPM0_FPD", "/axi_dma_0/S_AXI_LITE"),
                (
                    "/zynq_ultra_ps_e_0/M_AXI_HPM0_FPD",
                    "/binpoint_top_0/s_axi_control",
                ),
                ("/axi_dma_0/M_AXI_MM2S", "/zynq_ultra_ps_e_0/S_AXI_HP0_FPD"),
                ("/axi_dma_0/M_AXI_S2MM", "/zynq_ultra_ps_e_0/S_AXI_HP0_FPD"),
            ],
        };
        assert_eq!(axi.len(), pairs.len(), "{o}");
        for (l, (master, slave)) in axi.iter().zip(pairs) {
            assert!(
                l.contains(&format!("Master {master} Slave {slave}")),
                "{l} is not {master} -> {slave}"
            );
        }
        // The second master into the same slave joins the interconnect found on it.
        assert!(axi[axi.len() - 1].contains("intc_ip stub"), "{o}");
        let board = out.join("board");
        for f in [
            "binpoint.bit",
            "binpoint.hwh",
            "driver.py",
            "run_vectors.py",
            "xbinpoint_top_hw.h",
            "input_raw.txt",
            "expected_raw.txt",
        ] {
            assert!(
                board.join(f).is_file(),
                "{interface:?}: OUT/board/{f} missing\n{o}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(board.join("binpoint.hwh")).unwrap(),
            "vivado/binpoint_vivado.gen/sources_1/bd/binpoint_bd/hw_handoff/binpoint_bd.hwh"
        );
    }
    // Without the exported IP the script stops and says what to run.
    let out = tmp("vivado_no_ip");
    write_scripts(&out, &ScriptOptions::for_model(&m, Board::ultra96v2())).unwrap();
    let harness = out.join("stub_run.tcl");
    std::fs::write(&harness, STUB_RUN).unwrap();
    let o = tclsh(&harness, &out.join("scripts/vivado.tcl"), &[], false);
    assert!(o.contains("run scripts/hls.tcl"), "{o}");
}

#[test]
fn other_boards_get_their_parts_and_ps() {
    let m = cnn_bn();
    let z2 = render_scripts(&ScriptOptions::for_model(
        &m,
        Board::lookup("pynq-z2").unwrap(),
    ))
    .unwrap();
    let viv = &z2[1].text;
    assert!(viv.contains("set part {xc7z020clg400-1}"));
    assert!(viv.contains("set board_part {tul.com.tw:pynq-z2:part0:1.0}"));
    assert!(viv.contains("xilinx.com:bd_rule:processing_system7"));
    assert!(viv.contains("CONFIG.PCW_USE_S_AXI_HP0 {1}"));
    assert!(viv.contains("set pl_clock_mhz 100"));
    assert!(z2[0].text.contains("set clock_ns 10\n"));
    let zcu = render_scripts(&ScriptOptions::for_model(
        &m,
        Board::lookup("zcu104").unwrap(),
    ))
    .unwrap();
    assert!(zcu[1].text.contains("set part {xczu7ev-ffvc1156-2-e}"));
    assert!(zcu[1].text.contains("xilinx.com:zcu104:part0:1.1"));
}

#[test]
fn python_files_compile_and_run_vectors_against_a_fake_pynq() {
    if !have("python3", "--version") {
        eprintln!("python3 not found: Python checks skipped");
        return;
    }
    let m = cnn_bn();
    let out = tmp("python");
    let opts = ScriptOptions::for_model(&m, Board::ultra96v2());
    write_scripts(&out, &opts).unwrap();
    let scripts = out.join("scripts");
    let o = Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(scripts.join("driver.py"))
        .arg(scripts.join("run_vectors.py"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // With numpy: run_vectors.py on a fake board.
    let python = std::env::var("BINPOINT_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let numpy = Command::new(&python)
        .args(["-c", "import numpy"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !numpy {
        eprintln!("{python} has no numpy: run_vectors.py not run (set BINPOINT_TEST_PYTHON)");
        return;
    }
    let fake = out.join("fake");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("pynq.py"), FAKE_PYNQ).unwrap();
    let (n, inw, outw) = (2500u64, opts.input_words, opts.output_words);
    let line = |s: u64, w: u64, sign: i64| -> String {
        (0..w)
            .map(|k| (sign * ((s * 7 + k * 13) % 30000) as i64).to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let input: String = (0..n).map(|s| line(s, inw, 1) + "\n").collect();
    let expected: String = (0..n).map(|s| line(s, outw, -1) + "\n").collect();
    std::fs::write(scripts.join("input_raw.txt"), &input).unwrap();
    std::fs::write(scripts.join("expected_raw.txt"), &expected).unwrap();
    let run = |expected_file: &Path, header: bool| {
        let hdr = scripts.join("xbinpoint_top_hw.h");
        if header {
            std::fs::write(
                &hdr,
                "#define XBINPOINT_TOP_CONTROL_ADDR_AP_CTRL        0x00\n\
                 #define XBINPOINT_TOP_CONTROL_ADDR_INPUT_R_DATA   0x10\n\
                 #define XBINPOINT_TOP_CONTROL_BITS_INPUT_R_DATA   64\n\
                 #define XBINPOINT_TOP_CONTROL_ADDR_OUTPUT_R_DATA  0x1c\n\
                 #define XBINPOINT_TOP_CONTROL_ADDR_N_SAMPLES_DATA 0x28\n",
            )
            .unwrap();
        } else {
            let _ = std::fs::remove_file(&hdr);
        }
        Command::new(&python)
            .arg(scripts.join("run_vectors.py"))
            .arg(scripts.join("input_raw.txt"))
            .arg(expected_file)
            .env("PYTHONPATH", &fake)
            .env("FAKE_EXPECTED", scripts.join("expected_raw.txt"))
            .env("FAKE_IP", "binpoint_top_0")
            .env("FAKE_MAX_BATCH", "1024")
            .output()
            .unwrap()
    };
    for header in [true, false] {
        let o = run(&scripts.join("expected_raw.txt"), header);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && stdout.ends_with("2500 passed, 0 failed\n"),
            "header {header}: {stdout}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // One wrong expected word: one failed sample, exit status 1.
    let mut lines: Vec<String> = expected.lines().map(String::from).collect();
    lines[1234] = line(1234, outw, -1).replacen('-', "", 1);
    let wrong = scripts.join("wrong_expected.txt");
    std::fs::write(&wrong, lines.join("\n") + "\n").unwrap();
    let o = run(&wrong, true);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("mismatch: sample 1234 output 0"),
        "{stdout}"
    );
    assert!(stdout.ends_with("2499 passed, 1 failed\n"), "{stdout}");
}
