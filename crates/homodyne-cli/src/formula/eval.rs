//! Evaluation of the compiled programs over blocks of points.
//!
//! Each instruction runs over a whole block (one tight loop per instruction, so the
//! dispatch costs once per block, not once per point). Values live in one buffer of
//! `registers x block` and gradients in one of `slots x block`; both are thread-local and
//! reused across calls. With the Jacobian, an instruction computes its local partial
//! derivatives (`ca`, `cb`) once and then one entry per parameter the register depends on:
//! `g_r = ca * g_a + cb * g_b` (forward mode).
//!
//! # Edges of a domain: `0^v`, `sqrt(0)`, `asin(+-1)`
//!
//! Some partials are infinite or undefined where the function itself is finite, and the
//! chain rule then computes `inf * 0` or `0 * (-inf)`, NaN, although the derivative exists.
//! The case met in practice is a stretched exponential `exp(-(gamma*t)^alpha)` whose lags
//! start at `t = 0`: there `u = gamma*t = 0` for every `gamma`, `u^alpha = 0` for every
//! `alpha > 0`, and both partials are 0. The limits taken, only where they are right:
//!
//! - `u^v` at `u = 0`, `v > 0`: the partial in `v`, `u^v ln u`, is 0 (its limit as `u -> 0+`,
//!   and `0^v = 0` for every `v > 0`). For `v <= 0` (a pole, or the jump of `0^v` at
//!   `v = 0`) there is no limit and the partial is left non-finite.
//! - The term `f'(u) du` of a function whose slope is infinite at the edge of its domain
//!   (`u^v` for `0 < v < 1` and `sqrt(u)` at `u = 0`, `asin`/`acos` at `u = +-1`) is 0
//!   where `du = 0`: `u` does not move with that parameter, so neither does `f(u)`
//!   ([`edge_mul`]). Where `du != 0` the term stays `+-inf`, the true one-sided slope.
//!   `u^v` at `u = 0` with `v < 0` is a pole: its partial in `u` is NaN, not multiplied away.
//!
//! Away from these points every partial is computed as before, bit for bit; the cost is a
//! comparison per point in the power, `sqrt`, `asin` and `acos` instructions only, not
//! measurable on the stretched exponential's Jacobian (1e6 points: 51, 46 and 30 ns a point
//! with `^alpha`, `^0.62` and `sqrt`, as before).

use std::cell::RefCell;

use super::compile::{Arg, Compiled, Instr, Lowered, Op, Program};
use super::parse::Func;

/// Points per block: the registers of a block stay in the L1/L2 cache.
pub(super) const BLOCK: usize = 256;

/// A block-wide operand: a scalar broadcast to every point, or one value per point.
#[derive(Clone, Copy)]
enum V<'a> {
    S(f64),
    P(&'a [f64]),
}

#[inline(always)]
fn map1(out: &mut [f64], a: V, f: impl Fn(f64) -> f64) {
    match a {
        V::S(a) => out.fill(f(a)),
        V::P(a) => {
            for (o, &a) in out.iter_mut().zip(a) {
                *o = f(a);
            }
        }
    }
}

#[inline(always)]
fn map2(out: &mut [f64], a: V, b: V, f: impl Fn(f64, f64) -> f64) {
    match (a, b) {
        (V::S(a), V::S(b)) => out.fill(f(a, b)),
        (V::S(a), V::P(b)) => {
            for (o, &b) in out.iter_mut().zip(b) {
                *o = f(a, b);
            }
        }
        (V::P(a), V::S(b)) => {
            for (o, &a) in out.iter_mut().zip(a) {
                *o = f(a, b);
            }
        }
        (V::P(a), V::P(b)) => {
            for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
                *o = f(a, b);
            }
        }
    }
}

/// `out += a * b`.
#[inline(always)]
fn acc_mul(out: &mut [f64], a: V, b: V) {
    match (a, b) {
        (V::S(a), V::S(b)) => {
            let ab = a * b;
            out.iter_mut().for_each(|o| *o += ab);
        }
        (V::S(s), V::P(v)) | (V::P(v), V::S(s)) => {
            for (o, &v) in out.iter_mut().zip(v) {
                *o += s * v;
            }
        }
        (V::P(a), V::P(b)) => {
            for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
                *o += a * b;
            }
        }
    }
}

