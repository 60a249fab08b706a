//! Every documented `per_angle_mode`: the `fourier_order` and `fourier_auto_threshold` keys,
//! the plan each mode gives for a number of angles, and what the configuration's bounds
//! and held values mean for a Fourier series.

use homodyne_xpcs::config::{
    DEFAULT_FOURIER_AUTO_THRESHOLD, PerAngleMode, ScalingPlan, XpcsConfig, config_template,
};
use homodyne_xpcs::{AnalysisMode, ParameterLayout, ScalingMode, XpcsError};

/// A configuration with these `optimization.nlsq.anti_degeneracy` lines (indented).
fn anti_degeneracy(lines: &str) -> String {
    format!("analysis_mode: static\noptimization:\n  nlsq:\n    anti_degeneracy:\n{lines}\n")
}

fn read(text: &str) -> XpcsConfig {
    let config = XpcsConfig::from_yaml_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
    config
}

#[test]
fn fourier_keys_are_read_and_no_longer_unused() {
    let config = read(&anti_degeneracy(
        "      per_angle_mode: fourier\n      fourier_order: 3\n      fourier_auto_threshold: 10",
    ));
    let scaling = config.per_angle_scaling;
    assert_eq!(scaling.mode, PerAngleMode::Fourier);
    assert_eq!(
        (scaling.fourier_order, scaling.fourier_auto_threshold),
        (3, 10)
    );
    assert!(
        !config.accepted_unused.iter().any(|k| k.contains("fourier")),
        "{:?}",
        config.accepted_unused
    );
    // The package's defaults.
    let config = read(&anti_degeneracy("      per_angle_mode: auto"));
    assert_eq!(config.per_angle_scaling.fourier_order, 2);
    assert_eq!(
        config.per_angle_scaling.fourier_auto_threshold,
        DEFAULT_FOURIER_AUTO_THRESHOLD
    );
    assert_eq!(DEFAULT_FOURIER_AUTO_THRESHOLD, 6);
}

