//! The demo tenant: the walkthrough's people and resources, seeded once.
//!
//! Demo mode replaces the identity provider with a picker of these users, which
//! is why it refuses to listen anywhere but on a loopback address.

use chrono::{DateTime, Utc};

use crate::domain::audit::Actor;
use crate::domain::catalog::{
    AnswerFormat, CatalogProfile, CatalogState, Localization, OriginSystem, RequiredAttribute,
};
use crate::domain::catalog_role::CatalogScope;
use crate::domain::connected_org::{ConnectedOrgInput, ConnectedOrgProfile};
use crate::domain::directory::{
    ApplicationProfile, GroupProfile, GroupRole, GroupType, Named, SiteProfile, SiteRole,
};
use crate::domain::ids::CatalogResourceId;
use crate::domain::ids::{ApplicationId, GroupId, SiteId, UserId};
use crate::domain::user::{
    DEMO_GUEST_ISSUER, Email, ExternalIdentity, User, UserProfile, UserState, UserType,
};
use crate::service::catalogs as svc_catalogs;
use crate::service::connected_orgs::{self as svc_orgs, SponsorInput};
use crate::service::directory as svc;
use crate::service::error::ServiceError;
use crate::service::sign_in::Started;
use crate::store::{self, Conn, PageAt, Store, catalogs, settings, users};

pub const ADMIN_EMAIL: &str = "ada.admin@gatehouse.demo";
const SEEDED: &str = "demo_seeded";
const CATALOG_SEEDED: &str = "demo_catalog_seeded";
const PACKAGES_SEEDED: &str = "demo_packages_seeded";

struct DemoPerson {
    key: &'static str,
    given: &'static str,
    surname: &'static str,
    email: &'static str,
    user_type: UserType,
    job_title: &'static str,
    department: &'static str,
    manager: Option<&'static str>,
    role: &'static str,
}

const PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        key: "admin",
        given: "Ada",
        surname: "Admin",
        email: ADMIN_EMAIL,
        user_type: UserType::Member,
        job_title: "Identity administrator",
        department: "IT",
        manager: None,
        role: "Administrator",
    },
    DemoPerson {
        key: "approver",
        given: "Maria",
        surname: "Manager",
        email: "maria.manager@gatehouse.demo",
        user_type: UserType::Member,
        job_title: "Marketing manager",
        department: "Marketing",
        manager: None,
        role: "Approver, manager",
    },
    DemoPerson {
        key: "emp1",
        given: "Eric",
        surname: "Employee",
        email: "eric.employee@gatehouse.demo",
        user_type: UserType::Member,
        job_title: "Marketing specialist",
        department: "Marketing",
        manager: Some("approver"),
        role: "Employee",
    },
    DemoPerson {
        key: "emp2",
        given: "Emma",
        surname: "Employee",
        email: "emma.employee@gatehouse.demo",
        user_type: UserType::Member,
        job_title: "Content writer",
        department: "Marketing",
        manager: Some("approver"),
        role: "Employee",
    },
    DemoPerson {
        key: "guest",
        given: "Gary",
        surname: "Guest",
        email: "gary.guest@contoso.com",
        user_type: UserType::Guest,
        job_title: "",
        department: "",
        manager: None,
        role: "Guest (Contoso)",
    },
];

/// Seeds the demo tenant unless it already was (restarts change nothing).
/// Each part has its own marker, so a tenant seeded by an older version gains
/// the newer parts on its next start.
#[tracing::instrument(skip_all)]
pub async fn seed(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    let (directory_done, catalog_done, packages_done) = {
        let mut conn = store.read().await?;
        (
            settings::get(&mut conn, SEEDED).await?.is_some(),
            settings::get(&mut conn, CATALOG_SEEDED).await?.is_some(),
            settings::get(&mut conn, PACKAGES_SEEDED).await?.is_some(),
        )
    };
    if !directory_done {
        seed_directory(store, now).await?;
    }
    if !catalog_done {
        seed_catalog(store, now).await?;
    }
    if !packages_done {
        seed_packages(store, now).await?;
    }
    let tenant_done = {
        let mut conn = store.read().await?;
        settings::get(&mut conn, "tenant").await?.is_some()
    };
    if !tenant_done {
        // The demo organization's own domain: its people are members.
        let own = crate::domain::tenant::TenantSettings {
            domains: vec!["gatehouse.demo".into()],
            ..Default::default()
        };
        crate::service::settings::save_tenant(store, &actor(), own, now).await?;
    }
    Ok(())
}

