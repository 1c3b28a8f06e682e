//! The request itself. Its operations (start, decide, deliver, cancel,
//! expire, escalate) check every rule and return the changes to persist, in
//! order: the service that called them writes those in one transaction.
//! Those the audit log records return their event among them (`note`): a
//! new request (with it, from `submission.rs`), a decision, a cancel, a
//! reminder or escalation that reached someone, a hand-over, an expiry, a
//! scheduled delivery or its failure, a reprocess, a revoke, an extension's
//! answer. What follows from one of them (a delivery after the last
//! approval, say) is part of its event.
//! Nothing here reads or writes storage.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::answers::Answer;
use super::audit::{About, AuditNote, BlockedBy, CanceledBy, RequestAction};
use super::kind::RequestType;
use super::period::{Period, extended_end};
use super::state::{Event, RequestState, transition};
use crate::domain::catalog::OriginSystem;
use crate::domain::custom_extension::{
    Answer as ExtensionAnswer, Behavior, OnTimeout, Stage, new_callback_token,
};
use crate::domain::end_reason::EndReason;
use crate::domain::ids::{
    AccessPackageId, AssignmentId, ConnectedOrgId, PolicyId, RequestId, UserId,
};
use crate::domain::message::{Approval, Decided, Mail, Message, Outcome, RequestFacts};
use crate::domain::policy::{ApprovalStage, Expiration, Policy};
use crate::domain::validation::FieldErrors;

/// Who a request is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    User(UserId),
    /// Someone not yet in the directory, known by their sign-in identity.
    External {
        issuer: String,
        subject: String,
    },
}

impl Target {
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Target::User(u) => Some(u),
            Target::External { .. } => None,
        }
    }
}

/// Someone a message goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub id: UserId,
    pub email: String,
    pub name: String,
}

impl Contact {
    /// `message`, to this person.
    fn tell(&self, message: Message) -> Change {
        Change::Mail(Box::new(Mail {
            to_address: self.email.clone(),
            to_name: self.name.clone(),
            message,
        }))
    }
}

/// An assignment request (Graph `accessPackageAssignmentRequest`).
#[derive(Clone, Debug)]
pub struct Request {
    pub id: RequestId,
    pub kind: RequestType,
    pub state: RequestState,
    /// The approval stage it is in (1-based; 0 before any).
    pub stage: u32,
    pub package: AccessPackageId,
    pub policy: PolicyId,
    /// Who asked: the target, or an administrator assigning.
    pub requestor: Option<UserId>,
    pub target: Target,
    pub email: String,
    pub name: String,
    pub organization: Option<ConnectedOrgId>,
    pub justification: Option<String>,
    pub answers: Vec<Answer>,
    /// Required attribute values, written to the target on delivery.
    pub attributes: BTreeMap<String, String>,
    pub schedule: Option<Period>,
    /// The assignment it made, or (for an extension) the one it extends.
    pub assignment: Option<AssignmentId>,
    pub approval_bypassed: bool,
    /// The sign-in identity (issuer, subject) of someone not in the
    /// directory when they asked, kept once they are.
    pub identity: Option<(String, String)>,
    /// Whether a call of it may wait for an extension's answer: what
    /// ending it, or a person deciding a stage, has to call off. False only
    /// when known (a new request, or one loaded with its calls).
    pub calls_waiting: bool,
}

/// Names the messages about a request use, read with it.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub package: String,
    pub organization: String,
    /// The manager who asked for the person, where one did.
    pub asked_by: String,
}

/// Why an operation does not apply: a message beside fields, or one for the
/// person who tried.
#[derive(Debug)]
pub enum Refusal {
    Invalid(FieldErrors),
    Refused(String),
}

impl From<String> for Refusal {
    fn from(m: String) -> Self {
        Refusal::Refused(m)
    }
}

/// Why nothing can be revoked once the access a request gave has ended.
const ACCESS_ENDED: &str = "The access this request gave has already ended.";

/// A change to persist. The service applies them in order; a guarded change
/// that no longer holds (the request moved meanwhile) refuses the whole.
#[derive(Clone, Debug)]
pub enum Change {
    /// A new request: written in the state the changes after it leave it in.
    Insert(Box<Request>),
    /// From state and stage to state and stage.
    Move {
        from: RequestState,
        from_stage: u32,
        to: RequestState,
        to_stage: u32,
    },
    /// A stage's deadlines: when its approvers are reminded, when it
    /// escalates, and when it expires undecided.
    Deadlines {
        remind_at: Option<DateTime<Utc>>,
        escalate_at: Option<DateTime<Utc>>,
        deny_at: DateTime<Utc>,
    },
    /// The current stage's approvers were reminded.
    Reminded,
    /// The policy a new request is made under, kept with it: a later edit
    /// of the policy (its stages, how long access lasts) applies to new
    /// requests only.
    Terms(Box<Policy>),
    /// The people who may decide a stage (`escalation`: its alternates).
    Approvers {
        stage: u32,
        approvers: Vec<UserId>,
        escalation: bool,
    },
    /// The stage's alternates have been asked; it escalates no more.
    Escalated {
        stage: u32,
    },
    /// The first decision of a stage.
    Decision {
        stage: u32,
        approved: bool,
        by: Decider,
        reason: Option<String>,
    },
    /// Why the request ended as it did, where no approver's reason says it.
    OutcomeReason(String),
    /// Delivery makes an assignment lasting until `end`.
    NewAssignment {
        id: AssignmentId,
        target: UserId,
        end: Option<DateTime<Utc>>,
    },
    /// A reprocess delivers again through the assignment it made, if that
    /// is still active.
    Redeliver(AssignmentId),
    /// An active assignment ends (`reason`): what only it granted is taken
    /// back, and its holder is told.
    EndAssignment {
        assignment: AssignmentId,
        reason: EndReason,
    },
    /// An extension moves the end of an active assignment.
    Extend {
        assignment: AssignmentId,
        end: Option<DateTime<Utc>>,
    },
    /// The package's resource roles, granted to the target: `kinds`, the
    /// kinds of resource it has roles of (only those are written);
    /// `provisioned`, whether one of them is linked to a connected system
    /// (the assignment is then delivered once that system has it).
    Grant {
        target: UserId,
        kinds: Vec<OriginSystem>,
        provisioned: bool,
    },
    /// The request's attribute values, written to the target.
    WriteAttributes {
        target: UserId,
    },
    Mail(Box<Mail>),
    /// A call of a custom extension, queued with the change.
    Callout(Box<Callout>),
    /// The operation's audit event, written with its changes.
    Audit(Box<AuditNote>),
}

/// An operation's audit note, as a change.
pub fn note(action: RequestAction, about: About, details: Value) -> Change {
    Change::Audit(Box::new(AuditNote {
        action,
        about,
        details,
    }))
}

/// A custom extension's `answer` at `stage` (`timed_out`: the answer its
/// wait running out gave), as the log records it.
pub fn extension_answered(
    answer: ExtensionAnswer,
    stage: Stage,
    extension: &str,
    detail: Option<&str>,
    timed_out: bool,
) -> Change {
    let action = match answer {
        ExtensionAnswer::Approve => RequestAction::ExtensionApproves,
        ExtensionAnswer::Deny => RequestAction::ExtensionDenies,
        ExtensionAnswer::Cancel => RequestAction::ExtensionCancels,
        ExtensionAnswer::Continue => RequestAction::ExtensionContinues,
    };
    note(
        action,
        About::RequestAndState,
        json!({"stage": stage.as_str(), "customExtension": extension, "detail": detail, "timedOut": timed_out}),
    )
}

/// The stage an approval moves a request to: the people found to decide
/// it, and whether a custom extension decides it too.
#[derive(Clone, Debug, Default)]
pub struct NextStage {
    pub approvers: Vec<Contact>,
    pub by_extension: bool,
}

impl NextStage {
    pub fn people(approvers: Vec<Contact>) -> NextStage {
        NextStage {
            approvers,
            by_extension: false,
        }
    }
}

/// Who decided a stage: an approver, or a custom extension (by id) that
/// the stage names as its approver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decider {
    Person(UserId),
    Extension(String),
}

