//! Tokens and the recursive-descent parser: formula text to an expression tree whose names
//! are already resolved to parameters, data columns or constants.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = ("-" | "+") unary | power
//! power   = atom (("^" | "**") unary)?        right-associative: 2^3^2 = 2^9
//! atom    = number | name | name "(" args ")" | "(" sum ")"
//! ```
//!
//! Unary minus binds looser than a power (`-x^2 = -(x^2)`) and an exponent may carry its
//! own sign (`2^-x`).

use super::error::FormulaError;

/// A one-argument function of the formula language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Exp,
    Log,
    Log10,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
}

impl Func {
    /// The function's value at `x`.
    #[inline(always)]
    pub(super) fn value(self, x: f64) -> f64 {
        match self {
            Func::Exp => x.exp(),
            Func::Log => x.ln(),
            Func::Log10 => x.log10(),
            Func::Sqrt => x.sqrt(),
            Func::Abs => x.abs(),
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
        }
    }
}

/// What a name followed by `(` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callee {
    Unary(Func),
    Pow,
}

/// The functions, by name (aliases included).
const FUNCTIONS: &[(&str, Callee)] = &[
    ("exp", Callee::Unary(Func::Exp)),
    ("log", Callee::Unary(Func::Log)),
    ("ln", Callee::Unary(Func::Log)),
    ("log10", Callee::Unary(Func::Log10)),
    ("sqrt", Callee::Unary(Func::Sqrt)),
    ("abs", Callee::Unary(Func::Abs)),
    ("sin", Callee::Unary(Func::Sin)),
    ("cos", Callee::Unary(Func::Cos)),
    ("tan", Callee::Unary(Func::Tan)),
    ("asin", Callee::Unary(Func::Asin)),
    ("arcsin", Callee::Unary(Func::Asin)),
    ("acos", Callee::Unary(Func::Acos)),
    ("arccos", Callee::Unary(Func::Acos)),
    ("atan", Callee::Unary(Func::Atan)),
    ("arctan", Callee::Unary(Func::Atan)),
    ("sinh", Callee::Unary(Func::Sinh)),
    ("cosh", Callee::Unary(Func::Cosh)),
    ("tanh", Callee::Unary(Func::Tanh)),
    ("pow", Callee::Pow),
];

fn lookup_function(name: &str) -> Option<Callee> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|&(_, c)| c)
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// The parsed formula, names resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Num(f64),
    /// Index into the `params` list.
    Param(usize),
    /// Index into the `columns` list.
    Column(usize),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    /// `^` or `**`.
    Pow,
    LParen,
    RParen,
    Comma,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Char offset of the token's first character.
    pos: usize,
    /// The token's text, for messages.
    text: String,
}

fn describe(t: &Token) -> String {
    match &t.tok {
        Tok::End => "the end of the formula".to_string(),
        Tok::Num(_) => format!("the number {}", t.text),
        Tok::Name(n) => format!("the name '{n}'"),
        _ => format!("'{}'", t.text),
    }
}

/// The most tokens a formula may hold. The tree's height is bounded by it: a chain
/// `a+a+...+a` grows a tree as deep as it is long (the nesting bound [`MAX_DEPTH`] does not
/// see it), and the compiler, the name marking and the tree's drop recurse over that depth;
/// the compiler's search for shared subexpressions is quadratic in it too. A formula of a
/// million characters overflowed the stack before this bound.
const MAX_TOKENS: usize = 4096;

