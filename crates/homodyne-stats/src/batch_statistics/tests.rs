//! Tests of the ring buffer, the running totals, the error distribution, checkpoint round
//! trips and the invariants checked when statistics are restored.

use std::collections::BTreeMap;

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

const TOLERANCE: f64 = 1e-12;

/// Records a batch with no recovery actions.
fn record(
    stats: &mut BatchStatistics,
    batch_idx: usize,
    success: bool,
    loss: Option<f64>,
    iterations: usize,
    error_type: Option<&str>,
) {
    stats.record_batch(batch_idx, success, loss, iterations, vec![], error_type);
}

fn recent_indices(stats: &BatchStatistics) -> Vec<usize> {
    stats
        .recent_batches()
        .map(|batch| batch.batch_idx)
        .collect()
}

#[test]
fn a_buffer_without_room_is_rejected() {
    assert_eq!(BatchStatistics::new(0), Err(StatsError::ZeroCapacity));
}

#[test]
fn default_statistics_keep_the_default_number_of_batches() {
    let stats = BatchStatistics::default();
    assert_eq!(stats.max_size(), BatchStatistics::DEFAULT_MAX_SIZE);
    assert_eq!(BatchStatistics::DEFAULT_MAX_SIZE, 100);
    assert!(stats.is_empty());
    assert_eq!(stats, BatchStatistics::new(100).unwrap());
}

#[test]
fn the_buffer_keeps_the_most_recent_batches_oldest_first() {
    let mut stats = BatchStatistics::new(3).unwrap();
    for batch_idx in 0..2 {
        record(&mut stats, batch_idx, true, Some(1.0), 5, None);
    }
    assert_eq!(recent_indices(&stats), [0, 1]);

    for batch_idx in 2..7 {
        record(&mut stats, batch_idx, true, Some(1.0), 5, None);
        assert!(stats.len() <= 3);
    }
    assert_eq!(stats.len(), 3);
    assert_eq!(recent_indices(&stats), [4, 5, 6]);
    assert_eq!(stats.total_batches(), 7);
    let snapshot: Vec<usize> = stats
        .get_statistics()
        .recent_batches
        .iter()
        .map(|batch| batch.batch_idx)
        .collect();
    assert_eq!(snapshot, [4, 5, 6]);
}

#[test]
fn records_keep_what_was_reported() {
    let mut stats = BatchStatistics::new(1).unwrap();
    stats.record_batch(
        9,
        false,
        Some(2.5),
        17,
        vec!["halve_step".to_owned(), "reset_damping".to_owned()],
        Some("SingularJacobian"),
    );
    let expected = BatchRecord {
        batch_idx: 9,
        success: false,
        loss: Some(2.5),
        iterations: 17,
        recovery_actions: vec!["halve_step".to_owned(), "reset_damping".to_owned()],
        error_type: Some("SingularJacobian".to_owned()),
    };
    assert_eq!(stats.recent_batches().collect::<Vec<_>>(), [&expected]);
}

#[test]
fn without_batches_the_success_rates_are_one_and_the_averages_absent() {
    let stats = BatchStatistics::new(4).unwrap();
    assert_eq!(stats.get_success_rate(), 1.0);
    let summary = stats.get_statistics();
    assert_eq!(summary.total_batches, 0);
    assert_eq!(summary.success_rate, 1.0);
    assert_eq!(summary.recent_success_rate, 1.0);
    assert_eq!(summary.average_loss, None);
    assert_eq!(summary.average_iterations, None);
    assert!(summary.error_distribution.is_empty());
    assert!(summary.recent_batches.is_empty());
}

