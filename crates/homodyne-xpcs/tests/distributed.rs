//! The XPCS fit shared among processes (threads here, MPI under `homodyne xpcs
//! --distributed`): coarse stages and the full fit end on the bits of the one-process fit.

use homodyne_core::NoObserver;
use homodyne_testkit::ThreadGroup;
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, ScalingMode, XpcsFitOptions, fit, fit_distributed,
};

mod common;

use common::published_model;

#[test]
fn two_and_four_processes_end_on_the_one_process_bits() {
    let phi = [-60.0, -10.0, 40.0];
    let model = published_model(
        AnalysisMode::LaminarFlow,
        ScalingMode::Individual,
        &phi,
        160,
    );
    let truth = model
        .layout()
        .assemble(
            &[0.25, 0.26, 0.27],
            &[1.0, 1.002, 1.004],
            &[15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0],
        )
        .unwrap();
    let data = CorrelationData::synthetic(&model, &truth, 0.005, 21).unwrap();
    let options = XpcsFitOptions::default();
    let single = fit(&model, &data, &options, &NoObserver).unwrap();
    assert!(
        !single.stages.is_empty(),
        "the demo size runs coarse stages"
    );
    for size in [2, 4] {
        let fits = ThreadGroup::new(size).run_each(|process| {
            fit_distributed(&model, &data, &options, &NoObserver, &process).unwrap()
        });
        for (rank, fitted) in fits.iter().enumerate() {
            assert_eq!(
                fitted.result.parameters, single.result.parameters,
                "{size} processes, rank {rank}"
            );
            assert_eq!(fitted.result.uncertainties, single.result.uncertainties);
            assert_eq!(fitted.stages.len(), single.stages.len());
            for (a, b) in fitted.stages.iter().zip(&single.stages) {
                assert_eq!(a.start, b.start, "stage of stride {}", a.stride);
            }
        }
    }
}
