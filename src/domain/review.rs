//! Access reviews (Graph `accessPackageAssignmentReviewSettings`): when a
//! policy's reviews start and end, who may decide for whom, what is
//! recommended, and what an undecided holder's access becomes.
//!
//! The rules only: the store keeps the settings, instances and decisions,
//! and the jobs start, remind and apply them.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

/// How often a policy's review comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
            Recurrence::SemiAnnually => "Semi-annually",
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoResponse {
    /// Access stays (`keepAccess`).
    NoChange,
    RemoveAccess,
    ApproveAccess,
    /// The recommendation is applied (`acceptAccessRecommendation`).
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

/// A reviewer's decision, or a recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Deny,
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
