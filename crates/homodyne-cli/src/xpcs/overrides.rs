//! A configuration with keys set on top of its file: what `homodyne_rs.xpcs.fit(config,
//! analysis_mode="static", optimization__nlsq__sigma="auto")` fits.
//!
//! Each key is a dotted path of the configuration (`optimization.nlsq.sigma`), its value
//! any YAML value (a number, a string, a list, a mapping). The file is read as YAML into
//! its value tree, each key set in it (mappings on the way created where missing, a value
//! already there replaced), and the tree read as a configuration as the file would be: the
//! same checks, the same warnings, relative data paths against the file's folder. A key
//! that the configuration does not know is an error naming it (with the closest known key
//! when one is near), where a file's unknown key is only a warning: a key set from code is
//! a deliberate setting, and a misspelt one would silently do nothing.

use std::path::Path;

use homodyne_xpcs::XpcsError;
use homodyne_xpcs::config::XpcsConfig;
use serde_json::{Map, Value};

use super::pipeline::RunError;
use crate::failure::Failure;

/// One configuration key set on top of the file: its dotted path and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySetting {
    /// The dotted path, e.g. `optimization.nlsq.anti_degeneracy.per_angle_mode`.
    pub key: String,
    /// The value, as YAML would give it.
    pub value: Value,
}

/// The configuration of the file `path` (or of the keys alone, without a file) with
/// `settings` laid over it (module documentation). Without settings the file is read as
/// `homodyne xpcs --config` reads it. A setting of a key that the package knows and a
/// fit here does not use adds a warning saying it has no effect.
///
/// # Errors
///
/// Exit status 2: the file cannot be read or is not YAML ([`XpcsError::Io`],
/// [`XpcsError::ConfigSyntax`]), a key's path runs through a value that is not a mapping,
/// a key is unknown, or a value cannot be used (the configuration's own errors).
pub fn configuration_with(
    path: Option<&Path>,
    settings: &[KeySetting],
) -> Result<XpcsConfig, RunError> {
    let mut config = match (path, settings.is_empty()) {
        (Some(path), true) => return XpcsConfig::from_file(path).map_err(RunError::input),
        (None, true) => XpcsConfig::default(),
        (path, false) => {
            let mut tree = match path {
                Some(path) => read_tree(path)?,
                None => Map::new(),
            };
            for setting in settings {
                set(&mut tree, setting)?;
            }
            let text = Value::Object(tree).to_string();
            match path {
                Some(path) => {
                    let dir = path.parent().unwrap_or_else(|| Path::new(""));
                    XpcsConfig::from_yaml_str_in(&text, dir)
                }
                None => XpcsConfig::from_yaml_str(&text),
            }
            .map_err(RunError::input)?
        }
    };
    for setting in settings {
        let key = setting.key.as_str();
        let within = |other: &str| {
            other == key
                || other.starts_with(&format!("{key}."))
                || key.starts_with(&format!("{other}."))
        };
        if let Some(unknown) = config.unknown_keys.iter().find(|u| within(u)) {
            let quoted = format!("`{unknown}`");
            let message = config
                .warnings
                .iter()
                .find(|w| w.contains(&quoted))
                .map(|w| w.trim_end_matches("; ignored").to_owned())
                .unwrap_or_else(|| format!("unknown configuration key {quoted}"));
            let set_as = if unknown == key {
                String::new()
            } else {
                format!(" (in the setting of `{key}`)")
            };
            return Err(Failure::input(format!(
                "{message}{set_as}: the keys are those of the YAML configuration (`homodyne \
                 config --mode laminar_flow` writes them all)"
            ))
            .into());
        }
        if config.accepted_unused.iter().any(|a| within(a)) {
            config.warnings.push(format!(
                "configuration key `{key}` is one the Python package reads but this fit does \
                 not use: setting it has no effect"
            ));
        }
    }
    Ok(config)
}

