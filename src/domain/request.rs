//! Assignment requests: their states and the transitions between them, and the
//! choice of policy when several admit a requestor. Names follow Microsoft
//! Graph (`accessPackageAssignmentRequest.state`, `requestType`).
//!
//! The request flow (My Access, approvals, delivery) builds on these rules; they
//! are kept here, free of storage and HTTP, so that each transition is decided
//! in one place and refused with a reason when it does not apply.

use super::policy::{AllowedTargetScope, Policy, SubjectSet};
use super::validation::FieldErrors;

/// Graph `accessPackageAssignmentRequest.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    Submitted,
    PendingApproval,
    Approved,
    Scheduled,
    Delivering,
    Delivered,
    PartiallyDelivered,
    DeliveryFailed,
    Denied,
    Canceled,
    Expired,
}

impl RequestState {
    pub const ALL: [RequestState; 11] = [
        RequestState::Submitted,
        RequestState::PendingApproval,
        RequestState::Approved,
        RequestState::Scheduled,
        RequestState::Delivering,
        RequestState::Delivered,
        RequestState::PartiallyDelivered,
        RequestState::DeliveryFailed,
        RequestState::Denied,
        RequestState::Canceled,
        RequestState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::PendingApproval => "pendingApproval",
            RequestState::Approved => "approved",
            RequestState::Scheduled => "scheduled",
            RequestState::Delivering => "delivering",
            RequestState::Delivered => "delivered",
            RequestState::PartiallyDelivered => "partiallyDelivered",
            RequestState::DeliveryFailed => "deliveryFailed",
            RequestState::Denied => "denied",
            RequestState::Canceled => "canceled",
            RequestState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Still open: a second request for the same package is refused meanwhile.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Submitted
                | RequestState::PendingApproval
                | RequestState::Approved
                | RequestState::Scheduled
                | RequestState::Delivering
        )
    }
}

/// What can happen to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Approval is needed: the first stage starts.
    AwaitApproval,
    /// A stage approved and another stage follows.
    StageApproved {
        has_next_stage: bool,
    },
    Denied,
    /// The requestor, or an administrator.
    Canceled,
    /// No decision within the stage's limit.
    TimedOut,
    /// Approved (or needing no approval) with a start in the future.
    Schedule,
    StartDelivery,
    Delivered {
        all: bool,
    },
    DeliveryFailed,
    /// An administrator re-runs delivery of a failed or partial request.
    Reprocess,
    /// Approved, but what it asks for can no longer be given (its period
    /// has ended, the person holds the package already or something it
    /// excludes): nothing is granted.
    DeliveryRefused,
}

/// The state after `event`, or why the event does not apply.
pub fn transition(from: RequestState, event: Event) -> Result<RequestState, String> {
    use RequestState as S;
    let to = match (from, event) {
        (S::Submitted, Event::AwaitApproval) => S::PendingApproval,
        (
            S::PendingApproval,
            Event::StageApproved {
                has_next_stage: true,
            },
        ) => S::PendingApproval,
        (
            S::PendingApproval,
            Event::StageApproved {
                has_next_stage: false,
            },
        ) => S::Approved,
        (S::Submitted, Event::StageApproved { .. }) => S::Approved,
        (S::PendingApproval, Event::Denied) => S::Denied,
        (S::Submitted | S::PendingApproval | S::Scheduled, Event::Canceled) => S::Canceled,
        (S::DeliveryFailed, Event::Canceled) => S::Canceled,
        (S::PendingApproval, Event::TimedOut) => S::Expired,
        (S::Approved, Event::Schedule) => S::Scheduled,
        (S::Approved | S::Scheduled, Event::StartDelivery) => S::Delivering,
        (S::Delivering, Event::Delivered { all: true }) => S::Delivered,
        (S::Delivering, Event::Delivered { all: false }) => S::PartiallyDelivered,
        (S::Delivering, Event::DeliveryFailed) => S::DeliveryFailed,
        (S::DeliveryFailed | S::PartiallyDelivered, Event::Reprocess) => S::Delivering,
        (S::Approved | S::Scheduled, Event::DeliveryRefused) => S::Denied,
        (from, event) => return Err(refusal(from, event)),
    };
    Ok(to)
}