/// A custom extension's call at one of the request's stages.
#[derive(Clone, Debug)]
pub struct Callout {
    /// Also its idempotency key and the stage instance id a callback names.
    pub id: String,
    pub extension: String,
    pub stage: Stage,
    /// Launch and wait: the callback token, when the wait ends at the
    /// latest, and what happens then.
    pub wait: Option<(String, DateTime<Utc>, OnTimeout)>,
}

/// An extension a policy calls at a stage, and how.
#[derive(Clone, Debug)]
pub struct Binding {
    pub extension: String,
    pub name: String,
    pub behavior: Behavior,
}

impl Binding {
    /// Whether the request waits for the answer at `stage`.
    pub fn waits_at(&self, stage: Stage) -> bool {
        stage.approval_stage().is_some()
            || stage.can_wait() && matches!(self.behavior, Behavior::LaunchAndWait { .. })
    }
}

/// What delivery needs to know, read with the person's row held.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFacts {
    /// The packages the target holds now.
    pub held: Vec<String>,
    /// What of those (and of their groups) the package excludes, said for people.
    pub conflict: Option<String>,
    /// The assignment the request made or extends: whether it is active, and its end.
    pub assignment: Option<(bool, Option<DateTime<Utc>>)>,
    /// The kinds of resource the package grants roles of.
    pub kinds: Vec<OriginSystem>,
    /// Whether a role of the package is linked to a connected system.
    pub provisioned: bool,
}

fn decide_by(stage: &ApprovalStage, now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(i64::from(stage.duration_before_automatic_denial_days))
}

/// The deadlines of a stage entered at `now`. Its approvers are reminded
/// halfway to what comes next if they do not decide: the escalation, when
/// the stage escalates (the alternates then get a mail of their own), else
/// its end.
fn deadlines(stage: &ApprovalStage, now: DateTime<Utc>) -> Change {
    let escalate_at = stage
        .is_escalation_enabled
        .then(|| now + Duration::days(i64::from(stage.duration_before_escalation_days)));
    let deny_at = decide_by(stage, now);
    let next = escalate_at.unwrap_or(deny_at);
    Change::Deadlines {
        remind_at: (next > now).then(|| now + (next - now) / 2),
        escalate_at,
        deny_at,
    }
}

/// When access granted at `from` ends, from the policy's lifecycle.
pub fn end_of(policy: &Policy, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match policy.expiration {
        Expiration::NoExpiration => None,
        Expiration::AfterDateTime(t) => Some(t),
        Expiration::AfterDays(d) => Some(from + Duration::days(i64::from(d))),
        Expiration::AfterHours(h) => Some(from + Duration::hours(i64::from(h))),
    }
}

impl Request {
    /// A holder's own request about their assignment of a package (to
    /// extend it, to give it up), in its first state.
    pub fn by_holder(
        kind: RequestType,
        state: RequestState,
        holder: &crate::domain::user::User,
        (package, policy): (&AccessPackageId, PolicyId),
        assignment: AssignmentId,
    ) -> Request {
        Request {
            id: RequestId::new(),
            kind,
            state,
            stage: 0,
            package: package.clone(),
            policy,
            requestor: Some(holder.id.clone()),
            target: Target::User(holder.id.clone()),
            email: holder.email.clone(),
            name: holder.display_name.clone(),
            organization: None,
            justification: None,
            answers: vec![],
            attributes: BTreeMap::new(),
            schedule: None,
            assignment: Some(assignment),
            approval_bypassed: false,
            identity: None,
            calls_waiting: false,
        }
    }

    /// What the messages about this request say of it.
    pub fn facts(&self, names: &Names) -> RequestFacts {
        RequestFacts {
            request_id: self.id.clone(),
            package: names.package.clone(),
            requestor: self.name.clone(),
            requestor_email: self.email.clone(),
            organization: names.organization.clone(),
            asked_by: names.asked_by.clone(),
            justification: self.justification.clone().unwrap_or_default(),
            stage: i64::from(self.stage),
            // With the time: a day alone, read in UTC, can be the day before
            // the one asked for somewhere east of it.
            starts: self
                .schedule
                .map(|(s, _)| s.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            period_ends: self
                .schedule
                .map(|(_, e)| e.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
        }
    }

    /// A message to the person the request is for.
    fn to_requestor(&self, message: Message) -> Change {
        Change::Mail(Box::new(Mail {
            to_address: self.email.clone(),
            to_name: self.name.clone(),
            message,
        }))
    }

    /// The mail that tells the requestor how their request ended (access
    /// given, or denied); none for an administrator's direct assignment,
    /// which nobody asked for.
    fn outcome_mail(&self, message: Message) -> Option<Change> {
        (self.kind != RequestType::AdminAdd).then(|| self.to_requestor(message))
    }

    /// A mail about the access given (delivered, scheduled, extended), to
    /// the person it is for, unless the policy sends none
    /// (`assignment_notifications`) or nobody asked for it (`outcome_mail`).
    fn assignment_mail(&self, policy: &Policy, message: Message) -> Option<Change> {
        self.outcome_mail(message)
            .filter(|_| policy.assignment_notifications)
    }

    fn outcome(&self, names: &Names, reason: &str) -> Outcome {
        Outcome {
            request: self.facts(names),
            reason: reason.to_string(),
            ends: String::new(),
        }
    }

    /// How long access lasts once given, as an approver in `tz` reads it;
    /// empty for a request for a period, which says its own end.
    pub fn access_lasts(&self, policy: &Policy, tz: chrono_tz::Tz) -> String {
        if self.schedule.is_some() {
            return String::new();
        }
        let plural = |n: u32, one: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {one}s")
            }
        };
        match policy.expiration {
            Expiration::NoExpiration => "until it is removed (no end)".into(),
            Expiration::AfterDateTime(t) => format!("until {}", super::period::moment_in(t, tz)),
            Expiration::AfterDays(d) => format!("{} from when it is given", plural(d, "day")),
            Expiration::AfterHours(h) => format!("{} from when it is given", plural(h, "hour")),
        }
    }

    /// An approval mail of one kind (`message`: a request, a forwarded
    /// one, a reminder) to each of `approvers`.
    fn approval_messages(
        &self,
        (policy, names): (&Policy, &Names),
        approvers: &[Contact],
        deadline: DateTime<Utc>,
        message: fn(Approval) -> Message,
    ) -> Vec<Change> {
        let approval = Approval {
            request: self.facts(names),
            decide_by: super::period::moment_in(deadline, chrono_tz::UTC),
            // Approval mail states its times in UTC, as its deadline.
            access_lasts: self.access_lasts(policy, chrono_tz::UTC),
        };
        approvers
            .iter()
            .map(|a| a.tell(message(approval.clone())))
            .collect()
    }

    /// The current stage's approvers have not decided halfway to its next
    /// step (`deny_at`: its deadline): each is reminded, once. A reminder
    /// found late, when the stage has already escalated (its alternates
    /// were just told) or expired, is dropped rather than sent.
    pub fn remind(
        &self,
        (policy, names): (&Policy, &Names),
        approvers: &[Contact],
        (escalated, deny_at): (bool, DateTime<Utc>),
        now: DateTime<Utc>,
    ) -> Vec<Change> {
        let mut changes = vec![Change::Reminded];
        if self.state == RequestState::PendingApproval && !escalated && deny_at > now {
            let reminders = self.approval_messages(
                (policy, names),
                approvers,
                deny_at,
                Message::ApprovalReminder,
            );
            if !reminders.is_empty() {
                changes.push(note(
                    RequestAction::Remind,
                    About::RequestAndState,
                    json!({"stage": self.stage, "approvers": reminders.len()}),
                ));
            }
            changes.extend(reminders);
        }
        changes
    }

    /// Whether approval applies to this request under `policy`.
    pub fn needs_approval(&self, policy: &Policy) -> bool {
        let a = &policy.approval;
        let required = if self.kind.is_extension() {
            a.is_approval_required_for_update
        } else {
            a.is_approval_required_for_add
        };
        required && !a.stages.is_empty() && !self.approval_bypassed
    }

