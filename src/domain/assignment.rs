//! The states of an access package assignment (Graph
//! `accessPackageAssignment.state`): which of them grant access, and how an
//! administrator reads them; and the reminder its holder gets before it ends.

use crate::domain::named::named_values;

use chrono::{DateTime, Utc};

use super::end_reason::EndReason;
use super::ids::AccessPackageId;
use super::message::{Expiring, Mail, Message};
use super::policy::{Expiration, Policy};
use super::request::moment_in;

named_values! {
    /// Graph `accessPackageAssignment.state`.
    pub enum AssignmentState {
        /// Granted, with roles still on their way to a connected system.
        Delivering = ("delivering", "Delivering"),
        Delivered = ("delivered", "Delivered"),
        /// Granted, with a role a connected system refused.
        PartiallyDelivered = ("partiallyDelivered", "Partially delivered"),
        DeliveryFailed = ("deliveryFailed", "Undelivered"),
        /// Ended, for the reason kept beside it.
        Expired = ("expired", "Expired"),
    }
}

named_values! {
    /// The groups of states a package's Assignments tab filters by.
    pub enum AssignmentFilter {
        Active = ("active", "Active"),
        /// Ended at their end date.
        Expired = ("expired", "Expired"),
        /// Ended by someone or something before their end date.
        Removed = ("removed", "Removed"),
        Failed = ("failed", "Undelivered"),
    }
}

impl AssignmentState {
    /// Grants access (`store::states::ACTIVE` is this list in SQL; a test
    /// there keeps the two alike).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            AssignmentState::Delivering
                | AssignmentState::Delivered
                | AssignmentState::PartiallyDelivered
        )
    }

    /// As an administrator reads it: an ended assignment says why it ended.
    pub fn label_ended(self, reason: Option<EndReason>) -> &'static str {
        match (self, reason) {
            (AssignmentState::Expired, Some(r)) => r.label(),
            (state, _) => state.label(),
        }
    }
}

/// An assignment whose end is near, as its holder is reminded of it.
pub struct Ending<'a> {
    pub package_id: &'a AccessPackageId,
    pub package: &'a str,
    pub holder: &'a str,
    pub holder_email: &'a str,
    pub end: DateTime<Utc>,
}

impl Ending<'_> {
    /// The holder's reminder at `now`, under the assignment's policy (none
    /// once deleted): none where the policy sends no mails about
    /// assignments; a link to extend where it lets holders extend and its
    /// fixed end date is not reached.
    pub fn reminder(&self, policy: Option<&Policy>, now: DateTime<Utc>) -> Option<Mail> {
        if policy.is_some_and(|p| !p.assignment_notifications) {
            return None;
        }
        let can_extend = policy.is_some_and(|p| {
            p.requestor.enable_targets_to_self_update_access
                && !matches!(p.expiration, Expiration::AfterDateTime(t) if self.end >= t)
        });
        // Whole days left, rounded up: "ends in 1 day" on its last day.
        let days_left = ((self.end - now).num_seconds() + 86_399) / 86_400;
        Some(Mail {
            to_address: self.holder_email.to_string(),
            to_name: self.holder.to_string(),
            message: Message::AccessExpiring(Expiring {
                package: self.package.to_string(),
                package_id: self.package_id.clone(),
                requestor: self.holder.to_string(),
                requestor_email: self.holder_email.to_string(),
                // In UTC, named, as every mail's times.
                ends: moment_in(self.end, chrono_tz::UTC),
                days: days_left.max(1),
                can_extend,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_offers_more_time_only_where_the_policy_gives_it() {
        let now = Utc::now();
        let ending = Ending {
            package_id: &AccessPackageId::new(),
            package: "Marketing",
            holder: "Eric",
            holder_email: "eric@example.test",
            end: now + chrono::Duration::hours(30),
        };
        let extends = |mail: Option<Mail>| match mail.map(|m| m.message) {
            Some(Message::AccessExpiring(e)) => Some((e.days, e.can_extend)),
            _ => None,
        };
        assert_eq!(extends(ending.reminder(None, now)), Some((2, false)));
        let mut p = crate::domain::request::aggregate::tests::policy(vec![]);
        p.requestor.enable_targets_to_self_update_access = true;
        assert_eq!(extends(ending.reminder(Some(&p), now)), Some((2, true)));
        // Not past the policy's fixed end date.
        p.expiration = Expiration::AfterDateTime(ending.end);
        assert_eq!(extends(ending.reminder(Some(&p), now)), Some((2, false)));
        p.assignment_notifications = false;
        assert_eq!(ending.reminder(Some(&p), now).map(|m| m.to_address), None);
    }

    #[test]
    fn a_stored_name_no_state_has_is_refused() {
        assert_eq!(
            AssignmentState::try_from("partiallyDelivered".to_string()).ok(),
            Some(AssignmentState::PartiallyDelivered)
        );
        let err = AssignmentState::try_from("granted".to_string()).unwrap_err();
        assert_eq!(err.to_string(), "no AssignmentState is named \"granted\"");
    }

    #[test]
    fn an_ended_assignment_reads_as_why_it_ended() {
        assert_eq!(
            AssignmentState::Expired.label_ended(Some(EndReason::GivenUp)),
            "Given up"
        );
        assert_eq!(AssignmentState::Expired.label_ended(None), "Expired");
        assert_eq!(
            AssignmentState::DeliveryFailed.label_ended(None),
            "Undelivered"
        );
    }
}
