//! Access reviews: started on each policy's schedule with every holder under
//! it at that moment, decided by their reviewers from My Access, reminded at
//! half time and the day before the end, and applied at the end (or when an
//! administrator says so): a denied holder's assignment ends with reason
//! "access review", undecided ones get what the policy says.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::error::{Saved, ServiceError, found};
use super::transaction::write;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, AssignmentId, PolicyId, ReviewId, UserId};
use crate::domain::message::{Mail, Message, Review};
use crate::domain::request::{EndReason, moment_in};
use crate::domain::review::{
    ReviewDraft, ReviewSettings, ReviewState, ReviewerKind, Verdict, may_decide, recommendation,
    reminders,
};
use crate::domain::user::User;
use crate::domain::validation::FieldErrors;
use crate::store::packages::{self, PackageRow};
use crate::store::reviews::{self as db, Holder, ItemRow, NewReview, ReviewRow};
use crate::store::{Conn, Store, audit, directory, outbox, parse_ts, users};

fn event(action: &str, review: &ReviewRow, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::ACCESS_PACKAGE,
        object_id: review.access_package_id.to_string(),
        object_name: review.package_name.clone(),
        details,
    }
}

/// Resolves a policy form's review settings (names to ids) and saves them
/// with the policy, in the caller's transaction; `None` turns reviews off.
/// Names not found are `Invalid`, beside their fields.
#[tracing::instrument(skip_all)]
pub async fn save_settings(
    conn: &mut Conn,
    policy: &PolicyId,
    draft: Option<ReviewDraft>,
) -> Result<Option<ReviewSettings>, ServiceError> {
    let Some(d) = draft else {
        db::set_settings(conn, policy, None).await?;
        return Ok(None);
    };
    let mut e = FieldErrors::new();
    let mut settings = d.settings;
    let emails: Vec<String> = d.users.iter().chain(&d.fallback_users).cloned().collect();
    let groups: Vec<String> = d.groups.iter().chain(&d.fallback_groups).cloned().collect();
    let found_users = users::ids_by_emails(conn, &emails).await?;
    let found_groups = directory::GROUP_NAMES.ids(conn, &groups).await?;
    settings.users = ids_of(
        &d.users,
        &found_users,
        "rv_users",
        "No user has the email",
        &mut e,
    );
    settings.fallback_users = ids_of(
        &d.fallback_users,
        &found_users,
        "rv_fallback_users",
        "No user has the email",
        &mut e,
    );
    settings.groups = ids_of(
        &d.groups,
        &found_groups,
        "rv_groups",
        "No group is named",
        &mut e,
    );
    settings.fallback_groups = ids_of(
        &d.fallback_groups,
        &found_groups,
        "rv_fallback_groups",
        "No group is named",
        &mut e,
    );
    e.into_result()?;
    db::set_settings(conn, policy, Some(&settings)).await?;
    Ok(Some(settings))
}

/// The ids of the names in `list` (addresses or group names, lower case);
/// each name not found is an error beside `field` ("{missing} {name}.").
fn ids_of<T: std::fmt::Display>(
    list: &[String],
    found: &HashMap<String, T>,
    field: &str,
    missing: &str,
    e: &mut FieldErrors,
) -> Vec<String> {
    list.iter()
        .filter_map(|name| match found.get(name) {
            Some(id) => Some(id.to_string()),
            None => {
                e.add(field, format!("{missing} {name}."));
                None
            }
        })
        .collect()
}

/// Review settings with the addresses of the people and the names of the
/// groups they name, each by id.
pub type SettingsNamed = (
    ReviewSettings,
    HashMap<String, String>,
    HashMap<String, String>,
);

/// A policy's review settings with the names of the people and groups they
/// name, for its form: (settings, addresses by id, group names by id).
#[tracing::instrument(skip_all)]
pub async fn settings_for_form(
    store: &Store,
    policy: &PolicyId,
) -> Result<Option<SettingsNamed>, ServiceError> {
    let mut c = store.read().await?;
    let Some(s) = db::settings_of(&mut c, policy).await? else {
        return Ok(None);
    };
    let ids: Vec<String> = s.users.iter().chain(&s.fallback_users).cloned().collect();
    let groups: Vec<String> = s.groups.iter().chain(&s.fallback_groups).cloned().collect();
    let emails = users::emails_of(&mut c, &ids)
        .await?
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let names = directory::GROUP_NAMES
        .names(&mut c, &groups)
        .await?
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Ok(Some((s, emails, names)))
}

