//! `"ap_fixed<8,3,AP_RND,AP_SAT>".parse::<FixedType>()`: the C++ spellings, read back.
//!
//! Accepted, with any whitespace around the tokens:
//! - `ap_fixed<W,I>`, `ap_fixed<W,I,Q>`, `ap_fixed<W,I,Q,O>`, `ap_fixed<W,I,Q,O,N>`, and the same for `ap_ufixed`;
//! - `ap_int<W>` and `ap_uint<W>`, read as `ap_fixed<W,W>` and `ap_ufixed<W,W>` (same values, same arithmetic).
//!
//! `Q` and `O` are the header's enumerator names exactly (`AP_RND_CONV`, `AP_SAT_SYM`, ...), as C++ needs them.
//! `W` and `N` are checked by [`FixedType::new`]; `I` must lie within ±[`MAX_ABS_INT_BITS`] so that a binary point
//! never sits absurdly far from the bits (C++ would accept more, but no real design needs it).
//! Every type that [`FixedType::new`] accepts with such an `I` prints (`Display`) to a string that parses back to it.

use std::str::FromStr;

use super::{FixedError, FixedType, Overflow, Rounding, MAX_DECLARED_WIDTH, MAX_WIDTH};

/// Largest `|I|` the parser accepts.
const MAX_ABS_INT_BITS: i32 = 4096;

const EXPECTED_TYPES: &str =
    "expected ap_fixed<W,I,Q,O,N>, ap_ufixed<W,I,Q,O,N>, ap_int<W> or ap_uint<W>";

impl FromStr for FixedType {
    type Err = FixedError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text, MAX_DECLARED_WIDTH).map_err(|reason| FixedError::Parse {
            text: text.to_string(),
            reason,
        })
    }
}

impl FixedType {
    /// The C++ spelling of a type of up to [`MAX_WIDTH`] bits ([`FixedType::wide`]): an
    /// accumulator such as `ap_fixed<80,30>`. `str::parse` accepts at most 64 bits.
    pub fn parse_wide(text: &str) -> Result<FixedType, FixedError> {
        parse(text, MAX_WIDTH).map_err(|reason| FixedError::Parse {
            text: text.to_string(),
            reason,
        })
    }
}

/// Which template the text names.
#[derive(Clone, Copy)]
enum Template {
    /// `ap_fixed` / `ap_ufixed`.
    Fixed { signed: bool },
    /// `ap_int` / `ap_uint`.
    Int { signed: bool },
}

