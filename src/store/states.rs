//! The states that count, as SQL lists: which assignments grant access and
//! which requests are still open. Requests and assignments each query the
//! other's, so the lists live below both.

/// States in which an assignment grants access.
pub const ACTIVE: &str = "('delivering', 'delivered', 'partiallyDelivered')";

/// The states of a request still open: a second one for the same package
/// is refused meanwhile. Queries select them by `phase = 'open'`, the
/// column migration 0033 derives from this list (so that indexes need not
/// name the state); the test below holds the two together.
#[cfg(test)]
const OPEN: &str = "('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')";

/// The states of a request whose delivery failed in whole or part:
/// `phase = 'failed'`.
#[cfg(test)]
const FAILED: &str = "('deliveryFailed', 'partiallyDelivered')";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assignment::AssignmentState;
    use crate::domain::request::RequestState;

    /// The names an SQL list holds, in any order.
    fn names(list: &str) -> Vec<&str> {
        let inner = list.trim_start_matches('(').trim_end_matches(')');
        let mut names: Vec<&str> = inner.split(", ").map(|n| n.trim_matches('\'')).collect();
        names.sort();
        names
    }

    /// The names of `all` that `keep` picks, sorted.
    fn picked<T: Copy>(
        all: &[T],
        keep: impl Fn(T) -> bool,
        name: impl Fn(T) -> &'static str,
    ) -> Vec<&'static str> {
        let mut names: Vec<&str> = all.iter().copied().filter(|s| keep(*s)).map(name).collect();
        names.sort();
        names
    }

    #[test]
    fn the_sql_lists_are_the_domains_rules() {
        let active = picked(
            &AssignmentState::ALL,
            AssignmentState::is_active,
            AssignmentState::as_str,
        );
        assert_eq!(names(ACTIVE), active);
        let open = picked(
            &RequestState::ALL,
            RequestState::is_open,
            RequestState::as_str,
        );
        assert_eq!(names(OPEN), open);
    }

    /// The phase column says what the domain does, on both backends.
    #[test]
    fn the_request_phase_is_the_domains_openness() {
        let failed = picked(
            &RequestState::ALL,
            RequestState::is_failed,
            RequestState::as_str,
        );
        assert_eq!(names(FAILED), failed);
        for migration in [
            include_str!("../../migrations/postgres/0033_request_phase.sql"),
            include_str!("../../migrations/sqlite/0033_request_phase.sql"),
        ] {
            assert!(migration.contains(&format!("WHEN state IN {OPEN} THEN 'open'")));
            assert!(migration.contains(&format!("WHEN state IN {FAILED} THEN 'failed'")));
        }
    }
}
