//! Identifiability diagnostics (`homodyne::diagnostics`): AIC, BIC and the correlation
//! matrix against lmfit 1.3.4 (`tests/reference/diagnostics.py` wrote
//! `tests/data/diagnostics/reference.json`), and every kind of warning on a fit that
//! deserves it, with the parameters named and what to try.

use homodyne::diagnostics::{
    DEGENERATE_CORRELATION, Diagnostics, PairAdvice, Side, Warning, information_criteria,
};
use homodyne::prelude::*;
use homodyne::{ConvergenceStatus, InvalidInput, ParameterFlag};
use serde_json::Value;

mod common;
use common::decay::{Decay, DecayWithUnused, decay_data, decay_fit};
use common::{Staircase, floats, reference_json};

fn reference() -> Value {
    reference_json("tests/data/diagnostics/reference.json")
}

fn names_of(case: &Value) -> Vec<String> {
    (case["names"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

struct TwoExponentials;
impl GenericModel for TwoExponentials {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + p[2] * (p[3] * -x[0]).exp()
    }
}

/// The fit of reference case `key` as lmfit ran it: same data, start, weights and held
/// parameters.
fn fit_case(case: &Value) -> OptimizationResult {
    let x = floats(&case["x"]);
    let y = floats(&case["y"]);
    let start = floats(&case["start"]);
    let vary: Vec<bool> = (case["vary"].as_array().unwrap().iter())
        .map(|v| v.as_bool().unwrap())
        .collect();
    let fixed: Vec<Option<f64>> = (start.iter().zip(&vary))
        .map(|(&s, &v)| (!v).then_some(s))
        .collect();
    let sigma = case["sigma"].as_array().map(|_| floats(&case["sigma"]));
    let run = |model: &dyn Model| {
        let fit = Fit::curve(model, &x, &y).p0(&start).fixed(&fixed);
        match &sigma {
            Some(sigma) => fit.sigma(sigma).run(),
            None => fit.run(),
        }
    };
    if start.len() == 3 {
        run(&Decay::autodiff())
    } else {
        run(&AutoDiff::<_, 4>::new(TwoExponentials).unwrap())
    }
    .unwrap()
}

#[test]
fn criteria_are_lmfits_to_rounding() {
    let reference = reference();
    for (key, case) in reference["cases"].as_object().unwrap() {
        let chisqr = case["chisqr"].as_f64().unwrap();
        let ndata = case["ndata"].as_u64().unwrap() as usize;
        let nvarys = case["nvarys"].as_u64().unwrap() as usize;
        let (aic, bic) = information_criteria(chisqr, ndata, nvarys);
        let (want_aic, want_bic) = (case["aic"].as_f64().unwrap(), case["bic"].as_f64().unwrap());
        assert!(
            (aic - want_aic).abs() <= 1e-12 * want_aic.abs(),
            "{key}: {aic} {want_aic}"
        );
        assert!(
            (bic - want_bic).abs() <= 1e-12 * want_bic.abs(),
            "{key}: {bic} {want_bic}"
        );
    }
    // A worse chi-squared or one more parameter raises both.
    let (a0, b0) = information_criteria(1.0, 100, 3);
    let (a1, b1) = information_criteria(1.1, 100, 3);
    let (a2, b2) = information_criteria(1.0, 100, 4);
    assert!(a1 > a0 && b1 > b0);
    assert!((a2 - a0 - 2.0).abs() < 1e-12 && (b2 - b0 - 100f64.ln()).abs() < 1e-12);
}

#[test]
fn fits_give_lmfits_criteria_and_correlations() {
    let reference = reference();
    for key in ["decay", "decay_weighted"] {
        let case = &reference["cases"][key];
        let fit = fit_case(case);
        assert!(fit.converged(), "{key}: {fit}");
        let names = names_of(case);
        let diagnostics = Diagnostics::of(&fit, &names).compute().unwrap();
        let chisqr = case["chisqr"].as_f64().unwrap();
        assert!(
            (diagnostics.chi_squared / chisqr - 1.0).abs() < 1e-8,
            "{key}: {} {chisqr}",
            diagnostics.chi_squared
        );
        assert_eq!(
            diagnostics.n_varying,
            case["nvarys"].as_u64().unwrap() as usize
        );
        assert_eq!(
            diagnostics.n_points,
            case["ndata"].as_u64().unwrap() as usize
        );
        for what in ["aic", "bic"] {
            let ours = if what == "aic" {
                diagnostics.aic
            } else {
                diagnostics.bic
            };
            let want = case[what].as_f64().unwrap();
            assert!((ours - want).abs() < 1e-6, "{key} {what}: {ours} {want}");
        }
        let correl = case["correl"].as_array().unwrap();
        for (i, row) in correl.iter().enumerate() {
            for (j, want) in row.as_array().unwrap().iter().enumerate() {
                let ours = diagnostics.correlation.matrix[(i, j)];
                match want.as_f64() {
                    Some(want) => assert!(
                        (ours - want).abs() < 1e-6,
                        "{key} r[{i}][{j}]: {ours} {want}"
                    ),
                    None => assert!(ours.is_nan(), "{key} r[{i}][{j}] is undefined: {ours}"),
                }
            }
        }
        // A well-determined decay: nothing to warn about.
        assert_eq!(diagnostics.warnings, [], "{key}");
    }
}

#[test]
fn a_near_degenerate_pair_is_named_with_generic_or_domain_advice() {
    let reference = reference();
    let case = &reference["cases"]["two_exponentials"];
    let fit = fit_case(case);
    let names = names_of(case);
    let diagnostics = Diagnostics::of(&fit, &names).compute().unwrap();
    // a and c trade one exponential for the other: lmfit finds -0.99999.
    let r = diagnostics.correlation.get("a", "c").unwrap();
    assert!(r < -DEGENERATE_CORRELATION, "{r}");
    let degenerate = diagnostics.warnings_of("degenerate");
    assert!(!degenerate.is_empty());
    assert!(diagnostics.has_degeneracy());
    let first = degenerate[0];
    assert_eq!(
        first.parameters(),
        ["a", "c"],
        "largest first: {degenerate:?}"
    );
    let text = first.to_string();
    assert!(text.contains("a and c") && text.contains("-0.99"), "{text}");
    assert!(
        first.advice().contains("hold one of a and c fixed"),
        "{}",
        first.advice()
    );
    // Every pair beyond the threshold, and nothing below it.
    for w in &degenerate {
        let Warning::Degenerate { correlation, .. } = w else {
            unreachable!()
        };
        assert!(correlation.abs() > DEGENERATE_CORRELATION);
    }
    let expected = diagnostics
        .correlation
        .pairs_above(DEGENERATE_CORRELATION)
        .len();
    assert_eq!(degenerate.len(), expected);
    // lmfit's standard errors of a and c exceed their values: imprecise, by name.
    let imprecise: Vec<&str> = (diagnostics.warnings_of("imprecise").iter())
        .flat_map(|w| w.parameters())
        .collect();
    assert!(
        imprecise.contains(&"a") && imprecise.contains(&"c"),
        "{imprecise:?}"
    );
    for w in diagnostics.warnings_of("imprecise") {
        let Warning::Imprecise {
            value,
            standard_error,
            ..
        } = w
        else {
            unreachable!()
        };
        assert!(standard_error > &value.abs());
    }

    // A domain's advice for the pair replaces the generic one, for that pair only.
    let advice = |first: &str, second: &str| {
        (first == "a" && second == "c").then(|| "hold c at 0: one exponential".to_string())
    };
    let advised = Diagnostics::of(&fit, &names)
        .advice(&advice as &dyn PairAdvice)
        .compute()
        .unwrap();
    let by_pair = |d: &Diagnostics, pair: [&str; 2]| {
        d.warnings
            .iter()
            .find(|w| w.kind() == "degenerate" && w.parameters() == pair)
            .map(Warning::advice)
    };
    assert_eq!(
        by_pair(&advised, ["a", "c"]).unwrap(),
        "hold c at 0: one exponential"
    );
    if let Some(other) = by_pair(&advised, ["a", "b"]) {
        assert!(other.contains("hold one of a and b fixed"), "{other}");
    }
    assert_eq!(advised.warnings.len(), diagnostics.warnings.len());
}

#[test]
fn a_parameter_on_a_bound_is_named_with_its_side() {
    let data = decay_data();
    let model = Decay::autodiff();
    // c's optimum (0.4) lies above its upper bound 0.3.
    let (lower, upper) = (
        vec![f64::NEG_INFINITY, 0.0, -1.0],
        vec![f64::INFINITY, 10.0, 0.3],
    );
    let bounds = Bounds::new(lower.clone(), upper.clone()).unwrap();
    let fit = decay_fit(&model, &data).bounds(bounds).run().unwrap();
    let names = ["a", "b", "c"].map(String::from);
    let diagnostics = Diagnostics::of(&fit, &names)
        .bounds(&lower, &upper)
        .compute()
        .unwrap();
    let at_bound = diagnostics.warnings_of("at_bound");
    assert_eq!(at_bound.len(), 1, "{:?}", diagnostics.warnings);
    let Warning::AtBound {
        parameter,
        side,
        bound,
        ..
    } = at_bound[0]
    else {
        unreachable!()
    };
    assert_eq!((parameter.as_str(), *side, *bound), ("c", Side::Upper, 0.3));
    assert!(
        at_bound[0]
            .to_string()
            .contains("c = 0.3000 ended on its upper bound")
    );
    assert!(at_bound[0].advice().contains("widen c's upper bound"));
    // Without the bounds, the result's own flag finds it.
    let from_flags = Diagnostics::of(&fit, &names).compute().unwrap();
    assert_eq!(from_flags.warnings_of("at_bound").len(), 1);

    // A parameter the solver left a rounding step inside its bound is still on it.
    let mut inside = fit.clone();
    inside.parameters[2] = 0.3 * (1.0 - 1e-9);
    inside.parameter_flags[2] = ParameterFlag::Free;
    let d = Diagnostics::of(&inside, &names)
        .bounds(&lower, &upper)
        .compute()
        .unwrap();
    assert_eq!(d.warnings_of("at_bound").len(), 1);
    inside.parameters[2] = 0.29;
    let d = Diagnostics::of(&inside, &names)
        .bounds(&lower, &upper)
        .compute()
        .unwrap();
    assert!(d.warnings_of("at_bound").is_empty());
}

#[test]
fn undetermined_and_fixed_parameters_have_no_correlation_and_the_undetermined_are_named() {
    let (x, y) = decay_data();
    let model = AutoDiff::<_, 4>::new(DecayWithUnused).unwrap();
    let fit = Fit::curve(&model, &x, &y)
        .p0(&[1.0, 1.0, 0.4, 3.0])
        .fix(2, 0.4)
        .run()
        .unwrap();
    assert_eq!(fit.undetermined(), [3]);
    assert_eq!(fit.fixed(), [2]);
    let names = ["a", "b", "c", "unused"].map(String::from);
    let d = Diagnostics::of(&fit, &names).compute().unwrap();
    assert_eq!(
        d.n_varying, 3,
        "the undetermined one varies; the fixed one does not"
    );
    for k in 0..4 {
        for j in 0..4 {
            let r = d.correlation.matrix[(k, j)];
            assert_eq!(r.is_nan(), k >= 2 || j >= 2, "r[{k}][{j}] = {r}");
        }
    }
    assert_eq!(d.correlation.matrix[(0, 0)], 1.0);
    // Symmetric to the bit, whatever the rounding of the covariance.
    let mut skewed = fit.clone();
    skewed.covariance.matrix[(0, 1)] *= 1.0 + 1e-15;
    let d2 = Diagnostics::of(&skewed, &names).compute().unwrap();
    assert_eq!(
        d2.correlation.matrix[(0, 1)].to_bits(),
        d2.correlation.matrix[(1, 0)].to_bits()
    );
    assert_eq!(
        d.warnings,
        [Warning::Undetermined {
            parameter: "unused".to_string()
        }]
    );
    assert!(
        d.warnings[0]
            .to_string()
            .contains("do not determine unused")
    );
    assert!(d.warnings[0].advice().contains("hold unused fixed"));
    // The JSON: nulls for the undefined correlations, each warning with its fields.
    let json = d.to_json();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "aic",
        "bic",
        "n_points",
        "n_varying",
        "correlation",
        "warnings",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert_eq!(json["n_varying"], 3);
    assert_eq!(json["correlation"]["names"][3], "unused");
    assert_eq!(json["correlation"]["matrix"][0][0], 1.0);
    assert_eq!(json["correlation"]["matrix"][0][2], Value::Null);
    assert_eq!(json["correlation"]["matrix"][3][3], Value::Null);
    let warning = &json["warnings"][0];
    assert_eq!(warning["kind"], "undetermined");
    assert_eq!(warning["parameters"], serde_json::json!(["unused"]));
    assert_eq!(warning["message"], d.warnings[0].to_string());
    assert_eq!(warning["advice"], d.warnings[0].advice());
    assert!((json["aic"].as_f64().unwrap() - d.aic).abs() == 0.0);
}

#[test]
fn a_stalled_or_unfinished_fit_is_said_first() {
    let (model, x, y) = Staircase::problem();
    let fit = Fit::curve(&model, &x, &y).p0(&[0.2]).run().unwrap();
    assert_eq!(fit.convergence_status, ConvergenceStatus::Stalled);
    let names = ["a".to_string()];
    let d = Diagnostics::of(&fit, &names).compute().unwrap();
    assert_eq!(
        d.warnings.first(),
        Some(&Warning::Stalled),
        "{:?}",
        d.warnings
    );
    assert!(d.warnings[0].to_string().contains("stalled"));
    assert_eq!(
        d.warnings[0].advice(),
        ConvergenceStatus::Stalled.advice().unwrap()
    );
    assert!(d.warnings[0].parameters().is_empty());

    let data = decay_data();
    let decay = Decay::autodiff();
    let fit = decay_fit(&decay, &data)
        .options(SolverOptions {
            max_nfev: Some(2),
            ..SolverOptions::default()
        })
        .wrapper(NlsqWrapper::builder().enable_recovery(false).build())
        .run()
        .unwrap();
    assert_eq!(
        fit.convergence_status,
        ConvergenceStatus::MaxEvaluationsReached
    );
    let names = ["a", "b", "c"].map(String::from);
    let d = Diagnostics::of(&fit, &names).compute().unwrap();
    assert_eq!(d.warnings.first(), Some(&Warning::OutOfBudget));
    assert!(d.warnings[0].advice().contains("max_nfev"));
}

#[test]
fn inconsistent_inputs_are_typed_errors() {
    let data = decay_data();
    let model = Decay::autodiff();
    let fit = decay_fit(&model, &data).run().unwrap();
    let two = ["a", "b"].map(String::from);
    let error = Diagnostics::of(&fit, &two).compute().unwrap_err();
    assert_eq!(
        error.invalid_input(),
        Some(&InvalidInput::WrongParameterCount {
            what: "the parameter names",
            expected: 3,
            got: 2
        })
    );
    let names = ["a", "b", "c"].map(String::from);
    let error = Diagnostics::of(&fit, &names)
        .bounds(&[0.0; 3], &[1.0; 2])
        .compute()
        .unwrap_err();
    assert!(
        error.to_string().contains("the upper bounds has 2 entries"),
        "{error}"
    );
    // Statistics given in place of the result's.
    let d = Diagnostics::of(&fit, &names)
        .statistics(2.0 * fit.chi_squared, 40)
        .compute()
        .unwrap();
    let (aic, bic) = information_criteria(2.0 * fit.chi_squared, 40, 3);
    assert_eq!((d.aic, d.bic, d.n_points), (aic, bic, 40));
}