#[test]
fn overall_and_recent_success_rates_differ_once_the_buffer_wraps() {
    let mut stats = BatchStatistics::new(2).unwrap();
    record(&mut stats, 0, false, None, 50, None);
    record(&mut stats, 1, false, None, 50, None);
    record(&mut stats, 2, true, Some(1.0), 10, None);
    assert_eq!(stats.get_success_rate(), 0.5);
    record(&mut stats, 3, true, Some(1.0), 10, None);

    assert_eq!(stats.get_success_rate(), 1.0);
    let summary = stats.get_statistics();
    assert_eq!(summary.recent_success_rate, 1.0);
    assert_eq!(summary.success_rate, 0.5);
    assert_eq!(summary.total_successes, 2);
    assert_eq!(summary.total_failures, 2);
}

#[test]
fn the_average_loss_ignores_failed_batches_and_non_finite_losses() {
    let mut stats = BatchStatistics::new(10).unwrap();
    record(&mut stats, 0, true, Some(1.0), 4, None);
    record(&mut stats, 1, true, Some(f64::NAN), 4, None);
    record(&mut stats, 2, true, Some(f64::INFINITY), 4, None);
    record(&mut stats, 3, true, Some(f64::NEG_INFINITY), 4, None);
    record(&mut stats, 4, true, None, 4, None);
    record(&mut stats, 5, false, Some(100.0), 4, None);
    assert_eq!(stats.get_statistics().average_loss, Some(1.0));

    record(&mut stats, 6, true, Some(3.0), 4, None);
    assert_eq!(stats.get_statistics().average_loss, Some(2.0));
}

#[test]
fn only_failed_or_lossless_batches_give_no_average_loss() {
    let mut stats = BatchStatistics::new(10).unwrap();
    record(&mut stats, 0, false, Some(1.0), 4, None);
    record(&mut stats, 1, true, None, 4, None);
    record(&mut stats, 2, true, Some(f64::NAN), 4, None);
    assert_eq!(stats.get_statistics().average_loss, None);
}

#[test]
fn the_averages_cover_batches_dropped_from_the_buffer() {
    let mut stats = BatchStatistics::new(1).unwrap();
    record(&mut stats, 0, true, Some(1.0), 10, None);
    record(&mut stats, 1, false, None, 40, None);
    record(&mut stats, 2, true, Some(2.0), 20, None);
    record(&mut stats, 3, true, Some(6.0), 30, None);

    let summary = stats.get_statistics();
    assert!((summary.average_loss.unwrap() - 3.0).abs() < TOLERANCE);
    assert_eq!(summary.average_iterations, Some(25.0));
}

#[test]
fn huge_losses_do_not_overflow_the_average() {
    let mut stats = BatchStatistics::new(4).unwrap();
    record(&mut stats, 0, true, Some(f64::MAX), 1, None);
    record(&mut stats, 1, true, Some(f64::MAX), 1, None);
    assert_eq!(stats.get_statistics().average_loss, Some(f64::MAX));

    stats.clear();
    record(&mut stats, 0, true, Some(f64::MAX), 1, None);
    record(&mut stats, 1, true, Some(-f64::MAX), 1, None);
    assert_eq!(stats.get_statistics().average_loss, Some(0.0));
}

#[test]
fn huge_iteration_counts_saturate_instead_of_overflowing() {
    let mut stats = BatchStatistics::new(4).unwrap();
    record(&mut stats, 0, true, None, usize::MAX, None);
    record(&mut stats, 1, true, None, usize::MAX, None);
    let average = stats.get_statistics().average_iterations.unwrap();
    assert!(average.is_finite());
    assert!(average > 0.0);
}

#[test]
fn the_error_distribution_counts_every_batch_that_reported_an_error() {
    let mut stats = BatchStatistics::new(1).unwrap();
    record(&mut stats, 0, false, None, 5, Some("NonFiniteLoss"));
    record(&mut stats, 1, false, None, 5, Some("SingularJacobian"));
    record(&mut stats, 2, true, Some(1.0), 5, Some("NonFiniteLoss"));
    record(&mut stats, 3, false, None, 5, None);
    record(&mut stats, 4, true, Some(1.0), 5, None);

    let expected = BTreeMap::from([
        ("NonFiniteLoss".to_owned(), 2),
        ("SingularJacobian".to_owned(), 1),
    ]);
    assert_eq!(stats.get_statistics().error_distribution, expected);
}

