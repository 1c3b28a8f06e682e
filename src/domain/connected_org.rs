//! Connected organizations: other organizations whose people may request access.

use crate::domain::named::named_values;

use super::secret::Secret;
use super::validation::{FieldErrors, optional_long_text, optional_text, required_text};

named_values! {
    /// Graph `connectedOrganization.state`: only configured ones count as
    /// "all configured connected organizations".
    pub enum ConnectedOrgState {
        Configured = ("configured", "Configured"),
        /// Proposed when someone from an unknown domain asked for access.
        Proposed = ("proposed", "Proposed"),
    }
}

/// An OpenID Connect provider through which the organization's people sign in.
#[derive(Clone, Debug, PartialEq)]
pub struct OidcSource {
    pub issuer: String,
    pub client_id: String,
    /// `None` on edit keeps the stored secret.
    pub client_secret: Option<Secret<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConnectedOrgProfile {
    pub display_name: String,
    pub description: Option<String>,
    pub state: ConnectedOrgState,
    pub domains: Vec<String>,
    pub oidc: Option<OidcSource>,
}

impl ConnectedOrgProfile {
    /// An empty secret field is `None`: on edit it keeps the one stored,
    /// which only the service knows of (it refuses a provider without one).
    pub fn parse(input: &ConnectedOrgInput) -> Result<ConnectedOrgProfile, FieldErrors> {
        let mut e = FieldErrors::new();
        let display_name = e.check(
            "display_name",
            required_text(&input.display_name, "Name", 256),
        );
        let description = e.check(
            "description",
            optional_long_text(&input.description, "Description", 2000),
        );
        let state = ConnectedOrgState::parse(&input.state);
        if state.is_none() {
            e.add("state", "Choose configured or proposed.");
        }
        let domains = e.check("domains", parse_domains(&input.domains));
        let issuer = e
            .check(
                "oidc_issuer",
                optional_text(&input.oidc_issuer, "Issuer", 2000),
            )
            .flatten();
        let client_id = e
            .check(
                "oidc_client_id",
                optional_text(&input.oidc_client_id, "Client id", 500),
            )
            .flatten();
        let secret = e
            .check(
                "oidc_client_secret",
                optional_text(&input.oidc_client_secret, "Client secret", 2000),
            )
            .flatten();
        let oidc = match (issuer, client_id) {
            (None, None) => {
                if secret.is_some() {
                    e.add(
                        "oidc_issuer",
                        "A client secret needs an issuer and a client id.",
                    );
                }
                None
            }
            (Some(issuer), Some(client_id)) => {
                match url::Url::parse(&issuer) {
                    Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
                    _ => e.add("oidc_issuer", "The issuer must be an https:// URL."),
                }
                // Kept as typed: ID tokens must name the issuer exactly.
                Some(OidcSource {
                    issuer,
                    client_id,
                    client_secret: secret.map(Secret::new),
                })
            }
            (None, Some(_)) => {
                e.add("oidc_issuer", "Enter the issuer, or clear the client id.");
                None
            }
            (Some(_), None) => {
                e.add(
                    "oidc_client_id",
                    "Enter the client id, or clear the issuer.",
                );
                None
            }
        };
        if let Some(domains) = &domains {
            if domains.is_empty()
                && oidc.is_none()
                && e.get("oidc_issuer").is_none()
                && e.get("oidc_client_id").is_none()
            {
                e.add("domains", "Give at least one identity source: an email domain or an OpenID Connect provider.");
            }
        }
        match (display_name, description, state, domains) {
            (Some(display_name), Some(description), Some(state), Some(domains)) if e.is_empty() => {
                Ok(ConnectedOrgProfile {
                    display_name,
                    description,
                    state,
                    domains,
                    oidc,
                })
            }
            _ => Err(e),
        }
    }
}

/// Not `Debug`: it holds the typed client secret.
#[derive(Clone, Default)]
pub struct ConnectedOrgInput {
    pub display_name: String,
    pub description: String,
    pub state: String,
    /// One per line or comma-separated.
    pub domains: String,
    pub oidc_issuer: String,
    pub oidc_client_id: String,
    pub oidc_client_secret: String,
}

pub fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| c == ',' || c == '\n' || c.is_whitespace()) {
        let d = raw.trim().trim_start_matches('@').to_lowercase();
        if d.is_empty() {
            continue;
        }
        // DNS's limits: 253 characters, 63 a label.
        let valid = d.contains('.')
            && d.len() <= 253
            && d.split('.').all(|l| l.len() <= 63)
            && !d.starts_with('.')
            && !d.ends_with('.')
            && d.split('.')
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(format!("`{d}` is not a domain name such as contoso.com."));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ConnectedOrgInput {
        ConnectedOrgInput {
            display_name: "Contoso".into(),
            state: "configured".into(),
            domains: "contoso.com, @Fabrikam.com".into(),
            ..Default::default()
        }
    }

    #[test]
    fn domains_or_a_provider_are_required() {
        let p = ConnectedOrgProfile::parse(&input()).unwrap();
        assert_eq!(p.domains, vec!["contoso.com", "fabrikam.com"]);
        let mut none = input();
        none.domains = String::new();
        assert!(
            ConnectedOrgProfile::parse(&none)
                .unwrap_err()
                .get("domains")
                .is_some()
        );
        none.oidc_issuer = "https://login.contoso.com/".into();
        none.oidc_client_id = "abc".into();
        none.oidc_client_secret = "s".into();
        assert_eq!(
            ConnectedOrgProfile::parse(&none)
                .unwrap()
                .oidc
                .unwrap()
                .issuer,
            "https://login.contoso.com/"
        );
        let mut bad = input();
        bad.domains = "not a domain!".into();
        assert!(ConnectedOrgProfile::parse(&bad).is_err());
    }
}
