//! SCIM 2.0 applications (RFC 7643, RFC 7644) as a client: people found by
//! `userName` or primary email, membership through PATCH on the Group.
//!
//! Requests use what most service providers accept: lower-case operations,
//! `path: "members"` with a value array to add, a filtered path to remove,
//! the PatchOp schema always named.

use std::error::Error as _;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::entries::{Account, FoundGroup, Person};
use super::remote::{OpError, TIMEOUT};
use crate::domain::connected_system::ScimSettings;
use crate::domain::secret::Secret;
use crate::domain::validation::thousands;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CONTENT_TYPE: &str = "application/scim+json";

pub struct ScimSession {
    http: reqwest::Client,
    settings: ScimSettings,
    token: String,
}

/// A string inside a SCIM filter's double quotes.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The error's text and its causes' (a DNS failure is a cause of a connect error).
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn transport(what: &str, e: reqwest::Error) -> OpError {
    if e.is_timeout() {
        OpError::Temporary(format!("{what}: no answer within {} s", TIMEOUT.as_secs()))
    } else {
        OpError::Temporary(format!("{what}: {}", chain(&e)))
    }
}

/// What a non-success status means; `detail` is the SCIM error's text.
fn status_error(what: &str, status: StatusCode, detail: &str) -> OpError {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    let code = status.as_u16();
    match code {
        401 => OpError::Temporary(format!(
            "{what}: the token was refused (401 Unauthorized){detail}"
        )),
        403 => OpError::Temporary(format!(
            "{what}: the token may not do this (403 Forbidden){detail}"
        )),
        408 | 425 | 429 => OpError::Temporary(format!("{what}: asked to wait ({code}){detail}")),
        500..=599 => OpError::Temporary(format!("{what}: the application failed ({code}){detail}")),
        _ => OpError::Permanent(format!("{what}: refused ({code}){detail}")),
    }
}

impl ScimSession {
    pub fn open(s: &ScimSettings, secret: &Secret<String>) -> Result<ScimSession, OpError> {
        let http = reqwest::Client::builder()
            .timeout(super::remote::TIMEOUT)
            .connect_timeout(super::remote::TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OpError::Temporary(format!("cannot start an HTTP client: {e}")))?;
        Ok(ScimSession {
            http,
            settings: s.clone(),
            token: secret.expose().clone(),
        })
    }

