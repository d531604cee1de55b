//! A budget of evaluation work per request (issue 13, item 3).
//!
//! Every wildcard match is linear in its inputs (see the `pattern` module),
//! but a request can still bring many of them: 16,000 `*a?b*` patterns in one
//! 131,072-character document, each reading a 4,096-character context value,
//! took 127 ms per evaluation, and a simulation may run 1,000 evaluations.
//! So the work of one authorization or simulation is counted, and the caller
//! chooses what happens when it runs out: enforcement denies, the simulator
//! answers `InvalidInput`.
//!
//! Evaluation is synchronous on one thread, so the budget lives in a
//! thread-local set by [`run`]. Each wildcard match (and each condition with
//! many value pairs) adds what it is about to cost to the count *before* it
//! starts, a few instructions per match and never per character. Once the
//! budget is spent, every further match answers `false` at once: the answers
//! of an exhausted evaluation are meaningless, and [`run`] returns
//! [`BudgetExhausted`] so that the caller discards them. Outside [`run`]
//! nothing is limited (the CLI, tests, and compile-time work).
//!
//! The fast paths are free: `*`, exact and prefix patterns, the exact-action
//! index and the plain `StringEquals` of a single value never touch the
//! budget.
//!
//! # Units
//!
//! One unit is about one byte read by a literal search or compared in
//! place (a fraction of a nanosecond on this project's machine). A character
//! of text read by the bit-parallel search of a `?` chunk costs 8 units,
//! and 4 more per further word of its state, and each match costs
//! [`UNITS_PER_MATCH`] on top of its pattern and text, for the call itself,
//! and [`UNITS_PER_CHUNK`] per chunk between `*`s, for starting its search.

use std::cell::Cell;

/// The budget of one authorization or simulation request, in units.
///
/// How it was chosen: the slowest unit is a character read by the
/// one-register `?` search. 16,000 × `*a?b*` against a 4,096-character
/// value, or a role's largest policies of `*a?b*` resources against a
/// 2,048-character ARN, spend this budget in about 5 ms on the project
/// machine (2 vCPU AMD EPYC; criterion group `budgeted`, figures and method
/// in `BENCHMARKS.md`); the other adversarial families spend it faster.
/// Realistic work is far below it: the guide's role uses no units (exact
/// actions, `*` resources), the 100-statement bench policy about 1,450 per
/// evaluation (`tests/budget.rs`), and a role holding the most IAM allows
/// written as 1,500 wildcard resources of ~50 characters against a
/// 100-character ARN about 250,000, an eightieth of it.
pub const DEFAULT_LIMIT: u64 = 20_000_000;

/// Units charged per character of text read by the bit-parallel
/// (Shift-And) search of a `?` chunk whose state has `words` words: a
/// character costs about 2 ns in the one-register search (16,000 ×
/// `*a?b*`: 127 ms for 65.5 million characters), and each further word
/// about 1 ns (a 4,095-character chunk, 64 words: 297 µs for 4,096
/// characters); a unit is about a quarter of a nanosecond.
pub(crate) fn wild_units_per_char(words: u64) -> u64 {
    8u64.saturating_add(4u64.saturating_mul(words.saturating_sub(1)))
}

/// Units charged for each wildcard match, for the call itself.
pub(crate) const UNITS_PER_MATCH: u64 = 16;

/// Units charged for each chunk between `*`s of a match, for starting its
/// search (65,000 `*a` chunks cost about 4 ns each, whatever the text).
pub(crate) const UNITS_PER_CHUNK: u64 = 16;

/// Units charged for building the search of a middle chunk with `?`s when a
/// pattern is compiled inside a [`run`] (the simulator compiles its
/// documents in one): measured at about 9 µs per `*a?b*` pattern, 144 ms for
/// 16,000, so 36,000 units at the quarter nanosecond a unit stands for.
pub(crate) const WILD_SEARCH_BUILD_UNITS: u64 = 36_000;

/// Units charged for building the search of a literal middle chunk (a
/// memchr searcher, tens of nanoseconds): a 60,000-character pattern of
/// 30,000 stars still compiles within the budget.
pub(crate) const SEARCH_BUILD_UNITS: u64 = 256;

/// Condition value pairs compared without charge by one condition entry: a
/// key with a few values against a few operands is the normal case.
pub(crate) const FREE_PAIRS: u64 = 64;

/// The budget ran out: the evaluation needed more work than the limit allows.
/// Its answer, whatever it was, has been discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the evaluation needed more than {limit} units of matching work")]
pub struct BudgetExhausted {
    /// The limit that was exceeded, in units.
    pub limit: u64,
}

