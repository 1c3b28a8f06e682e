//! Requests for access packages, one file per use case. Each reads what it
//! needs once (the request in one statement, its package and policy from
//! memory), changes the request through `domain::request`, and saves the
//! changes with its audit event in one transaction (`save`).

pub mod admin_view;
mod approvers;
mod calls;
mod deliver;
mod extensions;
mod propose;
mod save;

pub mod assign;
pub mod automatic;
pub mod availability;
pub mod cancel;
pub mod decide;
pub mod escalate;
pub mod extend;
pub mod give_up;
pub mod leavers;
pub mod on_behalf;
pub mod package_page;
pub mod remind;
pub mod reprocess;
pub mod resume;
pub mod revoke;
pub mod scheduled;
pub mod submit;
pub mod time_out;
pub mod view;

pub use assign::{Assigned, MAX_ASSIGNED_AT_ONCE, NewAssignment, assign, assign_from_form};
pub(crate) use availability::own_domain_refusal;
pub use availability::{
    Availability, Listing, Offer, availability, requestable, requestor_of, required_attributes,
};
pub use cancel::{cancel, cancel_by_admin};
pub use decide::{PageDecision, decide, decide_on_page, decide_seen};
pub use extend::{earlier_answers, extension_offer, request_extension};
pub use give_up::give_up;
pub use reprocess::reprocess;
pub use resume::{CallbackRefusal, resume};
pub use revoke::revoke;
pub use submit::{NotAgain, RequestInput, Submitted, resubmit, submit, submit_for};
