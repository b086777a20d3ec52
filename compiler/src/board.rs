//! The boards binpoint targets: the FPGA part, the Vivado board part, the resource budget the
//! estimator checks against, the DSP slice's multiplier size, and how the Vivado script sets up
//! the board's processing system (PS). One entry per board in [`BOARDS`]; `--board NAME` picks
//! one, [`Board::DEFAULT`] (`ultra96v2`) otherwise.
//!
//! Sources of the numbers: the device data sheets (DS891 for Zynq UltraScale+, DS190 for
//! Zynq-7000 resource counts), UG579 (DSP48E2: 27×18 signed multiplier) and UG479 (DSP48E1:
//! 25×18), and the board files' part names (`get_board_parts` in Vivado lists them; newer board
//! files may change the vendor string or the version suffix).

use serde::Serialize;

/// Resource counts of a device (or of a design, or a budget).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Resources {
    pub lut: u64,
    pub ff: u64,
    /// 36 Kb block RAMs (a BRAM36 is two BRAM18 halves).
    pub bram36: u64,
    pub dsp: u64,
    /// 288 Kb UltraRAM blocks (the estimator does not place anything in them yet).
    pub uram: u64,
}

/// The multiplier of the device's DSP slice: signed `a_bits × b_bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DspSlice {
    /// `DSP48E2` (UltraScale+) or `DSP48E1` (7 series).
    pub name: &'static str,
    /// Signed width of the wide multiplier input (A: 27 on DSP48E2, 25 on DSP48E1).
    pub a_bits: u32,
    /// Signed width of the narrow multiplier input (B: 18).
    pub b_bits: u32,
    /// Width of the post-adder / accumulator (P: 48).
    pub p_bits: u32,
}

/// The processing system of the board, as the Vivado block design sets it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ps {
    /// IP name of the PS block (`zynq_ultra_ps_e`, `processing_system7`).
    pub ip: &'static str,
    /// Instance name in the block design.
    pub cell: &'static str,
    /// `apply_bd_automation` rule that applies the board preset.
    pub preset_rule: &'static str,
    /// `-config` of that rule.
    pub preset_config: &'static str,
    /// Properties set after the preset: enable the ports we use, disable the ones we leave
    /// unconnected (an enabled master with an unconnected clock fails `validate_bd_design`).
    pub port_config: &'static str,
    /// The property that sets PL clock 0 in MHz.
    pub pl_clock_property: &'static str,
    /// PS master port for the accelerator's AXI4-Lite control.
    pub control_master: &'static str,
    /// PS slave port the accelerator's AXI4 masters read and write DDR through.
    pub data_slave: &'static str,
}

/// A board: part, budget, DSP slice, PS setup and default clock.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Board {
    /// The `--board` name.
    pub name: &'static str,
    pub display_name: &'static str,
    /// FPGA part (`set_part` in Vitis HLS, `create_project -part` in Vivado).
    pub part: &'static str,
    /// Vivado board part (needs the board files installed).
    pub board_part: &'static str,
    pub resources: Resources,
    pub dsp_slice: DspSlice,
    /// Default HLS clock period.
    pub default_clock_ns: f64,
    pub ps: Ps,
}

const DSP48E2: DspSlice = DspSlice {
    name: "DSP48E2",
    a_bits: 27,
    b_bits: 18,
    p_bits: 48,
};

const DSP48E1: DspSlice = DspSlice {
    name: "DSP48E1",
    a_bits: 25,
    b_bits: 18,
    p_bits: 48,
};

/// Zynq UltraScale+ MPSoC: control on M_AXI_HPM0_FPD (`M_AXI_GP0`), data through S_AXI_HP0_FPD
/// (`S_AXI_GP2`); M_AXI_HPM1_FPD (`M_AXI_GP1`) and M_AXI_HPM0_LPD (`M_AXI_GP2`) off.
const ZYNQ_MP: Ps = Ps {
    ip: "zynq_ultra_ps_e",
    cell: "zynq_ultra_ps_e_0",
    preset_rule: "xilinx.com:bd_rule:zynq_ultra_ps_e",
    preset_config: "apply_board_preset \"1\"",
    port_config: "CONFIG.PSU__USE__M_AXI_GP0 {1} CONFIG.PSU__USE__M_AXI_GP1 {0} \
                  CONFIG.PSU__USE__M_AXI_GP2 {0} CONFIG.PSU__USE__S_AXI_GP2 {1}",
    pl_clock_property: "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
    control_master: "M_AXI_HPM0_FPD",
    data_slave: "S_AXI_HP0_FPD",
};

/// Zynq-7000: control on M_AXI_GP0 (on in the presets), data through S_AXI_HP0.
const ZYNQ_7000: Ps = Ps {
    ip: "processing_system7",
    cell: "processing_system7_0",
    preset_rule: "xilinx.com:bd_rule:processing_system7",
    preset_config: "make_external \"FIXED_IO, DDR\" apply_board_preset \"1\" Master \"Disable\" \
                    Slave \"Disable\"",
    port_config: "CONFIG.PCW_USE_M_AXI_GP0 {1} CONFIG.PCW_USE_S_AXI_HP0 {1}",
    pl_clock_property: "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ",
    control_master: "M_AXI_GP0",
    data_slave: "S_AXI_HP0",
};

