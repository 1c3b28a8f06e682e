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
//! Search is a substring match, as before; an index of each entry's
//! three-byte sequences narrows it to the entries holding the query's rarest
//! one, so a search reads a few hundred entries instead of all of them.

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
    fn admits(&self, requestor: &Requestor, class: u8) -> bool {
        self.classes & (1 << class) != 0
            || self
                .specific
                .iter()
                .any(|p| admits(p, requestor, self.row.catalog_external))
    }
}

struct Snapshot {
    generation: String,
    entries: Vec<Entry>,
    /// For each three-byte sequence of the search texts, the entries (by
    /// index, ascending) holding it.
    trigrams: HashMap<[u8; 3], Vec<u32>>,
}

impl Snapshot {
    /// The entries that may match `q` (lower-cased): those holding its
    /// rarest three bytes, or all of them for a query shorter than that.
    fn candidates<'a>(&'a self, q: &str) -> Box<dyn Iterator<Item = &'a Entry> + 'a> {
        if q.len() < 3 {
            return Box::new(self.entries.iter());
        }
        let mut rarest: &[u32] = &[];
        for w in q.as_bytes().windows(3) {
            match self.trigrams.get(&[w[0], w[1], w[2]]) {
                None => return Box::new(std::iter::empty()),
                Some(list) if rarest.is_empty() || list.len() < rarest.len() => rarest = list,
                Some(_) => {}
            }
        }
        Box::new(rarest.iter().map(|&i| &self.entries[i as usize]))
    }
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
            entries,
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
        let matching = snapshot.candidates(&q).filter(|e| {
            (q.is_empty() || e.search.contains(&q))
                && (e.admits(requestor, class) || held.contains(e.row.id.as_str()))
        });
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