    /// A new request starts: into its first approval stage with
    /// `first_approvers` (resolved for it), or approved at once, after which
    /// the caller delivers it. Returns the request as written and its changes.
    pub fn start(
        self,
        policy: &Policy,
        first_approvers: &[Contact],
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<(Request, Vec<Change>), Refusal> {
        self.start_with(policy, first_approvers, false, names, now)
    }

    /// `start`, where `by_extension` says whether a custom extension
    /// decides the first stage (then it needs no person to).
    pub fn start_with(
        mut self,
        policy: &Policy,
        first_approvers: &[Contact],
        by_extension: bool,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<(Request, Vec<Change>), Refusal> {
        if !self.needs_approval(policy) {
            self.state = transition(
                RequestState::Submitted,
                Event::StageApproved {
                    has_next_stage: false,
                },
            )?;
            self.stage = 0;
            let terms = Change::Terms(Box::new(policy.clone()));
            return Ok((self.clone(), vec![Change::Insert(Box::new(self)), terms]));
        }
        let stage = &policy.approval.stages[0];
        if first_approvers.is_empty() && !by_extension {
            return Err(Refusal::Refused(
                "No approver can be found for this request. Ask an administrator to check the policy's approvers.".into(),
            ));
        }
        self.state = transition(RequestState::Submitted, Event::AwaitApproval)?;
        self.stage = 1;
        let deadline = decide_by(stage, now);
        let mut changes = vec![
            Change::Insert(Box::new(self.clone())),
            Change::Terms(Box::new(policy.clone())),
            deadlines(stage, now),
            Change::Approvers {
                stage: 1,
                approvers: first_approvers.iter().map(|a| a.id.clone()).collect(),
                escalation: false,
            },
        ];
        changes.extend(self.approval_messages(
            (policy, names),
            first_approvers,
            deadline,
            Message::ApprovalRequest,
        ));
        Ok((self, changes))
    }

    /// Whether `by` may decide the current stage now, and why not:
    /// nobody decides their own request, only a pending one, and only as
    /// one of the current stage's approvers (`stage_approvers`).
    pub fn may_decide(&self, by: &UserId, stage_approvers: &[UserId]) -> Result<(), String> {
        if self.concerns(by) {
            return Err("Nobody can approve their own request.".into());
        }
        if self.state != RequestState::PendingApproval {
            return Err(transition(self.state, Event::Denied)
                .err()
                .unwrap_or_else(|| "The request was already decided.".into()));
        }
        if !stage_approvers.contains(by) {
            return Err("You are not an approver of this request's current stage.".into());
        }
        Ok(())
    }

    /// Whether `by` may take back their approval of this request, ending
    /// the access it gave (Entra's "Revoke", Approvals › History): they
    /// approved one of its stages (`approved_by`), it asked for access (an
    /// extension's approval would end time someone else approved), its
    /// access was given, and what it gave is still held (`access_held`).
    /// `Err(None)` for anyone who did not approve it, who is told nothing.
    pub fn may_revoke(
        &self,
        by: &UserId,
        approved_by: &[UserId],
        access_held: bool,
    ) -> Result<(), Option<String>> {
        if !approved_by.contains(by) {
            return Err(None);
        }
        if !matches!(self.kind, RequestType::UserAdd | RequestType::AdminAdd) {
            return Err(Some(
                "Only a request for access can be revoked; an approved extension stays.".into(),
            ));
        }
        let given = [
            RequestState::Delivered,
            RequestState::PartiallyDelivered,
            RequestState::Delivering,
        ];
        if !given.contains(&self.state) {
            return Err(Some(format!(
                "Only a request whose access was given can be revoked; this one is {}.",
                self.state.phrase()
            )));
        }
        if !access_held {
            return Err(Some(ACCESS_ENDED.into()));
        }
        Ok(())
    }

    /// `by` takes back their approval, having `confirmed` it (it cannot be
    /// undone), when `may_revoke` lets them: the assignment the request
    /// made ends as revoked by an approver. The request itself stays as it
    /// was decided. `removed`: what the log says of the assignment.
    pub fn revoke(
        &self,
        by: &UserId,
        approved_by: &[UserId],
        access_held: bool,
        confirmed: bool,
        removed: Value,
    ) -> Result<Vec<Change>, Option<String>> {
        self.may_revoke(by, approved_by, access_held)?;
        if !confirmed {
            return Err(Some(
                "Nothing was revoked: tick “I approved this request in error” to confirm.".into(),
            ));
        }
        let assignment = self
            .assignment
            .clone()
            .ok_or_else(|| Some(ACCESS_ENDED.into()))?;
        Ok(vec![
            Change::EndAssignment {
                assignment,
                reason: EndReason::Revoked,
            },
            note(
                RequestAction::Revoke,
                About::Request,
                json!({"request": self.id.as_str(), "removed": removed}),
            ),
        ])
    }

    /// Whether the current stage's approvers must give a reason.
    pub fn reason_required(&self, policy: &Policy) -> bool {
        policy
            .approval
            .stages
            .get((self.stage.max(1) - 1) as usize)
            .is_some_and(|s| s.is_approver_justification_required)
    }

    /// An approver decides the current stage. `stage_approvers`: who may
    /// decide it; `next_approvers`: the next stage's, resolved for this
    /// request, when there is one and this is an approval. The first
    /// decision wins (the store refuses a second one).
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &mut self,
        policy: &Policy,
        by: &UserId,
        approve: bool,
        reason: Option<String>,
        stage_approvers: &[Contact],
        next: &NextStage,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, Refusal> {
        let ids: Vec<UserId> = stage_approvers.iter().map(|a| a.id.clone()).collect();
        self.may_decide(by, &ids).map_err(Refusal::Refused)?;
        if self.reason_required(policy) && reason.is_none() {
            let mut e = FieldErrors::new();
            e.add("justification", "Give a reason for your decision.");
            return Err(Refusal::Invalid(e));
        }
        let decided_by = stage_approvers
            .iter()
            .find(|a| &a.id == by)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let told = self.stage_decided(names, approve, &decided_by, stage_approvers, Some(by), next);
        let audit = note(
            if approve {
                RequestAction::Approve
            } else {
                RequestAction::Deny
            },
            About::RequestAndState,
            json!({"stage": self.stage, "justification": reason}),
        );
        let mut changes = self.decide_as(
            policy,
            Decider::Person(by.clone()),
            approve,
            reason,
            next,
            names,
            now,
        )?;
        changes.extend(told);
        changes.push(audit);
        Ok(changes)
    }

    /// The custom extension that is the current stage's approver decides it
    /// (`stage`: the stage it was asked to decide). The first decision of a
    /// stage wins, whoever makes it; the stage's people, if it has any, are
    /// told (`stage_approvers`).
    #[allow(clippy::too_many_arguments)]
    pub fn decide_by_extension(
        &mut self,
        policy: &Policy,
        extension: &Binding,
        stage: u32,
        approve: bool,
        reason: Option<String>,
        stage_approvers: &[Contact],
        next: &NextStage,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, Refusal> {
        if self.state != RequestState::PendingApproval || self.stage != stage {
            return Err(Refusal::Refused(format!(
                "Stage {stage} of the request was already decided."
            )));
        }
        let told = self.stage_decided(names, approve, &extension.name, stage_approvers, None, next);
        let at = u8::try_from(stage)
            .map(Stage::Approval)
            .map_err(|_| Refusal::Refused(format!("A policy has no stage {stage}.")))?;
        let audit = extension_answered(
            if approve {
                ExtensionAnswer::Approve
            } else {
                ExtensionAnswer::Deny
            },
            at,
            &extension.name,
            reason.as_deref(),
            false,
        );
        let mut changes = self.decide_as(
            policy,
            Decider::Extension(extension.extension.clone()),
            approve,
            reason,
            next,
            names,
            now,
        )?;
        changes.extend(told);
        changes.push(audit);
        Ok(changes)
    }

    /// The messages telling a stage's approvers that the stage no longer
    /// waits for them, and how it was decided: all but the one who decided
    /// it, the person the request is for (who hears of the outcome), and,
    /// after an approval, the next stage's approvers (asked to decide next).
    fn stage_decided(
        &self,
        names: &Names,
        approved: bool,
        decided_by: &str,
        stage_approvers: &[Contact],
        decider: Option<&UserId>,
        next: &NextStage,
    ) -> Vec<Change> {
        let decided = Decided {
            request: self.facts(names),
            approved,
            decided_by: decided_by.to_string(),
        };
        let asked_next = |a: &Contact| approved && next.approvers.iter().any(|n| n.id == a.id);
        let others = stage_approvers
            .iter()
            .filter(|a| Some(&a.id) != decider && !asked_next(a));
        self.tell_approvers(others, &Message::StageDecided(decided))
    }

    /// The manager who asked for someone who reports to them, when the
    /// request is such: a request for access made by someone other than
    /// the person it is for (an administrator's is an `adminAdd`).
    pub fn asked_by_manager(&self) -> Option<&UserId> {
        self.requestor
            .as_ref()
            .filter(|r| self.kind == RequestType::UserAdd && self.target.user() != Some(*r))
    }

    /// Whether the request is `user`'s in My Access: for them, or asked by
    /// them for one of their reports. An administrator's direct assignment
    /// is not its assigner's: that is the console's, and ends with their role.
    pub fn is_theirs(&self, user: &UserId) -> bool {
        self.target.user() == Some(user) || self.asked_by_manager() == Some(user)
    }

    /// Whether the request is by or for `user`.
    fn concerns(&self, user: &UserId) -> bool {
        self.requestor.as_ref() == Some(user) || self.target.user() == Some(user)
    }

    #[allow(clippy::too_many_arguments)]
    fn decide_as(
        &mut self,
        policy: &Policy,
        by: Decider,
        approve: bool,
        reason: Option<String>,
        next_stage: &NextStage,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, Refusal> {
        let stage = self.stage;
        let next_approvers = next_stage.approvers.as_slice();
        let next = policy
            .approval
            .stages
            .get(stage as usize)
            .filter(|_| approve);
        let mut changes = vec![Change::Decision {
            stage,
            approved: approve,
            by,
            reason: reason.clone(),
        }];
        let from = self.state;
        match (approve, next) {
            (false, _) => {
                self.state = transition(from, Event::Denied)?;
                changes.push(self.moved(from, stage));
                changes.extend(self.outcome_mail(Message::RequestDenied(
                    self.outcome(names, reason.as_deref().unwrap_or_default()),
                )));
            }
            (true, Some(_)) if next_approvers.is_empty() && !next_stage.by_extension => {
                // Nobody can decide the next stage: the decision just made
                // stays recorded, and the request ends instead of waiting.
                let why = format!(
                    "Stage {stage} approved the request, but no approver could be found for stage {}. Ask an administrator to check the policy's approvers.",
                    stage + 1
                );
                self.state = transition(from, Event::Denied)?;
                changes.push(self.moved(from, stage));
                changes.push(Change::OutcomeReason(why.clone()));
                changes
                    .extend(self.outcome_mail(Message::RequestDenied(self.outcome(names, &why))));
            }
            (true, Some(next)) => {
                self.state = transition(
                    from,
                    Event::StageApproved {
                        has_next_stage: true,
                    },
                )?;
                self.stage = stage + 1;
                changes.push(self.moved(from, stage));
                let deadline = decide_by(next, now);
                changes.push(deadlines(next, now));
                changes.push(Change::Approvers {
                    stage: self.stage,
                    approvers: next_approvers.iter().map(|a| a.id.clone()).collect(),
                    escalation: false,
                });
                changes.extend(self.approval_messages(
                    (policy, names),
                    next_approvers,
                    deadline,
                    Message::ApprovalRequest,
                ));
            }
            (true, None) => {
                self.state = transition(
                    from,
                    Event::StageApproved {
                        has_next_stage: false,
                    },
                )?;
                changes.push(self.moved(from, stage));
            }
        }
        Ok(changes)
    }

    /// The change moving the request from `from` at `from_stage` to where it is now.
    fn moved(&self, from: RequestState, from_stage: u32) -> Change {
        Change::Move {
            from,
            from_stage,
            to: self.state,
            to_stage: self.stage,
        }
    }

    /// Delivers an approved (or scheduled, or failed) request to `target`:
    /// scheduled when its period has not begun; denied with the reason when
    /// what it asks for can no longer be given (its period or the policy has
    /// ended, the target holds the package or something it excludes); else
    /// the assignment, the roles and the attribute values. A reprocess that
    /// can no longer deliver is refused and changes nothing.
    pub fn deliver(
        &mut self,
        policy: &Policy,
        target: &UserId,
        facts: &DeliveryFacts,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, Refusal> {
        if let Some(changes) = self.schedule(policy, names, now)? {
            return Ok(changes);
        }
        let from = self.state;
        let stage = self.stage;
        let event = match from {
            RequestState::DeliveryFailed | RequestState::PartiallyDelivered => Event::Reprocess,
            _ => Event::StartDelivery,
        };
        transition(from, event)?;
        if let Some(refusal) = self.cannot_deliver(policy, facts, now) {
            return self.refuse(refusal, names);
        }
        let mut changes = Vec::new();
        let ends;
        if self.kind.is_extension() {
            let assignment = self.assignment.clone().ok_or_else(|| {
                Refusal::Refused("The request names no assignment to extend.".into())
            })?;
            ends = extended_end(policy, facts.assignment.and_then(|(_, e)| e), now);
            changes.push(Change::Extend {
                assignment,
                end: ends,
            });
        } else {
            match &self.assignment {
                Some(a) => changes.push(Change::Redeliver(a.clone())),
                None => {
                    let id = AssignmentId::new();
                    let end = self
                        .schedule
                        .map(|(_, e)| e)
                        .or_else(|| end_of(policy, now));
                    changes.push(Change::NewAssignment {
                        id: id.clone(),
                        target: target.clone(),
                        end,
                    });
                    self.assignment = Some(id);
                }
            }
            changes.push(Change::Grant {
                target: target.clone(),
                kinds: facts.kinds.clone(),
                provisioned: facts.provisioned,
            });
            if !self.attributes.is_empty() {
                changes.push(Change::WriteAttributes {
                    target: target.clone(),
                });
            }
            ends = None;
        }
        self.state = transition(transition(from, event)?, Event::Delivered { all: true })?;
        changes.push(self.moved(from, stage));
        let message = if self.kind.is_extension() {
            Message::AccessExtended(Outcome {
                // In UTC, named, as the approval mails' times.
                ends: ends
                    .map(|e| super::period::moment_in(e, chrono_tz::UTC))
                    .unwrap_or_default(),
                ..self.outcome(names, "")
            })
        } else {
            Message::AccessDelivered(self.outcome(names, ""))
        };
        changes.extend(self.assignment_mail(policy, message));
        Ok(changes)
    }

    /// An approved request for a period that has not begun waits for it:
    /// the changes that schedule it, or `None` when it is due now.
    pub fn schedule(
        &mut self,
        policy: &Policy,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<Change>>, Refusal> {
        let from = self.state;
        if from != RequestState::Approved || self.schedule.is_none_or(|(s, _)| s <= now) {
            return Ok(None);
        }
        self.state = transition(from, Event::Schedule)?;
        let mut changes = vec![self.moved(from, self.stage)];
        changes.extend(
            self.assignment_mail(policy, Message::RequestScheduled(self.outcome(names, ""))),
        );
        Ok(Some(changes))
    }

    /// Why the request's access can no longer be given whoever it is for:
    /// its period, or the policy, has ended. Checked before a guest account
    /// is made for it.
    pub fn too_late(&self, policy: &Policy, now: DateTime<Utc>) -> Option<String> {
        if let Some((_, end)) = self.schedule.filter(|(_, e)| *e <= now) {
            return Some(format!(
                "The request was approved after the end of the period it asked for ({}), so no access was given. Request it again for a new period.",
                super::reason::marked(end)
            ));
        }
        policy
            .ended(now)
            .filter(|_| self.schedule.is_none())
            .map(|t| {
                format!(
                    "The policy gave access until {}, which had passed when the request was approved, so no access was given.",
                    super::reason::marked(t)
                )
            })
    }

    /// Why the request's access can no longer be given, if it cannot.
    fn cannot_deliver(
        &self,
        policy: &Policy,
        facts: &DeliveryFacts,
        now: DateTime<Utc>,
    ) -> Option<String> {
        if let Some(reason) = self.too_late(policy, now) {
            return Some(reason);
        }
        if self.kind.is_extension() {
            return (!facts.assignment.is_some_and(|(active, _)| active)).then(|| {
                "The access this request would extend ended before the extension was approved. Request the package again.".to_string()
            });
        }
        match self.assignment {
            // A reprocess works on the assignment it made; an ended one stays ended.
            Some(_) if !facts.assignment.is_some_and(|(active, _)| active) => {
                return Some(
                    "The assignment this request made has ended meanwhile; request the package again instead."
                        .into(),
                );
            }
            Some(_) => {}
            None if facts.held.iter().any(|p| p == self.package.as_str()) => {
                return Some(format!(
                    "{} already holds this access package, so nothing more was given.",
                    self.name
                ));
            }
            None => {}
        }
        facts.conflict.clone()
    }

    /// The call of `binding` at `stage`; a wait when the extension waits
    /// and the stage can.
    pub fn call(&self, stage: Stage, binding: &Binding, now: DateTime<Utc>) -> Change {
        let wait = match binding.behavior {
            Behavior::LaunchAndWait {
                max_wait_minutes,
                on_timeout,
            } if binding.waits_at(stage) => Some((
                new_callback_token(),
                now + Duration::minutes(max_wait_minutes),
                on_timeout,
            )),
            // An approver extension set to continue is still waited for, as
            // long as any approver: the stage's own deadline ends the wait.
            Behavior::LaunchAndContinue if stage.approval_stage().is_some() => Some((
                new_callback_token(),
                now + Duration::days(i64::from(crate::domain::policy::MAX_DECISION_DAYS)),
                OnTimeout::Continue,
            )),
            _ => None,
        };
        Change::Callout(Box::new(Callout {
            id: uuid::Uuid::new_v4().to_string(),
            extension: binding.extension.clone(),
            stage,
            wait,
        }))
    }

    /// A new request, made under `policy`, waits for the answer of the
    /// extension called when it is created, before its approval starts.
    pub fn hold(
        self,
        policy: &Policy,
        binding: &Binding,
        now: DateTime<Utc>,
    ) -> (Request, Vec<Change>) {
        let call = self.call(Stage::RequestCreated, binding, now);
        let terms = Change::Terms(Box::new(policy.clone()));
        (
            self.clone(),
            vec![Change::Insert(Box::new(self)), terms, call],
        )
    }

    /// The extension a submitted request waited for lets it go on: its
    /// approval starts now (or it is approved, when it needs none), under
    /// the policy kept with it when it was made.
    pub fn go_on(
        self,
        policy: &Policy,
        first_approvers: &[Contact],
        first_by_extension: bool,
        names: &Names,
        now: DateTime<Utc>,
    ) -> Result<(Request, Vec<Change>), Refusal> {
        let (from, from_stage) = (self.state, self.stage);
        if from != RequestState::Submitted {
            return Err(Refusal::Refused(format!(
                "The request is {}, not waiting to start.",
                from.phrase()
            )));
        }
        let (r, changes) =
            self.start_with(policy, first_approvers, first_by_extension, names, now)?;
        let moved = r.moved(from, from_stage);
        let changes = changes
            .into_iter()
            .filter(|c| !matches!(c, Change::Terms(_)))
            .map(|c| match c {
                Change::Insert(_) => moved.clone(),
                other => other,
            })
            .collect();
        Ok((r, changes))
    }

    /// The requestor is told that the extension the request waited for did
    /// not answer in time and the request goes on (`why` says so).
    pub fn tell_goes_on(&self, why: &str, names: &Names) -> Change {
        self.to_requestor(Message::RequestContinued(self.outcome(names, why)))
    }

    /// The extension the request waited for denied it (`cancel`: canceled
    /// it), or did not answer in time and denies; `why` says which. The
    /// requestor is told of a denial.
    pub fn stop_by_extension(
        &mut self,
        cancel: bool,
        why: String,
        names: &Names,
    ) -> Result<Vec<Change>, Refusal> {
        let from = self.state;
        self.state = transition(from, Event::StoppedByExtension { cancel })?;
        let mut changes = vec![
            self.moved(from, self.stage),
            Change::OutcomeReason(why.clone()),
        ];
        if !cancel {
            changes.extend(self.outcome_mail(Message::RequestDenied(self.outcome(names, &why))));
        }
        Ok(changes)
    }

    /// An approved request whose access can no longer be given ends denied,
    /// with the reason, and the requestor is told; a reprocess is refused.
    pub fn refuse(&mut self, reason: String, names: &Names) -> Result<Vec<Change>, Refusal> {
        // Kept with its moments marked; said at once, and mailed, with them
        // in UTC, as every mail's times.
        let said = super::reason::written_in(&reason, chrono_tz::UTC);
        let from = self.state;
        let Ok(to) = transition(from, Event::DeliveryRefused) else {
            return Err(Refusal::Refused(said));
        };
        self.state = to;
        let mut changes = vec![self.moved(from, self.stage), Change::OutcomeReason(reason)];
        changes.extend(self.outcome_mail(Message::RequestDenied(self.outcome(names, &said))));
        Ok(changes)
    }

    /// A delivery that could not be made (no account can be made for the
    /// target): an administrator can reprocess it.
    pub fn fail_delivery(&mut self) -> Result<Vec<Change>, Refusal> {
        let from = self.state;
        let event = match from {
            RequestState::DeliveryFailed | RequestState::PartiallyDelivered => Event::Reprocess,
            _ => Event::StartDelivery,
        };
        self.state = transition(transition(from, event)?, Event::DeliveryFailed)?;
        Ok(vec![self.moved(from, self.stage)])
    }

    /// A scheduled request whose delivery failed for a reason of its own
    /// (`why`) waits for an administrator to reprocess it.
    pub fn fail_scheduled(&mut self, why: &str) -> Result<Vec<Change>, Refusal> {
        let mut changes = self.fail_delivery()?;
        changes.push(note(
            RequestAction::DeliveryFailed,
            About::RequestAndState,
            json!({ "error": why }),
        ));
        Ok(changes)
    }

    /// A scheduled request whose time came is delivered (by the caller,
    /// through `deliver`), and the log says so.
    pub fn fulfill_scheduled(&self) -> Result<Change, Refusal> {
        if self.state != RequestState::Scheduled {
            return Err(Refusal::Refused(format!(
                "The request is {}, not scheduled.",
                self.state.phrase()
            )));
        }
        Ok(note(
            RequestAction::Fulfill,
            About::RequestAndState,
            json!({"scheduled": true}),
        ))
    }

    /// An administrator delivers again a request whose delivery failed or
    /// was partial (by the caller, through `deliver`).
    pub fn reprocess(&self) -> Result<Change, Refusal> {
        transition(self.state, Event::Reprocess)?;
        Ok(note(
            RequestAction::Reprocess,
            About::RequestAndState,
            json!({}),
        ))
    }

    /// The requestor withdraws a request still waiting (for approval or its start).
    pub fn cancel_by_requestor(
        &mut self,
        names: &Names,
        stage_approvers: &[Contact],
    ) -> Result<Vec<Change>, Refusal> {
        if !matches!(
            self.state,
            RequestState::Submitted | RequestState::PendingApproval | RequestState::Scheduled
        ) {
            transition(self.state, Event::Canceled)?;
            return Err(Refusal::Refused(
                "Only a request that is waiting for approval or for its start can be canceled here."
                    .into(),
            ));
        }
        self.cancel(CanceledBy::Requestor, names, stage_approvers)
    }

    /// A request not delivered is canceled (`by` its requestor, through
    /// `cancel_by_requestor`, an administrator, or because its target left
    /// the directory). The approvers of a stage it was waiting at
    /// (`stage_approvers`) are told it no longer does.
    pub fn cancel(
        &mut self,
        by: CanceledBy,
        names: &Names,
        stage_approvers: &[Contact],
    ) -> Result<Vec<Change>, Refusal> {
        let from = self.state;
        self.state = transition(from, Event::Canceled)?;
        let mut changes = vec![self.moved(from, self.stage)];
        if from == RequestState::PendingApproval {
            let canceled = Message::ApprovalCanceled(self.outcome(names, ""));
            changes.extend(self.tell_approvers(stage_approvers, &canceled));
        }
        let details = match by {
            CanceledBy::Requestor => json!({}),
            CanceledBy::Administrator => {
                json!({"request": self.id.as_str(), "from": from.as_str(), "target": self.email})
            }
            CanceledBy::Directory => {
                json!({"endReason": EndReason::RemovedFromDirectory.as_str(), "target": self.email})
            }
        };
        changes.push(note(RequestAction::Cancel(by), About::Request, details));
        Ok(changes)
    }

    /// `message` to each of a stage's approvers but the person the request
    /// is by or for, who hears of it otherwise.
    fn tell_approvers<'a>(
        &self,
        approvers: impl IntoIterator<Item = &'a Contact>,
        message: &Message,
    ) -> Vec<Change> {
        approvers
            .into_iter()
            .filter(|a| !self.concerns(&a.id))
            .map(|a| a.tell(message.clone()))
            .collect()
    }

    /// Nobody decided within the stage's limit: the request expires, and its
    /// requestor and the stage's approvers (`stage_approvers`) are told.
    pub fn time_out(
        &mut self,
        names: &Names,
        stage_approvers: &[Contact],
    ) -> Result<Vec<Change>, Refusal> {
        let from = self.state;
        self.state = transition(from, Event::TimedOut)?;
        let outcome = self.outcome(names, "");
        let mut changes = vec![
            self.moved(from, self.stage),
            self.to_requestor(Message::RequestExpired(outcome.clone())),
            note(
                RequestAction::TimedOut,
                About::Request,
                json!({"request": self.id.as_str(), "stage": self.stage}),
            ),
        ];
        changes.extend(self.tell_approvers(stage_approvers, &Message::ApprovalExpired(outcome)));
        Ok(changes)
    }

    /// An approver of the current stage was blocked (`by`: deactivated
    /// where people come from, by an administrator or by the guest
    /// lifecycle) and nobody else can decide it: the stage goes to
    /// `replacements` (its approvers found again, the fallback ones when no
    /// primary is left), who are told, with the stage's deadline unchanged.
    /// The log says who blocked the approver, and to whom the stage went,
    /// when to nobody too.
    pub fn hand_over(
        &self,
        replacements: &[Contact],
        deny_at: DateTime<Utc>,
        (policy, names): (&Policy, &Names),
        by: BlockedBy,
    ) -> Vec<Change> {
        let emails: Vec<&str> = replacements.iter().map(|c| c.email.as_str()).collect();
        let audit = note(
            RequestAction::HandOver(by),
            About::Request,
            json!({"stage": self.stage, "approvers": emails}),
        );
        if replacements.is_empty() {
            return vec![audit];
        }
        let mut changes = vec![
            audit,
            Change::Approvers {
                stage: self.stage,
                approvers: replacements.iter().map(|a| a.id.clone()).collect(),
                escalation: false,
            },
        ];
        changes.extend(self.approval_messages(
            (policy, names),
            replacements,
            deny_at,
            Message::ApprovalRequest,
        ));
        changes
    }

    /// The stage escalates to `alternates` (resolved for it), who are told,
    /// with the stage's own deadline. Escalates once, whoever is found.
    pub fn escalate(
        &self,
        alternates: &[Contact],
        deny_at: DateTime<Utc>,
        (policy, names): (&Policy, &Names),
    ) -> Vec<Change> {
        let mut changes = vec![Change::Escalated { stage: self.stage }];
        if alternates.is_empty() {
            return changes;
        }
        changes.push(Change::Approvers {
            stage: self.stage,
            approvers: alternates.iter().map(|a| a.id.clone()).collect(),
            escalation: true,
        });
        changes.push(note(
            RequestAction::Escalate,
            About::Request,
            json!({"request": self.id.as_str(), "stage": self.stage, "approvers": alternates.len()}),
        ));
        changes.extend(self.approval_messages(
            (policy, names),
            alternates,
            deny_at,
            Message::ApprovalForwarded,
        ));
        changes
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::message::MailKind;
    use crate::domain::policy::{
        AllowedTargetScope, ApprovalSettings, Approver, RequestorSettings,
    };

    fn stage(approver: &UserId) -> ApprovalStage {
        ApprovalStage {
            duration_before_automatic_denial_days: 14,
            is_approver_justification_required: false,
            primary_approvers: vec![Approver::SingleUser(approver.clone())],
            fallback_primary_approvers: vec![],
            is_escalation_enabled: false,
            duration_before_escalation_days: 0,
            escalation_approvers: vec![],
            fallback_escalation_approvers: vec![],
        }
    }

    /// A policy for member users with these approval stages (none: no
    /// approval), access for 30 days, and no questions.
    pub(crate) fn policy(stages: Vec<ApprovalStage>) -> Policy {
        Policy {
            display_name: "P".into(),
            description: None,
            enabled: true,
            allowed_target_scope: AllowedTargetScope::AllMemberUsers,
            specific_allowed_targets: vec![],
            requestor: RequestorSettings::default(),
            approval: ApprovalSettings {
                show_approvers: None,
                is_approval_required_for_add: !stages.is_empty(),
                is_approval_required_for_update: false,
                is_requestor_justification_required: false,
                stages,
            },
            questions: vec![],
            expiration: Expiration::AfterDays(30),
            assignment_notifications: true,
            automatic: None,
        }
    }

    fn contact(id: &UserId) -> Contact {
        Contact {
            id: id.clone(),
            email: format!("{id}@example.test"),
            name: format!("Approver {id}"),
        }
    }

    /// Eric's request under `p`, waiting for Maria at its first stage.
    fn pending(p: &Policy, eric: &UserId, maria: &UserId) -> Request {
        let names = Names::default();
        let (r, _) = request(eric)
            .start(p, &[contact(maria)], &names, Utc::now())
            .unwrap();
        r
    }

    /// `by` approves the current stage, now, without a reason.
    fn approve(
        r: &mut Request,
        p: &Policy,
        by: &UserId,
        approvers: &[Contact],
        next: &NextStage,
    ) -> Result<Vec<Change>, Refusal> {
        r.decide(
            p,
            by,
            true,
            None,
            approvers,
            next,
            &Names::default(),
            Utc::now(),
        )
    }

    /// Who the changes mail a message of `kind` to.
    fn mailed(changes: &[Change], kind: MailKind) -> Vec<String> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Mail(m) if m.message.kind() == kind => Some(m.to_address.clone()),
                _ => None,
            })
            .collect()
    }

    /// The audit notes among `changes`: what each says was done, and its details.
    fn noted(changes: &[Change]) -> Vec<(RequestAction, Value)> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Audit(n) => Some((n.action, n.details.clone())),
                _ => None,
            })
            .collect()
    }

