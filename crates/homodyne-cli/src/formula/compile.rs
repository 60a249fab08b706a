//! Lowering of the expression tree to two flat register programs.
//!
//! Every node is classified bottom-up:
//! - *constant*: depends on neither parameters nor data; folded to a number at compile time;
//! - *uniform*: depends on parameters only (`-b`, `a/c`, `exp(k)`): evaluated once per call
//!   by the uniform program, its value and gradient then read as scalars;
//! - *per point*: depends on a data column; evaluated by the point program, one register a
//!   chunk of points wide.
//!
//! Both programs are in SSA form (each instruction writes its own register and reads only
//! earlier ones), identical instructions are shared (common subexpressions), and each
//! register carries the sorted list of parameters it depends on: its gradient is stored for
//! those parameters only (forward mode, sparse in the parameters).

use super::parse::{BinOp, Expr, Func};

/// An instruction's operand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Arg {
    /// A number.
    Const(f64),
    /// A register of the same program.
    Reg(u32),
    /// A register of the uniform program (only in the point program): a scalar.
    Uni(u32),
}

/// An instruction: what its register holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
    /// The `j`-th predictor of each point (point program).
    Var(u32),
    /// Parameter `k` (uniform program).
    Param(u32),
    Neg(Arg),
    Add(Arg, Arg),
    Sub(Arg, Arg),
    Mul(Arg, Arg),
    Div(Arg, Arg),
    /// `a^b`, both operands variable.
    Pow(Arg, Arg),
    /// `a^2`.
    Square(Arg),
    /// `a^n` for a constant integer `n`.
    PowI(Arg, i32),
    /// `a^c` for a constant real `c`.
    PowF(Arg, f64),
    Func(Func, Arg),
}

impl Op {
    /// The operands, first and second.
    pub(super) fn args(&self) -> (Option<Arg>, Option<Arg>) {
        match *self {
            Op::Var(_) | Op::Param(_) => (None, None),
            Op::Neg(a) | Op::Square(a) | Op::PowI(a, _) | Op::PowF(a, _) | Op::Func(_, a) => {
                (Some(a), None)
            }
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) | Op::Pow(a, b) => {
                (Some(a), Some(b))
            }
        }
    }
}

/// One computed gradient entry of a register: `d r / d p_k = ca * (d a / d p_k) + cb *
/// (d b / d p_k)`, with the operands' gradient slots (absolute, in the operand's own
/// program) or `None` where an operand does not depend on `p_k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GradTerm {
    pub(super) a: Option<u32>,
    pub(super) b: Option<u32>,
}

/// An instruction with its register's dependencies.
///
/// The gradient entry of a sum that comes from one operand alone is that operand's entry:
/// the register shares the operand's slot instead of copying it. Its other entries get new
/// slots, `new_off..new_off + terms.len()`, computed by `terms` in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Instr {
    pub(super) op: Op,
    /// The parameters the register depends on, sorted.
    pub(super) deps: Vec<u32>,
    /// The gradient slot of each entry of `deps` (shared or new).
    pub(super) slots: Vec<u32>,
    /// The first new slot.
    pub(super) new_off: u32,
    /// One term per new slot.
    pub(super) terms: Vec<GradTerm>,
    /// Whether some term reads the first / second operand's gradient.
    pub(super) need_a: bool,
    pub(super) need_b: bool,
}

/// A straight-line program.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Program {
    pub(super) instrs: Vec<Instr>,
    /// Total gradient slots.
    pub(super) n_slots: u32,
}

/// Where a lowered node lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Lowered {
    Const(f64),
    /// Register of the uniform program.
    Uni(u32),
    /// Register of the point program.
    Point(u32),
}

/// The compiled formula.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Compiled {
    pub(super) uniform: Program,
    pub(super) point: Program,
    pub(super) root: Lowered,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Uniform,
    Point,
}

struct Compiler<'a> {
    uniform: Program,
    point: Program,
    /// Column index -> predictor slot in a point's `x`.
    var_of_column: &'a [Option<u32>],
}

/// Lowers `expr`; `var_of_column[j]` is the position of column `j` among a point's
/// predictors (every column the expression reads has one).
pub(super) fn compile(expr: &Expr, var_of_column: &[Option<u32>]) -> Compiled {
    let mut c = Compiler {
        uniform: Program::default(),
        point: Program::default(),
        var_of_column,
    };
    let root = c.lower(expr);
    Compiled {
        uniform: c.uniform,
        point: c.point,
        root,
    }
}

