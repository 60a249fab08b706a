//! `write_nlsq_outputs_awaiting_fit` and `write_nlsq_outputs_awaiting_values`: the model
//! values handed over while the files are written give the same files as
//! `write_nlsq_outputs`, asked for once; values that never come, or of the wrong length,
//! are typed errors that leave no array file behind.

use std::cell::Cell;
use std::path::Path;

use homodyne_core::NoObserver;
use homodyne_xpcs::output::{
    FITTED_DATA_H5, FITTED_DATA_NPZ, ModelValues, NLSQ_DIR, write_nlsq_outputs_awaiting_fit,
    write_nlsq_outputs_awaiting_values,
};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, NlsqOutputs, PointSelection, ScalingMode,
    XpcsError, XpcsFitOptions, fit, write_nlsq_outputs,
};

mod common;

use common::published_model;

const TRUTH: [f64; 7] = [15_000.0, -0.6, 50.0, 2e-3, 0.3, 1e-4, 4.0];

fn fitted() -> (
    HomodyneModel,
    CorrelationData,
    homodyne_core::OptimizationResult,
) {
    let model = published_model(
        AnalysisMode::LaminarFlow,
        ScalingMode::Individual,
        &[-30.0, 0.0, 45.0],
        10,
    );
    let layout = *model.layout();
    let truth = layout
        .assemble(&[0.25, 0.27, 0.29], &[1.0, 1.003, 1.006], &TRUTH)
        .unwrap();
    let data = CorrelationData::synthetic(&model, &truth, 0.004, 3).unwrap();
    let options = XpcsFitOptions {
        physical_start: Some(TRUTH.iter().map(|v| v * 1.1).collect()),
        ..XpcsFitOptions::default()
    };
    let result = fit(&model, &data, &options, &NoObserver).unwrap().result;
    (model, data, result)
}

/// `written` is an [`XpcsError::InvalidSetting`], and `dir`'s output folder holds no file.
fn assert_refused_leaving_nothing(
    written: Result<Vec<std::path::PathBuf>, XpcsError>,
    dir: &Path,
    what: &str,
) {
    let err = written.unwrap_err();
    assert!(
        matches!(err, XpcsError::InvalidSetting { .. }),
        "{what}: {err:?}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.join(NLSQ_DIR))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{what}: {left:?}");
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(NLSQ_DIR).join(name)).unwrap()
}

/// The array files, `fitted_data.npz` and its HDF5 copy, are the same bytes in the output
/// folders `given` and `other`.
fn assert_same_array_files(given: &Path, other: &Path) {
    for name in [FITTED_DATA_NPZ, FITTED_DATA_H5] {
        assert!(bytes(given, name) == bytes(other, name), "{name} differs");
    }
}

#[test]
fn awaited_values_give_the_same_array_files_and_are_asked_for_once() {
    let (model, data, result) = fitted();
    let outputs = NlsqOutputs {
        execution_time: 1.0,
        points: PointSelection::All,
        ..common::plain_outputs(&model, &data, &result)
    };
    let values = model.values(&result.parameters);
    let (given, awaited) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_nlsq_outputs(given.path(), &outputs).unwrap();
    let calls = Cell::new(0);
    let written = write_nlsq_outputs_awaiting_fit(awaited.path(), &outputs, || {
        calls.set(calls.get() + 1);
        Some(values.as_slice())
    })
    .unwrap();
    assert_eq!(calls.get(), 1);
    assert_eq!(written.len(), 5);
    assert_same_array_files(given.path(), awaited.path());

    // Values that never come, or too few: typed errors, no array file left.
    let short = &values[..values.len() - 1];
    for (what, handed) in [("none", None), ("short", Some(short))] {
        let out = tempfile::tempdir().unwrap();
        let written = write_nlsq_outputs_awaiting_fit(out.path(), &outputs, || handed);
        assert_refused_leaving_nothing(written, out.path(), what);
    }
}

/// The fitted values and the raw theory handed over together (one evaluation of the
/// model, `HomodyneModel::values_and_raw`): the same array files as `write_nlsq_outputs`,
/// the values asked for once; none, or a raw theory of the wrong length, is a typed error
/// that leaves no array file.
#[test]
fn values_handed_with_the_raw_theory_give_the_same_array_files() {
    let (model, data, result) = fitted();
    let outputs = NlsqOutputs {
        hdf5: true,
        ..common::plain_outputs(&model, &data, &result)
    };
    let (fitted, raw) = model.values_and_raw(&result.parameters);
    let (given, handed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_nlsq_outputs(given.path(), &outputs).unwrap();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let written = write_nlsq_outputs_awaiting_values(handed.path(), &outputs, || {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(ModelValues {
            fitted: &fitted,
            raw: raw.clone(),
        })
    })
    .unwrap();
    assert_eq!(calls.into_inner(), 1);
    assert_eq!(written.len(), 5);
    assert_same_array_files(given.path(), handed.path());
    let short = raw[1..].to_vec();
    for (what, handed) in [("none", None), ("short", Some(short))] {
        let out = tempfile::tempdir().unwrap();
        let handed = handed.map(|raw| ModelValues {
            fitted: &fitted,
            raw,
        });
        let written = write_nlsq_outputs_awaiting_values(out.path(), &outputs, || handed);
        assert_refused_leaving_nothing(written, out.path(), what);
    }
}