#[test]
fn error_types_beyond_the_cap_are_counted_as_other() {
    let mut stats = BatchStatistics::new(8).unwrap();
    for i in 0..BatchStatistics::MAX_ERROR_TYPES {
        record(&mut stats, i, false, None, 1, Some(&format!("Error{i}")));
    }
    let next = BatchStatistics::MAX_ERROR_TYPES;
    record(&mut stats, next, false, None, 1, Some("Unseen1"));
    record(&mut stats, next + 1, false, None, 1, Some("Unseen2"));
    record(&mut stats, next + 2, false, None, 1, Some("Error0"));

    let distribution = stats.get_statistics().error_distribution;
    assert_eq!(distribution.len(), BatchStatistics::MAX_ERROR_TYPES + 1);
    assert_eq!(distribution[BatchStatistics::OTHER_ERROR_TYPE], 2);
    assert_eq!(distribution["Error0"], 2);
    assert_eq!(distribution["Error63"], 1);
    assert!(!distribution.contains_key("Unseen1"));
    // The records themselves keep the real name.
    assert_eq!(
        stats
            .recent_batches()
            .nth_back(1)
            .unwrap()
            .error_type
            .as_deref(),
        Some("Unseen2")
    );
}

#[test]
fn an_error_type_named_other_takes_no_named_slot() {
    let mut stats = BatchStatistics::new(8).unwrap();
    record(&mut stats, 0, false, None, 1, Some("other"));
    for i in 0..BatchStatistics::MAX_ERROR_TYPES {
        record(
            &mut stats,
            i + 1,
            false,
            None,
            1,
            Some(&format!("Error{i}")),
        );
    }
    let distribution = stats.get_statistics().error_distribution;
    assert_eq!(distribution.len(), BatchStatistics::MAX_ERROR_TYPES + 1);
    assert_eq!(distribution["Error63"], 1);
    assert_eq!(distribution[BatchStatistics::OTHER_ERROR_TYPE], 1);
}

#[test]
fn clear_forgets_every_batch_but_keeps_the_capacity() {
    let mut stats = BatchStatistics::new(3).unwrap();
    record(&mut stats, 0, false, Some(1.0), 7, Some("NonFiniteLoss"));
    record(&mut stats, 1, true, Some(1.0), 7, None);
    stats.clear();
    assert_eq!(stats, BatchStatistics::new(3).unwrap());
    assert!(stats.is_empty());
    assert_eq!(stats.total_batches(), 0);
    assert_eq!(stats.max_size(), 3);
}

/// Statistics whose buffer has wrapped, with every kind of total non-trivial. Losses
/// are chosen so that the mean is short in decimal and survives JSON exactly.
fn wrapped_statistics() -> BatchStatistics {
    let mut stats = BatchStatistics::new(2).unwrap();
    record(&mut stats, 0, true, Some(0.5), 12, None);
    record(&mut stats, 1, false, None, 50, Some("NonFiniteLoss"));
    stats.record_batch(
        2,
        true,
        Some(0.25),
        8,
        vec!["halve_step".to_owned()],
        Some("SingularJacobian"),
    );
    stats
}

#[test]
fn json_round_trip_restores_the_statistics() {
    let original = wrapped_statistics();
    let json = serde_json::to_string(&original).unwrap();
    let mut restored: BatchStatistics = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, original);

    // A restored fit carries on exactly as the original would have.
    let mut continued = original;
    record(&mut continued, 3, true, Some(0.125), 9, None);
    record(&mut restored, 3, true, Some(0.125), 9, None);
    assert_eq!(restored, continued);
}

#[test]
fn json_round_trip_restores_a_snapshot() {
    let snapshot = wrapped_statistics().get_statistics();
    let json = serde_json::to_string(&snapshot).unwrap();
    let restored: Statistics = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, snapshot);
}

