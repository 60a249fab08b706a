use homodyne::{AutoDiff, GenericModel, JacobianKind, Model, Scalar};

use super::Formula;
use super::error::FormulaError;
use super::eval::BLOCK;

fn names(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

fn formula(src: &str, params: &[&str], columns: &[&str]) -> Formula {
    Formula::parse(src, &names(params), &names(columns))
        .unwrap_or_else(|e| panic!("'{src}' should parse:\n{e}"))
}

fn error(src: &str, params: &[&str], columns: &[&str]) -> FormulaError {
    match Formula::parse(src, &names(params), &names(columns)) {
        Ok(_) => panic!("'{src}' should not parse"),
        Err(e) => e,
    }
}

/// The formula's values at points `x` (`x_dim` values each).
fn values(f: &Formula, x: &[f64], p: &[f64]) -> Vec<f64> {
    let mut y = vec![f64::NAN; x.len() / f.x_dim()];
    f.eval(x, p, &mut y);
    y
}

/// Value of a formula of `x` alone (no parameters) at one point.
fn at(src: &str, x: f64) -> f64 {
    values(&formula(src, &[], &["x"]), &[x], &[])[0]
}

/// Checks values against `eval_with_jacobian`'s, and the Jacobian against central
/// differences.
fn check_jacobian(f: &Formula, x: &[f64], p: &[f64]) {
    let n = x.len() / f.x_dim();
    let np = p.len();
    let (mut y, mut jac) = (vec![f64::NAN; n], vec![f64::NAN; n * np]);
    f.eval_with_jacobian(x, p, &mut y, &mut jac);
    assert_eq!(
        y,
        values(f, x, p),
        "{}: values with and without the Jacobian",
        f.source()
    );
    for k in 0..np {
        let h = 1e-6 * p[k].abs().max(1.0);
        let (mut pp, mut pm) = (p.to_vec(), p.to_vec());
        pp[k] += h;
        pm[k] -= h;
        let (yp, ym) = (values(f, x, &pp), values(f, x, &pm));
        for i in 0..n {
            let fd = (yp[i] - ym[i]) / (2.0 * h);
            let exact = jac[i * np + k];
            assert!(
                (fd - exact).abs() <= 1e-6 * (1.0 + exact.abs()),
                "{}: d/dp{k} at point {i}: exact {exact}, central difference {fd}",
                f.source()
            );
        }
    }
}

#[test]
fn numbers_and_constants() {
    assert_eq!(at("1e-4", 0.0), 1e-4);
    assert_eq!(at(".5", 0.0), 0.5);
    assert_eq!(at("3.", 0.0), 3.0);
    assert_eq!(at("2.5E+2", 0.0), 250.0);
    assert_eq!(at("pi", 0.0), std::f64::consts::PI);
    assert_eq!(at("e", 0.0), std::f64::consts::E);
    assert_eq!(at("2*e", 0.0), 2.0 * std::f64::consts::E);
}

#[test]
fn precedence_and_associativity() {
    let cases: &[(&str, f64, f64)] = &[
        ("1 + 2 * 3", 0.0, 7.0),
        ("(1 + 2) * 3", 0.0, 9.0),
        ("1 - 2 - 3", 0.0, -4.0),
        ("8 / 4 / 2", 0.0, 1.0),
        ("2^3^2", 0.0, 512.0),
        ("2**3**2", 0.0, 512.0),
        ("2^3**2", 0.0, 512.0),
        ("(2^3)^2", 0.0, 64.0),
        ("-2^2", 0.0, -4.0),
        ("-x^2", 3.0, -9.0),
        ("-x**2", 3.0, -9.0),
        ("2^-1", 0.0, 0.5),
        ("2^-x^2", 1.0, 0.5),
        ("2*-x", 3.0, -6.0),
        ("--x", 3.0, 3.0),
        ("+x", 3.0, 3.0),
        ("-(x - 5)", 3.0, 2.0),
        ("x - -x", 3.0, 6.0),
        ("2 * x ^ 2 / 4", 3.0, 4.5),
        ("-x * 2", 3.0, -6.0),
        ("x^0", 3.0, 1.0),
        ("x^1", 3.0, 3.0),
        ("x^0.5", 4.0, 2.0),
        ("x^-2", 2.0, 0.25),
        ("x^1.5", 4.0, 8.0),
        ("pow(x, 3)", 2.0, 8.0),
        ("pow(2, x)", 3.0, 8.0),
        ("e^x", 1.0, std::f64::consts::E),
        ("x^x", 3.0, 27.0),
        ("1/x", 4.0, 0.25),
        ("x*1 + 0 - 0*1", 4.0, 4.0),
    ];
    for &(src, x, want) in cases {
        let got = at(src, x);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{src} at x = {x}: {got}, want {want}"
        );
    }
}

