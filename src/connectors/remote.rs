//! What every call to a remote system shares: how long it may take, what a
//! refusal means for trying again, and how much of its answer and its words
//! Gatehouse takes.

use std::time::Duration;

use crate::domain::provisioning::Failure;

/// How long one call to a target may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Why an operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    /// The target is down, slow or refused for now: try again later.
    Temporary(String),
    /// Trying again cannot help until something changes (a person missing,
    /// a group gone).
    Permanent(String),
    /// The target asked to be left alone this long (`429` or `503` with
    /// `Retry-After`): the next try waits at least that.
    Wait(String, std::time::Duration),
}

impl OpError {
    pub fn message(&self) -> &str {
        match self {
            OpError::Temporary(m) | OpError::Permanent(m) | OpError::Wait(m, _) => m,
        }
    }
}

/// What the domain's retry rule reads of a target's refusal.
impl From<OpError> for Failure {
    fn from(e: OpError) -> Failure {
        match e {
            OpError::Temporary(reason) => Failure::Passing { reason, wait: None },
            OpError::Wait(reason, wait) => Failure::Passing {
                reason,
                wait: Some(wait),
            },
            OpError::Permanent(reason) => Failure::Lasting(reason),
        }
    }
}

/// How long a `Retry-After` value (RFC 9110 §10.2.3) asks to wait: seconds,
/// or an HTTP date; at most an hour, so that a bad value cannot park the
/// queue.
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<std::time::Duration> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&chrono::Utc) - now).num_seconds().max(0) as u64
        }
    };
    Some(std::time::Duration::from_secs(secs.min(3600)))
}

/// Words a remote system wrote, fit to keep and show: its control
/// characters (a NUL, which PostgreSQL refuses in text and would roll back the
/// batch that records it, or line breaks) become spaces, and at most 500
/// characters are kept.
pub fn remote_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect()
}

/// Drops the NULs from a remote value's strings: no text column takes one,
/// and no name or id Gatehouse sends back holds one.
pub fn without_nul(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "").into()
    } else {
        s.into()
    }
}

/// The most of a target's answer Gatehouse reads: a larger one is refused
/// rather than held in memory.
pub const MAX_ANSWER: usize = 64 << 20;

/// A response's body up to `limit` bytes, and whether that was all of it.
pub async fn body_at_most(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, false));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, true))
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_is_a_passing_or_lasting_failure() {
        use super::{Failure, OpError};
        let wait = std::time::Duration::from_secs(60);
        assert_eq!(
            Failure::from(OpError::Wait("busy".into(), wait)),
            Failure::Passing {
                reason: "busy".into(),
                wait: Some(wait)
            }
        );
        assert_eq!(
            Failure::from(OpError::Temporary("down".into())),
            Failure::Passing {
                reason: "down".into(),
                wait: None
            }
        );
        assert_eq!(
            Failure::from(OpError::Permanent("no such group".into())),
            Failure::Lasting("no such group".into())
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        use super::retry_after;
        let now = "2026-12-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            retry_after("120", now),
            Some(std::time::Duration::from_secs(120))
        );
        assert_eq!(
            retry_after("Tue, 01 Dec 2026 10:05:00 GMT", now),
            Some(std::time::Duration::from_secs(300))
        );
        assert_eq!(
            retry_after("99999", now),
            Some(std::time::Duration::from_secs(3600))
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
