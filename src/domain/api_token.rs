//! API tokens: what machines present to Gatehouse's machine interfaces
//! (SCIM provisioning now). A token is shown once when made; only its
//! SHA-256 is kept, so a stolen database does not give the tokens away.

use chrono::{DateTime, Utc};

use crate::domain::request::local_to_utc;
use crate::domain::validation::{FieldErrors, required_text};

/// What a token may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Scim,
}

impl Purpose {
    pub const ALL: [Purpose; 1] = [Purpose::Scim];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Purpose::Scim => "SCIM provisioning",
        }
    }
}

/// Tokens start with this, so that they are recognized where they leak.
pub const PREFIX: &str = "ghs_";

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    crate::domain::digest::sha256_hex(token)
}

/// The first characters, shown on the console to tell tokens apart.
pub fn hint(token: &str) -> String {
    token.chars().take(PREFIX.len() + 4).collect()
}

/// A new token's settings, as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub purpose: Purpose,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewToken {
    /// `expires`: a day (YYYY-MM-DD, the end of that day in `tz`, the
    /// administrator's zone) or empty for a token that does not expire; it
    /// must be in the future.
    pub fn parse(
        name: &str,
        purpose: &str,
        expires: &str,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<NewToken, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", required_text(name, "Name", 100));
        let purpose = Purpose::parse(purpose);
        if purpose.is_none() {
            e.add("purpose", "Choose what the token is for.");
        }
        let expires = expires.trim();
        let expires_at = if expires.is_empty() {
            None
        } else {
            match crate::domain::validation::calendar_day(expires) {
                Some(d) => {
                    let end = d
                        .and_hms_opt(23, 59, 59)
                        .and_then(|t| local_to_utc(tz, t))
                        .unwrap_or(now);
                    if end <= now {
                        e.add("expires", "The expiry must be in the future.");
                    }
                    Some(end)
                }
                None => {
                    e.add(
                        "expires",
                        "Enter a date such as 2027-06-30, or leave it empty.",
                    );
                    None
                }
            }
        };
        match (name, purpose, e.is_empty()) {
            (Some(name), Some(purpose), true) => Ok(NewToken {
                name,
                purpose,
                expires_at,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let now = "2026-12-01T10:00:00Z".parse().unwrap();
        let t = NewToken::parse(" Entra ID ", "scim", "2027-01-31", chrono_tz::UTC, now).unwrap();
        assert_eq!(t.name, "Entra ID");
        assert_eq!(
            t.expires_at.unwrap().to_rfc3339(),
            "2027-01-31T23:59:59+00:00"
        );
        // The day is the administrator's: it ends earlier in Tokyo.
        let tokyo = NewToken::parse("x", "scim", "2027-01-31", chrono_tz::Asia::Tokyo, now);
        assert_eq!(
            tokyo.unwrap().expires_at.unwrap().to_rfc3339(),
            "2027-01-31T14:59:59+00:00"
        );
        let e = NewToken::parse("", "api", "2020-01-01", chrono_tz::UTC, now).unwrap_err();
        assert!(
            e.get("name").is_some() && e.get("purpose").is_some() && e.get("expires").is_some()
        );
        // A year chrono reads but no calendar arithmetic survives: an error
        // beside the field, west of Greenwich too.
        let far = NewToken::parse(
            "x",
            "scim",
            "+262142-12-31",
            chrono_tz::America::New_York,
            now,
        );
        assert!(far.unwrap_err().get("expires").is_some());
        assert_eq!(hash("x").len(), 64);
        assert_eq!(hint("ghs_abcdefgh"), "ghs_abcd");
    }
}