/// Every board `--board` accepts; the first is the default.
const BOARDS: &[Board] = &[
    // Avnet Ultra96-V2: XCZU3EG (DS891: 70,560 LUT, 141,120 FF, 216 BRAM36, 360 DSP48E2, no
    // URAM). The V1 board is the -1-e grade.
    Board {
        name: "ultra96v2",
        display_name: "Avnet Ultra96-V2",
        part: "xczu3eg-sbva484-1-i",
        board_part: "avnet.com:ultra96v2:part0:1.2",
        resources: Resources {
            lut: 70_560,
            ff: 141_120,
            bram36: 216,
            dsp: 360,
            uram: 0,
        },
        dsp_slice: DSP48E2,
        default_clock_ns: 5.0,
        ps: ZYNQ_MP,
    },
    // AMD ZCU104: XCZU7EV (DS891: 230,400 LUT, 460,800 FF, 312 BRAM36, 96 URAM, 1,728 DSP48E2).
    Board {
        name: "zcu104",
        display_name: "AMD Zynq UltraScale+ ZCU104",
        part: "xczu7ev-ffvc1156-2-e",
        board_part: "xilinx.com:zcu104:part0:1.1",
        resources: Resources {
            lut: 230_400,
            ff: 460_800,
            bram36: 312,
            dsp: 1_728,
            uram: 96,
        },
        dsp_slice: DSP48E2,
        default_clock_ns: 5.0,
        ps: ZYNQ_MP,
    },
    // TUL PYNQ-Z2: XC7Z020 (DS190: 53,200 LUT, 106,400 FF, 140 BRAM36, 220 DSP48E1). A -1 7-series
    // part: 100 MHz is the realistic HLS target.
    Board {
        name: "pynq-z2",
        display_name: "TUL PYNQ-Z2",
        part: "xc7z020clg400-1",
        board_part: "tul.com.tw:pynq-z2:part0:1.0",
        resources: Resources {
            lut: 53_200,
            ff: 106_400,
            bram36: 140,
            dsp: 220,
            uram: 0,
        },
        dsp_slice: DSP48E1,
        default_clock_ns: 10.0,
        ps: ZYNQ_7000,
    },
];

impl Board {
    /// The `--board` default.
    pub const DEFAULT: &'static str = "ultra96v2";

    /// The board named `name` (`ultra96v2`, `zcu104`, `pynq-z2`; case-insensitive, `_` for `-`).
    pub fn by_name(name: &str) -> Option<&'static Board> {
        let want = name.trim().to_ascii_lowercase().replace('_', "-");
        BOARDS
            .iter()
            .find(|b| b.name == want || b.name.replace('-', "") == want.replace('-', ""))
    }

    /// The board named `name`, or an error listing the known boards.
    pub fn lookup(name: &str) -> Result<&'static Board, UnknownBoard> {
        Board::by_name(name).ok_or_else(|| UnknownBoard {
            name: name.to_string(),
        })
    }

    /// The Avnet Ultra96-V2, the default board.
    pub fn ultra96v2() -> &'static Board {
        &BOARDS[0]
    }

    /// Names of every known board, comma-separated (for help texts).
    pub fn names() -> String {
        BOARDS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
    }
}

/// `--board` named no known board.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown board '{name}' (known boards: {})", Board::names())]
pub struct UnknownBoard {
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_board_is_the_ultra96v2() {
        let b = Board::lookup(Board::DEFAULT).unwrap();
        assert_eq!(b, Board::ultra96v2());
        assert_eq!(b.part, "xczu3eg-sbva484-1-i");
        assert_eq!(b.board_part, "avnet.com:ultra96v2:part0:1.2");
        assert_eq!(
            (
                b.resources.lut,
                b.resources.ff,
                b.resources.bram36,
                b.resources.dsp
            ),
            (70_560, 141_120, 216, 360)
        );
        assert_eq!(b.resources.uram, 0);
        assert_eq!(b.default_clock_ns, 5.0);
        assert_eq!((b.dsp_slice.a_bits, b.dsp_slice.b_bits), (27, 18));
    }

    #[test]
    fn names_are_forgiving_and_unknown_names_list_the_boards() {
        assert_eq!(Board::by_name("Ultra96V2").unwrap().name, "ultra96v2");
        assert_eq!(Board::by_name("pynq_z2").unwrap().name, "pynq-z2");
        assert_eq!(Board::by_name("pynqz2").unwrap().name, "pynq-z2");
        let e = Board::lookup("zedboard").unwrap_err().to_string();
        assert!(
            e.contains("zedboard") && e.contains("ultra96v2, zcu104, pynq-z2"),
            "{e}"
        );
    }
}