fn parse(text: &str, max_width: u32) -> Result<FixedType, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("the type is empty ({EXPECTED_TYPES})"));
    }
    let name_end = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    let name = &trimmed[..name_end];
    let template = match name {
        "ap_fixed" => Template::Fixed { signed: true },
        "ap_ufixed" => Template::Fixed { signed: false },
        "ap_int" => Template::Int { signed: true },
        "ap_uint" => Template::Int { signed: false },
        "" => return Err(format!("it must start with a type name ({EXPECTED_TYPES})")),
        _ => return Err(format!("unknown type name '{name}' ({EXPECTED_TYPES})")),
    };

    let rest = trimmed[name_end..].trim_start();
    let Some(after_open) = rest.strip_prefix('<') else {
        return Err(if rest.is_empty() {
            format!(
                "missing '<' after '{name}' (template arguments are required, {EXPECTED_TYPES})"
            )
        } else {
            format!("expected '<' after '{name}', found '{rest}'")
        });
    };
    let Some(close) = after_open.find('>') else {
        return Err("missing '>'".to_string());
    };
    let inner = &after_open[..close];
    if inner.contains('<') {
        return Err("unexpected '<' inside the template arguments".to_string());
    }
    let trailing = after_open[close + 1..].trim();
    if !trailing.is_empty() {
        return Err(format!("unexpected text '{trailing}' after '>'"));
    }

    let args: Vec<&str> = inner.split(',').map(str::trim).collect();
    if let Some(pos) = args.iter().position(|a| a.is_empty()) {
        return Err(if args.len() == 1 {
            "no template arguments between '<' and '>'".to_string()
        } else {
            format!("the {} template argument is empty", ordinal(pos + 1))
        });
    }

    match template {
        Template::Int { signed } => {
            if args.len() != 1 {
                return Err(format!(
                    "{name} takes exactly 1 template argument (W), got {}",
                    args.len()
                ));
            }
            let width = parse_width(args[0], max_width)?;
            // `width <= 128` here, so it fits an i32.
            build(
                max_width,
                signed,
                width,
                width as i32,
                Rounding::Trn,
                Overflow::Wrap,
                0,
            )
        }
        Template::Fixed { signed } => {
            if !(2..=5).contains(&args.len()) {
                return Err(format!(
                    "expected 2 to 5 template arguments (W,I[,Q[,O[,N]]]), got {}",
                    args.len()
                ));
            }
            let width = parse_width(args[0], max_width)?;
            let int_bits = parse_int_bits(args[1])?;
            let rounding = match args.get(2) {
                Some(arg) => parse_rounding(arg)?,
                None => Rounding::Trn,
            };
            let overflow = match args.get(3) {
                Some(arg) => parse_overflow(arg)?,
                None => Overflow::Wrap,
            };
            let sat_bits = match args.get(4) {
                Some(arg) => parse_sat_bits(arg, width)?,
                None => 0,
            };
            build(
                max_width, signed, width, int_bits, rounding, overflow, sat_bits,
            )
        }
    }
}

/// [`FixedType::new`] (or [`FixedType::wide`] beyond 64 bits), its range errors reworded for
/// the parser's message.
fn build(
    max_width: u32,
    signed: bool,
    width: u32,
    int_bits: i32,
    rounding: Rounding,
    overflow: Overflow,
    sat_bits: u32,
) -> Result<FixedType, String> {
    let made = if max_width > MAX_DECLARED_WIDTH {
        FixedType::wide(signed, width, int_bits, rounding, overflow, sat_bits)
    } else {
        FixedType::new(signed, width, int_bits, rounding, overflow, sat_bits)
    };
    made.map_err(|e| match e {
        FixedError::Width { width, max, .. } => {
            format!("W must be between 1 and {max}, got {width}")
        }
        FixedError::SatBits { sat_bits, width } => {
            format!("N must be between 0 and W={width}, got {sat_bits}")
        }
        other => other.to_string(),
    })
}

/// A decimal integer as C++ would read it in a template argument (`8`, `-3`, `+3`).
fn parse_integer(what: &str, arg: &str) -> Result<i64, String> {
    let digits = arg.strip_prefix(['-', '+']).unwrap_or(arg);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} must be an integer, got '{arg}'"));
    }
    // All digits: the only failure left is magnitude; saturate so the range check reports it.
    Ok(arg.parse::<i64>().unwrap_or(if arg.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    }))
}

fn parse_width(arg: &str, max: u32) -> Result<u32, String> {
    let w = parse_integer("W", arg)?;
    match u32::try_from(w) {
        Ok(w) if (1..=max).contains(&w) => Ok(w),
        _ => Err(format!("W must be between 1 and {max}, got {arg}")),
    }
}

fn parse_int_bits(arg: &str) -> Result<i32, String> {
    let i = parse_integer("I", arg)?;
    match i32::try_from(i) {
        Ok(i) if (-MAX_ABS_INT_BITS..=MAX_ABS_INT_BITS).contains(&i) => Ok(i),
        _ => Err(format!(
            "I must be between -{MAX_ABS_INT_BITS} and {MAX_ABS_INT_BITS}, got {arg}"
        )),
    }
}

fn parse_sat_bits(arg: &str, width: u32) -> Result<u32, String> {
    let n = parse_integer("N", arg)?;
    match u32::try_from(n) {
        Ok(n) if n <= width => Ok(n),
        _ => Err(format!("N must be between 0 and W={width}, got {arg}")),
    }
}

