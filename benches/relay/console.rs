//! The web console's pages on the scale database (issue 14 "Performance"): the
//! queue, a communication of 500 messages, customer searches and the 90-day stats,
//! each asked of the real console (its router, served on a local port by the same
//! `serve` as the service's) by a signed-in controller; the time from the request
//! to the last byte of the answer, on localhost.

use std::time::{Duration, Instant};

use relaydesk::store::Store;

/// The communication given 500 messages of its own.
const LONG: i64 = 77;
/// The controller signed in, and their session's token.
const HEAD: i64 = 900;
const TOKEN: &str = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Give communication [`LONG`] 500 messages, and open a session for [`HEAD`].
fn prepare(store: &Store, now: i64) {
    let mut conn = store.lock();
    let tx = conn.transaction().unwrap();
    {
        let mut msg = tx
            .prepare("INSERT INTO messages (communication_id, at, role, sender_id, chat_id, message_id, kind, text) VALUES (?1, ?2, ?3, ?4, ?4, ?5, 'text', 'a line of the conversation, as long as people write them')")
            .unwrap();
        for i in 0..500i64 {
            let (role, sender) = if i % 2 == 0 {
                ("customer", LONG)
            } else {
                ("specialist", 2_000_000)
            };
            msg.execute(rusqlite::params![
                LONG,
                now - (500 - i) * 1000,
                role,
                sender,
                10_000 + i
            ])
            .unwrap();
        }
        let hash = hex(ring::digest::digest(&ring::digest::SHA256, TOKEN.as_bytes()).as_ref());
        tx.execute(
            "INSERT INTO console_sessions (token_hash, staff_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![hash, HEAD, now, now + 86_400_000],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn config(db: &std::path::Path) -> relaydesk::config::Config {
    let mut toml = format!(
        "[telegram]\ntoken = \"123456:ABC-def_ghi\"\n[smtp]\nhost = \"smtp.example.com\"\nfrom = \"bot@example.com\"\n[database]\npath = {:?}\n[[controllers]]\nchat_id = {HEAD}\nname = \"Head\"\n",
        db.display().to_string()
    );
    for (i, id) in super::SPECIALISTS.enumerate() {
        toml.push_str(&format!(
            "[[specialists]]\nchat_id = {id}\nname = \"Specialist {i}\"\n"
        ));
    }
    relaydesk::config::Config::from_toml_str(&toml).unwrap()
}

/// Time the four pages (and a search that finds nobody) and print the figures.
pub fn pages(store: &Store, db: &std::path::Path, now: i64) {
    prepare(store, now);
    let live = relaydesk::runtime::live::Live::of(config(db)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let processor = relaydesk::runtime::writer::Processor::new(
            store.clone(),
            live,
            relaydesk::runtime::writer::Wakes::default(),
        );
        let stop = tokio_util::sync::CancellationToken::new();
        let console = relaydesk::http::console::Console::new(processor, stop.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let served = tokio::spawn(relaydesk::http::console::serve(
            console,
            listener,
            None,
            stop.clone(),
        ));
        let client = reqwest::Client::new();
        let pages: [(&str, String); 5] = [
            ("queue page", "/".into()),
            ("communication, 500 messages", format!("/c/{LONG}")),
            (
                "customer search (first page)",
                "/customers?q=example".into(),
            ),
            ("customer search (nobody)", "/customers?q=nobody".into()),
            ("stats, 90 days", "/stats?days=90".into()),
        ];
        for (name, path) in pages {
            let get = || {
                client
                    .get(format!("{base}{path}"))
                    .header("cookie", format!("relaydesk_session={TOKEN}"))
                    .send()
            };
            let first = get().await.unwrap();
            assert_eq!(first.status(), 200, "{path}");
            let size = first.bytes().await.unwrap().len();
            let runs = 20;
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            for _ in 0..runs {
                let t = Instant::now();
                let body = get().await.unwrap().bytes().await.unwrap();
                times.push(t.elapsed());
                assert_eq!(body.len() / 1000, size / 1000, "{path}");
            }
            times.sort();
            println!(
                "  console {name:<30} median {:>6.1} ms, max {:>6.1} ms   ({} KiB)",
                times[runs / 2].as_secs_f64() * 1e3,
                times[runs - 1].as_secs_f64() * 1e3,
                size / 1024
            );
        }
        stop.cancel();
        let _ = served.await;
    });
}
