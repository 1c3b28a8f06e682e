//! Spawning the app and talking to it like a browser.

use gatehouse::routes;
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Mutex;

use gatehouse::clock::Clock;
use gatehouse::config::{Config, DatabaseUrl, OidcProvider, Secret};
use gatehouse::startup::Application;
use gatehouse::store::Store;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both!(name, |backend| async move {..})`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                $crate::helpers::bounded(($body)($crate::helpers::Backend::Sqlite)).await
            }
            #[tokio::test]
            async fn postgres() {
                $crate::helpers::bounded(($body)($crate::helpers::Backend::Postgres)).await
            }
        }
    };
}

/// Runs a test for at most ten minutes (the longest takes about one): a test
/// stuck on something that never answers fails, and the run goes on.
pub async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(std::time::Duration::from_secs(600), test)
        .await
        .expect("the test ends within ten minutes")
}

pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `bash tests/run-all.sh`, which starts the services they need")
    })
}

/// A new, empty database of the given kind.
pub async fn fresh_database(backend: Backend) -> DatabaseUrl {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("gatehouse-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{}.db", uuid::Uuid::new_v4()));
            DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap()
        }
        Backend::Postgres => {
            let admin_url = required_env("GATEHOUSE_TEST_POSTGRES_URL");
            let name = format!("gh_{}", uuid::Uuid::new_v4().simple());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let mut url = url::Url::parse(&admin_url).unwrap();
            url.set_path(&format!("/{name}"));
            DatabaseUrl::parse(url.as_str()).unwrap()
        }
    }
}

pub fn oidc_issuer() -> String {
    required_env("GATEHOUSE_TEST_OIDC_ISSUER")
}

#[derive(Clone)]
pub struct Options {
    pub backend: Backend,
    pub demo: bool,
    pub oidc: bool,
    pub admins: Vec<String>,
    /// Reuse a database (to test restarts).
    pub database: Option<DatabaseUrl>,
    pub clock: Option<Clock>,
    /// Send mail to the test SMTP sink.
    pub smtp: bool,
    /// Send mail to this SMTP URL instead.
    pub smtp_url: Option<String>,
    /// Run the lifecycle jobs on a timer (off: tests run them by hand).
    pub jobs: bool,
    /// More settings, as environment variables.
    pub env: Vec<(String, String)>,
}

impl Options {
    pub fn new(backend: Backend) -> Options {
        Options {
            backend,
            demo: false,
            oidc: false,
            admins: vec![],
            database: None,
            clock: None,
            smtp: false,
            smtp_url: None,
            jobs: false,
            env: vec![],
        }
    }
    pub fn setting(mut self, name: &str, value: &str) -> Options {
        self.env.push((name.to_string(), value.to_string()));
        self
    }
    pub fn demo(mut self) -> Options {
        self.demo = true;
        self
    }
    pub fn oidc(mut self) -> Options {
        self.oidc = true;
        self
    }
    pub fn admin(mut self, email: &str) -> Options {
        self.admins.push(email.to_string());
        self
    }
}

pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub database: DatabaseUrl,
    pub handle: actix_web::dev::ServerHandle,
    /// The PostgreSQL database this app made, dropped with it.
    owned_postgres: Option<String>,
}

impl Drop for TestApp {
    /// The server's workers, which share the app's pool, outlive the test's
    /// runtime, and with them its connections: the database the app made is
    /// dropped with it, ending them, so that tests leave no connections
    /// behind (PostgreSQL serves only so many) and no databases.
    fn drop(&mut self) {
        let Some(name) = self.owned_postgres.take() else {
            return;
        };
        let admin_url = required_env("GATEHOUSE_TEST_POSTGRES_URL");
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .ok()?;
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::Executor::execute(&mut conn, drop.as_str()).await.ok()
            })
        });
        // Best effort: a database left behind goes with the server at the end.
        let _ = dropped.join();
    }
}

pub async fn spawn(opts: Options) -> TestApp {
    let database = match opts.database.clone() {
        Some(d) => d,
        None => fresh_database(opts.backend).await,
    };
    let owned_postgres = (opts.database.is_none() && opts.backend == Backend::Postgres)
        .then(|| {
            url::Url::parse(database.expose())
                .ok()
                .map(|u| u.path().trim_start_matches('/').to_string())
        })
        .flatten();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut env = HashMap::new();
    env.insert(
        "GATEHOUSE_PUBLIC_URL".to_string(),
        format!("http://127.0.0.1:{port}"),
    );
    env.insert(
        "GATEHOUSE_DATABASE_URL".to_string(),
        database.expose().to_string(),
    );
    env.insert("GATEHOUSE_ADMINS".to_string(), opts.admins.join(","));
    if opts.smtp {
        env.insert(
            "GATEHOUSE_SMTP_URL".to_string(),
            required_env("GATEHOUSE_TEST_SMTP_URL"),
        );
    }
    if let Some(url) = &opts.smtp_url {
        env.insert("GATEHOUSE_SMTP_URL".to_string(), url.clone());
    }
    for (k, v) in &opts.env {
        env.insert(k.clone(), v.clone());
    }
    if !opts.jobs {
        env.insert(
            "GATEHOUSE_JOBS_INTERVAL_SECONDS".to_string(),
            "0".to_string(),
        );
    }
    let mut config =
        Config::load(Some(std::path::Path::new("/dev/null")), &env, opts.demo).unwrap();
    if opts.oidc {
        config.oidc = Some(OidcProvider {
            name: "home".into(),
            display_name: "Test IdP".into(),
            issuer: oidc_issuer(),
            client_id: "gatehouse-test".into(),
            client_secret: Secret::new("test-secret".into()),
        });
    }
    let app = Application::build_with_listener(
        config,
        listener,
        opts.clock.clone().unwrap_or(Clock::System),
    )
    .await
    .unwrap();
    let store = app.store();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        store,
        database,
        handle,
        owned_postgres,
    }
}

/// A browser: keeps cookies by name (the app and the provider both run on
/// 127.0.0.1, and cookies ignore ports), never follows redirects by itself.
pub struct Browser {
    pub http: reqwest::Client,
    pub cookies: Mutex<HashMap<String, String>>,
    /// Headers sent with every request (`X-Forwarded-For`, `Accept-Language`).
    pub headers: Mutex<Vec<(String, String)>>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
    /// The `Cache-Control` header, if any.
    pub cache_control: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl Page {
    /// A part of a page's HTML, to read the inputs of one form among several.
    pub fn fragment(html: &str) -> Page {
        Page {
            status: 200,
            location: None,
            set_cookies: vec![],
            body: html.to_string(),
            cache_control: None,
            retry_after: None,
        }
    }

    /// The value of the first hidden/text input named `name`.
    pub fn input(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }
    pub fn csrf(&self) -> String {
        self.input("csrf_token").expect("page has a CSRF token")
    }
    /// Whether the first checkbox or radio named `name` is ticked (none
    /// such: `None`).
    pub fn ticked(&self, name: &str) -> Option<bool> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let open = self.body[..at].rfind('<')?;
        let close = self.body[at..].find('>')? + at;
        let tag = &self.body[open..close];
        tag.starts_with("<input").then(|| tag.contains(" checked"))
    }
    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }
    /// The words on the first submit button of the form that posts to
    /// `action`: the one a browser presses on Enter in any of its fields.
    pub fn default_button(&self, action: &str) -> Option<String> {
        let form = self.body.find(&format!("action=\"{action}\""))?;
        let rest = &self.body[form..];
        let rest = &rest[..rest.find("</form>")?];
        let button = rest.find("type=\"submit\"")?;
        let start = rest[button..].find('>')? + button + 1;
        let end = rest[start..].find("</button>")? + start;
        Some(rest[start..end].to_string())
    }
}

/// The guests' package's request form as a guest fills it: its token and
/// policy, the three questions answered, and these attribute values.
pub fn guest_request(form: &Page, attributes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = vec![
        ("csrf_token".to_string(), form.csrf()),
        ("policy".to_string(), form.input("policy").unwrap()),
        ("q1".into(), "Spring launch".into()),
        ("q2".into(), "Maria Manager".into()),
        ("q3".into(), "quarter".into()),
    ];
    fields.extend(
        attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    fields
}

/// Owned form fields as a post takes them.
pub fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Shorter than the server's keep-alive (5 s): a connection
                // the server is closing is never reused.
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                // A page that never comes fails its test, rather than
                // holding up the whole run until CI gives up on it.
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
            cookies: Mutex::new(HashMap::new()),
            headers: Mutex::new(Vec::new()),
        }
    }

    /// Sends `name: value` with every later request.
    pub fn header(&self, name: &str, value: &str) {
        let mut h = self.headers.lock().unwrap();
        h.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        h.push((name.to_string(), value.to_string()));
    }

    fn with_headers(&self, mut rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (k, v) in self.headers.lock().unwrap().iter() {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb.header(COOKIE, self.cookie_header())
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let set_cookies: Vec<String> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        {
            let mut jar = self.cookies.lock().unwrap();
            for c in &set_cookies {
                let pair = c.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                let expired = value.is_empty() || c.to_lowercase().contains("max-age=0");
                if expired {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_string(), value.to_string());
                }
            }
        }
        let header = |name: &str| {
            let value = res.headers().get(name);
            value.map(|v| v.to_str().unwrap().to_string())
        };
        let cache_control = header("cache-control");
        let retry_after = header("retry-after");
        let body = res.text().await.unwrap();
        Page {
            status,
            location,
            set_cookies,
            body,
            cache_control,
            retry_after,
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        let res = self.with_headers(self.http.get(url)).send().await.unwrap();
        self.finish(res).await
    }

    /// A GET with extra headers (`Accept`, ...).
    pub async fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.with_headers(self.http.get(url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(req.send().await.unwrap()).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .with_headers(self.http.post(url))
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// Follows redirects from `url` until a page that is not a redirect, or a
    /// redirect to `stop_at` (a URL prefix), which is returned unfollowed.
    pub async fn follow(&self, url: &str, stop_at: Option<&str>) -> (String, Page) {
        let mut current = url.to_string();
        for _ in 0..10 {
            let page = self.get(&current).await;
            match &page.location {
                Some(loc) if (300..400).contains(&page.status) => {
                    let next = absolute(&current, loc);
                    if stop_at.is_some_and(|s| next.starts_with(s)) {
                        return (next, page);
                    }
                    current = next;
                }
                _ => return (current, page),
            }
        }
        panic!("too many redirects from {url}");
    }

    pub fn snapshot(&self) -> HashMap<String, String> {
        self.cookies.lock().unwrap().clone()
    }
    pub fn restore(&self, cookies: HashMap<String, String>) {
        *self.cookies.lock().unwrap() = cookies;
    }
}

pub fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The id of the access package with this name.
pub async fn package_id(app: &TestApp, name: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::packages::ids_by_name(&mut c, name)
        .await
        .unwrap()
        .remove(0)
}

/// The id of the catalog with exactly this name.
pub async fn catalog_id(store: &Store, name: &str) -> gatehouse::domain::ids::CatalogId {
    let mut c = store.read().await.unwrap();
    let found = gatehouse::store::catalogs::search(
        &mut c,
        &gatehouse::domain::catalog_role::CatalogScope::All,
        name,
        gatehouse::store::PageAt::first(10),
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .find(|c| c.display_name == name)
    .unwrap();
    gatehouse::domain::ids::CatalogId::from_stored(found.id)
}

impl TestApp {
    pub fn url(&self, path: impl AsRef<str>) -> String {
        let path = path.as_ref();
        format!("{}{path}", self.address)
    }

    /// Signs in through the demo picker as the demo user with this email.
    pub async fn demo_sign_in(&self, browser: &Browser, email: &str) -> Page {
        let login = browser.get(&self.url(routes::LOGIN)).await;
        let at = login
            .body
            .find(email)
            .unwrap_or_else(|| panic!("{email} is not offered on the demo sign-in page"));
        let form_start = login.body[..at].rfind("<form").unwrap();
        let form = Page::fragment(&login.body[form_start..at]);
        let user_id = form.input("user_id").unwrap();
        let page = browser
            .post(
                &self.url(routes::DEMO_SIGN_IN),
                &[
                    ("csrf_token", &login.csrf()),
                    ("user_id", &user_id),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "demo sign-in failed: {}", page.body);
        page
    }

    /// Runs the OpenID Connect flow as `login` and returns the callback URL
    /// (the browser is left just before calling it).
    pub async fn oidc_until_callback(&self, browser: &Browser, login: &str, next: &str) -> String {
        let start = browser
            .get(&self.url(format!("{}?next={}", routes::LOGIN, urlencode(next))))
            .await;
        assert_eq!(
            start.status, 303,
            "sign-in did not redirect to the provider: {}",
            start.body
        );
        let authorize = start.location.unwrap();
        self.provider_login(browser, &authorize, login).await
    }

    /// From an authorization URL, logs in at the provider and returns the callback URL.
    pub async fn provider_login(&self, browser: &Browser, authorize: &str, login: &str) -> String {
        assert!(
            authorize.starts_with(&oidc_issuer()),
            "unexpected authorization URL {authorize}"
        );
        let (interaction, page) = browser.follow(authorize, None).await;
        assert_eq!(page.status, 200, "no login form at {interaction}");
        let submitted = browser
            .post(
                &interaction,
                &[("prompt", "login"), ("login", login), ("password", "any")],
            )
            .await;
        assert_eq!(
            submitted.status, 303,
            "provider refused the login: {}",
            submitted.body
        );
        let resume = absolute(&interaction, &submitted.location.unwrap());
        let (callback, _) = browser
            .follow(&resume, Some(&self.url(routes::CALLBACK)))
            .await;
        assert!(
            callback.starts_with(&self.url(routes::CALLBACK)),
            "provider did not return to the app: {callback}"
        );
        callback
    }

    pub async fn user_count(&self) -> i64 {
        let mut c = self.store.read().await.unwrap();
        gatehouse::store::users::count(&mut c).await.unwrap()
    }

    pub async fn audit_count(&self, object_type: &str) -> i64 {
        let mut c = self.store.read().await.unwrap();
        let filter = gatehouse::store::audit::AuditFilter {
            object_type: Some(object_type.into()),
            ..Default::default()
        };
        gatehouse::store::audit::list(&mut c, &filter, gatehouse::store::PageAt::first(1))
            .await
            .unwrap()
            .total
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Waits (up to 20 s) for a message in the test SMTP sink that contains all of `needles`.
pub async fn wait_for_mail(needles: &[&str]) -> String {
    let dir = std::path::PathBuf::from(required_env("GATEHOUSE_TEST_MAILDIR")).join("new");
    for _ in 0..200 {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                // Quoted-printable soft line breaks would split links.
                let text = text.replace("=\r\n", "").replace("=\n", "");
                if needles.iter().all(|n| text.contains(n)) {
                    return text;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail containing {needles:?} arrived");
}

/// Reads `url` until it shows `needle` (up to 20 s), for what a worker finishes
/// independently of what the test waited for before; the last reading is returned.
pub async fn wait_for_page(b: &Browser, url: &str, needle: &str) -> Page {
    let mut page = b.get(url).await;
    for _ in 0..200 {
        if page.has(needle) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = b.get(url).await;
    }
    page
}

// ---- reading the tenant back, for assertions and for naming what to act on ----

pub async fn user_named(app: &TestApp, email: &str) -> gatehouse::domain::user::User {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::users::find_by_email(&mut c, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {email}"))
}

pub async fn package_named(app: &TestApp, name: &str) -> gatehouse::domain::ids::AccessPackageId {
    let mut c = app.store.read().await.unwrap();
    gatehouse::domain::ids::AccessPackageId::from_stored(
        gatehouse::store::packages::ids_by_name(&mut c, name)
            .await
            .unwrap()
            .remove(0),
    )
}

/// The id of the package's policy with this name.
pub async fn policy_named(
    app: &TestApp,
    package: &gatehouse::domain::ids::AccessPackageId,
    name: &str,
) -> String {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::policies::for_package(&mut c, package)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, p)| p.display_name == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
        .0
}

/// What the user holds, as "Group Marketing Team member" lines.
pub async fn held_by(app: &TestApp, email: &str) -> Vec<String> {
    let id = user_named(app, email).await.id;
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::directory::roles_held_by(&mut c, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| format!("{} {} {}", h.resource_type, h.resource_name, h.role))
        .collect()
}

/// Whether `held_by` lists this line.
pub fn has(held: &[String], line: &str) -> bool {
    held.iter().any(|h| h == line)
}

/// The value of the `<option>` whose text is `label`.
pub fn option_value(page: &Page, label: &str) -> String {
    let at = page
        .body
        .find(&format!(">{label}</option>"))
        .unwrap_or_else(|| panic!("no option {label}"));
    let start = page.body[..at].rfind("value=\"").unwrap() + 7;
    let end = page.body[start..].find('"').unwrap() + start;
    html_unescape(&page.body[start..end])
}

/// The action of the first form after `after` that posts to `route`.
pub fn form_action(page: &Page, after: &str, route: gatehouse::routes::Route) -> String {
    let from = page
        .body
        .find(after)
        .unwrap_or_else(|| panic!("{after} is not on the page"));
    page.body[from..]
        .split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.find('"').map(|end| html_unescape(&rest[..end])))
        .find(|action| route_matches(route, action.split(['?', '#']).next().unwrap_or("")))
        .unwrap_or_else(|| panic!("no form for {} after {after}", route.pattern()))
}

/// Whether `path` is one of `route`'s: each `{…}` part of its pattern any
/// one segment, the others as written.
pub fn route_matches(route: gatehouse::routes::Route, path: &str) -> bool {
    let pattern: Vec<&str> = route.pattern().split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
}

/// Runs the lifecycle jobs once at the clock's time.
pub async fn run_jobs(app: &TestApp, clock: &Clock) -> gatehouse::jobs::Report {
    gatehouse::jobs::run_once(&app.store, clock).await.unwrap()
}

/// Waits until `n` statements of this test's PostgreSQL database wait for
/// a lock (one the test holds, to put racing calls in a known order).
pub async fn until_lock_waiters(app: &TestApp, n: i64) {
    until_lock_waiters_or(app, n, &std::sync::atomic::AtomicBool::new(false)).await
}

/// As `until_lock_waiters`, or until `done` is set: for a call that may
/// return without waiting for the lock.
pub async fn until_lock_waiters_or(app: &TestApp, n: i64, done: &std::sync::atomic::AtomicBool) {
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock'";
    // Up to 30 s: a loaded machine may take a while to start the calls.
    for _ in 0..1200 {
        if done.load(std::sync::atomic::Ordering::SeqCst) || count(app, waiting).await == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{n} statements never waited for the lock");
}

/// One number from the database, for assertions.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *c).await.unwrap()
}

/// The demo's "Marketing resources for guests" package and the id of its
/// policy for guests.
pub async fn guests_package(app: &TestApp) -> (gatehouse::domain::ids::AccessPackageId, String) {
    let guests = package_named(app, "Marketing resources for guests").await;
    let policy = policy_named(app, &guests, "Policy for regular guest and new guest users").await;
    (guests, policy)
}

/// Answers to the demo guests' policy's questions, as a form sends them.
pub fn guest_answers() -> HashMap<String, Vec<String>> {
    [
        ("q1", "Autumn fair"),
        ("q2", "Maria Manager"),
        ("q3", "short"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
    .collect()
}

/// The demo guests' package's required attributes, as a form sends them.
pub fn guest_attributes(given: &str, surname: &str, title: &str) -> HashMap<String, String> {
    [
        ("attr_givenName", given),
        ("attr_surname", surname),
        ("attr_jobTitle", title),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The newest request for someone, by their address.
pub async fn request_id_for(app: &TestApp, email: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar::<_, String>(
        "SELECT id FROM assignment_requests WHERE target_email = $1 ORDER BY created_at DESC",
    )
    .bind(email)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

/// The demo approver decides from the approval page.
pub async fn approve_as(app: &TestApp, approver: &str, request: &str) -> Page {
    let b = Browser::new();
    app.demo_sign_in(&b, approver).await;
    let page = b.get(&app.url(routes::APPROVAL.id(request))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    b.post(
        &app.url(routes::APPROVAL.id(request)),
        &[
            ("csrf_token", &page.csrf()),
            ("decision", "approve"),
            ("justification", "Welcome aboard"),
        ],
    )
    .await
}

/// The administrator saves Emma's user page with `user_type` and `email`,
/// the rest as the demo has it.
pub async fn save_emma(app: &TestApp, admin: &Browser, user_type: &str, email: &str) -> Page {
    let id = user_named(app, "emma.employee@gatehouse.demo").await.id;
    let form = admin.get(&app.url(routes::ADMIN_USERS.item.id(&id))).await;
    admin
        .post(
            &app.url(routes::ADMIN_USERS.item.id(&id)),
            &[
                ("csrf_token", &form.csrf()),
                ("user_type", user_type),
                ("display_name", "Emma Employee"),
                ("given_name", "Emma"),
                ("surname", "Employee"),
                ("email", email),
                ("job_title", "Content writer"),
                ("department", "Marketing"),
                ("manager_email", "maria.manager@gatehouse.demo"),
                ("custom_attributes", ""),
                ("state", "active"),
            ],
        )
        .await
}

/// The id of the directory group with exactly this name.
pub async fn group_id(app: &TestApp, name: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::catalogs::origin_by_name(
        &mut c,
        gatehouse::domain::catalog::OriginSystem::AadGroup,
        name,
    )
    .await
    .unwrap()
    .unwrap()
}
