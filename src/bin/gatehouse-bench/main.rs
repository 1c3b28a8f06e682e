//! `gatehouse-bench`: the benchmark. `generate` fills a database with a large
//! tenant, `load` drives a release build over HTTP with `wrk`, `batch` times
//! the expiration and reminder jobs, `provision` measures provisioning into
//! a local slapd. `tests/bench.sh` runs them all on SQLite and PostgreSQL and
//! prints the results tables for the README.

mod batch;
mod bulk;
mod generate;
mod load;
mod provision;
mod review;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "gatehouse-bench", about = "Gatehouse's benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fill an empty database with the benchmark tenant.
    Generate {
        #[arg(long)]
        database_url: String,
        /// 1.0 is 100,000 users, 10,000 packages, 1,000,000 assignments.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Run Gatehouse on the generated data and drive it with wrk.
    Load {
        #[arg(long)]
        database_url: String,
        /// The Gatehouse binary (a release build).
        #[arg(long, default_value = "target/release/gatehouse")]
        binary: std::path::PathBuf,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
        clients: Vec<usize>,
        /// A name for the backend in the output.
        #[arg(long, default_value = "sqlite")]
        label: String,
        /// Only the scenarios whose names contain one of these words.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Time an access review of many holders: its start and its applying
    /// (an empty database).
    Review {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 10_000)]
        holders: usize,
    },
    /// Time the expiration and reminder jobs over assignments due at once.
    Batch {
        #[arg(long)]
        database_url: String,
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<i64>,
    },
    /// Reconciliation, provisioning throughput and approve-and-provision
    /// latency against an LDAP server, and SCIM creation (an empty database).
    Provision {
        #[command(flatten)]
        options: provision::Options,
        /// A name for the backend in the output.
        #[arg(long, default_value = "sqlite")]
        label: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Generate {
            database_url,
            scale,
            seed,
        } => {
            let url = gatehouse::config::DatabaseUrl::parse(&database_url)
                .map_err(|e| anyhow::anyhow!(e))?;
            let store = gatehouse::store::Store::connect(&url).await?;
            generate::generate(&store, scale, seed).await?;
        }
        Cmd::Load {
            database_url,
            binary,
            seconds,
            clients,
            label,
            only,
        } => {
            let options = load::Options {
                database_url,
                binary,
                seconds,
                clients,
                label: label.clone(),
                only,
            };
            let (rows, peak) = load::run(&options).await?;
            println!();
            println!(
                "| backend | scenario | clients | req/s | p50 ms | p99 ms | errors | statements | notes |"
            );
            println!("|---|---|---:|---:|---:|---:|---:|---:|---|");
            for r in rows {
                let statements = r.statements.map_or("–".to_string(), |s| format!("{s:.1}"));
                println!(
                    "| {label} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {statements} | {} |",
                    r.scenario, r.clients, r.rps, r.p50_ms, r.p99_ms, r.errors, r.note
                );
            }
            println!("\nPeak server memory ({label}): {peak:.0} MB");
        }
        Cmd::Review {
            database_url,
            holders,
        } => {
            let timings = review::run(&database_url, holders).await?;
            println!();
            println!("| job | holders | seconds |");
            println!("|---|---:|---:|");
            for t in timings {
                println!("| {} | {} | {:.2} |", t.job, t.count, t.seconds);
            }
        }
        Cmd::Batch {
            database_url,
            sizes,
        } => {
            let timings = batch::run(&database_url, &sizes).await?;
            println!();
            println!("| job | assignments | seconds | per 1,000 |");
            println!("|---|---:|---:|---:|");
            for t in timings {
                println!(
                    "| {} | {} | {:.2} | {:.3} |",
                    t.job,
                    t.count,
                    t.seconds,
                    t.seconds * 1000.0 / (t.count.max(1) as f64)
                );
            }
        }
        Cmd::Provision { options, label } => {
            if options.only_import {
                // The import logs how long each part took.
                gatehouse::telemetry::init();
            }
            let rows = provision::run(&options).await?;
            println!();
            println!("| backend | what | clients | count | seconds | p50 ms | p99 ms | notes |");
            println!("|---|---|---:|---:|---:|---:|---:|---|");
            let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
            for r in rows {
                println!(
                    "| {label} | {} | {} | {} | {:.2} | {} | {} | {} |",
                    r.what,
                    r.clients,
                    r.count,
                    r.seconds,
                    ms(r.p50_ms),
                    ms(r.p99_ms),
                    r.note
                );
            }
        }
    }
    Ok(())
}
