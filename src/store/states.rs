//! The states that count, as SQL lists: which assignments grant access and
//! which requests are still open. Requests and assignments each query the
//! other's, so the lists live below both.

/// States in which an assignment grants access.
pub const ACTIVE: &str = "('delivering', 'delivered', 'partiallyDelivered')";

/// The states of a request still open: a second one for the same package
/// is refused meanwhile.
pub const OPEN: &str = "('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')";

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
}
