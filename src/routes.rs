//! Every path Gatehouse serves, written once: the router registers these
//! patterns, and handlers, templates, mail and tests build links from them.
//!
//! A `Path` has no parameters and shows as itself; a `Route` has `{…}`
//! parts, filled in order by `with` (each part percent-encoded), so that a
//! link can never point at a path the router does not serve.

use std::fmt;

/// A path without parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path(&'static str);

impl Path {
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for Path {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// A path with `{…}` parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route(&'static str);

impl Route {
    /// The pattern the router matches, `{id}` parts and all.
    pub const fn pattern(self) -> &'static str {
        self.0
    }

    /// The path for one parameter.
    pub fn id(self, id: impl fmt::Display) -> String {
        self.with(&[&id])
    }

    /// The path for two parameters, in the pattern's order.
    pub fn ids(self, first: impl fmt::Display, second: impl fmt::Display) -> String {
        self.with(&[&first, &second])
    }

    /// The path with the pattern's parameters filled in order.
    pub fn with(self, args: &[&dyn fmt::Display]) -> String {
        let mut out = String::with_capacity(self.0.len() + 40);
        let mut args = args.iter();
        let mut rest = self.0;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            if let Some(arg) = args.next() {
                encode_segment(&arg.to_string(), &mut out);
            }
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }
}

/// A collection the console lists, makes and edits: the list (posting to it
/// makes one), the new-item form, and one item's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collection {
    pub list: Path,
    pub new: Path,
    pub item: Route,
}