/// The walkthrough's access packages in the Marketing catalog.
async fn seed_packages(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    use crate::domain::policy::*;
    use crate::service::packages::{self as svc_packages, Basics, RolePick};

    let actor = actor();
    let mut conn = store.read().await?;
    let Some(catalog) = catalogs::search(
        &mut conn,
        &CatalogScope::All,
        "Marketing",
        PageAt::first(10),
    )
    .await?
    .items
    .into_iter()
    .find(|c| c.display_name == "Marketing") else {
        return Ok(());
    };
    let catalog_id = crate::domain::ids::CatalogId::from_stored(catalog.id.clone());
    let resources = catalogs::resources(&mut conn, &catalog_id).await?;
    let resource = |name: &str| {
        resources
            .iter()
            .find(|r| r.display_name == name)
            .map(|r| (r.id.clone(), r.origin_id.clone()))
    };
    let (Some(team), Some(guests), Some(internal), Some(slack), Some(site)) = (
        resource("Marketing Team"),
        resource("SG-Marketing-Department-GuestUsers"),
        resource("SG-Marketing-Department-InternalUsers"),
        resource("Slack"),
        resource("Marketing"),
    ) else {
        return Ok(());
    };
    let slack_roles =
        catalogs::role_options(&mut conn, OriginSystem::AadApplication, &slack.1).await?;
    let slack_role = |name: &str| {
        slack_roles
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| id.clone())
            .unwrap_or_default()
    };
    let maria = users::find_by_email(&mut conn, "maria.manager@gatehouse.demo")
        .await?
        .map(|u| u.id);
    let ada = users::find_by_email(&mut conn, ADMIN_EMAIL)
        .await?
        .map(|u| u.id);
    let contoso = crate::store::connected_orgs::id_by_name(&mut conn, "Contoso").await?;
    drop(conn);
    let (Some(maria), Some(contoso)) = (maria, contoso) else {
        return Ok(());
    };

    let stage = |approvers: Vec<Approver>| ApprovalStage {
        duration_before_automatic_denial_days: 14,
        is_approver_justification_required: true,
        primary_approvers: approvers,
        fallback_primary_approvers: vec![],
        is_escalation_enabled: false,
        duration_before_escalation_days: 0,
        escalation_approvers: vec![],
        fallback_escalation_approvers: vec![],
    };
    let requests = RequestorSettings {
        enable_targets_to_self_add_access: true,
        enable_targets_to_self_update_access: true,
        enable_targets_to_self_remove_access: true,
        allow_custom_assignment_schedule: false,
        enable_on_behalf_requestors_to_add_access: false,
    };
    let question = |sequence: u32, text: &str, kind: QuestionKind| Question {
        sequence,
        text: text.into(),
        localizations: vec![],
        is_required: true,
        is_answer_editable: true,
        kind,
    };
    let guests_policy = Policy {
        display_name: "Policy for regular guest and new guest users".into(),
        description: Some("Guests and new external users; the Marketing manager approves.".into()),
        enabled: true,
        allowed_target_scope: AllowedTargetScope::AllExternalUsers,
        specific_allowed_targets: vec![],
        requestor: requests.clone(),
        approval: ApprovalSettings {
            show_approvers: None,
            is_approval_required_for_add: true,
            is_approval_required_for_update: true,
            is_requestor_justification_required: false,
            stages: vec![stage(vec![Approver::SingleUser(maria.clone())])],
        },
        questions: vec![
            question(
                1,
                "Which campaign or project do you work on?",
                QuestionKind::Text {
                    is_single_line: true,
                    regex_pattern: None,
                },
            ),
            question(
                2,
                "Who at our company is your contact?",
                QuestionKind::Text {
                    is_single_line: true,
                    regex_pattern: None,
                },
            ),
            question(
                3,
                "How long will you work with Marketing?",
                QuestionKind::MultipleChoice {
                    choices: [
                        ("short", "Less than a month"),
                        ("quarter", "A few months"),
                        ("long", "Longer"),
                    ]
                    .iter()
                    .map(|(v, t)| Choice {
                        actual_value: (*v).into(),
                        text: (*t).into(),
                        localizations: vec![],
                    })
                    .collect(),
                    is_multiple_selection_allowed: false,
                },
            ),
        ],
        expiration: Expiration::AfterDays(180),
        assignment_notifications: true,
        automatic: None,
    };
    let pick = |r: &(String, String), role: &str| RolePick {
        resource: r.0.clone(),
        role: role.into(),
    };
    let guests_package = svc_packages::create(
        store,
        &actor,
        &crate::domain::catalog_role::CatalogScope::All,
        &catalog_id,
        &Basics {
            name: "Marketing resources for guests".into(),
            description: Some("The Marketing team, its guest group, Slack and the Marketing site, for partners and agencies.".into()),
        },
        false,
        &[pick(&team, "member"), pick(&guests, "member"), pick(&slack, &slack_role("User")), pick(&site, "member")],
        &guests_policy,
        now,
    )
    .await?;
    let contoso_policy = Policy {
        display_name: "Policy for Contoso".into(),
        description: Some("Contoso is trusted: no approval.".into()),
        allowed_target_scope: AllowedTargetScope::SpecificConnectedOrganizationUsers,
        specific_allowed_targets: vec![SubjectSet::ConnectedOrganizationMembers(
            crate::domain::ids::ConnectedOrgId::from_stored(contoso),
        )],
        approval: ApprovalSettings::default(),
        questions: vec![],
        ..guests_policy.clone()
    };
    // A moment later, so that the walkthrough's first policy stays first.
    svc_packages::add_policy(
        store,
        &actor,
        &guests_package,
        &contoso_policy,
        now + chrono::Duration::milliseconds(1),
    )
    .await?;

    let employees_policy = Policy {
        display_name: "Initial policy".into(),
        description: Some("All employees; the requestor's manager approves.".into()),
        allowed_target_scope: AllowedTargetScope::AllMemberUsers,
        approval: ApprovalSettings {
            show_approvers: None,
            is_approval_required_for_add: true,
            is_approval_required_for_update: false,
            is_requestor_justification_required: true,
            // Someone without a manager (Maria herself) goes to Ada.
            stages: vec![ApprovalStage {
                fallback_primary_approvers: ada.iter().cloned().map(Approver::SingleUser).collect(),
                ..stage(vec![Approver::RequestorManager])
            }],
        },
        questions: vec![],
        expiration: Expiration::AfterDays(365),
        assignment_notifications: true,
        automatic: None,
        // Employees may ask for a specific period, such as a campaign's weeks.
        requestor: RequestorSettings {
            allow_custom_assignment_schedule: true,
            enable_on_behalf_requestors_to_add_access: false,
            ..requests.clone()
        },
        ..guests_policy.clone()
    };
    svc_packages::create(
        store,
        &actor,
        &crate::domain::catalog_role::CatalogScope::All,
        &catalog_id,
        &Basics {
            name: "Marketing resources for employees".into(),
            description: Some(
                "The Marketing team, the internal users group, Slack and the Marketing site."
                    .into(),
            ),
        },
        false,
        &[
            pick(&team, "member"),
            pick(&internal, "member"),
            pick(&slack, &slack_role("User")),
            pick(&site, "member"),
        ],
        &employees_policy,
        now,
    )
    .await?;
    svc_packages::create(
        store,
        &actor,
        &crate::domain::catalog_role::CatalogScope::All,
        &catalog_id,
        &Basics {
            name: "Slack administration".into(),
            description: Some(
                "Owner rights in Slack, shared by link with the people who run it.".into(),
            ),
        },
        true,
        &[pick(&slack, &slack_role("Owner"))],
        &Policy {
            display_name: "Initial policy".into(),
            approval: ApprovalSettings {
                show_approvers: None,
                stages: vec![stage(vec![Approver::SingleUser(maria.clone())])],
                ..employees_policy.approval.clone()
            },
            ..employees_policy.clone()
        },
        now,
    )
    .await?;
    let mut tx = store.begin().await?;
    settings::put(&mut tx, PACKAGES_SEEDED, &store::ts(now)).await?;
    tx.commit().await?;
    tracing::info!("demo access packages seeded");
    Ok(())
}

