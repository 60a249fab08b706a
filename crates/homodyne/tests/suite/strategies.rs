//! Every strategy reaches the same optimum: STANDARD folds the Jacobian by exact QR, LARGE
//! and CHUNKED sum the normal equations (with an exact fallback when ill-conditioned).

use homodyne::example::{Decay, decay};
use homodyne::prelude::*;

use super::nist::{Nist, PROBLEMS, fit_exact, load};

const FORCED: [OptimizationStrategy; 3] = [
    OptimizationStrategy::Standard,
    OptimizationStrategy::Large,
    OptimizationStrategy::Chunked,
];

fn forced(strategy: OptimizationStrategy) -> FitConfig {
    FitConfig {
        strategy: Some(strategy),
        ..FitConfig::default()
    }
}

/// Parameters agree to 1e-8 relative, or to 1e-6 of their uncertainty where the data
/// determine them less well than that (MGH09's b2 has a relative uncertainty near 100%: a
/// cost-based stopping rule pins it to about 1e-7 relative, whatever the accumulation).
fn assert_same(a: &OptimizationResult, b: &OptimizationResult, what: &str) {
    for (k, (p, q)) in a.parameters.iter().zip(&b.parameters).enumerate() {
        let tolerance = 1e-8 * q.abs() + 1e-6 * b.uncertainties[k];
        assert!((p - q).abs() <= tolerance, "{what}: p[{k}] {p} vs {q}");
    }
    for (k, (u, v)) in a.uncertainties.iter().zip(&b.uncertainties).enumerate() {
        assert!(
            (u - v).abs() <= 1e-6 * v.abs(),
            "{what}: sigma[{k}] {u} vs {v}"
        );
    }
}

#[test]
fn forced_strategies_agree_on_a_large_well_posed_fit() {
    let data = decay(100_000, 0.01, 11);
    for method in [Method::Trf, Method::Lm] {
        let fits: Vec<OptimizationResult> = FORCED
            .iter()
            .map(|&s| {
                NlsqWrapper::new()
                    .fit(
                        &Decay,
                        &data.x,
                        &data.y,
                        &[1.0, 1.0, 0.0],
                        None,
                        method,
                        &forced(s),
                    )
                    .unwrap()
            })
            .collect();
        for (fit, s) in fits.iter().zip(FORCED) {
            assert_eq!(fit.strategy, s);
        }
        assert_same(&fits[1], &fits[0], &format!("{method} LARGE"));
        assert_same(&fits[2], &fits[0], &format!("{method} CHUNKED"));
    }
}

#[test]
fn forced_strategies_agree_on_the_nist_problems() {
    // All 12 problems of the acceptance set, both starts, both methods, exact derivatives.
    // The ill-conditioned ones (MGH09, Thurber, Lanczos2, Hahn1, ...) exercise the
    // fallback from the normal equations to the exact fold.
    for (name, n) in PROBLEMS {
        let problem = load(name);
        for start in 0..2 {
            for method in [Method::Trf, Method::Lm] {
                let fits: Vec<OptimizationResult> = FORCED
                    .iter()
                    .map(|&s| {
                        fit_exact(&problem, Nist(name, n), start, method, &forced(s)).unwrap()
                    })
                    .collect();
                for (fit, s) in fits.iter().zip(FORCED) {
                    assert_eq!(fit.strategy, s);
                }
                let what = format!("{name} start {} {method}", start + 1);
                assert_same(&fits[1], &fits[0], &format!("{what} LARGE"));
                assert_same(&fits[2], &fits[0], &format!("{what} CHUNKED"));
            }
        }
    }
}

#[test]
fn small_fits_choose_standard_and_large_fits_large() {
    let data = decay(1000, 0.01, 3);
    let fit = NlsqWrapper::new()
        .fit(
            &Decay,
            &data.x,
            &data.y,
            &[1.0, 1.0, 0.0],
            None,
            Method::Trf,
            &FitConfig::default(),
        )
        .unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Standard);
    let off = NlsqWrapper::builder().enable_large_dataset(false).build();
    let big = decay(1_000_000, 0.01, 3);
    let fit = off
        .fit(
            &Decay,
            &big.x,
            &big.y,
            &[1.0, 1.0, 0.0],
            None,
            Method::Trf,
            &FitConfig::default(),
        )
        .unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Standard);
    let fit = NlsqWrapper::new()
        .fit(
            &Decay,
            &big.x,
            &big.y,
            &[1.0, 1.0, 0.0],
            None,
            Method::Trf,
            &FitConfig::default(),
        )
        .unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Large);
}

#[test]
fn large_strategy_gives_the_same_bits_with_one_or_two_threads() {
    let data = decay(60_000, 0.01, 5);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                NlsqWrapper::new()
                    .fit(
                        &Decay,
                        &data.x,
                        &data.y,
                        &[1.0, 1.0, 0.0],
                        None,
                        Method::Trf,
                        &forced(OptimizationStrategy::Large),
                    )
                    .unwrap()
            })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.parameters, two.parameters);
    assert_eq!(one.covariance.matrix, two.covariance.matrix);
}