/// Who reviews each holder, worked out once for a review.
struct Reviewers {
    kind: ReviewerKind,
    sponsors_for_guests: bool,
    specific: Vec<String>,
    fallback: Vec<String>,
    sponsors: HashMap<String, Vec<String>>,
    active: HashSet<String>,
}

impl Reviewers {
    /// The reviewers of a holder: never the holder, except in a self-review;
    /// the fallback reviewers when nobody else can.
    fn of(&self, h: &Holder) -> Vec<String> {
        if self.kind == ReviewerKind::SelfReview {
            return vec![h.user_id.clone()];
        }
        let guest_sponsors = match (&h.organization, self.sponsors_for_guests) {
            (Some(o), true) if h.user_type == "guest" => {
                self.sponsors.get(o).cloned().unwrap_or_default()
            }
            _ => vec![],
        };
        let mut who: Vec<String> = match self.kind {
            ReviewerKind::Manager => h.manager_id.iter().cloned().collect(),
            _ => self.specific.clone(),
        };
        who.extend(guest_sponsors);
        who.retain(|u| *u != h.user_id && self.active.contains(u));
        if who.is_empty() {
            who = self
                .fallback
                .iter()
                .filter(|u| **u != h.user_id)
                .cloned()
                .collect();
        }
        who.sort();
        who.dedup();
        who
    }
}

/// A review due to start: its policy's, on `day` (the claim's key), from
/// `starts` to `ends`.
pub struct DueStart {
    scheduled: db::Scheduled,
    day: String,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    tz: Tz,
}

/// The reviews whose day has come and that have not started for it (as far
/// as can be seen before claiming each), by the organization's days.
#[tracing::instrument(skip_all)]
async fn due_starts(store: &Store, now: DateTime<Utc>) -> Result<Vec<DueStart>, ServiceError> {
    let mut c = store.read().await?;
    let scheduled = db::scheduled(&mut c).await?;
    let tz = super::settings::tenant(&mut c).await?.tz();
    // Days are the organization's.
    let today = now.with_timezone(&tz).date_naive();
    let mut due = Vec::new();
    for s in scheduled {
        let Some(day) = s.settings.recurrence.latest_start(s.settings.start, today) else {
            continue;
        };
        let key = day.format("%Y-%m-%d").to_string();
        let (starts, ends) = s.settings.period(day, tz);
        if s.last_started.as_deref().is_some_and(|l| l >= key.as_str()) || ends <= now {
            continue;
        }
        due.push(DueStart {
            scheduled: s,
            day: key,
            starts,
            ends,
            tz,
        });
    }
    Ok(due)
}

/// Starts a due review in `tx`, once whatever the number of instances: false
/// when another took it first.
#[tracing::instrument(skip_all)]
async fn start(tx: &mut Conn, due: &DueStart, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let s = &due.scheduled;
    if !db::claim_start(tx, &s.policy_id, &due.day, due.starts).await? {
        return Ok(false);
    }
    start_one(
        tx,
        &s.policy_id,
        &s.package_id,
        &s.settings,
        due.ends,
        due.tz,
        now,
    )
    .await?;
    Ok(true)
}

