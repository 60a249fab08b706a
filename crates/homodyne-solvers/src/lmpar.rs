//! The Levenberg-Marquardt parameter (Moré 1977; MINPACK's `qrfac`, `lmpar`, `qrsolv`).
//!
//! Given the QR factorisation with column pivoting `A Pi = Q R` of the (small) Jacobian
//! factor, a positive diagonal `D` and a radius `Delta`, [`lmpar`] finds `lambda >= 0` such
//! that the solution of
//!
//! ```text
//! min || [A; sqrt(lambda) D] x - [b; 0] ||
//! ```
//!
//! satisfies `| ||D x|| - Delta | <= 0.1 Delta` (or `lambda = 0` with `||D x|| <= 1.1 Delta`),
//! by a safeguarded Newton iteration on `phi(lambda) = ||D x(lambda)|| - Delta`. Each
//! trial `lambda` is solved by [`qrsolv`], which eliminates `sqrt(lambda) D` from the
//! triangular system with Givens rotations instead of refactoring.
//!
//! Matrices here are column-major `n x n` (`r[i + j * n]` is row `i`, column `j`), as in
//! MINPACK, so the algorithms read like their published description.

use crate::dense::norm;

/// Householder QR with column pivoting of the column-major `rows x cols` matrix `a`
/// (`rows >= cols`), applied to `b` as well. Returns `(r, ipvt, qtb)`: `r` the `cols x cols`
/// upper-triangular factor (column-major), `ipvt[j]` the original index of the `j`-th
/// pivoted column, `qtb` the first `cols` entries of `Q^T b`.
pub fn pivoted_qr(
    a: &mut [f64],
    rows: usize,
    cols: usize,
    b: &mut [f64],
) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let mut ipvt: Vec<usize> = (0..cols).collect();
    let mut rdiag = vec![0.0; cols];
    for j in 0..cols {
        let col_norm = |a: &[f64], c: usize| norm(&a[c * rows + j..(c + 1) * rows]);
        let kmax = (j..cols)
            .max_by(|&p, &q| col_norm(a, p).total_cmp(&col_norm(a, q)).then(q.cmp(&p)))
            .unwrap_or(j);
        if kmax != j {
            for i in 0..rows {
                a.swap(j * rows + i, kmax * rows + i);
            }
            ipvt.swap(j, kmax);
        }
        let mut ajnorm = col_norm(a, j);
        if ajnorm == 0.0 {
            continue;
        }
        if a[j * rows + j] < 0.0 {
            ajnorm = -ajnorm;
        }
        for i in j..rows {
            a[j * rows + i] /= ajnorm;
        }
        a[j * rows + j] += 1.0;
        let pivot = a[j * rows + j];
        for c in j + 1..cols {
            let sum: f64 = (j..rows).map(|i| a[j * rows + i] * a[c * rows + i]).sum();
            let temp = sum / pivot;
            for i in j..rows {
                a[c * rows + i] -= temp * a[j * rows + i];
            }
        }
        let sum: f64 = (j..rows).map(|i| a[j * rows + i] * b[i]).sum();
        let temp = sum / pivot;
        for i in j..rows {
            b[i] -= temp * a[j * rows + i];
        }
        rdiag[j] = -ajnorm;
    }
    let mut r = vec![0.0; cols * cols];
    for c in 0..cols {
        for i in 0..c {
            r[i + c * cols] = a[c * rows + i];
        }
        r[c + c * cols] = rdiag[c];
    }
    (r, ipvt, b[..cols].to_vec())
}