    fn request(target: &UserId) -> Request {
        Request {
            id: RequestId::new(),
            kind: RequestType::UserAdd,
            state: RequestState::Submitted,
            stage: 0,
            package: AccessPackageId::new(),
            policy: PolicyId::new(),
            requestor: Some(target.clone()),
            target: Target::User(target.clone()),
            email: "eric@example.test".into(),
            name: "Eric".into(),
            organization: None,
            justification: None,
            answers: vec![],
            attributes: BTreeMap::new(),
            schedule: None,
            assignment: None,
            approval_bypassed: false,
            identity: None,
            calls_waiting: false,
        }
    }

    #[test]
    fn only_an_approver_of_a_delivered_request_revokes_what_is_still_held() {
        let (eric, maria, ada) = (UserId::new(), UserId::new(), UserId::new());
        let mut r = request(&eric);
        r.state = RequestState::Delivered;
        let approved = [maria.clone()];
        let why = |r: &Request, by: &UserId, held: bool| {
            r.may_revoke(by, &approved, held)
                .err()
                .flatten()
                .unwrap_or_default()
        };
        assert_eq!(r.may_revoke(&maria, &approved, true), Ok(()));
        assert_eq!(
            r.may_revoke(&ada, &approved, true),
            Err(None),
            "told nothing"
        );
        assert!(why(&r, &maria, false).contains("already ended"));
        r.state = RequestState::PendingApproval;
        assert!(why(&r, &maria, true).contains("was given"));
        r.state = RequestState::PartiallyDelivered;
        assert_eq!(r.may_revoke(&maria, &approved, true), Ok(()));
        r.kind = RequestType::UserExtend;
        assert!(why(&r, &maria, true).contains("extension"));
    }

