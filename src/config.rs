//! Settings: an optional TOML file, overridden by `GATEHOUSE_*` environment variables.
//!
//! Every setting is validated here, once, so that a bad value stops start-up with
//! one line naming the setting, and the rest of the program works with parsed types.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;
use url::Url;

pub use crate::domain::secret::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// The database URL; its Debug form hides any password.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    pub kind: DatabaseKind,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let kind = if raw.starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            DatabaseKind::Postgres
        } else {
            let scheme = raw.split(':').next().unwrap_or_default();
            return Err(format!(
                "unknown URL scheme `{scheme}` (expected sqlite:// or postgres://)"
            ));
        };
        if kind == DatabaseKind::Postgres {
            Url::parse(raw).map_err(|e| format!("not a valid URL: {e}"))?;
        }
        Ok(DatabaseUrl {
            url: raw.to_string(),
            kind,
        })
    }

    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with any password replaced, for log lines.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.url.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// One OpenID Connect provider users can sign in with.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    /// Short stable name used in URLs and the database ("home" for the directory's own).
    pub name: String,
    pub display_name: String,
    /// Exactly as configured: ID tokens must name this issuer character for character.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret<String>,
}

#[derive(Debug, Clone)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://`: STARTTLS, required.
    StartTls,
    /// `smtp+insecure://`: plain text, for a local relay or test sink only.
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub public_url: Url,
    pub database_url: DatabaseUrl,
    /// The home directory's provider, when configured.
    pub oidc: Option<OidcProvider>,
    /// Lower-cased emails of administrators.
    pub admins: Vec<String>,
    pub smtp: Option<SmtpSettings>,
    pub mail_from: String,
    pub session_key: Option<Secret<Vec<u8>>>,
    pub demo: bool,
    /// People outside the directory may sign in with a code sent by email.
    /// On by default where the code can reach them (SMTP set) and in demo mode.
    pub email_sign_in: bool,
    /// Seconds between runs of the lifecycle jobs; 0 runs none in this instance.
    pub jobs_interval: u64,
    /// The home provider's sign-ins must say `email_verified: true`.
    pub oidc_require_verified_email: bool,
    /// How a first sign-in finds a person pushed by SCIM (email by default).
    pub oidc_link_claim: crate::domain::user::LinkClaim,
    /// A session nobody used for this long ends.
    pub session_idle: chrono::Duration,
    /// Read the client's address from `X-Forwarded-For` (behind a proxy
    /// that sets it) instead of the connection's peer.
    pub trust_forwarded_for: bool,
}

/// A setting that could not be used: start-up stops with this one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn err(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        message: message.into(),
    }
}

/// The TOML file's shape. Keys are the environment names without the prefix, lower-cased.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    oidc_issuer: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
    admins: Option<AdminList>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    session_key: Option<String>,
    email_sign_in: Option<Flag>,
    jobs_interval_seconds: Option<u64>,
    oidc_require_verified_email: Option<Flag>,
    oidc_link_claim: Option<String>,
    session_idle_minutes: Option<u64>,
    trust_forwarded_for: Option<Flag>,
}

/// A switch in the file: `true` or `"true"` alike.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AdminList {
    One(String),
    Many(Vec<String>),
}

pub const SESSION_KEY_LEN: usize = 64;

impl Config {
    /// Loads the file (explicit path, or `gatehouse.toml` when present) and the environment.
    pub fn load(
        path: Option<&Path>,
        env: &HashMap<String, String>,
        demo: bool,
    ) -> Result<Config, ConfigError> {
        let file = match path {
            Some(p) => read_file(p, true)?,
            None => read_file(&PathBuf::from("gatehouse.toml"), false)?,
        };
        Self::from_sources(file, env, demo)
    }

