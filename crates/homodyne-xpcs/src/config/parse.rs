//! Reading a configuration: YAML text to its value tree, the tree to the typed sections of
//! [`super::document`] (the keys they do not read sorted by [`super::keys`]), the
//! sections to an [`XpcsConfig`] ([`super::read`]).

use std::path::Path;

use serde_json::Value;

use super::document::Document;
use super::keys::{IgnoredKey, KeyReport};
use super::read::read_document;
use super::value::{Field, describe};
use super::xpcs_config::XpcsConfig;
use crate::error::XpcsError;

impl XpcsConfig {
    /// Reads a configuration from YAML (or JSON) text. Relative paths are kept as
    /// written (relative to the working directory, as the package takes them).
    ///
    /// # Errors
    ///
    /// [`XpcsError::ConfigSyntax`] for text that is not YAML or whose top level is not a
    /// mapping; [`XpcsError::ConfigType`] and [`XpcsError::ConfigValue`] naming the key
    /// of a value that cannot be used.
    pub fn from_yaml_str(text: &str) -> Result<Self, XpcsError> {
        Self::parse(text, "<string>", None)
    }

    /// Reads YAML text whose relative data paths are relative to `dir`.
    ///
    /// # Errors
    ///
    /// As [`XpcsConfig::from_yaml_str`].
    pub fn from_yaml_str_in(text: &str, dir: impl AsRef<Path>) -> Result<Self, XpcsError> {
        Self::parse(text, "<string>", Some(dir.as_ref()))
    }

    /// Reads the configuration file `path`; relative data paths are resolved against
    /// its folder.
    ///
    /// # Errors
    ///
    /// [`XpcsError::Io`] when the file cannot be read, else as
    /// [`XpcsConfig::from_yaml_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, XpcsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| XpcsError::Io {
            path: path.to_path_buf(),
            action: "read".to_owned(),
            source,
        })?;
        let dir = path.parent().unwrap_or_else(|| Path::new(""));
        Self::parse(&text, &path.display().to_string(), Some(dir))
    }

    fn parse(text: &str, source_name: &str, base: Option<&Path>) -> Result<Self, XpcsError> {
        let syntax = |message: String| XpcsError::ConfigSyntax {
            source_name: source_name.to_owned(),
            message,
        };
        let value: Value = serde_saphyr::from_str(text).map_err(|e| syntax(e.to_string()))?;
        let mut ignored = Vec::new();
        let document: Field<Document> =
            serde_ignored::deserialize(&value, |path| ignored.extend(IgnoredKey::new(&path)))
                .map_err(|e| syntax(e.to_string()))?;
        let document = match document {
            Field::Given(document) => document,
            Field::Absent => {
                return Err(syntax("is empty; give a YAML mapping of sections".into()));
            }
            Field::Wrong(other) => {
                return Err(syntax(format!(
                    "is {}, not a mapping of sections",
                    describe(&other)
                )));
            }
        };
        let keys = KeyReport::new(&ignored);
        let mut warnings = keys.warnings;
        let config = read_document(document, base, &mut warnings)?;
        Ok(Self {
            unknown_keys: keys.unknown,
            accepted_unused: [keys.accepted, config.accepted_unused.clone()].concat(),
            warnings,
            ..config
        })
    }
}
