//! What parsers get from the scan that drives them: the [`ParseContext`]
//! (file access, command-line inputs) and the evaluation [`Budget`] of one
//! unit. Parsers take everything from here, never from `scan`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::source::{FileAccess, SourceFile};

/// Default budget of value bytes one unit may build (see [`Budget::charge_bytes`]).
/// Normal configurations build a few megabytes; the bound keeps a hostile
/// unit (a 13 MB string joined a thousand times) from exhausting memory.
pub(crate) const DEFAULT_MAX_EVAL_BYTES: usize = 256 * 1024 * 1024;

/// The evaluation budget of one unit: a step count, a deadline and a
/// memory allowance. An evaluator calls [`Budget::step`] once per
/// expression and [`Budget::charge`] for work worth many steps (a regex
/// compile), and [`Budget::charge_bytes`] with the size of every value it
/// is about to build (before building it); once one of them returns false
/// the evaluator reports [`Budget::message`] once (code `limit`) and
/// yields unknowns for everything left, so the unit finishes quickly with
/// what was evaluated so far.
#[derive(Debug)]
pub(crate) struct Budget {
    steps: u64,
    max_steps: u64,
    started: Instant,
    limit: Duration,
    bytes: usize,
    max_bytes: usize,
    exceeded: Option<Exceeded>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Steps,
    Time,
    Memory,
}

impl Budget {
    pub(crate) fn new(max_steps: u64, limit: Duration, max_bytes: usize) -> Budget {
        Budget { steps: 0, max_steps, started: Instant::now(), limit, bytes: 0, max_bytes, exceeded: None }
    }

    /// Counts one step; false once the budget is spent (and from then on).
    pub(crate) fn step(&mut self) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        self.steps += 1;
        if self.steps > self.max_steps {
            self.exceeded = Some(Exceeded::Steps);
        } else if self.steps.is_multiple_of(1024) && self.started.elapsed() > self.limit {
            self.exceeded = Some(Exceeded::Time);
        }
        self.exceeded.is_none()
    }

    /// Counts `n` steps of work done at once and checks the clock: the
    /// cost of an expensive built-in, so that one slow call cannot run far
    /// past the deadline between two of [`Budget::step`]'s clock checks.
    pub(crate) fn charge(&mut self, n: u64) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.max_steps {
            self.exceeded = Some(Exceeded::Steps);
        } else if self.started.elapsed() > self.limit {
            self.exceeded = Some(Exceeded::Time);
        }
        self.exceeded.is_none()
    }

    /// Whether a limit was hit (the unit stops).
    pub(crate) fn exhausted(&self) -> bool {
        self.exceeded.is_some()
    }

    /// Value bytes still allowed (0 once any limit was hit).
    pub(crate) fn room(&self) -> usize {
        if self.exceeded.is_some() { 0 } else { self.max_bytes.saturating_sub(self.bytes) }
    }

    /// Takes `n` value bytes for a value about to be built; false, and the
    /// budget spent, when fewer are left.
    pub(crate) fn charge_bytes(&mut self, n: usize) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        if n > self.room() {
            self.exceeded = Some(Exceeded::Memory);
            return false;
        }
        self.bytes += n;
        true
    }

    /// What was exceeded, for the evaluator's `limit` diagnostic
    /// ("evaluation stopped at {this}; the rest is unknown").
    pub(crate) fn message(&self) -> String {
        match self.exceeded {
            Some(Exceeded::Time) => format!("the time limit of {} s for one unit", self.limit.as_secs_f64()),
            Some(Exceeded::Memory) => format!("more than {} MiB of values built in one unit", self.max_bytes >> 20),
            _ => format!("more than {} evaluation steps in one unit", self.max_steps),
        }
    }
}

/// Everything a parser may need besides its own files: the guarded file
/// access, the inputs given on the command line, and the budget of a unit.
/// The scan builds it from its options; parsers see only this.
#[derive(Debug)]
pub(crate) struct ParseContext {
    pub(crate) files: FileAccess,
    /// `--var-file` contents, read once.
    pub(crate) extra_var_files: Vec<SourceFile>,
    /// Merged CloudFormation parameter overrides.
    pub(crate) params: BTreeMap<String, String>,
    /// Configuration directory for Terraform plans (`--config-dir`).
    pub(crate) config_dir: Option<PathBuf>,
    /// Evaluation steps allowed for one unit.
    pub(crate) max_eval_steps: u64,
    /// Wall-clock budget for evaluating one unit.
    pub(crate) file_time_limit: Duration,
}

impl ParseContext {
    /// A fresh evaluation budget for one unit.
    pub(crate) fn budget(&self) -> Budget {
        Budget::new(self.max_eval_steps, self.file_time_limit, DEFAULT_MAX_EVAL_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_stops_at_the_step_limit_and_stays_stopped() {
        let mut b = Budget::new(3, Duration::from_secs(60), 100);
        assert!(b.step() && b.step() && b.step());
        assert!(!b.step());
        assert!(!b.step());
        assert_eq!(b.message(), "more than 3 evaluation steps in one unit");
        let mut t = Budget::new(u64::MAX, Duration::ZERO, 100);
        assert!((0..1023).all(|_| t.step()));
        assert!(!t.step());
        assert_eq!(t.message(), "the time limit of 0 s for one unit");
    }

    #[test]
    fn charged_steps_count_and_check_the_clock_every_time() {
        let mut b = Budget::new(10, Duration::from_secs(60), 100);
        assert!(b.charge(4) && b.step());
        assert!(!b.charge(6), "5 + 6 > 10");
        assert!(!b.step() && !b.charge(0));
        assert!(!Budget::new(10, Duration::from_secs(60), 100).charge(u64::MAX), "saturates");
        // One expensive call past the deadline is caught at once, not 1,024 steps later.
        let mut t = Budget::new(u64::MAX, Duration::ZERO, 100);
        std::thread::sleep(Duration::from_millis(1));
        assert!(!t.charge(1));
        assert_eq!(t.message(), "the time limit of 0 s for one unit");
    }

    #[test]
    fn value_bytes_are_taken_until_none_are_left() {
        let mut b = Budget::new(u64::MAX, Duration::from_secs(60), 3 << 20);
        assert_eq!(b.room(), 3 << 20);
        assert!(b.charge_bytes(1 << 20) && b.charge_bytes(0));
        assert_eq!(b.room(), 2 << 20);
        assert!(b.charge_bytes(2 << 20));
        assert_eq!(b.room(), 0);
        assert!(!b.charge_bytes(1), "nothing left");
        assert_eq!(b.message(), "more than 3 MiB of values built in one unit");
        // A refused charge spends the budget: every later step stops too.
        let mut c = Budget::new(u64::MAX, Duration::from_secs(60), 10);
        assert!(!c.charge_bytes(usize::MAX));
        assert!(!c.step() && c.room() == 0);
    }
}