fn actor() -> Actor {
    Actor {
        user_id: None,
        display_name: "Demo seed".into(),
    }
}

/// The walkthrough's "Marketing" catalog and the connected organization Contoso.
async fn seed_catalog(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    let actor = actor();
    let catalog = svc_catalogs::create(
        store,
        &actor,
        &CatalogProfile {
            display_name: "Marketing".into(),
            description: Some(
                "Resources of the Marketing department, for employees and guests.".into(),
            ),
            state: CatalogState::Published,
            is_externally_visible: true,
        },
        None,
        now,
    )
    .await?;
    let wanted = [
        (OriginSystem::SharePointOnline, "Marketing"),
        (OriginSystem::AadApplication, "Slack"),
        (OriginSystem::AadGroup, "Marketing Team"),
        (OriginSystem::AadGroup, "SG-Marketing-Department-GuestUsers"),
        (
            OriginSystem::AadGroup,
            "SG-Marketing-Department-InternalUsers",
        ),
    ];
    let mut picks = Vec::new();
    {
        let mut conn = store.read().await?;
        for (origin, name) in wanted {
            if let Some(id) = catalogs::origin_by_name(&mut conn, origin, name).await? {
                picks.push((origin, id));
            }
        }
    }
    svc_catalogs::add_resources(store, &actor, &catalog, None, &picks, now).await?;
    let guest_group = {
        let mut conn = store.read().await?;
        let group_id = catalogs::origin_by_name(
            &mut conn,
            OriginSystem::AadGroup,
            "SG-Marketing-Department-GuestUsers",
        )
        .await?;
        let resources = catalogs::resources(&mut conn, &catalog).await?;
        resources
            .into_iter()
            .find(|r| Some(&r.origin_id) == group_id.as_ref())
            .and_then(|r| CatalogResourceId::parse(&r.id))
    };
    if let Some(resource) = guest_group {
        let attribute = |name: &str, text: &str, fr: &str| RequiredAttribute {
            attribute_name: name.into(),
            answer_format: AnswerFormat::ShortText,
            question_text: text.into(),
            localizations: vec![Localization {
                language_code: "fr".into(),
                text: fr.into(),
            }],
            choices: vec![],
            is_editable: true,
            keep_value: true,
        };
        let attrs = [
            attribute("givenName", "First name", "Prénom"),
            attribute("surname", "Last name", "Nom"),
            attribute("jobTitle", "Job title", "Fonction"),
        ];
        svc_catalogs::save_required_attributes(store, &actor, &catalog, &resource, &attrs, now)
            .await?;
    }
    let input = ConnectedOrgInput {
        display_name: "Contoso".into(),
        description: "Contoso Ltd., the agency that runs Marketing's campaigns.".into(),
        state: "configured".into(),
        domains: "contoso.com".into(),
        ..Default::default()
    };
    let sponsors = SponsorInput {
        internal: "maria.manager@gatehouse.demo",
        external: "gary.guest@contoso.com",
    };
    svc_orgs::save(
        store,
        &actor,
        None,
        ConnectedOrgProfile::parse(&input),
        sponsors,
        now,
    )
    .await
    .map_err(anyhow::Error::new)?;
    let mut tx = store.begin().await?;
    settings::put(&mut tx, CATALOG_SEEDED, &store::ts(now)).await?;
    tx.commit().await?;
    tracing::info!("demo catalog seeded");
    Ok(())
}

