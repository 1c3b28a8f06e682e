//! Facts about the organization that runs Gatehouse: its own mail domains,
//! and the time zone its days are counted in (access reviews start on days).

use serde::{Deserialize, Serialize};

use super::connected_org::parse_domains;
use super::validation::FieldErrors;

/// The tenant's own settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSettings {
    /// The organization's own mail domains. An address in one of them is the
    /// organization's: never a guest's, never a connected organization's.
    pub domains: Vec<String>,
    /// An IANA time zone name; empty is UTC.
    pub time_zone: String,
}

impl TenantSettings {
    /// Reads the settings form (`domains`: one per line or comma-separated;
    /// `time_zone`: an IANA name, empty for UTC).
    pub fn parse(domains: &str, time_zone: &str) -> Result<TenantSettings, FieldErrors> {
        let mut e = FieldErrors::new();
        let domains = e.check("domains", parse_domains(domains));
        let time_zone = time_zone.trim();
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
            Some(domains) if e.is_empty() => Ok(TenantSettings {
                domains,
                time_zone: time_zone.to_string(),
            }),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_domains_are_matched_whole_and_without_case() {
        let t = TenantSettings::parse("Gatehouse.demo, example.com", "").unwrap();
        assert!(t.owns_address("Nina@GATEHOUSE.demo"));
        assert!(!t.owns_address("nina@evil-gatehouse.demo"));
        assert!(!t.owns_address("nina@contoso.com"));
        assert!(TenantSettings::parse("not a domain", "").is_err());
    }

    #[test]
    fn the_time_zone_is_an_iana_name_or_utc() {
        let t = TenantSettings::parse("", "Europe/Amsterdam").unwrap();
        assert_eq!(t.tz(), chrono_tz::Europe::Amsterdam);
        assert_eq!(TenantSettings::default().tz(), chrono_tz::UTC);
        let e = TenantSettings::parse("", "Mars/Olympus").unwrap_err();
        assert!(e.get("time_zone").is_some());
    }
}
