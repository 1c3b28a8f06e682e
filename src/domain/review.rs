//! Access reviews (Graph `accessPackageAssignmentReviewSettings`): when a
//! policy's reviews start and end, who may decide for whom, what is
//! recommended, and what an undecided holder's access becomes.
//!
//! The rules only: the store keeps the settings, instances and decisions,
//! and the jobs start, remind and apply them.

use crate::domain::named::named_values;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::validation::FieldErrors;

/// How often a policy's review comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Recurrence {
    Weekly,
    Monthly,
    Quarterly,
    SemiAnnually,
    Annually,
}

impl Recurrence {
    pub const ALL: [Recurrence; 5] = [
        Recurrence::Weekly,
        Recurrence::Monthly,
        Recurrence::Quarterly,
        Recurrence::SemiAnnually,
        Recurrence::Annually,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recurrence::Weekly => "weekly",
            Recurrence::Monthly => "monthly",
            Recurrence::Quarterly => "quarterly",
            Recurrence::SemiAnnually => "semiAnnually",
            Recurrence::Annually => "annually",
        }
    }

    pub fn parse(s: &str) -> Option<Recurrence> {
        Recurrence::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Recurrence::Weekly => "Weekly",
            Recurrence::Monthly => "Monthly",
            Recurrence::Quarterly => "Quarterly",
            Recurrence::SemiAnnually => "Bi-annually",
            Recurrence::Annually => "Annually",
        }
    }

    /// The longest a review can last: shorter than the time between two.
    pub fn max_duration_days(self) -> u32 {
        match self {
            Recurrence::Weekly => 6,
            Recurrence::Monthly => 27,
            Recurrence::Quarterly => 80,
            Recurrence::SemiAnnually => 170,
            Recurrence::Annually => 360,
        }
    }

    /// The `n`th start after `first` (0: `first`). A month-based start on
    /// a day a month lacks falls on that month's last day.
    pub fn nth(self, first: NaiveDate, n: u32) -> Option<NaiveDate> {
        let months = |m: u32| first.checked_add_months(Months::new(m.checked_mul(n)?));
        match self {
            Recurrence::Weekly => first.checked_add_signed(Duration::weeks(i64::from(n))),
            Recurrence::Monthly => months(1),
            Recurrence::Quarterly => months(3),
            Recurrence::SemiAnnually => months(6),
            Recurrence::Annually => months(12),
        }
    }

    /// The latest start on or before `today`, counting from `first`; `None`
    /// before the first.
    pub fn latest_start(self, first: NaiveDate, today: NaiveDate) -> Option<NaiveDate> {
        if today < first {
            return None;
        }
        // A first guess from the calendar, then walk to the exact one.
        let guess = match self {
            Recurrence::Weekly => ((today - first).num_days() / 7) as u32,
            _ => {
                let months = (today.year() - first.year()) * 12 + today.month() as i32
                    - first.month() as i32;
                let per = match self {
                    Recurrence::Monthly => 1,
                    Recurrence::Quarterly => 3,
                    Recurrence::SemiAnnually => 6,
                    _ => 12,
                };
                (months.max(0) / per) as u32
            }
        };
        let mut n = guess;
        while n > 0 && self.nth(first, n).is_none_or(|d| d > today) {
            n -= 1;
        }
        while self.nth(first, n + 1).is_some_and(|d| d <= today) {
            n += 1;
        }
        self.nth(first, n)
    }
}

/// What happens to a holder nobody decided for by the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoResponse {
    /// Access stays (`keepAccess`).
    #[serde(rename = "keepAccess")]
    NoChange,
    #[serde(rename = "removeAccess")]
    RemoveAccess,
    #[serde(rename = "approveAccess")]
    ApproveAccess,
    /// The recommendation is applied (`acceptAccessRecommendation`).
    #[serde(rename = "acceptAccessRecommendation")]
    TakeRecommendations,
}

impl NoResponse {
    pub const ALL: [NoResponse; 4] = [
        NoResponse::NoChange,
        NoResponse::RemoveAccess,
        NoResponse::ApproveAccess,
        NoResponse::TakeRecommendations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoResponse::NoChange => "keepAccess",
            NoResponse::RemoveAccess => "removeAccess",
            NoResponse::ApproveAccess => "approveAccess",
            NoResponse::TakeRecommendations => "acceptAccessRecommendation",
        }
    }

    pub fn parse(s: &str) -> Option<NoResponse> {
        NoResponse::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NoResponse::NoChange => "No change",
            NoResponse::RemoveAccess => "Remove access",
            NoResponse::ApproveAccess => "Approve access",
            NoResponse::TakeRecommendations => "Take recommendations",
        }
    }

    /// The decision applied to an undecided holder; `None`: nothing changes.
    pub fn applied(self, recommendation: Verdict) -> Option<Verdict> {
        match self {
            NoResponse::NoChange => None,
            NoResponse::RemoveAccess => Some(Verdict::Deny),
            NoResponse::ApproveAccess => Some(Verdict::Approve),
            NoResponse::TakeRecommendations => Some(recommendation),
        }
    }
}