fn parse_rounding(arg: &str) -> Result<Rounding, String> {
    if let Some(q) = Rounding::ALL.into_iter().find(|q| q.as_str() == arg) {
        return Ok(q);
    }
    let expected = one_of(Rounding::ALL.map(Rounding::as_str));
    if Overflow::ALL.iter().any(|o| o.as_str() == arg) {
        return Err(format!(
            "{arg} is an overflow mode; the 3rd argument is the quantization mode ({expected}) \
             and the overflow mode comes 4th"
        ));
    }
    Err(format!(
        "unknown quantization mode '{arg}' ({expected}){}",
        case_hint(arg, &Rounding::ALL.map(Rounding::as_str))
    ))
}

fn parse_overflow(arg: &str) -> Result<Overflow, String> {
    if let Some(o) = Overflow::ALL.into_iter().find(|o| o.as_str() == arg) {
        return Ok(o);
    }
    let expected = one_of(Overflow::ALL.map(Overflow::as_str));
    if Rounding::ALL.iter().any(|q| q.as_str() == arg) {
        return Err(format!(
            "{arg} is a quantization mode; the 4th argument is the overflow mode ({expected}) \
             and the quantization mode comes 3rd"
        ));
    }
    Err(format!(
        "unknown overflow mode '{arg}' ({expected}){}",
        case_hint(arg, &Overflow::ALL.map(Overflow::as_str))
    ))
}

fn one_of<const N: usize>(names: [&str; N]) -> String {
    format!("expected one of {}", names.join(", "))
}

/// `"; did you mean AP_RND?"` when `arg` matches a name up to case.
fn case_hint(arg: &str, names: &[&str]) -> String {
    names
        .iter()
        .find(|name| name.eq_ignore_ascii_case(arg))
        .map(|name| format!("; did you mean {name}? (mode names are case-sensitive)"))
        .unwrap_or_default()
}

