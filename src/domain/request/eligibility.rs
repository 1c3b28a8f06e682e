//! Who may request a package: the policies that admit a requestor, and the
//! choice among them when several do (the stricter tier wins).

use crate::domain::policy::{AllowedTargetScope, Policy, SubjectSet};

/// Who is asking, as far as policy choice is concerned.
#[derive(Clone, Debug, Default)]
pub struct Requestor {
    /// `None` for someone not yet in the directory.
    pub user_id: Option<String>,
    pub is_guest: bool,
    pub group_ids: Vec<String>,
    /// The connected organization the person belongs to, if any.
    pub connected_organization: Option<String>,
    /// Whether that organization is `configured` (not only `proposed`).
    pub organization_configured: bool,
}

/// Whether the requestor counts as external: not in the directory, or a
/// guest. A member is a member whatever their address: a connected
/// organization sharing their mail domain does not make them external.
pub fn is_external(r: &Requestor) -> bool {
    r.user_id.is_none() || r.is_guest
}

/// Whether a policy admits this requestor (ignoring whether requests are enabled).
pub fn admits(policy: &Policy, r: &Requestor, catalog_external: bool) -> bool {
    use AllowedTargetScope as T;
    let in_directory = r.user_id.is_some();
    // Guests and people not yet in the directory see only catalogs enabled for external users.
    let external = is_external(r);
    if external && !catalog_external {
        return false;
    }
    match policy.allowed_target_scope {
        T::NotSpecified => false,
        T::AllMemberUsers => in_directory && !r.is_guest,
        T::AllDirectoryUsers => in_directory,
        T::SpecificDirectoryUsers => {
            in_directory
                && policy.specific_allowed_targets.iter().any(|t| match t {
                    SubjectSet::SingleUser(u) => Some(u.as_str()) == r.user_id.as_deref(),
                    SubjectSet::GroupMembers(g) => r.group_ids.iter().any(|m| m == g.as_str()),
                    SubjectSet::ConnectedOrganizationMembers(_) => false,
                })
        }
        T::SpecificConnectedOrganizationUsers => external && policy.specific_allowed_targets.iter().any(|t| {
            matches!(t, SubjectSet::ConnectedOrganizationMembers(o) if Some(o.as_str()) == r.connected_organization.as_deref())
        }),
        T::AllConfiguredConnectedOrganizationUsers => {
            external && r.connected_organization.is_some() && r.organization_configured
        }
        T::AllExternalUsers => external,
    }
}

/// Which of sixteen classes a requestor is in: the four facts that decide
/// every scope naming nobody in particular (see `admitted_classes`).
pub fn requestor_class(r: &Requestor) -> u8 {
    u8::from(r.user_id.is_some())
        | u8::from(r.is_guest) << 1
        | u8::from(r.connected_organization.is_some()) << 2
        | u8::from(r.organization_configured) << 3
}

/// For a policy whose scope names nobody in particular, the requestor classes
/// it admits, one bit per class, worked out by `admits` itself; `None` for
/// a scope naming users, groups or organizations, which is decided person by
/// person. My Access tests a bit instead of calling `admits` for each of
/// thousands of packages.
pub fn admitted_classes(policy: &Policy, catalog_external: bool) -> Option<u16> {
    use AllowedTargetScope as T;
    if matches!(
        policy.allowed_target_scope,
        T::SpecificDirectoryUsers | T::SpecificConnectedOrganizationUsers
    ) {
        return None;
    }
    let mut mask = 0u16;
    for class in 0..16u8 {
        let r = Requestor {
            user_id: (class & 1 != 0).then(String::new),
            is_guest: class & 2 != 0,
            group_ids: vec![],
            connected_organization: (class & 4 != 0).then(String::new),
            organization_configured: class & 8 != 0,
        };
        if admits(policy, &r, catalog_external) {
            mask |= 1 << class;
        }
    }
    Some(mask)
}