named_values! {
    /// Where a review stands (Graph `accessReviewInstance.status`).
    pub enum ReviewState {
        /// Open to its reviewers until it ends.
        InProgress = ("inProgress", "In progress"),
        /// Ended; its decisions wait to be applied.
        Completed = ("completed", "Ended, not applied yet"),
        Applied = ("applied", "Applied"),
        /// Ended by an administrator; nothing is applied.
        Stopped = ("stopped", "Stopped"),
    }
}

impl ReviewState {
    /// Only a review in progress can be stopped.
    pub fn may_stop(self) -> bool {
        self == ReviewState::InProgress
    }

    /// A review in progress (ending it now) or ended can be applied, once.
    pub fn may_apply(self) -> bool {
        matches!(self, ReviewState::InProgress | ReviewState::Completed)
    }
}

/// A reviewer's decision, or a recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Deny => "deny",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "approve" => Some(Verdict::Approve),
            "deny" => Some(Verdict::Deny),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Approve => "Approve",
            Verdict::Deny => "Deny",
        }
    }
    /// As a decision taken reads: "Approved", "Denied".
    pub fn done_label(self) -> &'static str {
        match self {
            Verdict::Approve => "Approved",
            Verdict::Deny => "Denied",
        }
    }
}

/// Who reviews each holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReviewerKind {
    /// Each holder reviews their own access ("Do you still need access?").
    SelfReview,
    /// The holder's manager (guests: their organization's sponsors, when
    /// the setting says so).
    Manager,
    /// Specific people and the members of specific groups.
    Specific,
}

impl ReviewerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewerKind::SelfReview => "self",
            ReviewerKind::Manager => "manager",
            ReviewerKind::Specific => "specific",
        }
    }
    pub fn parse(s: &str) -> Option<ReviewerKind> {
        [
            ReviewerKind::SelfReview,
            ReviewerKind::Manager,
            ReviewerKind::Specific,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ReviewerKind::SelfReview => "Self-review",
            ReviewerKind::Manager => "Manager",
            ReviewerKind::Specific => "Specific reviewers",
        }
    }
}

/// A policy's access review settings (ids resolved).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSettings {
    /// The day the first review starts (a day in UTC).
    pub start: NaiveDate,
    pub recurrence: Recurrence,
    pub duration_days: u32,
    pub reviewers: ReviewerKind,
    /// Specific reviewers: user ids and group ids.
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Guests are reviewed by their connected organization's sponsors.
    #[serde(default)]
    pub sponsors: bool,
    /// Who reviews when nobody else can (no manager, no sponsor, only the
    /// holder themselves).
    #[serde(default)]
    pub fallback_users: Vec<String>,
    #[serde(default)]
    pub fallback_groups: Vec<String>,
    pub no_response: NoResponse,
    pub justification_required: bool,
    pub show_recommendations: bool,
    pub apply_automatically: bool,
}

impl ReviewSettings {
    /// When a review starting on `day` (in the organization's time zone
    /// `tz`) begins and ends: from the start of that day to the start of the
    /// day its days later, as the organization's clocks read them (a change
    /// to or from summer time between makes its time 23 or 25 hours longer
    /// or shorter, not its days).
    pub fn period(&self, day: NaiveDate, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let end_day = day + Duration::days(i64::from(self.duration_days));
        (day_start(day, tz), day_start(end_day, tz))
    }
}

/// When `day` begins in `tz`: its midnight, or, where the clocks skip
/// midnight (some zones change to summer time then), the first moment after.
fn day_start(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    crate::domain::request::local_to_utc(tz, midnight).unwrap_or_else(|| midnight.and_utc())
}

/// The review settings as the policy form sent them (`rv_*` fields); the
/// package wizard keeps them in its draft.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReviewInput {
    pub enabled: bool,
    pub start: String,
    pub recurrence: String,
    pub duration: String,
    pub reviewers: String,
    /// Addresses and group names, one per line.
    pub users: String,
    pub groups: String,
    pub sponsors: bool,
    pub fallback_users: String,
    pub fallback_groups: String,
    pub no_response: String,
    pub justification: bool,
    pub recommendations: bool,
    pub auto_apply: bool,
}