fn ordinal(n: usize) -> String {
    let suffix = match n {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn ty(signed: bool, w: u32, i: i32, q: Rounding, o: Overflow, n: u32) -> FixedType {
        FixedType::new(signed, w, i, q, o, n).unwrap()
    }

    fn reason(text: &str) -> String {
        match text.parse::<FixedType>() {
            Err(FixedError::Parse { text: t, reason }) => {
                assert_eq!(t, text, "the error quotes the input");
                reason
            }
            other => panic!("{text:?} parsed to {other:?}"),
        }
    }

    #[test]
    fn parses_every_arity() {
        use Overflow::*;
        use Rounding::*;
        let cases = [
            ("ap_fixed<8,3>", ty(true, 8, 3, Trn, Wrap, 0)),
            ("ap_fixed<8,3,AP_RND>", ty(true, 8, 3, Rnd, Wrap, 0)),
            ("ap_fixed<8,3,AP_RND,AP_SAT>", ty(true, 8, 3, Rnd, Sat, 0)),
            (
                "ap_fixed<8,3,AP_RND_CONV,AP_WRAP,2>",
                ty(true, 8, 3, RndConv, Wrap, 2),
            ),
            ("ap_ufixed<16,-2>", ty(false, 16, -2, Trn, Wrap, 0)),
            (
                "ap_ufixed<4,9,AP_TRN_ZERO,AP_SAT_SYM>",
                ty(false, 4, 9, TrnZero, SatSym, 0),
            ),
            ("ap_fixed<64,+64>", ty(true, 64, 64, Trn, Wrap, 0)),
            (
                "ap_fixed<1,1,AP_TRN,AP_WRAP_SM,1>",
                ty(true, 1, 1, Trn, WrapSm, 1),
            ),
            ("ap_int<12>", ty(true, 12, 12, Trn, Wrap, 0)),
            ("ap_uint<64>", ty(false, 64, 64, Trn, Wrap, 0)),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<FixedType>(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn whitespace_around_tokens() {
        let expected = ty(true, 8, 3, Rounding::RndMinInf, Overflow::SatZero, 0);
        for text in [
            "ap_fixed< 8, 3, AP_RND_MIN_INF, AP_SAT_ZERO >",
            "  ap_fixed <8 ,3,\tAP_RND_MIN_INF ,AP_SAT_ZERO>  ",
            "ap_fixed<\n8,\n3,\nAP_RND_MIN_INF,\nAP_SAT_ZERO\n>",
        ] {
            assert_eq!(text.parse::<FixedType>(), Ok(expected), "{text:?}");
        }
        assert_eq!(
            "ap_uint < 3 >".parse(),
            Ok(ty(false, 3, 3, Rounding::Trn, Overflow::Wrap, 0))
        );
    }

    #[test]
    fn error_messages_say_what_is_wrong_and_what_is_accepted() {
        let cases = [
            ("ap_fixed<0,3>", "W must be between 1 and 64, got 0"),
            ("ap_fixed<65,3>", "W must be between 1 and 64, got 65"),
            ("ap_fixed<-8,3>", "W must be between 1 and 64, got -8"),
            (
                "ap_fixed<99999999999999999999999,3>",
                "W must be between 1 and 64, got 99999999999999999999999",
            ),
            ("ap_fixed<8,3.5>", "I must be an integer, got '3.5'"),
            ("ap_fixed<8.0,3>", "W must be an integer, got '8.0'"),
            ("ap_fixed<8,1e3>", "I must be an integer, got '1e3'"),
            (
                "ap_fixed<8,9000>",
                "I must be between -4096 and 4096, got 9000",
            ),
            (
                "ap_fixed<8,3,AP_RND,AP_SAT,9>",
                "N must be between 0 and W=8, got 9",
            ),
            (
                "ap_fixed<8,3,AP_RND,AP_SAT,-1>",
                "N must be between 0 and W=8, got -1",
            ),
            (
                "ap_fixed<8,3,AP_RND,AP_SAT,x>",
                "N must be an integer, got 'x'",
            ),
            (
                "ap_fixed<8,3,AP_TRN,AP_WRAP,0,1>",
                "expected 2 to 5 template arguments (W,I[,Q[,O[,N]]]), got 6",
            ),
            (
                "ap_fixed<8>",
                "expected 2 to 5 template arguments (W,I[,Q[,O[,N]]]), got 1",
            ),
            ("ap_fixed<8,3", "missing '>'"),
            ("ap_fixed<8,3>>", "unexpected text '>' after '>'"),
            ("ap_fixed<8,3> x", "unexpected text 'x' after '>'"),
            (
                "ap_fixed<8,<3>>",
                "unexpected '<' inside the template arguments",
            ),
            ("ap_fixed<>", "no template arguments between '<' and '>'"),
            ("ap_fixed<8,>", "the 2nd template argument is empty"),
            ("ap_fixed<,3>", "the 1st template argument is empty"),
            (
                "ap_int<8,3>",
                "ap_int takes exactly 1 template argument (W), got 2",
            ),
            ("ap_uint<0>", "W must be between 1 and 64, got 0"),
            (
                "ap_ufixed<8,3,AP_TRN,AP_WRAP_SM>",
                "ap_ufixed cannot use AP_WRAP_SM: sign-magnitude wrapping needs a sign bit",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(reason(text), expected, "{text}");
        }
    }

    #[test]
    fn mode_errors_list_the_accepted_names() {
        assert_eq!(
            reason("ap_fixed<8,3,AP_RDN>"),
            "unknown quantization mode 'AP_RDN' (expected one of AP_TRN, AP_TRN_ZERO, AP_RND, \
             AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV)"
        );
        assert_eq!(
            reason("ap_fixed<8,3,AP_RND,AP_SATURATE>"),
            "unknown overflow mode 'AP_SATURATE' (expected one of AP_WRAP, AP_SAT, AP_SAT_ZERO, \
             AP_SAT_SYM, AP_WRAP_SM)"
        );
        assert!(reason("ap_fixed<8,3,AP_SAT>")
            .starts_with("AP_SAT is an overflow mode; the 3rd argument is the quantization mode"));
        assert!(reason("ap_fixed<8,3,AP_TRN,AP_RND>")
            .starts_with("AP_RND is a quantization mode; the 4th argument is the overflow mode"));
        assert!(reason("ap_fixed<8,3,ap_rnd>")
            .ends_with("; did you mean AP_RND? (mode names are case-sensitive)"));
        assert!(reason("ap_fixed<8,3,3>").starts_with("unknown quantization mode '3'"));
    }

    #[test]
    fn bad_names() {
        for text in ["", "   "] {
            assert!(reason(text).starts_with("the type is empty"), "{text:?}");
        }
        assert_eq!(
            reason("ap_fix<8,3>"),
            "unknown type name 'ap_fix' (expected ap_fixed<W,I,Q,O,N>, ap_ufixed<W,I,Q,O,N>, \
             ap_int<W> or ap_uint<W>)"
        );
        assert!(reason("<8,3>").starts_with("it must start with a type name"));
        assert!(reason("ap_fixed").starts_with("missing '<' after 'ap_fixed'"));
        assert_eq!(
            reason("ap_fixed(8,3)"),
            "expected '<' after 'ap_fixed', found '(8,3)'"
        );
        assert!(reason("AP_FIXED<8,3>").starts_with("unknown type name 'AP_FIXED'"));
    }

    #[test]
    fn display_message_quotes_the_text() {
        let err = "ap_fixed<0,3>".parse::<FixedType>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid fixed-point type 'ap_fixed<0,3>': W must be between 1 and 64, got 0"
        );
    }

    #[test]
    fn round_trips_over_a_grid() {
        let mut count = 0;
        for signed in [true, false] {
            for w in [1, 2, 3, 7, 8, 16, 31, 32, 33, 63, 64] {
                for i in [-70, -4096, -1, 0, 1, 3, w as i32, w as i32 + 1, 100, 4096] {
                    for q in Rounding::ALL {
                        for o in Overflow::ALL {
                            if !signed && o == Overflow::WrapSm {
                                continue; // not a type (sign-magnitude needs a sign)
                            }
                            for n in [0, 1, w / 2, w] {
                                let t = ty(signed, w, i, q, o, n);
                                assert_eq!(t.to_string().parse(), Ok(t), "{t}");
                                count += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(count > 10_000);
    }

    #[test]
    fn round_trips_random_types_with_random_spacing() {
        let mut rng = ChaCha8Rng::seed_from_u64(0xB1_9017);
        for _ in 0..20_000 {
            let w = rng.random_range(1..=MAX_DECLARED_WIDTH);
            let signed: bool = rng.random();
            let overflow = Overflow::ALL[rng.random_range(0..Overflow::ALL.len())];
            if !signed && overflow == Overflow::WrapSm {
                continue;
            }
            let t = ty(
                signed,
                w,
                rng.random_range(-MAX_ABS_INT_BITS..=MAX_ABS_INT_BITS),
                Rounding::ALL[rng.random_range(0..Rounding::ALL.len())],
                overflow,
                rng.random_range(0..=w),
            );
            let text = t.to_string();
            assert_eq!(text.parse(), Ok(t), "{text}");
            // The same tokens with spaces sprinkled around them.
            let spaced: String = text
                .chars()
                .flat_map(|c| match c {
                    '<' | ',' | '>' => vec![' ', c, ' '],
                    _ => vec![c],
                })
                .collect();
            assert_eq!(spaced.parse(), Ok(t), "{spaced}");
        }
    }

    #[test]
    fn explicit_defaults_parse_to_the_short_form() {
        let t: FixedType = "ap_fixed<8,3,AP_TRN,AP_WRAP,0>".parse().unwrap();
        assert_eq!(t, FixedType::signed(8, 3).unwrap());
        assert_eq!(t.to_string(), "ap_fixed<8,3>");
    }
}
