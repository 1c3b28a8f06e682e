//! Periods: when access starts and ends, as asked for, as a policy allows,
//! and as an extension moves it; days are the requestor's.

use crate::domain::policy::Policy;
use crate::domain::validation::FieldErrors;

/// The new end of an extended assignment: the policy's duration again from
/// its current end (or from now, if that has passed), and never past the
/// policy's fixed end date.
pub fn extended_end(
    policy: &Policy,
    current_end: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use crate::domain::policy::Expiration;
    let from = current_end.map_or(now, |e| e.max(now));
    match policy.expiration {
        Expiration::NoExpiration => None,
        Expiration::AfterDateTime(t) => Some(t),
        Expiration::AfterDays(d) => Some(from + chrono::Duration::days(i64::from(d))),
        Expiration::AfterHours(h) => Some(from + chrono::Duration::hours(i64::from(h))),
    }
}

/// Why an assignment cannot be extended by its holder now; `None` when it can.
/// Extension opens in the last 14 days, as the first reminder says. Times
/// are said in the holder's zone `tz`.
pub fn extension_refusal(
    policy: &Policy,
    current_end: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> Option<String> {
    use crate::domain::policy::Expiration;
    if !policy.requestor.enable_targets_to_self_update_access {
        return Some(
            "This access package's policy does not let people extend their access.".into(),
        );
    }
    let Some(end) = current_end else {
        return Some("Your access does not expire, so there is nothing to extend.".into());
    };
    if let Expiration::AfterDateTime(t) = policy.expiration {
        if end >= t {
            return Some(format!(
                "Your access already lasts until {}, the latest date this policy allows.",
                moment_in(t, tz)
            ));
        }
    }
    if end - now > chrono::Duration::days(EXTENSION_WINDOW_DAYS) {
        return Some(format!(
            "You can ask to extend your access in its last {EXTENSION_WINDOW_DAYS} days, from {}.",
            moment_in(end - chrono::Duration::days(EXTENSION_WINDOW_DAYS), tz)
        ));
    }
    None
}

/// How long before its end an assignment may be extended (and the first reminder).
pub const EXTENSION_WINDOW_DAYS: i64 = 14;

/// How far ahead a requested period may reach.
pub const MAX_PERIOD_YEARS: i64 = 10;

/// When access starts and ends.
pub type Period = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

/// A requested period, as the form sends it: dates (`YYYY-MM-DD`), or dates
/// with a time of day (`YYYY-MM-DDTHH:MM`, for policies counted in hours),
/// in the requestor's time zone.
pub struct PeriodInput<'a> {
    pub start: &'a str,
    pub end: &'a str,
    pub tz: chrono_tz::Tz,
}

impl PeriodInput<'static> {
    /// No dates asked for: access from now, for as long as the policy gives.
    pub const NONE: PeriodInput<'static> = PeriodInput {
        start: "",
        end: "",
        tz: chrono_tz::UTC,
    };
}

/// A day, or a moment, as typed in a period field.
#[derive(Clone, Copy)]
enum Moment {
    Day(chrono::NaiveDate),
    At(chrono::NaiveDateTime),
}

impl Moment {
    fn parse(v: &str) -> Option<Moment> {
        use crate::domain::validation::calendar_day;
        use chrono::NaiveDateTime;
        if let Some(day) = calendar_day(v) {
            return Some(Moment::Day(day));
        }
        // A moment's day, before its time, has a four-digit year too.
        let (day, _) = v.split_once(['T', ' '])?;
        calendar_day(day)?;
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
            .map(Moment::At)
    }
    fn date(self) -> chrono::NaiveDate {
        match self {
            Moment::Day(d) => d,
            Moment::At(t) => t.date(),
        }
    }
}

/// A moment as people in `tz` read it in a sentence: "1 Dec 2026, 23:59 CET".
pub fn moment_in(t: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz)
        .format("%-d %b %Y, %H:%M %Z")
        .to_string()
}

/// A wall-clock time in `tz` as UTC. A time the clocks skip (a daylight
/// saving gap) is read an hour later; a repeated one is its first occurrence.
pub fn local_to_utc(
    tz: chrono_tz::Tz,
    t: chrono::NaiveDateTime,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            let later = t.checked_add_signed(chrono::Duration::hours(1))?;
            tz.from_local_datetime(&later).earliest()
        })
        .map(|x| x.with_timezone(&chrono::Utc))
}

