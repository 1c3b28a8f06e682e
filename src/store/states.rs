//! The states that count, as SQL lists: which assignments grant access and
//! which requests are still open. Requests and assignments each query the
//! other's, so the lists live below both.

/// States in which an assignment grants access.
pub const ACTIVE: &str = "('delivered', 'partiallyDelivered', 'delivering')";

/// The states of a request still open: a second one for the same package
/// is refused meanwhile.
pub const OPEN: &str = "('submitted', 'pendingApproval', 'approved', 'scheduled', 'delivering')";
