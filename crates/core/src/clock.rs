//! Time as an input: the domain never reads the system clock directly, so
//! tests can fix it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in whole seconds since the Unix epoch
/// (AWS IAM reports dates with one-second precision).
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock stopped at `epoch_seconds`.
    pub fn new(epoch_seconds: i64) -> Self {
        FixedClock(AtomicI64::new(epoch_seconds))
    }
    /// Moves the clock forward.
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The system clock shifted by an adjustable number of seconds: what
/// `ironiam serve --clock-offset` and the test-suite endpoint
/// `POST /_ironiam/clock?offset=SECONDS` move, so end-to-end tests can see
/// temporary credentials expire without waiting.
#[derive(Debug, Default)]
pub struct OffsetClock(AtomicI64);

impl OffsetClock {
    /// The system clock shifted by `offset_seconds`.
    pub fn new(offset_seconds: i64) -> Self {
        OffsetClock(AtomicI64::new(offset_seconds))
    }
    /// The current shift.
    pub fn offset(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
    /// Sets the shift.
    pub fn set_offset(&self, offset_seconds: i64) {
        self.0.store(offset_seconds, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> i64 {
        SystemClock.now().saturating_add(self.offset())
    }
}

/// Formats epoch seconds as AWS prints dates in IAM responses: `2026-11-30T00:21:20Z`
/// (the policy engine's formatter, which also writes `aws:CurrentTime`).
pub fn iso8601(epoch_seconds: i64) -> String {
    ironiam_policy::format_iso8601(epoch_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_998_080), "2026-11-30T00:21:20Z");
    }
}
