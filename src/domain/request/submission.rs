//! Asking: what someone gives with a request (answers, attribute values, a
//! justification, a period), checked against the policy and the package,
//! becomes a new request, or every error beside the field it is about.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::aggregate::{Change, Refusal, Request, Target, note};
use super::answers::{Answer, answer_field, check_answers};
use super::audit::{About, RequestAction};
use super::kind::RequestType;
use super::period::{PeriodInput, check_period};
use super::state::RequestState;
use crate::domain::catalog::RequiredAttribute;
use crate::domain::end_reason::EndReason;
use crate::domain::ids::{
    AccessPackageId, AssignmentId, ConnectedOrgId, PolicyId, RequestId, UserId,
};
use crate::domain::policy::Policy;
use crate::domain::user::{Person, User};
use crate::domain::validation::{FieldErrors, reason_text};

/// The field that gives a value for required attribute `name`.
pub fn attribute_field(name: &str) -> String {
    format!("attr_{name}")
}

/// Someone asking for a package under one of its policies.
pub struct Submission<'a> {
    pub who: &'a Person,
    /// The manager asking for `who`, who reports to them, where one is.
    pub manager: Option<&'a User>,
    pub package: &'a AccessPackageId,
    pub policy: (&'a PolicyId, &'a Policy),
    /// The attributes the package's resources require.
    pub required: &'a [RequiredAttribute],
    /// The connected organization the requestor belongs to, if any.
    pub organization: Option<ConnectedOrgId>,
    /// Answers by `answer_field`.
    pub answers: &'a HashMap<String, Vec<String>>,
    /// Attribute values by `attribute_field`.
    pub attributes: &'a HashMap<String, String>,
    pub justification: Option<&'a str>,
    pub period: &'a PeriodInput<'a>,
}

/// A holder asking to extend their assignment.
pub struct Extension<'a> {
    pub holder: &'a User,
    pub package: &'a AccessPackageId,
    pub policy: (&'a PolicyId, &'a Policy),
    pub assignment: &'a AssignmentId,
    /// When the assignment ends now, as stored (none: it does not).
    pub current_end: Option<&'a str>,
    pub organization: Option<ConnectedOrgId>,
    /// The answers given with the request that delivered the assignment.
    pub earlier: &'a [Answer],
    /// Answers by `answer_field`.
    pub answers: &'a HashMap<String, Vec<String>>,
    pub justification: Option<&'a str>,
}

/// Access given to a directory user without their asking: by an
/// administrator (`by`), or by an automatic assignment policy (`by` none).
/// What it carries was checked by whoever gives it.
pub struct DirectAssignment<'a> {
    pub by: Option<&'a UserId>,
    pub target: &'a User,
    pub package: &'a AccessPackageId,
    pub policy: (&'a PolicyId, &'a Policy),
    pub organization: Option<ConnectedOrgId>,
    pub justification: Option<String>,
    pub answers: Vec<Answer>,
    pub attributes: BTreeMap<String, String>,
    pub schedule: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub approval_bypassed: bool,
}

impl Request {
    /// The request of a direct assignment, in its first state: an
    /// administrator's ("adminAdd") or an automatic assignment policy's
    /// ("systemAdd"), with its audit note.
    pub fn assign(a: DirectAssignment<'_>) -> (Request, Change) {
        let (policy_id, policy) = a.policy;
        let audit = match a.by {
            Some(_) => note(
                RequestAction::DirectAssign,
                About::RequestAndState,
                json!({"target": a.target.email, "policy": policy.display_name,
                    "approvalBypassed": a.approval_bypassed, "justification": a.justification}),
            ),
            None => note(
                RequestAction::AutomaticAssign,
                About::RequestAndState,
                json!({"target": a.target.email, "policy": policy.display_name}),
            ),
        };
        let request = Request {
            id: RequestId::new(),
            kind: match a.by {
                Some(_) => RequestType::AdminAdd,
                None => RequestType::SystemAdd,
            },
            state: RequestState::Submitted,
            stage: 0,
            package: a.package.clone(),
            policy: policy_id.clone(),
            requestor: a.by.cloned(),
            target: Target::User(a.target.id.clone()),
            email: a.target.email.clone(),
            name: a.target.display_name.clone(),
            organization: a.organization,
            justification: a.justification,
            answers: a.answers,
            attributes: a.attributes,
            schedule: a.schedule,
            assignment: None,
            approval_bypassed: a.approval_bypassed,
            identity: None,
            calls_waiting: false,
        };
        (request, audit)
    }

