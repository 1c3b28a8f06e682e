//! The data generator: a large tenant, the same for the same seed and scale.

use std::time::Instant;

use crate::bulk::{Val, insert};
use chrono::{DateTime, Duration, Utc};
use gatehouse::domain::ids::UserId;
use gatehouse::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, Expiration, Policy,
    RequestorSettings, SubjectSet,
};
use gatehouse::store::{Store, ts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the benchmark needs to find in the generated tenant.
pub const ADMIN_EMAIL: &str = "admin@bench.example";
pub const APPROVER_EMAIL: &str = "approver@bench.example";
/// Members 2.. this are requesters: they hold nothing, so every request is new.
pub const REQUESTERS: usize = 2000;
/// Search words in package names.
pub const WORDS: [&str; 10] = [
    "Marketing",
    "Finance",
    "Sales",
    "Engineering",
    "Legal",
    "Support",
    "Research",
    "Design",
    "Operations",
    "Security",
];

/// The ids of pending requests the approver decides: fixed, so that the load
/// script can name them.
pub fn pending_id(n: usize) -> String {
    format!("a0000000-0000-4000-8000-{n:012}")
}

pub struct Sizes {
    pub users: usize,
    pub catalogs: usize,
    pub assignments: usize,
    pub requests: usize,
    pub pending: usize,
    pub big_package_assignments: usize,
}

impl Sizes {
    pub fn at(scale: f64) -> Sizes {
        let n = |x: f64| ((x * scale).round() as usize).max(1);
        let users = n(100_000.0).max(REQUESTERS * 2);
        Sizes {
            users,
            catalogs: n(1_000.0),
            assignments: n(1_000_000.0),
            requests: n(200_000.0),
            pending: n(150_000.0),
            big_package_assignments: n(10_000.0),
        }
    }
}

struct Gen {
    rng: StdRng,
}

impl Gen {
    fn id(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random())
            .into_uuid()
            .to_string()
    }
}

fn user_email(i: usize) -> String {
    match i {
        0 => ADMIN_EMAIL.into(),
        1 => APPROVER_EMAIL.into(),
        i if is_guest(i) => format!("g{i}@partner{}.example", i % 20),
        i => format!("u{i}@bench.example"),
    }
}

fn is_guest(i: usize) -> bool {
    i % 10 == 9
}

