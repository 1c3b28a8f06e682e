//! An access review of many holders, on an empty database: how long the
//! review takes to start (every holder, their reviewer and the mail written)
//! and to apply (every undecided holder's access taken back, as the setting
//! "remove access" says).
//!
//! The package, its group and its policy are made through the product's
//! services; the holders (people, assignments, group memberships) are written
//! in bulk; what is timed runs through the product's review service.

use std::time::Instant;

use chrono::Utc;
use gatehouse::domain::audit::Actor;
use gatehouse::domain::catalog::{CatalogProfile, CatalogState, OriginSystem};
use gatehouse::domain::directory::{GroupProfile, Named};
use gatehouse::domain::ids::{GroupId, PolicyId};
use gatehouse::domain::policy::{AllowedTargetScope, Expiration, Policy};
use gatehouse::domain::review::{NoResponse, Recurrence, ReviewSettings, ReviewerKind};
use gatehouse::service::{catalogs, directory, packages, reviews};
use gatehouse::store::{Store, ts};

use crate::batch::Timing;
use crate::bulk::{Val, insert};

pub async fn run(database_url: &str, holders: usize) -> anyhow::Result<Vec<Timing>> {
    let url =
        gatehouse::config::DatabaseUrl::parse(database_url).map_err(|e| anyhow::anyhow!(e))?;
    let store = Store::connect(&url).await?;
    let now = Utc::now();
    let actor = Actor::system();
    let e = |e: gatehouse::service::ServiceError| anyhow::anyhow!("{e:?}");

    let group = GroupId::new();
    let p = GroupProfile::parse("Reviewed group", "", "security")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    directory::create(&store, &actor, Named::Group(&group, &p), now)
        .await
        .map_err(e)?;
    let catalog = catalogs::create(
        &store,
        &actor,
        &CatalogProfile {
            display_name: "Reviewed catalog".into(),
            description: None,
            state: CatalogState::Published,
            is_externally_visible: false,
        },
        None,
        now,
    )
    .await
    .map_err(e)?;
    catalogs::add_resources(
        &store,
        &actor,
        &catalog,
        None,
        &[(OriginSystem::AadGroup, group.to_string())],
        now,
    )
    .await
    .map_err(e)?;
    let resource = {
        let mut c = store.read().await?;
        gatehouse::store::catalogs::resources(&mut c, &catalog)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("the group is not in the catalog"))?
            .id
    };
    let policy = Policy {
        display_name: "Everyone".into(),
        description: None,
        enabled: true,
        allowed_target_scope: AllowedTargetScope::AllMemberUsers,
        specific_allowed_targets: vec![],
        requestor: Default::default(),
        approval: Default::default(),
        questions: vec![],
        expiration: Expiration::NoExpiration,
        assignment_notifications: true,
        automatic: None,
    };
    let package = packages::create(
        &store,
        &actor,
        &gatehouse::domain::catalog_role::CatalogScope::All,
        &catalog,
        &packages::Basics {
            name: "Reviewed package".into(),
            description: None,
        },
        false,
        &[packages::RolePick {
            resource,
            role: "member".into(),
        }],
        &policy,
        now,
    )
    .await
    .map_err(e)?;
    let policy_id = {
        let mut c = store.read().await?;
        gatehouse::store::policies::for_package(&mut c, &package)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no policy"))?
            .0
    };

    // The holders, and who reviews them.
    let t = Instant::now();
    let at = ts(now);
    let ids: Vec<String> = (0..=holders)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let people: Vec<Vec<Val>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let name = format!("Holder {i}");
            let email = format!("holder{i}@review.bench.test");
            vec![
                id.as_str().into(),
                "member".into(),
                name.clone().into(),
                name.to_lowercase().into(),
                email.clone().into(),
                email.into(),
                at.clone().into(),
                at.clone().into(),
            ]
        })
        .collect();
    let mut tx = store.begin().await?;
    insert(
        &mut tx,
        "users",
        "id, user_type, display_name, name_lower, email, email_lower, created_at, updated_at",
        &people,
    )
    .await?;
    let held: Vec<Vec<Val>> = ids[1..]
        .iter()
        .map(|u| {
            vec![
                uuid::Uuid::new_v4().to_string().into(),
                package.as_str().into(),
                policy_id.clone().into(),
                u.as_str().into(),
                "delivered".into(),
                at.clone().into(),
            ]
        })
        .collect();
    insert(
        &mut tx,
        "access_package_assignments",
        "id, access_package_id, policy_id, target_id, state, created_at",
        &held,
    )
    .await?;
    let members: Vec<Vec<Val>> = ids[1..]
        .iter()
        .map(|u| {
            vec![
                group.as_str().into(),
                u.as_str().into(),
                "member".into(),
                at.clone().into(),
                false.into(),
            ]
        })
        .collect();
    insert(
        &mut tx,
        "group_members",
        "group_id, user_id, role, added_at, outside_assignments",
        &members,
    )
    .await?;
    let settings = ReviewSettings {
        start: now.date_naive(),
        recurrence: Recurrence::Quarterly,
        duration_days: 14,
        reviewers: ReviewerKind::Specific,
        users: vec![ids[0].clone()],
        groups: vec![],
        sponsors: false,
        fallback_users: vec![],
        fallback_groups: vec![],
        no_response: NoResponse::RemoveAccess,
        justification_required: false,
        show_recommendations: true,
        apply_automatically: true,
    };
    gatehouse::store::reviews::set_settings(
        &mut tx,
        &PolicyId::from_stored(policy_id.clone()),
        Some(&settings),
    )
    .await?;
    tx.commit().await?;
    println!(
        "  review setup: {holders} holders in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut out = Vec::new();
    let t = Instant::now();
    let started = gatehouse::jobs::reviews::start(&store, now)
        .await
        .map_err(e)?;
    anyhow::ensure!(started == 1, "the review did not start");
    out.push(Timing {
        job: "access review: start",
        count: holders,
        seconds: t.elapsed().as_secs_f64(),
    });
    println!(
        "  review start   {holders:>7} in {:>6.2} s",
        t.elapsed().as_secs_f64()
    );
    let review = reviews::of_package_list(&store, &package)
        .await
        .map_err(e)?
        .1
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no review"))?;
    anyhow::ensure!(
        review.total == holders as i64,
        "the review lists {} holders",
        review.total
    );
    let t = Instant::now();
    reviews::apply_now(&store, &actor, &package, &review.id, now)
        .await
        .map_err(e)?;
    out.push(Timing {
        job: "access review: apply (all removed)",
        count: holders,
        seconds: t.elapsed().as_secs_f64(),
    });
    println!(
        "  review apply   {holders:>7} in {:>6.2} s",
        t.elapsed().as_secs_f64()
    );
    Ok(out)
}