/// The policies the requestor may choose among: enabled ones that admit them,
/// with new requests on, from the strictest tier only.
pub fn eligible<'a>(
    policies: &'a [(String, Policy)],
    r: &Requestor,
    catalog_external: bool,
) -> Vec<&'a (String, Policy)> {
    let admitted: Vec<&(String, Policy)> = policies
        .iter()
        .filter(|(_, p)| {
            p.enabled
                && p.requestor.enable_targets_to_self_add_access
                && admits(p, r, catalog_external)
        })
        .collect();
    let Some(best) = admitted
        .iter()
        .filter_map(|(_, p)| p.allowed_target_scope.tier())
        .min()
    else {
        return vec![];
    };
    admitted
        .into_iter()
        .filter(|(_, p)| p.allowed_target_scope.tier() == Some(best))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ConnectedOrgId, GroupId, UserId};

    fn policy(scope: AllowedTargetScope, targets: Vec<SubjectSet>) -> Policy {
        Policy::requestable(scope, targets)
    }

    #[test]
    fn the_stricter_tier_wins() {
        let org = ConnectedOrgId::new();
        let policies = vec![
            (
                "all".to_string(),
                policy(AllowedTargetScope::AllExternalUsers, vec![]),
            ),
            (
                "contoso".to_string(),
                policy(
                    AllowedTargetScope::SpecificConnectedOrganizationUsers,
                    vec![SubjectSet::ConnectedOrganizationMembers(org.clone())],
                ),
            ),
        ];
        let contoso_user = Requestor {
            connected_organization: Some(org.to_string()),
            organization_configured: true,
            ..Default::default()
        };
        let chosen = eligible(&policies, &contoso_user, true);
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].0, "contoso");
        let stranger = Requestor::default();
        assert_eq!(eligible(&policies, &stranger, true)[0].0, "all");
        assert!(
            eligible(&policies, &stranger, false).is_empty(),
            "the catalog is not open to external users"
        );
    }

    #[test]
    fn members_guests_and_groups() {
        let group = GroupId::new();
        let user = UserId::new();
        let policies = vec![
            (
                "members".to_string(),
                policy(AllowedTargetScope::AllMemberUsers, vec![]),
            ),
            (
                "group".to_string(),
                policy(
                    AllowedTargetScope::SpecificDirectoryUsers,
                    vec![SubjectSet::GroupMembers(group.clone())],
                ),
            ),
        ];
        let member = Requestor {
            user_id: Some(user.to_string()),
            ..Default::default()
        };
        assert_eq!(eligible(&policies, &member, false)[0].0, "members");
        let in_group = Requestor {
            group_ids: vec![group.to_string()],
            ..member.clone()
        };
        assert_eq!(eligible(&policies, &in_group, false)[0].0, "group");
        let guest = Requestor {
            user_id: Some(UserId::new().to_string()),
            is_guest: true,
            ..Default::default()
        };
        assert!(
            eligible(&policies, &guest, true).is_empty(),
            "all members excludes guests"
        );
        let mut disabled = policies.clone();
        disabled[0].1.enabled = false;
        assert!(eligible(&disabled, &member, false).is_empty());
        let admin_only = vec![(
            "none".to_string(),
            policy(AllowedTargetScope::NotSpecified, vec![]),
        )];
        assert!(eligible(&admin_only, &member, false).is_empty());
    }

    #[test]
    fn a_class_bit_answers_as_admits_does() {
        let org = ConnectedOrgId::new().to_string();
        let people: Vec<Requestor> = (0..32u8)
            .map(|k| Requestor {
                user_id: (k & 1 != 0).then(|| UserId::new().to_string()),
                is_guest: k & 2 != 0,
                group_ids: if k & 16 != 0 {
                    vec![GroupId::new().to_string()]
                } else {
                    vec![]
                },
                connected_organization: (k & 4 != 0).then(|| org.clone()),
                organization_configured: k & 8 != 0,
            })
            .collect();
        let mut checked = 0;
        for scope in AllowedTargetScope::ALL {
            for external in [false, true] {
                let p = policy(scope, vec![]);
                let Some(mask) = admitted_classes(&p, external) else {
                    assert!(matches!(
                        scope,
                        AllowedTargetScope::SpecificDirectoryUsers
                            | AllowedTargetScope::SpecificConnectedOrganizationUsers
                    ));
                    continue;
                };
                for r in &people {
                    assert_eq!(
                        mask & (1 << requestor_class(r)) != 0,
                        admits(&p, r, external),
                        "{scope:?}, external catalog {external}, {r:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5 * 2 * 32);
    }
}
