//! Facts about the organization that runs Gatehouse: its own mail domains.

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
}

impl TenantSettings {
    /// Reads the settings form (`domains`: one per line or comma-separated).
    pub fn parse(domains: &str) -> Result<TenantSettings, FieldErrors> {
        let mut e = FieldErrors::new();
        let domains = e.check("domains", parse_domains(domains));
        match domains {
            Some(domains) if domains.len() <= 100 => Ok(TenantSettings { domains }),
            Some(_) => {
                e.add("domains", "List at most 100 domains.");
                Err(e)
            }
            None => Err(e),
        }
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
        let t = TenantSettings::parse("Gatehouse.demo, example.com").unwrap();
        assert!(t.owns_address("Nina@GATEHOUSE.demo"));
        assert!(!t.owns_address("nina@evil-gatehouse.demo"));
        assert!(!t.owns_address("nina@contoso.com"));
        assert!(TenantSettings::parse("not a domain").is_err());
    }
}
