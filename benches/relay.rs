//! `cargo bench --bench relay`: the figures of the README's performance section.
//!
//! The service runs as its own process (the release binary) so that its memory is
//! measured alone; the fake Bot API and the HTTPS load generator run here.
//! - relay throughput: customer messages in (HTTPS webhook, 32 keep-alive
//!   connections) → copies received by the fake Bot API, for one assigned
//!   communication, over 20,000 updates;
//! - webhook latency at a fixed 1,000 updates/s;
//! - the ceiling: the same load against a bare axum + rustls endpoint answering 200;
//! - peak and idle RSS of the service;
//! - a scale check on 100,000 customers and 1,000,000 messages: the menu queries'
//!   times and query plans.
//!
//! `RELAY_SYNC=full` (or `normal`) runs one mode only, `RELAY_UPDATES=N` changes the
//! count, `SCALE=0` skips the scale check.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use support::app::{ChildApp, Files, Options, SECRET, https_client};
use support::desk::STAFF;
use support::fake_bot::{FakeBot, update_message};

const CUSTOMER: i64 = 4242;
const SPECIALIST: i64 = 501;
const CONNECTIONS: usize = 32;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One webhook delivery with the secret; it must be acknowledged.
async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) {
    let r = client
        .post(url)
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
}

/// Post `updates` with `CONNECTIONS` concurrent keep-alive connections; the time.
async fn blast(client: &reqwest::Client, url: &str, updates: Vec<serde_json::Value>) -> Duration {
    let updates = Arc::new(updates);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, updates, next) = (
            client.clone(),
            url.to_string(),
            updates.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(u) = updates.get(i) else { break };
                let body = serde_json::to_vec(u).unwrap();
                post(&client, &url, body).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// Post at a fixed rate; each request's latency.
async fn paced(
    client: &reqwest::Client,
    url: &str,
    updates: Vec<serde_json::Value>,
    per_second: u64,
) -> Vec<Duration> {
    let interval = Duration::from_nanos(1_000_000_000 / per_second);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for (i, u) in updates.into_iter().enumerate() {
        tokio::time::sleep_until(start + interval * i as u32).await;
        let (client, url) = (client.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let body = serde_json::to_vec(&u).unwrap();
            let t = Instant::now();
            post(&client, &url, body).await;
            t.elapsed()
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A bare axum + rustls endpoint that only answers 200: the ceiling.
async fn bare_endpoint(files: &Files) -> String {
    let tls = relaydesk::certs::server_config(&files.cert_path, &files.key_path).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/telegram", axum::routing::post(|| async { "" }));
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls)),
    )
    .unwrap();
    tokio::spawn(server.serve(router.into_make_service()));
    format!("https://127.0.0.1:{}/telegram", addr.port())
}

fn updates(first_id: i64, n: usize, first_message: i64) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let mut u = update_message(first_id + i as i64, CUSTOMER, "is it there yet?");
            u["message"]["message_id"] = json!(first_message + i as i64);
            u
        })
        .collect()
}

fn seed(files: &Files) {
    let db = files.db();
    db.execute_batch(
        "INSERT INTO customers (id, first_name, email, state, created_at, updated_at)
             VALUES (4242, 'Bench', 'b@example.com', 'verified', 0, 0);
         INSERT INTO communications (id, customer_id, status, specialist_id, opened_at, assigned_at)
             VALUES (1, 4242, 'assigned', 501, 0, 0);
         INSERT INTO assignments (communication_id, specialist_id, taken_at) VALUES (1, 501, 0);",
    )
    .unwrap();
}

