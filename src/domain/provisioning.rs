//! An operation queued for a connected system (a person added to or taken
//! out of a linked group), and what becomes of one that fails: an addition
//! is tried for about a day, a removal until it works.

use crate::domain::named::named_values;

use chrono::{DateTime, Duration, Utc};

use super::retry::backoff;

named_values! {
    /// What an operation asks of its target.
    pub enum OpAction {
        Add = ("add", "Add to the group"),
        Remove = ("remove", "Take out of the group"),
    }
}

/// How many times an addition is tried before a target that keeps failing
/// for passing reasons (down, overloaded, asking to wait) fails it: with the
/// backoff, about a day. The assignment then shows the failure, and
/// reprocessing it tries again. A removal is tried until it works: access
/// taken back must leave the target, and nothing else would try it again.
pub const MAX_ATTEMPTS: i64 = 30;

/// Why applying an operation did not work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The target is down, slow or refused for now; `wait` when it asked to
    /// be left alone that long (`Retry-After`).
    Passing {
        reason: String,
        wait: Option<std::time::Duration>,
    },
    /// Trying again cannot help until something changes (a person missing,
    /// a group gone).
    Lasting(String),
}

/// How applying an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Try again at the time given.
    Retry(String, DateTime<Utc>),
    /// Given up until someone reprocesses it.
    Failed(String),
}

impl OpAction {
    /// What becomes of an operation of this action that failed, tried
    /// `attempts` times before.
    pub fn after_failure(self, attempts: i64, failure: Failure, now: DateTime<Utc>) -> Outcome {
        match failure {
            Failure::Passing { reason, .. }
                if self == OpAction::Add && attempts + 1 >= MAX_ATTEMPTS =>
            {
                Outcome::Failed(format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)"))
            }
            Failure::Passing { reason, wait } => {
                // An asked wait too long to read is an hour, the longest
                // `Retry-After` is read as.
                let asked =
                    wait.map(|d| Duration::from_std(d).unwrap_or_else(|_| Duration::hours(1)));
                let at = now + asked.unwrap_or_default().max(backoff(attempts));
                Outcome::Retry(reason, at)
            }
            Failure::Lasting(reason) => Outcome::Failed(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_failures_retry_an_addition_for_a_day_and_a_removal_until_it_works() {
        let now = Utc::now();
        let down = || Failure::Passing {
            reason: "connection refused".into(),
            wait: None,
        };
        let busy = || Failure::Passing {
            reason: "busy".into(),
            wait: Some(std::time::Duration::from_secs(600)),
        };
        assert_eq!(
            OpAction::Add.after_failure(MAX_ATTEMPTS - 2, down(), now),
            Outcome::Retry("connection refused".into(), now + backoff(MAX_ATTEMPTS - 2))
        );
        // An asked wait longer than the backoff is kept; a shorter one is not.
        assert_eq!(
            OpAction::Add.after_failure(0, busy(), now),
            Outcome::Retry("busy".into(), now + Duration::seconds(600))
        );
        assert_eq!(
            OpAction::Add.after_failure(20, busy(), now),
            Outcome::Retry("busy".into(), now + Duration::hours(1))
        );
        for failure in [down(), busy()] {
            let outcome = OpAction::Add.after_failure(MAX_ATTEMPTS - 1, failure, now);
            assert!(
                matches!(&outcome, Outcome::Failed(m) if m.contains("gave up after 30 attempts")),
                "{outcome:?}"
            );
        }
        // A removal is tried until it works.
        let outcome = OpAction::Remove.after_failure(MAX_ATTEMPTS + 10, down(), now);
        assert!(matches!(outcome, Outcome::Retry(..)), "{outcome:?}");
        // A lasting failure fails at once, whatever the action.
        for action in OpAction::ALL {
            let outcome = action.after_failure(0, Failure::Lasting("no such group".into()), now);
            assert_eq!(outcome, Outcome::Failed("no such group".into()));
        }
        let tried: i64 = (0..MAX_ATTEMPTS - 1)
            .map(|n| backoff(n).num_seconds())
            .sum();
        assert!(
            (20 * 3600..30 * 3600).contains(&tried),
            "about a day: {tried} s"
        );
    }
}
