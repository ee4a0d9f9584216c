//! The condition language used in rule files: a small expression grammar over chip metrics,
//! flags, the ECCN, the chip, and set expressions of countries and country groups.
//!
//! ```text
//! expr       := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | primary
//! primary    := "(" expr ")" | "true" | "false"
//!             | NUMBER op NAME op NUMBER          range, e.g. 2400 <= tpp < 4800
//!             | NAME op NUMBER                    comparison, e.g. tpp >= 4800
//!             | NAME "in" "[" STRING, ... "]"     eccn / chip lists
//!             | NAME "==" STRING                  eccn == "3A090.a"
//!             | NAME "in" set                     destination / end_user_hq membership
//!             | NAME                              flag, e.g. datacenter
//! set        := term (("|" | "&" | "-") term)*    union, intersection, difference; left to right
//! term       := "(" set ")" | "*" | GROUP-OR-SET-ID | COUNTRY-CODE
//! ```
//!
//! Parsing only builds the syntax tree with byte offsets; names are resolved by the checker.

use borsh::{BorshDeserialize, BorshSerialize};
use std::fmt;
use std::ops::Range;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Op {
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// Applies the operator to two numbers.
    pub fn apply(self, a: f64, b: f64) -> bool {
        match self {
            Op::Ge => a >= b,
            Op::Gt => a > b,
            Op::Le => a <= b,
            Op::Lt => a < b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }

    /// The operator of a share test (`owned_by … >= 50`) in words: `at least`, `more than`.
    pub fn share_words(self) -> &'static str {
        if self == Op::Gt {
            "more than"
        } else {
            "at least"
        }
    }

    /// The operator with its operands swapped (`a < x` is `x > a`).
    pub fn flip(self) -> Op {
        match self {
            Op::Ge => Op::Le,
            Op::Gt => Op::Lt,
            Op::Le => Op::Ge,
            Op::Lt => Op::Gt,
            other => other,
        }
    }

    /// The operator's source text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name with its byte range inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The name as written.
    pub text: String,
    /// Byte range inside the expression.
    pub span: Range<usize>,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Constant truth value.
    Const(bool),
    /// All of the operands.
    And(Vec<Expr>),
    /// Any of the operands.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// `metric op value`.
    Cmp {
        /// The metric.
        metric: Name,
        /// The operator, read with the metric on the left.
        op: Op,
        /// The threshold.
        value: f64,
    },
    /// A boolean flag of the chip.
    Flag(Name),
    /// `name in ["a", "b"]` or `name == "a"`.
    InList {
        /// The string-valued field (`eccn`, `chip`).
        field: Name,
        /// The listed values.
        values: Vec<Name>,
    },
    /// `name in ["a", "b"] >= 50`: the share held by what the list names (`owned_by`).
    InListShare {
        /// The field (`owned_by`).
        field: Name,
        /// The listed values.
        values: Vec<Name>,
        /// The operator.
        op: Op,
        /// The share.
        value: f64,
    },
    /// `name in set`.
    InSet {
        /// The country-valued field (`destination`, `end_user_hq`).
        field: Name,
        /// The set expression.
        set: SetExpr,
        /// Source text of the set expression, for traces.
        text: String,
    },
}

/// A set expression over countries.
#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    /// Every country.
    All,
    /// A country code, a group id, or a named set id.
    Ref(Name),
    /// Union.
    Union(Box<SetExpr>, Box<SetExpr>),
    /// Intersection.
    Inter(Box<SetExpr>, Box<SetExpr>),
    /// Difference.
    Diff(Box<SetExpr>, Box<SetExpr>),
}

impl SetExpr {
    /// Every name referenced in the expression.
    pub fn refs(&self) -> Vec<&Name> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Name>) {
        match self {
            SetExpr::All => {}
            SetExpr::Ref(n) => out.push(n),
            SetExpr::Union(a, b) | SetExpr::Inter(a, b) | SetExpr::Diff(a, b) => {
                a.collect_refs(out);
                b.collect_refs(out);
            }
        }
    }
}

/// A syntax error with its byte range inside the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Str(String),
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Pipe,
    Amp,
    Minus,
    Star,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number `{n}`"),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Op(o) => format!("`{o}`"),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Pipe => "`|`".into(),
        Tok::Amp => "`&`".into(),
        Tok::Minus => "`-`".into(),
        Tok::Star => "`*`".into(),
    }
}