async fn seed_directory(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    let actor = Actor {
        user_id: None,
        display_name: "Demo seed".into(),
    };
    let mut ids: Vec<(&str, UserId)> = Vec::new();
    for p in PEOPLE {
        let existing = {
            let mut conn = store.read().await?;
            users::find_by_email(&mut conn, p.email).await?
        };
        let id = match existing {
            Some(u) => u.id,
            None => {
                let profile = UserProfile {
                    user_type: p.user_type,
                    display_name: format!("{} {}", p.given, p.surname),
                    given_name: Some(p.given.into()),
                    surname: Some(p.surname.into()),
                    email: Email::parse(p.email).map_err(anyhow::Error::msg)?,
                    job_title: Some(p.job_title.to_string()).filter(|s| !s.is_empty()),
                    department: Some(p.department.to_string()).filter(|s| !s.is_empty()),
                    custom_attributes: Default::default(),
                    state: UserState::Active,
                };
                let manager_email = p
                    .manager
                    .and_then(|m| PEOPLE.iter().find(|q| q.key == m))
                    .map(|q| q.email)
                    .unwrap_or("");
                svc::create_user(store, &actor, &profile, manager_email, now)
                    .await
                    .map_err(anyhow::Error::new)?
            }
        };
        ids.push((p.key, id));
    }
    let id_of = |key: &str| {
        ids.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, id)| id.clone())
    };

    let site = SiteId::new();
    let marketing = SiteProfile {
        display_name: "Marketing".into(),
        description: Some(
            "The Marketing department's SharePoint site: campaigns, brand assets, calendars."
                .into(),
        ),
        url: "https://contoso.sharepoint.com/sites/Marketing".into(),
    };
    svc::create(store, &actor, Named::Site(&site, &marketing), now).await?;
    let slack = ApplicationProfile {
        display_name: "Slack".into(),
        description: Some("Team chat for Marketing and its agencies.".into()),
        roles: vec!["Owner".into(), "User".into(), "msiam_access".into()],
    };
    let app = ApplicationId::new();
    svc::create(store, &actor, Named::Application(&app, &slack), now).await?;
    let groups = [
        (
            "Marketing Team",
            GroupType::Team,
            "The Marketing department's team: chat, meetings and files.",
        ),
        (
            "SG-Marketing-Department-GuestUsers",
            GroupType::Security,
            "Guests working with Marketing.",
        ),
        (
            "SG-Marketing-Department-InternalUsers",
            GroupType::Security,
            "Employees of the Marketing department.",
        ),
    ];
    let approver_email = PEOPLE
        .iter()
        .find(|p| p.key == "approver")
        .map(|p| p.email)
        .unwrap_or_default();
    for (name, group_type, description) in groups {
        let gid = GroupId::new();
        let p = GroupProfile {
            display_name: name.into(),
            description: Some(description.into()),
            group_type,
        };
        svc::create(store, &actor, Named::Group(&gid, &p), now).await?;
        svc::change_group_role(
            store,
            &actor,
            &gid,
            approver_email,
            GroupRole::Owner,
            true,
            now,
        )
        .await?;
    }
    if let Some(approver) = id_of("approver") {
        svc::grant_site_role(store, &actor, &site, &approver, SiteRole::Owner, now).await?;
    }

    let list: Vec<String> = ids.iter().map(|(_, id)| id.to_string()).collect();
    let mut tx = store.begin().await?;
    settings::put_json(&mut tx, "demo_users", &list).await?;
    settings::put(&mut tx, SEEDED, &store::ts(now)).await?;
    tx.commit().await?;
    tracing::info!("demo tenant seeded");
    Ok(())
}

