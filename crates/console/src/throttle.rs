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
//!
//! The counts live in the console's [`SharedState`]: with `--database`,
//! in the database every replica shares, so guesses spread over replicas
//! meet the same brake.

use std::time::Duration;

use crate::shared::{SharedError, SharedState};

/// Failures allowed within [`WINDOW`] before the brake engages.
pub(crate) const MAX_FAILURES: u32 = 10;

/// How long failures are remembered.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

fn window() -> i64 {
    i64::try_from(WINDOW.as_secs()).unwrap_or(i64::MAX)
}

/// The same fold as the store's user look-up (`name_key`): any spelling
/// that signs in as a user is braked as that user.
fn key(account: &str, name: &str) -> String {
    format!("{account}/{}", ironiam_core::entities::name_key(name))
}

/// Whether attempts for `name` in `account` are currently refused.
pub(crate) fn is_braked(
    shared: &dyn SharedState,
    account: &str,
    name: &str,
) -> Result<bool, SharedError> {
    let now = crate::session::now();
    Ok(shared.failures(&key(account, name), now, window())? >= MAX_FAILURES)
}

/// Counts a failed attempt.
pub(crate) fn failed(
    shared: &dyn SharedState,
    account: &str,
    name: &str,
) -> Result<(), SharedError> {
    shared.add_failure(&key(account, name), crate::session::now(), window())
}

/// Forgets the failures of `name` after a successful sign-in.
pub(crate) fn succeeded(
    shared: &dyn SharedState,
    account: &str,
    name: &str,
) -> Result<(), SharedError> {
    shared.clear_failures(&key(account, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::InProcess;

    /// The brake over one in-process state, unwrapping what cannot fail.
    struct Brake<'a>(&'a InProcess);

    impl Brake<'_> {
        fn failed(&self, account: &str, name: &str) {
            failed(self.0, account, name).unwrap();
        }
        fn succeeded(&self, account: &str, name: &str) {
            succeeded(self.0, account, name).unwrap();
        }
        fn is_braked(&self, account: &str, name: &str) -> bool {
            is_braked(self.0, account, name).unwrap()
        }
    }

    #[test]
    fn the_brake_engages_after_the_limit_and_success_clears_it() {
        let t = InProcess::default();
        let t = Brake(&t);
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
        let t = InProcess::default();
        let t = Brake(&t);
        for _ in 0..MAX_FAILURES {
            t.failed("111122223333", "kate");
        }
        assert!(t.is_braked("111122223333", "\u{212A}ate"));
        assert!(t.is_braked("111122223333", "KATE"));
    }
}

#[cfg(test)]
mod window_tests {
    use crate::shared::{InProcess, SharedState};

    /// Failures older than the window are forgotten: a new one starts a
    /// new count (the same rule the PostgreSQL state applies in SQL).
    #[test]
    fn a_failure_after_the_window_starts_a_new_count() {
        let s = InProcess::default();
        for _ in 0..3 {
            s.add_failure("a/alice", 1_000, 900).unwrap();
        }
        assert_eq!(s.failures("a/alice", 1_899, 900).unwrap(), 3);
        assert_eq!(s.failures("a/alice", 1_900, 900).unwrap(), 0, "window over");
        s.add_failure("a/alice", 1_900, 900).unwrap();
        assert_eq!(s.failures("a/alice", 1_900, 900).unwrap(), 1);
    }
}