/// Splits `source` into tokens, ending with [`Tok::End`]; at most [`MAX_TOKENS`] before it.
fn lex(source: &str) -> Result<Vec<Token>, FormulaError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if tokens.len() == MAX_TOKENS {
            return Err(FormulaError::new(
                source,
                start,
                format!(
                    "formula too long (more than {MAX_TOKENS} numbers, names, operators and \
                     parentheses)"
                ),
            ));
        }
        let tok = if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && chars[i] == '.' {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            // An exponent only when digits follow: `2e` is the number 2 then the name e.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text.parse().map_err(|_| {
                FormulaError::new(source, start, format!("malformed number '{text}'"))
            })?;
            if !value.is_finite() {
                return Err(FormulaError::new(
                    source,
                    start,
                    format!("the number {text} is too large for a 64-bit float"),
                ));
            }
            Tok::Num(value)
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Tok::Name(chars[start..i].iter().collect())
        } else {
            i += 1;
            match c {
                '+' => Tok::Plus,
                '-' => Tok::Minus,
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    Tok::Pow
                }
                '*' => Tok::Star,
                '/' => Tok::Slash,
                '^' => Tok::Pow,
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                _ => {
                    return Err(FormulaError::new(
                        source,
                        start,
                        format!("unexpected character '{c}'"),
                    ));
                }
            }
        };
        tokens.push(Token {
            tok,
            pos: start,
            text: chars[start..i].iter().collect(),
        });
    }
    tokens.push(Token {
        tok: Tok::End,
        pos: chars.len(),
        text: String::new(),
    });
    Ok(tokens)
}

/// Lists names for a message: `(a, b, c)`, `(none)`, long lists cut short.
fn name_list(names: &[String]) -> String {
    const MAX: usize = 12;
    if names.is_empty() {
        return "(none)".to_string();
    }
    let mut s = names
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        s.push_str(&format!(", ... {} more", names.len() - MAX));
    }
    format!("({s})")
}

/// The deepest nesting of operators and parentheses accepted.
const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    source: &'a str,
    depth: usize,
    tokens: Vec<Token>,
    next: usize,
    params: &'a [String],
    columns: &'a [String],
}

