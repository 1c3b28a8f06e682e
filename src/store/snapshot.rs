//! The packages, kept in memory: what My Access lists, and what a request
//! is checked against (policies, required attributes, separation of duties,
//! names), so that neither reads them again.
//!
//! All of it changes only when an administrator edits a catalog, package,
//! policy or resource. Database triggers count those changes in the setting
//! `catalog_generation`; each listing reads that one value (with the
//! person's facts, in one query) and rebuilds its snapshot when it moved, so
//! every instance sees a change on its next request. The per-person part
//! (groups, organization, holdings) is read fresh each time, and policy
//! choice is `domain::request::admits` itself.
//!
//! Search is a substring match. An index of each entry's three-byte
//! sequences narrows it to the entries holding the query's rarest one, and
//! the matches of recent searches are remembered with the snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};

use super::error::StoreError;
use super::packages::PackageFacts;
use super::requests::CandidateRow;
use super::sql::Conn;
use super::{catalogs, custom_extensions, packages, policies};
use crate::domain::catalog::{OriginSystem, RequiredAttribute};
use crate::domain::custom_extension::Stage;
use crate::domain::ids::{AccessPackageId, PolicyId};
use crate::domain::policy::Policy;
use crate::domain::request::{Binding, Requestor, admits, admitted_classes, requestor_class};

/// One package, as requests are checked against it.
#[derive(Debug)]
pub struct PackageInfo {
    pub facts: PackageFacts,
    /// Its resources' names, for My Access.
    pub resources: Vec<String>,
    /// The kinds of resource it grants roles of, each once.
    pub kinds: Vec<OriginSystem>,
    /// Whether one of its roles is linked to a connected system.
    pub provisioned: bool,
    /// Its policies, oldest first.
    pub policies: Vec<(PolicyId, Policy)>,
    /// (id, name) of the packages and groups it is incompatible with.
    pub incompatible_packages: Vec<(String, String)>,
    pub incompatible_groups: Vec<(String, String)>,
    /// The attributes its resources require, each name once.
    pub attributes: Vec<RequiredAttribute>,
    /// The custom extension each of its policies calls at each stage, by
    /// policy and stage.
    pub calls: Vec<(PolicyId, Stage, Binding)>,
}

impl PackageInfo {
    pub fn policy(&self, id: &PolicyId) -> Option<&Policy> {
        self.policies.iter().find(|(p, _)| p == id).map(|(_, p)| p)
    }

    /// The extensions the policy calls, by stage.
    pub fn calls_of(&self, policy: &PolicyId) -> impl Iterator<Item = (Stage, &Binding)> {
        self.calls
            .iter()
            .filter(move |(p, _, _)| p == policy)
            .map(|(_, s, b)| (*s, b))
    }

    /// What My Access shows of it.
    pub fn row(&self) -> CandidateRow {
        CandidateRow {
            id: self.facts.id.clone(),
            display_name: self.facts.display_name.clone(),
            description: self.facts.description.clone(),
            catalog_external: self.facts.catalog_external,
            resources: self.resources.clone(),
        }
    }

    /// What of `held` packages and `groups` this package excludes, said as
    /// people read it; `None` when nothing.
    pub fn conflict(&self, held: &[String], groups: &[String]) -> Option<String> {
        let mut found: Vec<String> = Vec::new();
        for (id, name) in &self.incompatible_packages {
            if held.contains(id) {
                found.push(format!("the access package {name}"));
            }
        }
        for (id, name) in &self.incompatible_groups {
            if groups.contains(id) {
                found.push(format!("membership of the group {name}"));
            }
        }
        (!found.is_empty()).then(|| {
            format!(
                "You hold {}, which is incompatible with this access package.",
                found.join(" and ")
            )
        })
    }
}

struct Entry {
    row: CandidateRow,
    /// Name, description and resource names, lower-cased, for search.
    search: String,
    /// The requestor classes its open policies naming nobody in particular
    /// admit (`domain::request::admitted_classes`).
    classes: u16,
    /// Its open policies naming users, groups or organizations.
    specific: Vec<Policy>,
    /// What a manager may ask for their direct reports: the classes whose
    /// strictest admitting policies include one that lets managers ask, and
    /// the specific policies that do (a specific policy naming someone is
    /// the strictest tier, so it alone decides for them).
    behalf_classes: u16,
    behalf_specific: Vec<Policy>,
}

