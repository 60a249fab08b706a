//! `optimization.nlsq.sigma`: absent or `null` is an unweighted fit, `auto` estimates each
//! angle's noise from the data; anything else is refused naming the key.

use homodyne_xpcs::XpcsError;
use homodyne_xpcs::config::{SigmaSetting, XpcsConfig};

/// A static configuration with `optimization.nlsq.sigma: <value>`.
fn with_sigma(value: &str) -> Result<XpcsConfig, XpcsError> {
    XpcsConfig::from_yaml_str(&format!(
        "analysis_mode: static\noptimization:\n  nlsq:\n    sigma: {value}\n"
    ))
}

#[test]
fn auto_null_and_absent() {
    let auto = with_sigma("auto").unwrap();
    assert_eq!(auto.sigma, SigmaSetting::Auto);
    assert!(auto.unknown_keys.is_empty(), "{:?}", auto.unknown_keys);
    assert!(
        auto.accepted_unused.is_empty(),
        "{:?}",
        auto.accepted_unused
    );
    assert_eq!(with_sigma("null").unwrap().sigma, SigmaSetting::Unweighted);
    let absent = XpcsConfig::from_yaml_str("analysis_mode: static\n").unwrap();
    assert_eq!(absent.sigma, SigmaSetting::Unweighted);
    assert_eq!(SigmaSetting::Auto.name(), "auto");
}

#[test]
fn a_wrong_value_is_refused_naming_the_key() {
    let error = with_sigma("automatic").unwrap_err();
    assert!(matches!(error, XpcsError::ConfigValue { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("optimization.nlsq.sigma"), "{message}");
    assert!(message.contains("\"automatic\""), "{message}");

    let error = with_sigma("0.01").unwrap_err();
    assert!(matches!(error, XpcsError::ConfigType { .. }), "{error:?}");
    assert!(
        error.to_string().contains("optimization.nlsq.sigma"),
        "{error}"
    );
}