/// `out = ca * ga + cb * gb`.
#[inline(always)]
fn lin2(out: &mut [f64], ca: V, ga: V, cb: V, gb: V) {
    match (ca, ga, cb, gb) {
        (V::P(ca), V::P(ga), V::P(cb), V::P(gb)) => {
            for ((((o, &ca), &ga), &cb), &gb) in out.iter_mut().zip(ca).zip(ga).zip(cb).zip(gb) {
                *o = ca * ga + cb * gb;
            }
        }
        (V::S(ca), ga, V::S(cb), gb) => map2(out, ga, gb, |ga, gb| ca * ga + cb * gb),
        _ => {
            map2(out, ca, ga, |c, g| c * g);
            acc_mul(out, cb, gb);
        }
    }
}

/// `c * g`, except that an infinite partial `c` times a zero gradient `g` is 0, not NaN: the
/// chain-rule term of a function with an infinite slope at the edge of its domain (see the
/// module documentation), whose operand does not move with the parameter. A NaN partial
/// stays NaN.
#[inline(always)]
fn edge_mul(c: f64, g: f64) -> f64 {
    if g == 0.0 && c.is_infinite() {
        0.0
    } else {
        c * g
    }
}

/// Whether the partial `d r / d a` of `op` may be infinite at a finite value (the edge of a
/// domain): its term is then multiplied by [`edge_mul`].
fn edge_slope(op: Op) -> bool {
    match op {
        Op::Pow(..) => true,
        // c > 1: c 0^(c-1) = 0; c < 0: a pole, left non-finite.
        Op::PowF(_, c) => c > 0.0 && c < 1.0,
        Op::Func(f, _) => matches!(f, Func::Sqrt | Func::Asin | Func::Acos),
        _ => false,
    }
}

/// `d(a^b)/da = b a^(b-1)`; at `a = 0` with `b < 0` (a pole) NaN rather than `-inf`, so that
/// [`edge_mul`] does not turn it into 0. (`b = 0` gives `0 * inf`, NaN, already.)
#[inline(always)]
fn pow_partial_base(a: f64, b: f64) -> f64 {
    if a == 0.0 && b < 0.0 {
        f64::NAN
    } else {
        b * a.powf(b - 1.0)
    }
}

/// `d(a^b)/db = a^b ln a` given `r = a^b`; at `a = 0` it is 0 where `r = 0` (that is
/// `b > 0`: the limit of `u^b ln u` as `u -> 0+`, and `0^b = 0` for every `b > 0`). For
/// `b <= 0` it stays `r ln 0`, non-finite.
#[inline(always)]
fn pow_partial_exponent(r: f64, a: f64) -> f64 {
    if a == 0.0 && r == 0.0 {
        0.0
    } else {
        r * a.ln()
    }
}

/// `out = f(a)` for a function of the language; one loop per function.
fn func_value(f: Func, out: &mut [f64], a: V) {
    match f {
        Func::Exp => map1(out, a, f64::exp),
        Func::Log => map1(out, a, f64::ln),
        Func::Log10 => map1(out, a, f64::log10),
        Func::Sqrt => map1(out, a, f64::sqrt),
        Func::Abs => map1(out, a, f64::abs),
        Func::Sin => map1(out, a, f64::sin),
        Func::Cos => map1(out, a, f64::cos),
        Func::Tan => map1(out, a, f64::tan),
        Func::Asin => map1(out, a, f64::asin),
        Func::Acos => map1(out, a, f64::acos),
        Func::Atan => map1(out, a, f64::atan),
        Func::Sinh => map1(out, a, f64::sinh),
        Func::Cosh => map1(out, a, f64::cosh),
        Func::Tanh => map1(out, a, f64::tanh),
    }
}

