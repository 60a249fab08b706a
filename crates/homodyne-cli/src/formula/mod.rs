//! The formula language: a model typed on the command line, `a*exp(-b*x)+c`, parsed once
//! and evaluated with exact derivatives.
//!
//! # Language
//!
//! - numbers: `2`, `1e-4`, `.5`, `3.`;
//! - the parameters named in `--p0`, and the data's column names as variables (one or
//!   several predictors);
//! - `+ - * /`, powers with `^` or `**` (right-associative: `2^3^2 = 2^9`), unary minus
//!   (looser than a power: `-x^2 = -(x^2)`), parentheses;
//! - the functions `exp`, `log` (natural; also `ln`), `log10`, `sqrt`, `abs`, `sin`, `cos`,
//!   `tan`, `asin` (`arcsin`), `acos` (`arccos`), `atan` (`arctan`), `sinh`, `cosh`, `tanh`
//!   and `pow(a, b)`;
//! - the constants `pi` and `e`.
//!
//! A name is looked up as a parameter, then a column, then a constant; a name that is both
//! a parameter and a column is an error.
//!
//! # Evaluation
//!
//! The tree is compiled to two straight-line register programs with constant folding and
//! shared common subexpressions: one for the sub-expressions of the parameters alone
//! (`-b`, run once per call) and one per point, run over blocks of 256 points, one tight
//! loop per instruction. The Jacobian is exact: forward-mode derivatives over the same
//! instructions, each register carrying the derivatives for the parameters it depends on
//! only ([`JacobianKind::Exact`]).
//!
//! ```
//! use homodyne::Model;
//! use homodyne_cli::formula::Formula;
//!
//! let names = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
//! let f = Formula::parse("a*exp(-b*x) + c", &names(&["a", "b", "c"]), &names(&["x", "y"]))
//!     .unwrap();
//! assert_eq!(f.variables(), ["x"]);
//! let (mut y, mut jac) = ([0.0; 2], [0.0; 6]);
//! f.eval_with_jacobian(&[0.0, 1.0], &[2.0, 1.0, 0.5], &mut y, &mut jac);
//! assert_eq!(y[0], 2.5);
//! assert_eq!(&jac[..3], &[1.0, 0.0, 1.0]);
//! ```

use homodyne::{JacobianKind, Model};

mod compile;
mod error;
mod eval;
mod parse;
#[cfg(test)]
mod tests;

pub use error::FormulaError;

/// A compiled formula: a [`Model`] with exact derivatives, `Send + Sync`, cheap to share
/// across the solver's threads.
#[derive(Debug, Clone)]
pub struct Formula {
    source: String,
    params: Vec<String>,
    used: Vec<bool>,
    variables: Vec<String>,
    compiled: compile::Compiled,
}

impl Formula {
    /// Parses `source`; `params` are the parameter names in `--p0` order, `columns` the
    /// data's column names.
    ///
    /// Fails, with the position of the fault, on a formula that does not parse, an unknown
    /// name (a parameter missing from `--p0` included), a function called without
    /// parentheses or with the wrong number of arguments, a name that is both a parameter
    /// and a column, and a parameter named twice in `params`. A parameter of `params` that
    /// the formula never uses is no error: see [`Formula::unused_params`].
    pub fn parse(
        source: &str,
        params: &[String],
        columns: &[String],
    ) -> Result<Formula, FormulaError> {
        if let Some((k, name)) = params
            .iter()
            .enumerate()
            .find(|(k, name)| params[..*k].contains(name))
        {
            return Err(FormulaError::new(
                source,
                0,
                format!(
                    "parameter '{name}' is named twice in --p0 (positions {} and {})",
                    params.iter().position(|p| p == name).unwrap_or(0) + 1,
                    k + 1
                ),
            ));
        }
        let expr = parse::parse(source, params, columns)?;

        let mut used = vec![false; params.len()];
        let mut read = vec![false; columns.len()];
        mark_names(&expr, &mut used, &mut read);

        // Predictors in the data's column order; with none read, the first column stands in
        // so that a point still has one predictor.
        let mut var_of_column = vec![None; columns.len()];
        let mut variables = Vec::new();
        for (j, name) in columns.iter().enumerate() {
            if read[j] {
                var_of_column[j] = Some(variables.len() as u32);
                variables.push(name.clone());
            }
        }
        if variables.is_empty() && !columns.is_empty() {
            variables.push(columns[0].clone());
        }
        let compiled = compile::compile(&expr, &var_of_column);
        Ok(Formula {
            source: source.to_string(),
            params: params.to_vec(),
            used,
            variables,
            compiled,
        })
    }

    /// The parameters a formula implies: its names that are not `columns`, constants or
    /// functions, in order of first appearance (for callers that have no parameter list,
    /// such as Python's `curve_fit("a*exp(-b*x)+c", x, y)`).
    ///
    /// ```
    /// use homodyne_cli::formula::Formula;
    /// let names = Formula::free_names("a*exp(-b*x) + c + 0*pi", &["x".to_string()]).unwrap();
    /// assert_eq!(names, ["a", "b", "c"]);
    /// ```
    pub fn free_names(source: &str, columns: &[String]) -> Result<Vec<String>, FormulaError> {
        parse::free_names(source, columns)
    }

    /// The data columns the formula reads, in the order they are laid out per point in `x`
    /// (the order of the data's columns; [`Model::x_dim`] is their number).
    ///
    /// A formula that reads no column (a constant or parameters alone) still takes one
    /// predictor per point, ignored: the first column of the data, listed here.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// The names in `params` that the formula never uses (the CLI warns about them: their
    /// Jacobian columns are zero).
    pub fn unused_params(&self) -> Vec<String> {
        self.params
            .iter()
            .zip(&self.used)
            .filter(|(_, u)| !**u)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The formula as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn check_lengths(&self, x: &[f64], p: &[f64], n: usize) {
        assert_eq!(
            p.len(),
            self.params.len(),
            "formula '{}': wrong parameter count",
            self.source
        );
        assert_eq!(
            x.len(),
            n * self.x_dim(),
            "formula '{}': x holds {} values for {n} points of {} predictors",
            self.source,
            x.len(),
            self.x_dim()
        );
    }
}

/// Marks the parameters and columns an expression reads.
fn mark_names(e: &parse::Expr, params: &mut [bool], columns: &mut [bool]) {
    match e {
        parse::Expr::Num(_) => {}
        parse::Expr::Param(k) => params[*k] = true,
        parse::Expr::Column(j) => columns[*j] = true,
        parse::Expr::Neg(a) | parse::Expr::Call(_, a) => mark_names(a, params, columns),
        parse::Expr::Bin(_, a, b) => {
            mark_names(a, params, columns);
            mark_names(b, params, columns);
        }
    }
}

impl Model for Formula {
    fn n_params(&self) -> usize {
        self.params.len()
    }

    fn x_dim(&self) -> usize {
        self.variables.len().max(1)
    }

    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        self.check_lengths(x, p, values.len());
        eval::evaluate(&self.compiled, self.x_dim(), x, p, values, None);
    }

    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        self.check_lengths(x, p, values.len());
        assert_eq!(
            jacobian.len(),
            values.len() * self.params.len(),
            "formula '{}': Jacobian length",
            self.source
        );
        eval::evaluate(&self.compiled, self.x_dim(), x, p, values, Some(jacobian));
    }

    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }

    fn param_names(&self) -> Vec<String> {
        self.params.clone()
    }
}
