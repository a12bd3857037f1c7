//! Disk-space alerts end to end: the disk worker with a scripted probe, the real mail
//! worker, the SMTP sink, and the outbox rows for the controllers.

mod support;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use relaydesk::config::Config;
use relaydesk::domain::disk::{AlertState, MB, Space};
use relaydesk::runtime::disk::{self, Probe};
use relaydesk::runtime::mail::Mailer;
use relaydesk::runtime::mail_sender::MailSender;
use relaydesk::runtime::wake::Wake;
use relaydesk::store::Store;
use support::app::{PROMPTLY, init_test_logging, wait_until};
use support::smtp_sink::{Mail, SmtpSink};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const MOUNT: &str = "/srv/relaydesk-data";
const ADMIN: &str = "admin@example.com";
const CONTROLLERS: [i64; 2] = [111, 222];

/// Gives the readings in turn; the last one is repeated while no newer one is queued.
struct Scripted {
    readings: Mutex<VecDeque<Space>>,
    calls: AtomicUsize,
}

impl Scripted {
    fn new(first: Space) -> Scripted {
        Scripted {
            readings: Mutex::new(VecDeque::from([first])),
            calls: AtomicUsize::new(0),
        }
    }

    /// From the next measurement on, `reading` (and nothing older).
    fn set(&self, reading: Space) {
        let mut q = self.readings.lock().unwrap();
        q.clear();
        q.push_back(reading);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Probe for Scripted {
    fn space(&self, path: &Path) -> std::io::Result<Space> {
        let mut q = self.readings.lock().unwrap();
        let reading = if q.len() > 1 {
            q.pop_front()
        } else {
            q.front().cloned()
        };
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut space = reading.ok_or_else(|| std::io::Error::other("no reading scripted"))?;
        space.path = path.to_path_buf();
        Ok(space)
    }
}

fn reading(free_mb: u64, total_mb: u64) -> Space {
    Space {
        path: PathBuf::new(),
        mount_point: PathBuf::from(MOUNT),
        free_bytes: free_mb * MB,
        total_bytes: total_mb * MB,
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Kind {
    Low,
    StillLow,
    Recovered,
}

/// The kind of an alert, in English or (the default `texts.locale`) Russian.
fn kind(subject: &str) -> Kind {
    if subject.contains("] Low disk space") || subject.contains("] Мало места") {
        Kind::Low
    } else if subject.contains("] Still low disk space") || subject.contains("] Всё ещё мало")
    {
        Kind::StillLow
    } else if subject.contains("] Disk space recovered") || subject.contains("освободилось")
    {
        Kind::Recovered
    } else {
        panic!("not a disk alert: {subject:?}")
    }
}

fn kinds(mails: &[Mail]) -> Vec<Kind> {
    mails
        .iter()
        .map(|m| kind(&m.subject().unwrap_or_default()))
        .collect()
}

fn count(mails: &[Mail], k: Kind) -> usize {
    kinds(mails).into_iter().filter(|x| *x == k).count()
}

fn start_worker(
    probe: &Arc<Scripted>,
    store: &Store,
    config: &Arc<Config>,
    mail_wake: &Wake,
    outbox_wake: &Wake,
) -> (CancellationToken, JoinHandle<()>) {
    let stop = CancellationToken::new();
    let probe: Arc<dyn Probe> = probe.clone();
    let task = tokio::spawn(disk::run(
        probe,
        store.clone(),
        relaydesk::runtime::live::Live::of((**config).clone()).unwrap(),
        mail_wake.clone(),
        outbox_wake.clone(),
        stop.clone(),
    ));
    (stop, task)
}

/// Waits until the worker has measured `rounds` more times (two paths a round), so
/// that everything decided before has been committed.
async fn rounds_pass(probe: &Scripted, rounds: usize) {
    let target = probe.calls() + 2 * rounds + 1;
    wait_until("the disk worker to measure again", PROMPTLY, || {
        probe.calls() >= target
    })
    .await;
}

/// (created_at, subject) of every queued alert mail, in order.
fn queued_mails(store: &Store) -> Vec<(i64, String, String, String)> {
    let conn = store.lock();
    let mut stmt = conn
        .prepare("SELECT created_at, recipient, subject, purpose FROM mail_outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_disk_is_alerted_repeated_and_recovered() {
    init_test_logging();
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let db = dir.path().join("db").join("relaydesk.sqlite3");
    let toml = format!(
        r#"
[telegram]
token = "1:a"

[database]
path = "{db}"

[archive]
dir = "{archive}"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "Support bot <bot@example.com>"
timeout = "10s"

[texts]
locale = "en"

[disk]
alert_to = ["{ADMIN}"]
check_interval = "100ms"
repeat_every = "1s"
min_free_mb = 1000
min_free_percent = 5

[[controllers]]
chat_id = {c0}
name = "Controller One"

[[controllers]]
chat_id = {c1}
name = "Controller Two"
"#,
        db = db.display(),
        archive = archive.display(),
        port = sink.port,
        c0 = CONTROLLERS[0],
        c1 = CONTROLLERS[1],
    );
    let config = Arc::new(Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}")));
    let store = Store::open(&config.database.path).unwrap();
    let mail_wake = Wake::new();
    let outbox_wake = Wake::new();
    let mail_stop = CancellationToken::new();
    let mailer = MailSender::new(store.clone(), Mailer::new(&config.smtp), mail_wake.clone());
    let mail_task = tokio::spawn(mailer.run(mail_stop.clone()));

    // 500 MB free of 100000 MB: below both thresholds.
    let probe = Arc::new(Scripted::new(reading(500, 100_000)));
    let (stop, worker) = start_worker(&probe, &store, &config, &mail_wake, &outbox_wake);

    // One alert, with the figures.
    let mails = sink
        .wait_for("the low-space alert", PROMPTLY, |m| !m.is_empty())
        .await;
    assert_eq!(kinds(&mails), [Kind::Low]);
    let first = &mails[0];
    assert_eq!(first.to, [ADMIN]);
    let body = first.body_text();
    for needle in [
        "500 MB (0.5 % of the disk)",
        "100000 MB",
        "less than 1000 MB or less than 5 % of the disk",
        MOUNT,
        &archive.display().to_string(),
        &db.parent().unwrap().display().to_string(),
        "enlarge the disk",
    ] {
        assert!(body.contains(needle), "missing {needle:?} in:\n{body}");
    }

    // A restart while low neither repeats the first alert nor forgets it.
    stop.cancel();
    worker.await.unwrap();
    let (stop, worker) = start_worker(&probe, &store, &config, &mail_wake, &outbox_wake);
    rounds_pass(&probe, 2).await;
    let mails = sink.messages();
    assert_eq!(count(&mails, Kind::Low), 1, "{:?}", kinds(&mails));

    // One reminder, repeat_every after the alert.
    let mails = sink
        .wait_for("the reminder", PROMPTLY, |m| count(m, Kind::StillLow) >= 1)
        .await;
    // Back above the thresholds: 50 %.
    probe.set(reading(50_000, 100_000));
    assert_eq!(kinds(&mails)[..2], [Kind::Low, Kind::StillLow]);
    assert!(
        mails[1].body_text().contains("500 MB (0.5 % of the disk)"),
        "{}",
        mails[1].body_text()
    );

    // Exactly one recovery, and nothing more after it.
    let mails = sink
        .wait_for("the recovery notice", PROMPTLY, |m| {
            count(m, Kind::Recovered) >= 1
        })
        .await;
    let recovery = mails.last().unwrap();
    assert_eq!(kind(&recovery.subject().unwrap()), Kind::Recovered);
    assert!(
        recovery
            .body_text()
            .contains("50000 MB (50.0 % of the disk, about 48.8 GB)"),
        "{}",
        recovery.body_text()
    );
    rounds_pass(&probe, 3).await;

    // What was queued: Low, then reminders each at least repeat_every after the
    // previous alert, then one recovery; all to the admin, all sent.
    let queued = queued_mails(&store);
    let queued_kinds: Vec<Kind> = queued.iter().map(|q| kind(&q.2)).collect();
    assert_eq!(queued_kinds.first(), Some(&Kind::Low), "{queued_kinds:?}");
    assert_eq!(
        queued_kinds.last(),
        Some(&Kind::Recovered),
        "{queued_kinds:?}"
    );
    let reminders = &queued[1..queued.len() - 1];
    assert!(!reminders.is_empty(), "{queued_kinds:?}");
    for pair in queued[..queued.len() - 1].windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= 1000,
            "an alert came less than repeat_every after the previous one: {queued:?}"
        );
    }
    for (_, k) in reminders.iter().map(|q| (q, kind(&q.2))) {
        assert_eq!(k, Kind::StillLow, "{queued_kinds:?}");
    }
    for q in &queued {
        assert_eq!(q.1, ADMIN);
        assert_eq!(q.3, r#"{"p":"alert"}"#);
    }
    let mails = sink
        .wait_for("every queued alert at the sink", PROMPTLY, |m| {
            m.len() == queued.len()
        })
        .await;
    assert_eq!(kinds(&mails), queued_kinds);
    assert_eq!(count(&mails, Kind::Recovered), 1);

    // Each controller got one Telegram message per notice, in the outbox.
    {
        let conn = store.lock();
        for chat in CONTROLLERS {
            let mut stmt = conn
                .prepare("SELECT method, params FROM outbox WHERE chat_id = ?1 ORDER BY id")
                .unwrap();
            let rows: Vec<(String, String)> = stmt
                .query_map([chat], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), queued.len(), "chat {chat}: {rows:?}");
            for (method, _) in &rows {
                assert_eq!(method, "text");
            }
            // The typed message: a plain text (no HTML) to that chat.
            let text = |i: usize| -> String {
                let params: serde_json::Value = serde_json::from_str(&rows[i].1).unwrap();
                assert_eq!(params["chat"], chat);
                assert_eq!(params["format"], "plain", "{params}");
                params["text"].as_str().unwrap().to_owned()
            };
            let first = text(0);
            assert!(first.contains("Low disk space"), "{first}");
            assert!(first.contains("500 MB free (0.5 %)"), "{first}");
            assert!(first.contains(MOUNT), "{first}");
            let last = text(rows.len() - 1);
            assert!(last.contains("back above"), "{last}");
        }
        let other: i64 = conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE chat_id NOT IN (111, 222) OR chat_id IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(other, 0);
        // The state is kept per mount point, cleared after the recovery.
        let state = relaydesk::store::meta_get(&conn, &disk::state_key(Path::new(MOUNT)))
            .unwrap()
            .expect("the alert state is saved");
        let state: AlertState = serde_json::from_str(&state).unwrap();
        assert_eq!(state, AlertState::default());
    }

    stop.cancel();
    worker.await.unwrap();
    mail_stop.cancel();
    mail_task.await.unwrap();
}

/// Readings that fail are logged, not fatal: the worker carries on and alerts once a
/// reading comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_errors_do_not_stop_the_worker() {
    init_test_logging();
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[telegram]\ntoken = \"1:a\"\n\
         [database]\npath = \"{db}\"\n[archive]\ndir = \"{archive}\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"bot@example.com\"\n\
         [disk]\nalert_to = [\"{ADMIN}\"]\ncheck_interval = \"50ms\"\nmin_free_mb = 1000\n\
         [[controllers]]\nchat_id = 111\nname = \"C\"\n",
        db = dir.path().join("db/x.sqlite3").display(),
        archive = dir.path().join("archive").display(),
        port = sink.port,
    );
    let config = Arc::new(Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}")));
    let store = Store::open(&config.database.path).unwrap();
    let mail_wake = Wake::new();
    let mail_stop = CancellationToken::new();
    let mailer = MailSender::new(store.clone(), Mailer::new(&config.smtp), mail_wake.clone());
    let mail_task = tokio::spawn(mailer.run(mail_stop.clone()));

    let probe = Arc::new(Scripted {
        readings: Mutex::new(VecDeque::new()),
        calls: AtomicUsize::new(0),
    });
    let (stop, worker) = start_worker(&probe, &store, &config, &mail_wake, &Wake::new());
    rounds_pass(&probe, 3).await;
    assert!(!worker.is_finished());
    assert!(sink.messages().is_empty());

    probe.set(reading(10, 100_000));
    let mails = sink
        .wait_for("the alert after errors", PROMPTLY, |m| !m.is_empty())
        .await;
    assert_eq!(kinds(&mails), [Kind::Low]);
    // No [texts]: the alert is in the default locale, Russian.
    let body = mails[0].body_text();
    assert!(body.contains("10 МБ (0.0 % диска)"), "{body}");

    stop.cancel();
    worker.await.unwrap();
    mail_stop.cancel();
    mail_task.await.unwrap();
}
