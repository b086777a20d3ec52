//! What one layer becomes in C++: a config struct (every number computed here), constant arrays
//! (raw integers, turned into values bit for bit) and the kernel calls of the top function.

use binpoint_runtime::ops::MacStrategy;
use std::fmt::Write as _;

use binpoint_runtime::model::format::LayerProto;
use binpoint_runtime::FixedType;

use super::config::{ll, ConfigStruct, Io, TypeName};
use super::HlsError;
use crate::emit::ident::Names;
use crate::hardware::LayerPlan;
use binpoint_runtime::model::Exec;

/// The kernel header of `kernel` ([`binpoint_runtime::ops::KERNELS`]).
pub fn header(kernel: &str) -> &'static str {
    binpoint_runtime::ops::kernel(kernel).map_or("movement.h", |k| k.header)
}

/// One layer being emitted.
pub struct Ctx<'a> {
    pub index: usize,
    pub layer: &'a LayerProto,
    /// Input buffers, in the layer's input order.
    pub ins: Vec<BufRef>,
    pub out: BufRef,
    /// The layer's identifier; its config and constants are named after it.
    pub base: String,
    pub names: &'a mut Names,
    /// Its hardware plan (the reuse factor of a MAC layer).
    pub plan: &'a LayerPlan,
    /// Its kernel config and constants as the loader built and checked them.
    pub exec: &'a Exec,
}

impl Ctx<'_> {
    /// The plan's reuse factor (hls4ml's meaning; the kernel config checks it fits the layer).
    pub fn reuse(&self) -> usize {
        self.plan.reuse_factor as usize
    }

    /// The plan's strategy, as the kernels' folding says it.
    pub fn strategy(&self) -> MacStrategy {
        self.plan.strategy.mac()
    }

    pub fn err(&self, reason: impl Into<String>) -> HlsError {
        HlsError::Layer {
            index: self.index,
            name: self.layer.name.clone(),
            op: self.layer.op.clone(),
            reason: reason.into(),
        }
    }

    /// A fresh identifier `<layer>_<suffix>`.
    pub fn name(&mut self, suffix: &str) -> String {
        let n = format!("{}_{suffix}", self.base);
        self.names.cpp(&n)
    }

    /// The layer's config struct, named `<layer>_config`.
    pub fn config(&mut self) -> ConfigStruct {
        ConfigStruct::new(self.config_name())
    }

    /// The name of the layer's config struct, `<layer>_config`.
    pub fn config_name(&mut self) -> String {
        self.name("config")
    }

    /// Its input and output types, by their typedefs.
    pub fn io(&self) -> Io {
        Io {
            input: TypeName::Named(
                self.ins
                    .first()
                    .map(|b| b.ty_name.clone())
                    .unwrap_or_default(),
            ),
            output: TypeName::Named(self.out.ty_name.clone()),
        }
    }

    pub fn input(&self, k: usize) -> Result<&BufRef, HlsError> {
        self.ins
            .get(k)
            .ok_or_else(|| self.err(format!("has no input {k}")))
    }
}

/// A constant array in `parameters.h`: `static const <elem> <name>[len] = { rows };`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstArray {
    pub name: String,
    pub elem: String,
    pub len: usize,
    /// The declarator's dimensions: `[len]`, or `[rows][cols]` for a matrix.
    pub dims: String,
    /// The initializer, a few values per row, each row ending with a comma.
    pub rows: Vec<String>,
}

/// Values per row of an initializer.
const PER_ROW: usize = 12;

impl ConstArray {
    /// An array of `elem` (a fixed-point type name) from raw integers: each value is
    /// `binpoint::param<elem>(raw)` (`binpoint_param.h`), exact.
    pub fn typed(name: String, elem: String, raw: &[i64]) -> ConstArray {
        let lit: Vec<String> = raw
            .iter()
            .map(|&v| format!("binpoint::param<{elem}>({})", int_lit(v)))
            .collect();
        ConstArray::from_literals(name, elem, lit, 4)
    }

    /// A `[rows][raw.len() / rows]` matrix of `elem` from raw integers, row-major (the weights of
    /// multiply-accumulate kernels, which partition them along both dimensions).
    pub fn matrix(name: String, elem: String, raw: &[i64], rows: usize) -> ConstArray {
        let cols = raw.len() / rows.max(1);
        let mut a = ConstArray::typed(name, elem.clone(), &[]);
        a.len = raw.len();
        a.dims = format!("[{rows}][{cols}]");
        for r in raw.chunks(cols.max(1)) {
            let row = ConstArray::typed(String::new(), elem.clone(), r);
            a.rows.push("{".into());
            a.rows
                .extend(row.rows.into_iter().map(|l| format!("    {l}")));
            a.rows.push("},".into());
        }
        a
    }

    /// A ROM of `ap_uint<W>` words holding raw values of a `W`-bit type (look-up tables).
    pub fn words(name: String, width: u32, raw: &[i64]) -> ConstArray {
        let mask = if width >= 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        };
        let lit: Vec<String> = raw
            .iter()
            .map(|&e| format!("{:#x}ULL", e as u64 & mask))
            .collect();
        ConstArray::from_literals(name, format!("ap_uint<{width}>"), lit, PER_ROW)
    }

    /// An array of small integers of the C++ integer type `elem` (`ap_int<2>`, `ap_uint<7>`: the
    /// digit tables of shift-add layers), as decimal literals.
    pub fn small_ints(name: String, elem: &str, values: &[i64]) -> ConstArray {
        let lit: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        ConstArray::from_literals(name, elem.into(), lit, PER_ROW * 2)
    }

    /// An array of `int` (gather maps: an input index, or -1 for the fill value).
    pub fn ints(name: String, values: &[i64]) -> ConstArray {
        let lit: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        ConstArray::from_literals(name, "int".into(), lit, PER_ROW * 2)
    }

    fn from_literals(name: String, elem: String, lit: Vec<String>, per_row: usize) -> ConstArray {
        let len = lit.len();
        let rows = lit
            .chunks(per_row)
            .map(|c| {
                let mut row = String::new();
                for v in c {
                    let _ = write!(row, "{v}, ");
                }
                row.trim_end().to_string()
            })
            .collect();
        ConstArray {
            name,
            elem,
            len,
            dims: format!("[{len}]"),
            rows,
        }
    }
}

/// An integer literal that C++ reads as a `long long` whatever its size.
fn int_lit(v: i64) -> String {
    if i32::try_from(v).is_ok() {
        v.to_string()
    } else {
        ll(v)
    }
}

/// A tensor's buffer in the top function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufRef {
    /// The local array.
    pub name: String,
    /// The tensor's typedef in `defines.h` (namespace `bpm`).
    pub ty_name: String,
    pub ty: FixedType,
    pub len: usize,
    /// One sample's shape.
    pub shape: Vec<usize>,
}

/// What a kernel family makes of one layer.
#[derive(Clone, Debug, Default)]
pub struct Emitted {
    /// Kernel headers the calls need (besides `binpoint_common.h`).
    pub headers: Vec<&'static str>,
    /// Config structs (one per kernel call).
    pub configs: Vec<ConfigStruct>,
    pub arrays: Vec<ConstArray>,
    /// Statements of the top function (without `;`).
    pub calls: Vec<String>,
    /// The output shares the input's buffer (a view): no code, no buffer of its own.
    pub alias: bool,
}

impl Emitted {
    /// `binpoint::<kernel><bpm::<config>>(<args>)`.
    pub fn call(kernel: &str, config: &str, args: &[&str]) -> String {
        format!("binpoint::{kernel}<bpm::{config}>({})", args.join(", "))
    }
}