async fn demo_user_ids(conn: &mut Conn) -> store::Result<Vec<String>> {
    Ok(settings::get_json(conn, "demo_users")
        .await?
        .unwrap_or_default())
}

/// The demo users offered on the sign-in page, in the seed's order.
/// A demo user the sign-in page offers.
pub struct DemoChoice {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
}

#[tracing::instrument(skip_all)]
pub(crate) async fn sign_in_choices(conn: &mut Conn) -> Result<Vec<DemoChoice>, ServiceError> {
    let mut out = Vec::new();
    for id in demo_user_ids(conn).await? {
        let Some(id) = UserId::parse(&id) else {
            continue;
        };
        if let Some(u) = users::get(conn, &id).await? {
            let role = PEOPLE
                .iter()
                .find(|p| p.email.eq_ignore_ascii_case(&u.email))
                .map(|p| p.role)
                .unwrap_or("Demo user");
            out.push(DemoChoice {
                id: u.id.to_string(),
                name: u.display_name,
                email: u.email,
                role,
            });
        }
    }
    Ok(out)
}

/// Signs in as a demo user, chosen by id, and starts their session: `None`
/// for a user who is not one of them, `NotFound` for an id nobody has.
#[tracing::instrument(skip_all)]
pub async fn sign_in_as(
    store: &Store,
    id: &UserId,
    now: DateTime<Utc>,
) -> Result<Option<Started<User>>, ServiceError> {
    let user = {
        let mut conn = store.read().await?;
        let user = super::error::found(users::get(&mut conn, id).await?)?;
        let demo = demo_user_ids(&mut conn).await?;
        if !demo.iter().any(|d| d == id.as_str()) {
            return Ok(None);
        }
        user
    };
    if user.is_blocked() {
        return Err(ServiceError::Refused(
            "This demo user is blocked from signing in.".into(),
        ));
    }
    let session = super::sessions::start(store, Some(id), now).await?;
    Ok(Some(Started { who: user, session }))
}

/// Signs in as a new guest would after proving their address, without a
/// code, and starts the session; refused for an address someone in the
/// directory has (a demo guest must be new).
#[tracing::instrument(skip_all)]
pub async fn sign_in_new_guest(
    store: &Store,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<Started<ExternalIdentity>, ServiceError> {
    {
        let mut conn = store.read().await?;
        if users::find_by_email(&mut conn, email.as_str())
            .await?
            .is_some()
        {
            return Err(ServiceError::Refused(format!(
                "{email} is already in the directory: choose that user from the list instead."
            )));
        }
    }
    let local = email.as_str().split('@').next().unwrap_or_default();
    let who = ExternalIdentity {
        issuer: DEMO_GUEST_ISSUER.into(),
        subject: email.normalized(),
        email: email.as_str().to_string(),
        display_name: local.to_string(),
        connected_organization: None,
    };
    let session = super::sessions::start(store, None, now).await?;
    Ok(Started { who, session })
}