/// Each function: value against the f64 method, derivative against central differences.
#[test]
fn functions_values_and_derivatives() {
    type F = fn(f64) -> f64;
    let cases: &[(&str, F, &[f64])] = &[
        ("exp", f64::exp, &[-1.0, 0.0, 0.7]),
        ("log", f64::ln, &[0.3, 1.0, 2.5]),
        ("ln", f64::ln, &[0.3, 2.5]),
        ("log10", f64::log10, &[0.3, 1.0, 250.0]),
        ("sqrt", f64::sqrt, &[0.3, 1.0, 4.0]),
        ("abs", f64::abs, &[-0.7, 0.4]),
        ("sin", f64::sin, &[-0.7, 0.0, 2.0]),
        ("cos", f64::cos, &[-0.7, 0.0, 2.0]),
        ("tan", f64::tan, &[-0.7, 0.0, 1.2]),
        ("asin", f64::asin, &[-0.7, 0.0, 0.5]),
        ("arcsin", f64::asin, &[0.5]),
        ("acos", f64::acos, &[-0.7, 0.0, 0.5]),
        ("arccos", f64::acos, &[0.5]),
        ("atan", f64::atan, &[-3.0, 0.0, 0.5]),
        ("arctan", f64::atan, &[-3.0, 0.5]),
        ("sinh", f64::sinh, &[-1.5, 0.0, 0.5]),
        ("cosh", f64::cosh, &[-1.5, 0.0, 0.5]),
        ("tanh", f64::tanh, &[-1.5, 0.0, 0.5]),
    ];
    for &(name, f, points) in cases {
        // The argument a*x + b equals x at a = 1, b = 0.
        let model = formula(&format!("{name}(a*x + b)"), &["a", "b"], &["x"]);
        let p = [1.0, 0.0];
        let y = values(&model, points, &p);
        for (&x, &y) in points.iter().zip(&y) {
            assert!(
                (y - f(x)).abs() <= 1e-15 * f(x).abs().max(1.0),
                "{name}({x}) = {y}, want {}",
                f(x)
            );
        }
        check_jacobian(&model, points, &p);
        // Constant argument: folded at compile time to the same value.
        let folded = at(&format!("{name}({})", points[points.len() - 1]), 0.0);
        assert_eq!(folded, f(points[points.len() - 1]), "{name} folded");
        // Parameter-only argument: computed once per call, broadcast.
        let uniform = formula(&format!("{name}(b) * x"), &["b"], &["x"]);
        let b = points[0];
        assert_eq!(
            values(&uniform, &[2.0], &[b])[0],
            2.0 * f(b),
            "{name} of a parameter"
        );
        check_jacobian(&uniform, &[2.0, -1.0], &[b]);
    }
}

#[test]
fn powers_and_quotients_derivatives() {
    let x = [0.5, 1.0, 1.7, 3.0];
    let cases: &[(&str, &[f64])] = &[
        ("a*x^2 + b*x^3 + c", &[1.2, -0.4, 0.3]),
        ("(a*x)^b + c", &[1.2, 1.7, 0.3]),
        ("x^a * b + c", &[1.2, 1.7, 0.3]),
        ("a^x + b^2 + c^-1", &[1.2, 1.7, 0.3]),
        ("pow(a, b*x) + c", &[1.2, 0.7, 0.3]),
        ("(a*x + c)^1.5 / b", &[1.2, 0.7, 0.3]),
        ("a / (b + x) - c / x", &[1.2, 0.7, 0.3]),
        ("x / a + b / c", &[1.2, 0.7, 0.3]),
        ("(a + x) / (b * x + c)", &[1.2, 0.7, 0.3]),
        ("a*b*c*x - a/b + c^3", &[1.2, 0.7, 0.3]),
        ("exp(-a*x) * exp(-a*x) + sqrt(b*x + c^2)", &[1.2, 0.7, 0.3]),
        ("-(-(a*x)) + -b - -c", &[1.2, 0.7, 0.3]),
        ("a*e^(b*x) + c*pi", &[1.2, 0.7, 0.3]),
    ];
    for &(src, p) in cases {
        check_jacobian(&formula(src, &["a", "b", "c"], &["x"]), &x, p);
    }
}

