//! The package wizard's steps, and which step each field of the policy form
//! is asked on (the wizard moves between them; a page marks the tabs whose
//! fields have errors).

pub(super) const STEPS: [(&str, &str); 7] = [
    ("basics", "Basics"),
    ("roles", "Resource roles"),
    ("requests", "Requests"),
    ("requestor", "Requestor information"),
    ("lifecycle", "Lifecycle"),
    ("extensions", "Custom extension"),
    ("review", "Review + create"),
];

/// Which wizard step a form field (or an error key) belongs to.
pub(super) fn step_of(key: &str) -> &'static str {
    if matches!(key, "name" | "description" | "catalog" | "hidden") {
        "basics"
    } else if key.starts_with("role_") || key == "show_all" || key == "roles" {
        "roles"
    } else if key.starts_with("q_")
        || key.starts_with('q') && key[1..].starts_with(|c: char| c.is_ascii_digit())
        || key.starts_with("question")
    {
        "requestor"
    } else if key.starts_with("ext_assignmentRequestApprovalStage") {
        "requests"
    } else if key.starts_with("ext_") {
        "extensions"
    } else if key.starts_with("expiration")
        || key.starts_with("rv_")
        || matches!(
            key,
            "allow_extension"
                | "approval_update_required"
                | "custom_schedule"
                | "notifications_off"
        )
    {
        "lifecycle"
    } else {
        "requests"
    }
}

/// The name of the step a field belongs to, for the review's error list.
pub(super) fn step_label(key: &str) -> &'static str {
    let step = step_of(key);
    STEPS
        .iter()
        .find(|(s, _)| *s == step)
        .map(|(_, l)| *l)
        .unwrap_or("")
}
