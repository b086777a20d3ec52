//! `binpoint fixed ...`: fixed-point number tools.
//!
//! `binpoint fixed cast TYPE [VALUES]... [--stdin] [--format table|tsv|json]` converts each value
//! as `TYPE(double)` does in C++: the exact value of the double, then TYPE's quantization and
//! overflow modes. One row per value: the input as typed, the raw integer, the exact value it
//! represents, and the raw bits in hex.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use binpoint_runtime::{Fixed, FixedError, FixedType};
use clap::{Args, Subcommand, ValueEnum};

use super::decimal::ExactDecimal;

#[derive(Debug, Subcommand)]
pub enum FixedCommand {
    /// Convert decimal values to a fixed-point type, exactly as `TYPE(double)` does in Vitis HLS
    #[command(after_help = CAST_EXAMPLES)]
    Cast(CastArgs),
}

const CAST_EXAMPLES: &str = "\
Examples:
  binpoint fixed cast 'ap_fixed<8,3,AP_RND,AP_SAT>' 1.37 -0.125 19
  seq 0 0.01 1 | binpoint fixed cast 'ap_ufixed<6,0,AP_RND_CONV>' --stdin --format tsv

Output columns: input (as typed), raw (the W-bit integer, two's complement when signed),
value (raw * 2^-F written out exactly in decimal) and bits (the W raw bits in hex).
Values that cannot be converted (nan, inf, text that is not a number) are reported on stderr;
the others are still converted, and the exit status is then 1.";

#[derive(Debug, Args)]
pub struct CastArgs {
    /// Destination type in C++ spelling, e.g. 'ap_fixed<8,3,AP_RND,AP_SAT>', 'ap_ufixed<4,0>',
    /// 'ap_int<8>' (quote it: '<' and '>' are shell redirections)
    #[arg(value_name = "TYPE")]
    ty: FixedType,

    /// Values to convert, read as doubles (correctly rounded, like C++ strtod). Plain negative
    /// numbers work as they are (-0.125, -3e5); put `--` before the values when one of them is
    /// -1e-3, -.5 or -inf, which look like options: `binpoint fixed cast TYPE -- -1e-3 -.5`
    #[arg(
        value_name = "VALUES",
        allow_negative_numbers = true,
        required_unless_present = "stdin"
    )]
    values: Vec<String>,

    /// Also read whitespace-separated values from standard input (after VALUES)
    #[arg(long)]
    stdin: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned columns with a header line: input raw value bits
    Table,
    /// Tab-separated columns with a header line: input raw value bits
    Tsv,
    /// One JSON array of {"input", "raw", "value", "bits_hex"} objects; raw is a JSON integer,
    /// value a string (exact decimal), bits_hex a string
    Json,
}

pub fn run(cmd: FixedCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        FixedCommand::Cast(args) => cast(args),
    }
}

/// One converted value.
struct Row {
    input: String,
    raw: i128,
    value: String,
    bits: String,
}

fn cast(args: CastArgs) -> anyhow::Result<ExitCode> {
    let converter = Converter::new(args.ty);
    let stdout = io::stdout();
    let mut out = Sink::new(args.format, BufWriter::new(stdout.lock()));
    let stderr = io::stderr();
    let mut err = BufWriter::new(stderr.lock());
    let mut total = 0usize;
    let mut failed = 0usize;

    let mut convert = |input: &str| -> io::Result<()> {
        total += 1;
        match converter.convert(input) {
            Ok(row) => out.row(row),
            Err(message) => {
                failed += 1;
                writeln!(err, "error: {message}")
            }
        }
    };

    for value in &args.values {
        convert(value.trim())?;
    }
    if args.stdin {
        for_each_token(io::stdin().lock(), |token| {
            match std::str::from_utf8(token) {
                Ok(text) => convert(text),
                Err(_) => convert(&String::from_utf8_lossy(token)),
            }
        })
        .context("reading values from standard input")?;
    }
    out.finish()?;
    if failed > 0 {
        writeln!(
            err,
            "error: {failed} of {total} values could not be converted to {}",
            args.ty
        )?;
    }
    err.flush()?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Text → [`Row`] for one destination type.
struct Converter {
    ty: FixedType,
    decimal: ExactDecimal,
    hex_digits: usize,
}

impl Converter {
    fn new(ty: FixedType) -> Self {
        Converter {
            ty,
            decimal: ExactDecimal::new(ty.frac_bits()),
            hex_digits: ty.width().div_ceil(4) as usize,
        }
    }

    /// The row for `input`, or an error message that names it.
    fn convert(&self, input: &str) -> Result<Row, String> {
        let x: f64 = input.parse().map_err(|_| {
            format!("'{input}' is not a number (expected a decimal such as 1.37, -0.125 or 2e-3)")
        })?;
        let fixed = Fixed::from_f64(x, self.ty).map_err(|e| match e {
            FixedError::NotFinite { .. }
                if x.is_infinite() && !input.to_ascii_lowercase().contains("inf") =>
            {
                format!("'{input}' is beyond the range of a double, so it parses as {x}: {e}")
            }
            _ => format!("'{input}': {e}"),
        })?;
        Ok(Row {
            input: input.to_string(),
            raw: fixed.raw(),
            value: self.decimal.format(fixed.raw()),
            bits: format!("0x{:0width$x}", fixed.bits(), width = self.hex_digits),
        })
    }
}

/// Calls `f` on each run of non-whitespace bytes of `reader`, streaming.
fn for_each_token(
    mut reader: impl BufRead,
    mut f: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut token = Vec::new();
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        for &byte in buf {
            if byte.is_ascii_whitespace() {
                if !token.is_empty() {
                    f(&token)?;
                    token.clear();
                }
            } else {
                token.push(byte);
            }
        }
        let len = buf.len();
        reader.consume(len);
    }
    if !token.is_empty() {
        f(&token)?;
    }
    Ok(())
}

