//! The differential oracle: the same conversions and operations computed by the Rust
//! runtime and by Xilinx's `ap_fixed` headers compiled with g++, compared as raw bits.
//!
//! A [`Group`] is one operation with fixed types (a C++ template instantiation) and many
//! input values. [`ask`] writes the groups into C++ programs (only the instantiations are
//! in the source; the values travel on stdin), compiles them in parallel, runs them and
//! returns the header's [`Answer`]s. [`run`] generates random groups from a seed
//! ([`gen`]), asks the header and checks every answer against the runtime ([`check`]).
//!
//! For a handful of values, [`cast_f64`], [`cast`] and [`binary`] ask the header directly.

pub mod check;
pub mod gen;
mod program;

use std::time::Duration;

use binpoint_runtime::{Fixed, FixedError, FixedType, Overflow, Rounding};

pub use check::{Mismatch, Report};

use crate::Error;

/// `+`, `-` or `*` between two fixed-point values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
}

impl BinOp {
    pub const ALL: [BinOp; 3] = [BinOp::Add, BinOp::Sub, BinOp::Mul];

    /// The C++ operator.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
        }
    }

    /// A short name for reports: `add`, `sub`, `mul`.
    pub fn name(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
        }
    }

    /// The runtime's exact result.
    pub fn eval(self, a: &Fixed, b: &Fixed) -> Result<Fixed, FixedError> {
        match self {
            BinOp::Add => a.add(b),
            BinOp::Sub => a.sub(b),
            BinOp::Mul => a.mul(b),
        }
    }
}

/// One operation with fixed types, applied to many inputs; one C++ instantiation.
///
/// Fixed-point inputs are raw bits (the low `W` bits count) of declared types (`W <= 64`).
#[derive(Clone, Debug, PartialEq)]
pub enum Group {
    /// `T x = d;` and `x.to_double()`.
    FromF64 { to: FixedType, inputs: Vec<f64> },
    /// `T t = s;` and `s.to_double()`.
    Cast {
        from: FixedType,
        to: FixedType,
        inputs: Vec<u128>,
    },
    /// `auto r = a OP b;`, `T t = r;` and `r.to_double()`, plus the type of `r`.
    Binary {
        op: BinOp,
        lhs: FixedType,
        rhs: FixedType,
        to: FixedType,
        inputs: Vec<(u128, u128)>,
    },
}

impl Group {
    /// Number of input values.
    pub fn len(&self) -> usize {
        match self {
            Group::FromF64 { inputs, .. } => inputs.len(),
            Group::Cast { inputs, .. } => inputs.len(),
            Group::Binary { inputs, .. } => inputs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The C++ instantiation, e.g. `g_cast<ap_fixed<8,3,AP_TRN,AP_WRAP,0>, ...>`.
    pub fn describe(&self) -> String {
        match self {
            Group::FromF64 { to, .. } => format!("double -> {to}"),
            Group::Cast { from, to, .. } => format!("{from} -> {to}"),
            Group::Binary {
                op, lhs, rhs, to, ..
            } => format!("({lhs} {} {rhs}) -> {to}", op.symbol()),
        }
    }
}

/// The type of a C++ expression as the header declares it (`decltype(a + b)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CppType {
    pub width: u32,
    pub int_bits: i32,
    pub signed: bool,
    pub rounding: Rounding,
    pub overflow: Overflow,
}

/// What the header computed for one [`Group`], value by value.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Per input: raw bits of `x`, bit pattern of `x.to_double()`.
    FromF64(Vec<(u128, u64)>),
    /// Per input: raw bits of `t`, bit pattern of `s.to_double()`.
    Cast(Vec<(u128, u64)>),
    /// The result type, then per input: raw bits of `r`, of `t`, bit pattern of `r.to_double()`.
    Binary {
        result: CppType,
        values: Vec<(u128, u128, u64)>,
    },
}

/// How the C++ side is built.
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of programs compiled (and run) in parallel.
    pub jobs: usize,
    /// g++ optimization flag: `-O0` compiles fastest, and running takes milliseconds anyway.
    pub opt: String,
    /// Reuse binaries compiled earlier from the same source (kept in `<target>/oracle/`).
    pub cache: bool,
}