/// Solves `min || [A; D] x - [b; 0] ||` given `A Pi = Q R` (`r` upper triangle), the
/// diagonal `diag` (indexed by original column) and `qtb = Q^T b`. Overwrites the strict
/// lower triangle of `r` with the transposed factor `S` of `Pi^T (A^T A + D D) Pi = S^T S`
/// and returns `(x, sdiag)` with `sdiag` the diagonal of `S`.
pub fn qrsolv(
    n: usize,
    r: &mut [f64],
    ipvt: &[usize],
    diag: &[f64],
    qtb: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut r_diag = vec![0.0; n];
    let mut wa = qtb.to_vec();
    for j in 0..n {
        for i in j..n {
            r[i + j * n] = r[j + i * n];
        }
        r_diag[j] = r[j + j * n];
    }
    let mut sdiag = vec![0.0; n];
    for j in 0..n {
        let l = ipvt[j];
        if diag[l] != 0.0 {
            for s in &mut sdiag[j..] {
                *s = 0.0;
            }
            sdiag[j] = diag[l];
            let mut qtbpj = 0.0;
            for k in j..n {
                if sdiag[k] == 0.0 {
                    continue;
                }
                let rkk = r[k + k * n];
                let (sin, cos) = if rkk.abs() < sdiag[k].abs() {
                    let cotan = rkk / sdiag[k];
                    let sin = 0.5 / (0.25 + 0.25 * cotan * cotan).sqrt();
                    (sin, sin * cotan)
                } else {
                    let tan = sdiag[k] / rkk;
                    let cos = 0.5 / (0.25 + 0.25 * tan * tan).sqrt();
                    (cos * tan, cos)
                };
                r[k + k * n] = cos * rkk + sin * sdiag[k];
                let temp = cos * wa[k] + sin * qtbpj;
                qtbpj = -sin * wa[k] + cos * qtbpj;
                wa[k] = temp;
                for i in k + 1..n {
                    let temp = cos * r[i + k * n] + sin * sdiag[i];
                    sdiag[i] = -sin * r[i + k * n] + cos * sdiag[i];
                    r[i + k * n] = temp;
                }
            }
        }
        sdiag[j] = r[j + j * n];
        r[j + j * n] = r_diag[j];
    }
    let mut nsing = n;
    for j in 0..n {
        if sdiag[j] == 0.0 && nsing == n {
            nsing = j;
        }
        if nsing < n {
            wa[j] = 0.0;
        }
    }
    for j in (0..nsing).rev() {
        let sum: f64 = (j + 1..nsing).map(|i| r[i + j * n] * wa[i]).sum();
        wa[j] = (wa[j] - sum) / sdiag[j];
    }
    let mut x = vec![0.0; n];
    for j in 0..n {
        x[ipvt[j]] = wa[j];
    }
    (x, sdiag)
}

