//! The parameters' sections read: `initial_parameters` (names, values, per-angle lists,
//! held values) and `parameter_space.bounds`.

use crate::config::document::{InitialSection, ParameterSpaceSection};
use crate::config::settings::{InitialParameters, ParameterBound};
use crate::config::value::{Field, LenientNumber, List, NamedValues, read_items};
use crate::error::XpcsError;
use crate::parameters::AnalysisMode;
use crate::parameters::names::{canonical_name_in, in_mode, listed_names};

/// The numbers of `items` at `key` (numbers or numeric strings).
pub(super) fn numbers(items: List<LenientNumber>, key: &str) -> Result<Vec<f64>, XpcsError> {
    Ok(read_items(items, key)?.into_iter().map(|n| n.0).collect())
}

/// The list of numbers at `key`; `None` when absent.
fn number_list(
    field: Field<List<LenientNumber>>,
    key: &str,
) -> Result<Option<Vec<f64>>, XpcsError> {
    field
        .get_as(key, "a list of numbers")?
        .map(|items| numbers(items, key))
        .transpose()
}

/// The canonical name of the parameter `name` at `key`, not among `seen`.
fn new_parameter(
    name: &str,
    mode: AnalysisMode,
    key: &str,
    seen: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<&'static str, XpcsError> {
    let canonical = canonical_name_in(name, mode).ok_or_else(|| {
        XpcsError::config_value(
            key,
            format!("{name:?} is no parameter; give one of {}", listed_names()),
        )
    })?;
    if seen.into_iter().any(|n| n.as_ref() == canonical) {
        return Err(XpcsError::config_value(
            key,
            format!("{canonical} is named twice"),
        ));
    }
    Ok(canonical)
}

/// `initial_parameters` of an analysis in `mode`; a name the mode does not have is a
/// warning.
pub(super) fn read_initial(
    s: InitialSection,
    mode: AnalysisMode,
    warnings: &mut Vec<String>,
) -> Result<InitialParameters, XpcsError> {
    const NAMES: &str = "initial_parameters.parameter_names";
    const VALUES: &str = "initial_parameters.values";
    let mut out = InitialParameters::default();
    let names = (s.parameter_names).get_as(NAMES, "a list of parameter names")?;
    for (i, item) in names.into_iter().flatten().enumerate() {
        let key = format!("{NAMES}[{i}]");
        let name = item.require_as(&key, "a parameter name")?;
        let canonical = new_parameter(&name, mode, &key, &out.parameter_names)?;
        if !in_mode(canonical, mode) {
            warnings.push(format!(
                "`{key}`: {canonical} is not a parameter of {} mode; its value is ignored",
                mode.name()
            ));
        }
        out.parameter_names.push(canonical.to_owned());
    }
    if let Some(values) = number_list(s.values, VALUES)? {
        if values.len() != out.parameter_names.len() {
            return Err(XpcsError::config_value(
                VALUES,
                format!(
                    "holds {} values for the {} names of `{NAMES}`; give one value per name",
                    values.len(),
                    out.parameter_names.len()
                ),
            ));
        }
        out.values = Some(values);
    }
    let per_angle = (s.per_angle_scaling).section("initial_parameters.per_angle_scaling")?;
    let contrast = number_list(
        per_angle.contrast,
        "initial_parameters.per_angle_scaling.contrast",
    )?;
    let offset = number_list(
        per_angle.offset,
        "initial_parameters.per_angle_scaling.offset",
    )?;
    match (contrast, offset) {
        (Some(c), Some(o)) if c.len() == o.len() && !c.is_empty() => {
            out.per_angle_contrast = Some(c);
            out.per_angle_offset = Some(o);
        }
        (None, None) => {}
        _ => warnings.push(
            "`initial_parameters.per_angle_scaling`: contrast and offset lists of the same \
             length are needed; both ignored, as the package ignores them"
                .to_owned(),
        ),
    }
    out.fixed_parameters = read_fixed_parameters(s.fixed_parameters, mode)?;
    Ok(out)
}

/// `initial_parameters.fixed_parameters`: a mapping of parameter names to values, by
/// canonical name, sorted by it (the order written does not matter).
fn read_fixed_parameters(
    field: Field<NamedValues<LenientNumber>>,
    mode: AnalysisMode,
) -> Result<Vec<(String, f64)>, XpcsError> {
    const KEY: &str = "initial_parameters.fixed_parameters";
    let entries = field
        .get_as(KEY, "a mapping of parameter names to values")?
        .unwrap_or_default();
    let mut out: Vec<(String, f64)> = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let key = format!("{KEY}.{name}");
        let canonical = new_parameter(&name, mode, &key, out.iter().map(|(n, _)| n))?;
        out.push((canonical.to_owned(), value.require(&key)?.0));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `parameter_space.bounds`, in file order; an entry for a name that is no parameter is
/// a warning.
pub(super) fn read_bounds(
    s: ParameterSpaceSection,
    mode: AnalysisMode,
    warnings: &mut Vec<String>,
) -> Result<Vec<ParameterBound>, XpcsError> {
    let entries = s.bounds.entries(
        "parameter_space.bounds",
        "a list of {name, min, max} entries",
    )?;
    let mut out = Vec::with_capacity(entries.len());
    for (path, entry) in entries {
        let name_key = format!("{path}.name");
        let name = entry.name.get(&name_key)?.ok_or_else(|| {
            XpcsError::config_value(&name_key, "is missing; give the parameter's name")
        })?;
        let min = entry.min.get(&format!("{path}.min"))?.map(|n| n.0);
        let max = entry.max.get(&format!("{path}.max"))?.map(|n| n.0);
        let fixed = entry.fixed.get(&format!("{path}.fixed"))?;
        if let (Some(lo), Some(hi)) = (min, max)
            && (lo.is_nan() || hi.is_nan() || lo > hi)
        {
            return Err(XpcsError::config_value(
                path,
                format!("min {lo} is not <= max {hi}"),
            ));
        }
        match canonical_name_in(&name, mode) {
            Some(canonical) => out.push(ParameterBound {
                name: canonical.to_owned(),
                min,
                max,
                fixed,
                path,
            }),
            None => warnings.push(format!(
                "`{name_key}`: {name:?} is no parameter; its bounds are ignored"
            )),
        }
    }
    Ok(out)
}
