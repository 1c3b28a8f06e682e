//! Facts about the organization that runs Gatehouse: its own mail domains,
//! the outside domains guests may come from, and the time zone its days are
//! counted in (access reviews start on days).

use serde::{Deserialize, Serialize};

use super::connected_org::parse_domains;
use super::validation::FieldErrors;

/// The name `TenantSettings::time_zone` is stored under, for whoever reads
/// only the zone from the stored document.
pub const TENANT_TIME_ZONE: &str = "timeZone";

/// The tenant's own settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSettings {
    /// The organization's own mail domains. An address in one of them is the
    /// organization's: never a guest's, never a connected organization's.
    pub domains: Vec<String>,
    /// An IANA time zone name; empty is UTC.
    pub time_zone: String,
    /// Which outside domains new guests may come from (Entra's B2B
    /// collaboration restrictions, which win over entitlement management).
    pub collaboration: Collaboration,
    /// The domains `collaboration` denies or allows; each covers its
    /// subdomains.
    pub collaboration_domains: Vec<String>,
    /// Whether requestors see who is asked to decide their pending requests
    /// (Entra's "show approver details", off by default): the default, for
    /// policies that say neither Yes nor No.
    pub show_approvers: bool,
}

/// Entra's collaboration restrictions: to which domains invitations may go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Collaboration {
    /// "Allow invitations to be sent to any domain (most inclusive)".
    #[default]
    AnyDomain,
    /// "Deny invitations to the specified domains".
    DenyDomains,
    /// "Allow invitations only to the specified domains (most restrictive)".
    AllowOnlyDomains,
}

impl Collaboration {
    pub fn parse(s: &str) -> Option<Collaboration> {
        match s {
            "anyDomain" => Some(Collaboration::AnyDomain),
            "denyDomains" => Some(Collaboration::DenyDomains),
            "allowOnlyDomains" => Some(Collaboration::AllowOnlyDomains),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Collaboration::AnyDomain => "anyDomain",
            Collaboration::DenyDomains => "denyDomains",
            Collaboration::AllowOnlyDomains => "allowOnlyDomains",
        }
    }

    /// As the settings form names it.
    pub fn label(self) -> &'static str {
        match self {
            Collaboration::AnyDomain => "Any domain",
            Collaboration::DenyDomains => "Any domain except those listed",
            Collaboration::AllowOnlyDomains => "Only the domains listed",
        }
    }
}

/// What the settings form sends.
#[derive(Clone, Copy, Debug, Default)]
pub struct TenantInput<'a> {
    pub domains: &'a str,
    pub time_zone: &'a str,
    pub collaboration: &'a str,
    pub collaboration_domains: &'a str,
    pub show_approvers: bool,
}

impl TenantSettings {
    /// Reads the settings form (domains one per line or comma-separated;
    /// the time zone an IANA name, empty for UTC).
    pub fn parse(input: TenantInput) -> Result<TenantSettings, FieldErrors> {
        let mut e = FieldErrors::new();
        let domains = e.check("domains", parse_domains(input.domains));
        let collaboration = Collaboration::parse(input.collaboration);
        if collaboration.is_none() {
            e.add(
                "collaboration",
                "Choose to which domains guests may belong.",
            );
        }
        // A list that means nothing is neither checked nor kept.
        let listed = match collaboration {
            Some(Collaboration::AnyDomain) => Some(Vec::new()),
            _ => e.check(
                "collaboration_domains",
                parse_domains(input.collaboration_domains),
            ),
        };
        match (collaboration, &listed) {
            (Some(Collaboration::DenyDomains | Collaboration::AllowOnlyDomains), Some(l))
                if l.is_empty() =>
            {
                e.add("collaboration_domains", "List at least one domain.");
            }
            (_, Some(l)) if l.len() > 100 => {
                e.add("collaboration_domains", "List at most 100 domains.");
            }
            _ => {}
        }
        let time_zone = input.time_zone.trim();
        if !time_zone.is_empty() && time_zone.parse::<chrono_tz::Tz>().is_err() {
            e.add(
                "time_zone",
                "Give a time zone name like Europe/Amsterdam or America/New_York, or leave it empty for UTC.",
            );
        }
        match domains {
            Some(domains) if domains.len() > 100 => {
                e.add("domains", "List at most 100 domains.");
                Err(e)
            }
            Some(domains) if e.is_empty() => {
                let collaboration = collaboration.unwrap_or_default();
                Ok(TenantSettings {
                    domains,
                    time_zone: time_zone.to_string(),
                    collaboration,
                    collaboration_domains: listed.unwrap_or_default(),
                    show_approvers: input.show_approvers,
                })
            }
            _ => Err(e),
        }
    }

    /// The time zone the organization's days are counted in.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// Whether a mail domain (lower case) is one of the organization's own.
    pub fn owns_domain(&self, domain: &str) -> bool {
        let domain = domain.to_lowercase();
        self.domains.contains(&domain)
    }

