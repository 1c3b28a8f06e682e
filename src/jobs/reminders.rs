//! Expiry reminders, 14 days and 1 day before an assignment ends.

use chrono::{DateTime, Utc};

use super::BATCH;
use crate::domain::custom_extension::Stage;
use crate::domain::message::{Expiring, Mail, Message};
use crate::domain::request::moment_in;
use crate::service::ServiceError;
use crate::store::{self, Store, assignments, policies};

/// Reminders 14 days and 1 day before an assignment ends, with a link to
/// extend where the policy allows it. The one-day window goes first, so that
/// an assignment found late gets only the nearer reminder. Set-based.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for days in [1i64, 14] {
        let mut after: Option<(String, String)> = None;
        loop {
            let mut tx = store.begin().await?;
            let due = assignments::due_reminders(&mut tx, now, days, after.as_ref(), BATCH).await?;
            after = due.last().map(|(id, end)| (end.clone(), id.clone()));
            let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
            store::batch::set_reminded(&mut tx, &ids, days).await?;
            let stage = if days == 1 {
                Stage::OneDayBeforeExpiration
            } else {
                Stage::FourteenDaysBeforeExpiration
            };
            store::custom_extensions::queue_for_ids(&mut tx, &ids, stage, now).await?;
            let rows = store::batch::assignments(&mut tx, &ids).await?;
            let mut packages: Vec<String> = rows
                .iter()
                .map(|a| a.access_package_id.to_string())
                .collect();
            packages.sort();
            packages.dedup();
            let policies: std::collections::HashMap<String, crate::domain::policy::Policy> =
                policies::for_packages(&mut tx, &packages)
                    .await?
                    .into_iter()
                    .map(|(_, id, p)| (id, p))
                    .collect();
            let mails: Vec<Mail> = rows
                .iter()
                .filter_map(|a| {
                    let policy = policies.get(a.policy_id.as_str());
                    // A policy that sends no mails about assignments sends no reminder.
                    if policy.is_some_and(|p| !p.assignment_notifications) {
                        return None;
                    }
                    let end = a.end_at.as_deref().and_then(|e| store::parse_ts(e).ok())?;
                    let can_extend = policy.is_some_and(|p| {
                        p.requestor.enable_targets_to_self_update_access
                            && !matches!(p.expiration, crate::domain::policy::Expiration::AfterDateTime(t) if end >= t)
                    });
                    // Whole days left, rounded up: "ends in 1 day" on its last day.
                    let days_left = ((end - now).num_seconds() + 86_399) / 86_400;
                    Some(Mail {
                        to_address: a.target_email.clone(),
                        to_name: a.target_name.clone(),
                        message: Message::AccessExpiring(Expiring {
                            package: a.package_name.clone(),
                            package_id: a.access_package_id.to_string(),
                            requestor: a.target_name.clone(),
                            requestor_email: a.target_email.clone(),
                            // In UTC, named, as every mail's times.
                            ends: moment_in(end, chrono_tz::UTC),
                            days: days_left.max(1),
                            can_extend,
                        }),
                    })
                })
                .collect();
            store::outbox::enqueue(&mut tx, &mails, now).await?;
            tx.commit().await?;
            sent += mails.len();
            if (ids.len() as i64) < BATCH {
                break;
            }
        }
    }
    Ok(sent)
}
