//! My Access's list of packages, kept in memory.
//!
//! What the list can show (visible packages, their resources and policies)
//! changes only when an administrator edits a catalog, package, policy or
//! resource. Database triggers count those changes in the setting
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

use crate::domain::policy::Policy;
use crate::domain::request::{Requestor, admits, admitted_classes, requestor_class};
use crate::store::requests::CandidateRow;
use crate::store::{Conn, StoreError, policies, requests};

struct Entry {
    row: CandidateRow,
    /// Name, description and resource names, lower-cased, for search.
    search: String,
    /// The requestor classes its open policies naming nobody in particular
    /// admit (`domain::request::admitted_classes`).
    classes: u16,
    /// Its open policies naming users, groups or organizations.
    specific: Vec<Policy>,
}

impl Entry {
    /// `named`: whether one of its specific policies names the requestor,
    /// their group or organization; none can admit them otherwise.
    fn admits(&self, requestor: &Requestor, class: u8, named: impl Fn() -> bool) -> bool {
        self.classes & (1 << class) != 0
            || (!self.specific.is_empty()
                && named()
                && self
                    .specific
                    .iter()
                    .any(|p| admits(p, requestor, self.row.catalog_external)))
    }
}

struct Snapshot {
    generation: String,
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
        let rows = requests::visible_packages(conn).await?;
        let mut by_package: std::collections::HashMap<String, Vec<Policy>> =
            std::collections::HashMap::new();
        for (package, _, mut policy) in policies::all(conn).await? {
            if !(policy.enabled && policy.requestor.enable_targets_to_self_add_access) {
                continue;
            }
            // Only who may request is needed here; the rest stays in the database.
            policy.questions.clear();
            policy.approval.stages.clear();
            policy.description = None;
            by_package.entry(package).or_default().push(policy);
        }
        let entries: Vec<Entry> = rows
            .into_iter()
            .map(|row| {
                let search = format!(
                    "{}\n{}\n{}",
                    row.display_name,
                    row.description.as_deref().unwrap_or(""),
                    row.resources.join("\n")
                )
                .to_lowercase();
                let mut classes = 0;
                let mut specific = Vec::new();
                for p in by_package.remove(&row.id).unwrap_or_default() {
                    match admitted_classes(&p, row.catalog_external) {
                        Some(mask) => classes |= mask,
                        None => specific.push(p),
                    }
                }
                Entry {
                    classes,
                    specific,
                    search,
                    row,
                }
            })
            .collect();
        let snapshot = Arc::new(Snapshot {
            generation: generation.to_string(),
            trigrams: trigram_index(&entries),
            named: named_index(&entries),
            entries,
            searches: Default::default(),
        });
        *self.current.write().await = Some(snapshot.clone());
        Ok(snapshot)
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
                e.admits(requestor, class, || named.contains(i)) || held.contains(e.row.id.as_str())
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