/// `out = f'(a)`, given `r = f(a)`.
fn func_partial(f: Func, out: &mut [f64], a: V, r: V) {
    match f {
        Func::Exp => map2(out, a, r, |_, r| r),
        Func::Log => map1(out, a, |a| 1.0 / a),
        Func::Log10 => map1(out, a, |a| 1.0 / (a * std::f64::consts::LN_10)),
        // +inf at 0 (the edge of the domain): see `edge_mul`.
        Func::Sqrt => map2(out, a, r, |_, r| 0.5 / r),
        Func::Abs => map1(out, a, |a| {
            if a > 0.0 {
                1.0
            } else if a < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        Func::Sin => map1(out, a, f64::cos),
        Func::Cos => map1(out, a, |a| -a.sin()),
        Func::Tan => map2(out, a, r, |_, r| 1.0 + r * r),
        Func::Asin => map1(out, a, |a| 1.0 / (1.0 - a * a).sqrt()),
        Func::Acos => map1(out, a, |a| -1.0 / (1.0 - a * a).sqrt()),
        Func::Atan => map1(out, a, |a| 1.0 / (1.0 + a * a)),
        Func::Sinh => map1(out, a, f64::cosh),
        Func::Cosh => map1(out, a, f64::sinh),
        Func::Tanh => map2(out, a, r, |_, r| 1.0 - r * r),
    }
}

/// Buffers reused across calls on one thread.
#[derive(Default)]
struct Scratch {
    uni_vals: Vec<f64>,
    uni_grads: Vec<f64>,
    vals: Vec<f64>,
    grads: Vec<f64>,
    pa: Vec<f64>,
    pb: Vec<f64>,
}

fn at_least(v: &mut Vec<f64>, n: usize) {
    if v.len() < n {
        v.resize(n, 0.0);
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Inputs of one program run.
struct Run<'a> {
    prog: &'a Program,
    /// Points in the block (1 for the uniform program).
    m: usize,
    /// The block's predictors, `x_dim` per point (point program).
    x: &'a [f64],
    x_dim: usize,
    p: &'a [f64],
    /// Values and gradients of the uniform program (point program).
    uni_vals: &'a [f64],
    uni_grads: &'a [f64],
}

impl Run<'_> {
    /// Runs the program: registers into `vals`, gradients into `grads` when given.
    fn exec(
        &self,
        vals: &mut [f64],
        mut grads: Option<&mut [f64]>,
        pa: &mut [f64],
        pb: &mut [f64],
    ) {
        let m = self.m;
        let pa = &mut pa[..m];
        let pb = &mut pb[..m];
        let direct_x = self.x_dim == 1;
        for (r, instr) in self.prog.instrs.iter().enumerate() {
            let (done, rest) = vals.split_at_mut(r * m);
            let out = &mut rest[..m];
            let done: &[f64] = done;
            let val = |arg: Arg| match arg {
                Arg::Const(c) => V::S(c),
                // With one predictor a point's x is the predictor: read in place.
                Arg::Reg(q)
                    if direct_x && matches!(self.prog.instrs[q as usize].op, Op::Var(_)) =>
                {
                    V::P(&self.x[..m])
                }
                Arg::Reg(q) => V::P(&done[q as usize * m..][..m]),
                Arg::Uni(u) => V::S(self.uni_vals[u as usize]),
            };
            if direct_x && matches!(instr.op, Op::Var(_)) {
                continue;
            }
            self.value(instr.op, out, &val);
            if let Some(grads) = grads.as_deref_mut()
                && !instr.terms.is_empty()
            {
                self.gradient(instr, V::P(out), &val, grads, pa, pb);
            }
        }
    }

    /// The register's values.
    #[inline(always)]
    fn value<'v>(&self, op: Op, out: &mut [f64], val: &impl Fn(Arg) -> V<'v>) {
        match op {
            Op::Var(j) => {
                let (j, d) = (j as usize, self.x_dim);
                for (o, x) in out.iter_mut().zip(self.x.chunks_exact(d)) {
                    *o = x[j];
                }
            }
            Op::Param(k) => out.fill(self.p[k as usize]),
            Op::Neg(a) => map1(out, val(a), |a| -a),
            Op::Add(a, b) => map2(out, val(a), val(b), |a, b| a + b),
            Op::Sub(a, b) => map2(out, val(a), val(b), |a, b| a - b),
            Op::Mul(a, b) => map2(out, val(a), val(b), |a, b| a * b),
            Op::Div(a, b) => map2(out, val(a), val(b), |a, b| a / b),
            Op::Pow(a, b) => map2(out, val(a), val(b), f64::powf),
            Op::Square(a) => map1(out, val(a), |a| a * a),
            Op::PowI(a, n) => map1(out, val(a), |a| a.powi(n)),
            Op::PowF(a, c) => map1(out, val(a), |a| a.powf(c)),
            Op::Func(f, a) => func_value(f, out, val(a)),
        }
    }

    /// The register's gradient entries, `r` its values.
    fn gradient<'v>(
        &self,
        instr: &Instr,
        r: V<'v>,
        val: &impl Fn(Arg) -> V<'v>,
        grads: &mut [f64],
        pa: &'v mut [f64],
        pb: &'v mut [f64],
    ) {
        let m = self.m;
        let (need_a, need_b) = (instr.need_a, instr.need_b);
        // Local partials: d r / d a and d r / d b.
        let (ca, cb) = match instr.op {
            Op::Var(_) => unreachable!("a predictor depends on no parameter"),
            Op::Param(_) => {
                grads[instr.new_off as usize * m..][..m].fill(1.0);
                return;
            }
            Op::Neg(_) => (V::S(-1.0), V::S(0.0)),
            Op::Add(..) => (V::S(1.0), V::S(1.0)),
            Op::Sub(..) => (V::S(1.0), V::S(-1.0)),
            Op::Mul(a, b) => (val(b), val(a)),
            Op::Div(_, b) => {
                let b = val(b);
                let ca = match b {
                    V::S(b) => V::S(1.0 / b),
                    V::P(_) if need_a => {
                        map1(pa, b, |b| 1.0 / b);
                        V::P(pa)
                    }
                    V::P(_) => V::S(0.0),
                };
                if need_b {
                    map2(pb, r, b, |r, b| -r / b);
                }
                (ca, V::P(pb))
            }
            Op::Pow(a, b) => {
                let (a, b) = (val(a), val(b));
                if need_a {
                    map2(pa, a, b, pow_partial_base);
                }
                if need_b {
                    map2(pb, r, a, pow_partial_exponent);
                }
                (V::P(pa), V::P(pb))
            }
            Op::Square(a) => {
                map1(pa, val(a), |a| 2.0 * a);
                (V::P(pa), V::S(0.0))
            }
            Op::PowI(a, n) => {
                let nf = f64::from(n);
                map1(pa, val(a), |a| nf * a.powi(n - 1));
                (V::P(pa), V::S(0.0))
            }
            Op::PowF(a, c) => {
                map1(pa, val(a), |a| c * a.powf(c - 1.0));
                (V::P(pa), V::S(0.0))
            }
            Op::Func(Func::Exp, _) => (r, V::S(0.0)),
            Op::Func(f, a) => {
                func_partial(f, pa, val(a), r);
                (V::P(pa), V::S(0.0))
            }
        };
        let (ga_src, gb_src) = instr.op.args();
        let (done, rest) = grads.split_at_mut(instr.new_off as usize * m);
        let done: &[f64] = done;
        let grad = |arg: Option<Arg>, slot: u32| match arg {
            Some(Arg::Reg(_)) => V::P(&done[slot as usize * m..][..m]),
            Some(Arg::Uni(_)) => V::S(self.uni_grads[slot as usize]),
            _ => unreachable!("only registers have gradients"),
        };
        let edge = edge_slope(instr.op);
        for (term, out) in instr.terms.iter().zip(rest.chunks_exact_mut(m)) {
            match (term.a, term.b) {
                (Some(sa), None) if edge => map2(out, ca, grad(ga_src, sa), edge_mul),
                (Some(sa), None) => map2(out, ca, grad(ga_src, sa), |c, g| c * g),
                (None, Some(sb)) => map2(out, cb, grad(gb_src, sb), |c, g| c * g),
                (Some(sa), Some(sb)) if edge => {
                    map2(out, ca, grad(ga_src, sa), edge_mul);
                    acc_mul(out, cb, grad(gb_src, sb));
                }
                (Some(sa), Some(sb)) => lin2(out, ca, grad(ga_src, sa), cb, grad(gb_src, sb)),
                (None, None) => unreachable!("a dependency comes from an operand"),
            }
        }
    }
}

