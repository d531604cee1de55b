//! How current a replica's view of a shared database is proven to be.
//!
//! A replica answers reads and authorizes from its in-memory view; another
//! replica's revocation (a deleted key, a new `Deny`) reaches it only
//! through the database. When the database cannot be read, the view can no
//! longer be shown to be current, and past a bound the replica must stop
//! answering from it rather than authorize what was revoked elsewhere
//! (issue 12: failures surface, never fail open).
//!
//! The store's follower records each moment the view was proven current
//! ([`Freshness::proven`]); a watcher compares the age of that proof with
//! the bound ([`Freshness::check`]) and flips one flag, so that a request
//! pays one atomic load ([`Freshness::is_stale`]) and no clock read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The age of a view's last proof of being current, against a bound.
#[derive(Debug)]
pub struct Freshness {
    /// Whether the last proof is older than `bound` (as of the last check).
    stale: AtomicBool,
    bound: Duration,
    epoch: Instant,
    /// When the view was last proven current: nanoseconds after `epoch`.
    proven: AtomicU64,
    /// Serializes the flips, so that a check on an old proof cannot
    /// overwrite the verdict of a newer one.
    flips: Mutex<()>,
}

/// What a check changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// Nothing: still fresh, or still stale.
    None,
    /// The proof just became older than the bound.
    BecameStale,
    /// A new proof arrived after the view had been stale.
    Recovered,
}

impl Freshness {
    /// A view proven current now, to be refused once its proof is older
    /// than `bound`.
    pub fn new(bound: Duration) -> Self {
        Freshness {
            stale: AtomicBool::new(false),
            bound,
            epoch: Instant::now(),
            proven: AtomicU64::new(0),
            flips: Mutex::new(()),
        }
    }

    /// Whether the view is past its bound: requests must not be answered
    /// or authorized from it. One atomic load.
    #[inline]
    pub fn is_stale(&self) -> bool {
        self.stale.load(Ordering::Acquire)
    }

    /// The bound.
    pub fn bound(&self) -> Duration {
        self.bound
    }

    /// How long ago the view was last proven current.
    pub fn age(&self) -> Duration {
        let proven = Duration::from_nanos(self.proven.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(proven)
    }

    /// Records that the view was current at `at` (a moment taken before
    /// the database was asked, so the proof is never later than the truth),
    /// and re-checks the bound.
    pub fn proven(&self, at: Instant) -> Flip {
        let nanos = at.saturating_duration_since(self.epoch).as_nanos();
        self.proven
            .fetch_max(u64::try_from(nanos).unwrap_or(u64::MAX), Ordering::AcqRel);
        self.check()
    }

    /// Compares the last proof's age with the bound and sets the flag.
    pub fn check(&self) -> Flip {
        let _one_at_a_time = self.flips.lock();
        let stale = self.age() > self.bound;
        match (self.stale.swap(stale, Ordering::AcqRel), stale) {
            (false, true) => Flip::BecameStale,
            (true, false) => Flip::Recovered,
            _ => Flip::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_past_the_bound_and_fresh_again_on_a_new_proof() {
        let f = Freshness::new(Duration::from_millis(50));
        assert_eq!(f.check(), Flip::None);
        assert!(!f.is_stale());
        // Proven long ago (before the epoch counts as at the epoch): wait
        // until the bound has passed, bounded.
        let started = Instant::now();
        while f.age() <= f.bound() {
            assert!(started.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(f.check(), Flip::BecameStale);
        assert!(f.is_stale());
        assert_eq!(f.check(), Flip::None, "logged once, not at every check");
        assert_eq!(f.proven(Instant::now()), Flip::Recovered);
        assert!(!f.is_stale());
        assert_eq!(f.check(), Flip::None);
    }

    #[test]
    fn an_older_proof_never_replaces_a_newer_one() {
        let f = Freshness::new(Duration::from_secs(3600));
        let later = Instant::now() + Duration::from_millis(10);
        f.proven(later);
        f.proven(f.epoch);
        assert_eq!(
            f.age(),
            Duration::ZERO,
            "the newer proof (in the future) stands"
        );
    }
}
