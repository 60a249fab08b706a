//! `phi_filtering`: fitting a subset of the angles, as the Python package's command line
//! selects them before a fit.
//!
//! An angle is kept when it lies in any of the `target_ranges` (`min_angle <= phi <=
//! max_angle`, both ends normalised to `(-180, 180]`; a range whose `min_angle` exceeds its
//! `max_angle` wraps through 180 degrees: `phi >= min_angle` or `phi <= max_angle`). As in
//! the package, filtering that is enabled without ranges, or that matches no angle, keeps
//! every angle, with a warning.

use crate::config::PhiFiltering;
use crate::data::CorrelationData;
use crate::loader::normalize_phi_angle;

impl PhiFiltering {
    /// The indices of the angles of `phi` (degrees, normalised) to fit, and a warning when
    /// the filter falls back to all of them.
    pub fn select(&self, phi: &[f64]) -> (Vec<usize>, Option<String>) {
        let all: Vec<usize> = (0..phi.len()).collect();
        if !self.enabled {
            return (all, None);
        }
        if self.target_ranges.is_empty() {
            return (
                all,
                Some(
                    "phi_filtering is enabled but has no target_ranges: every angle is fitted"
                        .into(),
                ),
            );
        }
        let ranges: Vec<(f64, f64)> = self
            .target_ranges
            .iter()
            .map(|r| {
                (
                    normalize_phi_angle(r.min_angle),
                    normalize_phi_angle(r.max_angle),
                )
            })
            .collect();
        let selected: Vec<usize> = phi
            .iter()
            .enumerate()
            .filter(|&(_, &angle)| {
                ranges.iter().any(|&(lo, hi)| {
                    if lo <= hi {
                        lo <= angle && angle <= hi
                    } else {
                        angle >= lo || angle <= hi
                    }
                })
            })
            .map(|(k, _)| k)
            .collect();
        if selected.is_empty() {
            let listed: Vec<String> = ranges
                .iter()
                .map(|(lo, hi)| format!("[{lo}, {hi}]"))
                .collect();
            return (
                all,
                Some(format!(
                    "phi_filtering matches none of the angles {phi:?} with the ranges {}: every \
                     angle is fitted",
                    listed.join(", ")
                )),
            );
        }
        (selected, None)
    }
}

impl CorrelationData {
    /// The data of the angles `angles` (indices, in the order given).
    pub fn select_angles(&self, angles: &[usize]) -> CorrelationData {
        let size = self.n_t * self.n_t;
        CorrelationData {
            q: self.q,
            dt: self.dt,
            phi: angles.iter().map(|&k| self.phi[k]).collect(),
            n_t: self.n_t,
            c2: angles
                .iter()
                .flat_map(|&k| self.c2[k * size..(k + 1) * size].iter().copied())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{AngleRange, PhiFiltering};
    use crate::data::CorrelationData;

    fn range(min_angle: f64, max_angle: f64) -> AngleRange {
        AngleRange {
            min_angle,
            max_angle,
            description: String::new(),
        }
    }

    #[test]
    fn ranges_select_angles_and_wrap_through_180() {
        let phi = [-170.0, -90.0, 0.0, 5.0, 90.0, 175.0];
        let filter = PhiFiltering {
            enabled: true,
            target_ranges: vec![range(-10.0, 10.0), range(170.0, -170.0)],
        };
        assert_eq!(filter.select(&phi), (vec![0, 2, 3, 5], None));
        // 350 degrees is -10 once normalised.
        let filter = PhiFiltering {
            enabled: true,
            target_ranges: vec![range(350.0, 10.0)],
        };
        assert_eq!(filter.select(&phi).0, vec![2, 3]);
    }

    #[test]
    fn no_match_or_no_range_keeps_every_angle_with_a_warning() {
        let phi = [0.0, 45.0];
        let none = PhiFiltering {
            enabled: true,
            target_ranges: vec![range(100.0, 120.0)],
        };
        let (all, warning) = none.select(&phi);
        assert_eq!(all, vec![0, 1]);
        assert!(warning.unwrap().contains("matches none"));
        let empty = PhiFiltering {
            enabled: true,
            target_ranges: Vec::new(),
        };
        assert!(empty.select(&phi).1.is_some());
        let off = PhiFiltering {
            enabled: false,
            target_ranges: vec![range(100.0, 120.0)],
        };
        assert_eq!(off.select(&phi), (vec![0, 1], None));
    }

    #[test]
    fn selected_angles_keep_their_matrices() {
        let data = CorrelationData::new(
            0.005,
            0.1,
            vec![0.0, 10.0, 20.0],
            2,
            (0..12).map(f64::from).collect(),
        )
        .unwrap();
        let picked = data.select_angles(&[2, 0]);
        assert_eq!(picked.phi, [20.0, 0.0]);
        assert_eq!(picked.c2, [8.0, 9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 3.0]);
    }
}
