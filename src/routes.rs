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

    /// The part below `scope`, for a router scoped there.
    pub fn below(self, scope: Path) -> &'static str {
        self.0.strip_prefix(scope.0).unwrap_or(self.0)
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

    /// The pattern below `scope`, for a router scoped there.
    pub fn below(self, scope: Path) -> &'static str {
        self.0.strip_prefix(scope.0).unwrap_or(self.0)
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

/// Declares the paths as a tree, each segment written once: `path NAME =
/// "/segment";` (or `route`, where the path has parameters), `collection
/// NAME = "/list";` for a list with its new-item form and item pages, and a
/// bare `"/segment" { … }` for a prefix with no page of its own. A
/// declaration's `{ … }` holds the paths below it.
macro_rules! paths {
    (@in [$($pre:literal)*]) => {};
    (@in [$($pre:literal)*] $seg:literal { $($inner:tt)* } $($rest:tt)*) => {
        paths!(@in [$($pre)* $seg] $($inner)*);
        paths!(@in [$($pre)*] $($rest)*);
    };
    (@in [$($pre:literal)*]
        $(#[$m:meta])* $kind:ident $name:ident = $seg:literal; $($rest:tt)*) => {
        paths!(@one $kind $(#[$m])* $name [$($pre)* $seg]);
        paths!(@in [$($pre)*] $($rest)*);
    };
    (@in [$($pre:literal)*]
        $(#[$m:meta])* $kind:ident $name:ident = $seg:literal { $($inner:tt)* }
        $($rest:tt)*) => {
        paths!(@one $kind $(#[$m])* $name [$($pre)* $seg]);
        paths!(@in [$($pre)* $seg] $($inner)*);
        paths!(@in [$($pre)*] $($rest)*);
    };
    (@one path $(#[$m:meta])* $name:ident [$($p:literal)*]) => {
        $(#[$m])* pub const $name: Path = Path(concat!($($p),*));
    };
    (@one route $(#[$m:meta])* $name:ident [$($p:literal)*]) => {
        $(#[$m])* pub const $name: Route = Route(concat!($($p),*));
    };
    (@one collection $(#[$m:meta])* $name:ident [$($p:literal)*]) => {
        $(#[$m])* pub const $name: Collection = Collection {
            list: Path(concat!($($p),*)),
            new: Path(concat!($($p,)* "/new")),
            item: Route(concat!($($p,)* "/{id}")),
        };
    };
    ($($tree:tt)*) => {
        paths!(@in [] $($tree)*);
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

paths! {
    // Probes and assets.
    path HEALTHZ = "/healthz";
    path READYZ = "/readyz";
    route STATIC = "/static/{path:.*}";
    "/static" {
        path APP_CSS = "/css/app.css";
        path APP_JS = "/js/app.js";
        path PICO_CSS = "/vendor/pico/pico.min.css";
    }

    // The SCIM 2.0 service (RFC 7644 §3.2), its endpoints served in a scope.
    path SCIM = "/scim/v2" {
        path SCIM_SERVICE_PROVIDER_CONFIG = "/ServiceProviderConfig";
        path SCIM_RESOURCE_TYPES = "/ResourceTypes" { route SCIM_RESOURCE_TYPE = "/{id}"; }
        path SCIM_SCHEMAS = "/Schemas" { route SCIM_SCHEMA = "/{id}"; }
        path SCIM_USERS = "/Users" { path SCIM_USERS_SEARCH = "/.search"; route SCIM_USER = "/{id}"; }
        path SCIM_GROUPS = "/Groups" { path SCIM_GROUPS_SEARCH = "/.search"; route SCIM_GROUP = "/{id}"; }
        path SCIM_SEARCH = "/.search";
    }

    // Sign-in.
    "/auth" {
        path LOGIN = "/login";
        path CALLBACK = "/callback";
        path LOGOUT = "/logout";
        path DEMO_SIGN_IN = "/demo";
        path DEMO_GUEST = "/demo-guest";
        path CODE = "/code" {
            path CODE_VERIFY = "/verify";
        }
    }

    // My Access.
    path HOME = "/";
    route PACKAGE = "/access-packages/{id}" {
        route PACKAGE_EXTEND = "/extend";
        /// The holder removes their own access.
        route PACKAGE_GIVE_UP = "/remove";
    }
    path REQUESTS = "/requests" {
        route REQUEST = "/{id}" {
            route REQUEST_CANCEL = "/cancel";
            route REQUEST_RESUBMIT = "/resubmit";
        }
    }
    path ACCESS_REVIEWS = "/access-reviews" {
        route ACCESS_REVIEW = "/{id}";
    }
    /// Who is signed in, and the time zone they read times in.
    path PROFILE = "/me";

    // Approvals.
    path APPROVALS = "/approvals" {
        route APPROVAL = "/{id}" {
            route APPROVAL_REVOKE = "/revoke";
        }
    }

    /// Where a custom extension answers a call a request waits for (Graph's
    /// `assignmentRequests/{id}/resume`).
    route REQUEST_RESUME =
        "/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}/resume";

    // Admin console.
    path ADMIN = "/admin" {
        /// Suggestions for the pickers (JSON): people, groups, packages, organizations.
        path ADMIN_LOOKUP = "/lookup";
        /// Every package's requests, for operations.
        path ADMIN_REQUESTS = "/requests";

        collection ADMIN_USERS = "/users" {
            route ADMIN_USER_SIGN_OUT = "/{id}/sign-out";
        }
        collection ADMIN_GROUPS = "/groups" {
            route ADMIN_GROUP_ROLES = "/{id}/roles";
        }
        collection ADMIN_APPLICATIONS = "/applications";
        collection ADMIN_SITES = "/sites";
        /// Links a resource's role to a group of a connected system; `{kind}`
        /// is groups, applications or sites.
        route ADMIN_RESOURCE_LINK = "/{kind}/{id}/links" {
            route ADMIN_RESOURCE_UNLINK = "/{lid}/delete";
        }

        collection ADMIN_CATALOGS = "/catalogs" {
            "/{id}" {
                /// A catalog's tab (its resources, access packages or settings).
                route ADMIN_CATALOG_TAB = "/{tab}";
                route ADMIN_CATALOG_RESOURCES = "/resources" {
                    route ADMIN_CATALOG_RESOURCES_ADD = "/add";
                    /// Groups of a connected system added to the catalog (each linked).
                    route ADMIN_CATALOG_RESOURCES_FROM_SYSTEM = "/from-system";
                    "/{rid}" {
                        route ADMIN_CATALOG_RESOURCE_REMOVE = "/remove";
                        route ADMIN_CATALOG_RESOURCE_ATTRIBUTES = "/attributes";
                    }
                }
                route ADMIN_CATALOG_PACKAGES = "/access-packages";
                route ADMIN_CATALOG_SETTINGS = "/settings";
                route ADMIN_CATALOG_DELETE = "/delete";
                /// Who holds which role in the catalog (delegation); posting adds one.
                route ADMIN_CATALOG_ROLES = "/roles" {
                    route ADMIN_CATALOG_ROLE_REMOVE = "/{rid}/remove";
                }
                route ADMIN_CATALOG_EXTENSIONS = "/custom-extensions" {
                    route ADMIN_CATALOG_EXTENSION = "/{ext}" {
                        route ADMIN_CATALOG_EXTENSION_DELETE = "/delete";
                    }
                }
            }
        }
        /// An administrator sends a failed custom extension call again.
        route ADMIN_CALL_REPROCESS = "/custom-extension-calls/{id}/reprocess";

        collection ADMIN_PACKAGES = "/access-packages" {
            "/{id}" {
                /// A package's tab (its roles, policies, requests, assignments or settings).
                route ADMIN_PACKAGE_TAB = "/{tab}";
                route ADMIN_PACKAGE_ROLES = "/resource-roles" {
                    route ADMIN_PACKAGE_ROLE_REMOVE = "/{sid}/remove";
                }
                route ADMIN_PACKAGE_POLICIES = "/policies" {
                    route ADMIN_PACKAGE_POLICY_NEW = "/new";
                    route ADMIN_PACKAGE_AUTOMATIC_NEW = "/new-automatic";
                    route ADMIN_PACKAGE_POLICY = "/{pid}" {
                        route ADMIN_PACKAGE_AUTOMATIC = "/automatic";
                        route ADMIN_PACKAGE_POLICY_STATE = "/state";
                    }
                }
                route ADMIN_PACKAGE_SETTINGS = "/settings";
                route ADMIN_PACKAGE_DELETE = "/delete";
                route ADMIN_PACKAGE_REQUESTS = "/requests" {
                    route ADMIN_PACKAGE_REQUEST = "/{rid}" {
                        route ADMIN_PACKAGE_REQUEST_CANCEL = "/cancel";
                        route ADMIN_PACKAGE_REQUEST_REPROCESS = "/reprocess";
                    }
                }
                route ADMIN_PACKAGE_REVIEWS = "/access-reviews" {
                    route ADMIN_PACKAGE_REVIEW = "/{rid}" {
                        route ADMIN_PACKAGE_REVIEW_STOP = "/stop";
                        route ADMIN_PACKAGE_REVIEW_APPLY = "/apply";
                        route ADMIN_PACKAGE_REVIEW_CSV = "/decisions.csv";
                    }
                }
                /// A package's assignments: the list (a tab), its download, a new
                /// one, and what an administrator does to one.
                route ADMIN_PACKAGE_ASSIGNMENTS = "/assignments" {
                    route ADMIN_PACKAGE_ASSIGN = "/new";
                    "/{aid}" {
                        route ADMIN_PACKAGE_ASSIGNMENT_REMOVE = "/remove";
                        route ADMIN_PACKAGE_ASSIGNMENT_REPROCESS = "/reprocess";
                        /// "Mark guest as governed": the holder, a guest Gatehouse did
                        /// not create, comes under the guest lifecycle.
                        route ADMIN_PACKAGE_ASSIGNMENT_GOVERN = "/govern";
                    }
                }
                route ADMIN_PACKAGE_ASSIGNMENTS_CSV = "/assignments.csv";
                route ADMIN_PACKAGE_ADDITIONAL_ACCESS_CSV = "/additional-access.csv";
            }
        }

        collection ADMIN_ORGS = "/connected-organizations" {
            route ADMIN_ORG_DELETE = "/{id}/delete";
        }
        collection ADMIN_SYSTEMS = "/connected-systems" {
            "/{id}" {
                route ADMIN_SYSTEM_TEST = "/test";
                route ADMIN_SYSTEM_RECONCILE = "/reconcile";
                route ADMIN_SYSTEM_IMPORT = "/import";
                route ADMIN_SYSTEM_DELETE = "/delete";
            }
        }

        path ADMIN_AUDIT = "/audit";
        path ADMIN_AUDIT_CSV = "/audit.csv";
        path ADMIN_MAIL = "/mail" {
            route ADMIN_MAIL_SEND_AGAIN = "/{id}/send-again";
        }
        path ADMIN_TOKENS = "/api-tokens" {
            route ADMIN_TOKEN_REVOKE = "/{id}/revoke";
        }
        path ADMIN_SETTINGS = "/settings" {
            path ADMIN_SETTINGS_ORGANIZATION = "/organization";
            /// Who may create catalogs without being an administrator (Entra's
            /// "Catalog creator").
            path ADMIN_SETTINGS_CATALOG_CREATORS = "/catalog-creators" {
                route ADMIN_SETTINGS_CATALOG_CREATOR_REMOVE = "/{id}/remove";
            }
        }
    }
}

/// The sign-in page URL that returns to `next` afterwards.
pub fn sign_in_url(next: &str) -> String {
    if next == "/" || next.is_empty() {
        LOGIN.to_string()
    } else {
        format!(
            "{}?next={}",
            LOGIN,
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    }
}

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
        // Paths remote systems and browsers already hold.
        assert_eq!(SCIM_USER.id("x"), "/scim/v2/Users/x");
        assert_eq!(SCIM_USERS_SEARCH.as_str(), "/scim/v2/Users/.search");
        assert_eq!(SCIM_GROUP.pattern().as_bytes(), b"/scim/v2/Groups/{id}");
        assert_eq!(SCIM_SEARCH.below(SCIM), "/.search");
        assert_eq!(
            SCIM_SERVICE_PROVIDER_CONFIG.below(SCIM),
            "/ServiceProviderConfig"
        );
        assert_eq!(APP_CSS.as_str(), "/static/css/app.css");
        assert_eq!(PICO_CSS.as_str(), "/static/vendor/pico/pico.min.css");
    }
}