    fn from_sources(
        file: FileConfig,
        env: &HashMap<String, String>,
        demo: bool,
    ) -> Result<Config, ConfigError> {
        let get = |name: &str, from_file: &Option<String>| -> Option<String> {
            env.get(name)
                .cloned()
                .or_else(|| from_file.clone())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let bind_raw = get("GATEHOUSE_BIND", &file.bind).unwrap_or("127.0.0.1:8080".into());
        let bind: SocketAddr = bind_raw.parse().map_err(|_| {
            err(
                "GATEHOUSE_BIND",
                format!("`{bind_raw}` is not an address and port such as 127.0.0.1:8080"),
            )
        })?;

        let public_raw =
            get("GATEHOUSE_PUBLIC_URL", &file.public_url).unwrap_or("http://127.0.0.1:8080".into());
        let public_url = Url::parse(&public_raw).map_err(|e| {
            err(
                "GATEHOUSE_PUBLIC_URL",
                format!("`{public_raw}` is not a URL: {e}"),
            )
        })?;
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host().is_none() {
            return Err(err(
                "GATEHOUSE_PUBLIC_URL",
                format!("`{public_raw}` must be an http:// or https:// URL with a host"),
            ));
        }

        let db_raw = get("GATEHOUSE_DATABASE_URL", &file.database_url)
            .unwrap_or("sqlite://gatehouse.db".into());
        let database_url =
            DatabaseUrl::parse(&db_raw).map_err(|m| err("GATEHOUSE_DATABASE_URL", m))?;

        let issuer = get("GATEHOUSE_OIDC_ISSUER", &file.oidc_issuer);
        let client_id = get("GATEHOUSE_OIDC_CLIENT_ID", &file.oidc_client_id);
        let client_secret = get("GATEHOUSE_OIDC_CLIENT_SECRET", &file.oidc_client_secret);
        let oidc = match (issuer, client_id, client_secret) {
            (None, None, None) => None,
            (Some(issuer), Some(client_id), Some(secret)) => {
                let issuer_url = Url::parse(&issuer).map_err(|e| {
                    err(
                        "GATEHOUSE_OIDC_ISSUER",
                        format!("`{issuer}` is not a URL: {e}"),
                    )
                })?;
                if !matches!(issuer_url.scheme(), "http" | "https") {
                    return Err(err(
                        "GATEHOUSE_OIDC_ISSUER",
                        format!("`{issuer}` must be an https:// URL"),
                    ));
                }
                Some(OidcProvider {
                    name: "home".into(),
                    display_name: "your organization".into(),
                    issuer,
                    client_id,
                    client_secret: Secret::new(secret),
                })
            }
            (issuer, client_id, _) => {
                let missing = if issuer.is_none() {
                    "GATEHOUSE_OIDC_ISSUER"
                } else if client_id.is_none() {
                    "GATEHOUSE_OIDC_CLIENT_ID"
                } else {
                    "GATEHOUSE_OIDC_CLIENT_SECRET"
                };
                return Err(err(
                    missing,
                    "is missing: an identity provider needs GATEHOUSE_OIDC_ISSUER, GATEHOUSE_OIDC_CLIENT_ID and GATEHOUSE_OIDC_CLIENT_SECRET together",
                ));
            }
        };

        let admins_raw = env.get("GATEHOUSE_ADMINS").cloned().or(match file.admins {
            Some(AdminList::One(s)) => Some(s),
            Some(AdminList::Many(v)) => Some(v.join(",")),
            None => None,
        });
        let mut admins = Vec::new();
        for a in admins_raw.unwrap_or_default().split(',') {
            let a = a.trim();
            if a.is_empty() {
                continue;
            }
            crate::domain::user::Email::parse(a)
                .map_err(|m| err("GATEHOUSE_ADMINS", format!("`{a}`: {m}")))?;
            admins.push(a.to_lowercase());
        }

        let smtp = match get("GATEHOUSE_SMTP_URL", &file.smtp_url) {
            None => None,
            Some(raw) => Some(parse_smtp_url(&raw).map_err(|m| err("GATEHOUSE_SMTP_URL", m))?),
        };

        let mail_from = get("GATEHOUSE_MAIL_FROM", &file.mail_from)
            .unwrap_or("Gatehouse <gatehouse@localhost>".into());
        mail_from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| {
                err(
                    "GATEHOUSE_MAIL_FROM",
                    format!("`{mail_from}` is not a mail address such as `Gatehouse <access@example.com>`: {e}"),
                )
            })?;

        let session_key = match get("GATEHOUSE_SESSION_KEY", &file.session_key) {
            None => None,
            Some(raw) => Some(Secret::new(
                parse_session_key(&raw).map_err(|m| err("GATEHOUSE_SESSION_KEY", m))?,
            )),
        };

        let switch =
            |name: &str, value: &Option<Flag>, default: bool| -> Result<bool, ConfigError> {
                let raw = get(
                    name,
                    &value.as_ref().map(|f| match f {
                        Flag::Bool(b) => b.to_string(),
                        Flag::Text(t) => t.clone(),
                    }),
                );
                match raw {
                    None => Ok(default),
                    Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                        "true" | "on" | "yes" | "1" => Ok(true),
                        "false" | "off" | "no" | "0" => Ok(false),
                        _ => Err(err(name, format!("`{raw}` is neither true nor false"))),
                    },
                }
            };
        let email_sign_in = switch(
            "GATEHOUSE_EMAIL_SIGN_IN",
            &file.email_sign_in,
            smtp.is_some() || demo,
        )?;
        let oidc_require_verified_email = switch(
            "GATEHOUSE_OIDC_REQUIRE_VERIFIED_EMAIL",
            &file.oidc_require_verified_email,
            true,
        )?;
        let oidc_link_claim = match get("GATEHOUSE_OIDC_LINK_CLAIM", &file.oidc_link_claim) {
            None => crate::domain::user::LinkClaim::Email,
            Some(raw) => crate::domain::user::LinkClaim::parse(&raw).ok_or_else(|| {
                err(
                    "GATEHOUSE_OIDC_LINK_CLAIM",
                    format!("`{raw}` is not one of email, sub, oid, preferred_username"),
                )
            })?,
        };
        let trust_forwarded_for = switch(
            "GATEHOUSE_TRUST_FORWARDED_FOR",
            &file.trust_forwarded_for,
            false,
        )?;
        let session_idle = match get(
            "GATEHOUSE_SESSION_IDLE_MINUTES",
            &file.session_idle_minutes.map(|n| n.to_string()),
        ) {
            None => chrono::Duration::minutes(60),
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (5..=720).contains(&n) => chrono::Duration::minutes(n),
                _ => {
                    return Err(err(
                        "GATEHOUSE_SESSION_IDLE_MINUTES",
                        format!("`{raw}` is not a number of minutes from 5 to 720"),
                    ));
                }
            },
        };

        let jobs_interval = match get(
            "GATEHOUSE_JOBS_INTERVAL_SECONDS",
            &file.jobs_interval_seconds.map(|n| n.to_string()),
        ) {
            Some(raw) => raw.parse::<u64>().map_err(|_| {
                err(
                    "GATEHOUSE_JOBS_INTERVAL_SECONDS",
                    format!("`{raw}` is not a whole number of seconds"),
                )
            })?,
            None => 30,
        };

        Ok(Config {
            jobs_interval,
            email_sign_in,
            oidc_require_verified_email,
            oidc_link_claim,
            session_idle,
            trust_forwarded_for,
            bind,
            public_url,
            database_url,
            oidc,
            admins,
            smtp,
            mail_from,
            session_key,
            demo,
        })
    }

    /// Whether cookies must be marked Secure.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// An absolute URL for a path of this instance.
    pub fn url_for(&self, path: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

fn read_file(path: &Path, required: bool) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileConfig::default());
        }
        Err(e) => {
            return Err(err(
                "--config",
                format!("cannot read {}: {e}", path.display()),
            ));
        }
    };
    toml::from_str(&text).map_err(|e| {
        err(
            "--config",
            format!("{}: {}", path.display(), e.message().replace('\n', " ")),
        )
    })
}