async fn relay_bench(synchronous: &str) {
    println!("== database.synchronous = \"{synchronous}\"");
    let n = env_usize("RELAY_UPDATES", 20_000);
    let fake = FakeBot::start().await;
    let files = Files::new();
    let options = Options {
        extra: STAFF.to_string(),
        request_timeout: "10s".into(),
        ..Options::default()
    };
    let toml = support::app::config_toml(&files, &fake.api_url(), &options).replace(
        "[database]\n",
        &format!("[database]\nsynchronous = \"{synchronous}\"\n"),
    );
    let child = ChildApp::start_with_toml(&files, &toml, "warn,relaydesk::app=info").await;
    seed(&files);
    let pid = child.pid();
    let client = https_client(&files.cert_pem);
    // Warm up.
    blast(&client, &child.url, updates(1, 200, 1)).await;
    let copies = |fake: &FakeBot| -> usize {
        fake.calls()
            .iter()
            .filter(|c| c.ok && c.chat_id() == Some(SPECIALIST))
            .map(|c| match c.param("message_ids") {
                Some(ids) => ids.as_array().map_or(0, Vec::len),
                None => usize::from(c.is("copyMessage")),
            })
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while copies(&fake) < 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let idle_kib = rss_kib(pid, "VmRSS:");

    let before = copies(&fake);
    let start = Instant::now();
    let posting = blast(&client, &child.url, updates(1_000, n, 1_000)).await;
    while copies(&fake) < before + n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let relayed = copies(&fake) - before;
    let elapsed = start.elapsed();
    println!(
        "relay: {relayed} of {n} updates relayed end to end in {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  throughput:   {:.0} relayed updates/s",
        relayed as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  webhook only: {:.0} updates/s acknowledged",
        n as f64 / posting.as_secs_f64()
    );
    let calls = fake.calls();
    let single = calls.iter().filter(|c| c.is("copyMessage") && c.ok).count();
    let merged = calls
        .iter()
        .filter(|c| c.is("copyMessages") && c.ok)
        .count();
    println!("  Bot API calls: {single} copyMessage, {merged} copyMessages (merged backlogs)");

    // Latency at a fixed rate.
    let rate = 1_000;
    let mut lat = paced(&client, &child.url, updates(100_000, 5_000, 100_000), rate).await;
    lat.sort();
    println!(
        "latency at {rate} updates/s ({} requests): p50 {}  p99 {}  max {}",
        lat.len(),
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(*lat.last().unwrap())
    );
    // The same rate with updates the bot ignores (group chatter): the webhook and
    // the commit alone, without relaying.
    let ignored: Vec<serde_json::Value> = (0..5_000)
        .map(|i| support::fake_bot::update_group_message(200_000 + i, -1001, 77, "chatter"))
        .collect();
    let mut lat = paced(&client, &child.url, ignored, rate).await;
    lat.sort();
    println!(
        "  (ignored updates at {rate}/s: p50 {}  p99 {}  max {})",
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(*lat.last().unwrap())
    );
    let peak_kib = rss_kib(pid, "VmHWM:");
    println!(
        "memory of the service: idle {:.1} MiB, peak {:.1} MiB",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0
    );

    // The ceiling.
    // The best of three runs: this figure is the denominator, and a shared machine
    // makes single short runs vary by half.
    let bare = bare_endpoint(&files).await;
    let mut bare_rate: f64 = 0.0;
    for _ in 0..3 {
        let bare_time = blast(&client, &bare, updates(1, n, 1)).await;
        bare_rate = bare_rate.max(n as f64 / bare_time.as_secs_f64());
    }
    let mut bare_lat = paced(&client, &bare, updates(1, 5_000, 1), rate).await;
    bare_lat.sort();
    println!(
        "  bare endpoint latency at {rate}/s: p50 {}  p99 {}  max {}",
        ms(pct(&bare_lat, 0.50)),
        ms(pct(&bare_lat, 0.99)),
        ms(*bare_lat.last().unwrap())
    );
    let ours = relayed as f64 / elapsed.as_secs_f64();
    println!(
        "ceiling: bare axum + rustls answers {bare_rate:.0} requests/s (best of 3); relaydesk relays at {:.0} % of it",
        100.0 * ours / bare_rate
    );
    drop(child);
}

fn scale_check() {
    let customers = env_usize("SCALE_CUSTOMERS", 100_000) as i64;
    let messages = env_usize("SCALE_MESSAGES", 1_000_000) as i64;
    let dir = tempfile::tempdir().unwrap();
    let store = relaydesk::store::Store::open(&dir.path().join("scale.sqlite3")).unwrap();
    let started = Instant::now();
    {
        let mut conn = store.lock();
        let tx = conn.transaction().unwrap();
        {
            let mut c = tx
                .prepare("INSERT INTO customers (id, first_name, email, state, created_at, updated_at) VALUES (?1, 'C', 'c@example.com', 'verified', 0, 0)")
                .unwrap();
            for id in 1..=customers {
                c.execute([id]).unwrap();
            }
            // One communication per customer: most closed, some open (a few waiting).
            let mut m = tx.prepare("INSERT INTO communications (id, customer_id, status, specialist_id, opened_at, closed_at) VALUES (?1, ?1, ?2, ?3, ?1, NULL)").unwrap();
            for id in 1..=customers {
                let (status, specialist) = match id % 50 {
                    0 => ("unassigned", None),
                    1 => ("assigned", Some(1_000_000 + id)),
                    _ => ("closed", None),
                };
                m.execute(rusqlite::params![id, status, specialist])
                    .unwrap();
            }
            let mut msg = tx.prepare("INSERT INTO messages (communication_id, at, role, sender_id, chat_id, message_id, kind, text) VALUES (?1, ?2, 'customer', ?1, ?1, ?2, 'text', 'hello there')").unwrap();
            for i in 0..messages {
                let comm = 1 + (i % customers);
                msg.execute([comm, i]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    println!(
        "scale: {customers} customers, {messages} messages generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let conn = store.lock();
    let queries: [(&str, &str); 4] = [
        (
            "/users page",
            "SELECT id, first_name FROM customers WHERE id > 50000 ORDER BY id LIMIT 21",
        ),
        (
            "/unassigned",
            "SELECT id FROM communications WHERE status = 'unassigned' ORDER BY opened_at, id LIMIT 20",
        ),
        (
            "/history of a customer",
            "SELECT id, at, text FROM messages WHERE communication_id = 4242 ORDER BY id",
        ),
        (
            "open communication lookup",
            "SELECT id FROM communications WHERE customer_id = 4250 AND status <> 'closed'",
        ),
    ];
    for (name, sql) in queries {
        let mut stmt = conn.prepare(sql).unwrap();
        let t = Instant::now();
        let runs = 50;
        for _ in 0..runs {
            let _rows: Vec<i64> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
        }
        let each = t.elapsed() / runs;
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        println!("  {name:<26} {:>8}   plan: {}", ms(each), plan.join(" | "));
    }
}

fn main() {
    relaydesk::install_crypto_provider();
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary
    // without it, and a benchmark is no test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("relay benchmark: run it with `cargo bench --bench relay`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // RELAY_SYNC=full (or normal) runs one mode only; SCALE=0 skips the scale check.
    let modes = std::env::var("RELAY_SYNC").unwrap_or_else(|_| "full,normal".into());
    for mode in modes.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        rt.block_on(relay_bench(mode));
    }
    if std::env::var("SCALE").as_deref() != Ok("0") {
        scale_check();
    }
}