const HEADER: [&str; 4] = ["input", "raw", "value", "bits"];

/// Where rows go, in the chosen [`Format`].
enum Sink<W: Write> {
    Table(Table<W>),
    Tsv { out: W, header_done: bool },
    Json { out: W, rows: usize },
}

impl<W: Write> Sink<W> {
    fn new(format: Format, out: W) -> Self {
        match format {
            Format::Table => Sink::Table(Table::new(out)),
            Format::Tsv => Sink::Tsv {
                out,
                header_done: false,
            },
            Format::Json => Sink::Json { out, rows: 0 },
        }
    }

    fn row(&mut self, row: Row) -> io::Result<()> {
        match self {
            Sink::Table(table) => table.row(row),
            Sink::Tsv { out, header_done } => {
                if !*header_done {
                    writeln!(out, "{}", HEADER.join("\t"))?;
                    *header_done = true;
                }
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    row.input, row.raw, row.value, row.bits
                )
            }
            Sink::Json { out, rows } => {
                out.write_all(if *rows == 0 { b"[\n  " } else { b",\n  " })?;
                *rows += 1;
                write!(
                    out,
                    "{{\"input\": {}, \"raw\": {}, \"value\": \"{}\", \"bits_hex\": \"{}\"}}",
                    serde_json::Value::from(row.input),
                    row.raw,
                    row.value,
                    row.bits
                )
            }
        }
    }

    /// Writes what is still pending (the header even when there were no rows) and flushes.
    fn finish(self) -> io::Result<()> {
        let mut out = match self {
            Sink::Table(table) => table.finish()?,
            Sink::Tsv {
                mut out,
                header_done,
            } => {
                if !header_done {
                    writeln!(out, "{}", HEADER.join("\t"))?;
                }
                out
            }
            Sink::Json { mut out, rows } => {
                out.write_all(if rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                out
            }
        };
        out.flush()
    }
}

/// Aligned columns, streamed: rows are buffered in chunks; a column's width is the widest cell
/// seen so far, so it only ever grows (a few thousand values give one perfectly aligned table).
struct Table<W: Write> {
    out: W,
    pending: Vec<Row>,
    widths: [usize; 3],
    header_done: bool,
}

impl<W: Write> Table<W> {
    const CHUNK: usize = 4096;

    fn new(out: W) -> Self {
        Table {
            out,
            pending: Vec::new(),
            widths: [HEADER[0].len(), HEADER[1].len(), HEADER[2].len()],
            header_done: false,
        }
    }

    fn row(&mut self, row: Row) -> io::Result<()> {
        self.pending.push(row);
        if self.pending.len() >= Self::CHUNK {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        for row in &self.pending {
            let raw_len = row.raw.to_string().len();
            self.widths[0] = self.widths[0].max(row.input.len());
            self.widths[1] = self.widths[1].max(raw_len);
            self.widths[2] = self.widths[2].max(row.value.len());
        }
        let [wi, wr, wv] = self.widths;
        if !self.header_done {
            let [input, raw, value, bits] = HEADER;
            writeln!(self.out, "{input:<wi$}  {raw:>wr$}  {value:<wv$}  {bits}")?;
            self.header_done = true;
        }
        for row in self.pending.drain(..) {
            let Row {
                input,
                raw,
                value,
                bits,
            } = row;
            writeln!(self.out, "{input:<wi$}  {raw:>wr$}  {value:<wv$}  {bits}")?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        self.flush_rows()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut seen = Vec::new();
        // A tiny buffer so tokens straddle refills.
        let reader = io::BufReader::with_capacity(3, text.as_bytes());
        for_each_token(reader, |t| {
            seen.push(String::from_utf8(t.to_vec()).unwrap());
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn tokens_split_on_any_whitespace_across_refills() {
        assert_eq!(
            tokens("1.37 -0.125\n\n19\t\r\n  2e-3"),
            ["1.37", "-0.125", "19", "2e-3"]
        );
        assert_eq!(tokens("  12345678  "), ["12345678"]);
        assert!(tokens(" \n ").is_empty());
    }

    fn render(format: Format, rows: Vec<Row>) -> String {
        let mut out = Vec::new();
        let mut sink = Sink::new(format, &mut out);
        for row in rows {
            sink.row(row).unwrap();
        }
        sink.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                input: "1.37".into(),
                raw: 44,
                value: "1.375".into(),
                bits: "0x2c".into(),
            },
            Row {
                input: "-19\"".into(),
                raw: -128,
                value: "-4".into(),
                bits: "0x80".into(),
            },
        ]
    }

    #[test]
    fn formats() {
        assert_eq!(
            render(Format::Table, rows()),
            "input   raw  value  bits\n1.37     44  1.375  0x2c\n-19\"   -128  -4     0x80\n"
        );
        assert_eq!(
            render(Format::Tsv, rows()),
            "input\traw\tvalue\tbits\n1.37\t44\t1.375\t0x2c\n-19\"\t-128\t-4\t0x80\n"
        );
        assert_eq!(
            render(Format::Json, rows()),
            "[\n  {\"input\": \"1.37\", \"raw\": 44, \"value\": \"1.375\", \"bits_hex\": \"0x2c\"},\n  \
             {\"input\": \"-19\\\"\", \"raw\": -128, \"value\": \"-4\", \"bits_hex\": \"0x80\"}\n]\n"
        );
        assert_eq!(render(Format::Json, vec![]), "[]\n");
        assert_eq!(render(Format::Table, vec![]), "input  raw  value  bits\n");
    }
}