#[test]
fn decay_hand_jacobian_over_several_blocks() {
    let f = formula("a*exp(-b*x)+c", &["a", "b", "c"], &["x"]);
    assert_eq!(f.n_params(), 3);
    assert_eq!(f.x_dim(), 1);
    assert_eq!(f.jacobian_kind(), JacobianKind::Exact);
    assert_eq!(f.param_names(), names(&["a", "b", "c"]));
    let n = 2 * BLOCK + 37;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.01).collect();
    let p = [2.0, 0.7, 0.3];
    let (mut y, mut jac) = (vec![0.0; n], vec![0.0; 3 * n]);
    f.eval_with_jacobian(&x, &p, &mut y, &mut jac);
    for i in 0..n {
        let e = (-p[1] * x[i]).exp();
        assert!((y[i] - (p[0] * e + p[2])).abs() < 1e-15);
        let want = [e, -p[0] * x[i] * e, 1.0];
        for k in 0..3 {
            assert!(
                (jac[3 * i + k] - want[k]).abs() < 1e-15,
                "point {i}, param {k}"
            );
        }
    }
    // No points: nothing to do, no panic.
    f.eval_with_jacobian(&[], &p, &mut [], &mut []);
}

/// A seven-parameter model written by hand for the dual numbers.
struct Seven;
impl GenericModel for Seven {
    fn n_params(&self) -> usize {
        7
    }
    fn x_dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let (t, q) = (x[0], x[1]);
        p[0] * (p[1] * -t).exp() * (p[2] * q).cos()
            + p[3] / (T::cst(1.0) + (p[4] * t).powi(2))
            + p[5] * (p[6] * q * q + 1.0).sqrt()
    }
}

#[test]
fn seven_parameters_two_predictors_against_autodiff() {
    let src = "A*exp(-G*t)*cos(w*q) + B/(1 + (k*t)^2) + C*sqrt(s*q^2 + 1)";
    let params = ["A", "G", "w", "B", "k", "C", "s"];
    // Data columns in another order than the formula reads them, and an unused one.
    let f = formula(src, &params, &["q", "y", "t"]);
    assert_eq!(f.variables(), ["q", "t"]);
    assert_eq!(f.x_dim(), 2);
    let reference = AutoDiff::<_, 7>::new(Seven).unwrap();
    let n = BLOCK + 11;
    let mut x_formula = Vec::with_capacity(2 * n);
    let mut x_reference = Vec::with_capacity(2 * n);
    for i in 0..n {
        let (t, q) = (i as f64 * 0.013, 0.5 + (i % 17) as f64 * 0.1);
        x_formula.extend([q, t]);
        x_reference.extend([t, q]);
    }
    let p = [1.5, 0.8, 2.1, 0.7, 1.3, 0.4, 0.9];
    let (mut y1, mut j1) = (vec![0.0; n], vec![0.0; 7 * n]);
    let (mut y2, mut j2) = (vec![0.0; n], vec![0.0; 7 * n]);
    f.eval_with_jacobian(&x_formula, &p, &mut y1, &mut j1);
    reference.eval_with_jacobian(&x_reference, &p, &mut y2, &mut j2);
    for i in 0..n {
        assert!(
            (y1[i] - y2[i]).abs() <= 1e-14 * (1.0 + y2[i].abs()),
            "value at {i}"
        );
    }
    for (i, (a, b)) in j1.iter().zip(&j2).enumerate() {
        assert!(
            (a - b).abs() <= 1e-13 * (1.0 + b.abs()),
            "jacobian[{i}]: {a} vs {b}"
        );
    }
}