/// A collection's three paths from its list's path, written once.
macro_rules! collection {
    ($list:literal) => {
        Collection {
            list: Path($list),
            new: Path(concat!($list, "/new")),
            item: Route(concat!($list, "/{id}")),
        }
    };
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so
/// that a parameter stays one path segment.
fn encode_segment(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

// Probes and assets.
pub const HEALTHZ: Path = Path("/healthz");
pub const READYZ: Path = Path("/readyz");
pub const STATIC: Route = Route("/static/{path:.*}");

// Sign-in.
pub const LOGIN: Path = Path("/auth/login");
pub const CALLBACK: Path = Path("/auth/callback");
pub const LOGOUT: Path = Path("/auth/logout");
pub const DEMO_SIGN_IN: Path = Path("/auth/demo");
pub const DEMO_GUEST: Path = Path("/auth/demo-guest");
pub const CODE: Path = Path("/auth/code");
pub const CODE_VERIFY: Path = Path("/auth/code/verify");

// My Access.
pub const HOME: Path = Path("/");
pub const PACKAGE: Route = Route("/access-packages/{id}");
pub const PACKAGE_EXTEND: Route = Route("/access-packages/{id}/extend");
/// The holder removes their own access.
pub const PACKAGE_GIVE_UP: Route = Route("/access-packages/{id}/remove");
pub const REQUESTS: Path = Path("/requests");
pub const REQUEST: Route = Route("/requests/{id}");
pub const REQUEST_CANCEL: Route = Route("/requests/{id}/cancel");
pub const REQUEST_RESUBMIT: Route = Route("/requests/{id}/resubmit");
pub const ACCESS_REVIEWS: Path = Path("/access-reviews");
pub const ACCESS_REVIEW: Route = Route("/access-reviews/{id}");
/// Who is signed in, and the time zone they read times in.
pub const PROFILE: Path = Path("/me");

// Approvals.
pub const APPROVALS: Path = Path("/approvals");
pub const APPROVAL: Route = Route("/approvals/{id}");
pub const APPROVAL_REVOKE: Route = Route("/approvals/{id}/revoke");

// Admin console.
pub const ADMIN: Path = Path("/admin");
/// Suggestions for the pickers (JSON): people, groups, packages, organizations.
pub const ADMIN_LOOKUP: Path = Path("/admin/lookup");
/// Every package's requests, for operations.
pub const ADMIN_REQUESTS: Path = Path("/admin/requests");

pub const ADMIN_USERS: Collection = collection!("/admin/users");
pub const ADMIN_USER_SIGN_OUT: Route = Route("/admin/users/{id}/sign-out");

pub const ADMIN_GROUPS: Collection = collection!("/admin/groups");
pub const ADMIN_GROUP_ROLES: Route = Route("/admin/groups/{id}/roles");

pub const ADMIN_APPLICATIONS: Collection = collection!("/admin/applications");

pub const ADMIN_SITES: Collection = collection!("/admin/sites");

pub const ADMIN_CATALOGS: Collection = collection!("/admin/catalogs");
/// A catalog's tab (its resources, access packages or settings).
pub const ADMIN_CATALOG_TAB: Route = Route("/admin/catalogs/{id}/{tab}");
pub const ADMIN_CATALOG_RESOURCES: Route = Route("/admin/catalogs/{id}/resources");
pub const ADMIN_CATALOG_RESOURCES_ADD: Route = Route("/admin/catalogs/{id}/resources/add");
/// Groups of a connected system added to the catalog (each linked).
pub const ADMIN_CATALOG_RESOURCES_FROM_SYSTEM: Route =
    Route("/admin/catalogs/{id}/resources/from-system");
pub const ADMIN_CATALOG_RESOURCE_REMOVE: Route =
    Route("/admin/catalogs/{id}/resources/{rid}/remove");
pub const ADMIN_CATALOG_RESOURCE_ATTRIBUTES: Route =
    Route("/admin/catalogs/{id}/resources/{rid}/attributes");
pub const ADMIN_CATALOG_PACKAGES: Route = Route("/admin/catalogs/{id}/access-packages");
pub const ADMIN_CATALOG_SETTINGS: Route = Route("/admin/catalogs/{id}/settings");
pub const ADMIN_CATALOG_DELETE: Route = Route("/admin/catalogs/{id}/delete");
/// Who holds which role in the catalog (delegation); posting adds one.
pub const ADMIN_CATALOG_ROLES: Route = Route("/admin/catalogs/{id}/roles");
pub const ADMIN_CATALOG_ROLE_REMOVE: Route = Route("/admin/catalogs/{id}/roles/{rid}/remove");
pub const ADMIN_CATALOG_EXTENSIONS: Route = Route("/admin/catalogs/{id}/custom-extensions");
pub const ADMIN_CATALOG_EXTENSION: Route = Route("/admin/catalogs/{id}/custom-extensions/{ext}");
pub const ADMIN_CATALOG_EXTENSION_DELETE: Route =
    Route("/admin/catalogs/{id}/custom-extensions/{ext}/delete");
/// An administrator sends a failed custom extension call again.
pub const ADMIN_CALL_REPROCESS: Route = Route("/admin/custom-extension-calls/{id}/reprocess");
/// Where a custom extension answers a call a request waits for (Graph's
/// `assignmentRequests/{id}/resume`).
pub const REQUEST_RESUME: Route =
    Route("/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}/resume");

pub const ADMIN_PACKAGES: Collection = collection!("/admin/access-packages");
/// A package's tab (its roles, policies, requests, assignments or settings).
pub const ADMIN_PACKAGE_TAB: Route = Route("/admin/access-packages/{id}/{tab}");
pub const ADMIN_PACKAGE_ROLES: Route = Route("/admin/access-packages/{id}/resource-roles");
pub const ADMIN_PACKAGE_ROLE_REMOVE: Route =
    Route("/admin/access-packages/{id}/resource-roles/{sid}/remove");
pub const ADMIN_PACKAGE_POLICIES: Route = Route("/admin/access-packages/{id}/policies");
pub const ADMIN_PACKAGE_POLICY_NEW: Route = Route("/admin/access-packages/{id}/policies/new");
pub const ADMIN_PACKAGE_POLICY: Route = Route("/admin/access-packages/{id}/policies/{pid}");
pub const ADMIN_PACKAGE_AUTOMATIC_NEW: Route =
    Route("/admin/access-packages/{id}/policies/new-automatic");
pub const ADMIN_PACKAGE_AUTOMATIC: Route =
    Route("/admin/access-packages/{id}/policies/{pid}/automatic");
pub const ADMIN_PACKAGE_POLICY_STATE: Route =
    Route("/admin/access-packages/{id}/policies/{pid}/state");
pub const ADMIN_PACKAGE_SETTINGS: Route = Route("/admin/access-packages/{id}/settings");
pub const ADMIN_PACKAGE_DELETE: Route = Route("/admin/access-packages/{id}/delete");
pub const ADMIN_PACKAGE_REQUESTS: Route = Route("/admin/access-packages/{id}/requests");
pub const ADMIN_PACKAGE_REQUEST: Route = Route("/admin/access-packages/{id}/requests/{rid}");
pub const ADMIN_PACKAGE_REQUEST_CANCEL: Route =
    Route("/admin/access-packages/{id}/requests/{rid}/cancel");
pub const ADMIN_PACKAGE_REQUEST_REPROCESS: Route =
    Route("/admin/access-packages/{id}/requests/{rid}/reprocess");
pub const ADMIN_PACKAGE_REVIEWS: Route = Route("/admin/access-packages/{id}/access-reviews");
pub const ADMIN_PACKAGE_REVIEW: Route = Route("/admin/access-packages/{id}/access-reviews/{rid}");
pub const ADMIN_PACKAGE_REVIEW_STOP: Route =
    Route("/admin/access-packages/{id}/access-reviews/{rid}/stop");
pub const ADMIN_PACKAGE_REVIEW_APPLY: Route =
    Route("/admin/access-packages/{id}/access-reviews/{rid}/apply");
pub const ADMIN_PACKAGE_REVIEW_CSV: Route =
    Route("/admin/access-packages/{id}/access-reviews/{rid}/decisions.csv");
/// A package's assignments: the list (a tab), its download, a new one, and
/// what an administrator does to one.
pub const ADMIN_PACKAGE_ASSIGNMENTS: Route = Route("/admin/access-packages/{id}/assignments");
pub const ADMIN_PACKAGE_ADDITIONAL_ACCESS_CSV: Route =
    Route("/admin/access-packages/{id}/additional-access.csv");
pub const ADMIN_PACKAGE_ASSIGNMENTS_CSV: Route =
    Route("/admin/access-packages/{id}/assignments.csv");
pub const ADMIN_PACKAGE_ASSIGN: Route = Route("/admin/access-packages/{id}/assignments/new");
pub const ADMIN_PACKAGE_ASSIGNMENT_REMOVE: Route =
    Route("/admin/access-packages/{id}/assignments/{aid}/remove");
pub const ADMIN_PACKAGE_ASSIGNMENT_REPROCESS: Route =
    Route("/admin/access-packages/{id}/assignments/{aid}/reprocess");
/// "Mark guest as governed": the holder, a guest Gatehouse did not create,
/// comes under the guest lifecycle.
pub const ADMIN_PACKAGE_ASSIGNMENT_GOVERN: Route =
    Route("/admin/access-packages/{id}/assignments/{aid}/govern");

pub const ADMIN_ORGS: Collection = collection!("/admin/connected-organizations");
pub const ADMIN_ORG_DELETE: Route = Route("/admin/connected-organizations/{id}/delete");

pub const ADMIN_SYSTEMS: Collection = collection!("/admin/connected-systems");
pub const ADMIN_SYSTEM_TEST: Route = Route("/admin/connected-systems/{id}/test");
pub const ADMIN_SYSTEM_RECONCILE: Route = Route("/admin/connected-systems/{id}/reconcile");
pub const ADMIN_SYSTEM_IMPORT: Route = Route("/admin/connected-systems/{id}/import");
pub const ADMIN_SYSTEM_DELETE: Route = Route("/admin/connected-systems/{id}/delete");
/// Links a resource's role to a group of a connected system; `{kind}` is
/// groups, applications or sites.
pub const ADMIN_RESOURCE_LINK: Route = Route("/admin/{kind}/{id}/links");
pub const ADMIN_RESOURCE_UNLINK: Route = Route("/admin/{kind}/{id}/links/{lid}/delete");

pub const ADMIN_AUDIT: Path = Path("/admin/audit");
pub const ADMIN_AUDIT_CSV: Path = Path("/admin/audit.csv");
pub const ADMIN_MAIL: Path = Path("/admin/mail");
pub const ADMIN_MAIL_SEND_AGAIN: Route = Route("/admin/mail/{id}/send-again");
pub const ADMIN_TOKENS: Path = Path("/admin/api-tokens");
pub const ADMIN_TOKEN_REVOKE: Route = Route("/admin/api-tokens/{id}/revoke");
pub const ADMIN_SETTINGS: Path = Path("/admin/settings");
pub const ADMIN_SETTINGS_ORGANIZATION: Path = Path("/admin/settings/organization");
/// Who may create catalogs without being an administrator (Entra's "Catalog creator").
pub const ADMIN_SETTINGS_CATALOG_CREATORS: Path = Path("/admin/settings/catalog-creators");
pub const ADMIN_SETTINGS_CATALOG_CREATOR_REMOVE: Route =
    Route("/admin/settings/catalog-creators/{id}/remove");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fill_the_pattern_in_order_and_stay_one_segment() {
        assert_eq!(ADMIN_USERS.item.id("u1"), "/admin/users/u1");
        assert_eq!(ADMIN_USERS.new.as_str(), "/admin/users/new");
        assert_eq!(ADMIN_USERS.list.as_str(), "/admin/users");
        assert_eq!(
            ADMIN_PACKAGE_POLICY.ids("p 1", "a/b"),
            "/admin/access-packages/p%201/policies/a%2Fb"
        );
        assert_eq!(
            ADMIN_PACKAGE_ASSIGNMENTS_CSV.id("x"),
            "/admin/access-packages/x/assignments.csv"
        );
        assert_eq!(HOME.to_string(), "/");
    }
}
