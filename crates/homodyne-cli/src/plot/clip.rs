//! Clipping of the curve to the upper panel, so that no coordinate far outside the axis
//! ranges reaches plotters.

/// Values of larger magnitude are treated like non-finite ones (so that range arithmetic
/// stays finite): such data points are not drawn, and curves are clipped at the panel edge.
pub(super) const RANGE_LIMIT: f64 = 1e300;

/// The parts of a polyline inside the box `x` by `y`: split where a point is not finite and
/// cut (Liang-Barsky) where it leaves the box. Plotters maps coordinates far outside its
/// range to overflowing pixel positions, so nothing outside the box may reach it.
pub(super) fn clipped_runs(
    points: &[(f64, f64)],
    x: (f64, f64),
    y: (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let clamp = |(a, b): (f64, f64)| {
        (
            a.clamp(-RANGE_LIMIT, RANGE_LIMIT),
            b.clamp(-RANGE_LIMIT, RANGE_LIMIT),
        )
    };
    let mut runs = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut continues = false;
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let finite = a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite();
        let clipped = if finite {
            clip_segment(clamp(a), clamp(b), x, y)
        } else {
            None
        };
        match clipped {
            Some(Clipped {
                start,
                end,
                start_cut,
                end_cut,
            }) => {
                if (!continues || start_cut) && !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
                if current.is_empty() {
                    current.push(start);
                }
                current.push(end);
                continues = !end_cut;
            }
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
                continues = false;
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The part of a segment inside the clipping box.
struct Clipped {
    start: (f64, f64),
    end: (f64, f64),
    /// Whether the start was moved onto the box's edge (the segment began outside).
    start_cut: bool,
    /// Whether the end was moved onto the box's edge (the segment ended outside).
    end_cut: bool,
}

/// The part of the segment `a`-`b` inside the box `x` by `y`, if any.
fn clip_segment(a: (f64, f64), b: (f64, f64), x: (f64, f64), y: (f64, f64)) -> Option<Clipped> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some(Clipped {
        start: if t0 > 0.0 { at(t0) } else { a },
        end: if t1 < 1.0 { at(t1) } else { b },
        start_cut: t0 > 0.0,
        end_cut: t1 < 1.0,
    })
}