impl Entry {
    /// `named`: whether one of its specific policies names the requestor,
    /// their group or organization; none can admit them otherwise.
    /// `by_manager`: only the policies that let a manager ask count.
    fn admits(
        &self,
        requestor: &Requestor,
        class: u8,
        named: impl Fn() -> bool,
        by_manager: bool,
    ) -> bool {
        let external = self.row.catalog_external;
        let named_in = |specific: &[Policy]| {
            !specific.is_empty()
                && named()
                && specific.iter().any(|p| admits(p, requestor, external))
        };
        if !by_manager {
            return self.classes & (1 << class) != 0 || named_in(&self.specific);
        }
        if named_in(&self.specific) {
            return named_in(&self.behalf_specific);
        }
        self.behalf_classes & (1 << class) != 0
    }
}

struct Snapshot {
    generation: String,
    /// Every package, by id (hidden ones and those of unpublished catalogs too).
    packages: HashMap<String, Arc<PackageInfo>>,
    /// What My Access may list: packages not hidden, in published catalogs.
    entries: Vec<Entry>,
    /// For each three-byte sequence of the search texts, the entries (by
    /// index, ascending) holding it.
    trigrams: HashMap<[u8; 3], Vec<u32>>,
    /// For each user, group or organization a specific policy names, the
    /// entries (by index) with such a policy.
    named: HashMap<String, Vec<u32>>,
    /// The entries matching recent searches, which repeat: people type the
    /// same few words.
    searches: std::sync::Mutex<Searches>,
}

/// At most this much is remembered for recent searches, counted in entry
/// indexes (4 MB), with each query's text counted too; past it the memory
/// starts afresh.
const REMEMBERED: usize = 1 << 20;

#[derive(Default)]
struct Searches {
    found: HashMap<String, Arc<[u32]>>,
    size: usize,
}

impl Snapshot {
    /// The entries whose search text holds `q` (trimmed, lower-cased, not
    /// empty), ascending.
    fn matches(&self, q: &str) -> Arc<[u32]> {
        let searches = || self.searches.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = searches().found.get(q) {
            return found.clone();
        }
        let found: Arc<[u32]> = self
            .candidates(q)
            .iter()
            .copied()
            .filter(|&i| self.entries[i as usize].search.contains(q))
            .collect();
        // A query that matches nothing still costs its text.
        let cost = found.len() + q.len().div_ceil(4) + 1;
        let mut remembered = searches();
        if remembered.size + cost > REMEMBERED {
            *remembered = Searches::default();
        }
        remembered.size += cost;
        remembered.found.insert(q.to_string(), found.clone());
        found
    }

    /// The entries that may hold `q`: those holding its rarest three bytes,
    /// or all of them for a query shorter than that.
    fn candidates(&self, q: &str) -> std::borrow::Cow<'_, [u32]> {
        if q.len() < 3 {
            return (0..self.entries.len() as u32).collect();
        }
        let mut rarest: &[u32] = &[];
        for w in q.as_bytes().windows(3) {
            match self.trigrams.get(&[w[0], w[1], w[2]]) {
                None => return std::borrow::Cow::Borrowed(&[]),
                Some(list) if rarest.is_empty() || list.len() < rarest.len() => rarest = list,
                Some(_) => {}
            }
        }
        std::borrow::Cow::Borrowed(rarest)
    }
}

/// The classes for which the strictest tier of the policies admitting them
/// (`(classes, tier, lets managers ask)`) has one that lets managers ask.
fn strictest_let_managers_ask(general: &[(u16, Option<u8>, bool)]) -> u16 {
    let mut mask = 0;
    for class in 0..16 {
        let bit = 1u16 << class;
        let admitting = || general.iter().filter(|(m, _, _)| m & bit != 0);
        let best = admitting().filter_map(|(_, t, _)| *t).min();
        if admitting().any(|(_, t, behalf)| *behalf && *t == best) {
            mask |= bit;
        }
    }
    mask
}

fn named_index(entries: &[Entry]) -> HashMap<String, Vec<u32>> {
    let mut index: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for t in e.specific.iter().flat_map(|p| &p.specific_allowed_targets) {
            let list = index.entry(t.id().to_string()).or_default();
            if list.last() != Some(&(i as u32)) {
                list.push(i as u32);
            }
        }
    }
    index
}