    /// Sends a request; `Ok(None)` for 404, the JSON body (or null) otherwise.
    async fn call(
        &self,
        what: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Option<Value>, OpError> {
        let url = format!("{}{path}", self.settings.base_url);
        let mut req = self
            .http
            .request(method, &url)
            .query(query)
            .bearer_auth(&self.token)
            .header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(b.to_string());
        }
        let resp = req.send().await.map_err(|e| transport(what, e))?;
        let status = resp.status();
        let wait = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::remote::retry_after(v, chrono::Utc::now()));
        let body = super::remote::body_at_most(resp, super::remote::MAX_ANSWER)
            .await
            .map_err(|e| transport(what, e))?;
        let body = match body {
            (bytes, true) => bytes,
            (_, false) => {
                return Err(OpError::Permanent(format!(
                    "{what}: the answer is larger than {} MiB",
                    super::remote::MAX_ANSWER >> 20
                )));
            }
        };
        let mut json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        scrub(&mut json);
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let text = |k: &str| json.get(k).and_then(Value::as_str).unwrap_or_default();
            // The SCIM error's kind (`noTarget`, `uniqueness`) and its words.
            let detail = super::remote::remote_text(&match (text("scimType"), text("detail")) {
                ("", d) => d.to_string(),
                (kind, "") => kind.to_string(),
                (kind, d) => format!("{kind}: {d}"),
            });
            let error = status_error(what, status, &detail);
            // Asked to slow down: wait at least as long as the application says.
            return Err(match (status.as_u16(), wait) {
                (429 | 503, Some(d)) => OpError::Wait(error.message().to_string(), d),
                _ => error,
            });
        }
        Ok(Some(json))
    }

    async fn list(
        &self,
        what: &str,
        path: &str,
        filter: Option<String>,
        count: usize,
    ) -> Result<(usize, Vec<Value>), OpError> {
        let mut q = vec![
            ("startIndex", "1".to_string()),
            ("count", count.to_string()),
        ];
        if let Some(f) = filter {
            q.push(("filter", f));
        }
        let body = self
            .call(what, Method::GET, path, &q, None)
            .await?
            .ok_or_else(|| {
                OpError::Permanent(format!(
                    "{what}: {path} not found (404); check the base URL"
                ))
            })?;
        let total = body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let resources = body
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok((total, resources))
    }

    pub async fn find_person(
        &mut self,
        p: &Person,
        create: bool,
    ) -> Result<Option<Account>, OpError> {
        let filter = match self.settings.match_by.as_str() {
            "email" => format!("emails.value eq {}", quoted(&p.email)),
            _ => format!("userName eq {}", quoted(&p.email)),
        };
        let (_, found) = self
            .list("finding the person", "/Users", Some(filter.clone()), 2)
            .await?;
        if let Some(id) = found
            .first()
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
        {
            return Ok(Some(Account {
                key: id.into(),
                member: id.into(),
            }));
        }
        if !create || !self.settings.create_users {
            return Ok(None);
        }
        let mut name = json!({"formatted": p.display_name});
        if let Some(g) = &p.given_name {
            name["givenName"] = json!(g);
        }
        if let Some(s) = &p.surname {
            name["familyName"] = json!(s);
        }
        let body = json!({
            "schemas": [USER],
            "userName": p.email,
            "displayName": p.display_name,
            "name": name,
            "emails": [{"value": p.email, "type": "work", "primary": true}],
            "active": true,
        });
        match self
            .call(
                "creating the person",
                Method::POST,
                "/Users",
                &[],
                Some(body),
            )
            .await
        {
            Ok(Some(created)) => match created.get("id").and_then(Value::as_str) {
                Some(id) => Ok(Some(Account {
                    key: id.into(),
                    member: id.into(),
                })),
                None => Err(OpError::Permanent(
                    "creating the person: the answer has no id".into(),
                )),
            },
            Ok(None) => Err(OpError::Permanent(
                "creating the person: /Users not found (404)".into(),
            )),
            // Made meanwhile (by an earlier try): find it.
            Err(OpError::Permanent(m)) if m.contains("(409)") => {
                let (_, found) = self
                    .list("finding the person", "/Users", Some(filter), 2)
                    .await?;
                Ok(found
                    .first()
                    .and_then(|u| u.get("id"))
                    .and_then(Value::as_str)
                    .map(|id| Account {
                        key: id.into(),
                        member: id.into(),
                    }))
            }
            Err(e) => Err(e),
        }
    }

    async fn patch(&self, what: &str, group: &str, op: Value) -> Result<(), OpError> {
        let body = json!({"schemas": [PATCH_OP], "Operations": [op]});
        match self
            .call(
                what,
                Method::PATCH,
                &format!("/Groups/{}", segment(group)),
                &[],
                Some(body),
            )
            .await?
        {
            Some(_) => Ok(()),
            None => Err(OpError::Permanent(format!(
                "{what}: the group {group} does not exist (404)"
            ))),
        }
    }

    pub async fn add_member(&mut self, group: &str, member: &str) -> Result<(), OpError> {
        let op = json!({"op": "add", "path": "members", "value": [{"value": member}]});
        match self.patch("adding the member", group, op).await {
            // Some applications answer an add of a member already there with
            // 409 (uniqueness): the member is there, as asked.
            Err(OpError::Permanent(m)) if m.contains("refused (409): uniqueness") => Ok(()),
            r => r,
        }
    }

    pub async fn remove_member(&mut self, group: &str, member: &str) -> Result<(), OpError> {
        let op = json!({"op": "remove", "path": format!("members[value eq {}]", quoted(member))});
        match self.patch("removing the member", group, op).await {
            // RFC 7644 3.5.2.2: a filter matching nothing may be answered noTarget.
            Err(OpError::Permanent(m)) if m.contains("noTarget") || m.contains("no target") => {
                Ok(())
            }
            r => r,
        }
    }

    pub async fn members(&mut self, group: &str) -> Result<Vec<String>, OpError> {
        let body = self
            .call(
                "reading the group",
                Method::GET,
                &format!("/Groups/{}", segment(group)),
                &[],
                None,
            )
            .await?
            .ok_or_else(|| OpError::Permanent(format!("the group {group} does not exist (404)")))?;
        Ok(body
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn search_groups(
        &mut self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<FoundGroup>, OpError> {
        let filter =
            (!text.trim().is_empty()).then(|| format!("displayName co {}", quoted(text.trim())));
        let (_, found) = self
            .list("searching groups", "/Groups", filter, limit)
            .await?;
        Ok(found.iter().filter_map(group_of).take(limit).collect())
    }

    pub async fn group(&mut self, id: &str) -> Result<Option<FoundGroup>, OpError> {
        Ok(self
            .call(
                "reading the group",
                Method::GET,
                &format!("/Groups/{}", segment(id)),
                &[],
                None,
            )
            .await?
            .as_ref()
            .and_then(group_of))
    }

    pub async fn describe(&mut self) -> Result<String, OpError> {
        let (groups, _) = self.list("listing groups", "/Groups", None, 1).await?;
        let (users, _) = self.list("listing users", "/Users", None, 1).await?;
        Ok(format!(
            "connected to {}; {} groups, {} users",
            self.settings.base_url,
            thousands(groups),
            thousands(users)
        ))
    }
}

/// Drops the NULs from every string of an answer (see `without_nul`).
fn scrub(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = super::remote::without_nul(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(fields) => fields.values_mut().for_each(scrub),
        _ => {}
    }
}

fn group_of(v: &Value) -> Option<FoundGroup> {
    let id = v.get("id")?.as_str()?.to_string();
    let name = v
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or(&id)
        .to_string();
    Some(FoundGroup { id, name })
}

/// An id as one URL path segment.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    #[test]
    fn filter_strings_are_quoted() {
        assert_eq!(super::quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(super::segment("a/b c"), "a%2Fb%20c");
    }
}