    /// A holder's removal of their own access to `package` (id, name): the
    /// request that records it, delivered at once, and its changes: the
    /// request written once, the assignment ended, and the log saying what
    /// was `removed`. Refused unless the assignment's policy, as it is now
    /// (`policy`, none once deleted), lets holders remove their access.
    pub fn give_up(
        holder: &User,
        (package, name): (&AccessPackageId, &str),
        (policy_id, policy): (&PolicyId, Option<&Policy>),
        assignment: &AssignmentId,
        removed: Value,
    ) -> Result<(Request, Vec<Change>), Refusal> {
        if !policy.is_some_and(|p| p.requestor.enable_targets_to_self_remove_access) {
            return Err(Refusal::Refused(format!(
                "Your access to {name} cannot be removed by you; ask an administrator."
            )));
        }
        let request = Request::by_holder(
            RequestType::UserRemove,
            RequestState::Delivered,
            holder,
            (package, policy_id.clone()),
            assignment.clone(),
        );
        let end = Change::EndAssignment {
            assignment: assignment.clone(),
            reason: EndReason::GivenUp,
        };
        let audit = note(
            RequestAction::GiveUp,
            About::Package,
            json!({"request": request.id.as_str(), "removed": removed}),
        );
        Ok((
            request.clone(),
            vec![Change::Insert(Box::new(request)), end, audit],
        ))
    }

    /// A new request for access, in its first state: the answers fit the
    /// policy's questions, every attribute the package requires has a value
    /// (the person's own where they may not change it), the justification
    /// is given where the policy requires one, and the period asked for is
    /// one the policy allows. Otherwise every error, beside its field.
    /// With the request, its audit note.
    pub fn submit(
        s: &Submission<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Request, Change), FieldErrors> {
        let (policy_id, policy) = s.policy;
        let mut errors = FieldErrors::new();
        let answers = errors.absorb(check_answers(&policy.questions, s.answers));
        let attributes = attribute_values(
            s.required,
            s.who.user(),
            s.attributes,
            attribute_field,
            &mut errors,
        );
        let justification = justification(policy, s.justification, &mut errors);
        let schedule = errors.absorb(check_period(policy, s.period, now));
        errors.stop_if_any()?;
        let (target, identity) = match s.who {
            Person::User(u) => (Target::User(u.id.clone()), None),
            Person::External(e) => (
                Target::External {
                    issuer: e.issuer.clone(),
                    subject: e.subject.clone(),
                },
                Some((e.issuer.clone(), e.subject.clone())),
            ),
        };
        let mut details = json!({"policy": policy.display_name, "justification": justification});
        if s.manager.is_some() {
            details["onBehalfOf"] = json!(s.who.display_name());
        }
        let audit = note(RequestAction::Request, About::RequestAndState, details);
        let request = Request {
            id: RequestId::new(),
            kind: RequestType::UserAdd,
            state: RequestState::Submitted,
            stage: 0,
            package: s.package.clone(),
            policy: policy_id.clone(),
            requestor: s.manager.or(s.who.user()).map(|u| u.id.clone()),
            target,
            email: s.who.email().to_string(),
            // Someone not in the directory is named as they gave their name
            // (given name and surname), once they have.
            name: match (
                s.who,
                attributes.get("givenName"),
                attributes.get("surname"),
            ) {
                (Person::External(_), Some(g), Some(f)) if !g.trim().is_empty() => {
                    format!("{} {}", g.trim(), f.trim()).trim().to_string()
                }
                _ => s.who.display_name().to_string(),
            },
            organization: s.organization.clone(),
            justification,
            answers,
            attributes,
            schedule,
            assignment: None,
            approval_bypassed: false,
            identity,
            calls_waiting: false,
        };
        Ok((request, audit))
    }

