//! Custom extensions: HTTPS endpoints a catalog's policies call at the
//! stages of a request or an assignment (the real product's Logic Apps,
//! Graph `customCalloutExtension`). Here: their settings checked field by
//! field, the stages, the body of a call, its Standard Webhooks signature,
//! and what a callback may say.
//!
//! Nothing here sends anything: the store queues each call in the
//! transaction of the change that causes it, and a worker sends it.

use crate::domain::named::named_values;

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::ids::{
    AccessPackageId, AssignmentId, CalloutId, CatalogId, PolicyId, RequestId, UserId,
};
use super::request::kind::RequestType;
use super::request::state::RequestState;
use super::validation::{FieldErrors, is_line_break_or_tab, optional_text, required_text};

/// The stages a policy may call an extension at (Graph
/// `accessPackageCustomExtensionStage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    RequestCreated,
    RequestApproved,
    AssignmentGranted,
    AssignmentRemoved,
    FourteenDaysBeforeExpiration,
    OneDayBeforeExpiration,
    /// The extension is an approver of the request's approval stage 1, 2
    /// or 3: it approves or denies it.
    Approval(u8),
}

impl Stage {
    /// The approval stages an extension can decide.
    pub const APPROVAL: [Stage; 3] = [Stage::Approval(1), Stage::Approval(2), Stage::Approval(3)];

    /// Every stage a policy can call an extension at.
    pub fn every() -> impl Iterator<Item = Stage> {
        Stage::ALL.into_iter().chain(Stage::APPROVAL)
    }

    pub const ALL: [Stage; 6] = [
        Stage::RequestCreated,
        Stage::RequestApproved,
        Stage::AssignmentGranted,
        Stage::AssignmentRemoved,
        Stage::FourteenDaysBeforeExpiration,
        Stage::OneDayBeforeExpiration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::RequestCreated => "assignmentRequestCreated",
            Stage::RequestApproved => "assignmentRequestApproved",
            Stage::AssignmentGranted => "assignmentRequestGranted",
            Stage::AssignmentRemoved => "assignmentRequestRemoved",
            Stage::FourteenDaysBeforeExpiration => "assignmentFourteenDaysBeforeExpiration",
            Stage::OneDayBeforeExpiration => "assignmentOneDayBeforeExpiration",
            Stage::Approval(1) => "assignmentRequestApprovalStage1",
            Stage::Approval(2) => "assignmentRequestApprovalStage2",
            Stage::Approval(_) => "assignmentRequestApprovalStage3",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::every().find(|t| t.as_str() == s)
    }

    /// As the policy's Custom extensions step names it.
    pub fn label(self) -> &'static str {
        match self {
            Stage::RequestCreated => "Request is created",
            Stage::RequestApproved => "Request is approved",
            Stage::AssignmentGranted => "Assignment is granted",
            Stage::AssignmentRemoved => "Assignment is removed",
            Stage::FourteenDaysBeforeExpiration => "Assignment is about to expire in 14 days",
            Stage::OneDayBeforeExpiration => "Assignment is about to expire in 1 day",
            Stage::Approval(1) => "Approves stage 1",
            Stage::Approval(2) => "Approves stage 2",
            Stage::Approval(_) => "Approves stage 3",
        }
    }

    /// The approval stage an extension decides, if this is one.
    pub fn approval_stage(self) -> Option<u32> {
        match self {
            Stage::Approval(n) => Some(u32::from(n)),
            _ => None,
        }
    }

    /// Whether a request can wait for the extension's answer at this stage:
    /// only before access is given (the others report what happened).
    pub fn can_wait(self) -> bool {
        matches!(
            self,
            Stage::RequestCreated | Stage::RequestApproved | Stage::Approval(_)
        )
    }

    /// Whether the stage concerns an assignment rather than a request.
    pub fn is_assignment_stage(self) -> bool {
        matches!(
            self,
            Stage::FourteenDaysBeforeExpiration | Stage::OneDayBeforeExpiration
        )
    }

    /// The `type` of a callout and of its callback.
    pub fn event_type(self) -> String {
        format!(
            "microsoft.graph.accessPackageCustomExtensionStage.{}",
            self.as_str()
        )
    }
}

