//! The XPCS configuration (`homodyne_xpcs::XpcsConfig`): YAML (or JSON) text read into
//! the typed configuration, then the settings derived from it (load options, data
//! location, bounds, the per-angle scaling plan).
//!
//! The input is structured ([`arbitrary`]): raw text, or one of the package's templates
//! (`config_template`, every section and key a user may write) with edits: a line's value
//! replaced by a hostile one (negative, NaN, huge, a list, a string, an anchor), a line
//! removed or repeated, or text inserted. Raw bytes alone almost never make a YAML mapping
//! with the keys the settings check.
#![no_main]

use arbitrary::Arbitrary;
use homodyne_fuzz as _;
use homodyne_xpcs::{
    AnalysisMode, ParameterLayout, ScalingMode, XpcsConfig, config::ScalingPlan, config_template,
};
use libfuzzer_sys::fuzz_target;

const VALUES: [&str; 24] = [
    "-1",
    "0",
    "1e308",
    "-1e308",
    ".nan",
    ".inf",
    "-.inf",
    "1e-320",
    "18446744073709551616",
    "-9223372036854775809",
    "[]",
    "{}",
    "[1, 2, 3]",
    "[.nan, 1]",
    "''",
    "null",
    "~",
    "true",
    "x",
    "&a 1",
    "*a",
    "!!binary AAAA",
    "[[1, 2], [3]]",
    "{a: [b]}",
];

#[derive(Debug, Arbitrary)]
enum Edit {
    /// Line `line` (modulo the line count) gets the value `VALUES[value]` after its colon.
    Value { line: u16, value: u8 },
    /// Line `line` gets `text` after its colon.
    Text { line: u16, text: String },
    /// Line `line` is removed.
    Remove(u16),
    /// Line `line` is written twice (a duplicate key, or a list entry more).
    Repeat(u16),
    /// `text` is inserted as a line before `line`.
    Insert { line: u16, text: String },
}

#[derive(Debug, Arbitrary)]
enum Input {
    Raw(String),
    Template { laminar: bool, edits: Vec<Edit> },
}

fn edited(template: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = template.lines().map(str::to_owned).collect();
    for edit in edits.iter().take(16) {
        if lines.is_empty() {
            break;
        }
        let at = |line: &u16| *line as usize % lines.len();
        let set = |line: &mut String, value: &str| {
            if let Some(colon) = line.find(": ").or_else(|| line.rfind(':')) {
                line.truncate(colon + 1);
                line.push(' ');
                line.push_str(value);
            }
        };
        match edit {
            Edit::Value { line, value } => {
                let k = at(line);
                set(&mut lines[k], VALUES[*value as usize % VALUES.len()]);
            }
            Edit::Text { line, text } => {
                let k = at(line);
                set(&mut lines[k], text);
            }
            Edit::Remove(line) => {
                let k = at(line);
                lines.remove(k);
            }
            Edit::Repeat(line) => {
                let k = at(line);
                lines.insert(k, lines[k].clone());
            }
            Edit::Insert { line, text } => {
                let k = at(line);
                lines.insert(k, text.clone());
            }
        }
    }
    lines.join("\n")
}

fuzz_target!(|input: Input| {
    let text = match &input {
        Input::Raw(text) => text.clone(),
        Input::Template { laminar, edits } => {
            let mode = if *laminar {
                AnalysisMode::LaminarFlow
            } else {
                AnalysisMode::Static
            };
            edited(&config_template(mode), edits)
        }
    };
    let Ok(config) = XpcsConfig::from_yaml_str(&text) else {
        return;
    };
    let _ = config.dt();
    let _ = config.stator_rotor_gap();
    let _ = config.configured_gap();
    let _ = config.load_options();
    let _ = config.data_location();
    for n_phi in [1, 2, 3, 23] {
        let _ = config.per_angle_scaling.plan(n_phi);
        let _ = config.per_angle_scaling.plan_note(n_phi);
        let _ = config.per_angle_scaling.fourier_fits(n_phi);
        // The layouts a fit of `n_phi` angles builds: the plan's (a Fourier series only
        // where the angles determine it, as the pipeline does), and the two that need no
        // series.
        let planned = match config.per_angle_scaling.plan(n_phi) {
            ScalingPlan::Fit(scaling) => vec![scaling],
            ScalingPlan::HeldAtEstimate => vec![ScalingMode::Constant],
            ScalingPlan::ChooseByEvidence(modes) => modes,
        };
        for scaling in [ScalingMode::Individual, ScalingMode::Constant]
            .into_iter()
            .chain(planned)
        {
            let layout = ParameterLayout::new(config.analysis_mode, scaling, n_phi);
            let (lower, upper) = config.layout_bounds(&layout);
            assert_eq!(
                lower.len(),
                upper.len(),
                "one lower and one upper bound each"
            );
        }
    }
});