/// Accepts 64 or more bytes, base64 (standard or URL-safe, padded or not) or hex.
pub fn parse_session_key(raw: &str) -> Result<Vec<u8>, String> {
    let bytes = if raw.len() >= 2 * SESSION_KEY_LEN && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..raw.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&raw[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| "is not valid hex".to_string())?
    } else {
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        engines
            .iter()
            .find_map(|e| e.decode(raw).ok())
            .ok_or_else(|| {
                "is not base64 or hex (generate one with `openssl rand -base64 64`)".to_string()
            })?
    };
    if bytes.len() < SESSION_KEY_LEN {
        return Err(format!(
            "is {} bytes long; at least {SESSION_KEY_LEN} random bytes are needed (generate one with `openssl rand -base64 64`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn parse_smtp_url(raw: &str) -> Result<SmtpSettings, String> {
    // Never echo the raw value: it may hold a password.
    let url = Url::parse(raw).map_err(|e| format!("is not a URL: {e}"))?;
    let (security, default_port) = match url.scheme() {
        "smtps" => (SmtpSecurity::Tls, 465),
        "smtp" => (SmtpSecurity::StartTls, 587),
        "smtp+insecure" => (SmtpSecurity::None, 25),
        other => {
            return Err(format!(
                "unknown URL scheme `{other}` (expected smtp://, smtps:// or smtp+insecure://)"
            ));
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("has no host")?
        .to_string();
    let decode = |s: &str| {
        percent_decode(s).ok_or_else(|| {
            "has a user name or password that is not valid percent-encoding".to_string()
        })
    };
    let username = match url.username() {
        "" => None,
        u => Some(decode(u)?),
    };
    let password = match url.password() {
        None => None,
        Some(p) => Some(Secret::new(decode(p)?)),
    };
    Ok(SmtpSettings {
        host,
        port: url.port().unwrap_or(default_port),
        security,
        username,
        password,
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_sources(FileConfig::default(), &env, false)
    }

    #[test]
    fn defaults_are_loopback_and_sqlite() {
        let c = load(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url.kind, DatabaseKind::Sqlite);
        assert!(c.oidc.is_none());
        assert!(c.admins.is_empty());
    }

    #[test]
    fn bad_values_name_the_setting() {
        assert_eq!(
            load(&[("GATEHOUSE_BIND", "nope")]).unwrap_err().setting,
            "GATEHOUSE_BIND"
        );
        let e = load(&[("GATEHOUSE_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.setting, "GATEHOUSE_DATABASE_URL");
        assert!(e.message.contains("unknown URL scheme `mysql`"));
        let e = load(&[("GATEHOUSE_SESSION_KEY", "c2hvcnQ=")]).unwrap_err();
        assert_eq!(e.setting, "GATEHOUSE_SESSION_KEY");
        let e = load(&[("GATEHOUSE_ADMINS", "a@b.test, not-an-email")]).unwrap_err();
        assert_eq!(e.setting, "GATEHOUSE_ADMINS");
        let e = load(&[("GATEHOUSE_OIDC_ISSUER", "https://idp.test")]).unwrap_err();
        assert_eq!(e.setting, "GATEHOUSE_OIDC_CLIENT_ID");
    }

    #[test]
    fn smtp_password_is_never_echoed() {
        let e = load(&[("GATEHOUSE_SMTP_URL", "ftp://u:hunter2@host")]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        let c = load(&[("GATEHOUSE_SMTP_URL", "smtp://me%40x.test:p%2Fw@mail.test")]).unwrap();
        let smtp = c.smtp.unwrap();
        assert_eq!(smtp.username.as_deref(), Some("me@x.test"));
        assert_eq!(smtp.password.unwrap().expose(), "p/w");
        assert_eq!(smtp.port, 587);
        assert!(
            !format!(
                "{:?}",
                load(&[
                    ("GATEHOUSE_OIDC_ISSUER", "https://i.test"),
                    ("GATEHOUSE_OIDC_CLIENT_ID", "c"),
                    ("GATEHOUSE_OIDC_CLIENT_SECRET", "s3cr3t")
                ])
                .unwrap()
            )
            .contains("s3cr3t")
        );
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let path = std::env::temp_dir().join(format!("gatehouse-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\nadmins = [\"A@Example.test\", \"b@example.test\"]\nmail_from = \"Access <access@example.test>\"\n",
        )
        .unwrap();
        let env = HashMap::from([("GATEHOUSE_BIND".to_string(), "127.0.0.1:9001".to_string())]);
        let c = Config::load(Some(&path), &env, false).unwrap();
        assert_eq!(c.bind.port(), 9001);
        assert_eq!(c.admins, vec!["a@example.test", "b@example.test"]);
        assert_eq!(c.mail_from, "Access <access@example.test>");
        std::fs::write(&path, "bindd = 1\n").unwrap();
        let e = Config::load(Some(&path), &HashMap::new(), false).unwrap_err();
        assert_eq!(e.setting, "--config");
        assert!(e.message.contains("bindd"), "{}", e.message);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn database_password_is_redacted() {
        let u = DatabaseUrl::parse("postgres://app:pw@127.0.0.1:5432/app").unwrap();
        assert!(!format!("{u:?}").contains("pw@"));
    }

    #[test]
    fn session_key_accepts_base64_of_64_bytes() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        assert_eq!(parse_session_key(&key).unwrap().len(), 64);
        assert!(parse_session_key("!!!").is_err());
    }
}