/// What happens when a waited-for answer does not come in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTimeout {
    Continue,
    Deny,
}

impl OnTimeout {
    pub fn as_str(self) -> &'static str {
        match self {
            OnTimeout::Continue => "continue",
            OnTimeout::Deny => "deny",
        }
    }
    pub fn parse(s: &str) -> Option<OnTimeout> {
        match s {
            "continue" => Some(OnTimeout::Continue),
            "deny" => Some(OnTimeout::Deny),
            _ => None,
        }
    }
}

/// Launch and continue, or launch and wait (at most `max_wait_minutes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behavior {
    LaunchAndContinue,
    LaunchAndWait {
        max_wait_minutes: i64,
        on_timeout: OnTimeout,
    },
}

impl Behavior {
    pub fn as_str(self) -> &'static str {
        match self {
            Behavior::LaunchAndContinue => "launchAndContinue",
            Behavior::LaunchAndWait { .. } => "launchAndWait",
        }
    }

    /// For pages: "Launch and wait (up to 2 hours, then deny)".
    pub fn label(self) -> String {
        match self {
            Behavior::LaunchAndContinue => "Launch and continue".into(),
            Behavior::LaunchAndWait {
                max_wait_minutes,
                on_timeout,
            } => format!(
                "Launch and wait (up to {}, then {})",
                wait_label(max_wait_minutes),
                on_timeout.as_str()
            ),
        }
    }

    /// Reads the stored columns back.
    pub fn from_stored(behavior: &str, max_wait: Option<i64>, on_timeout: Option<&str>) -> Self {
        match (behavior, max_wait, on_timeout.and_then(OnTimeout::parse)) {
            ("launchAndWait", Some(m), Some(t)) => Behavior::LaunchAndWait {
                max_wait_minutes: m,
                on_timeout: t,
            },
            _ => Behavior::LaunchAndContinue,
        }
    }
}

/// "90 minutes", "2 hours", "14 days".
pub fn wait_label(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if minutes % (24 * 60) == 0 {
        plural(minutes / (24 * 60), "day")
    } else if minutes % 60 == 0 {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes, "minute")
    }
}

/// How Gatehouse proves itself to the endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authentication {
    /// Standard Webhooks signature headers, with the extension's `whsec_` secret.
    Signature,
    /// A bearer token from an OAuth 2.0 token endpoint (client credentials).
    OAuth {
        token_url: String,
        client_id: String,
        scope: Option<String>,
    },
}

impl Authentication {
    pub fn as_str(&self) -> &'static str {
        match self {
            Authentication::Signature => "signature",
            Authentication::OAuth { .. } => "oauth",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Authentication::Signature => "Signature (Standard Webhooks)",
            Authentication::OAuth { .. } => "OAuth 2.0 client credentials",
        }
    }
}

/// A custom extension's settings, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionProfile {
    pub display_name: String,
    pub description: Option<String>,
    pub endpoint_url: String,
    pub authentication: Authentication,
    pub timeout_seconds: i64,
    pub behavior: Behavior,
}

/// The settings as a form sent them.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ExtensionInput {
    pub display_name: String,
    pub description: String,
    pub endpoint_url: String,
    /// "signature" or "oauth".
    pub authentication: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
    pub timeout_seconds: String,
    /// "launchAndContinue" or "launchAndWait".
    pub behavior: String,
    pub max_wait: String,
    /// "minutes", "hours" or "days".
    pub max_wait_unit: String,
    pub on_timeout: String,
}

pub const MIN_WAIT_MINUTES: i64 = 5;
pub const MAX_WAIT_MINUTES: i64 = 14 * 24 * 60;

