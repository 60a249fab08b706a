//! Geometry of the box `lb <= x <= ub`: Coleman-Li scaling, distances to the bounds and
//! strict feasibility.

/// Coleman-Li scaling vector `v` and its derivative `dv` (Branch, Coleman and Li 1999):
///
/// ```text
/// v_i = ub_i - x_i  if g_i < 0 and ub_i finite   (dv_i = -1)
///       x_i - lb_i  if g_i > 0 and lb_i finite   (dv_i = +1)
///       1           otherwise                    (dv_i =  0)
/// ```
///
/// First-order optimality within the bounds reads `v * g = 0`.
pub fn coleman_li_scaling(x: &[f64], g: &[f64], lb: &[f64], ub: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![1.0; x.len()];
    let mut dv = vec![0.0; x.len()];
    for i in 0..x.len() {
        if g[i] < 0.0 && ub[i].is_finite() {
            v[i] = ub[i] - x[i];
            dv[i] = -1.0;
        } else if g[i] > 0.0 && lb[i].is_finite() {
            v[i] = x[i] - lb[i];
            dv[i] = 1.0;
        }
    }
    (v, dv)
}

/// The smallest `t >= 0` such that `x + t s` reaches a bound, and for each component
/// whether it is the one hitting (`-1` lower, `+1` upper, `0` not).
pub fn step_size_to_bound(x: &[f64], s: &[f64], lb: &[f64], ub: &[f64]) -> (f64, Vec<i8>) {
    let steps: Vec<f64> = (0..x.len())
        .map(|i| {
            if s[i] == 0.0 {
                f64::INFINITY
            } else {
                ((lb[i] - x[i]) / s[i]).max((ub[i] - x[i]) / s[i])
            }
        })
        .collect();
    let min_step = steps.iter().copied().fold(f64::INFINITY, f64::min);
    let hits = steps
        .iter()
        .zip(s)
        .map(|(&t, &si)| {
            if t == min_step && si != 0.0 {
                if si > 0.0 { 1 } else { -1 }
            } else {
                0
            }
        })
        .collect();
    (min_step, hits)
}

/// The roots `t_neg <= t_pos` of `||x + t s|| = Delta`, or `None` when `s = 0` or `x` lies
/// outside the region.
pub fn intersect_trust_region(x: &[f64], s: &[f64], delta: f64) -> Option<(f64, f64)> {
    let a: f64 = s.iter().map(|v| v * v).sum();
    if a == 0.0 {
        return None;
    }
    let b: f64 = x.iter().zip(s).map(|(p, q)| p * q).sum();
    let c: f64 = x.iter().map(|v| v * v).sum::<f64>() - delta * delta;
    if c > 0.0 {
        return None;
    }
    let d = (b * b - a * c).sqrt();
    // Avoid cancellation (Numerical Recipes' quadratic formula).
    let q = -(b + d.copysign(b));
    let (t1, t2) = (q / a, c / q);
    Some(if t1 < t2 { (t1, t2) } else { (t2, t1) })
}

/// True when `lb <= x <= ub` everywhere.
pub fn in_bounds(x: &[f64], lb: &[f64], ub: &[f64]) -> bool {
    x.iter()
        .zip(lb.iter().zip(ub))
        .all(|(v, (l, u))| l <= v && v <= u)
}

/// Which bounds are active at `x` within relative tolerance `rtol` (`-1` lower, `+1` upper).
pub fn active_bounds(x: &[f64], lb: &[f64], ub: &[f64], rtol: f64) -> Vec<i8> {
    (0..x.len())
        .map(|i| {
            if rtol == 0.0 {
                return if x[i] <= lb[i] {
                    -1
                } else if x[i] >= ub[i] {
                    1
                } else {
                    0
                };
            }
            let lower_dist = x[i] - lb[i];
            let upper_dist = ub[i] - x[i];
            let lower_thr = rtol * lb[i].abs().max(1.0);
            let upper_thr = rtol * ub[i].abs().max(1.0);
            if lb[i].is_finite() && lower_dist <= upper_dist.min(lower_thr) {
                -1
            } else if ub[i].is_finite() && upper_dist <= lower_dist.min(upper_thr) {
                1
            } else {
                0
            }
        })
        .collect()
}

/// Moves `x` strictly inside the box: components within `rstep` (relative) of a bound move
/// to that distance; with `rstep = 0`, to the next representable number.
pub fn make_strictly_feasible(x: &[f64], lb: &[f64], ub: &[f64], rstep: f64) -> Vec<f64> {
    let active = active_bounds(x, lb, ub, rstep);
    let mut out = x.to_vec();
    for i in 0..x.len() {
        match active[i] {
            -1 => {
                out[i] = if rstep == 0.0 {
                    lb[i].next_up()
                } else {
                    lb[i] + rstep * lb[i].abs().max(1.0)
                }
            }
            1 => {
                out[i] = if rstep == 0.0 {
                    ub[i].next_down()
                } else {
                    ub[i] - rstep * ub[i].abs().max(1.0)
                }
            }
            _ => {}
        }
        if out[i] < lb[i] || out[i] > ub[i] {
            out[i] = 0.5 * (lb[i] + ub[i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_to_bound_and_hits() {
        let (t, hits) = step_size_to_bound(&[0.5, 0.5], &[1.0, -0.25], &[0.0, 0.0], &[1.0, 1.0]);
        assert_eq!(t, 0.5);
        assert_eq!(hits, vec![1, 0]);
    }

    #[test]
    fn strictly_feasible_moves_off_the_bounds() {
        let x = make_strictly_feasible(&[0.0, 1.0, 0.5], &[0.0; 3], &[1.0; 3], 0.0);
        assert!(x[0] > 0.0 && x[1] < 1.0 && x[2] == 0.5);
    }

    #[test]
    fn trust_region_intersection() {
        let (a, b) = intersect_trust_region(&[0.0, 0.0], &[1.0, 0.0], 2.0).unwrap();
        assert_eq!((a, b), (-2.0, 2.0));
        assert!(intersect_trust_region(&[3.0, 0.0], &[1.0, 0.0], 2.0).is_none());
    }
}
