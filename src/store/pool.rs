//! The store itself: the pools of connections to one database (on SQLite a
//! reading pool and a writing pool of one), migrations, the packages kept in
//! memory, and the wake-ups of this instance's workers.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};

use super::error::{Result, map_err};
use super::snapshot;
use super::sql::{Tx, forget_value_samples};
use crate::config::{DatabaseKind, DatabaseUrl};

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    kind: DatabaseKind,
    /// The packages, kept in memory (`snapshot`).
    packages: std::sync::Arc<snapshot::Cache>,
    /// Wakes this instance's provisioning worker after a change that may have
    /// queued operations, so a grant reaches its target at once rather than
    /// at the worker's next look (other instances find it then).
    provisioning: std::sync::Arc<tokio::sync::Notify>,
    /// Likewise for the custom extension calls' worker.
    callouts: std::sync::Arc<tokio::sync::Notify>,
    /// Likewise for the runs administrators ask for ("Reconcile now").
    system_runs: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Connects, creating a SQLite file when missing, and applies migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let store = match url.kind {
            DatabaseKind::Sqlite => {
                let raw = url.expose();
                let with_mode = if raw.contains("mode=") {
                    raw.to_string()
                } else if raw.contains('?') {
                    format!("{raw}&mode=rwc")
                } else {
                    format!("{raw}?mode=rwc")
                };
                let options = AnyConnectOptions::from_str(&with_mode)?;
                let pool = |max: u32, pragmas: &'static str| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(30))
                        // A connection to a local file does not go stale, and
                        // the test is a round trip to its thread on every
                        // acquire: half of a page's round trips.
                        .test_before_acquire(false)
                        .after_connect(move |conn, _| {
                            Box::pin(async move {
                                conn.execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                                )
                                .await?;
                                conn.execute(pragmas).await?;
                                Ok(())
                            })
                        })
                        .connect_with(options.clone())
                };
                // The writer first: it creates the file and switches it to WAL.
                // It leaves checkpoints to `checkpoint_wal`, unless the log
                // grows past 80 MB (20,000 pages) all the same.
                // A cache of 64 MB (the default is 2 MB): an import writing a
                // hundred thousand people inserts into each of the people's
                // indexes at random places, and with the default cache it
                // read the same index pages back again and again.
                let write = pool(
                    1,
                    "PRAGMA wal_autocheckpoint = 20000; \
                     PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -65536;",
                )
                .await?;
                forget_value_samples(&mut *write.acquire().await?).await?;
                // Four readers keep two cores busy; each connection's thread
                // held about 10 MB of its own, and eight of them took the
                // benchmark's server past 150 MB.
                let read = pool(4, "SELECT 1").await?;
                tokio::spawn(checkpoint_wal(read.clone()));
                Store {
                    read,
                    write,
                    kind: DatabaseKind::Sqlite,
                    packages: Default::default(),
                    provisioning: Default::default(),
                    callouts: Default::default(),
                    system_runs: Default::default(),
                }
            }
            DatabaseKind::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    // No ping before each use: it would be one more round
                    // trip in every page. A connection the server dropped
                    // fails its statement once and leaves the pool; idle ones
                    // are closed before servers and firewalls forget them.
                    .test_before_acquire(false)
                    .idle_timeout(Duration::from_secs(300))
                    .max_lifetime(Duration::from_secs(1800))
                    .connect(url.expose())
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    kind: DatabaseKind::Postgres,
                    packages: Default::default(),
                    provisioning: Default::default(),
                    callouts: Default::default(),
                    system_runs: Default::default(),
                }
            }
        };
        store.migrate().await?;
        let mut tx = store.begin().await?;
        super::users::refold_once(&mut tx).await?;
        tx.commit().await?;
        Ok(store)
    }

    /// Tells the provisioning worker that operations may be waiting.
    /// Wakes this instance's workers (provisioning and custom extension
    /// calls) after a change that may have queued work for them.
    pub fn wake_workers(&self) {
        self.provisioning.notify_one();
        self.callouts.notify_one();
    }

    /// Wakes this instance's worker for the runs administrators ask for.
    pub fn wake_system_runs(&self) {
        self.system_runs.notify_one();
    }

    /// Waits until `wake_system_runs` is called (or was, since the last wait).
    pub async fn system_runs_woken(&self) {
        self.system_runs.notified().await;
    }

    /// Waits until `wake_workers` is called (or was, since the last wait).
    pub async fn callouts_woken(&self) {
        self.callouts.notified().await;
    }

    /// Waits until `wake_workers` is called (or was, since the last wait).
    pub async fn provisioning_woken(&self) {
        self.provisioning.notified().await;
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.kind {
            DatabaseKind::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.write).await?,
            DatabaseKind::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }

    /// The packages, kept in memory and rebuilt when the catalog generation moves.
    pub fn packages(&self) -> &snapshot::Cache {
        &self.packages
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        self.read.acquire().await.map_err(map_err)
    }

    /// A writing connection outside a transaction, for a change that is
    /// one statement (its own transaction, without `BEGIN` and `COMMIT`
    /// round trips).
    pub async fn write_one(&self) -> Result<PoolConnection<Any>> {
        self.write.acquire().await.map_err(map_err)
    }

    /// A write transaction; commit it or it rolls back when dropped.
    pub async fn begin(&self) -> Result<Tx> {
        self.write.begin().await.map_err(map_err)
    }

    /// A savepoint in `tx`: committed, its work stays with `tx`; dropped
    /// (after an error), only its own work is undone and `tx` goes on.
    pub async fn savepoint(tx: &mut Tx) -> Result<Transaction<'_, Any>> {
        sqlx::Acquire::begin(tx).await.map_err(map_err)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        match self.read.acquire().await {
            Ok(mut c) => sqlx::query("SELECT 1").execute(&mut *c).await.is_ok(),
            Err(_) => false,
        }
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Copies SQLite's write-ahead log into the database file from a reading
/// connection, a few times a second, until the pool closes. Left to the
/// writer, a checkpoint runs inside whichever commit crosses the threshold
/// and holds every other write behind its copying and fsync: measured on the
/// benchmark database, it took a 1,000-row expiration's commit from 24 ms to
/// 100 ms. A passive checkpoint never waits for the writer, nor does the
/// writer wait for it.
async fn checkpoint_wal(pool: AnyPool) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "write-ahead log checkpoint failed");
        }
    }
}