    /// Whether an address is at one of the organization's own domains.
    pub fn owns_address(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, d)| self.owns_domain(d))
    }

    /// The domain of an address from outside when the collaboration
    /// restrictions keep it from becoming a guest; `None` when it may.
    pub fn refuses_guest<'a>(&self, email: &'a str) -> Option<&'a str> {
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or(email);
        // The listed domains are ASCII: a name in other letters is compared
        // in its ASCII (IDNA) form, so that it cannot slip past the list.
        let lower = match url::Host::parse(domain) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => domain.to_lowercase(),
        };
        let listed = self.collaboration_domains.iter().any(|d| {
            lower == *d
                || lower
                    .strip_suffix(d.as_str())
                    .is_some_and(|p| p.ends_with('.'))
        });
        let admitted = match self.collaboration {
            Collaboration::AnyDomain => true,
            Collaboration::DenyDomains => !listed,
            Collaboration::AllowOnlyDomains => listed,
        };
        (!admitted).then_some(domain)
    }
}

/// Why someone from `domain` cannot become a guest, in their words.
pub fn refused_domain(domain: &str) -> String {
    format!(
        "This organization does not admit guests from {domain}. Ask your contact there which address to use."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(domains: &'a str, time_zone: &'a str) -> TenantInput<'a> {
        TenantInput {
            domains,
            time_zone,
            collaboration: "anyDomain",
            collaboration_domains: "",
            show_approvers: false,
        }
    }

    #[test]
    fn own_domains_are_matched_whole_and_without_case() {
        let t = TenantSettings::parse(form("Gatehouse.demo, example.com", "")).unwrap();
        assert!(t.owns_address("Nina@GATEHOUSE.demo"));
        assert!(!t.owns_address("nina@evil-gatehouse.demo"));
        assert!(!t.owns_address("nina@contoso.com"));
        assert!(TenantSettings::parse(form("not a domain", "")).is_err());
    }

    #[test]
    fn the_time_zone_is_stored_under_its_constant_name() {
        let t = TenantSettings {
            time_zone: "Europe/Amsterdam".into(),
            ..TenantSettings::default()
        };
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v[TENANT_TIME_ZONE], "Europe/Amsterdam");
    }

    #[test]
    fn the_time_zone_is_an_iana_name_or_utc() {
        let t = TenantSettings::parse(form("", "Europe/Amsterdam")).unwrap();
        assert_eq!(t.tz(), chrono_tz::Europe::Amsterdam);
        assert_eq!(TenantSettings::default().tz(), chrono_tz::UTC);
        let e = TenantSettings::parse(form("", "Mars/Olympus")).unwrap_err();
        assert!(e.get("time_zone").is_some());
    }

    #[test]
    fn collaboration_restrictions_admit_or_refuse_a_domain_and_its_subdomains() {
        let with = |collaboration: &'static str, listed: &'static str| {
            TenantSettings::parse(TenantInput {
                collaboration,
                collaboration_domains: listed,
                ..form("", "")
            })
        };
        let any = TenantSettings::default();
        assert_eq!(any.refuses_guest("pat@anywhere.example"), None);
        let deny = with("denyDomains", "gmail.com\nrival.example").unwrap();
        assert_eq!(deny.refuses_guest("pat@GMAIL.com"), Some("GMAIL.com"));
        assert_eq!(
            deny.refuses_guest("pat@eu.rival.example"),
            Some("eu.rival.example")
        );
        assert_eq!(deny.refuses_guest("pat@notrival.example"), None);
        assert_eq!(deny.refuses_guest("pat@contoso.com"), None);
        let idn = with("denyDomains", "xn--bcher-kva.example").unwrap();
        assert_eq!(
            idn.refuses_guest("pat@Bücher.example"),
            Some("Bücher.example")
        );
        let only = with("allowOnlyDomains", "contoso.com").unwrap();
        assert_eq!(only.refuses_guest("pat@sales.contoso.com"), None);
        assert_eq!(only.refuses_guest("pat@fabrikam.com"), Some("fabrikam.com"));
        // A list is needed to deny or allow, and is not kept for "any".
        let e = with("allowOnlyDomains", "").unwrap_err();
        assert_eq!(
            e.get("collaboration_domains"),
            Some("List at least one domain.")
        );
        assert!(
            with("sometimes", "")
                .unwrap_err()
                .get("collaboration")
                .is_some()
        );
        assert!(
            with("anyDomain", "contoso.com")
                .unwrap()
                .collaboration_domains
                .is_empty()
        );
        assert!(
            with("anyDomain", "not a domain").is_ok(),
            "an unused list is not checked"
        );
        let old: TenantSettings = serde_json::from_str(r#"{"domains":[],"timeZone":""}"#).unwrap();
        assert_eq!(old.collaboration, Collaboration::AnyDomain);
    }
}