/// Checked settings whose people and groups are still names: (settings,
/// reviewers' addresses, reviewer groups' names, fallback addresses,
/// fallback groups' names).
#[derive(Clone, Debug)]
pub struct ReviewDraft {
    pub settings: ReviewSettings,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub fallback_users: Vec<String>,
    pub fallback_groups: Vec<String>,
}

fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ','])
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
}

impl ReviewInput {
    /// `None` when reviews are off; errors keyed by the form's fields.
    pub fn parse(&self) -> Result<Option<ReviewDraft>, FieldErrors> {
        if !self.enabled {
            return Ok(None);
        }
        let mut e = FieldErrors::new();
        let start = crate::domain::validation::calendar_day(&self.start);
        if start.is_none() {
            e.add("rv_start", "Give the day the first review starts.");
        }
        let recurrence = Recurrence::parse(&self.recurrence);
        if recurrence.is_none() {
            e.add("rv_recurrence", "Choose how often the review comes back.");
        }
        let max = recurrence.map_or(360, Recurrence::max_duration_days);
        let duration = self
            .duration
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=max).contains(d));
        if duration.is_none() {
            e.add(
                "rv_duration",
                format!("A review lasts from 1 to {max} days, less than the time between two."),
            );
        }
        let reviewers = ReviewerKind::parse(&self.reviewers);
        let (users, groups) = (lines(&self.users), lines(&self.groups));
        let (fallback_users, fallback_groups) =
            (lines(&self.fallback_users), lines(&self.fallback_groups));
        match reviewers {
            None => e.add("rv_reviewers", "Choose who reviews."),
            Some(ReviewerKind::Specific) if users.is_empty() && groups.is_empty() => e.add(
                "rv_users",
                "Name at least one reviewer or group of reviewers.",
            ),
            Some(ReviewerKind::Manager)
                if fallback_users.is_empty() && fallback_groups.is_empty() =>
            {
                e.add(
                    "rv_fallback_users",
                    "Someone has no manager: name fallback reviewers.",
                )
            }
            _ => {}
        }
        let no_response = NoResponse::parse(&self.no_response);
        if no_response.is_none() {
            e.add(
                "rv_no_response",
                "Choose what happens when reviewers don't respond.",
            );
        }
        match (start, recurrence, duration, reviewers, no_response) {
            (Some(start), Some(recurrence), Some(duration_days), Some(kind), Some(no_response))
                if e.is_empty() =>
            {
                Ok(Some(ReviewDraft {
                    settings: ReviewSettings {
                        start,
                        recurrence,
                        duration_days,
                        reviewers: kind,
                        users: vec![],
                        groups: vec![],
                        sponsors: self.sponsors,
                        fallback_users: vec![],
                        fallback_groups: vec![],
                        no_response,
                        justification_required: self.justification,
                        show_recommendations: self.recommendations,
                        apply_automatically: self.auto_apply,
                    },
                    users,
                    groups,
                    fallback_users,
                    fallback_groups,
                }))
            }
            _ => Err(e),
        }
    }
}

/// How long without signing in makes the recommendation "deny".
pub const INACTIVE_DAYS: i64 = 30;