/// Evaluates the formula at the `values.len()` points of `x` and, when `jacobian` is given,
/// its row-major Jacobian.
pub(super) fn evaluate(
    c: &Compiled,
    x_dim: usize,
    x: &[f64],
    p: &[f64],
    values: &mut [f64],
    jacobian: Option<&mut [f64]>,
) {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => evaluate_with(c, x_dim, x, p, values, jacobian, &mut scratch),
        // Re-entered on this thread (cannot happen from the solvers): fresh buffers.
        Err(_) => evaluate_with(c, x_dim, x, p, values, jacobian, &mut Scratch::default()),
    })
}

fn evaluate_with(
    c: &Compiled,
    x_dim: usize,
    x: &[f64],
    p: &[f64],
    values: &mut [f64],
    mut jacobian: Option<&mut [f64]>,
    s: &mut Scratch,
) {
    let n_params = p.len();
    let with_jac = jacobian.is_some();
    at_least(&mut s.uni_vals, c.uniform.instrs.len());
    at_least(&mut s.uni_grads, c.uniform.n_slots as usize);
    at_least(&mut s.vals, c.point.instrs.len() * BLOCK);
    at_least(&mut s.grads, c.point.n_slots as usize * BLOCK);
    at_least(&mut s.pa, BLOCK);
    at_least(&mut s.pb, BLOCK);
    let Scratch {
        uni_vals,
        uni_grads,
        vals,
        grads,
        pa,
        pb,
    } = s;

    Run {
        prog: &c.uniform,
        m: 1,
        x: &[],
        x_dim,
        p,
        uni_vals: &[],
        uni_grads: &[],
    }
    .exec(uni_vals, with_jac.then_some(&mut uni_grads[..]), pa, pb);

    for (block, values) in values.chunks_mut(BLOCK).enumerate() {
        let start = block * BLOCK;
        let m = values.len();
        let run = Run {
            prog: &c.point,
            m,
            x: &x[start * x_dim..(start + m) * x_dim],
            x_dim,
            p,
            uni_vals,
            uni_grads,
        };
        run.exec(vals, with_jac.then_some(&mut grads[..]), pa, pb);

        match c.root {
            Lowered::Const(v) => values.fill(v),
            Lowered::Uni(u) => values.fill(uni_vals[u as usize]),
            // The formula is a predictor, read in place (see `Run::exec`).
            Lowered::Point(r)
                if x_dim == 1 && matches!(c.point.instrs[r as usize].op, Op::Var(_)) =>
            {
                values.copy_from_slice(run.x)
            }
            Lowered::Point(r) => values.copy_from_slice(&vals[r as usize * m..][..m]),
        }
        let Some(jac) = jacobian.as_deref_mut() else {
            continue;
        };
        let jac = &mut jac[start * n_params..(start + m) * n_params];
        let root = match c.root {
            Lowered::Const(_) => None,
            Lowered::Uni(u) => Some(&c.uniform.instrs[u as usize]),
            Lowered::Point(r) => Some(&c.point.instrs[r as usize]),
        };
        let deps = root.map_or(&[][..], |i| &i.deps[..]);
        if deps.len() < n_params {
            jac.fill(0.0);
        }
        let Some(root) = root else { continue };
        for (&k, &slot) in deps.iter().zip(&root.slots) {
            let slot = slot as usize;
            match c.root {
                Lowered::Uni(_) => {
                    let g = uni_grads[slot];
                    jac.chunks_exact_mut(n_params)
                        .for_each(|row| row[k as usize] = g);
                }
                _ => {
                    let g = &grads[slot * m..][..m];
                    for (row, &g) in jac.chunks_exact_mut(n_params).zip(g) {
                        row[k as usize] = g;
                    }
                }
            }
        }
    }
}