#[test]
fn two_predictors_layout() {
    let f = formula(
        "a*x1 + b*x2^2 + c*x1*x2",
        &["a", "b", "c"],
        &["x1", "y", "x2"],
    );
    assert_eq!(f.variables(), ["x1", "x2"]);
    let x = [1.0, 2.0, 3.0, -1.0];
    let p = [1.0, 10.0, 100.0];
    assert_eq!(values(&f, &x, &p), [1.0 + 40.0 + 200.0, 3.0 + 10.0 - 300.0]);
    check_jacobian(&f, &x, &p);
}

#[test]
fn formula_without_columns_or_parameters() {
    // Parameters only: one ignored predictor, the first column.
    let f = formula("a*b + 1", &["a", "b"], &["t", "y"]);
    assert_eq!(f.variables(), ["t"]);
    assert_eq!(f.x_dim(), 1);
    let (mut y, mut jac) = ([0.0; 3], [f64::NAN; 6]);
    f.eval_with_jacobian(&[0.0, 1.0, 2.0], &[2.0, 3.0], &mut y, &mut jac);
    assert_eq!(y, [7.0; 3]);
    assert_eq!(jac, [3.0, 2.0, 3.0, 2.0, 3.0, 2.0]);
    // A single parameter, and a parameter beside an unused one: zero column.
    let f = formula("b", &["a", "b"], &["t"]);
    f.eval_with_jacobian(&[0.0, 1.0, 2.0], &[2.0, 3.0], &mut y, &mut jac);
    assert_eq!(y, [3.0; 3]);
    assert_eq!(jac, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    // A constant: no dependence at all; no columns either.
    let f = formula("2*pi", &["a"], &[]);
    assert!(f.variables().is_empty());
    assert_eq!(f.x_dim(), 1);
    let (mut y, mut jac) = ([0.0; 2], [f64::NAN; 2]);
    f.eval_with_jacobian(&[5.0, 6.0], &[1.0], &mut y, &mut jac);
    assert_eq!(y, [2.0 * std::f64::consts::PI; 2]);
    assert_eq!(jac, [0.0; 2]);
}

#[test]
fn unused_parameters() {
    let f = formula("a*x + c", &["a", "b", "c", "d"], &["x"]);
    assert_eq!(f.unused_params(), names(&["b", "d"]));
    assert!(formula("a*x", &["a"], &["x"]).unused_params().is_empty());
    // Used, even where it cancels out.
    assert!(
        formula("a*x + b^0", &["a", "b"], &["x"])
            .unused_params()
            .is_empty()
    );
    assert_eq!(f.source(), "a*x + c");
}

#[test]
fn common_subexpressions_are_shared() {
    let f = formula("a*exp(-b*x) + a*exp(-b*x)", &["a", "b"], &["x"]);
    let point = &f.compiled.point.instrs;
    // x, -b*x, exp, a*exp, sum.
    assert_eq!(point.len(), 5, "{point:?}");
    check_jacobian(&f, &[0.0, 0.5, 2.0], &[1.3, 0.4]);
}

#[test]
fn shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Formula>();
    let f = formula("a*sin(b*x) + c", &["a", "b", "c"], &["x"]);
    let x: Vec<f64> = (0..1000).map(|i| i as f64 * 0.01).collect();
    let want = values(&f, &x, &[1.0, 2.0, 3.0]);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20 {
                    assert_eq!(values(&f, &x, &[1.0, 2.0, 3.0]), want);
                }
            });
        }
    });
}

/// Message, caret position, and the three-line display.
fn check_error(src: &str, params: &[&str], columns: &[&str], position: usize, message: &str) {
    let e = error(src, params, columns);
    assert_eq!(e.position, position, "'{src}': {e}");
    assert!(
        e.message.contains(message),
        "'{src}': message {:?} lacks {message:?}",
        e.message
    );
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert_eq!(
        lines[0],
        format!("{} at column {}", e.message, position + 1)
    );
    assert_eq!(lines[1], format!("  {src}"));
    assert_eq!(lines[2], format!("  {}^", " ".repeat(position)));
    assert_eq!(e.formula(), src);
}

