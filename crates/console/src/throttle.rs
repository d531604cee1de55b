//! A brake on password guessing at the sign-in page.
//!
//! AWS's sign-in page answers repeated failures with a CAPTCHA. ironiam has
//! none, so it counts failed sign-ins per account and name (an IAM user name
//! or a root access key id): past [`MAX_FAILURES`] within [`WINDOW`], further
//! attempts for that name are refused without checking the password until
//! the window has passed. The answer is the same generic message either way,
//! so the brake tells a guesser nothing; a successful sign-in clears it.
//! (A brake per name rather than per client: the console does not see the
//! peer address, and a name-wide brake also stops distributed guessing.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Failures allowed within [`WINDOW`] before the brake engages.
pub(crate) const MAX_FAILURES: u32 = 10;

/// How long failures are remembered.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Names remembered at most; past it, expired entries are dropped and then
/// the map starts afresh, so a flood of made-up names cannot grow memory.
const CAPACITY: usize = 10_000;

/// Failed sign-ins per `account/name`, the name folded as the user look-up
/// folds it (IAM names ignore case).
#[derive(Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// The same fold as the store's user look-up (`name_key`): any spelling
/// that signs in as a user is braked as that user.
fn key(account: &str, name: &str) -> String {
    format!("{account}/{}", ironiam_core::entities::name_key(name))
}

impl Throttle {
    /// Whether attempts for `name` in `account` are currently refused.
    pub(crate) fn is_braked(&self, account: &str, name: &str) -> bool {
        let map = self.failures.lock();
        map.get(&key(account, name))
            .is_some_and(|(n, first)| *n >= MAX_FAILURES && first.elapsed() < WINDOW)
    }

    /// Counts a failed attempt.
    pub(crate) fn failed(&self, account: &str, name: &str) {
        let mut map = self.failures.lock();
        if map.len() >= CAPACITY {
            map.retain(|_, (_, first)| first.elapsed() < WINDOW);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        let entry = map.entry(key(account, name)).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Forgets the failures of `name` after a successful sign-in.
    pub(crate) fn succeeded(&self, account: &str, name: &str) {
        self.failures.lock().remove(&key(account, name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brake_engages_after_the_limit_and_success_clears_it() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed("111122223333", "Alice");
        }
        assert!(!t.is_braked("111122223333", "alice"));
        t.failed("111122223333", "ALICE");
        assert!(t.is_braked("111122223333", "alice"), "names ignore case");
        assert!(!t.is_braked("444455556666", "alice"), "per account");
        assert!(!t.is_braked("111122223333", "bob"), "per name");
        t.succeeded("111122223333", "alice");
        assert!(!t.is_braked("111122223333", "alice"));
    }

    /// The brake folds a name as the user look-up does: the Kelvin sign
    /// (U+212A) finds user `kate` as `K` does, so it must not get around a
    /// brake on `kate` (issue 13 item 5).
    #[test]
    fn a_look_alike_of_a_braked_name_is_braked() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES {
            t.failed("111122223333", "kate");
        }
        assert!(t.is_braked("111122223333", "\u{212A}ate"));
        assert!(t.is_braked("111122223333", "KATE"));
    }
}