#[test]
fn json_reads_a_non_finite_loss_back_as_none() {
    let mut stats = BatchStatistics::new(2).unwrap();
    record(&mut stats, 0, true, Some(f64::NAN), 3, None);
    let json = serde_json::to_string(&stats).unwrap();
    let restored: BatchStatistics = serde_json::from_str(&json).unwrap();
    assert_eq!(restored.recent_batches().next().unwrap().loss, None);
    assert_eq!(restored.get_statistics().average_loss, None);
}

#[test]
fn deserialising_checks_the_invariants() {
    let mut json = serde_json::to_value(wrapped_statistics()).unwrap();
    json["max_size"] = 1.into();
    let error = serde_json::from_value::<BatchStatistics>(json).unwrap_err();
    assert!(
        error.to_string().contains(
            &StatsError::TooManyRecords {
                len: 2,
                max_size: 1
            }
            .to_string()
        ),
        "{error}"
    );
}

fn unchecked(stats: BatchStatistics) -> UncheckedBatchStatistics {
    UncheckedBatchStatistics {
        max_size: stats.max_size,
        recent_batches: stats.recent_batches,
        totals: stats.totals,
    }
}

#[test]
fn consistent_statistics_are_accepted() {
    let stats = wrapped_statistics();
    assert_eq!(
        BatchStatistics::try_from(unchecked(stats.clone())),
        Ok(stats)
    );
    let empty = BatchStatistics::new(5).unwrap();
    assert_eq!(
        BatchStatistics::try_from(unchecked(empty.clone())),
        Ok(empty)
    );
}

#[test]
fn each_kind_of_corruption_is_rejected() {
    type Corruption = fn(&mut UncheckedBatchStatistics);
    let inconsistent = StatsError::Inconsistent;
    let cases: [(Corruption, StatsError); 11] = [
        (|s| s.max_size = 0, StatsError::ZeroCapacity),
        (
            |s| s.max_size = 1,
            StatsError::TooManyRecords {
                len: 2,
                max_size: 1,
            },
        ),
        (
            |s| s.totals.batches += 1,
            inconsistent("successes and failures do not add up to the number of batches"),
        ),
        (
            |s| s.totals.finite_losses = s.totals.successes + 1,
            inconsistent("more finite losses than successful batches"),
        ),
        (
            |s| s.totals.mean_finite_loss = f64::INFINITY,
            inconsistent("the mean loss is not finite"),
        ),
        (
            |s| s.totals.finite_losses = 0,
            inconsistent("a non-zero mean loss without any finite loss"),
        ),
        (
            |s| {
                for i in 0..BatchStatistics::MAX_ERROR_TYPES {
                    s.totals.error_distribution.insert(format!("Error{i}"), 1);
                }
            },
            inconsistent("more error types than MAX_ERROR_TYPES"),
        ),
        (
            |s| {
                s.totals.error_distribution.insert("Unseen".to_owned(), 0);
            },
            inconsistent("an error type counted zero times"),
        ),
        (
            |s| {
                s.totals.error_distribution.insert("Unseen".to_owned(), 2);
            },
            inconsistent("more errors counted than batches recorded"),
        ),
        (
            |s| {
                s.totals
                    .error_distribution
                    .insert("Unseen".to_owned(), u64::MAX);
            },
            inconsistent("more errors counted than batches recorded"),
        ),
        (
            |s| {
                // Totals consistent in themselves, but with no success at all.
                s.totals.successes = 0;
                s.totals.failures = s.totals.batches;
                s.totals.finite_losses = 0;
                s.totals.mean_finite_loss = 0.0;
            },
            inconsistent(
                "the recent batches hold more successes or failures than were ever recorded",
            ),
        ),
    ];
    for (corrupt, expected) in cases {
        let mut stats = unchecked(wrapped_statistics());
        corrupt(&mut stats);
        assert_eq!(
            BatchStatistics::try_from(stats),
            Err(expected.clone()),
            "{expected}"
        );
    }
}