async fn start_one(
    conn: &mut Conn,
    policy: &PolicyId,
    package: &AccessPackageId,
    settings: &ReviewSettings,
    ends: DateTime<Utc>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let holders = db::holders(conn, policy).await?;
    let mut specific = settings.users.clone();
    specific.extend(db::members_of(conn, &settings.groups).await?);
    let mut fallback = settings.fallback_users.clone();
    fallback.extend(db::members_of(conn, &settings.fallback_groups).await?);
    let fallback = db::active_of(conn, &fallback).await?;
    let orgs: Vec<String> = holders
        .iter()
        .filter_map(|h| h.organization.clone())
        .collect();
    let mut sponsors: HashMap<String, Vec<String>> = HashMap::new();
    for (o, u) in db::sponsors_of(conn, &orgs).await? {
        sponsors.entry(o).or_default().push(u);
    }
    let mut candidates: Vec<String> = specific.clone();
    candidates.extend(holders.iter().filter_map(|h| h.manager_id.clone()));
    candidates.extend(sponsors.values().flatten().cloned());
    let active: HashSet<String> = db::active_of(conn, &candidates)
        .await?
        .into_iter()
        .collect();
    let who = Reviewers {
        kind: settings.reviewers,
        sponsors_for_guests: settings.sponsors,
        specific,
        fallback,
        sponsors,
        active,
    };
    let id = ReviewId::new();
    let mut items = Vec::with_capacity(holders.len());
    let mut pairs = Vec::new();
    for h in &holders {
        let last = h.last_sign_in_at.as_deref().and_then(|t| parse_ts(t).ok());
        items.push((
            h.assignment_id.clone(),
            h.user_id.clone(),
            recommendation(last, now).as_str(),
        ));
        pairs.extend(who.of(h).into_iter().map(|u| (h.assignment_id.clone(), u)));
    }
    let review = NewReview {
        id: &id,
        policy_id: policy,
        package_id: package,
        starts: now,
        ends,
        settings,
        items,
        reviewers: pairs,
    };
    db::insert(conn, &review, now).await?;
    let row = found(db::get(conn, &id).await?)?;
    tell_reviewers(conn, &row, settings, false, tz, now).await?;
    audit::record(
        conn,
        &Actor::system(),
        &event(
            "Start access review",
            &row,
            json!({"review": id, "policy": row.policy_name, "holders": row.total,
                   "ends": crate::store::ts(ends)}),
        ),
        now,
    )
    .await?;
    Ok(())
}

/// Mails the review's reviewers (only those with holders left, for a
/// reminder), through the outbox.
async fn tell_reviewers(
    conn: &mut Conn,
    review: &ReviewRow,
    settings: &ReviewSettings,
    reminder: bool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    // The last minute to decide, in the organization's zone (`tz`), named: a
    // review ends at its midnight, so in UTC it would be a day late west of
    // Greenwich.
    let ends = parse_ts(&review.ends_at)
        .map(|t| moment_in(t - chrono::Duration::minutes(1), tz))
        .unwrap_or_default();
    let facts = Review {
        review_id: review.id.clone(),
        package: review.package_name.clone(),
        ends,
        self_review: settings.reviewers == ReviewerKind::SelfReview,
    };
    let mails: Vec<Mail> = db::reviewers(conn, review.id.as_str(), reminder)
        .await?
        .into_iter()
        .map(|(_, email, name)| Mail {
            to_address: email,
            to_name: name,
            message: if reminder {
                Message::ReviewReminder(facts.clone())
            } else {
                Message::ReviewRequest(facts.clone())
            },
        })
        .collect();
    outbox::enqueue(conn, &mails, now).await?;
    Ok(mails.len())
}

/// A review in progress whose reviewers are due a reminder.
pub struct DueReminder {
    id: ReviewId,
    /// Reminders sent so far, and due by now.
    sent: i64,
    due: i64,
    tz: Tz,
}