fn lex(src: &str) -> Result<Vec<(Tok, Range<usize>)>, SyntaxError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let start = i;
        let single = |t: Tok| (t, start..start + 1);
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => out.push(single(Tok::LParen)),
            b')' => out.push(single(Tok::RParen)),
            b'[' => out.push(single(Tok::LBracket)),
            b']' => out.push(single(Tok::RBracket)),
            b',' => out.push(single(Tok::Comma)),
            b'|' => out.push(single(Tok::Pipe)),
            b'&' => out.push(single(Tok::Amp)),
            b'-' => out.push(single(Tok::Minus)),
            b'*' => out.push(single(Tok::Star)),
            b'<' | b'>' | b'=' | b'!' => {
                let two = bytes.get(i + 1) == Some(&b'=');
                let op = match (c, two) {
                    (b'<', true) => Op::Le,
                    (b'<', false) => Op::Lt,
                    (b'>', true) => Op::Ge,
                    (b'>', false) => Op::Gt,
                    (b'=', true) => Op::Eq,
                    (b'!', true) => Op::Ne,
                    _ => return Err(SyntaxError { message: format!("unexpected `{}`", c as char), span: start..start + 1 }),
                };
                let len = if two { 2 } else { 1 };
                out.push((Tok::Op(op), start..start + len));
                i += len;
                continue;
            }
            b'"' | b'\'' => {
                let end = src[i + 1..]
                    .find(c as char)
                    .ok_or_else(|| SyntaxError { message: "unterminated string".into(), span: start..src.len() })?;
                let text = &src[i + 1..i + 1 + end];
                out.push((Tok::Str(text.to_string()), start..i + end + 2));
                i += end + 2;
                continue;
            }
            b'0'..=b'9' | b'.' => {
                let len = src[i..].find(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == '_' || ch == 'e')).unwrap_or(src.len() - i);
                let text = src[i..i + len].replace('_', "");
                let n: f64 = text
                    .parse()
                    .map_err(|_| SyntaxError { message: format!("malformed number `{}`", &src[i..i + len]), span: start..start + len })?;
                if !n.is_finite() {
                    return Err(SyntaxError {
                        message: format!("number `{}` is out of range", &src[i..i + len]),
                        span: start..start + len,
                    });
                }
                out.push((Tok::Num(n), start..start + len));
                i += len;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len =
                    src[i..].find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == ':' || ch == '.')).unwrap_or(src.len() - i);
                out.push((Tok::Ident(src[i..i + len].to_string()), start..start + len));
                i += len;
                continue;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(SyntaxError { message: format!("unexpected character `{ch}`"), span: start..start + ch.len_utf8() });
            }
        }
        i += 1;
    }
    Ok(out)
}

/// Parses a condition.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0, src, depth: 0, terms: 0 };
    let e = p.or()?;
    if let Some((t, span)) = p.toks.get(p.pos) {
        return Err(SyntaxError { message: format!("unexpected {} after the end of the condition", describe(t)), span: span.clone() });
    }
    Ok(e)
}

/// Parses a stand-alone set expression (as used by `[[set]]` definitions).
pub fn parse_set(src: &str) -> Result<SetExpr, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0, src, depth: 0, terms: 0 };
    let e = p.set()?;
    if let Some((t, span)) = p.toks.get(p.pos) {
        return Err(SyntaxError { message: format!("unexpected {} after the end of the set", describe(t)), span: span.clone() });
    }
    Ok(e)
}

/// Where a set expression mixes `|`, `&` and `-` without parentheses (`A - B | C`): the span
/// of each operator that differs from the first of its level. The three have no precedence over
/// one another and are read left to right (`(A - B) | C`), which a reader may not expect; the
/// rule checker warns (`mixed-set-operators`). A source that does not lex has none.
pub fn mixed_set_operators(src: &str) -> Vec<std::ops::Range<usize>> {
    let Ok(toks) = lex(src) else { return Vec::new() };
    // The first operator met at each level of parentheses, since the last term that began a set.
    let mut levels: Vec<Option<Tok>> = vec![None];
    let mut out = Vec::new();
    for (t, span) in toks {
        match t {
            Tok::LParen => levels.push(None),
            Tok::RParen => {
                levels.pop();
                if levels.is_empty() {
                    levels.push(None);
                }
            }
            Tok::Pipe | Tok::Amp | Tok::Minus => {
                if let Some(level) = levels.last_mut() {
                    match level {
                        Some(first) if *first != t => out.push(span),
                        Some(_) => {}
                        None => *level = Some(t),
                    }
                }
            }
            Tok::Star => {}
            Tok::Ident(w) if !["and", "or", "not", "in"].contains(&w.as_str()) => {}
            // Anything else ends the set expression of this level.
            _ => {
                if let Some(level) = levels.last_mut() {
                    *level = None;
                }
            }
        }
    }
    out
}

const MAX_DEPTH: usize = 64;

/// The most terms one set expression may join (`CN | MO | …`, counting those in parentheses):
/// far more than there are countries, and few enough that the tree built from them (left to
/// right, so as deep as it is long) is walked without exhausting the stack.
pub const MAX_SET_TERMS: usize = 1000;