    #[test]
    fn revoking_ends_the_assignment_once_confirmed() {
        let (eric, maria) = (UserId::new(), UserId::new());
        let mut r = request(&eric);
        r.state = RequestState::Delivered;
        let assignment = AssignmentId::new();
        r.assignment = Some(assignment.clone());
        let approved = [maria.clone()];
        let removed = || serde_json::json!({"reason": "revoked"});
        let unconfirmed = r
            .revoke(&maria, &approved, true, false, removed())
            .unwrap_err();
        assert!(unconfirmed.unwrap_or_default().contains("to confirm"));
        assert_eq!(
            r.revoke(&eric, &approved, true, true, removed())
                .unwrap_err(),
            None,
            "someone who did not approve it is told nothing"
        );
        match r
            .revoke(&maria, &approved, true, true, removed())
            .unwrap()
            .as_slice()
        {
            [
                Change::EndAssignment {
                    assignment: a,
                    reason,
                },
                Change::Audit(note),
            ] => {
                assert_eq!(a, &assignment);
                assert_eq!(*reason, EndReason::Revoked);
                assert_eq!(note.action, RequestAction::Revoke);
                assert_eq!(
                    note.details,
                    serde_json::json!({"request": r.id.as_str(), "removed": removed()})
                );
            }
            other => panic!("expected the assignment to end, got {other:?}"),
        }
        assert_eq!(
            r.state,
            RequestState::Delivered,
            "the request stays decided"
        );
    }