async fn timed<F: std::future::Future<Output = anyhow::Result<()>>>(
    what: &str,
    rows: usize,
    f: F,
) -> anyhow::Result<()> {
    let t = Instant::now();
    f.await?;
    println!(
        "  {what:<28} {rows:>10} rows  {:>8.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Fills an empty database. Returns nothing; prints what it loaded and how long it took.
pub async fn generate(store: &Store, scale: f64, seed: u64) -> anyhow::Result<()> {
    let sizes = Sizes::at(scale);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
    };
    // Midnight today: the same data all day for the same seed.
    let base: DateTime<Utc> = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let created = ts(base - Duration::days(60));
    let started = Instant::now();
    println!(
        "Generating (seed {seed}, scale {scale}): {} users, {} catalogs, {} packages, {} assignments, {} requests",
        sizes.users,
        sizes.catalogs,
        sizes.catalogs * 10,
        sizes.assignments,
        sizes.requests
    );

    // ---- users ----
    let user_ids: Vec<String> = (0..sizes.users).map(|_| g.id()).collect();
    let manager = |i: usize| -> Option<usize> {
        let m = if i % 10 != 0 {
            i / 10 * 10
        } else {
            i / 100 * 100
        };
        (m != i && !is_guest(i)).then_some(m)
    };
    let mut rows = Vec::with_capacity(sizes.users);
    for (i, id) in user_ids.iter().enumerate() {
        let guest = is_guest(i);
        let name = match i {
            0 => "Bench Admin".to_string(),
            1 => "Bench Approver".to_string(),
            i if guest => format!("Guest {i}"),
            i => format!("User {i}"),
        };
        rows.push(vec![
            Val::from(id.as_str()),
            Val::from(if guest { "guest" } else { "member" }),
            Val::from(name.clone()),
            Val::from(name.to_lowercase()),
            Val::from(user_email(i)),
            Val::from(user_email(i)),
            Val::from(format!("Department {}", i % 50)),
            Val::from(format!("department {}", i % 50)),
            Val::from(manager(i).map(|m| user_ids[m].clone())),
            Val::from(if guest { "governed" } else { "notGoverned" }),
            Val::from(created.clone()),
            Val::from(created.clone()),
        ]);
    }
    timed("users", rows.len(), async {
        let mut tx = store.begin().await?;
        // Managers first is not needed: the references are checked at commit
        // on neither backend, so rows are inserted in index order, managers
        // (lower indexes) before their reports.
        insert(
            &mut tx,
            "users",
            "id, user_type, display_name, name_lower, email, email_lower, department, department_lower, manager_id, lifecycle, created_at, updated_at",
            &rows,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    })
    .await?;

    // ---- resources: per catalog 30 groups, 10 applications (2 roles), 10 sites ----
    let c = sizes.catalogs;
    let group_ids: Vec<String> = (0..c * 30).map(|_| g.id()).collect();
    let app_ids: Vec<String> = (0..c * 10).map(|_| g.id()).collect();
    let role_ids: Vec<[String; 2]> = (0..c * 10).map(|_| [g.id(), g.id()]).collect();
    let site_ids: Vec<String> = (0..c * 10).map(|_| g.id()).collect();
    let groups: Vec<Vec<Val>> = group_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let name = format!("SG-{}-{i}", WORDS[i % 10]);
            vec![
                id.as_str().into(),
                name.clone().into(),
                name.to_lowercase().into(),
                "security".into(),
                created.clone().into(),
                created.clone().into(),
            ]
        })
        .collect();
    let apps: Vec<Vec<Val>> = app_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let name = format!("App {} {i}", WORDS[(i + 3) % 10]);
            vec![
                id.as_str().into(),
                name.clone().into(),
                name.to_lowercase().into(),
                created.clone().into(),
                created.clone().into(),
            ]
        })
        .collect();
    let mut roles = Vec::new();
    for (i, app) in app_ids.iter().enumerate() {
        for (k, name) in ["User", "Admin"].iter().enumerate() {
            roles.push(vec![
                role_ids[i][k].as_str().into(),
                app.as_str().into(),
                (*name).into(),
                name.to_lowercase().into(),
                (k as i64).into(),
            ]);
        }
    }
    let sites: Vec<Vec<Val>> = site_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let name = format!("Site {} {i}", WORDS[(i + 7) % 10]);
            vec![
                id.as_str().into(),
                name.clone().into(),
                name.to_lowercase().into(),
                format!("https://sites.bench.example/{i}").into(),
                created.clone().into(),
                created.clone().into(),
            ]
        })
        .collect();
    // Each member is in two groups.
    let mut members = Vec::new();
    for (i, u) in user_ids.iter().enumerate() {
        if is_guest(i) {
            continue;
        }
        let a = i % group_ids.len();
        let b = (i * 7 + 3) % group_ids.len();
        for gi in if a == b { vec![a] } else { vec![a, b] } {
            members.push(vec![
                group_ids[gi].as_str().into(),
                u.as_str().into(),
                "member".into(),
                created.clone().into(),
            ]);
        }
    }
    timed(
        "groups, apps, sites, members",
        groups.len() + apps.len() + roles.len() + sites.len() + members.len(),
        async {
            let mut tx = store.begin().await?;
            insert(
                &mut tx,
                "groups",
                "id, display_name, name_lower, group_type, created_at, updated_at",
                &groups,
            )
            .await?;
            insert(
                &mut tx,
                "applications",
                "id, display_name, name_lower, created_at, updated_at",
                &apps,
            )
            .await?;
            insert(
                &mut tx,
                "app_roles",
                "id, application_id, display_name, name_lower, position",
                &roles,
            )
            .await?;
            insert(
                &mut tx,
                "sites",
                "id, display_name, name_lower, url, created_at, updated_at",
                &sites,
            )
            .await?;
            insert(
                &mut tx,
                "group_members",
                "group_id, user_id, role, added_at",
                &members,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        },
    )
    .await?;

    // ---- catalogs and their resources ----
    let catalog_ids: Vec<String> = (0..c).map(|_| g.id()).collect();
    let catalogs: Vec<Vec<Val>> = catalog_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let name = format!("{} catalog {i}", WORDS[i % 10]);
            vec![
                id.as_str().into(),
                name.clone().into(),
                name.to_lowercase().into(),
                format!("Resources of team {i}").into(),
                "published".into(),
                (i % 5 == 0).into(),
                created.clone().into(),
                created.clone().into(),
            ]
        })
        .collect();
    // (catalog resource id, origin system, origin id) per catalog, in order.
    let mut resources: Vec<Vec<(String, &str, String)>> = Vec::with_capacity(c);
    let mut resource_rows = Vec::new();
    for (ci, cat) in catalog_ids.iter().enumerate() {
        let mut list = Vec::new();
        for k in 0..30 {
            list.push((g.id(), "AadGroup", group_ids[ci * 30 + k].clone()));
        }
        for k in 0..10 {
            list.push((g.id(), "AadApplication", app_ids[ci * 10 + k].clone()));
        }
        for k in 0..10 {
            list.push((g.id(), "SharePointOnline", site_ids[ci * 10 + k].clone()));
        }
        for (id, origin, origin_id) in &list {
            resource_rows.push(vec![
                id.as_str().into(),
                cat.as_str().into(),
                (*origin).into(),
                origin_id.as_str().into(),
                created.clone().into(),
            ]);
        }
        resources.push(list);
    }
    timed(
        "catalogs and resources",
        catalogs.len() + resource_rows.len(),
        async {
            let mut tx = store.begin().await?;
            insert(
                &mut tx,
                "catalogs",
                "id, display_name, name_lower, description, state, is_externally_visible, created_at, updated_at",
                &catalogs,
            )
            .await?;
            insert(
                &mut tx,
                "catalog_resources",
                "id, catalog_id, origin_system, origin_id, added_at",
                &resource_rows,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        },
    )
    .await?;

    // ---- packages: 10 per catalog, each a group membership and an app role;
    //      two policies each ----
    let approver = UserId::from_stored(user_ids[1].clone());
    let p_count = c * 10;
    let package_ids: Vec<String> = (0..p_count).map(|_| g.id()).collect();
    let policy_ids: Vec<[String; 2]> = (0..p_count).map(|_| [g.id(), g.id()]).collect();
    let mut packages = Vec::new();
    let mut scopes = Vec::new();
    let mut policies = Vec::new();
    let mut targets = Vec::new();
    for (k, id) in package_ids.iter().enumerate() {
        let ci = k / 10;
        let name = if k == 0 {
            "Bench package with many assignments".to_string()
        } else {
            format!("{} access {k}", WORDS[k % 10])
        };
        packages.push(vec![
            id.as_str().into(),
            catalog_ids[ci].as_str().into(),
            name.clone().into(),
            name.to_lowercase().into(),
            format!(
                "Access for project {k} of the {} team.",
                WORDS[(k / 10) % 10]
            )
            .into(),
            false.into(),
            created.clone().into(),
            created.clone().into(),
        ]);
        let group = &resources[ci][k % 30];
        let app = &resources[ci][30 + k % 10];
        scopes.push(vec![
            g.id().into(),
            id.as_str().into(),
            group.0.as_str().into(),
            "member".into(),
            "Member".into(),
        ]);
        scopes.push(vec![
            g.id().into(),
            id.as_str().into(),
            app.0.as_str().into(),
            role_ids[ci * 10 + k % 10][0].as_str().into(),
            "User".into(),
        ]);
        let stage = |primary: Vec<Approver>| ApprovalStage {
            duration_before_automatic_denial_days: 14,
            is_approver_justification_required: false,
            primary_approvers: primary,
            fallback_primary_approvers: vec![Approver::SingleUser(approver.clone())],
            is_escalation_enabled: false,
            duration_before_escalation_days: 0,
            escalation_approvers: vec![],
            fallback_escalation_approvers: vec![],
        };
        let approval = |stages: Vec<ApprovalStage>| ApprovalSettings {
            show_approvers: None,
            is_approval_required_for_add: !stages.is_empty(),
            is_approval_required_for_update: false,
            is_requestor_justification_required: false,
            stages,
        };
        let requestor = RequestorSettings {
            enable_targets_to_self_add_access: true,
            enable_targets_to_self_update_access: true,
            enable_targets_to_self_remove_access: true,
            allow_custom_assignment_schedule: false,
            enable_on_behalf_requestors_to_add_access: false,
        };
        let (scope, targets_of, stages) = match k % 4 {
            0 => (AllowedTargetScope::AllMemberUsers, vec![], vec![]),
            1 => (
                AllowedTargetScope::AllMemberUsers,
                vec![],
                vec![stage(vec![Approver::RequestorManager])],
            ),
            2 => (
                AllowedTargetScope::SpecificDirectoryUsers,
                vec![SubjectSet::GroupMembers(
                    gatehouse::domain::ids::GroupId::from_stored(group.2.clone()),
                )],
                vec![],
            ),
            _ => (
                AllowedTargetScope::AllDirectoryUsers,
                vec![],
                vec![stage(vec![Approver::SingleUser(approver.clone())])],
            ),
        };
        let first = Policy {
            display_name: "Employees".into(),
            description: None,
            enabled: true,
            allowed_target_scope: scope,
            specific_allowed_targets: targets_of.clone(),
            requestor: requestor.clone(),
            approval: approval(stages),
            questions: vec![],
            expiration: Expiration::AfterDays(365),
            assignment_notifications: true,
            automatic: None,
        };
        let second = Policy {
            display_name: "Partners".into(),
            allowed_target_scope: AllowedTargetScope::AllExternalUsers,
            specific_allowed_targets: vec![],
            approval: approval(vec![stage(vec![Approver::SingleUser(approver.clone())])]),
            expiration: Expiration::AfterDays(90),
            assignment_notifications: true,
            automatic: None,
            ..first.clone()
        };
        for (pi, p) in [first, second].iter().enumerate() {
            policies.push(vec![
                policy_ids[k][pi].as_str().into(),
                id.as_str().into(),
                p.display_name.as_str().into(),
                p.allowed_target_scope.as_str().into(),
                true.into(),
                gatehouse::store::policies::settings_json(p)
                    .to_string()
                    .into(),
                ts(base - Duration::days(60) + Duration::milliseconds(pi as i64)).into(),
                created.clone().into(),
            ]);
        }
        for t in targets_of {
            if let SubjectSet::GroupMembers(gid) = t {
                targets.push(vec![
                    policy_ids[k][0].as_str().into(),
                    "groupMembers".into(),
                    gid.as_str().into(),
                ]);
            }
        }
    }
    timed(
        "packages, scopes, policies",
        packages.len() + scopes.len() + policies.len() + targets.len(),
        async {
            let mut tx = store.begin().await?;
            insert(
                &mut tx,
                "access_packages",
                "id, catalog_id, display_name, name_lower, description, is_hidden, created_at, updated_at",
                &packages,
            )
            .await?;
            insert(
                &mut tx,
                "access_package_resource_role_scopes",
                "id, access_package_id, catalog_resource_id, role_origin_id, role_display_name",
                &scopes,
            )
            .await?;
            insert(
                &mut tx,
                "assignment_policies",
                "id, access_package_id, display_name, allowed_target_scope, enabled, settings, created_at, updated_at",
                &policies,
            )
            .await?;
            insert(
                &mut tx,
                "assignment_policy_targets",
                "policy_id, target_type, target_id",
                &targets,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        },
    )
    .await?;

    // ---- assignments: the many-assignment package first, then at random;
    //      requesters and the pending requests' targets hold nothing ----
    // People after the requesters up to here are the pending requests' targets.
    let first_holder = REQUESTERS + 2 + sizes.users / 4;
    let holders: Vec<usize> = (first_holder..sizes.users)
        .filter(|i| !is_guest(*i))
        .collect();
    let mut assignment_ids = Vec::with_capacity(sizes.assignments);
    let mut chunk = Vec::new();
    let columns =
        "id, access_package_id, policy_id, target_id, state, start_at, end_at, created_at";
    let t = Instant::now();
    let mut tx = store.begin().await?;
    for n in 0..sizes.assignments {
        let k = if n < sizes.big_package_assignments {
            0
        } else {
            g.rng.random_range(1..p_count)
        };
        let holder = if n < sizes.big_package_assignments {
            holders[n % holders.len()]
        } else {
            holders[g.rng.random_range(0..holders.len())]
        };
        let id = g.id();
        let start = base - Duration::days(g.rng.random_range(1..300));
        let end = base + Duration::days(g.rng.random_range(20..365));
        chunk.push(vec![
            id.as_str().into(),
            package_ids[k].as_str().into(),
            policy_ids[k][0].as_str().into(),
            user_ids[holder].as_str().into(),
            "delivered".into(),
            ts(start).into(),
            ts(end).into(),
            ts(start).into(),
        ]);
        if n < sizes.requests {
            assignment_ids.push((id, k, holder, start));
        }
        if chunk.len() == 20_000 {
            insert(&mut tx, "access_package_assignments", columns, &chunk).await?;
            chunk.clear();
        }
    }
    insert(&mut tx, "access_package_assignments", columns, &chunk).await?;
    tx.commit().await?;
    loaded("assignments", sizes.assignments, t);

    // ---- completed requests (one per early assignment), decisions where approved ----
    let t = Instant::now();
    let mut tx = store.begin().await?;
    let (mut reqs, mut decisions) = (Vec::new(), Vec::new());
    let req_columns =
        format!("{REQUEST_COLUMNS}, assignment_id, current_stage, created_at, completed_at");
    for (n, (aid, k, holder, start)) in assignment_ids.iter().enumerate() {
        let rid = g.id();
        let approved = k % 4 == 1 || k % 4 == 3;
        reqs.push(vec![
            rid.as_str().into(),
            "userAdd".into(),
            "delivered".into(),
            package_ids[*k].as_str().into(),
            policy_ids[*k][0].as_str().into(),
            user_ids[*holder].as_str().into(),
            user_ids[*holder].as_str().into(),
            user_email(*holder).into(),
            format!("User {holder}").into(),
            "[]".into(),
            "{}".into(),
            aid.as_str().into(),
            (if approved { 1i64 } else { 0 }).into(),
            ts(*start - Duration::hours(2)).into(),
            ts(*start).into(),
        ]);
        if approved {
            decisions.push(vec![
                rid.as_str().into(),
                1i64.into(),
                "Approved".into(),
                user_ids[1].as_str().into(),
                ts(*start).into(),
            ]);
        }
        if reqs.len() == 10_000 || n + 1 == assignment_ids.len() {
            let decided = "request_id, stage, review_result, reviewed_by, reviewed_at";
            flush(&mut tx, "assignment_requests", &req_columns, &mut reqs).await?;
            flush(&mut tx, "request_decisions", decided, &mut decisions).await?;
        }
    }
    tx.commit().await?;
    loaded("completed requests", assignment_ids.len(), t);

    // ---- pending requests for the approver, on packages that need them ----
    let t = Instant::now();
    let mut tx = store.begin().await?;
    let approver_packages: Vec<usize> = (0..p_count).filter(|k| k % 4 == 3).collect();
    // Pending requests go to `pending_targets` people, each for several
    // packages: every (person, package) pair once.
    let pending_targets: Vec<usize> = (REQUESTERS + 2..first_holder)
        .filter(|i| !is_guest(*i))
        .collect();
    let targets_pending: Vec<usize> = (0..sizes.pending)
        .map(|n| pending_targets[n % pending_targets.len()])
        .collect();
    let (mut reqs, mut approvers, mut timers) = (Vec::new(), Vec::new(), Vec::new());
    let pending_columns = format!("{REQUEST_COLUMNS}, current_stage, stage_started_at, created_at");
    let now = ts(base);
    for (n, target) in targets_pending.iter().enumerate() {
        let k = approver_packages[(n / pending_targets.len()) % approver_packages.len()];
        let rid = pending_id(n);
        reqs.push(vec![
            rid.as_str().into(),
            "userAdd".into(),
            "pendingApproval".into(),
            package_ids[k].as_str().into(),
            policy_ids[k][0].as_str().into(),
            user_ids[*target].as_str().into(),
            user_ids[*target].as_str().into(),
            user_email(*target).into(),
            format!("User {target}").into(),
            "[]".into(),
            "{}".into(),
            1i64.into(),
            now.as_str().into(),
            now.as_str().into(),
        ]);
        timers.push(vec![
            rid.as_str().into(),
            ts(base + Duration::days(14)).into(),
        ]);
        approvers.push(vec![
            rid.as_str().into(),
            1i64.into(),
            user_ids[1].as_str().into(),
            false.into(),
        ]);
        if reqs.len() == 10_000 || n + 1 == targets_pending.len() {
            let approving = "request_id, stage, user_id, is_escalation";
            flush(&mut tx, "assignment_requests", &pending_columns, &mut reqs).await?;
            flush(
                &mut tx,
                "request_timers",
                "request_id, deny_at",
                &mut timers,
            )
            .await?;
            flush(
                &mut tx,
                "request_stage_approvers",
                approving,
                &mut approvers,
            )
            .await?;
        }
    }
    tx.commit().await?;
    loaded("pending requests", targets_pending.len(), t);

    let t = Instant::now();
    let mut conn = store.read().await?;
    crate::bulk::analyze(&mut conn).await?;
    drop(conn);
    if matches!(store.kind(), gatehouse::config::DatabaseKind::Sqlite) {
        let mut conn = store.read().await?;
        gatehouse::store::forget_value_samples(&mut conn).await?;
        crate::bulk::checkpoint(&mut conn).await?;
    }
    println!(
        "  {:<28} {:>10}       {:>8.1} s",
        "analyze",
        "",
        t.elapsed().as_secs_f64()
    );
    println!("Loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// One line of the load report: what, how many rows, how long since `t`.
fn loaded(what: &str, rows: usize, t: Instant) {
    println!(
        "  {:<28} {:>10} rows  {:>8.1} s",
        what,
        rows,
        t.elapsed().as_secs_f64()
    );
}

/// Inserts a chunk of rows and empties it for the next.
async fn flush(
    conn: &mut gatehouse::store::Conn,
    table: &str,
    columns: &str,
    rows: &mut Vec<Vec<Val>>,
) -> anyhow::Result<()> {
    insert(conn, table, columns, rows).await?;
    rows.clear();
    Ok(())
}

/// The columns every generated request fills first.
const REQUEST_COLUMNS: &str = "id, request_type, state, access_package_id, policy_id, \
    requestor_id, target_id, target_email, target_display_name, answers, attributes";
