//! The batch paths: the expiration and reminder jobs over many assignments
//! that fall due at once, at two sizes, to show how the cost grows.

use std::time::Instant;

use chrono::{Duration, Utc};
use gatehouse::store::Store;

pub struct Timing {
    pub job: &'static str,
    pub count: usize,
    pub seconds: f64,
}

/// Times each job over `sizes` assignments (each size on fresh assignments).
pub async fn run(database_url: &str, sizes: &[i64]) -> anyhow::Result<Vec<Timing>> {
    let url =
        gatehouse::config::DatabaseUrl::parse(database_url).map_err(|e| anyhow::anyhow!(e))?;
    let store = Store::connect(&url).await?;
    let mut out = Vec::new();
    for &n in sizes {
        let now = Utc::now();
        // Reminders: n assignments that end in five days.
        let mut tx = store.begin().await?;
        crate::bulk::set_ends(&mut tx, n, now + Duration::days(5)).await?;
        tx.commit().await?;
        let t = Instant::now();
        let done = gatehouse::jobs::reminders::run(&store, now).await?;
        out.push(Timing {
            job: "reminders",
            count: done,
            seconds: t.elapsed().as_secs_f64(),
        });
        println!(
            "  reminders    {done:>7} in {:>6.2} s",
            t.elapsed().as_secs_f64()
        );
        // Expiration: n assignments that ended a minute ago.
        let mut tx = store.begin().await?;
        crate::bulk::set_ends(&mut tx, n, now - Duration::minutes(1)).await?;
        tx.commit().await?;
        let t = Instant::now();
        let done = gatehouse::jobs::expiry::run(&store, now).await?;
        out.push(Timing {
            job: "expiration",
            count: done,
            seconds: t.elapsed().as_secs_f64(),
        });
        println!(
            "  expiration   {done:>7} in {:>6.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(out)
}