    #[test]
    fn a_request_goes_through_its_stages_and_is_delivered() {
        let (eric, maria, ada) = (UserId::new(), UserId::new(), UserId::new());
        let p = policy(vec![stage(&maria), stage(&ada)]);
        let now = Utc::now();
        let names = Names::default();
        let (mut r, changes) = request(&eric)
            .start(&p, &[contact(&maria)], &names, now)
            .unwrap();
        assert_eq!((r.state, r.stage), (RequestState::PendingApproval, 1));
        assert!(changes.iter().any(|c| matches!(c, Change::Mail(m)
            if matches!(&m.message, Message::ApprovalRequest(a)
                if a.access_lasts == "30 days from when it is given"))));
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::Terms(kept) if **kept == p)),
            "the policy is kept with the request"
        );
        // Not one's own, not someone else's stage: (who decides, the stage's approvers).
        for (who, approvers) in [(&eric, &eric), (&ada, &maria)] {
            let approvers = &[contact(approvers)];
            let next = NextStage::default();
            assert!(approve(&mut r, &p, who, approvers, &next).is_err());
        }
        // Maria decides stage 1, which Zoe and Eric himself could see: Zoe is
        // told it no longer waits for her; Maria, who decided, and Eric are not.
        // Ada, an approver of both stages, is asked to decide the next one
        // instead of being told this one no longer waits for her.
        let zoe = UserId::new();
        let everyone = [
            contact(&maria),
            contact(&zoe),
            contact(&eric),
            contact(&ada),
        ];
        let next = NextStage::people(vec![contact(&ada)]);
        let changes = approve(&mut r, &p, &maria, &everyone, &next).unwrap();
        assert_eq!((r.state, r.stage), (RequestState::PendingApproval, 2));
        assert_eq!(
            noted(&changes),
            [(
                RequestAction::Approve,
                json!({"stage": 1, "justification": null})
            )],
            "the log names the stage decided"
        );
        assert_eq!(
            mailed(&changes, MailKind::StageDecided),
            [contact(&zoe).email]
        );
        let told = changes.iter().find_map(|c| match c {
            Change::Mail(m) => match &m.message {
                Message::StageDecided(d) => Some(d.clone()),
                _ => None,
            },
            _ => None,
        });
        let told = told.unwrap();
        assert!(told.approved && told.decided_by == contact(&maria).name);
        assert_eq!(told.request.stage, 1, "the stage decided, not the next");
        assert_eq!(
            mailed(&changes, MailKind::ApprovalRequest),
            [contact(&ada).email]
        );
        approve(&mut r, &p, &ada, &[contact(&ada)], &NextStage::default()).unwrap();
        assert_eq!(r.state, RequestState::Approved);
        let delivered = r
            .deliver(&p, &eric, &DeliveryFacts::default(), &names, now)
            .unwrap();
        assert_eq!(r.state, RequestState::Delivered);
        assert!(delivered.iter().any(|c| matches!(c, Change::Grant { .. })));
        assert_eq!(noted(&delivered), [], "said by the decision that led to it");
        assert_eq!(
            mailed(&delivered, MailKind::AccessDelivered),
            ["eric@example.test"]
        );
    }

    #[test]
    fn a_policy_that_sends_no_assignment_mails_delivers_without_one() {
        let (eric, maria) = (UserId::new(), UserId::new());
        let mut p = policy(vec![stage(&maria)]);
        p.assignment_notifications = false;
        let names = Names::default();
        let now = Utc::now();
        let mut r = pending(&p, &eric, &maria);
        approve(
            &mut r,
            &p,
            &maria,
            &[contact(&maria)],
            &NextStage::default(),
        )
        .unwrap();
        let delivered = r
            .deliver(&p, &eric, &DeliveryFacts::default(), &names, now)
            .unwrap();
        assert_eq!(r.state, RequestState::Delivered);
        assert!(!delivered.iter().any(|c| matches!(c, Change::Mail(_))));
        // A schedule for later is not mailed either.
        let mut later = request(&eric);
        later.state = RequestState::Approved;
        later.schedule = Some((now + Duration::days(3), now + Duration::days(9)));
        let scheduled = later.schedule(&p, &names, now).unwrap().unwrap();
        assert!(!scheduled.iter().any(|c| matches!(c, Change::Mail(_))));
    }

    #[test]
    fn approvers_are_reminded_halfway_to_the_next_step_and_not_when_late() {
        let (eric, maria) = (UserId::new(), UserId::new());
        let now = Utc::now();
        let reminder_of = |changes: &[Change]| {
            changes.iter().find_map(|c| match c {
                Change::Deadlines { remind_at, .. } => Some(*remind_at),
                _ => None,
            })
        };
        // 14 days to decide: a reminder after 7; escalating after 4: after 2.
        let mut escalating = stage(&maria);
        escalating.is_escalation_enabled = true;
        escalating.duration_before_escalation_days = 4;
        for (s, days) in [(stage(&maria), 7), (escalating, 2)] {
            let (_, changes) = request(&eric)
                .start(&policy(vec![s]), &[contact(&maria)], &Names::default(), now)
                .unwrap();
            assert_eq!(
                reminder_of(&changes),
                Some(Some(now + Duration::days(days)))
            );
        }
        let (r, _) = request(&eric)
            .start(
                &policy(vec![stage(&maria)]),
                &[contact(&maria)],
                &Names::default(),
                now,
            )
            .unwrap();
        let deny_at = now + Duration::days(14);
        let names = Names::default();
        let p = policy(vec![stage(&maria)]);
        let on_time = r.remind((&p, &names), &[contact(&maria)], (false, deny_at), now);
        assert_eq!(
            mailed(&on_time, MailKind::ApprovalReminder),
            [contact(&maria).email]
        );
        assert_eq!(
            noted(&on_time),
            [(RequestAction::Remind, json!({"stage": 1, "approvers": 1}))]
        );
        for late in [(true, deny_at), (false, now)] {
            let changes = r.remind((&p, &names), &[contact(&maria)], late, now);
            assert!(matches!(changes[..], [Change::Reminded]), "{late:?}");
        }
    }

    #[test]
    fn a_request_that_expires_or_is_canceled_while_waiting_tells_its_approvers() {
        let (eric, maria) = (UserId::new(), UserId::new());
        let p = policy(vec![stage(&maria)]);
        let names = Names::default();
        let mut r = pending(&p, &eric, &maria);
        let changes = r
            .time_out(&names, &[contact(&maria), contact(&eric)])
            .unwrap();
        assert_eq!(r.state, RequestState::Expired);
        assert_eq!(
            mailed(&changes, MailKind::ApprovalExpired),
            [contact(&maria).email]
        );
        assert_eq!(
            mailed(&changes, MailKind::RequestExpired),
            ["eric@example.test"]
        );
        assert_eq!(
            noted(&changes),
            [(
                RequestAction::TimedOut,
                json!({"request": r.id.as_str(), "stage": 1})
            )]
        );
        // Canceled while it waited, it tells them too.
        let mut r = pending(&p, &eric, &maria);
        let approvers = [contact(&maria), contact(&eric)];
        let canceled = r.cancel_by_requestor(&names, &approvers).unwrap();
        assert_eq!(r.state, RequestState::Canceled);
        let told = mailed(&canceled, MailKind::ApprovalCanceled);
        assert_eq!(told, [contact(&maria).email]);
        let requestor = RequestAction::Cancel(CanceledBy::Requestor);
        assert_eq!(noted(&canceled), [(requestor, json!({}))]);
        // An administrator's cancel says from which state, and for whom.
        let mut r = pending(&p, &eric, &maria);
        let by_admin = r
            .cancel(CanceledBy::Administrator, &names, &approvers)
            .unwrap();
        assert_eq!(
            noted(&by_admin),
            [(
                RequestAction::Cancel(CanceledBy::Administrator),
                json!({"request": r.id.as_str(), "from": "pendingApproval", "target": "eric@example.test"})
            )]
        );
    }

    #[test]
    fn escalating_and_handing_over_say_to_whom_the_stage_went() {
        let (eric, maria, zoe) = (UserId::new(), UserId::new(), UserId::new());
        let p = policy(vec![stage(&maria)]);
        let names = Names::default();
        let r = pending(&p, &eric, &maria);
        let deny_at = Utc::now() + Duration::days(14);
        // Nobody to escalate to: only marked, and the log says nothing.
        let unfound = r.escalate(&[], deny_at, (&p, &names));
        assert!(matches!(unfound[..], [Change::Escalated { stage: 1 }]));
        let escalated = r.escalate(&[contact(&zoe)], deny_at, (&p, &names));
        assert_eq!(
            noted(&escalated),
            [(
                RequestAction::Escalate,
                json!({"request": r.id.as_str(), "stage": 1, "approvers": 1})
            )]
        );
        let handed = r.hand_over(
            &[contact(&zoe)],
            deny_at,
            (&p, &names),
            BlockedBy::Directory,
        );
        assert_eq!(
            noted(&handed),
            [(
                RequestAction::HandOver(BlockedBy::Directory),
                json!({"stage": 1, "approvers": [contact(&zoe).email]})
            )]
        );
        assert_eq!(
            mailed(&handed, MailKind::ApprovalRequest),
            [contact(&zoe).email]
        );
        // Handed to nobody (none found again): only the log says so.
        let to_nobody = r.hand_over(&[], deny_at, (&p, &names), BlockedBy::Administrator);
        assert_eq!(
            noted(&to_nobody),
            [(
                RequestAction::HandOver(BlockedBy::Administrator),
                json!({"stage": 1, "approvers": []})
            )]
        );
        assert_eq!(to_nobody.len(), 1);
    }

    #[test]
    fn a_next_stage_without_approvers_ends_the_request_with_the_reason() {
        let (eric, maria) = (UserId::new(), UserId::new());
        let p = policy(vec![stage(&maria), stage(&eric)]);
        let mut r = pending(&p, &eric, &maria);
        let changes = approve(
            &mut r,
            &p,
            &maria,
            &[contact(&maria)],
            &NextStage::default(),
        )
        .unwrap();
        assert_eq!(r.state, RequestState::Denied);
        assert!(matches!(
            changes[0],
            Change::Decision { approved: true, .. }
        ));
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::OutcomeReason(m) if m.contains("stage 2")))
        );
    }

    #[test]
    fn the_log_notes_denials_extension_decisions_leavers_and_scheduled_delivery() {
        let (eric, maria) = (UserId::new(), UserId::new());
        let p = policy(vec![stage(&maria)]);
        let (names, now) = (Names::default(), Utc::now());
        let approvers = [contact(&maria)];
        let none = NextStage::default();
        let mut r = pending(&p, &eric, &maria);
        let denied = r
            .decide(
                &p,
                &maria,
                false,
                Some("No".into()),
                &approvers,
                &none,
                &names,
                now,
            )
            .unwrap();
        assert_eq!(
            noted(&denied),
            [(
                RequestAction::Deny,
                json!({"stage": 1, "justification": "No"})
            )]
        );
        // An extension deciding its stage is named, with its words.
        let checker = Binding {
            extension: "ext-1".into(),
            name: "Checker".into(),
            behavior: Behavior::LaunchAndContinue,
        };
        let mut r = pending(&p, &eric, &maria);
        let ok = Some("Checked".to_string());
        let approved = r
            .decide_by_extension(&p, &checker, 1, true, ok, &approvers, &none, &names, now)
            .unwrap();
        assert_eq!(r.state, RequestState::Approved);
        assert_eq!(
            noted(&approved),
            [(
                RequestAction::ExtensionApproves,
                json!({"stage": "assignmentRequestApprovalStage1", "customExtension": "Checker",
                    "detail": "Checked", "timedOut": false})
            )]
        );
        // Someone who left the directory: their request is canceled for that.
        let mut r = pending(&p, &eric, &maria);
        let left = r.cancel(CanceledBy::Directory, &names, &approvers).unwrap();
        assert_eq!(
            noted(&left),
            [(
                RequestAction::Cancel(CanceledBy::Directory),
                json!({"endReason": "removedFromDirectory", "target": "eric@example.test"})
            )]
        );
        // Scheduled: its day came, or its delivery failed, then reprocessed.
        let mut r = request(&eric);
        assert!(r.fulfill_scheduled().is_err(), "only a scheduled request");
        r.state = RequestState::Scheduled;
        let due = r.fulfill_scheduled().unwrap();
        assert_eq!(
            noted(&[due]),
            [(RequestAction::Fulfill, json!({"scheduled": true}))]
        );
        let failed = r.fail_scheduled("No account can be made").unwrap();
        assert_eq!(r.state, RequestState::DeliveryFailed);
        assert_eq!(
            noted(&failed),
            [(
                RequestAction::DeliveryFailed,
                json!({"error": "No account can be made"})
            )]
        );
        let again = r.reprocess().unwrap();
        assert_eq!(noted(&[again]), [(RequestAction::Reprocess, json!({}))]);
        assert!(pending(&p, &eric, &maria).reprocess().is_err());
    }

    #[test]
    fn delivery_refuses_what_can_no_longer_be_given() {
        let eric = UserId::new();
        let p = policy(vec![]);
        let now = Utc::now();
        let names = Names::default();
        let (mut r, _) = request(&eric).start(&p, &[], &names, now).unwrap();
        let held = DeliveryFacts {
            held: vec![r.package.to_string()],
            ..Default::default()
        };
        let changes = r.deliver(&p, &eric, &held, &names, now).unwrap();
        assert_eq!(r.state, RequestState::Denied);
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::OutcomeReason(m) if m.contains("already holds")))
        );
        let (mut late, _) = request(&eric).start(&p, &[], &names, now).unwrap();
        late.schedule = Some((now - Duration::days(3), now - Duration::days(1)));
        late.deliver(&p, &eric, &DeliveryFacts::default(), &names, now)
            .unwrap();
        assert_eq!(late.state, RequestState::Denied);
    }
}