struct Parser<'a> {
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    src: &'a str,
    depth: usize,
    /// Set terms read so far (see [`MAX_SET_TERMS`]).
    terms: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn span_here(&self) -> Range<usize> {
        self.toks.get(self.pos).map(|(_, s)| s.clone()).unwrap_or(self.src.len()..self.src.len())
    }

    fn next(&mut self) -> Option<(Tok, Range<usize>)> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn err<T>(&self, what: &str) -> Result<T, SyntaxError> {
        let found = self.peek().map(describe).unwrap_or_else(|| "the end of the condition".into());
        Err(SyntaxError { message: format!("expected {what}, found {found}"), span: self.span_here() })
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == w)
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError { message: "condition is nested too deeply".into(), span: self.span_here() });
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let mut items = vec![self.and()?];
        while self.is_word("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::Or(items) })
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.unary()?];
        while self.is_word("and") {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::And(items) })
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_word("not") {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("`)`");
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Num(_)) => self.range(),
            Some(Tok::Ident(w)) if w == "true" || w == "false" => {
                self.pos += 1;
                Ok(Expr::Const(w == "true"))
            }
            Some(Tok::Ident(w)) if ["and", "or", "not", "in"].contains(&w.as_str()) => self.err("a metric, flag or `(`"),
            Some(Tok::Ident(_)) => self.named(),
            _ => self.err("a metric, flag or `(`"),
        }
    }

    fn name(&mut self) -> Result<Name, SyntaxError> {
        match self.next() {
            Some((Tok::Ident(text), span)) => Ok(Name { text, span }),
            _ => {
                self.pos -= 1;
                self.err("a name")
            }
        }
    }

    fn number(&mut self) -> Result<f64, SyntaxError> {
        match self.next() {
            Some((Tok::Num(n), _)) => Ok(n),
            _ => {
                self.pos -= 1;
                self.err("a number")
            }
        }
    }

    fn op(&mut self) -> Result<Op, SyntaxError> {
        match self.next() {
            Some((Tok::Op(o), _)) => Ok(o),
            _ => {
                self.pos -= 1;
                self.err("a comparison operator")
            }
        }
    }

    /// `2400 <= tpp < 4800` or `2400 <= tpp`.
    fn range(&mut self) -> Result<Expr, SyntaxError> {
        let lo = self.number()?;
        let op1 = self.op()?;
        let metric = self.name()?;
        let left = Expr::Cmp { metric: metric.clone(), op: op1.flip(), value: lo };
        if let Some(Tok::Op(_)) = self.peek() {
            let op2 = self.op()?;
            let hi = self.number()?;
            return Ok(Expr::And(vec![left, Expr::Cmp { metric, op: op2, value: hi }]));
        }
        Ok(left)
    }

    fn named(&mut self) -> Result<Expr, SyntaxError> {
        let field = self.name()?;
        match self.peek().cloned() {
            Some(Tok::Op(op)) => {
                self.pos += 1;
                match self.next() {
                    Some((Tok::Num(value), _)) => Ok(Expr::Cmp { metric: field, op, value }),
                    Some((Tok::Str(s), span)) if op == Op::Eq => Ok(Expr::InList { field, values: vec![Name { text: s, span }] }),
                    Some((Tok::Str(s), span)) if op == Op::Ne => {
                        Ok(Expr::Not(Box::new(Expr::InList { field, values: vec![Name { text: s, span }] })))
                    }
                    _ => {
                        self.pos -= 1;
                        self.err("a number or a quoted value")
                    }
                }
            }
            Some(Tok::Ident(w)) if w == "in" => {
                self.pos += 1;
                if self.peek() == Some(&Tok::LBracket) {
                    self.pos += 1;
                    let values = self.list()?;
                    if let Some(Tok::Op(op)) = self.peek().cloned() {
                        self.pos += 1;
                        return match self.next() {
                            Some((Tok::Num(value), _)) => Ok(Expr::InListShare { field, values, op, value }),
                            _ => {
                                self.pos -= 1;
                                self.err("a number (the share held, in percent)")
                            }
                        };
                    }
                    return Ok(Expr::InList { field, values });
                }
                let start = self.span_here().start;
                self.terms = 0;
                let set = self.set()?;
                let end = self.toks.get(self.pos - 1).map(|(_, s)| s.end).unwrap_or(start);
                let text = self.src.get(start..end).unwrap_or_default().to_string();
                Ok(Expr::InSet { field, set, text })
            }
            _ => Ok(Expr::Flag(field)),
        }
    }

    fn list(&mut self) -> Result<Vec<Name>, SyntaxError> {
        let mut values = Vec::new();
        loop {
            match self.next() {
                Some((Tok::Str(text), span)) => values.push(Name { text, span }),
                Some((Tok::RBracket, _)) if values.is_empty() => return Ok(values),
                _ => {
                    self.pos -= 1;
                    return self.err("a quoted value");
                }
            }
            match self.next() {
                Some((Tok::Comma, _)) => continue,
                Some((Tok::RBracket, _)) => return Ok(values),
                _ => {
                    self.pos -= 1;
                    return self.err("`,` or `]`");
                }
            }
        }
    }

    fn set(&mut self) -> Result<SetExpr, SyntaxError> {
        self.enter()?;
        let mut acc = self.set_term()?;
        loop {
            let make: fn(Box<SetExpr>, Box<SetExpr>) -> SetExpr = match self.peek() {
                Some(Tok::Pipe) => SetExpr::Union,
                Some(Tok::Amp) => SetExpr::Inter,
                Some(Tok::Minus) => SetExpr::Diff,
                _ => break,
            };
            self.pos += 1;
            let rhs = self.set_term()?;
            acc = make(Box::new(acc), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(acc)
    }

    fn set_term(&mut self) -> Result<SetExpr, SyntaxError> {
        self.terms += 1;
        if self.terms > MAX_SET_TERMS {
            return Err(SyntaxError { message: format!("set expression has more than {MAX_SET_TERMS} terms"), span: self.span_here() });
        }
        match self.next() {
            Some((Tok::LParen, _)) => {
                let s = self.set()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("`)`");
                }
                self.pos += 1;
                Ok(s)
            }
            Some((Tok::Star, _)) => Ok(SetExpr::All),
            Some((Tok::Ident(text), span)) if !["and", "or", "not", "in"].contains(&text.as_str()) => Ok(SetExpr::Ref(Name { text, span })),
            _ => {
                self.pos -= 1;
                self.err("a country code, group, `*` or `(`")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_set_operators_are_found_at_their_level() {
        let spans = |s: &str| mixed_set_operators(s).into_iter().map(|r| s[r].to_string()).collect::<Vec<_>>();
        assert_eq!(spans("(D:1 | D:4 | D:5) - (A:5 | A:6) | MO"), ["|"]);
        assert_eq!(spans("D:1 | D:4 - A:5 & MO"), ["-", "&"]);
        assert!(spans("((D:1 | D:4 | D:5) - (A:5 | A:6)) | MO").is_empty());
        assert!(spans("* - US - AID:T1").is_empty());
        assert!(spans("destination in A - B and end_user_hq in C | D").is_empty());
        assert!(spans("(destination in A - B) or (ship_from in C | D)").is_empty());
        assert_eq!(spans("tpp >= 5 and destination in A - B | C"), ["|"]);
    }

    #[test]
    fn parses_ranges_and_sets() {
        let e = parse("2400 <= tpp < 4800 and destination in ((D:1 | D:4) - A:5) | MO").unwrap();
        let Expr::And(items) = e else { panic!("expected and") };
        assert_eq!(items.len(), 2);
        let Expr::InSet { text, set, .. } = &items[1] else { panic!("expected set") };
        assert_eq!(text, "((D:1 | D:4) - A:5) | MO");
        assert!(matches!(set, SetExpr::Union(_, _)));
    }

    #[test]
    fn parses_lists_and_flags() {
        let e = parse("eccn in ['3A090.a', \"3A090.b\"] and not datacenter").unwrap();
        let Expr::And(items) = e else { panic!() };
        assert!(matches!(&items[0], Expr::InList { values, .. } if values.len() == 2));
        assert!(matches!(&items[1], Expr::Not(_)));
    }

    #[test]
    fn reports_position_of_errors() {
        let err = parse("tpp >= and pd").unwrap_err();
        assert_eq!(err.span, 7..10);
        assert_eq!(err.message, "expected a number or a quoted value, found `and`");
        assert_eq!(parse("tpp >= 1 )").unwrap_err().message, "unexpected `)` after the end of the condition");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}tpp > 1{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&src).unwrap_err().message.contains("nested too deeply"));
        let src = format!("{}tpp > 1", "not ".repeat(500));
        assert!(parse(&src).is_err());
    }

    #[test]
    fn long_set_chains_are_an_error_not_a_crash() {
        let chain = |n: usize| format!("destination in {}", vec!["CN"; n].join(" | "));
        assert!(parse(&chain(MAX_SET_TERMS)).is_ok());
        let src = chain(17_000);
        let err = parse(&src).unwrap_err();
        assert_eq!(err.message, "set expression has more than 1000 terms");
        // At the term past the limit.
        assert_eq!(err.span.start, "destination in ".len() + MAX_SET_TERMS * 5);
        assert!(parse_set(&vec!["CN"; 17_000].join(" - ")).is_err());
    }
}
