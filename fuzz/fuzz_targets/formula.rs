//! The formula language: parse, compile and evaluate (values and exact Jacobian) a formula
//! typed on the command line, with arbitrary data and parameters.
//!
//! The input is structured ([`arbitrary`]): a formula as raw text, or as a list of tokens
//! (numbers, the parameters `a b c d`, the columns `x y t`, operators, functions,
//! parentheses) that mostly parses, so that compilation and evaluation are reached; then
//! the parameters named in `--p0`, the columns, parameter values and points.
//!
//! Beyond "no panic": the values of `eval` and of `eval_with_jacobian` are the same bits
//! (one program computes both).
#![no_main]

use arbitrary::Arbitrary;
use homodyne::Model;
use homodyne_cli::formula::Formula;
use homodyne_fuzz as _;
use libfuzzer_sys::fuzz_target;

const PARAMS: [&str; 4] = ["a", "b", "c", "d"];
const COLUMNS: [&str; 3] = ["x", "y", "t"];
const FUNCTIONS: [&str; 21] = [
    "exp", "log", "ln", "log10", "sqrt", "abs", "sin", "cos", "tan", "asin", "arcsin", "acos",
    "arccos", "atan", "arctan", "sinh", "cosh", "tanh", "pow", "pi", "e",
];
const OPERATORS: [&str; 8] = ["+", "-", "*", "/", "^", "**", ",", " "];

#[derive(Debug, Arbitrary)]
enum Token {
    Number(f64),
    Integer(u8),
    Param(u8),
    Column(u8),
    Operator(u8),
    Function(u8),
    Open,
    Close,
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum Source {
    Text(String),
    Tokens(Vec<Token>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    source: Source,
    /// Which of [`PARAMS`] are in `--p0` (bit k: `PARAMS[k]`), in order; a repeated
    /// parameter is asked for by `repeat`.
    params: u8,
    repeat: bool,
    /// How many of [`COLUMNS`] the data has (0 to 3).
    columns: u8,
    values: Vec<f64>,
    x: Vec<f64>,
}

fn render(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Number(v) => out.push_str(&format!("{v:?}")),
            Token::Integer(v) => out.push_str(&v.to_string()),
            Token::Param(k) => out.push_str(PARAMS[*k as usize % PARAMS.len()]),
            Token::Column(k) => out.push_str(COLUMNS[*k as usize % COLUMNS.len()]),
            Token::Operator(k) => out.push_str(OPERATORS[*k as usize % OPERATORS.len()]),
            Token::Function(k) => out.push_str(FUNCTIONS[*k as usize % FUNCTIONS.len()]),
            Token::Open => out.push('('),
            Token::Close => out.push(')'),
            Token::Text(s) => out.push_str(s),
        }
    }
    out
}

fuzz_target!(|input: Input| {
    let source = match &input.source {
        Source::Text(s) => s.clone(),
        Source::Tokens(tokens) => render(tokens),
    };
    let mut params: Vec<String> = PARAMS
        .iter()
        .enumerate()
        .filter(|(k, _)| input.params & (1 << k) != 0)
        .map(|(_, p)| p.to_string())
        .collect();
    if input.repeat && !params.is_empty() {
        params.push(params[0].clone());
    }
    let columns: Vec<String> = COLUMNS[..(input.columns % 4) as usize]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let _ = Formula::free_names(&source, &columns);
    let Ok(formula) = Formula::parse(&source, &params, &columns) else {
        return;
    };
    let _ = formula.unused_params();
    let n_params = formula.n_params();
    let x_dim = formula.x_dim();
    let p: Vec<f64> = (0..n_params)
        .map(|k| input.values.get(k).copied().unwrap_or(1.0 + k as f64))
        .collect();
    // Up to 300 points: more than one block of 256, so the block loop's tail is reached.
    let n = (input.x.len() / x_dim).min(300);
    let x = &input.x[..n * x_dim];
    let mut values = vec![0.0; n];
    formula.eval(x, &p, &mut values);
    let mut with_jacobian = vec![0.0; n];
    let mut jacobian = vec![0.0; n * n_params];
    formula.eval_with_jacobian(x, &p, &mut with_jacobian, &mut jacobian);
    for (a, b) in values.iter().zip(&with_jacobian) {
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "formula {source:?}: eval gives {a:?}, eval_with_jacobian {b:?}"
        );
    }
});
