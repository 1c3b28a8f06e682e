//! Building the application: storage, session key, routes, and the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer};
use base64::Engine;
use rand::RngCore;

use crate::clock::Clock;
use crate::config::{Config, ConfigError, SESSION_KEY_LEN};
use crate::store::{Store, settings};
use crate::web::oidc::Oidc;
use crate::web::{self, AppState};

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data,
}

impl Application {
    /// Binds the configured address and builds everything behind it.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        if config.demo && !config.bind.ip().is_loopback() {
            return Err(demo_refusal(&config).into());
        }
        let listener = TcpListener::bind(config.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        Self::build_with_listener(config, listener, Clock::System).await
    }

    /// Builds on a listener that is already bound (tests bind port 0 first).
    pub async fn build_with_listener(
        config: Config,
        listener: TcpListener,
        clock: Clock,
    ) -> anyhow::Result<Application> {
        let addr = listener.local_addr()?;
        if config.demo && !addr.ip().is_loopback() {
            return Err(demo_refusal(&config).into());
        }
        let store = Store::connect(&config.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("database {}: {e}", config.database_url.redacted()))?;
        let key = session_key(&config, &store).await?;

        let mut admins = config.admins.clone();
        if config.demo {
            crate::service::demo::seed(&store, clock.now()).await?;
            admins.push(crate::service::demo::ADMIN_EMAIL.to_string());
        }
        let mailer = match &config.smtp {
            Some(smtp) => Some((
                crate::notify::mailer::Mailer::new(smtp, &config.mail_from)?,
                config.url_for(""),
            )),
            None => None,
        };
        crate::jobs::spawn_all(
            &store,
            &clock,
            mailer,
            std::time::Duration::from_secs(config.jobs_interval),
            config.url_for(""),
        );
        let oidc = Oidc::new(
            config.oidc.iter().cloned().collect(),
            config.url_for(crate::routes::CALLBACK.as_str()),
        )?;
        let secure = config.is_https();
        let state = actix_web::web::Data::new(AppState {
            config: Arc::new(config),
            store,
            clock,
            oidc,
            admins,
        });

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let session = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                .cookie_name("gatehouse_session".into())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_content_security(CookieContentSecurity::Private)
                .build();
            App::new()
                .app_data(app_state.clone())
                .app_data(actix_web::web::QueryConfig::default().error_handler(|err, _| {
                    crate::web::error::AppError::BadRequest(format!("The address is not valid: {err}.")).into()
                }))
                .app_data(actix_web::web::PathConfig::default().error_handler(|_, _| {
                    crate::web::error::AppError::NotFound.into()
                }))
                .wrap(from_fn(web::refuse_control_characters))
                .wrap(from_fn(web::error_pages))
                .wrap(session)
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin"))
                        // Pages show who holds what and carry approval forms:
                        // never kept by the browser or a proxy. Static files
                        // set their own.
                        .add(("Cache-Control", "no-store"))
                        .add((
                            "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
                        )),
                )
                // Outermost: every line a request logs carries its id.
                .wrap(from_fn(web::trace::request_span))
                .configure(web::routes)
        })
        .listen(listener)?
        .run();
        tracing::info!(address = %addr, demo = state.config.demo, "Gatehouse listening");
        Ok(Application {
            port: addr.port(),
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// A handle that stops the server (tests use it to simulate a restart).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        Ok(())
    }
}

fn demo_refusal(config: &Config) -> ConfigError {
    ConfigError {
        setting: "GATEHOUSE_BIND".into(),
        message: format!(
            "demo mode signs people in without a password, so it only listens on a loopback address such as 127.0.0.1:8080, not {}",
            config.bind
        ),
    }
}

/// The configured key, or one generated once and kept in the database so that a
/// restart (or another instance) keeps people signed in.
async fn session_key(config: &Config, store: &Store) -> anyhow::Result<Key> {
    let bytes = match &config.session_key {
        Some(k) => k.expose().clone(),
        None => {
            let mut fresh = [0u8; SESSION_KEY_LEN];
            rand::rng().fill_bytes(&mut fresh);
            let encoded = base64::engine::general_purpose::STANDARD.encode(fresh);
            let mut tx = store.begin().await?;
            let kept = settings::get_or_insert(&mut tx, "session_key", &encoded).await?;
            tx.commit().await?;
            crate::config::parse_session_key(&kept)
                .map_err(|m| anyhow::anyhow!("the session key stored in the database {m}"))?
        }
    };
    Key::try_from(bytes.as_slice()).map_err(|e| anyhow::anyhow!("session key: {e}"))
}