    /// A holder's request to extend their assignment, in its first state:
    /// the policy's questions answered again, except those whose answer is
    /// not editable, which keep the earlier answer whatever was sent; the
    /// justification given where the policy requires one. With the
    /// request, its audit note.
    pub fn extend(e: &Extension<'_>) -> Result<(Request, Change), FieldErrors> {
        let (policy_id, policy) = e.policy;
        let mut given = e.answers.clone();
        for answer in e.earlier {
            let locked = policy
                .questions
                .iter()
                .any(|q| q.sequence == answer.sequence && !q.is_answer_editable);
            if locked {
                given.insert(answer_field(answer.sequence), answer.values.clone());
            }
        }
        let mut errors = FieldErrors::new();
        let answers = errors.absorb(check_answers(&policy.questions, &given));
        let justification = justification(policy, e.justification, &mut errors);
        errors.stop_if_any()?;
        let request = Request {
            organization: e.organization.clone(),
            justification,
            answers,
            ..Request::by_holder(
                RequestType::UserExtend,
                RequestState::Submitted,
                e.holder,
                (e.package, policy_id.clone()),
                e.assignment.clone(),
            )
        };
        let audit = note(
            RequestAction::Extend,
            About::RequestAndState,
            json!({"assignment": e.assignment.as_str(), "currentEnd": e.current_end}),
        );
        Ok((request, audit))
    }
}

/// The justification as given (trimmed; `None` when blank), with an error
/// when it is too long, or missing where the policy requires one.
fn justification(policy: &Policy, given: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    let text = reason_text(given, "The justification").unwrap_or_else(|m| {
        errors.add("justification", m);
        None
    });
    if policy.approval.is_requestor_justification_required && text.is_none() {
        errors.add("justification", "A business justification is required.");
    }
    text
}

