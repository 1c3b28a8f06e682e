//! How the use cases the lifecycle jobs run take what is due: a batch at a
//! time, each batch one transaction.

/// Rows per transaction.
pub const BATCH: i64 = 5000;

/// Runs `step` over batches of due ids until fewer than a batch remain.
macro_rules! batches {
    ($store:expr, |$tx:ident, $ids:ident| $select:expr, |$id:ident| $step:expr) => {{
        let mut done = 0usize;
        loop {
            let mut $tx = $store.begin().await?;
            let $ids: Vec<_> = $select;
            let n = $ids.len();
            let mut progressed = 0usize;
            for $id in &$ids {
                if $step {
                    progressed += 1;
                }
            }
            $tx.commit().await?;
            done += progressed;
            // A batch where nothing moved would come back the same: stop.
            if (n as i64) < $crate::service::batch::BATCH || progressed == 0 {
                break;
            }
        }
        Ok::<usize, $crate::service::error::ServiceError>(done)
    }};
}
pub(crate) use batches;