#[test]
fn parse_errors_with_caret() {
    let p = &["a", "b"];
    let c = &["x", "y"];
    for (src, position, message) in [
        (
            "a*(b",
            4,
            "expected ')' to close the '(' at column 3, found the end of the formula",
        ),
        (
            "a**",
            3,
            "expected a number, a name or '(', found the end of the formula",
        ),
        ("2 +* x", 3, "expected a number, a name or '(', found '*'"),
        ("a*x)", 3, "this ')' closes no '('"),
        ("2x", 1, "multiplication needs an explicit '*'"),
        ("a x", 2, "found the name 'x'"),
        ("", 0, "empty formula"),
        ("   ", 0, "empty formula"),
        ("a # b", 2, "unexpected character '#'"),
        (
            "exp(x",
            5,
            "expected ',' or ')' to close the '(' of exp at column 4",
        ),
        ("(a + b", 6, "to close the '(' at column 1"),
        ("1e999", 0, "too large"),
        ("a*", 2, "found the end of the formula"),
    ] {
        check_error(src, p, c, position, message);
    }
    let deep = format!("{}x{}", "(".repeat(1000), ")".repeat(1000));
    check_error(&deep, p, c, 256, "nested too deeply");
    assert_eq!(
        at(&format!("{}x{}", "(".repeat(200), ")".repeat(200)), 2.0),
        2.0
    );
}

/// A chain `a+a+...+a` is not nesting, yet its tree is as deep as it is long: a formula of
/// 400 000 characters overflowed the stack (compiling it, marking its names, dropping its
/// tree) and its compilation was quadratic. Too many tokens is an error at the first one
/// too many; the longest formula accepted still compiles and evaluates, on a test thread's
/// stack (2 MiB).
#[test]
fn a_formula_too_long_is_an_error_not_a_stack_overflow() {
    let long = format!("a{}", "+a".repeat(200_000));
    check_error(&long, &["a"], &["x"], 4096, "formula too long");
    assert!(Formula::free_names(&long, &names(&["x"])).is_err());

    // 4096 tokens: `-a` and 2047 times `+x`; one `+` more is one too many.
    let longest = format!("-a{}", "+x".repeat(2047));
    let f = formula(&longest, &["a"], &["x"]);
    assert_eq!(values(&f, &[1.0, 2.0], &[0.5]), [2046.5, 4093.5]);
    check_jacobian(&f, &[1.0, 2.0], &[0.5]);
    check_error(
        &format!("{longest}+"),
        &["a"],
        &["x"],
        4096,
        "formula too long",
    );
}

#[test]
fn name_errors_with_caret() {
    let p = &["b1", "b2"];
    let c = &["x", "y"];
    let e = error("b3*x", p, c);
    assert_eq!(
        e.message,
        "unknown name 'b3': not a parameter in --p0 (b1, b2) nor a column of the data (x, y)"
    );
    assert_eq!(
        e.to_string(),
        format!("{} at column 1\n  b3*x\n  ^", e.message)
    );
    let cases: [(&str, &[&str], usize, &str); 11] = [
        ("b1*x + b2*z", p, 10, "unknown name 'z'"),
        ("b1*x", &[], 0, "not a parameter in --p0 (none)"),
        ("foo(x)", p, 0, "unknown function 'foo'"),
        (
            "b1 * x(2)",
            p,
            5,
            "'x' is a column of the data, not a function",
        ),
        ("b1(2)", p, 0, "'b1' is a parameter, not a function"),
        (
            "exp(x, y)",
            p,
            0,
            "function 'exp' takes 1 argument, found 2",
        ),
        (
            "b1 + sin()",
            p,
            5,
            "function 'sin' takes 1 argument, found 0",
        ),
        (
            "pow(x)",
            p,
            0,
            "function 'pow' takes 2 arguments, pow(base, exponent), found 1",
        ),
        (
            "b1*exp",
            p,
            3,
            "function 'exp' needs its argument in parentheses: exp(...)",
        ),
        (
            "x*y",
            &["x"],
            0,
            "'x' is both a parameter in --p0 and a column of the data",
        ),
        ("x", &["a", "a"], 0, "parameter 'a' is named twice in --p0"),
    ];
    for (src, params, position, message) in cases {
        check_error(src, params, c, position, message);
    }
}

#[test]
fn parameter_shadows_constant_name() {
    // A parameter (or column) named e or pi wins over the constant.
    let f = formula("e*x", &["e"], &["x"]);
    assert_eq!(values(&f, &[2.0], &[3.0]), [6.0]);
    let f = formula("pi", &[], &["pi"]);
    assert_eq!(values(&f, &[2.0], &[]), [2.0]);
}

