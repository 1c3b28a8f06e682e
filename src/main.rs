use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gatehouse::config::Config;
use gatehouse::startup::Application;

/// Gatehouse: self-hosted entitlement management (access packages, request
/// policies, approval by email). Settings come from gatehouse.toml and
/// GATEHOUSE_* environment variables; see the README.
#[derive(Parser)]
#[command(name = "gatehouse", version)]
struct Cli {
    /// A TOML settings file (default: ./gatehouse.toml when present).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web portal and its background jobs (the default).
    Serve {
        /// Seed a demo tenant and offer a demo-user picker instead of an identity
        /// provider. Refuses to start unless bound to a loopback address.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (demo, migrate_only) = match cli.command {
        None => (false, false),
        Some(Command::Serve { demo }) => (demo, false),
        Some(Command::Migrate) => (false, true),
    };
    let env = std::env::vars().collect();
    let config = match Config::load(cli.config.as_deref(), &env, demo) {
        Ok(c) => c,
        Err(e) => {
            gatehouse::telemetry::fatal(&e.to_string());
            return ExitCode::from(2);
        }
    };
    gatehouse::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            gatehouse::telemetry::fatal(&format!("cannot start the runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let result = if migrate_only {
            gatehouse::store::Store::connect(&config.database_url)
                .await
                .map(|_| tracing::info!("migrations applied"))
                .map_err(anyhow::Error::from)
        } else {
            match Application::build(config).await {
                Ok(app) => app.run_until_stopped().await,
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                gatehouse::telemetry::fatal(&format!("{e:#}"));
                match e.downcast_ref::<gatehouse::config::ConfigError>() {
                    Some(_) => ExitCode::from(2),
                    None => ExitCode::from(1),
                }
            }
        }
    })
}
