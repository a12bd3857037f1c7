//! `cargo bench --bench relay`: the figures of the README's performance section.
//!
//! The service runs in this process, started as `relaydesk run` starts it, so that
//! this process's memory and CPU time are the service's own. The load runs in a
//! second process (this benchmark again, with `--peer`): the fake Bot API answering
//! at once and the HTTPS load generator with 32 keep-alive connections. The peer
//! drives the run and asks this process, one line at a time on its stdin/stdout, to
//! start a service, start the bare endpoint, or read its own memory and CPU time;
//! every other line the peer prints is a line of the report.
//! - relay throughput: customer messages in (HTTPS webhook) → copies received by
//!   the fake Bot API, for one assigned communication, over 20,000 updates;
//! - webhook latency at a fixed 1,000 updates/s;
//! - the ceiling: the same load against a bare axum + rustls endpoint answering
//!   200, served from this process like the service;
//! - peak and idle RSS of the service's process, and its CPU time per relay;
//! - a scale check on 100,000 customers and 1,000,000 messages: the menu queries'
//!   times and query plans, then the web console's pages (`relay/console.rs`).
//!
//! `RELAY_SYNC=full` (or `normal`) runs one mode only, `RELAY_UPDATES=N` changes the
//! count, `SCALE=0` skips the scale check.

#[path = "relay/console.rs"]
mod console;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use support::app::{Files, Options, SECRET, https_client};
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

// ---------------------------------------------------------------------------
// This process: the service.

/// A field of this process's /proc status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system, all threads) this process has used so far.
fn cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A service started here, as `relaydesk run` starts it.
struct Service {
    files: Arc<Files>,
    url: String,
    /// The web console (plain HTTP), for the run with a console user.
    console_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<relaydesk::Result<()>>,
}

fn seed(files: &Files) {
    std::fs::create_dir_all(files.db_path.parent().unwrap()).unwrap();
    let store = relaydesk::store::Store::open(&files.db_path).unwrap();
    store
        .lock()
        .execute_batch(
            "INSERT INTO customers (id, first_name, email, state, created_at, updated_at)
                 VALUES (4242, 'Bench', 'b@example.com', 'verified', 0, 0);
             INSERT INTO communications (id, customer_id, status, specialist_id, opened_at, assigned_at)
                 VALUES (1, 4242, 'assigned', 501, 0, 0);
             INSERT INTO assignments (communication_id, specialist_id, taken_at) VALUES (1, 501, 0);",
        )
        .unwrap();
}

fn start_service(rt: &tokio::runtime::Runtime, synchronous: &str, api_url: &str) -> Service {
    let files = Files::new();
    let options = Options {
        extra: STAFF.to_string(),
        request_timeout: "10s".into(),
        ..Options::default()
    };
    let toml = support::app::config_toml(&files, api_url, &options).replace(
        "[database]\n",
        &format!("[database]\nsynchronous = \"{synchronous}\"\n"),
    );
    let config = relaydesk::config::Config::from_toml_str(&toml).unwrap();
    // The database exists, migrated and seeded, before the service opens it.
    seed(&files);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let admin = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let console = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let console_url = format!("http://{}", console.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = rt.spawn(relaydesk::app::run_webhook_on(
        config,
        relaydesk::app::Listeners {
            webhook: listener.try_clone().unwrap(),
            admin: Some(admin),
            console: Some(console),
        },
        async move {
            let _ = stopped.await;
        },
    ));
    let url = format!(
        "https://127.0.0.1:{}{}",
        listener.local_addr().unwrap().port(),
        support::app::WEBHOOK_PATH
    );
    Service {
        files,
        url,
        console_url,
        stop,
        task,
    }
}

/// A bare axum + rustls endpoint that only answers 200: the ceiling.
fn bare_endpoint(rt: &tokio::runtime::Runtime, files: &Files) -> String {
    let _guard = rt.enter();
    let tls = relaydesk::http::tls::server_config(&files.cert_path, &files.key_path).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/telegram", axum::routing::post(|| async { "" }));
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls)),
    )
    .unwrap();
    rt.spawn(server.serve(router.into_make_service()));
    format!("https://127.0.0.1:{}/telegram", addr.port())
}