/// The attribute values a request writes to the person when delivered:
/// each given (under the field `key` names) where editable, or where the
/// person has none yet, else the person's own; errors keyed by field.
pub fn attribute_values(
    required: &[RequiredAttribute],
    who: Option<&User>,
    given: &HashMap<String, String>,
    key: impl Fn(&str) -> String,
    errors: &mut FieldErrors,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for a in required {
        let field = key(&a.attribute_name);
        let current = who
            .map(|u| u.attribute(&a.attribute_name))
            .unwrap_or_default();
        match a.value_for(&current, given.get(&field).map(String::as_str)) {
            Ok(v) => {
                values.insert(a.attribute_name.clone(), v);
            }
            Err(m) => errors.add(&field, m),
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::AnswerFormat;
    use crate::domain::policy::{Question, QuestionKind};
    use crate::domain::request::audit::About;
    use crate::domain::user::{UserState, UserType};

    fn question(sequence: u32, editable: bool) -> Question {
        Question {
            sequence,
            text: format!("Question {sequence}"),
            localizations: vec![],
            is_required: true,
            is_answer_editable: editable,
            kind: QuestionKind::Text {
                is_single_line: true,
                regex_pattern: None,
            },
        }
    }

    /// A policy asking two questions (the second's answer not editable)
    /// and requiring a justification.
    fn policy() -> Policy {
        let mut p = super::super::aggregate::tests::policy(vec![]);
        p.questions = vec![question(1, true), question(2, false)];
        p.approval.is_requestor_justification_required = true;
        p
    }

    fn cost_center() -> RequiredAttribute {
        RequiredAttribute {
            attribute_name: "costCenter".into(),
            answer_format: AnswerFormat::ShortText,
            question_text: "Cost center".into(),
            localizations: vec![],
            choices: vec![],
            is_editable: true,
            keep_value: false,
        }
    }

    fn eric() -> User {
        User {
            id: UserId::new(),
            user_type: UserType::Member,
            display_name: "Eric Employee".into(),
            given_name: None,
            surname: None,
            email: "eric@example.test".into(),
            job_title: None,
            department: None,
            manager_id: None,
            custom_attributes: BTreeMap::new(),
            state: UserState::Active,
            governed: false,
            connected_organization_id: None,
        }
    }

    fn answer(sequence: u32, value: &str) -> Answer {
        Answer {
            sequence,
            question: format!("Question {sequence}"),
            values: vec![value.into()],
            display: value.into(),
        }
    }

    fn answers(pairs: &[(u32, &str)]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(n, v)| (answer_field(*n), vec![v.to_string()]))
            .collect()
    }

    /// What Eric's request under `policy()` comes to, given these answers,
    /// attribute values and justification; with him, the package and the
    /// policy it names.
    fn submitted(
        given: &[(u32, &str)],
        attributes: &[(&str, &str)],
        justification: &str,
    ) -> (
        Result<(Request, Change), FieldErrors>,
        Person,
        AccessPackageId,
        PolicyId,
    ) {
        let (who, package, id, p) = (
            Person::User(eric()),
            AccessPackageId::new(),
            PolicyId::new(),
            policy(),
        );
        let (given, attributes) = (
            answers(given),
            attributes
                .iter()
                .map(|(k, v)| (attribute_field(k), v.to_string()))
                .collect(),
        );
        let s = Submission {
            who: &who,
            manager: None,
            package: &package,
            policy: (&id, &p),
            required: &[cost_center()],
            organization: None,
            answers: &given,
            attributes: &attributes,
            justification: Some(justification),
            period: &PeriodInput::NONE,
        };
        (Request::submit(&s, Utc::now()), who, package, id)
    }

    #[test]
    fn a_submission_is_refused_with_every_error_beside_its_field() {
        let (r, ..) = submitted(&[(2, "Berlin")], &[], "   ");
        let errors = r.unwrap_err();
        let mut fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        fields.sort();
        assert_eq!(fields, ["attr_costCenter", "justification", "q1"]);
    }

    #[test]
    fn a_submission_that_fits_is_a_new_request_for_its_requestor() {
        let given = [(1, "Launch"), (2, "Berlin")];
        let (r, who, package, id) =
            submitted(&given, &[("costCenter", " C-7 ")], " For the launch ");
        let (r, audit) = r.unwrap();
        assert_eq!(
            (r.kind, r.state, r.stage),
            (RequestType::UserAdd, RequestState::Submitted, 0)
        );
        assert!(
            matches!(&audit, Change::Audit(n) if n.action == RequestAction::Request
                && n.details == json!({"policy": "P", "justification": "For the launch"})),
            "{audit:?}"
        );
        assert_eq!((&r.package, &r.policy), (&package, &id));
        assert_eq!(r.target, Target::User(who.user().unwrap().id.clone()));
        assert_eq!(r.requestor.as_ref(), Some(&who.user().unwrap().id));
        assert_eq!(r.justification.as_deref(), Some("For the launch"));
        assert_eq!(
            r.attributes.get("costCenter").map(String::as_str),
            Some("C-7")
        );
        let given: Vec<_> = r
            .answers
            .iter()
            .map(|a| (a.sequence, a.values.clone()))
            .collect();
        assert_eq!(
            given,
            [
                (1, vec!["Launch".to_string()]),
                (2, vec!["Berlin".to_string()])
            ]
        );
    }

    #[test]
    fn a_managers_request_for_their_report_is_asked_by_them_and_says_for_whom() {
        let who = Person::User(eric());
        let boss = User {
            id: UserId::new(),
            display_name: "Maria Manager".into(),
            ..eric()
        };
        let (package, id, p) = (AccessPackageId::new(), PolicyId::new(), policy());
        let given = answers(&[(1, "Launch"), (2, "Berlin")]);
        let attributes = HashMap::from([(attribute_field("costCenter"), "C-7".to_string())]);
        let s = Submission {
            who: &who,
            manager: Some(&boss),
            package: &package,
            policy: (&id, &p),
            required: &[cost_center()],
            organization: None,
            answers: &given,
            attributes: &attributes,
            justification: Some("For the launch"),
            period: &PeriodInput::NONE,
        };
        let (r, audit) = Request::submit(&s, Utc::now()).unwrap();
        assert_eq!(r.target, Target::User(who.user().unwrap().id.clone()));
        assert_eq!(r.asked_by_manager(), Some(&boss.id));
        let said = json!({"policy": "P", "justification": "For the launch", "onBehalfOf": "Eric Employee"});
        assert!(
            matches!(&audit, Change::Audit(n) if n.action == RequestAction::Request && n.details == said),
            "{audit:?}"
        );
    }

    #[test]
    fn an_extension_keeps_the_answers_that_are_not_editable() {
        let (holder, package, id, p) = (eric(), AccessPackageId::new(), PolicyId::new(), policy());
        let assignment = AssignmentId::new();
        let earlier = [answer(1, "Launch"), answer(2, "Berlin")];
        let given = answers(&[(1, "Relaunch"), (2, "Paris")]);
        let e = Extension {
            holder: &holder,
            package: &package,
            policy: (&id, &p),
            assignment: &assignment,
            current_end: Some("2027-01-31T00:00:00Z"),
            organization: None,
            earlier: &earlier,
            answers: &given,
            justification: Some("Still needed"),
        };
        let (r, audit) = Request::extend(&e).unwrap();
        assert_eq!(
            (r.kind, r.state),
            (RequestType::UserExtend, RequestState::Submitted)
        );
        let said = json!({"assignment": assignment.as_str(), "currentEnd": "2027-01-31T00:00:00Z"});
        assert!(
            matches!(&audit, Change::Audit(n) if n.action == RequestAction::Extend && n.details == said),
            "{audit:?}"
        );
        assert_eq!(r.assignment.as_ref(), Some(&assignment));
        let values: Vec<_> = r.answers.iter().map(|a| a.values[0].as_str()).collect();
        assert_eq!(
            values,
            ["Relaunch", "Berlin"],
            "the second answer is not editable"
        );

        let none = Extension {
            justification: None,
            answers: &HashMap::new(),
            ..e
        };
        let errors = Request::extend(&none).unwrap_err();
        let mut fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        fields.sort();
        assert_eq!(
            fields,
            ["justification", "q1"],
            "the locked answer needs none"
        );
    }

    #[test]
    fn a_holder_gives_up_only_where_the_policy_lets_them() {
        let (holder, package, id) = (eric(), AccessPackageId::new(), PolicyId::new());
        let assignment = AssignmentId::new();
        let mut p = policy();
        p.requestor.enable_targets_to_self_remove_access = false;
        let of = (&package, "Marketing");
        for refused in [None, Some(&p)] {
            let e =
                Request::give_up(&holder, of, (&id, refused), &assignment, json!({})).unwrap_err();
            assert!(
                matches!(&e, Refusal::Refused(m) if m == "Your access to Marketing cannot be removed by you; ask an administrator."),
                "{e:?}"
            );
        }
        p.requestor.enable_targets_to_self_remove_access = true;
        let removed = json!({"reason": "givenUp"});
        let (r, changes) =
            Request::give_up(&holder, of, (&id, Some(&p)), &assignment, removed.clone()).unwrap();
        assert!(
            matches!(&changes[..], [Change::Insert(i), Change::EndAssignment { assignment: a, reason: EndReason::GivenUp }, Change::Audit(n)]
                if i.id == r.id && *a == assignment && n.action == RequestAction::GiveUp
                    && n.about == About::Package
                    && n.details == json!({"request": r.id.as_str(), "removed": removed})),
            "the removal is written, the assignment ends and the log says what was removed: {changes:?}"
        );
        assert_eq!(
            (r.kind, r.state, r.assignment.as_ref()),
            (
                RequestType::UserRemove,
                RequestState::Delivered,
                Some(&assignment)
            )
        );
        assert_eq!(r.requestor.as_ref(), Some(&holder.id));
    }

    #[test]
    fn a_direct_assignment_is_the_administrators_or_the_systems() {
        let (target, admin) = (eric(), UserId::new());
        let (package, id, p) = (AccessPackageId::new(), PolicyId::new(), policy());
        let given = |by| DirectAssignment {
            by,
            target: &target,
            package: &package,
            policy: (&id, &p),
            organization: None,
            justification: None,
            answers: vec![],
            attributes: BTreeMap::new(),
            schedule: None,
            approval_bypassed: false,
        };
        let (by_admin, audit) = Request::assign(given(Some(&admin)));
        assert!(
            matches!(&audit, Change::Audit(n) if n.action == RequestAction::DirectAssign),
            "{audit:?}"
        );
        assert_eq!(by_admin.kind, RequestType::AdminAdd);
        assert_eq!(by_admin.requestor.as_ref(), Some(&admin));
        assert_eq!(by_admin.target.user(), Some(&target.id));
        let (automatic, audit) = Request::assign(given(None));
        assert!(
            matches!(&audit, Change::Audit(n) if n.action == RequestAction::AutomaticAssign
                && n.details == json!({"target": target.email, "policy": "P"})),
            "{audit:?}"
        );
        assert_eq!(
            (automatic.kind, automatic.requestor),
            (RequestType::SystemAdd, None)
        );
    }
}