/// Checks a requested period against the policy. `None` when the policy does
/// not offer one or nothing was asked (access then starts at once).
///
/// Days are the requestor's (`input.tz`): a start of today means now, and an
/// end date means the end of that day. The period never lasts longer than
/// the policy allows from its start; an end date on the policy's last day
/// (its fixed date, or the last day of its days or hours) is accepted and
/// ends when the policy's access would.
pub fn check_period(
    policy: &Policy,
    input: &PeriodInput<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Period>, FieldErrors> {
    use crate::domain::policy::Expiration;
    use chrono::Duration;
    let mut e = FieldErrors::new();
    if !policy.requestor.allow_custom_assignment_schedule {
        return Ok(None);
    }
    let (start, end) = (input.start.trim(), input.end.trim());
    if start.is_empty() && end.is_empty() {
        return Ok(None);
    }
    let hours = matches!(policy.expiration, Expiration::AfterHours(_));
    let format_hint = if hours {
        "Enter a date like 2026-12-31, or a date and time like 2026-12-31 17:00."
    } else {
        "Enter a date like 2026-12-31."
    };
    let parse = |field: &str, v: &str, e: &mut FieldErrors| -> Option<Moment> {
        if v.is_empty() {
            e.add(field, "Give both a start and an end, or neither.");
            return None;
        }
        let m = Moment::parse(v);
        if m.is_none() {
            e.add(field, format_hint);
        }
        m
    };
    let (Some(s), Some(t)) = (parse("start", start, &mut e), parse("end", end, &mut e)) else {
        return Err(e);
    };
    let tz = input.tz;
    let today = now.with_timezone(&tz).date_naive();
    if s.date() < today {
        e.add("start", "The start cannot be in the past.");
    }
    // Beyond this, dates are typing mistakes (and far years would overflow).
    let horizon = today + Duration::days(MAX_PERIOD_YEARS * 366);
    if s.date() > horizon {
        e.add(
            "start",
            format!("Choose a start within {MAX_PERIOD_YEARS} years."),
        );
    }
    if t.date() > horizon {
        e.add(
            "end",
            format!("Choose an end within {MAX_PERIOD_YEARS} years."),
        );
    }
    if t.date() < s.date() {
        e.add("end", "The end must be on or after the start.");
    }
    if !e.is_empty() {
        return Err(e);
    }
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).and_then(|x| local_to_utc(tz, x));
    let from = match s {
        Moment::Day(d) if d == today => Some(now),
        Moment::Day(d) => midnight(d),
        // A time earlier today starts now: the form was filled in a moment ago.
        Moment::At(x) => local_to_utc(tz, x).map(|x| x.max(now)),
    };
    let until = match t {
        Moment::Day(d) => d.succ_opt().and_then(midnight),
        Moment::At(x) => local_to_utc(tz, x),
    };
    let (Some(from), Some(until)) = (from, until) else {
        e.add("end", format_hint);
        return Err(e);
    };
    if until <= from {
        e.add("end", "The end must be after the start.");
        return Err(e);
    }
    let latest = match policy.expiration {
        Expiration::NoExpiration => None,
        Expiration::AfterDateTime(x) => Some(x),
        Expiration::AfterDays(d) => Some(from + Duration::days(i64::from(d))),
        Expiration::AfterHours(h) => Some(from + Duration::hours(i64::from(h))),
    };
    let Some(latest) = latest else {
        return Ok(Some((from, until)));
    };
    let on_last_day = matches!(t, Moment::Day(d) if d <= latest.with_timezone(&tz).date_naive());
    if until > latest && !on_last_day {
        let most = match policy.expiration {
            Expiration::AfterDays(d) => format!("at most {d} days"),
            Expiration::AfterHours(h) => format!("at most {h} hours"),
            _ => format!(
                "until {}",
                latest.with_timezone(&tz).format("%Y-%m-%d %H:%M")
            ),
        };
        e.add(
            "end",
            format!("This policy gives access for {most}; choose an earlier end."),
        );
        return Err(e);
    }
    if latest <= from {
        e.add(
            "start",
            "This policy gives no access after its end date; choose an earlier start.",
        );
        return Err(e);
    }
    Ok(Some((from, until.min(latest))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::{AllowedTargetScope, Expiration, SubjectSet};
    use chrono_tz::UTC;

    fn policy(scope: AllowedTargetScope, targets: Vec<SubjectSet>) -> Policy {
        Policy::requestable(scope, targets)
    }

    #[test]
    fn an_extension_never_passes_the_fixed_end_date() {
        use chrono::TimeZone;
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 10, 0, 0)
            .unwrap();
        let mut p = policy(AllowedTargetScope::AllMemberUsers, vec![]);
        p.requestor.enable_targets_to_self_update_access = true;
        p.expiration = Expiration::AfterDays(30);
        let end = now + chrono::Duration::days(5);
        assert_eq!(
            extended_end(&p, Some(end), now),
            Some(end + chrono::Duration::days(30))
        );
        // Already past its end: the new period counts from now.
        let past = now - chrono::Duration::days(1);
        assert_eq!(
            extended_end(&p, Some(past), now),
            Some(now + chrono::Duration::days(30))
        );
        assert_eq!(extension_refusal(&p, Some(end), now, UTC), None);
        assert!(
            extension_refusal(&p, Some(now + chrono::Duration::days(40)), now, UTC)
                .unwrap()
                .contains("last 14 days")
        );
        let fixed = chrono::Utc.with_ymd_and_hms(2026, 12, 10, 0, 0, 0).unwrap();
        p.expiration = Expiration::AfterDateTime(fixed);
        assert_eq!(extended_end(&p, Some(end), now), Some(fixed));
        assert_eq!(
            extension_refusal(&p, Some(fixed), now, chrono_tz::Asia::Tokyo).unwrap(),
            "Your access already lasts until 10 Dec 2026, 09:00 JST, the latest date this policy allows."
        );
        p.requestor.enable_targets_to_self_update_access = false;
        assert!(extension_refusal(&p, Some(end), now, UTC).is_some());
    }

    #[test]
    fn a_period_is_checked_against_the_policy() {
        use chrono::TimeZone;
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 10, 0, 0)
            .unwrap();
        let mut p = policy(AllowedTargetScope::AllMemberUsers, vec![]);
        p.expiration = Expiration::AfterDays(30);
        let utc = chrono_tz::UTC;
        let ask = |p: &Policy, start: &str, end: &str| {
            check_period(
                p,
                &PeriodInput {
                    start,
                    end,
                    tz: utc,
                },
                now,
            )
        };
        // Not offered: the fields are ignored.
        assert!(matches!(ask(&p, "2026-12-01", "2026-12-05"), Ok(None)));
        p.requestor.allow_custom_assignment_schedule = true;
        assert!(matches!(ask(&p, "", ""), Ok(None)));
        let (from, until) = ask(&p, "2026-11-26", "2026-12-05").unwrap().unwrap();
        assert_eq!(from, now, "today starts now");
        assert_eq!(
            until,
            chrono::Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap()
        );
        let (from, _) = ask(&p, "2026-12-01", "2026-12-01").unwrap().unwrap();
        assert_eq!(
            from,
            chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
        // The policy's last day is accepted, and ends when the policy's access would.
        let (_, until) = ask(&p, "2026-11-26", "2026-12-26").unwrap().unwrap();
        assert_eq!(until, now + chrono::Duration::days(30));
        let said = |r: Result<Option<Period>, FieldErrors>| -> String { r.unwrap_err().messages() };
        assert!(said(ask(&p, "2026-11-25", "2026-12-01")).contains("in the past"));
        assert!(said(ask(&p, "2026-12-05", "2026-12-01")).contains("on or after"));
        assert!(said(ask(&p, "2026-12-01", "")).contains("both"));
        assert!(said(ask(&p, "12/01/2026", "2026-12-02")).contains("like 2026-12-31"));
        assert!(said(ask(&p, "2026-12-01", "2027-02-01")).contains("at most 30 days"));
        let fixed = chrono::Utc.with_ymd_and_hms(2026, 12, 15, 0, 0, 0).unwrap();
        p.expiration = Expiration::AfterDateTime(fixed);
        assert!(said(ask(&p, "2026-12-01", "2026-12-20")).contains("until 2026-12-15"));
        // Its "on date" as the end: accepted, ending at that moment.
        let (_, until) = ask(&p, "2026-12-01", "2026-12-15").unwrap().unwrap();
        assert_eq!(until, fixed);
        // Hours: a time of day, or today as the end date.
        p.expiration = Expiration::AfterHours(8);
        let (from, until) = ask(&p, "2026-11-26T10:00", "2026-11-26T15:30")
            .unwrap()
            .unwrap();
        assert_eq!((from, until), (now, now + chrono::Duration::minutes(330)));
        let (_, until) = ask(&p, "2026-11-26", "2026-11-26").unwrap().unwrap();
        assert_eq!(until, now + chrono::Duration::hours(8));
        assert!(said(ask(&p, "2026-11-26T10:00", "2026-11-26T19:00")).contains("at most 8 hours"));
    }

    #[test]
    fn today_is_the_requestors_day() {
        use chrono::TimeZone;
        // 23:30 on the 26th in UTC is already the 27th in Auckland.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 23, 30, 0)
            .unwrap();
        let mut p = policy(AllowedTargetScope::AllMemberUsers, vec![]);
        p.requestor.allow_custom_assignment_schedule = true;
        let auckland: chrono_tz::Tz = "Pacific/Auckland".parse().unwrap();
        let (from, until) = check_period(
            &p,
            &PeriodInput {
                start: "2026-11-27",
                end: "2026-11-27",
                tz: auckland,
            },
            now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(from, now, "the 27th is today in Auckland");
        // The end of the 27th in Auckland (UTC+13 in summer).
        assert_eq!(
            until,
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 27, 11, 0, 0)
                .unwrap()
        );
        let in_utc = check_period(
            &p,
            &PeriodInput {
                start: "2026-11-27",
                end: "2026-11-27",
                tz: chrono_tz::UTC,
            },
            now,
        )
        .unwrap()
        .unwrap();
        assert!(in_utc.0 > now, "in UTC the 27th starts tomorrow");
    }
}
