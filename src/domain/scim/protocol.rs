//! What RFC 7644 fixes for every call: the schema URNs, the limits
//! Gatehouse keeps to, an edit's outcome, an error document's parts, and
//! paging.

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The largest request body accepted (RFC 7644 §3.12: 413 beyond it).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most resources one list page returns.
pub const MAX_RESULTS: i64 = 1000;

/// How a PUT or a PATCH changes a resource: the body is the whole new
/// resource, or operations on the stored one (RFC 7644 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Replace,
    Patch,
}

/// What went wrong, as a SCIM error document says it: the status, the
/// `scimType` where RFC 7644 §3.12 has one, and a detail for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl Problem {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Problem {
        Problem::new(400, Some("invalidValue"), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Problem {
        Problem::new(400, Some("invalidFilter"), detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Problem {
        Problem::new(400, Some("invalidPath"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Problem {
        Problem::new(400, Some("invalidSyntax"), detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Problem {
        Problem::new(409, Some("uniqueness"), detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Problem {
        Problem::new(400, Some("mutability"), detail)
    }

    pub fn not_found(what: &str, id: &str) -> Problem {
        Problem::new(404, None, format!("No {what} has the id {id}."))
    }
}

/// `startIndex` and `count` as RFC 7644 §3.4.2.4 reads them: 1-based, below
/// 1 taken as 1; a negative count as 0; at most `MAX_RESULTS` per page.
pub fn paging(start_index: Option<i64>, count: Option<i64>) -> (i64, i64) {
    let start = start_index.unwrap_or(1).max(1);
    let count = count.unwrap_or(100).clamp(0, MAX_RESULTS);
    (start, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_follows_the_rfc() {
        assert_eq!(paging(None, None), (1, 100));
        assert_eq!(paging(Some(0), Some(-5)), (1, 0));
        assert_eq!(paging(Some(51), Some(5000)), (51, MAX_RESULTS));
    }
}
