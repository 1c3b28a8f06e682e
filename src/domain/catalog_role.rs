//! Delegation: the roles a person can hold in one catalog, and what each
//! lets them do there. Administrators hold every right everywhere; these are
//! for everyone else (Entra's catalog roles in `roleManagement/entitlementManagement`).

/// A role in one catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CatalogRole {
    Owner,
    Reader,
    AccessPackageManager,
    AccessPackageAssignmentManager,
}

/// Something a console page lets a person do in a catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogRight {
    /// See the catalog, its packages, policies, requests and assignments.
    Read,
    /// Change the catalog itself: settings, resources, required attributes,
    /// who holds which role; delete it.
    ManageCatalog,
    /// Create, change and delete access packages, their resource roles,
    /// policies and access reviews.
    ManagePackages,
    /// Assign and remove access directly, cancel and reprocess requests.
    Assign,
}

impl CatalogRole {
    pub const ALL: [CatalogRole; 4] = [
        CatalogRole::Owner,
        CatalogRole::Reader,
        CatalogRole::AccessPackageManager,
        CatalogRole::AccessPackageAssignmentManager,
    ];

    /// The stored value, as Entra's role definitions are named.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogRole::Owner => "catalogOwner",
            CatalogRole::Reader => "catalogReader",
            CatalogRole::AccessPackageManager => "accessPackageManager",
            CatalogRole::AccessPackageAssignmentManager => "accessPackageAssignmentManager",
        }
    }

    pub fn parse(s: &str) -> Option<CatalogRole> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            CatalogRole::Owner => "Catalog owner",
            CatalogRole::Reader => "Catalog reader",
            CatalogRole::AccessPackageManager => "Access package manager",
            CatalogRole::AccessPackageAssignmentManager => "Access package assignment manager",
        }
    }

    /// What the role is for, shown where roles are given.
    pub fn summary(self) -> &'static str {
        match self {
            CatalogRole::Owner => {
                "Everything in the catalog: its settings, the groups and sites they own as resources, required attributes, roles, access packages and assignments."
            }
            CatalogRole::Reader => "Sees the catalog, its packages, requests and assignments.",
            CatalogRole::AccessPackageManager => {
                "Creates and changes access packages and their policies; assigns access."
            }
            CatalogRole::AccessPackageAssignmentManager => {
                "Assigns and removes access directly; cancels and reprocesses requests."
            }
        }
    }

    pub fn grants(self, right: CatalogRight) -> bool {
        use CatalogRight::*;
        match self {
            CatalogRole::Owner => true,
            CatalogRole::Reader => right == Read,
            CatalogRole::AccessPackageManager => matches!(right, Read | ManagePackages | Assign),
            CatalogRole::AccessPackageAssignmentManager => matches!(right, Read | Assign),
        }
    }
}

/// What someone may do in one catalog: everything for an administrator,
/// else what their roles there grant together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CatalogRights {
    pub read: bool,
    pub manage_catalog: bool,
    pub manage_packages: bool,
    pub assign: bool,
    /// Tenant-wide objects (the directory, connected systems, custom
    /// extensions' endpoints) stay with administrators.
    pub admin: bool,
}

impl CatalogRights {
    pub fn administrator() -> CatalogRights {
        CatalogRights {
            read: true,
            manage_catalog: true,
            manage_packages: true,
            assign: true,
            admin: true,
        }
    }

    pub fn of(roles: &[CatalogRole]) -> CatalogRights {
        let any = |right| roles.iter().any(|r| r.grants(right));
        CatalogRights {
            read: any(CatalogRight::Read),
            manage_catalog: any(CatalogRight::ManageCatalog),
            manage_packages: any(CatalogRight::ManagePackages),
            assign: any(CatalogRight::Assign),
            admin: false,
        }
    }

    pub fn allows(self, right: CatalogRight) -> bool {
        match right {
            CatalogRight::Read => self.read,
            CatalogRight::ManageCatalog => self.manage_catalog,
            CatalogRight::ManagePackages => self.manage_packages,
            CatalogRight::Assign => self.assign,
        }
    }
}

/// What someone may do beyond any one catalog: what their roles allow in at
/// least one, and whether they create catalogs. Decides which of the
/// console's shared pages (the package wizard, New catalog, look-ups) they
/// reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub rights: CatalogRights,
    pub creates_catalogs: bool,
}

impl Reach {
    pub fn administrator() -> Reach {
        Reach {
            rights: CatalogRights::administrator(),
            creates_catalogs: true,
        }
    }
}

/// Whose catalogs a console list shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogScope {
    /// An administrator's: every catalog.
    All,
    /// A delegate's: the catalogs where this person holds a role.
    HeldBy(super::ids::UserId),
}

/// The catalog a console page belongs to: named, or the catalog of an
/// access package.
#[derive(Clone, Copy, Debug)]
pub enum Within<'a> {
    Catalog(&'a super::ids::CatalogId),
    PackageOf(&'a super::ids::AccessPackageId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_grants_what_entra_documents() {
        use CatalogRight::*;
        let owner = CatalogRights::of(&[CatalogRole::Owner]);
        assert!(owner.manage_catalog && owner.manage_packages && owner.assign && !owner.admin);
        let reader = CatalogRights::of(&[CatalogRole::Reader]);
        assert!(reader.allows(Read) && !reader.allows(Assign) && !reader.allows(ManagePackages));
        let manager = CatalogRights::of(&[CatalogRole::AccessPackageManager]);
        assert!(manager.allows(ManagePackages) && manager.allows(Assign));
        assert!(!manager.allows(ManageCatalog));
        let assigner = CatalogRights::of(&[CatalogRole::AccessPackageAssignmentManager]);
        assert!(assigner.allows(Assign) && assigner.allows(Read));
        assert!(!assigner.allows(ManagePackages));
        assert_eq!(CatalogRights::of(&[]), CatalogRights::default());
        // Roles add up.
        let both = CatalogRights::of(&[
            CatalogRole::Reader,
            CatalogRole::AccessPackageAssignmentManager,
        ]);
        assert!(both.assign && !both.manage_packages);
    }

    #[test]
    fn stored_names_read_back() {
        for r in CatalogRole::ALL {
            assert_eq!(CatalogRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(CatalogRole::parse("admin"), None);
    }
}
