//! Names from the model file made safe for emitted code.
//!
//! ONNX node and tensor names are arbitrary strings (`/layer1/conv/Conv`, `fc.weight`, `x; system("rm -rf /"); //`,
//! `1st`, `ψ`, `match`), and two of them may sanitize to the same text. Nothing from the model
//! reaches emitted code except through this module:
//!
//! - [`rust_ident`] / [`cpp_ident`]: an identifier made only of `[a-z0-9_]` (ASCII letters are
//!   lowercased), never empty, never starting with a digit or `_`, never a keyword of the language,
//!   never with `__`, and unique among the names already in `used`. Stable: the same names in the
//!   same order give the same identifiers.
//! - [`rust_str`] / [`cpp_str`]: a quoted string literal that holds the original name exactly, in
//!   printable ASCII (every other character escaped), so names can be shown in traces and errors.
//! - [`comment`]: a name for a `//` comment: printable ASCII only (the rest escaped), so it can
//!   never end the comment, open a block comment in C++, or carry bidirectional-override
//!   characters (rustc refuses those in comments).

use std::collections::BTreeSet;
use std::fmt::Write;

/// Keywords (strict, reserved and weak) and names Rust gives a meaning to; an identifier equal to
/// one gets a trailing `_`.
const RUST_KEYWORDS: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "macro_rules",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "raw",
    "ref",
    "return",
    "safe",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "union",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// C++ keywords and alternative tokens, plus the names an HLS design must not shadow.
const CPP_KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "compl",
    "concept",
    "const",
    "consteval",
    "constexpr",
    "constinit",
    "const_cast",
    "continue",
    "co_await",
    "co_return",
    "co_yield",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "final",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "import",
    "inline",
    "int",
    "long",
    "main",
    "module",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "override",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "std",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
];

/// A Rust identifier for `name`, unique in `used` (and added to it).
fn rust_ident(name: &str, used: &mut BTreeSet<String>) -> String {
    unique(sanitize(name, RUST_KEYWORDS), used)
}

/// A C++ identifier for `name`, unique in `used` (and added to it).
fn cpp_ident(name: &str, used: &mut BTreeSet<String>) -> String {
    unique(sanitize(name, CPP_KEYWORDS), used)
}

/// `[a-z0-9_]`, runs of anything else as one `_`, no leading/trailing `_`, a letter first,
/// keywords suffixed with `_`.
fn sanitize(name: &str, keywords: &[&str]) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_');
    let mut s = match s.chars().next() {
        None => "t".to_string(),
        Some(c) if c.is_ascii_digit() => format!("t{s}"),
        Some(_) => s.to_string(),
    };
    if keywords.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// `base`, else `base_2`, `base_3`, ...: the first not in `used`.
fn unique(base: String, used: &mut BTreeSet<String>) -> String {
    let sep = if base.ends_with('_') { "" } else { "_" };
    let mut name = base.clone();
    let mut k = 2u64;
    while used.contains(&name) {
        name = format!("{base}{sep}{k}");
        k += 1;
    }
    used.insert(name.clone());
    name
}

/// Identifiers allocated from one namespace.
#[derive(Clone, Debug, Default)]
pub struct Names {
    used: BTreeSet<String>,
}

impl Names {
    /// A namespace where `reserved` (names the emitted code defines itself) are taken.
    pub fn with_reserved(reserved: &[&str]) -> Names {
        Names {
            used: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// A fresh Rust identifier for `name` (lowercase; see [`rust_ident`]).
    pub fn rust(&mut self, name: &str) -> String {
        rust_ident(name, &mut self.used)
    }

    /// A fresh Rust identifier for `name` in upper case, for constants: `fc.weight` → `FC_WEIGHT`.
    /// Upper-case names share the namespace in their lower-case form, so they stay unique.
    pub fn rust_upper(&mut self, name: &str) -> String {
        self.rust(name).to_ascii_uppercase()
    }

    /// A fresh C++ identifier for `name` (see [`cpp_ident`]).
    pub fn cpp(&mut self, name: &str) -> String {
        cpp_ident(name, &mut self.used)
    }
}

/// `s` as a Rust string literal, quotes included, printable ASCII only.
pub fn rust_str(s: &str) -> String {
    quoted(s, false, |out, c| {
        let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
    })
}

/// `s` as a C++ narrow string literal holding its UTF-8 bytes, quotes included, printable ASCII
/// only (other bytes as `\ooo` octal escapes, which never swallow the next character as `\x` can).
pub fn cpp_str(s: &str) -> String {
    quoted(s, true, |out, c| {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            let _ = write!(out, "\\{b:03o}");
        }
    })
}

fn quoted(s: &str, cpp: bool, escape: impl Fn(&mut String, char)) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // `?` starts C++ trigraphs (`??/` is a backslash before C++17).
            '?' if cpp => out.push_str("\\?"),
            ' '..='~' => out.push(c),
            _ => escape(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// `s` for a line comment: printable ASCII, other characters as `\u{..}`, `*/` and `/*` broken
/// up, so the comment ends where the emitter ends it, in Rust and in C++.
pub fn comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' '..='~' => {
                if (c == '/' && out.ends_with('*')) || (c == '*' && out.ends_with('/')) {
                    out.push(' ');
                }
                out.push(c);
            }
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_safe_unique_and_stable() {
        let mut used = BTreeSet::new();
        let names = [
            "/conv1/Conv",
            "x; system(\"rm -rf /\"); //",
            "1st",
            "match",
            "Match",
            "",
            "ψ",
            "__",
            "self",
            "a__b",
        ];
        let got: Vec<String> = names.iter().map(|n| rust_ident(n, &mut used)).collect();
        assert_eq!(
            got,
            [
                "conv1_conv",
                "x_system_rm_rf",
                "t1st",
                "match_",
                "match_2",
                "t",
                "t_2",
                "t_3",
                "self_",
                "a_b"
            ]
        );
        let mut again = BTreeSet::new();
        let got2: Vec<String> = names.iter().map(|n| rust_ident(n, &mut again)).collect();
        assert_eq!(got, got2);
        let mut cpp = BTreeSet::new();
        assert_eq!(cpp_ident("int", &mut cpp), "int_");
        assert_eq!(cpp_ident("int", &mut cpp), "int_2");
        assert_eq!(cpp_ident("_Reserved", &mut cpp), "reserved");
    }

    #[test]
    fn literals_and_comments_cannot_escape() {
        assert_eq!(rust_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u{a}\"");
        assert_eq!(rust_str("ψ\u{202e}?"), "\"\\u{3c8}\\u{202e}?\"");
        assert_eq!(cpp_str("ψ?"), "\"\\317\\210\\?\"");
        assert_eq!(comment("a */ b /* c\nd"), "a * / b / * c\\u{a}d");
    }
}