/// Parses `source` with names resolved against `params` and `columns`.
pub(super) fn parse(
    source: &str,
    params: &[String],
    columns: &[String],
) -> Result<Expr, FormulaError> {
    let tokens = lex(source)?;
    let mut p = Parser {
        source,
        depth: 0,
        tokens,
        next: 0,
        params,
        columns,
    };
    if p.peek().tok == Tok::End {
        return Err(FormulaError::new(source, 0, "empty formula".to_string()));
    }
    let e = p.sum()?;
    let t = p.peek();
    if t.tok != Tok::End {
        let hint = match (&t.tok, p.next > 0) {
            (Tok::Num(_) | Tok::Name(_) | Tok::LParen, true) => {
                " (multiplication needs an explicit '*')"
            }
            (Tok::RParen, _) => " (this ')' closes no '(')",
            _ => "",
        };
        return Err(p.error_at(
            t.pos,
            format!(
                "expected an operator or the end of the formula, found {}{hint}",
                describe(t)
            ),
        ));
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.next]
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.next].clone();
        if t.tok != Tok::End {
            self.next += 1;
        }
        t
    }

    fn error_at(&self, pos: usize, message: String) -> FormulaError {
        FormulaError::new(self.source, pos, message)
    }

    fn sum(&mut self) -> Result<Expr, FormulaError> {
        let mut lhs = self.product()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.product()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn product(&mut self) -> Result<Expr, FormulaError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    /// Every level of nesting passes here: the depth is bounded so that no formula overflows
    /// the stack (of the parser, the compiler or the tree's drop).
    fn unary(&mut self) -> Result<Expr, FormulaError> {
        if self.depth >= MAX_DEPTH {
            let pos = self.peek().pos;
            return Err(self.error_at(
                pos,
                format!("formula nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        self.depth += 1;
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }

    fn unary_inner(&mut self) -> Result<Expr, FormulaError> {
        match self.peek().tok {
            Tok::Minus => {
                self.bump();
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Tok::Plus => {
                self.bump();
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Expr, FormulaError> {
        let base = self.atom()?;
        if self.peek().tok == Tok::Pow {
            self.bump();
            let exponent = self.unary()?;
            return Ok(Expr::Bin(BinOp::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, FormulaError> {
        let t = self.bump();
        match t.tok {
            Tok::Num(v) => Ok(Expr::Num(v)),
            Tok::LParen => {
                let e = self.sum()?;
                let close = self.peek();
                if close.tok != Tok::RParen {
                    return Err(self.error_at(
                        close.pos,
                        format!(
                            "expected ')' to close the '(' at column {}, found {}",
                            t.pos + 1,
                            describe(close)
                        ),
                    ));
                }
                self.bump();
                Ok(e)
            }
            Tok::Name(name) => {
                if self.peek().tok == Tok::LParen {
                    self.call(&name, t.pos)
                } else {
                    self.resolve(&name, t.pos)
                }
            }
            _ => Err(self.error_at(
                t.pos,
                format!("expected a number, a name or '(', found {}", describe(&t)),
            )),
        }
    }

    /// A name used as a value.
    fn resolve(&self, name: &str, pos: usize) -> Result<Expr, FormulaError> {
        let param = self.params.iter().position(|p| p == name);
        let column = self.columns.iter().position(|c| c == name);
        match (param, column) {
            (Some(_), Some(_)) => Err(self.error_at(
                pos,
                format!(
                    "'{name}' is both a parameter in --p0 and a column of the data; rename the parameter"
                ),
            )),
            (Some(k), None) => Ok(Expr::Param(k)),
            (None, Some(j)) => Ok(Expr::Column(j)),
            (None, None) => match name {
                "pi" => Ok(Expr::Num(std::f64::consts::PI)),
                "e" => Ok(Expr::Num(std::f64::consts::E)),
                _ if lookup_function(name).is_some() => Err(self.error_at(
                    pos,
                    format!("function '{name}' needs its argument in parentheses: {name}(...)"),
                )),
                _ => Err(self.error_at(
                    pos,
                    format!(
                        "unknown name '{name}': not a parameter in --p0 {} nor a column of the data {}",
                        name_list(self.params),
                        name_list(self.columns)
                    ),
                )),
            },
        }
    }

    /// `name(` has been seen (the `(` not yet consumed).
    fn call(&mut self, name: &str, pos: usize) -> Result<Expr, FormulaError> {
        let Some(callee) = lookup_function(name) else {
            let what = if self.params.iter().any(|p| p == name) {
                Some("a parameter")
            } else if self.columns.iter().any(|c| c == name) {
                Some("a column of the data")
            } else {
                None
            };
            let message = match what {
                Some(what) => format!(
                    "'{name}' is {what}, not a function (multiplication needs an explicit '*')"
                ),
                None => {
                    let known: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                    format!(
                        "unknown function '{name}'; the functions are {}",
                        known.join(", ")
                    )
                }
            };
            return Err(self.error_at(pos, message));
        };
        let open = self.bump();
        let mut args = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.sum()?);
                let t = self.bump();
                match t.tok {
                    Tok::Comma => continue,
                    Tok::RParen => break,
                    _ => {
                        return Err(self.error_at(
                            t.pos,
                            format!(
                                "expected ',' or ')' to close the '(' of {name} at column {}, found {}",
                                open.pos + 1,
                                describe(&t)
                            ),
                        ));
                    }
                }
            }
        }
        let wanted = match callee {
            Callee::Unary(_) => 1,
            Callee::Pow => 2,
        };
        if args.len() != wanted {
            let takes = match callee {
                Callee::Unary(_) => "takes 1 argument".to_string(),
                Callee::Pow => "takes 2 arguments, pow(base, exponent)".to_string(),
            };
            return Err(self.error_at(
                pos,
                format!("function '{name}' {takes}, found {}", args.len()),
            ));
        }
        let mut args = args.into_iter();
        let first = Box::new(args.next().expect("one argument"));
        Ok(match callee {
            Callee::Unary(f) => Expr::Call(f, first),
            Callee::Pow => Expr::Bin(
                BinOp::Pow,
                first,
                Box::new(args.next().expect("two arguments")),
            ),
        })
    }
}

/// The names of a formula that are neither `columns`, constants (`pi`, `e`) nor called as
/// functions, in order of first appearance: the parameters the formula implies.
pub(super) fn free_names(source: &str, columns: &[String]) -> Result<Vec<String>, FormulaError> {
    let tokens = lex(source)?;
    let mut names: Vec<String> = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        let Tok::Name(name) = &token.tok else {
            continue;
        };
        let called = matches!(tokens.get(k + 1).map(|t| &t.tok), Some(Tok::LParen));
        let known = columns.contains(name)
            || matches!(name.as_str(), "pi" | "e")
            || lookup_function(name).is_some();
        if !called && !known && !names.contains(name) {
            names.push(name.clone());
        }
    }
    Ok(names)
}