/// The YAML file `path` as a value tree; its top level must be a mapping.
fn read_tree(path: &Path) -> Result<Map<String, Value>, RunError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        RunError::input(XpcsError::Io {
            path: path.to_path_buf(),
            action: "read".to_owned(),
            source,
        })
    })?;
    let syntax = |message: String| {
        RunError::input(XpcsError::ConfigSyntax {
            source_name: path.display().to_string(),
            message,
        })
    };
    match serde_saphyr::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(syntax("is not a mapping of sections".to_owned())),
        Err(e) => Err(syntax(e.to_string())),
    }
}

/// Sets `setting` in `tree`, creating the mappings on its path.
fn set(tree: &mut Map<String, Value>, setting: &KeySetting) -> Result<(), RunError> {
    let parts: Vec<&str> = setting.key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(Failure::input(format!(
            "configuration key `{}`: give a dotted path of key names, e.g. \
             `optimization.nlsq.sigma`",
            setting.key
        ))
        .into());
    }
    let (last, parents) = parts.split_last().expect("split gives at least one part");
    let mut map = tree;
    for (depth, part) in parents.iter().enumerate() {
        let entry = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if entry.is_null() {
            *entry = Value::Object(Map::new());
        }
        map = match entry {
            Value::Object(inner) => inner,
            other => {
                return Err(Failure::input(format!(
                    "configuration key `{}`: `{}` holds {}, not a mapping of keys",
                    setting.key,
                    parts[..=depth].join("."),
                    kind(other)
                ))
                .into());
            }
        };
    }
    map.insert(last.to_string(), setting.value.clone());
    Ok(())
}

/// What kind of value `value` is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(key: &str, value: Value) -> KeySetting {
        KeySetting {
            key: key.to_owned(),
            value,
        }
    }

    fn write(dir: &Path, text: &str) -> std::path::PathBuf {
        let path = dir.join("my.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn keys_are_laid_over_the_file_with_its_folder_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "analysis_mode: laminar_flow\nanalyzer_parameters:\n  dt: 0.1\n\
             experimental_data:\n  data_folder_path: data\n  data_file_name: a.h5\n",
        );
        let config = configuration_with(
            Some(&path),
            &[
                setting("analysis_mode", Value::from("static")),
                setting("analyzer_parameters.dt", Value::from(0.5)),
                setting("optimization.nlsq.sigma", Value::from("auto")),
            ],
        )
        .unwrap();
        assert_eq!(config.analysis_mode.name(), "static");
        assert_eq!(config.analyzer.dt, Some(0.5));
        assert_eq!(config.sigma, homodyne_xpcs::config::SigmaSetting::Auto);
        assert_eq!(
            config.experimental_data.data_folder_path,
            Some(dir.path().join("data"))
        );
        // Without settings, the file as the command line reads it.
        let plain = configuration_with(Some(&path), &[]).unwrap();
        assert_eq!(plain, XpcsConfig::from_file(&path).unwrap());
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it_and_the_closest_key() {
        let error = configuration_with(None, &[setting("analysis_mod", Value::from("static"))])
            .unwrap_err();
        assert_eq!(error.failure.status, 2);
        let message = error.failure.message;
        assert!(message.contains("`analysis_mod`"), "{message}");
        assert!(
            message.contains("did you mean `analysis_mode`"),
            "{message}"
        );
        let error = configuration_with(
            None,
            &[
                setting("analysis_mode", Value::from("static")),
                setting("analysis_mode.x", Value::from(1)),
            ],
        )
        .unwrap_err()
        .failure
        .message;
        assert!(error.contains("`analysis_mode` holds a string"), "{error}");
    }

    #[test]
    fn a_missing_file_names_it() {
        let error = configuration_with(
            Some(Path::new("/nonexistent/my.yaml")),
            &[setting("analysis_mode", Value::from("static"))],
        )
        .unwrap_err();
        assert!(error.failure.message.contains("/nonexistent/my.yaml"));
        assert!(matches!(error.cause, Some(XpcsError::Io { .. })));
    }

    #[test]
    fn a_known_unused_key_warns() {
        let config = configuration_with(
            None,
            &[setting("optimization.nlsq.max_iterations", Value::from(50))],
        )
        .unwrap();
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("optimization.nlsq.max_iterations") && w.contains("no effect")),
            "{:?}",
            config.warnings
        );
    }
}