/// The Levenberg-Marquardt parameter and step (see the module documentation). `r` holds
/// the pivoted factor (its strict lower triangle is used as workspace). Returns `(x, par)`
/// where `x` solves the damped system: the step is `-x`.
pub fn lmpar(
    n: usize,
    r: &mut [f64],
    ipvt: &[usize],
    diag: &[f64],
    qtb: &[f64],
    delta: f64,
    par: f64,
) -> (Vec<f64>, f64) {
    let dwarf = f64::MIN_POSITIVE;
    // Gauss-Newton direction (least-squares solution if R is singular).
    let mut nsing = n;
    let mut wa1 = qtb.to_vec();
    for j in 0..n {
        if r[j + j * n] == 0.0 && nsing == n {
            nsing = j;
        }
        if nsing < n {
            wa1[j] = 0.0;
        }
    }
    for j in (0..nsing).rev() {
        wa1[j] /= r[j + j * n];
        let temp = wa1[j];
        for i in 0..j {
            wa1[i] -= r[i + j * n] * temp;
        }
    }
    let mut x = vec![0.0; n];
    for j in 0..n {
        x[ipvt[j]] = wa1[j];
    }
    let mut wa2: Vec<f64> = (0..n).map(|j| diag[j] * x[j]).collect();
    let mut dxnorm = norm(&wa2);
    let mut fp = dxnorm - delta;
    if fp <= 0.1 * delta {
        return (x, 0.0);
    }

    // Lower bound from the Newton step at lambda = 0 (only for full rank).
    let mut parl = 0.0;
    if nsing == n {
        for j in 0..n {
            let l = ipvt[j];
            wa1[j] = diag[l] * (wa2[l] / dxnorm);
        }
        for j in 0..n {
            let sum: f64 = (0..j).map(|i| r[i + j * n] * wa1[i]).sum();
            wa1[j] = (wa1[j] - sum) / r[j + j * n];
        }
        let temp = norm(&wa1);
        parl = ((fp / delta) / temp) / temp;
    }
    // Upper bound from the gradient.
    for j in 0..n {
        let sum: f64 = (0..=j).map(|i| r[i + j * n] * qtb[i]).sum();
        wa1[j] = sum / diag[ipvt[j]];
    }
    let gnorm = norm(&wa1);
    let mut paru = gnorm / delta;
    if paru == 0.0 {
        paru = dwarf / delta.min(0.1);
    }
    let mut par = par.max(parl).min(paru);
    if par == 0.0 {
        par = gnorm / dxnorm;
    }

    let mut iter = 0;
    loop {
        iter += 1;
        if par == 0.0 {
            par = dwarf.max(0.001 * paru);
        }
        let sqrt_par = par.sqrt();
        let damping: Vec<f64> = diag.iter().map(|d| sqrt_par * d).collect();
        let (solution, sdiag) = qrsolv(n, r, ipvt, &damping, qtb);
        x = solution;
        wa2 = (0..n).map(|j| diag[j] * x[j]).collect();
        dxnorm = norm(&wa2);
        let previous = fp;
        fp = dxnorm - delta;
        if fp.abs() <= 0.1 * delta
            || (parl == 0.0 && fp <= previous && previous < 0.0)
            || iter == 10
        {
            break;
        }
        // Newton correction.
        for j in 0..n {
            let l = ipvt[j];
            wa1[j] = diag[l] * (wa2[l] / dxnorm);
        }
        for j in 0..n {
            wa1[j] /= sdiag[j];
            let temp = wa1[j];
            for i in j + 1..n {
                wa1[i] -= r[i + j * n] * temp;
            }
        }
        let temp = norm(&wa1);
        let parc = ((fp / delta) / temp) / temp;
        if fp > 0.0 {
            parl = parl.max(par);
        }
        if fp < 0.0 {
            paru = paru.min(par);
        }
        par = parl.max(par + parc);
    }
    (x, par)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivoted_qr_reproduces_normal_matrix() {
        // Column-major 4 x 3.
        let a0 = vec![1.0, 2.0, 0.5, 0.1, 0.0, 3.0, 1.0, 0.2, 4.0, 0.1, 0.3, 1.0];
        let mut a = a0.clone();
        let mut b = vec![1.0, 0.0, 2.0, 1.0];
        let (r, ipvt, _) = pivoted_qr(&mut a, 4, 3, &mut b);
        for p in 0..3 {
            for q in 0..3 {
                let ata: f64 = (0..4)
                    .map(|i| a0[ipvt[p] * 4 + i] * a0[ipvt[q] * 4 + i])
                    .sum();
                let rtr: f64 = (0..3).map(|i| r[i + p * 3] * r[i + q * 3]).sum();
                assert!((ata - rtr).abs() < 1e-12);
            }
        }
        // The largest column comes first.
        assert_eq!(ipvt[0], 2);
    }

    #[test]
    fn lmpar_step_has_radius_delta() {
        let a0 = vec![2.0, 0.0, 0.0, 1.0, 1.0, 0.5]; // 3 x 2 column-major
        let mut a = a0.clone();
        let mut b = vec![3.0, 1.0, 2.0];
        let (mut r, ipvt, qtb) = pivoted_qr(&mut a, 3, 2, &mut b);
        let diag = [1.0, 1.0];
        let (x, par) = lmpar(2, &mut r, &ipvt, &diag, &qtb, 0.1, 0.0);
        let dx = norm(&x);
        assert!(par > 0.0);
        assert!((dx - 0.1).abs() <= 0.01 + 1e-12, "{dx}");
        // Large radius: the Gauss-Newton step, par = 0.
        let (mut a, mut b) = (a0, vec![3.0, 1.0, 2.0]);
        let (mut r, ipvt, qtb) = pivoted_qr(&mut a, 3, 2, &mut b);
        let (_, par) = lmpar(2, &mut r, &ipvt, &diag, &qtb, 1e3, 0.0);
        assert_eq!(par, 0.0);
    }
}
