//! `parameters.json`: the fitted values and uncertainties by name, the per-angle contrasts
//! and offsets (with the Fourier coefficients they come from, for that scaling), and what
//! chi-squared was computed with (the module documentation of `output` describes every
//! key).

use serde_json::{Map, Value, json};

use crate::parameters::ScalingMode;

use super::inputs::NlsqOutputs;
use super::parameter_flags::{marker, summary_marker, uncertainty};
use super::statistics::{Statistics, status_name};

/// `{value, uncertainty}`, with `flag` added for a parameter held fixed or undetermined.
fn value_and_uncertainty(value: f64, uncertainty: f64, flag: Option<&str>) -> Value {
    let mut fields = json!({"value": value, "uncertainty": uncertainty});
    if let Some(flag) = flag {
        fields["flag"] = json!(flag);
    }
    fields
}

/// Mean of the non-NaN values; NaN when there is none.
fn nan_mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .into_iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// One kind (contrast or offset) of every angle's scaling: values, uncertainties (NaN
/// where flagged) and flags.
struct PerAngleKind {
    values: Vec<f64>,
    uncertainties: Vec<f64>,
    markers: Vec<Option<&'static str>>,
}

/// The per-angle contrasts (`first = 0`) or offsets (`first = n_scaling_groups`) of the
/// fit. With individual or constant scaling each angle's value is one parameter's; with a
/// Fourier series it is `B_k a` over the coefficients `a` ([`crate::scaling`]), with the
/// uncertainty `sqrt(B_k C_a B_k^T)` (`C_a` the coefficients' covariance block: the
/// diagonal of `B C_a B^T`), `undetermined` when any coefficient it depends on is, and
/// `fixed` when all of them are.
fn per_angle_kind(outputs: &NlsqOutputs, first: usize) -> PerAngleKind {
    let model = outputs.model;
    let layout = model.layout();
    let result = outputs.result;
    let p = &result.parameters;
    let n_phi = model.phi().len();
    if !matches!(layout.scaling, ScalingMode::Fourier { .. }) {
        let index = |k: usize| {
            if first == 0 {
                layout.contrast_index(k)
            } else {
                layout.offset_index(k)
            }
        };
        return PerAngleKind {
            values: (0..n_phi).map(|k| p[index(k)]).collect(),
            uncertainties: (0..n_phi).map(|k| uncertainty(result, index(k))).collect(),
            markers: (0..n_phi).map(|k| marker(result, index(k))).collect(),
        };
    }
    let groups = layout.n_scaling_groups();
    let map = layout.scaling_map(model.phi());
    let (contrasts, offsets) = layout.per_angle_scaling(p, model.phi());
    let values = if first == 0 { contrasts } else { offsets };
    let covariance = &result.covariance.matrix;
    let has_covariance = covariance.nrows() == p.len() && covariance.ncols() == p.len();
    let mut uncertainties = Vec::with_capacity(n_phi);
    let mut markers = Vec::with_capacity(n_phi);
    for k in 0..n_phi {
        let row = &map[k * groups..(k + 1) * groups];
        let used: Vec<usize> = (0..groups).filter(|&j| row[j] != 0.0).collect();
        let flags: Vec<_> = used.iter().map(|&j| marker(result, first + j)).collect();
        let m = summary_marker(&flags);
        let u = if m.is_some() || !has_covariance {
            f64::NAN
        } else {
            let mut variance = 0.0;
            for &a in &used {
                for &b in &used {
                    variance += row[a] * row[b] * covariance[[first + a, first + b]];
                }
            }
            variance.max(0.0).sqrt()
        };
        uncertainties.push(u);
        markers.push(m);
    }
    PerAngleKind {
        values,
        uncertainties,
        markers,
    }
}

/// The `parameters.json` document.
pub(crate) fn parameters_json(
    outputs: &NlsqOutputs,
    stats: &Statistics,
    timestamp: &Value,
) -> Value {
    let model = outputs.model;
    let layout = model.layout();
    let result = outputs.result;
    let p = &result.parameters;
    let PerAngleKind {
        values: contrast,
        uncertainties: contrast_u,
        markers: contrast_m,
    } = per_angle_kind(outputs, 0);
    let PerAngleKind {
        values: offset,
        uncertainties: offset_u,
        markers: offset_m,
    } = per_angle_kind(outputs, layout.n_scaling_groups());
    // Over the angles whose value was fitted; none (null) when one is undetermined.
    let rms = |u: &[f64], m: Option<&str>| match m {
        Some(_) => f64::NAN,
        None => nan_mean(u.iter().map(|v| v * v)).sqrt(),
    };
    let summary = |values: &[f64], u: &[f64], markers: &[Option<&'static str>]| {
        let m = summary_marker(markers);
        value_and_uncertainty(nan_mean(values.iter().copied()), rms(u, m), m)
    };
    // A parameter by its index in the layout.
    let parameter =
        |k: usize| value_and_uncertainty(p[k], uncertainty(result, k), marker(result, k));

    let mut parameters = Map::new();
    parameters.insert(
        "contrast".into(),
        summary(&contrast, &contrast_u, &contrast_m),
    );
    parameters.insert("offset".into(), summary(&offset, &offset_u, &offset_m));
    let start = layout.physical_start();
    for (i, name) in layout.mode.physical_names().iter().enumerate() {
        parameters.insert((*name).to_owned(), parameter(start + i));
    }
    let flagged = contrast_m.iter().chain(&offset_m).any(Option::is_some);
    let flags = |markers: Vec<Option<&str>>| {
        json!(
            markers
                .into_iter()
                .map(|m| m.unwrap_or("free"))
                .collect::<Vec<_>>()
        )
    };
    let mut per_angle = json!({
        "phi": model.phi(),
        "contrast": contrast,
        "contrast_uncertainty": contrast_u,
        "offset": offset,
        "offset_uncertainty": offset_u,
        "scaling_mode": layout.scaling.name(),
    });
    if flagged {
        per_angle["contrast_flag"] = flags(contrast_m);
        per_angle["offset_flag"] = flags(offset_m);
    }
    if let ScalingMode::Fourier { order } = layout.scaling {
        let coefficients: Map<String, Value> = (layout.names().into_iter())
            .take(start)
            .enumerate()
            .map(|(k, name)| (name, parameter(k)))
            .collect();
        per_angle["fourier_order"] = json!(order);
        per_angle["coefficients"] = Value::Object(coefficients);
    }
    json!({
        "timestamp": timestamp,
        "analysis_mode": layout.mode.name(),
        "chi_squared": stats.chi_squared,
        "reduced_chi_squared": stats.reduced_chi_squared,
        "convergence_status": status_name(result.convergence_status),
        "parameters": parameters,
        "per_angle": per_angle,
        "sigma": outputs.sigma_json(),
        "chi_squared_definition": stats.definition,
    })
}