fn refusal(from: RequestState, event: Event) -> String {
    use RequestState as S;
    match (from, event) {
        (S::Denied | S::Canceled | S::Expired, _) => {
            format!("The request is already {}.", human(from))
        }
        (_, Event::StageApproved { .. } | Event::Denied) => {
            format!("The request was already decided: it is {}.", human(from))
        }
        (_, Event::Canceled) => format!(
            "A request that is {} can no longer be canceled.",
            human(from)
        ),
        (_, Event::Reprocess) => {
            "Only requests whose delivery failed or was partial can be reprocessed.".into()
        }
        _ => format!("This does not apply to a request that is {}.", human(from)),
    }
}

/// The state as people read it.
pub fn human(s: RequestState) -> &'static str {
    match s {
        RequestState::Submitted => "submitted",
        RequestState::PendingApproval => "pending approval",
        RequestState::Approved => "approved",
        RequestState::Scheduled => "scheduled",
        RequestState::Delivering => "being delivered",
        RequestState::Delivered => "delivered",
        RequestState::PartiallyDelivered => "partially delivered",
        RequestState::DeliveryFailed => "undelivered",
        RequestState::Denied => "denied",
        RequestState::Canceled => "canceled",
        RequestState::Expired => "expired",
    }
}

/// Who is asking, as far as policy choice is concerned.
#[derive(Clone, Debug, Default)]
pub struct Requestor {
    /// `None` for someone not yet in the directory.
    pub user_id: Option<String>,
    pub is_guest: bool,
    pub group_ids: Vec<String>,
    /// The connected organization the person belongs to, if any.
    pub connected_organization: Option<String>,
    /// Whether that organization is `configured` (not only `proposed`).
    pub organization_configured: bool,
}

/// Whether the requestor counts as external: not in the directory, or a
/// guest. A member is a member whatever their address: a connected
/// organization sharing their mail domain does not make them external.
pub fn is_external(r: &Requestor) -> bool {
    r.user_id.is_none() || r.is_guest
}

/// Whether a policy admits this requestor (ignoring whether requests are enabled).
pub fn admits(policy: &Policy, r: &Requestor, catalog_external: bool) -> bool {
    use AllowedTargetScope as T;
    let in_directory = r.user_id.is_some();
    // Guests and people not yet in the directory see only catalogs enabled for external users.
    let external = is_external(r);
    if external && !catalog_external {
        return false;
    }
    match policy.allowed_target_scope {
        T::NotSpecified => false,
        T::AllMemberUsers => in_directory && !r.is_guest,
        T::AllDirectoryUsers => in_directory,
        T::SpecificDirectoryUsers => {
            in_directory
                && policy.specific_allowed_targets.iter().any(|t| match t {
                    SubjectSet::SingleUser(u) => Some(u.as_str()) == r.user_id.as_deref(),
                    SubjectSet::GroupMembers(g) => r.group_ids.iter().any(|m| m == g.as_str()),
                    SubjectSet::ConnectedOrganizationMembers(_) => false,
                })
        }
        T::SpecificConnectedOrganizationUsers => external && policy.specific_allowed_targets.iter().any(|t| {
            matches!(t, SubjectSet::ConnectedOrganizationMembers(o) if Some(o.as_str()) == r.connected_organization.as_deref())
        }),
        T::AllConfiguredConnectedOrganizationUsers => {
            external && r.connected_organization.is_some() && r.organization_configured
        }
        T::AllExternalUsers => external,
    }
}

/// Which of sixteen classes a requestor is in: the four facts that decide
/// every scope naming nobody in particular (see `admitted_classes`).
pub fn requestor_class(r: &Requestor) -> u8 {
    u8::from(r.user_id.is_some())
        | u8::from(r.is_guest) << 1
        | u8::from(r.connected_organization.is_some()) << 2
        | u8::from(r.organization_configured) << 3
}

