//! The keys of every section: those a fit reads (the fields of the section's struct in
//! [`super::document`]), those the package knows and a fit here does not use, and what is
//! said of a key that is neither.
//!
//! `serde_ignored` reports each key the structs do not name, with its path. A key the
//! package knows is listed in [`XpcsConfig::accepted_unused`](super::XpcsConfig) by its
//! dotted path (`parameter_space.bounds[2].prior_mu`); any other is unknown: listed in
//! `unknown_keys`, with a warning naming the closest known key of its section when one is
//! within `max(2, len / 4)` edits (Levenshtein, from `strsim`).

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_ignored::Path;

use super::document::{
    AnalyzerSection, AntiDegeneracySection, BoundEntry, Document, ExperimentalSection,
    GeometrySection, InitialSection, MultiStartSection, NlsqSection, OptimizationSection,
    OutputSection, ParameterSpaceSection, PerAngleScalingSection, PerformanceSection,
    PhiFilteringSection, ScatteringSection, StreamingSection, TargetRangeEntry, V2FeaturesSection,
};
use super::value::Section;

/// The keys of one section.
struct SectionKeys {
    /// The keys a fit reads: the fields of the section's struct.
    read: &'static [&'static str],
    /// The keys the package knows and a fit here does not use ([`Section::UNUSED`]).
    unused: &'static [&'static str],
}

/// The keys of the section `T`.
fn keys_of<T: Section>() -> SectionKeys {
    SectionKeys {
        read: fields::<T>(),
        unused: T::UNUSED,
    }
}

/// The keys of the section at `path`, `[]` standing for any index of a list
/// (`parameter_space.bounds[]`); `None` for a path that is no section.
fn section_keys(path: &str) -> Option<SectionKeys> {
    Some(match path {
        "" => keys_of::<Document>(),
        "analyzer_parameters" => keys_of::<AnalyzerSection>(),
        "analyzer_parameters.scattering" => keys_of::<ScatteringSection>(),
        "analyzer_parameters.geometry" => keys_of::<GeometrySection>(),
        "experimental_data" => keys_of::<ExperimentalSection>(),
        "experimental_data.geometry" => keys_of::<GeometrySection>(),
        "initial_parameters" => keys_of::<InitialSection>(),
        "initial_parameters.per_angle_scaling" => keys_of::<PerAngleScalingSection>(),
        "parameter_space" => keys_of::<ParameterSpaceSection>(),
        "parameter_space.bounds[]" => keys_of::<BoundEntry>(),
        "optimization" => keys_of::<OptimizationSection>(),
        "optimization.nlsq" => keys_of::<NlsqSection>(),
        "optimization.nlsq.anti_degeneracy" => keys_of::<AntiDegeneracySection>(),
        "optimization.nlsq.multi_start" => keys_of::<MultiStartSection>(),
        "optimization.streaming" => keys_of::<StreamingSection>(),
        "performance" => keys_of::<PerformanceSection>(),
        "phi_filtering" => keys_of::<PhiFilteringSection>(),
        "phi_filtering.target_ranges[]" => keys_of::<TargetRangeEntry>(),
        "output" => keys_of::<OutputSection>(),
        "v2_features" => keys_of::<V2FeaturesSection>(),
        _ => return None,
    })
}

/// A key no section's struct reads, as `serde_ignored` found it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IgnoredKey {
    /// Its section's dotted path, with list indices: `parameter_space.bounds[0]`.
    section: String,
    /// Its section's path with `[]` for every index: `parameter_space.bounds[]`.
    section_kind: String,
    /// The key.
    key: String,
}

impl IgnoredKey {
    /// The key at `path`; `None` for a path that ends in no key (a list's item).
    pub(super) fn new(path: &Path) -> Option<Self> {
        let Path::Map { parent, key } = unwrap(path) else {
            return None;
        };
        let (mut section, mut section_kind) = (String::new(), String::new());
        write_path(parent, &mut section, &mut section_kind);
        Some(Self {
            section,
            section_kind,
            key: key.clone(),
        })
    }

    /// The key's dotted path: `parameter_space.bounds[0].maximum`.
    fn path(&self) -> String {
        join(&self.section, &self.key)
    }
}

/// `path` without the wrappers serde adds around a value (`Some`, newtypes).
fn unwrap<'a>(path: &'a Path<'a>) -> &'a Path<'a> {
    match path {
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => unwrap(parent),
        other => other,
    }
}