fn trigram_index(entries: &[Entry]) -> HashMap<[u8; 3], Vec<u32>> {
    let mut index: HashMap<[u8; 3], Vec<u32>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let i = i as u32;
        for w in e.search.as_bytes().windows(3) {
            let list = index.entry([w[0], w[1], w[2]]).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    index
}

#[derive(Default)]
pub struct Cache {
    current: RwLock<Option<Arc<Snapshot>>>,
    /// One rebuild at a time; the others wait for it rather than repeat it.
    rebuilding: Mutex<()>,
}

impl Cache {
    /// The snapshot of `generation`, built now if the one held is older.
    async fn snapshot(
        &self,
        conn: &mut Conn,
        generation: &str,
    ) -> Result<Arc<Snapshot>, StoreError> {
        if let Some(s) = self.current.read().await.as_ref() {
            if s.generation == generation {
                return Ok(s.clone());
            }
        }
        let _one = self.rebuilding.lock().await;
        if let Some(s) = self.current.read().await.as_ref() {
            if s.generation == generation {
                return Ok(s.clone());
            }
        }
        let mut infos = build(conn).await?;
        let entries: Vec<Entry> = infos
            .iter_mut()
            .filter(|i| i.facts.catalog_published && !i.facts.is_hidden)
            .map(|info| {
                let row = info.row();
                let search = format!(
                    "{}\n{}\n{}",
                    row.display_name,
                    row.description.as_deref().unwrap_or(""),
                    row.resources.join("\n")
                )
                .to_lowercase();
                let mut classes = 0;
                let (mut specific, mut behalf_specific) = (Vec::new(), Vec::new());
                // (classes admitted, tier, lets managers ask) of each policy
                // naming nobody in particular.
                let mut general = Vec::new();
                for (_, p) in &info.policies {
                    if !(p.enabled && p.requestor.enable_targets_to_self_add_access) {
                        continue;
                    }
                    let behalf = p.requestor.enable_on_behalf_requestors_to_add_access;
                    match admitted_classes(p, row.catalog_external) {
                        Some(mask) => {
                            classes |= mask;
                            general.push((mask, p.allowed_target_scope.tier(), behalf));
                        }
                        None => {
                            specific.push(p.clone());
                            if behalf {
                                behalf_specific.push(p.clone());
                            }
                        }
                    }
                }
                let behalf_classes = strictest_let_managers_ask(&general);
                Entry {
                    classes,
                    specific,
                    behalf_classes,
                    behalf_specific,
                    search,
                    row,
                }
            })
            .collect();
        let packages = infos
            .into_iter()
            .map(|i| (i.facts.id.clone(), Arc::new(i)))
            .collect();
        let snapshot = Arc::new(Snapshot {
            generation: generation.to_string(),
            packages,
            trigrams: trigram_index(&entries),
            named: named_index(&entries),
            entries,
            searches: Default::default(),
        });
        *self.current.write().await = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// The package, as of `generation` (read just now with whatever else the
    /// caller needed); `None` if there is no such package.
    pub async fn package(
        &self,
        conn: &mut Conn,
        generation: &str,
        id: &AccessPackageId,
    ) -> Result<Option<Arc<PackageInfo>>, StoreError> {
        Ok(self
            .snapshot(conn, generation)
            .await?
            .packages
            .get(id.as_str())
            .cloned())
    }

    /// The package as it is now: reads the generation (one statement) and
    /// takes the package from memory.
    pub async fn current(
        &self,
        conn: &mut Conn,
        id: &AccessPackageId,
    ) -> Result<Option<Arc<PackageInfo>>, StoreError> {
        let generation = super::settings::get(conn, "catalog_generation")
            .await?
            .unwrap_or_default();
        self.package(conn, &generation, id).await
    }

    /// One page of what the person may request or holds, matching `q`, with
    /// whether they hold each, and the total. `generation`: the catalog
    /// generation just read.
    #[allow(clippy::too_many_arguments)]
    pub async fn page(
        &self,
        conn: &mut Conn,
        generation: &str,
        requestor: &Requestor,
        held: &[String],
        q: &str,
        page: usize,
        per_page: usize,
        by_manager: bool,
    ) -> Result<(Vec<(CandidateRow, bool)>, usize), StoreError> {
        let snapshot = self.snapshot(conn, generation).await?;
        let q = q.trim().to_lowercase();
        let held: std::collections::HashSet<&str> = held.iter().map(String::as_str).collect();
        let class = requestor_class(requestor);
        let named: std::collections::HashSet<u32> = requestor
            .user_id
            .iter()
            .chain(&requestor.group_ids)
            .chain(&requestor.connected_organization)
            .filter_map(|id| snapshot.named.get(id))
            .flatten()
            .copied()
            .collect();
        let found = (!q.is_empty()).then(|| snapshot.matches(&q));
        let searched: Box<dyn Iterator<Item = u32>> = match &found {
            Some(found) => Box::new(found.iter().copied()),
            None => Box::new(0..snapshot.entries.len() as u32),
        };
        let matching = searched
            .map(|i| (i, &snapshot.entries[i as usize]))
            .filter(|(i, e)| {
                // A manager is shown what they can ask for; a person, what they
                // hold as well.
                e.admits(requestor, class, || named.contains(i), by_manager)
                    || (!by_manager && held.contains(e.row.id.as_str()))
            })
            .map(|(_, e)| e);
        let mut total = 0;
        let mut out = Vec::with_capacity(per_page);
        let skip = page.saturating_sub(1) * per_page;
        for e in matching {
            if total >= skip && out.len() < per_page {
                out.push((e.row.clone(), held.contains(e.row.id.as_str())));
            }
            total += 1;
        }
        Ok((out, total))
    }
}

/// Reads every package with its resources, policies, separation of duties
/// required attributes and extensions (and which roles are linked to
/// connected systems): six queries, whatever the number of packages.
async fn build(conn: &mut Conn) -> Result<Vec<PackageInfo>, StoreError> {
    let mut infos: Vec<PackageInfo> = packages::all_facts(conn)
        .await?
        .into_iter()
        .map(|facts| PackageInfo {
            facts,
            resources: vec![],
            kinds: vec![],
            provisioned: false,
            policies: vec![],
            incompatible_packages: vec![],
            incompatible_groups: vec![],
            attributes: vec![],
            calls: vec![],
        })
        .collect();
    let index: HashMap<String, usize> = infos
        .iter()
        .enumerate()
        .map(|(i, p)| (p.facts.id.clone(), i))
        .collect();
    let at = |id: &str| index.get(id).copied();
    for (package, name, system, _, linked) in packages::all_roles(conn).await? {
        if let Some(i) = at(&package) {
            infos[i].provisioned |= linked;
            if !infos[i].resources.contains(&name) {
                infos[i].resources.push(name);
            }
            let kind = OriginSystem::parse(&system)
                .ok_or_else(|| StoreError::Corrupt(format!("origin system {system}")))?;
            if !infos[i].kinds.contains(&kind) {
                infos[i].kinds.push(kind);
            }
        }
    }
    for (package, id, policy) in policies::all(conn).await? {
        if let Some(i) = at(&package) {
            infos[i].policies.push((PolicyId::from_stored(id), policy));
        }
    }
    // A policy's package, to file its extensions under.
    let package_of: HashMap<&str, usize> = infos
        .iter()
        .enumerate()
        .flat_map(|(i, info)| info.policies.iter().map(move |(p, _)| (p.as_str(), i)))
        .collect();
    let mut calls: Vec<(usize, PolicyId, Stage, Binding)> = vec![];
    for (policy, stage, e) in custom_extensions::all_bound(conn).await? {
        if let Some(&i) = package_of.get(policy.as_str()) {
            let binding = Binding {
                behavior: e.behavior(),
                extension: e.id,
                name: e.display_name,
            };
            calls.push((i, PolicyId::from_stored(policy), stage, binding));
        }
    }
    for (i, policy, stage, binding) in calls {
        infos[i].calls.push((policy, stage, binding));
    }
    for (package, kind, id, name) in packages::all_incompatibilities(conn).await? {
        if let Some(i) = at(&package) {
            match kind.as_str() {
                "package" => infos[i].incompatible_packages.push((id, name)),
                _ => infos[i].incompatible_groups.push((id, name)),
            }
        }
    }
    for (package, a) in catalogs::attributes_by_package(conn).await? {
        if let Some(i) = at(&package) {
            let seen = &infos[i].attributes;
            if !seen
                .iter()
                .any(|s| s.attribute_name.eq_ignore_ascii_case(&a.attribute_name))
            {
                infos[i].attributes.push(a);
            }
        }
    }
    Ok(infos)
}