/// The reviews in progress whose reviewers are due a reminder: at half
/// time and the day before the end, each once.
#[tracing::instrument(skip_all)]
async fn due_reminders(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<DueReminder>, ServiceError> {
    let mut c = store.read().await?;
    let tz = super::settings::tenant(&mut c).await?.tz();
    let running = db::in_progress(&mut c).await?;
    let mut out = Vec::new();
    for (id, starts, ends, sent) in running {
        let (Ok(starts), Ok(ends)) = (parse_ts(&starts), parse_ts(&ends)) else {
            continue;
        };
        let due = reminders(starts, ends)
            .iter()
            .filter(|t| **t <= now)
            .count() as i64;
        if due > sent {
            let id = ReviewId::from_stored(id);
            out.push(DueReminder { id, sent, due, tz });
        }
    }
    Ok(out)
}

/// Reminds a review's reviewers in `tx`, once whatever the number of
/// instances. Returns how many mails (none when another instance did).
#[tracing::instrument(skip_all)]
async fn remind(
    tx: &mut Conn,
    due: &DueReminder,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    if !db::claim_reminder(tx, &due.id, due.sent, due.due).await? {
        return Ok(0);
    }
    let row = found(db::get(tx, &due.id).await?)?;
    tell_reviewers(tx, &row, &row.settings()?, true, due.tz, now).await
}

/// Ends, in `tx`, a batch of reviews whose end has come, applying those set
/// to apply automatically. Returns how many ended (0: none was left).
#[tracing::instrument(skip_all)]
async fn end_ended(tx: &mut Conn, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let ids = db::take_ended(tx, now).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    // All of them at once, in one order, before any is applied.
    db::lock_holders(tx, &ids).await?;
    for id in &ids {
        let row = found(db::get(tx, id).await?)?;
        if row.settings()?.apply_automatically {
            apply_in(tx, &row, &Actor::system(), now).await?;
        }
    }
    Ok(ids.len())
}

/// Applies a completed review in the caller's transaction, which holds the
/// people it lists already (`db::lock_holders`): a delivery granting one of
/// them a role the review takes back then comes wholly before or after.
async fn apply_in(
    conn: &mut Conn,
    review: &ReviewRow,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !db::move_state(
        conn,
        review.id.as_str(),
        ReviewState::Completed,
        ReviewState::Applied,
        now,
    )
    .await?
    {
        return Err(ServiceError::Refused(
            "This review was already applied or stopped.".into(),
        ));
    }
    let settings = review.settings()?;
    let batch = uuid::Uuid::new_v4().to_string();
    let removed = db::apply(conn, review.id.as_str(), settings.no_response, &batch, now).await?;
    crate::service::access::finish_ended(
        conn,
        &batch,
        EndReason::AccessReview,
        Some("Remove access package assignment (access review)"),
        now,
    )
    .await?;
    audit::record(
        conn,
        actor,
        &event(
            "Apply access review",
            review,
            json!({"review": review.id, "removed": removed, "ifNoResponse": settings.no_response.as_str()}),
        ),
        now,
    )
    .await?;
    Ok(())
}

/// A review of the package, checked to be one.
async fn of_package(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &ReviewId,
) -> Result<ReviewRow, ServiceError> {
    let row = found(db::get(conn, id).await?)?;
    if row.access_package_id != *package {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

/// An administrator stops a review in progress: it ends, and nothing is
/// applied.
#[tracing::instrument(skip_all)]
pub async fn stop(
    store: &Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &ReviewId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let row = of_package(tx, package, id).await?;
        if !db::move_state(
            tx,
            id.as_str(),
            ReviewState::InProgress,
            ReviewState::Stopped,
            now,
        )
        .await?
        {
            return Err(ServiceError::Refused(
                "Only a review in progress can be stopped.".into(),
            ));
        }
        let event = event("Stop access review", &row, json!({"review": id}));
        Ok(((), event))
    })
    .await
}

/// An administrator applies a review now: one in progress ends at once.
#[tracing::instrument(skip_all)]
pub async fn apply_now(
    store: &Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &ReviewId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let row = of_package(&mut tx, package, id).await?;
    db::move_state(
        &mut tx,
        id.as_str(),
        ReviewState::InProgress,
        ReviewState::Completed,
        now,
    )
    .await?;
    db::lock_holders(&mut tx, std::slice::from_ref(&row.id)).await?;
    apply_in(&mut tx, &row, actor, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A review as one of its reviewers sees it.
pub struct ReviewerView {
    pub review: ReviewRow,
    pub settings: ReviewSettings,
    pub items: Vec<ItemRow>,
}

/// The reviews waiting for someone.
#[tracing::instrument(skip_all)]
pub async fn waiting_for(store: &Store, user: &UserId) -> Result<Vec<ReviewRow>, ServiceError> {
    let mut c = store.read().await?;
    Ok(db::waiting_for(&mut c, user.as_str()).await?)
}

/// A review for one of its reviewers: the holders they review.
#[tracing::instrument(skip_all)]
pub async fn for_reviewer(
    store: &Store,
    user: &UserId,
    id: &ReviewId,
) -> Result<ReviewerView, ServiceError> {
    let mut c = store.read().await?;
    let review = found(db::get(&mut c, id).await?)?;
    let items = db::items(&mut c, id.as_str(), Some(user.as_str())).await?;
    if items.is_empty() {
        return Err(ServiceError::NotFound);
    }
    let settings = review.settings()?;
    Ok(ReviewerView {
        review,
        settings,
        items,
    })
}

/// `decide` from the reviewer's page. Refused, it returns the page to show
/// again: with the reason's message beside its field, or with why the
/// decision does not apply (said above the page).
#[tracing::instrument(skip_all)]
pub async fn decide_on_page(
    store: &Store,
    reviewer: &User,
    id: &ReviewId,
    assignments: &[AssignmentId],
    verdict: Verdict,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Saved<usize, (ReviewerView, Option<String>)>, ServiceError> {
    let (errors, refusal) =
        match decide(store, reviewer, id, assignments, verdict, reason, now).await {
            Ok(n) => return Ok(Saved::Done(n)),
            Err(ServiceError::Invalid(errors)) => (errors, None),
            Err(ServiceError::Refused(m)) => (FieldErrors::new(), Some(m)),
            Err(e) => return Err(e),
        };
    let view = for_reviewer(store, &reviewer.id, id).await?;
    Ok(Saved::Again((view, refusal), errors))
}

/// A reviewer decides for some of their holders (each once: the first
/// decision wins). Returns how many decisions were recorded.
async fn decide(
    store: &Store,
    reviewer: &User,
    id: &ReviewId,
    assignments: &[AssignmentId],
    verdict: Verdict,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let reason = crate::domain::validation::reason_text(reason, "The reason")
        .map_err(|m| super::error::invalid("reason", m))?;
    let mut tx = store.begin().await?;
    let review = found(db::get(&mut tx, id).await?)?;
    let open = db::hold_open(&mut tx, id.as_str()).await?;
    let settings = review.settings()?;
    if !open {
        return Err(ServiceError::Refused(
            "This review has ended; decisions are no longer taken.".into(),
        ));
    }
    if assignments.is_empty() {
        return Err(super::error::invalid(
            "assignments",
            "Choose whose access you decide.",
        ));
    }
    if verdict == Verdict::Approve && settings.justification_required && reason.is_none() {
        return Err(super::error::invalid(
            "reason",
            "Give a reason to approve access.",
        ));
    }
    let ends = parse_ts(&review.ends_at).map_err(ServiceError::Store)?;
    let items = db::items(&mut tx, id.as_str(), Some(reviewer.id.as_str())).await?;
    let self_review = settings.reviewers == ReviewerKind::SelfReview;
    let mut done = 0;
    for a in assignments {
        let Some(item) = items
            .iter()
            .find(|i| i.assignment_id.as_str() == a.as_str())
        else {
            return Err(ServiceError::Refused(
                "You do not review this person's access.".into(),
            ));
        };
        may_decide(
            reviewer.id.as_str(),
            item.holder_id.as_str(),
            self_review,
            ends,
            now,
        )
        .map_err(ServiceError::Refused)?;
        if item.ended() {
            continue;
        }
        if db::decide(
            &mut tx,
            id.as_str(),
            a.as_str(),
            reviewer.id.as_str(),
            verdict.as_str(),
            reason.as_deref(),
            now,
        )
        .await?
        {
            done += 1;
        }
    }
    audit::record(
        &mut tx,
        &Actor {
            user_id: Some(reviewer.id.to_string()),
            display_name: reviewer.display_name.clone(),
        },
        &event(
            "Review access package assignment",
            &review,
            json!({"review": id, "decision": verdict.as_str(), "assignments": assignments, "reason": reason, "recorded": done}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// A package with its reviews, for its Access reviews tab, read on one
/// connection.
#[tracing::instrument(skip_all)]
pub async fn of_package_list(
    store: &Store,
    package: &AccessPackageId,
) -> Result<(PackageRow, Vec<ReviewRow>), ServiceError> {
    let mut c = store.read().await?;
    let row = found(packages::get(&mut c, package).await?)?;
    let reviews = db::of_package(&mut c, package).await?;
    Ok((row, reviews))
}

/// A review's page: its package, the review, and each holder's item.
pub struct ReviewDetails {
    pub package: PackageRow,
    pub review: ReviewRow,
    pub items: Vec<ItemRow>,
}

/// A package's review with its items, read on one connection.
#[tracing::instrument(skip_all)]
pub async fn details(
    store: &Store,
    package: &AccessPackageId,
    id: &ReviewId,
) -> Result<ReviewDetails, ServiceError> {
    let mut c = store.read().await?;
    let package = found(packages::get(&mut c, package).await?)?;
    let review = of_package(&mut c, &package.id, id).await?;
    let items = db::items(&mut c, id.as_str(), None).await?;
    Ok(ReviewDetails {
        package,
        review,
        items,
    })
}

/// Ends the reviews whose end has come (applied where set to), a batch per
/// transaction; returns how many ended.
#[tracing::instrument(skip_all)]
pub async fn end_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut ended = 0;
    loop {
        let mut tx = store.begin().await?;
        let n = end_ended(&mut tx, now).await?;
        tx.commit().await?;
        if n == 0 {
            return Ok(ended);
        }
        ended += n;
    }
}

/// Starts the reviews whose day has come, each in a transaction of its own;
/// returns how many started.
#[tracing::instrument(skip_all)]
pub async fn start_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut started = 0;
    for due in due_starts(store, now).await? {
        let mut tx = store.begin().await?;
        let took = start(&mut tx, &due, now).await?;
        tx.commit().await?;
        started += usize::from(took);
    }
    Ok(started)
}

/// Reminds reviewers at half time and the day before the end, each review
/// in a transaction of its own; returns how many mails.
#[tracing::instrument(skip_all)]
pub async fn remind_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for due in due_reminders(store, now).await? {
        let mut tx = store.begin().await?;
        sent += remind(&mut tx, &due, now).await?;
        tx.commit().await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(user: &str, kind: &str, manager: Option<&str>, org: Option<&str>) -> Holder {
        Holder {
            assignment_id: format!("a-{user}"),
            user_id: user.into(),
            user_type: kind.into(),
            manager_id: manager.map(str::to_string),
            organization: org.map(str::to_string),
            last_sign_in_at: None,
        }
    }

    fn reviewers(kind: ReviewerKind, sponsors: bool) -> Reviewers {
        Reviewers {
            kind,
            sponsors_for_guests: sponsors,
            specific: vec!["spec".into()],
            fallback: vec!["fall".into(), "gary".into()],
            sponsors: HashMap::from([("contoso".to_string(), vec!["maria".into(), "gary".into()])]),
            active: ["spec", "maria", "gary", "boss"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    #[test]
    fn guests_are_reviewed_by_their_sponsors_never_by_themselves() {
        let gary = holder("gary", "guest", None, Some("contoso"));
        assert_eq!(
            reviewers(ReviewerKind::Manager, true).of(&gary),
            vec!["maria".to_string()],
            "the sponsors but Gary himself"
        );
        assert_eq!(
            reviewers(ReviewerKind::Manager, false).of(&gary),
            vec!["fall".to_string()],
            "without sponsors: the fallback, never the holder"
        );
        assert_eq!(
            reviewers(ReviewerKind::Specific, true).of(&gary),
            vec!["maria".to_string(), "spec".to_string()]
        );
        let eric = holder("eric", "member", Some("boss"), Some("contoso"));
        assert_eq!(
            reviewers(ReviewerKind::Manager, true).of(&eric),
            vec!["boss".to_string()],
            "members are not reviewed by sponsors"
        );
        assert_eq!(
            reviewers(ReviewerKind::SelfReview, true).of(&eric),
            vec!["eric".to_string()]
        );
        let lone = holder("lone", "member", Some("gone"), None);
        assert_eq!(
            reviewers(ReviewerKind::Manager, false).of(&lone),
            vec!["fall".to_string(), "gary".to_string()],
            "a manager no longer active: the fallbacks"
        );
    }
}