impl Default for Options {
    /// Two parallel programs at `-O0` with the cache on; `BINPOINT_ORACLE_JOBS`,
    /// `BINPOINT_ORACLE_OPT` and `BINPOINT_ORACLE_NO_CACHE=1` override.
    fn default() -> Self {
        let jobs = std::env::var("BINPOINT_ORACLE_JOBS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
            .max(1);
        let opt = std::env::var("BINPOINT_ORACLE_OPT").unwrap_or_else(|_| "-O0".to_string());
        let cache = std::env::var("BINPOINT_ORACLE_NO_CACHE").map_or(true, |v| v != "1");
        Options { jobs, opt, cache }
    }
}

/// Wall-clock time spent on the C++ side.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// Compiling the programs (in parallel), zero when all came from the cache.
    pub compile: Duration,
    /// Running them (in parallel).
    pub run: Duration,
    /// Programs compiled / taken from the cache.
    pub compiled: usize,
    pub cached: usize,
}

/// Asks the header for every group; answers come back in the groups' order.
pub fn ask(groups: &[Group], options: &Options) -> Result<(Vec<Answer>, Timing), Error> {
    program::ask(groups, options)
}

/// `T x = d;` for each value: the raw bits the header produces.
pub fn cast_f64(ty: &FixedType, values: &[f64]) -> Result<Vec<u128>, Error> {
    let groups = [Group::FromF64 {
        to: *ty,
        inputs: values.to_vec(),
    }];
    match single(&groups)? {
        Answer::FromF64(v) => Ok(v.into_iter().map(|(bits, _)| bits).collect()),
        _ => Err(Error::Output("expected a double -> fixed answer".into())),
    }
}

/// `T t = s;` for each raw value of `from`: the raw bits of `t`.
pub fn cast(from: &FixedType, bits: &[u128], to: &FixedType) -> Result<Vec<u128>, Error> {
    let groups = [Group::Cast {
        from: *from,
        to: *to,
        inputs: bits.to_vec(),
    }];
    match single(&groups)? {
        Answer::Cast(v) => Ok(v.into_iter().map(|(bits, _)| bits).collect()),
        _ => Err(Error::Output("expected a fixed -> fixed answer".into())),
    }
}

/// `auto r = a OP b; T t = r;` for each pair of raw values: the type of `r` and, per pair,
/// the raw bits of `r` and of `t`.
pub fn binary(
    op: BinOp,
    lhs: &FixedType,
    rhs: &FixedType,
    pairs: &[(u128, u128)],
    to: &FixedType,
) -> Result<(CppType, Vec<(u128, u128)>), Error> {
    let groups = [Group::Binary {
        op,
        lhs: *lhs,
        rhs: *rhs,
        to: *to,
        inputs: pairs.to_vec(),
    }];
    match single(&groups)? {
        Answer::Binary { result, values } => {
            Ok((result, values.into_iter().map(|(r, t, _)| (r, t)).collect()))
        }
        _ => Err(Error::Output("expected a binary operation answer".into())),
    }
}

fn single(groups: &[Group]) -> Result<Answer, Error> {
    let options = Options {
        jobs: 1,
        ..Options::default()
    };
    let (answers, _) = ask(groups, &options)?;
    answers
        .into_iter()
        .next()
        .ok_or_else(|| Error::Output("no answer".into()))
}

/// Settings of a random differential run.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Target number of compared raw values (the run compares at least this many).
    pub cases: usize,
    /// Number of groups (C++ instantiations): the compile time grows with it.
    pub groups: usize,
    pub options: Options,
}

/// Default seed of [`Config::from_env`].
pub const DEFAULT_SEED: u64 = 0xB1_9017;
/// Default number of compared values.
pub const DEFAULT_CASES: usize = 600_000;
/// Default number of groups: about 45 s of g++ per core (0.1-0.35 s per group).
pub const DEFAULT_GROUPS: usize = 400;

impl Config {
    /// `BINPOINT_ORACLE_SEED`, `BINPOINT_ORACLE_CASES`, `BINPOINT_ORACLE_GROUPS` (decimal,
    /// or hex with `0x` for the seed), else the defaults; see also [`Options::default`].
    pub fn from_env() -> Config {
        fn var(name: &str) -> Option<u64> {
            let text = std::env::var(name).ok()?;
            let text = text.trim();
            match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => text.parse().ok(),
            }
        }
        Config {
            seed: var("BINPOINT_ORACLE_SEED").unwrap_or(DEFAULT_SEED),
            cases: var("BINPOINT_ORACLE_CASES").map_or(DEFAULT_CASES, |v| v as usize),
            groups: var("BINPOINT_ORACLE_GROUPS").map_or(DEFAULT_GROUPS, |v| v.max(1) as usize),
            options: Options::default(),
        }
    }
}

/// Generates the groups of `config`, asks the header, checks the runtime.
pub fn run(config: &Config) -> Result<Report, Error> {
    let plan = gen::plan(config.seed, config.cases, config.groups)?;
    let (answers, timing) = ask(&plan.groups, &config.options)?;
    check::check(config.seed, &plan, &answers, timing)
}