/// Answer one request of the peer.
fn answer(rt: &tokio::runtime::Runtime, service: &mut Option<Service>, request: &str) -> String {
    let words: Vec<&str> = request.split_whitespace().collect();
    match words.as_slice() {
        ["service", synchronous, api_url] => {
            stop_service(rt, service.take());
            let started = start_service(rt, synchronous, api_url);
            let answer = format!(
                "{} {} {}",
                started.url,
                started.files.cert_path.display(),
                started.console_url
            );
            *service = Some(started);
            answer
        }
        ["bare"] => match service {
            Some(s) => bare_endpoint(rt, &s.files),
            None => "no service".into(),
        },
        ["rss"] => status_kib("VmRSS:").to_string(),
        ["peak"] => status_kib("VmHWM:").to_string(),
        // Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
        ["reset-peak"] => std::fs::write("/proc/self/clear_refs", "5")
            .map_or_else(|e| e.to_string(), |()| "ok".into()),
        ["cpu"] => cpu_time().as_nanos().to_string(),
        _ => format!("unknown request {request}"),
    }
}

fn stop_service(rt: &tokio::runtime::Runtime, service: Option<Service>) {
    if let Some(s) = service {
        let _ = s.stop.send(());
        rt.block_on(s.task).unwrap().unwrap();
    }
}

/// This process: serve the peer's requests, print its report, then the scale check.
fn service_main() {
    relaydesk::app::cli::limit_malloc_arenas();
    // Only errors of the service (e.g. not the empty `disk.alert_to` warning).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    // The runtime `relaydesk run` builds.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut peer = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--bench", "--peer"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the load generator");
    let mut to_peer = peer.stdin.take().unwrap();
    let from_peer = std::io::BufReader::new(peer.stdout.take().unwrap());
    let mut service = None;
    for line in from_peer.lines() {
        let line = line.expect("read the peer");
        match line.strip_prefix("? ") {
            Some(request) => {
                let reply = answer(&rt, &mut service, request);
                writeln!(to_peer, "{reply}").expect("answer the peer");
                to_peer.flush().unwrap();
            }
            None => println!("{line}"),
        }
    }
    stop_service(&rt, service.take());
    assert!(peer.wait().unwrap().success(), "the load generator failed");
    if std::env::var("SCALE").as_deref() != Ok("0") {
        scale_check();
    }
}

// ---------------------------------------------------------------------------
// The peer process: fake Bot API and load generator.

/// Ask the service's process; its one-line answer.
fn ask(request: &str) -> String {
    println!("? {request}");
    let mut line = String::new();
    tokio::task::block_in_place(|| std::io::stdin().read_line(&mut line)).unwrap();
    line.trim().to_string()
}