/// What is recorded for one batch in the property tests.
#[derive(Debug, Clone)]
struct Outcome {
    success: bool,
    loss: Option<f64>,
    iterations: usize,
    recovery_actions: Vec<String>,
    error_type: Option<String>,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let loss = prop_oneof![
        Just(None),
        Just(Some(f64::NAN)),
        Just(Some(f64::INFINITY)),
        any::<f64>().prop_map(Some),
        (0.0..1e3).prop_map(Some),
    ];
    (
        any::<bool>(),
        loss,
        0usize..1000,
        vec("[a-z_]{1,8}", 0..3),
        proptest::option::of("[A-D]"),
    )
        .prop_map(
            |(success, loss, iterations, recovery_actions, error_type)| Outcome {
                success,
                loss,
                iterations,
                recovery_actions,
                error_type,
            },
        )
}

/// A record with its loss as bits, so that NaN losses compare equal.
fn comparable(record: &BatchRecord) -> (usize, bool, Option<u64>, usize, &[String], Option<&str>) {
    (
        record.batch_idx,
        record.success,
        record.loss.map(f64::to_bits),
        record.iterations,
        &record.recovery_actions,
        record.error_type.as_deref(),
    )
}

proptest! {
    #[test]
    fn the_buffer_stays_bounded_and_the_totals_consistent(
        max_size in 1usize..8,
        outcomes in vec(outcome(), 0..40),
    ) {
        let mut stats = BatchStatistics::new(max_size).unwrap();
        let mut pushed = Vec::new();
        for (batch_idx, outcome) in outcomes.into_iter().enumerate() {
            stats.record_batch(
                batch_idx,
                outcome.success,
                outcome.loss,
                outcome.iterations,
                outcome.recovery_actions.clone(),
                outcome.error_type.as_deref(),
            );
            pushed.push(BatchRecord {
                batch_idx,
                success: outcome.success,
                loss: outcome.loss,
                iterations: outcome.iterations,
                recovery_actions: outcome.recovery_actions,
                error_type: outcome.error_type,
            });

            prop_assert!(stats.len() <= max_size);
            let summary = stats.get_statistics();
            prop_assert_eq!(
                summary.total_successes + summary.total_failures,
                summary.total_batches
            );
            prop_assert!((0.0..=1.0).contains(&summary.success_rate));
            prop_assert!((0.0..=1.0).contains(&summary.recent_success_rate));
        }

        let kept = pushed.len().min(max_size);
        let expected: Vec<_> = pushed[pushed.len() - kept..].iter().map(comparable).collect();
        let actual: Vec<_> = stats.recent_batches().map(comparable).collect();
        prop_assert_eq!(actual, expected);

        let summary = stats.get_statistics();
        prop_assert_eq!(summary.total_batches, pushed.len() as u64);
        let successes = pushed.iter().filter(|batch| batch.success).count();
        prop_assert_eq!(summary.total_successes, successes as u64);
    }

    #[test]
    fn the_average_loss_is_the_mean_of_the_finite_losses_of_successes(
        outcomes in vec(outcome(), 1..60),
    ) {
        let mut stats = BatchStatistics::new(3).unwrap();
        let mut counted = Vec::new();
        for (batch_idx, outcome) in outcomes.into_iter().enumerate() {
            // Bounded losses, so that the naive sum below cannot overflow.
            let loss = outcome.loss.map(|loss| if loss.abs() > 1e3 { loss % 1e3 } else { loss });
            stats.record_batch(batch_idx, outcome.success, loss, 1, vec![], None);
            if outcome.success {
                counted.extend(loss.filter(|loss| loss.is_finite()));
            }
        }
        let average = stats.get_statistics().average_loss;
        if counted.is_empty() {
            prop_assert_eq!(average, None);
        } else {
            let mean = counted.iter().sum::<f64>() / counted.len() as f64;
            let average = average.unwrap();
            prop_assert!((average - mean).abs() <= 1e-9 * (1.0 + mean.abs()), "{average} vs {mean}");
        }
    }
}
