//! Assignment requests: their states and transitions, who may make them,
//! the periods they ask for and the answers they carry, and the request
//! itself, whose operations check every rule and return what to persist.

pub mod aggregate;
pub mod answers;
pub mod audit;
pub mod eligibility;
pub mod kind;
pub mod period;
pub mod reason;
pub mod state;
pub mod submission;

pub use super::end_reason::EndReason;
pub use aggregate::{
    Binding, Callout, Change, Contact, Decider, DeliveryFacts, Names, NextStage, Refusal, Request,
    Target, end_of, extension_answered,
};
pub use answers::{Answer, answer_field, check_answers};
pub use audit::{About, AuditNote, BlockedBy, CanceledBy, RequestAction};
pub use eligibility::{
    Requestor, admits, admitted_classes, eligible, is_external, requestor_class,
};
pub use kind::RequestType;
pub use period::{
    EXTENSION_WINDOW_DAYS, MAX_PERIOD_YEARS, Period, PeriodInput, check_period, extended_end,
    extension_refusal, local_to_utc, moment_in,
};
pub use state::{Event, RequestFilter, RequestState, transition};
pub use submission::{DirectAssignment, Extension, Submission, attribute_field, attribute_values};