/// An endpoint Gatehouse may call: https, or plain http to this machine
/// only (a receiver beside Gatehouse, or a test).
pub fn check_endpoint(raw: &str, what: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(format!("Enter the {what}."));
    }
    let url = url::Url::parse(raw).map_err(|_| {
        format!("The {what} must be a full address, like https://example.com/hooks/gatehouse.")
    })?;
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() || !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "The {what} must name a host, without a user name or password."
        ));
    }
    match url.scheme() {
        "https" => Ok(url.to_string()),
        "http" if is_loopback(host) => Ok(url.to_string()),
        "http" => Err(format!(
            "The {what} must use https (plain http only to this machine: localhost, 127.0.0.1 or ::1)."
        )),
        _ => Err(format!("The {what} must use https.")),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl ExtensionProfile {
    /// Checks the form; `had_oauth_secret`: an OAuth client secret is kept
    /// already, so a blank one keeps it.
    pub fn parse(input: &ExtensionInput, had_oauth_secret: bool) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let display_name = e.check(
            "display_name",
            required_text(&input.display_name, "The name", 256),
        );
        let description = e.check(
            "description",
            optional_text(&input.description, "The description", 1024),
        );
        let endpoint_url = e.check(
            "endpoint_url",
            check_endpoint(&input.endpoint_url, "endpoint URL"),
        );
        let authentication = match input.authentication.as_str() {
            "signature" | "" => Some(Authentication::Signature),
            "oauth" => {
                let token_url = e.check("token_url", check_endpoint(&input.token_url, "token URL"));
                let client_id = e.check(
                    "client_id",
                    required_text(&input.client_id, "The client ID", 256),
                );
                if input.client_secret.trim().is_empty() && !had_oauth_secret {
                    e.add("client_secret", "Enter the client secret.");
                }
                let scope = e.check("scope", optional_text(&input.scope, "The scope", 512));
                match (token_url, client_id, scope) {
                    (Some(token_url), Some(client_id), Some(scope)) => {
                        Some(Authentication::OAuth {
                            token_url,
                            client_id,
                            scope,
                        })
                    }
                    _ => None,
                }
            }
            _ => {
                e.add("authentication", "Choose how Gatehouse signs its calls.");
                None
            }
        };
        let timeout_seconds = match input.timeout_seconds.trim() {
            "" => Some(30),
            t => match t.parse::<i64>() {
                Ok(n) if (1..=120).contains(&n) => Some(n),
                _ => {
                    e.add(
                        "timeout_seconds",
                        "The timeout must be a whole number of seconds from 1 to 120.",
                    );
                    None
                }
            },
        };
        let behavior = match input.behavior.as_str() {
            "launchAndContinue" | "" => Some(Behavior::LaunchAndContinue),
            "launchAndWait" => {
                let unit = match input.max_wait_unit.as_str() {
                    "minutes" => Some(1),
                    "hours" | "" => Some(60),
                    "days" => Some(24 * 60),
                    _ => None,
                };
                let minutes = input
                    .max_wait
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .zip(unit)
                    .and_then(|(n, u)| n.checked_mul(u))
                    .filter(|m| (MIN_WAIT_MINUTES..=MAX_WAIT_MINUTES).contains(m));
                if minutes.is_none() {
                    e.add(
                        "max_wait",
                        "The longest wait must be from 5 minutes to 14 days.",
                    );
                }
                let on_timeout = OnTimeout::parse(&input.on_timeout);
                if on_timeout.is_none() {
                    e.add(
                        "on_timeout",
                        "Choose what happens when no answer comes in time.",
                    );
                }
                minutes
                    .zip(on_timeout)
                    .map(|(max_wait_minutes, on_timeout)| Behavior::LaunchAndWait {
                        max_wait_minutes,
                        on_timeout,
                    })
            }
            _ => {
                e.add(
                    "behavior",
                    "Choose launch and continue, or launch and wait.",
                );
                None
            }
        };
        match (
            display_name,
            description,
            endpoint_url,
            authentication,
            timeout_seconds,
            behavior,
        ) {
            (
                Some(display_name),
                Some(description),
                Some(endpoint_url),
                Some(authentication),
                Some(timeout_seconds),
                Some(behavior),
            ) if e.is_empty() => Ok(ExtensionProfile {
                display_name,
                description,
                endpoint_url,
                authentication,
                timeout_seconds,
                behavior,
            }),
            _ => Err(e),
        }
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64, as the
/// Standard Webhooks libraries expect.
pub fn new_signing_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// A callback token: 32 random bytes, URL-safe.
pub fn new_callback_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body` under the secret's bytes (Standard Webhooks).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a call says about the request or assignment, read when it is first
/// sent.
#[derive(Clone, Debug, Default)]
pub struct CalloutFacts {
    pub callout_id: CalloutId,
    pub stage: Option<Stage>,
    pub request_id: Option<RequestId>,
    pub request_type: Option<RequestType>,
    pub request_state: Option<RequestState>,
    pub answers: Vec<(String, String)>,
    pub justification: Option<String>,
    pub package_id: AccessPackageId,
    pub package_name: String,
    pub package_description: Option<String>,
    pub catalog_id: CatalogId,
    pub catalog_name: String,
    pub catalog_description: Option<String>,
    pub policy_id: PolicyId,
    pub policy_name: String,
    pub assignment_id: Option<AssignmentId>,
    pub assignment_state: Option<String>,
    pub assignment_start: Option<String>,
    pub assignment_end: Option<String>,
    pub requestor_id: Option<UserId>,
    pub requestor_name: String,
    pub requestor_email: String,
    pub target_id: Option<UserId>,
    pub target_name: String,
    pub target_email: String,
    /// Launch and wait: the longest wait, in minutes.
    pub wait_minutes: Option<i64>,
}

/// The body of a call, in the shape the real product sends
/// (`customExtensionCalloutRequest` with `accessPackageAssignmentRequestCalloutData`,
/// or `accessPackageAssignmentCalloutData` before expiry). The callback's
/// address and token are added when it is sent (`with_callback`).
pub fn payload(f: &CalloutFacts) -> Value {
    let stage = f.stage.unwrap_or(Stage::RequestCreated);
    let subject = |id: &Option<UserId>, name: &str, email: &str| json!({"id": id, "objectId": id, "displayName": name, "email": email});
    let assignment = f.assignment_id.as_ref().map(|id| {
        json!({
            "id": id,
            "state": f.assignment_state,
            "schedule": {"startDateTime": f.assignment_start, "expiration": {"endDateTime": f.assignment_end}},
            "assignmentPolicy": {"id": f.policy_id, "displayName": f.policy_name},
            "target": subject(&f.target_id, &f.target_name, &f.target_email),
        })
    });
    let package = json!({"id": f.package_id, "displayName": f.package_name, "description": f.package_description});
    let catalog = json!({"id": f.catalog_id, "displayName": f.catalog_name, "description": f.catalog_description});
    let data = if stage.is_assignment_stage() {
        json!({
            "@odata.type": "microsoft.graph.accessPackageAssignmentCalloutData",
            "stage": stage.as_str(),
            "customExtensionStageInstanceId": f.callout_id,
            "accessPackage": package,
            "accessPackageCatalog": catalog,
            "assignment": assignment,
        })
    } else {
        let answers: Vec<Value> = f
            .answers
            .iter()
            .map(|(q, a)| {
                json!({"@odata.type": "microsoft.graph.accessPackageAnswerString",
                    "value": a, "displayValue": a, "answeredQuestion": {"text": q}})
            })
            .collect();
        json!({
            "@odata.type": "microsoft.graph.accessPackageAssignmentRequestCalloutData",
            "stage": stage.as_str(),
            "customExtensionStageInstanceId": f.callout_id,
            "accessPackageAssignmentRequestId": f.request_id,
            "requestType": f.request_type.map_or("", RequestType::as_str),
            "state": f.request_state.map_or("", RequestState::as_str),
            "status": if f.wait_minutes.is_some() { "WaitingForCallback" } else { "Accepted" },
            "justification": f.justification,
            "answers": answers,
            "accessPackage": package,
            "accessPackageCatalog": catalog,
            "assignment": assignment,
            "requestor": subject(&f.requestor_id, &f.requestor_name, &f.requestor_email),
            "target": subject(&f.target_id, &f.target_name, &f.target_email),
            "callbackConfiguration": f.wait_minutes.map(|m| json!({
                "@odata.type": "microsoft.graph.customExtensionCallbackConfiguration",
                "durationBeforeTimeout": format!("PT{m}M"),
            })),
        })
    };
    json!({
        "source": "Gatehouse",
        "type": stage.event_type(),
        "data": data,
    })
}

/// Adds where and how to call back to a body that waits for an answer.
pub fn with_callback(mut body: Value, url: &str, path: &str, token: &str) -> Value {
    if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
        data.insert("callbackUriPath".into(), json!(path));
        data.insert("callbackUrl".into(), json!(url));
        data.insert("callbackToken".into(), json!(token));
    }
    body
}

/// What a callback asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// No `state`: the request goes on.
    Continue,
    Deny,
    Cancel,
    /// An approver extension approves its stage.
    Approve,
}

impl Answer {
    /// The state a call answered this way ends in.
    pub fn ends_call(self) -> CallState {
        match self {
            Answer::Continue => CallState::Resumed,
            Answer::Approve => CallState::Approved,
            Answer::Deny => CallState::Denied,
            Answer::Cancel => CallState::Canceled,
        }
    }
}

named_values! {
    /// Where one call of a custom extension stands.
    pub enum CallState {
        /// To be sent (again, after a failed attempt, at its next attempt).
        Queued = ("queued", "Queued"),
        /// Sent; nothing waits for an answer.
        Sent = ("sent", "Sent"),
        Waiting = ("waiting", "Waiting for the answer"),
        Resumed = ("resumed", "Answered: continue"),
        Approved = ("approved", "Answered: approve"),
        Denied = ("denied", "Answered: deny"),
        Canceled = ("canceled", "Answered: cancel"),
        TimedOut = ("timedOut", "No answer in time"),
        /// Every attempt failed; an administrator may send it again.
        Failed = ("failed", "Failed"),
        /// The request went on without it (decided, canceled, ended).
        Abandoned = ("abandoned", "Not needed any more"),
    }
}

impl CallState {
    /// Not sent or not answered yet: a call that waits still holds its
    /// request until its wait ends.
    pub fn is_pending(self) -> bool {
        matches!(self, CallState::Queued | CallState::Waiting)
    }

    /// Holds back the request that waits on it: pending, or failed (until an
    /// administrator sends it again or its wait ends).
    pub fn holds_request(self) -> bool {
        self.is_pending() || self == CallState::Failed
    }
}

/// A callback's body, checked against the call it answers: its `type` and
/// `data.stage` name the call's stage, `data.customExtensionStageInstanceId`
/// the call. Returns what it asks for and the detail it gives.
pub fn read_callback(
    body: &Value,
    stage: Stage,
    callout_id: &str,
) -> Result<(Answer, Option<String>), String> {
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .ok_or("The body has no \"data\" object.")?;
    if body.get("type").and_then(Value::as_str) != Some(stage.event_type().as_str()) {
        return Err(format!(
            "\"type\" must be \"{}\" for this call.",
            stage.event_type()
        ));
    }
    if data.get("stage").and_then(Value::as_str) != Some(stage.as_str()) {
        return Err(format!(
            "\"data.stage\" must be \"{}\" for this call.",
            stage.as_str()
        ));
    }
    if data
        .get("customExtensionStageInstanceId")
        .and_then(Value::as_str)
        != Some(callout_id)
    {
        return Err(
            "\"data.customExtensionStageInstanceId\" does not name the call waiting for an answer."
                .into(),
        );
    }
    let detail = match data.get("customExtensionStageInstanceDetail") {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if s.chars()
                .any(|c| c.is_control() && !is_line_break_or_tab(c)) =>
        {
            return Err(
                "\"data.customExtensionStageInstanceDetail\" contains a control character.".into(),
            );
        }
        Some(Value::String(s)) => Some(s.chars().take(1000).collect()),
        Some(_) => return Err("\"data.customExtensionStageInstanceDetail\" must be text.".into()),
    };
    let state = match data.get("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.to_ascii_lowercase()),
        Some(_) => return Err("\"data.state\" must be text.".into()),
    };
    let answer = match (stage.approval_stage(), state.as_deref()) {
        (Some(_), Some("approved")) => Answer::Approve,
        (Some(_), Some("denied")) => Answer::Deny,
        (Some(_), _) => {
            return Err(
                "\"data.state\" must be \"approved\" or \"denied\": this call asks for a decision."
                    .into(),
            );
        }
        (None, None) => Answer::Continue,
        (None, Some("denied")) => Answer::Deny,
        (None, Some("canceled")) => Answer::Cancel,
        (None, Some(_)) => {
            return Err(
                "\"data.state\" must be \"denied\" or \"canceled\", or be left out to continue."
                    .into(),
            );
        }
    };
    Ok((answer, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ExtensionInput {
        ExtensionInput {
            display_name: "Ticketing".into(),
            endpoint_url: "https://hooks.example.com/gatehouse".into(),
            ..Default::default()
        }
    }

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        assert!(check_endpoint("https://x.example/a", "endpoint URL").is_ok());
        assert!(check_endpoint("http://127.0.0.1:9/a", "endpoint URL").is_ok());
        assert!(check_endpoint("http://[::1]:9/a", "endpoint URL").is_ok());
        assert!(check_endpoint("http://localhost/a", "endpoint URL").is_ok());
        assert!(check_endpoint("http://hooks.example.com/a", "endpoint URL").is_err());
        assert!(check_endpoint("ftp://x.example/", "endpoint URL").is_err());
        assert!(check_endpoint("https://u:p@x.example/", "endpoint URL").is_err());
        assert!(check_endpoint("not a url", "endpoint URL").is_err());
    }

    #[test]
    fn the_longest_wait_is_five_minutes_to_fourteen_days() {
        let mut i = input();
        i.behavior = "launchAndWait".into();
        i.on_timeout = "deny".into();
        for (n, unit, ok) in [
            ("4", "minutes", false),
            ("5", "minutes", true),
            ("14", "days", true),
            ("15", "days", false),
            ("337", "hours", false),
            ("x", "hours", false),
        ] {
            i.max_wait = n.into();
            i.max_wait_unit = unit.into();
            assert_eq!(ExtensionProfile::parse(&i, false).is_ok(), ok, "{n} {unit}");
        }
        i.max_wait = "2".into();
        i.max_wait_unit = "hours".into();
        let p = ExtensionProfile::parse(&i, false).unwrap();
        assert_eq!(
            p.behavior.label(),
            "Launch and wait (up to 2 hours, then deny)"
        );
    }

    #[test]
    fn oauth_needs_its_token_url_client_and_secret() {
        let mut i = input();
        i.authentication = "oauth".into();
        let e = ExtensionProfile::parse(&i, false).unwrap_err();
        assert!(e.get("token_url").is_some() && e.get("client_id").is_some());
        assert!(e.get("client_secret").is_some());
        i.token_url = "https://login.example/token".into();
        i.client_id = "gatehouse".into();
        assert!(
            ExtensionProfile::parse(&i, true).is_ok(),
            "a kept secret stays"
        );
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The specification's published test vector.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn a_callback_must_name_the_call_and_its_stage() {
        let stage = Stage::RequestCreated;
        let ok = json!({"source": "x", "type": stage.event_type(),
            "data": {"stage": "assignmentRequestCreated", "customExtensionStageInstanceId": "c1",
                     "customExtensionStageInstanceDetail": "verified"}});
        assert_eq!(
            read_callback(&ok, stage, "c1").unwrap(),
            (Answer::Continue, Some("verified".into()))
        );
        assert!(read_callback(&ok, stage, "c2").is_err(), "another call");
        assert!(read_callback(&ok, Stage::RequestApproved, "c1").is_err());
        let mut denied = ok.clone();
        denied["data"]["state"] = json!("denied");
        assert_eq!(read_callback(&denied, stage, "c1").unwrap().0, Answer::Deny);
        denied["data"]["state"] = json!("approved?");
        assert!(read_callback(&denied, stage, "c1").is_err());
        assert!(read_callback(&json!([1]), stage, "c1").is_err());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