/// Appends the dotted path of `path` to `shown` (with indices) and to `kind` (with `[]`).
fn write_path(path: &Path, shown: &mut String, kind: &mut String) {
    match unwrap(path) {
        Path::Seq { parent, index } => {
            write_path(parent, shown, kind);
            shown.push_str(&format!("[{index}]"));
            kind.push_str("[]");
        }
        Path::Map { parent, key } => {
            write_path(parent, shown, kind);
            for out in [&mut *shown, &mut *kind] {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
        }
        // The root (the wrappers are unwrapped).
        _ => {}
    }
}

/// `section.key`, or `key` at the top level.
fn join(section: &str, key: &str) -> String {
    if section.is_empty() {
        key.to_owned()
    } else {
        format!("{section}.{key}")
    }
}

/// What the configuration says of the keys no section reads.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct KeyReport {
    /// Dotted paths of the unknown keys.
    pub(super) unknown: Vec<String>,
    /// Dotted paths of the keys the package knows and a fit here does not use.
    pub(super) accepted: Vec<String>,
    /// One message per unknown key.
    pub(super) warnings: Vec<String>,
}

impl KeyReport {
    /// Sorts each of `ignored` into accepted or unknown, with a "did you mean" for an
    /// unknown key close to a known one.
    pub(super) fn new(ignored: &[IgnoredKey]) -> Self {
        let mut report = Self::default();
        for found in ignored {
            let section = section_keys(&found.section_kind);
            let path = found.path();
            if section
                .as_ref()
                .is_some_and(|s| s.unused.contains(&found.key.as_str()))
            {
                report.accepted.push(path);
                continue;
            }
            let known = section.iter().flat_map(|s| s.read.iter().chain(s.unused));
            let nearest = known
                .map(|k| (strsim::levenshtein(&found.key, k), *k))
                .filter(|(distance, k)| *distance <= 2.max(k.len() / 4))
                .min();
            report.warnings.push(match nearest {
                Some((_, k)) => format!(
                    "unknown key `{path}` (did you mean `{}`?); ignored",
                    join(&found.section, k)
                ),
                None => format!("unknown key `{path}`; ignored"),
            });
            report.unknown.push(path);
        }
        report
    }
}

/// The keys of the struct `T` (its serde field names), as its derived `Deserialize` names
/// them to a deserialiser.
fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    // The deserialiser only records the names: the error that follows is expected.
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

/// A deserialiser that records the field names a struct asks it for, and gives nothing.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::value::Field;

    /// Every section path the document has, with `[]` for list entries.
    const PATHS: [&str; 19] = [
        "",
        "analyzer_parameters",
        "analyzer_parameters.scattering",
        "analyzer_parameters.geometry",
        "experimental_data",
        "experimental_data.geometry",
        "initial_parameters",
        "initial_parameters.per_angle_scaling",
        "parameter_space",
        "parameter_space.bounds[]",
        "optimization",
        "optimization.nlsq",
        "optimization.nlsq.anti_degeneracy",
        "optimization.streaming",
        "performance",
        "phi_filtering",
        "phi_filtering.target_ranges[]",
        "output",
        "v2_features",
    ];

    #[test]
    fn a_sections_keys_are_its_fields_and_its_unused_keys_apart() {
        let bounds = section_keys("parameter_space.bounds[]").unwrap();
        assert_eq!(bounds.read, ["name", "min", "max", "fixed"]);
        assert_eq!(bounds.unused, ["type", "prior_mu", "prior_sigma", "unit"]);
        for path in PATHS {
            let keys = section_keys(path).unwrap();
            assert!(!keys.read.is_empty(), "{path:?}");
            for key in keys.unused {
                assert!(!keys.read.contains(key), "{path:?}: {key} read and unused");
            }
        }
        assert!(section_keys("analyzer_parameters.dt").is_none());
    }

    #[test]
    fn keys_in_lists_are_named_by_index_and_sorted_by_their_section() {
        let value = serde_json::json!({
            "parameter_space": {
                "bounds": [{"name": "D0"}, {"name": "alpha", "prior_mu": 1, "mx": 2}],
            },
            "outptu": {},
        });
        let mut ignored = Vec::new();
        let _: Field<Document> =
            serde_ignored::deserialize(&value, |path| ignored.extend(IgnoredKey::new(&path)))
                .unwrap();
        let report = KeyReport::new(&ignored);
        assert_eq!(report.accepted, ["parameter_space.bounds[1].prior_mu"]);
        let mut unknown = report.unknown.clone();
        unknown.sort();
        assert_eq!(unknown, ["outptu", "parameter_space.bounds[1].mx"]);
        let said = report.warnings.join("\n");
        assert!(
            said.contains("(did you mean `parameter_space.bounds[1].max`?)"),
            "{said}"
        );
        assert!(said.contains("`outptu` (did you mean `output`?)"), "{said}");
    }
}