fn ask_u64(request: &str) -> u64 {
    let a = ask(request);
    a.parse()
        .unwrap_or_else(|_| panic!("{request}: unexpected answer {a}"))
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

/// "p50 …  p99 …  max …" of a run's latencies.
fn percentiles(mut lat: Vec<Duration>) -> String {
    lat.sort();
    format!(
        "p50 {}  p99 {}  max {}",
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default())
    )
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
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

/// Messages copied to the specialist so far (a merged `copyMessages` counts each).
fn copies(fake: &FakeBot) -> usize {
    fake.delivered_to(SPECIALIST)
        .iter()
        .map(|c| match c.param("message_ids") {
            Some(ids) => ids.as_array().map_or(0, Vec::len),
            None => usize::from(c.is("copyMessage")),
        })
        .sum()
}

/// Wait until `n` copies have reached the fake Bot API (or ten minutes passed).
async fn wait_for_copies(fake: &FakeBot, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while copies(fake) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn relay_bench(synchronous: &str) {
    println!("== database.synchronous = \"{synchronous}\"");
    let fake = &FakeBot::start().await;
    let n = env_usize("RELAY_UPDATES", 20_000);
    let reply = ask(&format!("service {synchronous} {}", fake.api_url()));
    let [url, cert_path, console] = reply.split(' ').collect::<Vec<_>>()[..] else {
        panic!("service url, certificate and console url: {reply}");
    };
    let client = https_client(&std::fs::read_to_string(cert_path).unwrap());
    // Warm up.
    blast(&client, url, updates(1, 200, 1)).await;
    wait_for_copies(fake, 200).await;
    let idle_kib = ask_u64("rss");
    ask("reset-peak");

    let before = copies(fake);
    let calls_before = fake.calls().len();
    let cpu_before = ask_u64("cpu");
    let start = Instant::now();
    let posting = blast(&client, url, updates(1_000, n, 1_000)).await;
    wait_for_copies(fake, before + n).await;
    let elapsed = start.elapsed();
    let cpu = Duration::from_nanos(ask_u64("cpu") - cpu_before);
    let relayed = copies(fake) - before;
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
    println!(
        "  service CPU:  {:.0} µs per relayed update ({:.2} cores busy)",
        cpu.as_secs_f64() * 1e6 / relayed.max(1) as f64,
        cpu.as_secs_f64() / elapsed.as_secs_f64()
    );
    let calls = fake.calls().split_off(calls_before);
    let single = calls.iter().filter(|c| c.is("copyMessage") && c.ok).count();
    let merged = calls
        .iter()
        .filter(|c| c.is("copyMessages") && c.ok)
        .count();
    println!("  Bot API calls: {single} copyMessage, {merged} copyMessages (merged backlogs)");

    // Latency at a fixed rate.
    let rate = 1_000;
    let lat = paced(&client, url, updates(100_000, 5_000, 100_000), rate).await;
    println!(
        "latency at {rate} updates/s ({} requests): {}",
        lat.len(),
        percentiles(lat)
    );
    // The same rate with updates the bot ignores (group chatter): the webhook and
    // the commit alone, without relaying.
    let ignored: Vec<serde_json::Value> = (0..5_000)
        .map(|i| support::fake_bot::update_group_message(200_000 + i, -1001, 77, "chatter"))
        .collect();
    let lat = paced(&client, url, ignored, rate).await;
    println!("  (ignored updates at {rate}/s: {})", percentiles(lat));
    with_a_console_user(fake, &client, url, console, rate).await;
    println!(
        "memory of the service's process: idle {}, peak {}",
        mib(idle_kib),
        mib(ask_u64("peak"))
    );

    // The ceiling, served from the service's process.
    // The best of three runs: this figure is the denominator, and a shared machine
    // makes single short runs vary by half.
    let bare = ask("bare");
    let mut bare_rate: f64 = 0.0;
    for _ in 0..3 {
        let bare_time = blast(&client, &bare, updates(1, n, 1)).await;
        bare_rate = bare_rate.max(n as f64 / bare_time.as_secs_f64());
    }
    let bare_lat = paced(&client, &bare, updates(1, 5_000, 1), rate).await;
    println!(
        "  bare endpoint latency at {rate}/s: {}",
        percentiles(bare_lat)
    );
    let ours = relayed as f64 / elapsed.as_secs_f64();
    println!(
        "ceiling: bare axum + rustls answers {bare_rate:.0} requests/s (best of 3); relaydesk relays at {:.0} % of it",
        100.0 * ours / bare_rate
    );
}

/// The webhook's latency at `rate` without and with one signed-in console user
/// whose queue page is open (its event stream) and who reloads it every 250 ms,
/// alternating twice, so that the difference can be told from the noise.
async fn with_a_console_user(
    fake: &FakeBot,
    client: &reqwest::Client,
    url: &str,
    console: &str,
    rate: u64,
) {
    let cookie = console_session(fake, console).await;
    let web = reqwest::Client::new();
    let mut first = 300_000;
    for round in 1..=2 {
        let lat = paced(client, url, updates(first, 5_000, first), rate).await;
        first += 10_000;
        println!(
            "  webhook at {rate}/s, no console user (run {round}): {}",
            percentiles(lat)
        );
        let stop = tokio_util::sync::CancellationToken::new();
        let polls = Arc::new(AtomicUsize::new(0));
        let user = tokio::spawn(console_user(
            web.clone(),
            console.to_string(),
            cookie.clone(),
            stop.clone(),
            polls.clone(),
        ));
        let lat = paced(client, url, updates(first, 5_000, first), rate).await;
        first += 10_000;
        stop.cancel();
        user.await.unwrap();
        println!(
            "  webhook at {rate}/s, a console user polling the queue (run {round}, {} pages): {}",
            polls.load(Ordering::Relaxed),
            percentiles(lat)
        );
    }
}

/// A console user: the queue's event stream open, and the queue page loaded every
/// 250 ms, until `stop`.
async fn console_user(
    web: reqwest::Client,
    console: String,
    cookie: String,
    stop: tokio_util::sync::CancellationToken,
    polls: Arc<AtomicUsize>,
) {
    let mut events = web
        .get(format!("{console}/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("the event stream");
    assert!(events.status().is_success(), "events: {}", events.status());
    let mut every = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            chunk = events.chunk() => { chunk.expect("event stream"); }
            _ = every.tick() => {
                let page = web
                    .get(format!("{console}/"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("the queue page");
                assert!(page.status().is_success(), "queue: {}", page.status());
                page.bytes().await.expect("the queue page's body");
                polls.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Sign the specialist in at the console, as a browser does; the cookie header.
async fn console_session(fake: &FakeBot, console: &str) -> String {
    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar = std::collections::BTreeMap::new();
    let mut form = |response: reqwest::Response| {
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                jar.insert(name.to_string(), value.to_string());
            }
        }
        let cookie: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        (cookie.join("; "), response)
    };
    let csrf_of = |body: &str| {
        let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        body[at..at + body[at..].find('"').unwrap()].to_string()
    };
    let (cookie, login) = form(web.get(format!("{console}/login")).send().await.unwrap());
    let csrf = csrf_of(&login.text().await.unwrap());
    let who = SPECIALIST.to_string();
    let (cookie, step) = form(
        web.post(format!("{console}/login"))
            .header("cookie", cookie)
            .form(&[("csrf", csrf.as_str()), ("who", who.as_str())])
            .send()
            .await
            .unwrap(),
    );
    let csrf = csrf_of(&step.text().await.unwrap());
    let calls = fake
        .wait_for("the console code", Duration::from_secs(30), |calls| {
            calls
                .iter()
                .any(|c| support::desk::is_text_to(c, SPECIALIST, support::desk::CONSOLE_CODE_TEXT))
        })
        .await;
    let code = calls
        .iter()
        .rev()
        .find(|c| support::desk::is_text_to(c, SPECIALIST, support::desk::CONSOLE_CODE_TEXT))
        .and_then(|c| support::desk::extract_code(&c.text().unwrap()))
        .expect("a code");
    let (cookie, done) = form(
        web.post(format!("{console}/login/code"))
            .header("cookie", cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("who", who.as_str()),
                ("code", code.as_str()),
            ])
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(done.status(), reqwest::StatusCode::SEE_OTHER, "signed in");
    cookie
}

/// The peer process: the fake Bot API and the load generator.
fn peer_main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // RELAY_SYNC=full (or normal) runs one mode only.
    let modes = std::env::var("RELAY_SYNC").unwrap_or_else(|_| "full,normal".into());
    for mode in modes.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        rt.block_on(relay_bench(mode));
    }
}

// ---------------------------------------------------------------------------
// Back in the service's process, after the peer is done.

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
    let now = relaydesk::now_ms();
    let figures = env_usize("SCALE_FIGURES", 1_000_000) as i64;
    generate_figures(&store, customers, figures, now);
    let conn = store.lock();
    stats_and_export(&conn, now);
    export_messages(&conn);
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
        println!(
            "  {name:<26} {:>7.1} µs   plan: {}",
            each.as_secs_f64() * 1e6,
            plan.join(" | ")
        );
    }
    drop(conn);
    console::pages(&store, &dir.path().join("scale.sqlite3"), now);
}

/// Ten specialists, each with their share of `n` closed communications over the
/// last 90 days, every one with its recorded figures, a third of them rated (the
/// schema's triggers add each to the per-day sums of /stats as it is inserted).
const SPECIALISTS: std::ops::Range<i64> = 2_000_000..2_000_010;

fn generate_figures(store: &relaydesk::store::Store, customers: i64, n: i64, now: i64) {
    let started = Instant::now();
    let mut conn = store.lock();
    let tx = conn.transaction().unwrap();
    {
        let mut comm = tx.prepare("INSERT INTO communications (id, customer_id, status, specialist_id, opened_at, closed_at, close_reason) VALUES (?1, ?2, 'closed', ?3, ?4, ?5, 'closed by the specialist')").unwrap();
        let mut taken = tx.prepare("INSERT INTO assignments (communication_id, specialist_id, taken_at, released_at) VALUES (?1, ?2, ?3, ?4)").unwrap();
        let mut fig = tx.prepare("INSERT INTO comm_figures (communication_id, opened_at, taken_at, time_to_take_s, first_response_at, first_response_by, first_response_s, waits, wait_sum_s, wait_max_s, closed_at, closed_by, resolution_s, customer_messages, specialist_messages) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 2, ?8, ?7, ?9, ?6, ?10, 3, 2)").unwrap();
        let mut survey = tx.prepare("INSERT INTO surveys (communication_id, customer_id, specialist_id, asked_at, rating, rated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)").unwrap();
        let span = 90 * 24 * 60;
        for i in 0..n {
            let id = customers + 1 + i;
            let customer = 1 + i % customers;
            let who = SPECIALISTS.start + i % 10;
            let closed_at = now - (i % span) * 60_000 - 1;
            let opened_at = closed_at - 3_600_000 - (i % 600) * 1_000;
            let first = 60 + i % 900;
            comm.execute(rusqlite::params![id, customer, who, opened_at, closed_at])
                .unwrap();
            taken
                .execute(rusqlite::params![id, who, opened_at + 30_000, closed_at])
                .unwrap();
            fig.execute(rusqlite::params![
                id,
                opened_at,
                opened_at + 30_000,
                30,
                opened_at + first * 1000,
                who,
                first,
                first + 30,
                closed_at,
                (closed_at - opened_at) / 1000
            ])
            .unwrap();
            if i % 3 == 0 {
                survey
                    .execute(rusqlite::params![
                        id,
                        customer,
                        who,
                        closed_at,
                        1 + i % 5,
                        closed_at
                    ])
                    .unwrap();
            }
        }
    }
    tx.commit().unwrap();
    println!(
        "scale: {n} closed communications with their figures generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn plan_of(conn: &rusqlite::Connection, sql: &str, params: &[i64]) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let plan: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    plan.join(" | ")
}

/// A controller's 30-day `/stats` of the whole team, and the export of 100,000
/// communications (CSV, streamed): their times, plans and memory.
fn stats_and_export(conn: &rusqlite::Connection, now: i64) {
    use relaydesk::domain::StaffId;
    use relaydesk::domain::stats::{DAY_MS, StatsQuery};
    let team: Vec<StaffId> = SPECIALISTS.map(StaffId).collect();
    let day_start = now - now.rem_euclid(DAY_MS);
    let q = StatsQuery::new(team, true, 30, now, day_start);
    let runs = 10;
    let t = Instant::now();
    let mut taken = 0;
    for _ in 0..runs {
        let s = relaydesk::store::stats::load(conn, &q).unwrap();
        taken = s.rows.iter().map(|(_, _, p)| p.taken).sum::<i64>();
    }
    println!(
        "  controller's /stats, 30 days   {:>7.1} ms   ({} specialists, {taken} requests taken)",
        (t.elapsed() / runs).as_secs_f64() * 1e3,
        q.staff.len()
    );
    // Whole days from the per-day sums, the rest of a day from the rows.
    let period = relaydesk::store::stats::plan(q.period);
    println!("    the 30 days: {period:?}");
    let (first, last) = period.days.unwrap_or_default();
    for sql in relaydesk::store::stats::DAY_QUERIES {
        println!(
            "    plan: {}",
            plan_of(conn, sql, &[SPECIALISTS.start, first, last])
        );
    }
    for sql in relaydesk::store::stats::TALLY_QUERIES {
        println!(
            "    plan: {}",
            plan_of(conn, sql, &[SPECIALISTS.start, q.period.from, q.period.to])
        );
    }
    // The newest 100,000 communications by opened_at, written as CSV to nowhere.
    let since: i64 = conn
        .query_row(
            "SELECT opened_at FROM communications ORDER BY opened_at DESC LIMIT 1 OFFSET 99999",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    let rows = relaydesk::app::export::write(
        conn,
        relaydesk::store::export::ExportKind::Communications,
        relaydesk::app::export::ExportFormat::Csv,
        relaydesk::store::export::Range {
            since: Some(since),
            until: None,
        },
        &mut std::io::sink(),
    )
    .unwrap();
    let after = status_kib("VmHWM:");
    println!(
        "  export communications, CSV   {:>7.0} ms   ({rows} rows; RSS {:.1} MiB before, peak {:.1} MiB during)",
        t.elapsed().as_secs_f64() * 1e3,
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
}

/// `relaydesk export messages` of every message of the scale database (1,000,000 by
/// default), as CSV and as JSON written to nowhere: the time, and the process's
/// resident memory before and at its peak during each (flat: rows are written as
/// they are read).
fn export_messages(conn: &rusqlite::Connection) {
    use relaydesk::app::export::ExportFormat;
    for (name, format) in [("CSV", ExportFormat::Csv), ("JSON", ExportFormat::Json)] {
        // Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_kib("VmRSS:");
        let t = Instant::now();
        let rows = relaydesk::app::export::write(
            conn,
            relaydesk::store::export::ExportKind::Messages,
            format,
            relaydesk::store::export::Range::default(),
            &mut std::io::sink(),
        )
        .unwrap();
        let after = status_kib("VmHWM:");
        println!(
            "  export messages, {name:<4}        {:>7.0} ms   ({rows} rows; RSS {:.1} MiB before, peak {:.1} MiB during)",
            t.elapsed().as_secs_f64() * 1e3,
            before as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }
}

fn main() {
    relaydesk::install_crypto_provider();
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary
    // without it, and a benchmark is no test.
    if !args.iter().any(|a| a == "--bench") {
        println!("relay benchmark: run it with `cargo bench --bench relay`");
        return;
    }
    if args.iter().any(|a| a == "--peer") {
        peer_main();
    } else {
        service_main();
    }
}