#[test]
fn a_fourier_order_below_one_is_refused_naming_the_key() {
    for (value, found) in [("0", "is 0"), ("-2", "is -2")] {
        let text = anti_degeneracy(&format!("      fourier_order: {value}"));
        match XpcsConfig::from_yaml_str(&text) {
            Err(XpcsError::ConfigValue { key, message }) => {
                assert_eq!(key, "optimization.nlsq.anti_degeneracy.fourier_order");
                assert!(
                    message.contains(found) && message.contains(">= 1"),
                    "{message}"
                );
            }
            other => panic!("{value}: {other:?}"),
        }
    }
    match XpcsConfig::from_yaml_str(&anti_degeneracy("      fourier_order: two")) {
        Err(XpcsError::ConfigType { key, .. }) => {
            assert_eq!(key, "optimization.nlsq.anti_degeneracy.fourier_order")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_mode_plans_as_documented() {
    let plan = |mode: &str, extra: &str, n_phi: usize| {
        read(&anti_degeneracy(&format!(
            "      per_angle_mode: {mode}\n{extra}"
        )))
        .per_angle_scaling
        .plan(n_phi)
    };
    let fourier2 = ScalingMode::Fourier { order: 2 };
    // Shared, this Fourier series and individual scaling, compared by evidence.
    let with_fourier = |fourier| {
        ScalingPlan::ChooseByEvidence(vec![
            ScalingMode::Constant,
            fourier,
            ScalingMode::Individual,
        ])
    };
    assert_eq!(
        plan("individual", "", 8),
        ScalingPlan::Fit(ScalingMode::Individual)
    );
    assert_eq!(plan("constant", "", 8), ScalingPlan::HeldAtEstimate);
    assert_eq!(plan("constant", "", 1), ScalingPlan::HeldAtEstimate);
    assert_eq!(plan("fourier", "", 5), ScalingPlan::Fit(fourier2));
    // Fewer angles than coefficients: the package's fallback to individual scaling.
    assert_eq!(
        plan("fourier", "", 4),
        ScalingPlan::Fit(ScalingMode::Individual)
    );
    assert_eq!(
        plan("fourier", "      fourier_order: 1", 3),
        ScalingPlan::Fit(ScalingMode::Fourier { order: 1 })
    );
    // auto: per angle below the threshold, then shared, Fourier and individual compared.
    assert_eq!(
        plan("auto", "", 2),
        ScalingPlan::Fit(ScalingMode::Individual)
    );
    let without_fourier =
        ScalingPlan::ChooseByEvidence(vec![ScalingMode::Constant, ScalingMode::Individual]);
    assert_eq!(plan("auto", "", 3), without_fourier);
    assert_eq!(plan("auto", "", 6), without_fourier);
    assert_eq!(plan("auto", "", 7), with_fourier(fourier2));
    // Above the threshold but too few angles for the order's coefficients.
    assert_eq!(plan("auto", "      fourier_order: 4", 8), without_fourier);
    assert_eq!(
        plan("auto", "      fourier_order: 4", 9),
        with_fourier(ScalingMode::Fourier { order: 4 })
    );
    assert_eq!(
        plan(
            "auto",
            "      constant_scaling_threshold: 5\n      fourier_auto_threshold: 2",
            4
        ),
        ScalingPlan::Fit(ScalingMode::Individual)
    );
    assert_eq!(
        plan("auto", "      fourier_auto_threshold: 2", 5),
        with_fourier(fourier2)
    );
}

#[test]
fn the_fourier_fallback_is_said() {
    let config = read(&anti_degeneracy("      per_angle_mode: fourier"));
    let note = config.per_angle_scaling.plan_note(4).expect("a note");
    for part in ["fourier", "at least 5 angles", "have 4", "individual"] {
        assert!(note.contains(part), "{part} not in {note}");
    }
    assert_eq!(config.per_angle_scaling.plan_note(5), None);
    let auto = read(&anti_degeneracy("      per_angle_mode: auto"));
    assert_eq!(auto.per_angle_scaling.plan_note(4), None);
}

/// Configured contrast and offset bounds bound per-angle values; a series' coefficients
/// take the package's defaults. A held contrast is the constant series; per-angle held
/// values cannot be a series and are refused.
#[test]
fn bounds_and_held_values_of_a_series() {
    let text = "analysis_mode: static\n\
                initial_parameters:\n  values: null\n  per_angle_scaling:\n    contrast: [0.2, 0.3, 0.3, 0.3, 0.3]\n    offset: [1.0, 1.0, 1.0, 1.0, 1.0]\n\
                parameter_space:\n  bounds:\n    - {name: contrast, min: 0.05, max: 0.6}\n    - {name: offset, fixed: 1.02}\n";
    let config = read(text);
    let fourier = ParameterLayout::new(AnalysisMode::Static, ScalingMode::Fourier { order: 2 }, 5);
    let (lower, upper) = config.layout_bounds(&fourier);
    let (default_lower, default_upper) = fourier.default_bounds();
    assert_eq!(lower[..10], default_lower[..10]);
    assert_eq!(upper[..10], default_upper[..10]);
    assert_eq!((lower[0], upper[0]), (0.1, 0.8));
    assert_eq!((lower[10], upper[10]), (1e2, 1e5));
    let individual = ParameterLayout::new(AnalysisMode::Static, ScalingMode::Individual, 5);
    assert_eq!(config.layout_bounds(&individual).0[0], 0.05);

    let fixed = config.layout_fixed(&fourier).unwrap();
    assert_eq!(
        fixed[..10],
        [
            None,
            None,
            None,
            None,
            None,
            Some(1.02),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0)
        ]
    );
    let held_per_angle = format!("{text}    - {{name: contrast, fixed: true}}\n");
    let config = read(&held_per_angle);
    match config.layout_fixed(&fourier) {
        Err(XpcsError::ConfigValue { key, message }) => {
            assert_eq!(key, "initial_parameters.per_angle_scaling.contrast");
            assert!(message.contains("Fourier series"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_template_writes_the_fourier_keys_and_reads_back_clean() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let text = config_template(mode);
        assert!(text.contains("fourier_order: 2"), "{text}");
        assert!(text.contains("fourier_auto_threshold: 6"), "{text}");
        let config = read(&text);
        assert_eq!(config.per_angle_scaling.fourier_order, 2);
        assert!(
            !config.accepted_unused.iter().any(|k| k.contains("fourier")),
            "{:?}",
            config.accepted_unused
        );
    }
}