/// The scalar semantics of a binary operator, shared by constant folding and evaluation.
pub(super) fn apply_bin(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
    }
}

impl Compiler<'_> {
    fn lower(&mut self, e: &Expr) -> Lowered {
        match e {
            Expr::Num(v) => Lowered::Const(*v),
            Expr::Param(k) => self.emit(Which::Uniform, Op::Param(*k as u32)),
            Expr::Column(j) => {
                let var = self.var_of_column[*j].expect("every column read has a predictor slot");
                self.emit(Which::Point, Op::Var(var))
            }
            Expr::Neg(a) => {
                let a = self.lower(a);
                self.neg(a)
            }
            Expr::Call(f, a) => {
                let a = self.lower(a);
                match a {
                    Lowered::Const(v) => Lowered::Const(f.value(v)),
                    _ => self.emit_unary(a, |a| Op::Func(*f, a)),
                }
            }
            Expr::Bin(op, a, b) => {
                let a = self.lower(a);
                let b = self.lower(b);
                self.binary(*op, a, b)
            }
        }
    }

    fn neg(&mut self, a: Lowered) -> Lowered {
        match a {
            Lowered::Const(v) => Lowered::Const(-v),
            _ => {
                // -(-x) = x
                if let Some(Op::Neg(inner)) = self.op_of(a) {
                    return self.lift(a, inner);
                }
                self.emit_unary(a, Op::Neg)
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: Lowered, b: Lowered) -> Lowered {
        use Lowered::Const;
        match (op, a, b) {
            (_, Const(x), Const(y)) => Const(apply_bin(op, x, y)),
            // Identities that hold for every finite or infinite x (NaN stays NaN).
            (BinOp::Add, x, Const(0.0)) | (BinOp::Add, Const(0.0), x) => x,
            (BinOp::Sub, x, Const(0.0)) => x,
            (BinOp::Sub, Const(0.0), x) => self.neg(x),
            (BinOp::Mul, x, Const(1.0)) | (BinOp::Mul, Const(1.0), x) => x,
            (BinOp::Mul, x, Const(-1.0)) | (BinOp::Mul, Const(-1.0), x) => self.neg(x),
            (BinOp::Div, x, Const(1.0)) => x,
            (BinOp::Pow, x, Const(c)) => self.pow_const(x, c),
            (BinOp::Pow, Const(c), x) if c == std::f64::consts::E => {
                self.emit_unary(x, |a| Op::Func(Func::Exp, a))
            }
            _ => {
                let make = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    BinOp::Div => Op::Div,
                    BinOp::Pow => Op::Pow,
                };
                self.emit_binary(a, b, make)
            }
        }
    }

    /// `x^c` for a constant `c`.
    fn pow_const(&mut self, x: Lowered, c: f64) -> Lowered {
        if c == 0.0 {
            // powf(x, 0) is 1 for every x, NaN included.
            Lowered::Const(1.0)
        } else if c == 1.0 {
            x
        } else if c == 2.0 {
            self.emit_unary(x, Op::Square)
        } else if c == 0.5 {
            self.emit_unary(x, |a| Op::Func(Func::Sqrt, a))
        } else if c.fract() == 0.0 && c.abs() <= 64.0 {
            self.emit_unary(x, |a| Op::PowI(a, c as i32))
        } else {
            self.emit_unary(x, |a| Op::PowF(a, c))
        }
    }

    /// The operation behind a non-constant node.
    fn op_of(&self, a: Lowered) -> Option<Op> {
        match a {
            Lowered::Const(_) => None,
            Lowered::Uni(r) => Some(self.uniform.instrs[r as usize].op),
            Lowered::Point(r) => Some(self.point.instrs[r as usize].op),
        }
    }

    /// An operand `arg` of the instruction behind `owner`, as a node.
    fn lift(&self, owner: Lowered, arg: Arg) -> Lowered {
        match (owner, arg) {
            (_, Arg::Const(v)) => Lowered::Const(v),
            (Lowered::Uni(_), Arg::Reg(r)) | (_, Arg::Uni(r)) => Lowered::Uni(r),
            (_, Arg::Reg(r)) => Lowered::Point(r),
        }
    }

    /// The program a result of operands `a`, `b` belongs to, and the operands as its args.
    fn place(a: Lowered, b: Option<Lowered>) -> (Which, Arg, Option<Arg>) {
        let point = matches!(a, Lowered::Point(_)) || matches!(b, Some(Lowered::Point(_)));
        let which = if point { Which::Point } else { Which::Uniform };
        let arg = |l: Lowered| match (which, l) {
            (_, Lowered::Const(v)) => Arg::Const(v),
            (Which::Uniform, Lowered::Uni(r)) => Arg::Reg(r),
            (Which::Point, Lowered::Uni(r)) => Arg::Uni(r),
            (_, Lowered::Point(r)) => Arg::Reg(r),
        };
        (which, arg(a), b.map(arg))
    }

    fn emit_unary(&mut self, a: Lowered, make: impl Fn(Arg) -> Op) -> Lowered {
        let (which, a, _) = Self::place(a, None);
        self.emit(which, make(a))
    }

    fn emit_binary(&mut self, a: Lowered, b: Lowered, make: impl Fn(Arg, Arg) -> Op) -> Lowered {
        let (which, a, b) = Self::place(a, Some(b));
        self.emit(which, make(a, b.expect("two operands")))
    }

    /// The parameters `arg` depends on and their gradient slots.
    fn deps_of(&self, which: Which, arg: Arg) -> (&[u32], &[u32]) {
        let instr = match (which, arg) {
            (_, Arg::Const(_)) => return (&[], &[]),
            (Which::Uniform, Arg::Reg(r)) | (Which::Point, Arg::Uni(r)) => {
                &self.uniform.instrs[r as usize]
            }
            (Which::Point, Arg::Reg(r)) => &self.point.instrs[r as usize],
            (Which::Uniform, Arg::Uni(_)) => unreachable!("the uniform program reads no Uni"),
        };
        (&instr.deps, &instr.slots)
    }

    /// Appends `op` to a program (or finds the identical instruction already there).
    fn emit(&mut self, which: Which, op: Op) -> Lowered {
        let wrap = |r: usize| match which {
            Which::Uniform => Lowered::Uni(r as u32),
            Which::Point => Lowered::Point(r as u32),
        };
        let prog = match which {
            Which::Uniform => &self.uniform,
            Which::Point => &self.point,
        };
        if let Some(r) = prog.instrs.iter().position(|i| i.op == op) {
            return wrap(r);
        }
        let new_off = prog.n_slots;
        let mut deps = Vec::new();
        let mut slots = Vec::new();
        let mut terms = Vec::new();
        if let Op::Param(k) = op {
            deps.push(k);
            slots.push(new_off);
            terms.push(GradTerm { a: None, b: None });
        } else {
            let (a, b) = op.args();
            let (da, sa) = a.map_or((&[][..], &[][..]), |a| self.deps_of(which, a));
            let (db, sb) = b.map_or((&[][..], &[][..]), |b| self.deps_of(which, b));
            deps = da.iter().chain(db).copied().collect();
            deps.sort_unstable();
            deps.dedup();
            // A gradient entry that is an operand's own (coefficient 1, other operand
            // independent of the parameter) is shared when it lives in this program.
            let same_program = |arg: Option<Arg>| matches!(arg, Some(Arg::Reg(_)));
            let (share_a, share_b) = match op {
                Op::Add(..) => (same_program(a), same_program(b)),
                Op::Sub(..) => (same_program(a), false),
                _ => (false, false),
            };
            for k in &deps {
                let ta = da.binary_search(k).ok().map(|s| sa[s]);
                let tb = db.binary_search(k).ok().map(|s| sb[s]);
                match (ta, tb) {
                    (Some(s), None) if share_a => slots.push(s),
                    (None, Some(s)) if share_b => slots.push(s),
                    _ => {
                        slots.push(new_off + terms.len() as u32);
                        terms.push(GradTerm { a: ta, b: tb });
                    }
                }
            }
        }
        let need_a = terms.iter().any(|t| t.a.is_some());
        let need_b = terms.iter().any(|t| t.b.is_some());
        let prog = match which {
            Which::Uniform => &mut self.uniform,
            Which::Point => &mut self.point,
        };
        prog.n_slots += terms.len() as u32;
        prog.instrs.push(Instr {
            op,
            deps,
            slots,
            new_off,
            terms,
            need_a,
            need_b,
        });
        wrap(prog.instrs.len() - 1)
    }
}
