//! My Access's list of packages, kept in memory.
//!
//! What the list can show (visible packages, their resources and policies)
//! changes only when an administrator edits a catalog, package, policy or
//! resource. Database triggers count those changes in the setting
//! `catalog_generation`; each listing reads that one value and rebuilds its
//! snapshot when it moved, so every instance sees a change on its next
//! request. The per-person part (groups, organization, holdings) is read
//! fresh each time, and policy choice is `domain::request::admits` itself.

use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};

use crate::domain::policy::Policy;
use crate::domain::request::{Requestor, admits};
use crate::store::requests::CandidateRow;
use crate::store::{Conn, StoreError, policies, requests, settings};

const GENERATION: &str = "catalog_generation";

struct Entry {
    row: CandidateRow,
    /// Name, description and resource names, lower-cased, for search.
    search: String,
    policies: Vec<Policy>,
}

struct Snapshot {
    generation: String,
    entries: Vec<Entry>,
}

#[derive(Default)]
pub struct Cache {
    current: RwLock<Option<Arc<Snapshot>>>,
    /// One rebuild at a time; the others wait for it rather than repeat it.
    rebuilding: Mutex<()>,
}

impl Cache {
    async fn snapshot(&self, conn: &mut Conn) -> Result<Arc<Snapshot>, StoreError> {
        let generation = settings::get(conn, GENERATION).await?.unwrap_or_default();
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
            // Only who may request is needed here; the rest stays in the database.
            policy.questions.clear();
            policy.approval.stages.clear();
            policy.description = None;
            by_package.entry(package).or_default().push(policy);
        }
        let entries = rows
            .into_iter()
            .map(|row| {
                let search = format!(
                    "{}\n{}\n{}",
                    row.display_name,
                    row.description.as_deref().unwrap_or(""),
                    row.resources.join("\n")
                )
                .to_lowercase();
                Entry {
                    policies: by_package.remove(&row.id).unwrap_or_default(),
                    search,
                    row,
                }
            })
            .collect();
        let snapshot = Arc::new(Snapshot {
            generation,
            entries,
        });
        *self.current.write().await = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// One page of what the person may request or holds, matching `q`, with
    /// whether they hold each, and the total.
    pub async fn page(
        &self,
        conn: &mut Conn,
        requestor: &Requestor,
        held: &[String],
        q: &str,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<(CandidateRow, bool)>, usize), StoreError> {
        let snapshot = self.snapshot(conn).await?;
        let q = q.trim().to_lowercase();
        let held: std::collections::HashSet<&str> = held.iter().map(String::as_str).collect();
        let matching = snapshot.entries.iter().filter(|e| {
            (q.is_empty() || e.search.contains(&q))
                && (e.policies.iter().any(|p| {
                    p.enabled
                        && p.requestor.enable_targets_to_self_add_access
                        && admits(p, requestor, e.row.catalog_external)
                }) || held.contains(e.row.id.as_str()))
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
