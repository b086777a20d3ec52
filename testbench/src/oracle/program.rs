//! Groups → C++ programs → g++ → run → answers.
//!
//! Each job is one self-contained program: `prelude.h` pasted in, then `main()` with one
//! line per group (`g_cast<S, T>(7);`). Inputs go to stdin and results come back on
//! stdout as little-endian 64-bit words; the layout per group is fixed by its kind (see
//! `prelude.h`). Binaries are cached in `<target>/oracle/` under a hash of their source,
//! flags, compiler and header folder.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;
use std::{fs, thread};

use binpoint::emit::hls::gxx;
use binpoint_runtime::{FixedType, Overflow, Rounding};

use super::{Answer, CppType, Group, Options, Timing};
use crate::ap_types::{ap_types_include, gxx_version, target_dir};
use crate::Error;

const PRELUDE: &str = include_str!("prelude.h");

/// Relative compile cost of a group's instantiation, used to balance the jobs.
fn cost(group: &Group) -> u32 {
    match group {
        Group::FromF64 { .. } => 2,
        Group::Cast { .. } => 3,
        Group::Binary { .. } => 5,
    }
}

pub(super) fn ask(groups: &[Group], options: &Options) -> Result<(Vec<Answer>, Timing), Error> {
    for group in groups {
        validate(group)?;
    }
    let include = ap_types_include()?;
    let version = gxx_version()?;

    // Longest-processing-time-first split into jobs, each keeping its groups in order.
    let jobs = options.jobs.clamp(1, groups.len().max(1));
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(&groups[i])));
    let mut members = vec![Vec::new(); jobs];
    let mut load = vec![0u32; jobs];
    for i in order {
        let j = (0..jobs).min_by_key(|&j| load[j]).unwrap_or(0);
        load[j] += cost(&groups[i]);
        members[j].push(i);
    }
    for m in &mut members {
        m.sort_unstable();
    }
    members.retain(|m| !m.is_empty());

    let dir = target_dir().join("oracle");
    fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    // NDEBUG: the header asserts on casts it computes well (see README.md, "asserts").
    let args = [
        "-std=c++14".to_string(),
        options.opt.clone(),
        "-DNDEBUG".to_string(),
        "-w".to_string(),
        "-isystem".to_string(),
        include.display().to_string(),
    ];

    let programs: Vec<Program> = members
        .iter()
        .map(|m| Program::new(groups, m, &args, &version, &dir))
        .collect();

    let mut timing = Timing::default();
    let start = Instant::now();
    let compiled = thread::scope(|s| {
        let handles: Vec<_> = programs
            .iter()
            .map(|p| s.spawn(|| p.build(options.cache, &args)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Output("compiler thread panicked".into())))
            })
            .collect::<Result<Vec<bool>, Error>>()
    })?;
    timing.compiled = compiled.iter().filter(|&&c| c).count();
    timing.cached = compiled.len() - timing.compiled;
    if timing.compiled > 0 {
        timing.compile = start.elapsed();
    }

    let start = Instant::now();
    let outputs = thread::scope(|s| {
        let handles: Vec<_> = programs.iter().map(|p| s.spawn(|| p.run(groups))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Output("runner thread panicked".into())))
            })
            .collect::<Result<Vec<Vec<Answer>>, Error>>()
    })?;
    timing.run = start.elapsed();

    let mut answers: Vec<Option<Answer>> = vec![None; groups.len()];
    for (program, out) in programs.iter().zip(outputs) {
        for (&i, answer) in program.members.iter().zip(out) {
            answers[i] = Some(answer);
        }
    }
    let answers = answers
        .into_iter()
        .map(|a| a.ok_or_else(|| Error::Output("a group got no answer".into())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((answers, timing))
}

/// Rejects groups the header cannot answer.
fn validate(group: &Group) -> Result<(), Error> {
    let declared = |ty: &FixedType| {
        if ty.width() > 64 {
            Err(Error::Unsupported {
                ty: *ty,
                reason: "inputs must be declared types (W <= 64)",
            })
        } else {
            Ok(())
        }
    };
    match group {
        Group::FromF64 { to, inputs } => {
            declared(to)?;
            if let Some(x) = inputs.iter().find(|x| !x.is_finite()) {
                return Err(Error::Fixed(binpoint_runtime::FixedError::NotFinite {
                    value: *x,
                    ty: *to,
                }));
            }
            Ok(())
        }
        Group::Cast { from, to, .. } => {
            declared(from)?;
            declared(to)
        }
        Group::Binary {
            op, lhs, rhs, to, ..
        } => {
            declared(lhs)?;
            declared(rhs)?;
            declared(to)?;
            // The runtime refuses results wider than 128 bits; so do we.
            let zero = |ty: &FixedType| binpoint_runtime::Fixed::from_bits(0, *ty);
            op.eval(&zero(lhs), &zero(rhs))?;
            Ok(())
        }
    }
}

/// The full C++ spelling, every template argument explicit.
fn cpp(ty: &FixedType) -> String {
    format!(
        "{}<{},{},{},{},{}>",
        if ty.is_signed() {
            "ap_fixed"
        } else {
            "ap_ufixed"
        },
        ty.width(),
        ty.int_bits(),
        ty.rounding(),
        ty.overflow(),
        ty.sat_bits()
    )
}

struct Program {
    members: Vec<usize>,
    source: String,
    exe: gxx::Program,
}

impl Program {
    fn new(
        groups: &[Group],
        members: &[usize],
        args: &[String],
        version: &str,
        dir: &Path,
    ) -> Program {
        let mut source = String::with_capacity(PRELUDE.len() + 120 * members.len());
        source.push_str(PRELUDE);
        source.push_str("\nint main() {\n  modes();\n");
        for (k, &i) in members.iter().enumerate() {
            let call = match &groups[i] {
                Group::FromF64 { to, .. } => format!("g_f64<{} >", cpp(to)),
                Group::Cast { from, to, .. } => format!("g_cast<{}, {} >", cpp(from), cpp(to)),
                Group::Binary {
                    op, lhs, rhs, to, ..
                } => format!("g_{}<{}, {}, {} >", op.name(), cpp(lhs), cpp(rhs), cpp(to)),
            };
            let _ = writeln!(source, "  {call}({k});");
        }
        source.push_str("  return fflush(stdout) == 0 ? 0 : 4;\n}\n");
        let exe = gxx::Program::new(dir, "oracle", &source, args, &[version]);
        Program {
            members: members.to_vec(),
            source,
            exe,
        }
    }

    /// Compiles unless a cached binary exists; true when it compiled.
    fn build(&self, cache: bool, args: &[String]) -> Result<bool, Error> {
        Ok(self.exe.build(&self.source, args, cache)?.is_some())
    }

    fn run(&self, groups: &[Group]) -> Result<Vec<Answer>, Error> {
        let stdout = gxx::run(&self.exe.binary, &[], self.input(groups))?;
        self.parse(groups, &stdout)
    }

    fn input(&self, groups: &[Group]) -> Vec<u8> {
        let mut words: Vec<u64> = Vec::new();
        for &i in &self.members {
            match &groups[i] {
                Group::FromF64 { inputs, .. } => {
                    words.push(inputs.len() as u64);
                    words.extend(inputs.iter().map(|x| x.to_bits()));
                }
                Group::Cast { inputs, .. } => {
                    words.push(inputs.len() as u64);
                    words.extend(inputs.iter().map(|&b| b as u64));
                }
                Group::Binary { inputs, .. } => {
                    words.push(inputs.len() as u64);
                    for &(a, b) in inputs {
                        words.push(a as u64);
                        words.push(b as u64);
                    }
                }
            }
        }
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn parse(&self, groups: &[Group], stdout: &[u8]) -> Result<Vec<Answer>, Error> {
        let mut r = Reader {
            bytes: stdout,
            pos: 0,
        };
        let mut q_codes = [0u64; 7];
        let mut o_codes = [0u64; 5];
        for c in q_codes.iter_mut().chain(o_codes.iter_mut()) {
            *c = r.word()?;
        }
        let rounding = |code: u64| {
            q_codes
                .iter()
                .position(|&c| c == code)
                .map(|i| Rounding::ALL[i])
                .ok_or_else(|| Error::Output(format!("unknown ap_q_mode value {code}")))
        };
        let overflow = |code: u64| {
            o_codes
                .iter()
                .position(|&c| c == code)
                .map(|i| Overflow::ALL[i])
                .ok_or_else(|| Error::Output(format!("unknown ap_o_mode value {code}")))
        };

        let mut answers = Vec::with_capacity(self.members.len());
        for (k, &i) in self.members.iter().enumerate() {
            let group = &groups[i];
            let kind = match group {
                Group::FromF64 { .. } => 1,
                Group::Cast { .. } => 2,
                Group::Binary { op, .. } => 3 + *op as u64,
            };
            let sync = r.word()?;
            let expected = 0x6f72_6163_6c00_0000 | (kind << 20) | k as u64;
            if sync != expected {
                return Err(Error::Output(format!(
                    "group {k} ({}): sync word {sync:#x}, expected {expected:#x}",
                    group.describe()
                )));
            }
            let n = group.len();
            let answer = match group {
                Group::FromF64 { to, .. } => {
                    let mut v = Vec::with_capacity(n);
                    for _ in 0..n {
                        v.push((r.fixed(to.width())?, r.word()?));
                    }
                    Answer::FromF64(v)
                }
                Group::Cast { to, .. } => {
                    let mut v = Vec::with_capacity(n);
                    for _ in 0..n {
                        v.push((r.fixed(to.width())?, r.word()?));
                    }
                    Answer::Cast(v)
                }
                Group::Binary { to, .. } => {
                    let width = r.word()?;
                    let int_bits = r.word()? as i64;
                    let signed = r.word()?;
                    let result = CppType {
                        width: u32::try_from(width)
                            .ok()
                            .filter(|w| (1..=128).contains(w))
                            .ok_or_else(|| Error::Output(format!("result width {width}")))?,
                        int_bits: i32::try_from(int_bits)
                            .map_err(|_| Error::Output(format!("result iwidth {int_bits}")))?,
                        signed: signed != 0,
                        rounding: rounding(r.word()?)?,
                        overflow: overflow(r.word()?)?,
                    };
                    let mut v = Vec::with_capacity(n);
                    for _ in 0..n {
                        v.push((r.fixed(result.width)?, r.fixed(to.width())?, r.word()?));
                    }
                    Answer::Binary { result, values: v }
                }
            };
            answers.push(answer);
        }
        if r.pos != stdout.len() {
            return Err(Error::Output(format!(
                "{} trailing bytes",
                stdout.len() - r.pos
            )));
        }
        Ok(answers)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn word(&mut self) -> Result<u64, Error> {
        let chunk = self
            .bytes
            .get(self.pos..self.pos + 8)
            .ok_or_else(|| Error::Output(format!("output ended at byte {}", self.pos)))?;
        self.pos += 8;
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        Ok(u64::from_le_bytes(b))
    }

    /// Two words (low, high) masked to `width` bits.
    fn fixed(&mut self, width: u32) -> Result<u128, Error> {
        let lo = self.word()? as u128;
        let hi = self.word()? as u128;
        let v = lo | (hi << 64);
        Ok(if width >= 128 {
            v
        } else {
            v & ((1u128 << width) - 1)
        })
    }
}