#[test]
fn formula_that_is_a_predictor() {
    for src in ["x", "x + 0", "1*x", "--x", "(x)"] {
        let f = formula(src, &["a"], &["x", "y"]);
        let x: Vec<f64> = (0..BLOCK + 3).map(|i| i as f64).collect();
        let (mut y, mut jac) = (vec![0.0; x.len()], vec![f64::NAN; x.len()]);
        f.eval_with_jacobian(&x, &[1.0], &mut y, &mut jac);
        assert_eq!(y, x, "{src}");
        assert!(jac.iter().all(|&j| j == 0.0), "{src}");
    }
    // Two predictors, the formula one of them.
    let f = formula("y + 0*x", &[], &["x", "y"]);
    assert_eq!(values(&f, &[1.0, 2.0, 3.0, 4.0], &[]), [2.0, 4.0]);
}

#[test]
fn sums_share_their_operands_gradients() {
    let f = formula("a*x + b*x^2 + c", &["a", "b", "c"], &["x"]);
    let point = &f.compiled.point.instrs;
    // The two sums compute no gradient entry: each entry is an operand's.
    let sums: Vec<_> = point
        .iter()
        .filter(|i| matches!(i.op, super::compile::Op::Add(..)))
        .collect();
    assert_eq!(sums.len(), 2);
    assert!(sums[0].terms.is_empty(), "{:?}", sums[0]);
    // `+ c`: c is a parameter of the uniform program; its entry (1) is a new slot.
    assert_eq!(sums[1].terms.len(), 1, "{:?}", sums[1]);
    check_jacobian(&f, &[0.5, 1.0, 2.0], &[1.0, 2.0, 3.0]);
    check_jacobian(
        &formula("a*x - b*x^2 - c", &["a", "b", "c"], &["x"]),
        &[0.5, 2.0],
        &[1.0, 2.0, 3.0],
    );
}

/// The Jacobian of `f` at the points `x` (one predictor).
fn jacobian(f: &Formula, x: &[f64], p: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (mut y, mut jac) = (vec![f64::NAN; x.len()], vec![f64::NAN; x.len() * p.len()]);
    f.eval_with_jacobian(x, p, &mut y, &mut jac);
    (y, jac)
}

/// The one-time XPCS correlation, exponent a parameter, for the dual numbers.
struct Stretched;
impl GenericModel for Stretched {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * ((p[1] * x[0]).pow(p[2]) * -2.0).exp() + p[3]
    }
}

/// Lags from 0, then log-spaced: the stretched exponential's Jacobian at lag 0 is finite,
/// zero in gamma and alpha; elsewhere it matches central differences and the dual numbers.
#[test]
fn stretched_exponential_at_lag_zero() {
    let lags: Vec<f64> = std::iter::once(0.0)
        .chain((0..40).map(|i| 1e-6 * 10f64.powf(i as f64 * 0.15)))
        .collect();
    let params = ["beta1", "gamma", "alpha", "g_inf"];
    let f = formula("beta1*exp(-2*(gamma*lag)^alpha)+g_inf", &params, &["lag"]);
    let dual = AutoDiff::<_, 4>::new(Stretched).unwrap();
    for alpha in [0.35, 0.999, 1.0, 1.6, 2.5] {
        let p = [0.3, 1.3, alpha, 1.01];
        let (y, jac) = jacobian(&f, &lags, &p);
        assert_eq!(y[0], 0.3 + 1.01);
        assert_eq!(jac[..4], [1.0, 0.0, 0.0, 1.0], "alpha {alpha}");
        check_jacobian(&f, &lags, &p);
        let (mut y2, mut j2) = (vec![0.0; lags.len()], vec![0.0; 4 * lags.len()]);
        dual.eval_with_jacobian(&lags, &p, &mut y2, &mut j2);
        for (i, (a, b)) in y.iter().zip(&y2).chain(jac.iter().zip(&j2)).enumerate() {
            assert!(
                (a - b).abs() <= 1e-13 * (1.0 + b.abs()),
                "alpha {alpha}: [{i}] formula {a}, dual numbers {b}"
            );
        }
        // gamma = -0: the base is -0 at lag 0, the same limits.
        let (_, jac) = jacobian(&f, &[0.0], &[0.3, -0.0, alpha, 1.01]);
        assert_eq!(jac, [1.0, 0.0, 0.0, 1.0], "alpha {alpha}, gamma -0");
    }
    // A constant exponent: PowF (0 < c < 1, c > 1), sqrt, PowI.
    for c in ["0.35", "0.5", "1.6", "3"] {
        let src = format!("beta1*exp(-2*(gamma*lag)^{c})+g_inf");
        let f = formula(&src, &["beta1", "gamma", "g_inf"], &["lag"]);
        let p = [0.3, 1.3, 1.01];
        let (y, jac) = jacobian(&f, &lags, &p);
        assert_eq!(y[0], 0.3 + 1.01, "{src}");
        assert_eq!(jac[..3], [1.0, 0.0, 1.0], "{src}");
        check_jacobian(&f, &lags, &p);
    }
}

