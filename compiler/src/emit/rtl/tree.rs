//! A balanced adder tree of signed terms `±e`, all of one width (arithmetic modulo `2^W`):
//! depth `ceil(log2 n)` adders instead of a chain of `n - 1`. A pair of negative terms is added
//! and its sign carried up (`-a - b = -(a + b)`), so subtracters appear only where a sign
//! changes and the root is negated at most once.

/// One term of a sum: `expr` (a `W`-bit expression), negated when `negative`.
#[derive(Clone, Debug)]
pub struct Term {
    pub negative: bool,
    pub expr: String,
}

/// The expression of `Σ ±term` in `width` bits (0 without terms).
pub fn sum_tree(mut terms: Vec<Term>, width: u32) -> String {
    if terms.is_empty() {
        return format!("{width}'h0");
    }
    while terms.len() > 1 {
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        let mut it = terms.into_iter();
        while let Some(a) = it.next() {
            let Some(b) = it.next() else {
                next.push(a);
                break;
            };
            next.push(match (a.negative, b.negative) {
                (false, false) => Term {
                    negative: false,
                    expr: format!("({} + {})", a.expr, b.expr),
                },
                (false, true) => Term {
                    negative: false,
                    expr: format!("({} - {})", a.expr, b.expr),
                },
                (true, false) => Term {
                    negative: false,
                    expr: format!("({} - {})", b.expr, a.expr),
                },
                (true, true) => Term {
                    negative: true,
                    expr: format!("({} + {})", a.expr, b.expr),
                },
            });
        }
        terms = next;
    }
    let root = terms.remove(0);
    if root.negative {
        format!("{width}'h0 - {}", root.expr)
    } else {
        root.expr
    }
}
