//! What the pages about requests show, read for them, one file per area:
//! a package as one person sees it, what they hold, their own requests,
//! and the approvers' pages.

mod approval;
mod holdings;
mod mine;
mod package;

pub use approval::{ApprovalView, Inbox, approval, approvals_inbox};
pub(super) use holdings::holdings_in;
pub use holdings::{Held, Holdings, holdings};
pub use mine::{MyRequest, history, my_request};
pub(super) use package::reports_for;
pub use package::{Extension, PackageView, package_view};