/// Powers and functions at the edge of their domain, operand fixed (`du = 0`): 0 where the
/// limit exists; a moving operand keeps its infinite slope; poles stay non-finite.
#[test]
fn powers_and_roots_at_the_edge_of_their_domain() {
    let x = [0.0, 0.25, 2.0];
    for (src, p) in [
        // A power law of the data, the exponent a parameter: d/da (x^a) = x^a ln x -> 0.
        ("b*x^a", [0.6, 1.7]),
        ("b*x^a", [2.4, 1.7]),
        ("sqrt(a*x) + b", [1.7, 0.6]),
        ("(a*x)^0.3 * b", [1.7, 0.6]),
        ("(a*x)^b", [1.7, 0.6]),
        // u = 1 - a x = 1 at x = 0: asin and acos have infinite slopes at 1.
        ("asin(1 - a*x*x) + b", [0.2, 0.6]),
        ("acos(1 - a*x*x) * b", [0.2, 0.6]),
        // A parameter-only base (the uniform program): u = 0*a stays 0.
        ("(0*a)^b + x", [1.7, 0.6]),
        ("sqrt(0*a) + b*x", [1.7, 0.6]),
    ] {
        let f = formula(src, &["a", "b"], &["x"]);
        let (y, jac) = jacobian(&f, &x, &p);
        assert!(y.iter().all(|y| y.is_finite()), "{src}: {y:?}");
        assert!(jac.iter().all(|j| j.is_finite()), "{src}: {jac:?}");
        check_jacobian(&f, &x[1..], &p);
    }
    // The limits are the exact values: the function does not move with the parameter.
    let (_, jac) = jacobian(&formula("b*x^a", &["a", "b"], &["x"]), &[0.0], &[0.6, 1.7]);
    assert_eq!(jac, [0.0, 0.0]);
    let (_, jac) = jacobian(&formula("sqrt(a*x)", &["a"], &["x"]), &[0.0], &[1.7]);
    assert_eq!(jac, [0.0]);

    // A base that moves with the parameter: the one-sided slope, infinite for 0 < v < 1.
    for src in ["(a - x)^0.3", "sqrt(a - x)", "(a - x)^b"] {
        let f = formula(src, &["a", "b"], &["x"]);
        let (y, jac) = jacobian(&f, &[1.0], &[1.0, 0.3]);
        assert_eq!(y[0], 0.0, "{src}");
        assert_eq!(jac[0], f64::INFINITY, "{src}");
    }
    let (_, jac) = jacobian(&formula("(a - x)^1.5", &["a"], &["x"]), &[1.0], &[1.0]);
    assert_eq!(jac, [0.0]);

    // Poles: 0^v for v < 0 has no finite value or derivative; 0^v jumps at v = 0.
    for (src, b) in [
        ("(a*x)^b", -0.5),
        ("(a*x)^-0.5 + b", -0.5),
        ("(a*x)^-2 + b", -0.5),
        ("x^b * a", -1.5),
        ("(a*x)^b", 0.0),
    ] {
        let f = formula(src, &["a", "b"], &["x"]);
        let (y, jac) = jacobian(&f, &[0.0], &[1.7, b]);
        let derivative_in = |k: usize| jac[k].is_finite();
        if b < 0.0 {
            assert!(!y[0].is_finite(), "{src}: {y:?}");
            assert!(!derivative_in(0), "{src}: {jac:?}");
        } else {
            assert_eq!(y[0], 1.0, "{src}");
            assert!(!derivative_in(1), "{src}: {jac:?}");
        }
    }
}