/// For a policy whose scope names nobody in particular, the requestor classes
/// it admits, one bit per class, worked out by `admits` itself; `None` for
/// a scope naming users, groups or organizations, which is decided person by
/// person. My Access tests a bit instead of calling `admits` for each of
/// thousands of packages.
pub fn admitted_classes(policy: &Policy, catalog_external: bool) -> Option<u16> {
    use AllowedTargetScope as T;
    if matches!(
        policy.allowed_target_scope,
        T::SpecificDirectoryUsers | T::SpecificConnectedOrganizationUsers
    ) {
        return None;
    }
    let mut mask = 0u16;
    for class in 0..16u8 {
        let r = Requestor {
            user_id: (class & 1 != 0).then(String::new),
            is_guest: class & 2 != 0,
            group_ids: vec![],
            connected_organization: (class & 4 != 0).then(String::new),
            organization_configured: class & 8 != 0,
        };
        if admits(policy, &r, catalog_external) {
            mask |= 1 << class;
        }
    }
    Some(mask)
}

/// The policies the requestor may choose among: enabled ones that admit them,
/// with new requests on, from the strictest tier only.
pub fn eligible<'a>(
    policies: &'a [(String, Policy)],
    r: &Requestor,
    catalog_external: bool,
) -> Vec<&'a (String, Policy)> {
    let admitted: Vec<&(String, Policy)> = policies
        .iter()
        .filter(|(_, p)| {
            p.enabled
                && p.requestor.enable_targets_to_self_add_access
                && admits(p, r, catalog_external)
        })
        .collect();
    let Some(best) = admitted
        .iter()
        .filter_map(|(_, p)| p.allowed_target_scope.tier())
        .min()
    else {
        return vec![];
    };
    admitted
        .into_iter()
        .filter(|(_, p)| p.allowed_target_scope.tier() == Some(best))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ConnectedOrgId, GroupId, UserId};
    use crate::domain::policy::{ApprovalSettings, Expiration, RequestorSettings};

    fn policy(scope: AllowedTargetScope, targets: Vec<SubjectSet>) -> Policy {
        Policy {
            display_name: scope.as_str().into(),
            description: None,
            enabled: true,
            allowed_target_scope: scope,
            specific_allowed_targets: targets,
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                ..Default::default()
            },
            approval: ApprovalSettings::default(),
            questions: vec![],
            expiration: Expiration::NoExpiration,
        }
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
        assert_eq!(extension_refusal(&p, Some(end), now), None);
        assert!(
            extension_refusal(&p, Some(now + chrono::Duration::days(40)), now)
                .unwrap()
                .contains("last 14 days")
        );
        let fixed = chrono::Utc.with_ymd_and_hms(2026, 12, 10, 0, 0, 0).unwrap();
        p.expiration = Expiration::AfterDateTime(fixed);
        assert_eq!(extended_end(&p, Some(end), now), Some(fixed));
        assert!(
            extension_refusal(&p, Some(fixed), now)
                .unwrap()
                .contains("the latest date this policy allows")
        );
        p.requestor.enable_targets_to_self_update_access = false;
        assert!(extension_refusal(&p, Some(end), now).is_some());
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

    #[test]
    fn transitions_follow_the_state_machine() {
        use RequestState as S;
        assert_eq!(
            transition(S::Submitted, Event::AwaitApproval),
            Ok(S::PendingApproval)
        );
        assert_eq!(
            transition(
                S::PendingApproval,
                Event::StageApproved {
                    has_next_stage: true
                }
            ),
            Ok(S::PendingApproval)
        );
        assert_eq!(
            transition(
                S::PendingApproval,
                Event::StageApproved {
                    has_next_stage: false
                }
            ),
            Ok(S::Approved)
        );
        assert_eq!(
            transition(S::Approved, Event::StartDelivery),
            Ok(S::Delivering)
        );
        assert_eq!(
            transition(S::Delivering, Event::Delivered { all: false }),
            Ok(S::PartiallyDelivered)
        );
        assert_eq!(
            transition(S::PartiallyDelivered, Event::Reprocess),
            Ok(S::Delivering)
        );
        assert_eq!(
            transition(S::PendingApproval, Event::TimedOut),
            Ok(S::Expired)
        );
        let late = transition(
            S::Denied,
            Event::StageApproved {
                has_next_stage: false,
            },
        )
        .unwrap_err();
        assert_eq!(late, "The request is already denied.");
        let decided = transition(S::Approved, Event::Denied).unwrap_err();
        assert!(decided.contains("already decided"));
        assert!(transition(S::Delivered, Event::Canceled).is_err());
        assert!(transition(S::Delivered, Event::Reprocess).is_err());
        assert!(S::PendingApproval.is_open() && !S::Delivered.is_open());
    }

    #[test]
    fn the_stricter_tier_wins() {
        let org = ConnectedOrgId::new();
        let policies = vec![
            (
                "all".to_string(),
                policy(AllowedTargetScope::AllExternalUsers, vec![]),
            ),
            (
                "contoso".to_string(),
                policy(
                    AllowedTargetScope::SpecificConnectedOrganizationUsers,
                    vec![SubjectSet::ConnectedOrganizationMembers(org.clone())],
                ),
            ),
        ];
        let contoso_user = Requestor {
            connected_organization: Some(org.to_string()),
            organization_configured: true,
            ..Default::default()
        };
        let chosen = eligible(&policies, &contoso_user, true);
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].0, "contoso");
        let stranger = Requestor::default();
        assert_eq!(eligible(&policies, &stranger, true)[0].0, "all");
        assert!(
            eligible(&policies, &stranger, false).is_empty(),
            "the catalog is not open to external users"
        );
    }

    #[test]
    fn members_guests_and_groups() {
        let group = GroupId::new();
        let user = UserId::new();
        let policies = vec![
            (
                "members".to_string(),
                policy(AllowedTargetScope::AllMemberUsers, vec![]),
            ),
            (
                "group".to_string(),
                policy(
                    AllowedTargetScope::SpecificDirectoryUsers,
                    vec![SubjectSet::GroupMembers(group.clone())],
                ),
            ),
        ];
        let member = Requestor {
            user_id: Some(user.to_string()),
            ..Default::default()
        };
        assert_eq!(eligible(&policies, &member, false)[0].0, "members");
        let in_group = Requestor {
            group_ids: vec![group.to_string()],
            ..member.clone()
        };
        assert_eq!(eligible(&policies, &in_group, false)[0].0, "group");
        let guest = Requestor {
            user_id: Some(UserId::new().to_string()),
            is_guest: true,
            ..Default::default()
        };
        assert!(
            eligible(&policies, &guest, true).is_empty(),
            "all members excludes guests"
        );
        let mut disabled = policies.clone();
        disabled[0].1.enabled = false;
        assert!(eligible(&disabled, &member, false).is_empty());
        let admin_only = vec![(
            "none".to_string(),
            policy(AllowedTargetScope::NotSpecified, vec![]),
        )];
        assert!(eligible(&admin_only, &member, false).is_empty());
    }

    #[test]
    fn a_class_bit_answers_as_admits_does() {
        let org = ConnectedOrgId::new().to_string();
        let people: Vec<Requestor> = (0..32u8)
            .map(|k| Requestor {
                user_id: (k & 1 != 0).then(|| UserId::new().to_string()),
                is_guest: k & 2 != 0,
                group_ids: if k & 16 != 0 {
                    vec![GroupId::new().to_string()]
                } else {
                    vec![]
                },
                connected_organization: (k & 4 != 0).then(|| org.clone()),
                organization_configured: k & 8 != 0,
            })
            .collect();
        let mut checked = 0;
        for scope in AllowedTargetScope::ALL {
            for external in [false, true] {
                let p = policy(scope, vec![]);
                let Some(mask) = admitted_classes(&p, external) else {
                    assert!(matches!(
                        scope,
                        AllowedTargetScope::SpecificDirectoryUsers
                            | AllowedTargetScope::SpecificConnectedOrganizationUsers
                    ));
                    continue;
                };
                for r in &people {
                    assert_eq!(
                        mask & (1 << requestor_class(r)) != 0,
                        admits(&p, r, external),
                        "{scope:?}, external catalog {external}, {r:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5 * 2 * 32);
    }
}

/// An answer to a policy question, as stored and shown to approvers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub sequence: u32,
    pub question: String,
    /// The value(s) given: text, or the chosen choices' values.
    pub values: Vec<String>,
    /// What the requestor saw: the text, or the chosen choices' texts.
    pub display: String,
}

/// The new end of an extended assignment: the policy's duration again from
/// its current end (or from now, if that has passed), and never past the
/// policy's fixed end date.
pub fn extended_end(
    policy: &Policy,
    current_end: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use super::policy::Expiration;
    let from = current_end.map_or(now, |e| e.max(now));
    match policy.expiration {
        Expiration::NoExpiration => None,
        Expiration::AfterDateTime(t) => Some(t),
        Expiration::AfterDays(d) => Some(from + chrono::Duration::days(i64::from(d))),
        Expiration::AfterHours(h) => Some(from + chrono::Duration::hours(i64::from(h))),
    }
}

/// Why an assignment cannot be extended by its holder now; `None` when it can.
/// Extension opens in the last 14 days, as the first reminder says.
pub fn extension_refusal(
    policy: &Policy,
    current_end: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    use super::policy::Expiration;
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
                t.format("%Y-%m-%d")
            ));
        }
    }
    if end - now > chrono::Duration::days(EXTENSION_WINDOW_DAYS) {
        return Some(format!(
            "You can ask to extend your access in its last {EXTENSION_WINDOW_DAYS} days, from {}.",
            (end - chrono::Duration::days(EXTENSION_WINDOW_DAYS)).format("%Y-%m-%d")
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

/// A day, or a moment, as typed in a period field.
#[derive(Clone, Copy)]
enum Moment {
    Day(chrono::NaiveDate),
    At(chrono::NaiveDateTime),
}

impl Moment {
    fn parse(v: &str) -> Option<Moment> {
        use chrono::{NaiveDate, NaiveDateTime};
        if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            return Some(Moment::Day(d));
        }
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

/// A time zone the browser reported (an IANA name such as Europe/Paris);
/// UTC when none or an unknown one was sent.
pub fn time_zone(name: &str) -> chrono_tz::Tz {
    name.trim().parse().unwrap_or(chrono_tz::UTC)
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
            tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
                .earliest()
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
    use super::policy::Expiration;
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

/// Checks the answers (`q{sequence}` → values) against the questions; errors are
/// keyed `q{sequence}` so they can be shown beside the question.
pub fn check_answers(
    questions: &[crate::domain::policy::Question],
    given: &std::collections::HashMap<String, Vec<String>>,
) -> Result<Vec<Answer>, crate::domain::validation::FieldErrors> {
    use crate::domain::policy::QuestionKind;
    let mut e = crate::domain::validation::FieldErrors::new();
    let mut out = Vec::new();
    for q in questions {
        let key = format!("q{}", q.sequence);
        let values: Vec<String> = given
            .get(&key)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if q.is_required {
                e.add(&key, "An answer is required.");
            }
            continue;
        }
        match &q.kind {
            QuestionKind::Text {
                is_single_line,
                regex_pattern,
            } => {
                let text = values.join(" ").replace("\r\n", "\n");
                if *is_single_line && text.chars().any(char::is_control) {
                    e.add(&key, "Answer on one line, without control characters.");
                } else if text
                    .chars()
                    .any(|c| c.is_control() && !crate::domain::validation::is_line_break_or_tab(c))
                {
                    e.add(&key, "The answer cannot contain control characters.");
                } else if text.chars().count() > 4000 {
                    e.add(&key, "The answer is too long (at most 4000 characters).");
                } else if let Some(p) = regex_pattern {
                    match regex::Regex::new(&format!("^(?:{p})$")) {
                        Ok(re) if re.is_match(&text) => {}
                        Ok(_) => e.add(&key, "The answer is not in the expected format."),
                        Err(_) => e.add(
                            &key,
                            "This question cannot be answered now; tell an administrator.",
                        ),
                    }
                }
                out.push(Answer {
                    sequence: q.sequence,
                    question: q.text.clone(),
                    values: vec![text.clone()],
                    display: text,
                });
            }
            QuestionKind::MultipleChoice {
                choices,
                is_multiple_selection_allowed,
            } => {
                if !is_multiple_selection_allowed && values.len() > 1 {
                    e.add(&key, "Choose one answer.");
                }
                let mut texts = Vec::new();
                for v in &values {
                    match choices.iter().find(|c| c.actual_value == *v) {
                        Some(c) => texts.push(c.text.clone()),
                        None => e.add(&key, "Choose one of the answers offered."),
                    }
                }
                out.push(Answer {
                    sequence: q.sequence,
                    question: q.text.clone(),
                    values,
                    display: texts.join(", "),
                });
            }
        }
    }
    e.into_result().map(|_| out)
}