/// The recommendation for a holder: deny when they have not signed in for
/// 30 days (or never have), approve otherwise.
pub fn recommendation(last_sign_in: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Verdict {
    match last_sign_in {
        Some(at) if now - at <= Duration::days(INACTIVE_DAYS) => Verdict::Approve,
        _ => Verdict::Deny,
    }
}

/// When a review's reminders go: at half time, and a day before its end
/// (when that is after the half-time one).
pub fn reminders(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let half = start + (end - start) / 2;
    let last = end - Duration::days(1);
    let mut at = vec![half];
    if last > half {
        at.push(last);
    }
    at
}

/// Whether `reviewer` may decide for `holder`: nobody reviews their own
/// access, except in a self-review, where only the holder does; and only
/// while the review runs.
pub fn may_decide(
    reviewer: &str,
    holder: &str,
    self_review: bool,
    ends: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    if now >= ends {
        return Err("This review has ended; decisions are no longer taken.".into());
    }
    match (self_review, reviewer == holder) {
        (true, true) | (false, false) => Ok(()),
        (true, false) => Err("In a self-review, only the holder decides.".into()),
        (false, true) => Err("Nobody reviews their own access.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn starts_recur_from_the_first_and_month_ends_clamp() {
        let first = d("2026-01-31");
        assert_eq!(Recurrence::Monthly.nth(first, 1), Some(d("2026-02-28")));
        assert_eq!(Recurrence::Quarterly.nth(first, 1), Some(d("2026-04-30")));
        assert_eq!(Recurrence::Weekly.nth(first, 2), Some(d("2026-02-14")));
        assert_eq!(Recurrence::Annually.nth(first, 1), Some(d("2027-01-31")));
        assert_eq!(
            Recurrence::Monthly.latest_start(first, d("2026-01-30")),
            None
        );
        assert_eq!(
            Recurrence::Monthly.latest_start(first, d("2026-03-30")),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            Recurrence::Monthly.latest_start(first, d("2026-03-31")),
            Some(d("2026-03-31"))
        );
        assert_eq!(
            Recurrence::SemiAnnually.latest_start(first, d("2027-08-01")),
            Some(d("2027-07-31"))
        );
        assert_eq!(
            Recurrence::Weekly.latest_start(first, d("2026-02-13")),
            Some(d("2026-02-07"))
        );
    }

    #[test]
    fn the_recommendation_follows_the_last_sign_in() {
        let now = Utc::now();
        assert_eq!(recommendation(None, now), Verdict::Deny);
        assert_eq!(
            recommendation(Some(now - Duration::days(31)), now),
            Verdict::Deny
        );
        assert_eq!(
            recommendation(Some(now - Duration::days(2)), now),
            Verdict::Approve
        );
    }

    #[test]
    fn undecided_holders_get_the_setting() {
        assert_eq!(NoResponse::NoChange.applied(Verdict::Deny), None);
        assert_eq!(
            NoResponse::RemoveAccess.applied(Verdict::Approve),
            Some(Verdict::Deny)
        );
        assert_eq!(
            NoResponse::TakeRecommendations.applied(Verdict::Deny),
            Some(Verdict::Deny)
        );
        assert_eq!(
            NoResponse::ApproveAccess.applied(Verdict::Deny),
            Some(Verdict::Approve)
        );
    }

    #[test]
    fn who_decides_and_until_when() {
        let now = Utc::now();
        let later = now + Duration::days(3);
        assert!(may_decide("a", "b", false, later, now).is_ok());
        assert!(may_decide("b", "b", false, later, now).is_err());
        assert!(may_decide("b", "b", true, later, now).is_ok());
        assert!(may_decide("a", "b", true, later, now).is_err());
        assert!(may_decide("a", "b", false, now, now).is_err(), "ended");
    }

    #[test]
    fn settings_are_checked_beside_their_fields() {
        let mut i = ReviewInput {
            enabled: true,
            start: "2026-12-01".into(),
            recurrence: "monthly".into(),
            duration: "40".into(),
            reviewers: "manager".into(),
            no_response: "removeAccess".into(),
            ..Default::default()
        };
        let e = i.parse().unwrap_err();
        assert!(e.get("rv_duration").is_some() && e.get("rv_fallback_users").is_some());
        i.duration = "7".into();
        i.fallback_users = "ada@example.test".into();
        let d = i.parse().unwrap().unwrap();
        assert_eq!(d.fallback_users, vec!["ada@example.test".to_string()]);
        assert_eq!(d.settings.no_response, NoResponse::RemoveAccess);
        let json = serde_json::to_string(&d.settings).unwrap();
        assert!(json.contains("\"noResponse\":\"removeAccess\""), "{json}");
        i.enabled = false;
        assert!(i.parse().unwrap().is_none());
    }

    #[test]
    fn a_review_day_begins_in_the_organization_time_zone() {
        let s = ReviewInput {
            enabled: true,
            start: "2026-12-01".into(),
            recurrence: "monthly".into(),
            duration: "7".into(),
            reviewers: "self".into(),
            no_response: "keepAccess".into(),
            ..Default::default()
        }
        .parse()
        .unwrap()
        .unwrap()
        .settings;
        let (start, end) = s.period(d("2026-12-01"), chrono_tz::Europe::Amsterdam);
        assert_eq!(start.to_rfc3339(), "2026-11-30T23:00:00+00:00");
        assert_eq!(end - start, Duration::days(7));
        let (start, _) = s.period(d("2026-12-01"), chrono_tz::UTC);
        assert_eq!(start.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        // Across the change to winter time the review still ends at midnight.
        let (_, end) = s.period(d("2026-10-20"), chrono_tz::Europe::Amsterdam);
        assert_eq!(end.to_rfc3339(), "2026-10-26T23:00:00+00:00");
        // Santiago skips midnight when it changes to summer time: 01:00 then.
        let (start, _) = s.period(d("2026-09-06"), chrono_tz::America::Santiago);
        assert_eq!(start.to_rfc3339(), "2026-09-06T04:00:00+00:00");
    }

    #[test]
    fn reminders_at_half_time_and_the_day_before() {
        let start = Utc::now();
        let r = reminders(start, start + Duration::days(14));
        assert_eq!(
            r,
            vec![start + Duration::days(7), start + Duration::days(13)]
        );
        assert_eq!(reminders(start, start + Duration::days(1)).len(), 1);
    }
}
