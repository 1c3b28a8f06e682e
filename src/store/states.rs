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

    /// An SQL list of the names `keep` picks, in the enum's order.
    fn list<T: Copy>(
        all: &[T],
        keep: impl Fn(T) -> bool,
        name: impl Fn(T) -> &'static str,
    ) -> String {
        let names: Vec<String> = all
            .iter()
            .copied()
            .filter(|s| keep(*s))
            .map(|s| format!("'{}'", name(s)))
            .collect();
        format!("({})", names.join(", "))
    }

    #[test]
    fn the_sql_lists_are_the_domains_rules() {
        let active = list(
            &AssignmentState::ALL,
            AssignmentState::is_active,
            AssignmentState::as_str,
        );
        assert_eq!(ACTIVE, active);
        let open = list(
            &RequestState::ALL,
            RequestState::is_open,
            RequestState::as_str,
        );
        assert_eq!(OPEN, open);
    }
}