thread_local! {
    /// Units left in the current [`run`]; outside any, from `u64::MAX`.
    static REMAINING: Cell<u64> = const { Cell::new(u64::MAX) };
    /// Whether the current [`run`] has run out.
    static EXHAUSTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `evaluation` with at most `limit` units of work (less if an
/// enclosing [`run`] has less left, which then pays for what this one
/// spends). Returns its value, or [`BudgetExhausted`] when the work needed
/// more: the value is then discarded, as its matches stopped answering
/// truthfully.
///
/// ```
/// use ironiam_policy::budget;
///
/// assert_eq!(budget::run(budget::DEFAULT_LIMIT, || 2 + 2), Ok(4));
/// assert!(budget::run(10, || budget::charge(11)).is_err());
/// ```
pub fn run<T>(limit: u64, evaluation: impl FnOnce() -> T) -> Result<T, BudgetExhausted> {
    let outer = REMAINING.with(Cell::get);
    let outer_exhausted = EXHAUSTED.with(Cell::get);
    let granted = limit.min(outer);
    REMAINING.with(|remaining| remaining.set(granted));
    EXHAUSTED.with(|exhausted| exhausted.set(false));
    // Restores the enclosing budget even if `evaluation` unwinds.
    let _restore = Restore {
        outer,
        outer_exhausted,
        granted,
        limited_by_outer: granted < limit,
    };
    let value = evaluation();
    if EXHAUSTED.with(Cell::get) {
        Err(BudgetExhausted { limit })
    } else {
        Ok(value)
    }
}

/// Puts the enclosing [`run`]'s budget back, less what the inner one spent.
struct Restore {
    outer: u64,
    outer_exhausted: bool,
    granted: u64,
    limited_by_outer: bool,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let left = REMAINING.with(Cell::get);
        let spent = self.granted.saturating_sub(left);
        let inner_exhausted = EXHAUSTED.with(Cell::get);
        REMAINING.with(|remaining| remaining.set(self.outer.saturating_sub(spent)));
        // The inner run could only have had the outer's remainder: running
        // out of it is the outer's running out too.
        let exhausted = self.outer_exhausted || (inner_exhausted && self.limited_by_outer);
        EXHAUSTED.with(|flag| flag.set(exhausted));
    }
}

/// Charges `units` of work about to be done to the current budget. `true`
/// when they fit; `false` when the budget is (now) spent, and the caller
/// should skip the work and answer anything. Outside [`run`] always `true`
/// in practice (see [`remaining`]).
#[inline]
pub fn charge(units: u64) -> bool {
    REMAINING.with(|remaining| {
        let left = remaining.get();
        if units <= left {
            remaining.set(left - units);
            true
        } else {
            remaining.set(0);
            EXHAUSTED.with(|exhausted| exhausted.set(true));
            false
        }
    })
}

/// Whether the current [`run`] has run out: a caller with more evaluations
/// to make can stop, as their answers would be discarded.
pub fn is_exhausted() -> bool {
    EXHAUSTED.with(Cell::get)
}

/// The units left in the current [`run`]. Outside any, the thread's
/// allowance starts at `u64::MAX` units, which no process spends.
pub fn remaining() -> u64 {
    REMAINING.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_and_stops() {
        assert_eq!(run(100, || charge(60) && charge(40)), Ok(true));
        assert_eq!(
            run(100, || charge(60) && charge(41)),
            Err(BudgetExhausted { limit: 100 })
        );
        // Once spent, even a free charge fails.
        assert!(run(100, || {
            charge(101);
            charge(0)
        })
        .is_err());
        // A run that ran out leaves no trace but what it spent, and outside
        // a run nothing is limited.
        assert!(remaining() >= u64::MAX - 300);
        assert!(!EXHAUSTED.with(Cell::get));
        assert!(charge(u64::MAX / 2));
    }

    #[test]
    fn nested_runs_share_the_outer_budget() {
        let outer = run(100, || {
            let first = run(1_000, || charge(70));
            assert_eq!(first, Ok(true));
            assert_eq!(remaining(), 30);
            // The inner one may only spend what the outer has left, and
            // running out of that is the outer's running out.
            run(1_000, || charge(31))
        });
        assert!(outer.is_err());
        // An inner run that runs out of its own smaller limit does not
        // exhaust the outer one.
        let outer = run(100, || {
            assert!(run(10, || charge(11)).is_err());
            remaining()
        });
        assert_eq!(outer, Ok(90));
    }

    #[test]
    fn an_unwinding_run_restores_the_outer_budget() {
        let caught = std::panic::catch_unwind(|| {
            let _ = run(10, || -> bool { panic!("inside") });
        });
        assert!(caught.is_err());
        assert_eq!(remaining(), u64::MAX);
        assert!(!EXHAUSTED.with(Cell::get));
    }
}
