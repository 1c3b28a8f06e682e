//! The load run: Gatehouse (release build) on generated data, driven over
//! HTTP by `wrk` with signed-in sessions, at several client counts.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, CookieJar, Key};
use rand::RngCore;

use super::generate::{ADMIN_EMAIL, APPROVER_EMAIL, REQUESTERS, WORDS, pending_id};
use gatehouse::routes;
use gatehouse::store::Store;

pub struct Options {
    pub database_url: String,
    pub binary: PathBuf,
    pub seconds: u64,
    pub clients: Vec<usize>,
    pub label: String,
    /// Run only the scenarios whose names contain one of these (all when empty).
    pub only: Vec<String>,
}

/// One measured scenario at one client count.
pub struct Row {
    pub scenario: &'static str,
    /// Database statements per request (PostgreSQL's `pg_stat_statements`,
    /// transaction control included), when it can be read.
    pub statements: Option<f64>,
    pub clients: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub note: String,
}

/// A session cookie exactly as Gatehouse's session middleware writes it:
/// a private (encrypted) cookie holding the JSON session state.
fn session_cookie(key: &Key, user_id: &str, sid: &str, csrf: &str, now: i64) -> String {
    let mut state: HashMap<&str, String> = HashMap::new();
    state.insert("uid", serde_json::to_string(user_id).unwrap());
    state.insert("sid", serde_json::to_string(sid).unwrap());
    state.insert("at", now.to_string());
    state.insert("csrf", serde_json::to_string(csrf).unwrap());
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(Cookie::new(
        "gatehouse_session",
        serde_json::to_string(&state).unwrap(),
    ));
    let c = jar.get("gatehouse_session").unwrap();
    format!("gatehouse_session={}", c.value())
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn healthy(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200")
}

pub(crate) fn start_server(o: &Options, port: u16, key_hex: &str) -> anyhow::Result<Child> {
    let child = Command::new(&o.binary)
        .arg("serve")
        .env("GATEHOUSE_BIND", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("GATEHOUSE_DATABASE_URL", &o.database_url)
        .env("GATEHOUSE_SESSION_KEY", key_hex)
        .env("GATEHOUSE_ADMINS", ADMIN_EMAIL)
        .env("GATEHOUSE_JOBS_INTERVAL_SECONDS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let t = Instant::now();
    while !healthy(port) {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(60),
            "Gatehouse did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(child)
}

/// The peak resident memory of a process, in MB (Linux `VmHWM`).
fn peak_memory_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The request pages of these packages (id, name, policy), as a Lua list.
fn package_paths(packages: &[&(String, String, String)]) -> String {
    let paths: Vec<String> = packages
        .iter()
        .map(|(id, _, _)| routes::PACKAGE.id(id))
        .collect();
    lua_list(&paths)
}

fn lua_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("{{{}}}", quoted.join(",\n"))
}

/// The shared part of every script: a counter per thread, with threads far apart.
pub(crate) const PRELUDE: &str = r#"
tid = 0
local threads = 0
local threadlist = {}
local n = 0
odd = 0
sample = ""
function setup(thread) thread:set("tid", threads); threads = threads + 1; table.insert(threadlist, thread) end
function init(args) n = RUNBASE + tid * 1000003 end
function done(summary, latency, requests)
  local total = 0
  local s = ""
  for _, t in ipairs(threadlist) do total = total + (t:get("odd") or 0); s = s .. (t:get("sample") or "") end
  io.write("ODD " .. total .. " " .. s .. "\n")
end
"#;

/// For the two writing scenarios: answers other than the redirect of success
/// (a refusal comes back as a redirect too) are counted, with a sample.
fn expect_location(location: &str) -> String {
    format!(
        "\nfunction response(status, headers, body)\n local at = headers[\"location\"] or headers[\"Location\"] or \"\"\n if status ~= 303 or at ~= \"{location}\" then odd = odd + 1; if sample == \"\" then sample = status .. \" \" .. at end end\nend\n"
    )
}

fn parse_ms(v: &str) -> f64 {
    let v = v.trim();
    let (num, factor) = if let Some(x) = v.strip_suffix("us") {
        (x, 0.001)
    } else if let Some(x) = v.strip_suffix("ms") {
        (x, 1.0)
    } else if let Some(x) = v.strip_suffix("m") {
        (x, 60_000.0)
    } else if let Some(x) = v.strip_suffix('s') {
        (x, 1000.0)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().unwrap_or(f64::NAN) * factor
}

pub(crate) fn run_wrk(
    script: &Path,
    url: &str,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<(f64, f64, f64, u64, u64)> {
    let threads = clients.min(2);
    let out = Command::new("wrk")
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &clients.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run wrk ({e}): install it (`apt-get install wrk`)"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    anyhow::ensure!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rps = f64::NAN;
    let (mut p50, mut p99, mut errors, mut requests) = (f64::NAN, f64::NAN, 0u64, 0u64);
    for line in text.lines() {
        let l = line.trim();
        if let Some((n, _)) = l.split_once(" requests in ") {
            requests = n.trim().parse().unwrap_or(0);
        } else if let Some(v) = l.strip_prefix("Requests/sec:") {
            rps = v.trim().parse().unwrap_or(f64::NAN);
        } else if let Some(v) = l.strip_prefix("50%") {
            p50 = parse_ms(v);
        } else if let Some(v) = l.strip_prefix("99%") {
            p99 = parse_ms(v);
        } else if let Some(v) = l.strip_prefix("Non-2xx or 3xx responses:") {
            errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = l.strip_prefix("ODD ") {
            let mut parts = v.splitn(2, ' ');
            let odd: u64 = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
            if odd > 0 {
                eprintln!(
                    "    {odd} answers were not the success redirect, e.g. {}",
                    parts.next().unwrap_or("")
                );
            }
            errors += odd;
        } else if l.starts_with("Socket errors:") {
            errors += l
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|x| x.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Ok((rps, p50, p99, errors, requests))
}

/// Statements PostgreSQL ran since `reset`, from `pg_stat_statements` (the
/// bench's server preloads it); `None` on SQLite or without the extension.
async fn statements(store: &Store, reset: bool) -> Option<i64> {
    let mut c = store.read().await.ok()?;
    if reset {
        sqlx::query("SELECT pg_stat_statements_reset()")
            .execute(&mut *c)
            .await
            .ok()?;
        return Some(0);
    }
    sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE(SUM(calls), 0)::BIGINT FROM pg_stat_statements \
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND query NOT ILIKE '%pg_stat_statements%'",
    )
    .fetch_one(&mut *c)
    .await
    .ok()
}

/// Updates of request rows so far, and how many of them PostgreSQL made in
/// place (HOT: no index touched); `None` on SQLite. A busy server process
/// reports its counts within a second, an idle one within ten, so this
/// waits for them first.
async fn request_row_updates(store: &Store) -> Option<(i64, i64)> {
    if *store.kind() != gatehouse::config::DatabaseKind::Postgres {
        return None;
    }
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut c = store.read().await.ok()?;
    sqlx::query_as::<_, (i64, i64)>(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables \
         WHERE relname = 'assignment_requests'",
    )
    .fetch_one(&mut *c)
    .await
    .ok()
}

/// A session row for each bench user, as signing in makes, so that the
/// forged cookies name live sessions. Returns the session ids, in order.
async fn sessions_for(store: &Store, users: &[String], now: i64) -> anyhow::Result<Vec<String>> {
    let at = gatehouse::store::ts(chrono::DateTime::from_timestamp(now, 0).unwrap_or_default());
    let run = rand::random::<u64>();
    let ids: Vec<String> = (0..users.len())
        .map(|i| format!("bench-{run:x}-{i}"))
        .collect();
    let rows: Vec<Vec<crate::bulk::Val>> = ids
        .iter()
        .zip(users)
        .map(|(sid, uid)| {
            vec![
                sid.clone().into(),
                uid.clone().into(),
                at.clone().into(),
                at.clone().into(),
            ]
        })
        .collect();
    let mut tx = store.begin().await?;
    crate::bulk::insert(
        &mut tx,
        "sessions",
        "id, user_id, created_at, last_seen_at",
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

pub async fn run(o: &Options) -> anyhow::Result<(Vec<Row>, f64)> {
    let url =
        gatehouse::config::DatabaseUrl::parse(&o.database_url).map_err(|e| anyhow::anyhow!(e))?;
    let store = Store::connect(&url).await?;
    let mut conn = store.read().await?;
    let mut emails: Vec<String> = (2..REQUESTERS + 2)
        .filter(|i| i % 10 != 9)
        .map(|i| format!("u{i}@bench.example"))
        .collect();
    emails.insert(0, APPROVER_EMAIL.into());
    emails.insert(0, ADMIN_EMAIL.into());
    let ids = crate::bulk::user_ids(&mut conn, &emails).await?;
    anyhow::ensure!(ids.len() == emails.len(), "generate the data first");
    let (admin, approver, requesters) = (&ids[0], &ids[1], &ids[2..]);
    let packages = crate::bulk::packages_with_policy(&mut conn).await?;
    let pending_before = crate::bulk::count_requests(&mut conn, "pendingApproval").await?;
    drop(conn);
    let k_of = |name: &str| {
        name.rsplit(' ')
            .next()
            .and_then(|k| k.parse::<usize>().ok())
    };
    let big = packages
        .iter()
        .find(|(_, n, _)| n == "Bench package with many assignments")
        .map(|(id, _, _)| id.clone())
        .ok_or_else(|| anyhow::anyhow!("no benchmark package"))?;
    let open: Vec<&(String, String, String)> = packages
        .iter()
        .filter(|(_, n, _)| k_of(n).is_some_and(|k| k % 4 == 0))
        .collect();
    let with_manager: Vec<&(String, String, String)> = packages
        .iter()
        .filter(|(_, n, _)| k_of(n).is_some_and(|k| k % 4 == 1))
        .collect();

    let mut key_bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut key_bytes);
    let key_hex: String = key_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let key = Key::from(&key_bytes);
    let now = chrono::Utc::now().timestamp();
    let csrf = "benchtoken0123456789abcdefghijklmnopqrstuv";
    let sids = sessions_for(&store, &ids, now).await?;
    let sid_of: HashMap<&str, &str> = ids
        .iter()
        .map(String::as_str)
        .zip(sids.iter().map(String::as_str))
        .collect();
    let cookie = |id: &str| session_cookie(&key, id, sid_of[id], csrf, now);
    let requester_cookies: Vec<String> = requesters.iter().map(|id| cookie(id)).collect();
    // The database counts statements from here (PostgreSQL only).
    let _ = sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&mut *store.read().await?)
        .await;

    let dir = std::env::temp_dir().join(format!("gatehouse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, body: String| -> anyhow::Result<PathBuf> {
        let p = dir.join(name);
        std::fs::write(&p, format!("{PRELUDE}\n{body}"))?;
        Ok(p)
    };
    let words: Vec<String> = WORDS.iter().map(|w| w.to_lowercase()).collect();
    let scripts: Vec<(&'static str, PathBuf)> = vec![
        (
            "/healthz (baseline)",
            write(
                "healthz.lua",
                "request = function() return wrk.format(\"GET\", \"/healthz\") end".into(),
            )?,
        ),
        (
            "/readyz (one database round trip)",
            write(
                "readyz.lua",
                "request = function() return wrk.format(\"GET\", \"/readyz\") end".into(),
            )?,
        ),
        (
            "My Access home with search",
            write(
                "home.lua",
                format!(
                    "local cookies = {}\nlocal words = {}\nrequest = function()\n n = n + 1\n return wrk.format(\"GET\", \"/?q=\" .. words[(n % #words) + 1], {{[\"Cookie\"] = cookies[(n % #cookies) + 1]}})\nend",
                    lua_list(&requester_cookies),
                    lua_list(&words)
                ),
            )?,
        ),
        (
            "Request page of a package",
            write(
                "package.lua",
                format!(
                    "local cookies = {}\nlocal paths = {}\nrequest = function()\n n = n + 1\n return wrk.format(\"GET\", paths[(n % #paths) + 1], {{[\"Cookie\"] = cookies[(n % #cookies) + 1]}})\nend",
                    lua_list(&requester_cookies),
                    package_paths(&open)
                ),
            )?,
        ),
        (
            "Admin: assignments tab (10,000)",
            write(
                "assignments.lua",
                format!(
                    "local c = {:?}\nrequest = function() return wrk.format(\"GET\", \"{}\", {{[\"Cookie\"] = c}}) end",
                    cookie(admin),
                    routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&big)
                ),
            )?,
        ),
        (
            "Submit a request",
            write(
                "submit.lua",
                format!(
                    "local cookies = {}\nlocal paths = {}\nlocal bodies = {}\nrequest = function()\n n = n + 1\n local u = (n % #cookies) + 1\n local p = (math.floor(n / #cookies) % #paths) + 1\n return wrk.format(\"POST\", paths[p], {{[\"Cookie\"] = cookies[u], [\"Content-Type\"] = \"application/x-www-form-urlencoded\"}}, bodies[p])\nend",
                    lua_list(&requester_cookies),
                    package_paths(&with_manager),
                    lua_list(
                        &with_manager
                            .iter()
                            .map(|(_, _, pid)| format!(
                                "csrf_token={csrf}&policy={pid}&justification=bench"
                            ))
                            .collect::<Vec<_>>()
                    )
                ) + &expect_location(routes::REQUESTS.as_str()),
            )?,
        ),
        (
            "Approve and deliver",
            write(
                "approve.lua",
                format!(
                    "local c = {:?}\nfunction init(args) n = BASE + tid * STRIDE end\nrequest = function()\n n = n + 1\n return wrk.format(\"POST\", string.format(\"{}/{}\", n), {{[\"Cookie\"] = c, [\"Content-Type\"] = \"application/x-www-form-urlencoded\"}}, \"csrf_token={csrf}&decision=approve&justification=ok\")\nend",
                    cookie(approver),
                    routes::APPROVALS,
                    pending_id(0).trim_end_matches('0').to_string() + "%012d"
                ) + &expect_location(routes::APPROVALS.as_str()),
            )?,
        ),
    ];

    let port = free_port();
    let mut server = start_server(o, port, &key_hex)?;
    let base = format!("http://127.0.0.1:{port}");
    let mut rows = Vec::new();
    let mut baseline: HashMap<usize, f64> = HashMap::new();
    let mut ready: HashMap<usize, f64> = HashMap::new();
    // Each client count gets its own share of the pending requests, split
    // between wrk's threads, so that every decision is a first decision.
    let share = (pending_before as usize / o.clients.len().max(1)).max(1);
    // Where this invocation starts among the (requester, package) pairs, so
    // that a second run on the same data makes new requests too.
    let start = (rand::random::<u32>() % 4_000_000) as usize;
    let originals: HashMap<PathBuf, String> = scripts
        .iter()
        .map(|(_, p)| (p.clone(), std::fs::read_to_string(p).unwrap_or_default()))
        .collect();
    for (scenario, script) in &scripts {
        if !o.only.is_empty()
            && !o
                .only
                .iter()
                .any(|w| scenario.to_lowercase().contains(&w.to_lowercase()))
        {
            continue;
        }
        // A read scenario is warmed up first (caches, the listing snapshot).
        if !scenario.starts_with("Submit") && !scenario.starts_with("Approve") {
            let text = originals[script].replace("RUNBASE", "999999937");
            std::fs::write(script, text)?;
            run_wrk(script, &base, 8, 1)?;
        }
        for (run, &clients) in o.clients.iter().enumerate() {
            // Each run starts where no earlier run went: every request is a new one.
            let text = originals[script]
                .replace("RUNBASE", &(start + run * 3_000_017).to_string())
                .replace(
                    "BASE + tid * STRIDE",
                    &format!("{} + tid * {}", run * share, share / 2),
                );
            std::fs::write(script, text)?;
            let before = {
                let mut c = store.read().await?;
                (
                    crate::bulk::count_requests(&mut c, "pendingApproval").await?,
                    crate::bulk::count_requests(&mut c, "delivered").await?,
                )
            };
            let writes = scenario.starts_with("Submit") || scenario.starts_with("Approve");
            let updates_before = if writes {
                request_row_updates(&store).await
            } else {
                None
            };
            statements(&store, true).await;
            let (rps, p50, p99, errors, requests) = run_wrk(script, &base, clients, o.seconds)?;
            let ran = statements(&store, false).await;
            let statements = ran
                .filter(|_| requests > 0)
                .map(|n| n as f64 / requests as f64);
            let after = {
                let mut c = store.read().await?;
                (
                    crate::bulk::count_requests(&mut c, "pendingApproval").await?,
                    crate::bulk::count_requests(&mut c, "delivered").await?,
                )
            };
            let mut note = match *scenario {
                "Submit a request" => format!("{} requests made", after.0 - before.0),
                "Approve and deliver" => format!("{} delivered", after.1 - before.1),
                _ => String::new(),
            };
            if let Some((upd0, hot0)) = updates_before
                && let Some((upd1, hot1)) = request_row_updates(&store).await
            {
                let (updates, hot) = (upd1 - upd0, hot1 - hot0);
                note.push_str(&format!("; {updates} request-row updates"));
                if updates > 0 {
                    let share = 100.0 * hot as f64 / updates as f64;
                    note.push_str(&format!(", {share:.0}% in place (HOT)"));
                }
            }
            if scenario.starts_with("/healthz") {
                baseline.insert(clients, rps);
            }
            if scenario.starts_with("/readyz") {
                ready.insert(clients, rps);
            }
            let per = statements.map_or(String::new(), |s| format!("{s:.1} statements/request"));
            println!(
                "  [{}] {scenario:<36} {clients:>3} clients  {rps:>9.0} req/s  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  errors {errors} {per} {note}",
                o.label
            );
            rows.push(Row {
                scenario,
                statements,
                clients,
                rps,
                p50_ms: p50,
                p99_ms: p99,
                errors,
                note,
            });
        }
    }
    let peak = peak_memory_mb(server.id());
    let _ = server.kill();
    let _ = server.wait();
    if std::env::var_os("GATEHOUSE_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    // Absolute figures vary between runs on a shared machine; ratios to the
    // two baselines measured in the same run vary far less.
    for r in rows.iter_mut() {
        let mut ratios = Vec::new();
        for (name, base) in [("/healthz", &baseline), ("/readyz", &ready)] {
            if let Some(b) = base.get(&r.clients).filter(|b| **b > 0.0) {
                if !r.scenario.starts_with(name) {
                    ratios.push(format!("{:.3}× {name}", r.rps / b));
                }
            }
        }
        if !ratios.is_empty() {
            let sep = if r.note.is_empty() { "" } else { "; " };
            r.note = format!("{}{sep}{}", r.note, ratios.join(", "));
        }
    }
    Ok((rows, peak))
}
