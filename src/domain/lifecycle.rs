//! What happens to a governed guest when their last assignment ends: the
//! "external user lifecycle" settings of entitlement management.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::validation::FieldErrors;

/// Graph `externalUserLifecycleAction`, with the deletion delay beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GuestAction {
    None,
    BlockSignIn,
    BlockSignInAndDelete,
}

impl GuestAction {
    pub fn as_str(self) -> &'static str {
        match self {
            GuestAction::None => "none",
            GuestAction::BlockSignIn => "blockSignIn",
            GuestAction::BlockSignInAndDelete => "blockSignInAndDelete",
        }
    }
    pub fn parse(s: &str) -> Option<GuestAction> {
        [
            GuestAction::None,
            GuestAction::BlockSignIn,
            GuestAction::BlockSignInAndDelete,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// As the settings form names it, shortly.
    pub fn label(self) -> &'static str {
        match self {
            GuestAction::None => "Do nothing",
            GuestAction::BlockSignIn => "Block sign-in",
            GuestAction::BlockSignInAndDelete => "Block sign-in, then remove from the directory",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestLifecycle {
    pub action: GuestAction,
    /// "Number of days before removing external user from this directory".
    pub days_until_deletion: u32,
}

/// The longest wait before deletion the settings accept.
pub const MAX_DAYS_UNTIL_DELETION: u32 = 365;

impl Default for GuestLifecycle {
    /// As the real product ships: block sign-in, delete after 30 days.
    fn default() -> Self {
        GuestLifecycle {
            action: GuestAction::BlockSignInAndDelete,
            days_until_deletion: 30,
        }
    }
}

impl GuestLifecycle {
    /// When a guest blocked at `blocked_at` under these settings is removed
    /// from the directory; `None` when they are kept. Fixed at the block, so
    /// that a later change of the settings applies to guests blocked from
    /// then on (as in Entra).
    pub fn removal_at(&self, blocked_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.action == GuestAction::BlockSignInAndDelete)
            .then(|| blocked_at + chrono::Duration::days(i64::from(self.days_until_deletion)))
    }

    /// Reads the settings form (`action`, `days`).
    pub fn parse(action: &str, days: &str) -> Result<GuestLifecycle, FieldErrors> {
        let mut e = FieldErrors::new();
        let action = GuestAction::parse(action);
        if action.is_none() {
            e.add("action", "Choose what happens to the guest.");
        }
        let days = match days.trim().parse::<u32>() {
            Ok(d) if d <= MAX_DAYS_UNTIL_DELETION => Some(d),
            _ if action != Some(GuestAction::BlockSignInAndDelete) && days.trim().is_empty() => {
                Some(30)
            }
            _ => {
                e.add(
                    "days",
                    format!("Enter a number of days from 0 to {MAX_DAYS_UNTIL_DELETION}."),
                );
                None
            }
        };
        match (action, days) {
            (Some(action), Some(days_until_deletion)) if e.is_empty() => Ok(GuestLifecycle {
                action,
                days_until_deletion,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_removal_is_fixed_when_a_guest_is_blocked() {
        let at = Utc::now();
        let after = |action, days| {
            GuestLifecycle {
                action,
                days_until_deletion: days,
            }
            .removal_at(at)
        };
        assert_eq!(after(GuestAction::BlockSignInAndDelete, 0), Some(at));
        assert_eq!(
            after(GuestAction::BlockSignInAndDelete, 30),
            Some(at + chrono::Duration::days(30))
        );
        assert_eq!(after(GuestAction::BlockSignIn, 30), None);
    }

    #[test]
    fn the_settings_form_is_checked() {
        assert_eq!(
            GuestLifecycle::parse("blockSignInAndDelete", "14").ok(),
            Some(GuestLifecycle {
                action: GuestAction::BlockSignInAndDelete,
                days_until_deletion: 14
            })
        );
        assert!(GuestLifecycle::parse("blockSignIn", "").is_ok());
        assert_eq!(
            GuestLifecycle::parse("blockSignInAndDelete", "0")
                .ok()
                .map(|g| g.days_until_deletion),
            Some(0),
            "0 deletes at once"
        );
        assert!(GuestLifecycle::parse("blockSignInAndDelete", "-1").is_err());
        assert!(GuestLifecycle::parse("blockSignInAndDelete", "366").is_err());
        assert!(GuestLifecycle::parse("blockSignInAndDelete", "many").is_err());
        assert!(GuestLifecycle::parse("explode", "3").is_err());
        let stored = serde_json::to_string(&GuestLifecycle::default()).unwrap();
        assert_eq!(
            stored,
            r#"{"action":"blockSignInAndDelete","daysUntilDeletion":30}"#
        );
    }
}
