//! `relaydesk backup PATH` end to end (SPEC §9): taken while 2,000 updates are
//! being posted, the copy opens, passes `integrity_check` and holds every update
//! acknowledged before the backup began; an existing PATH is refused.

mod support;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use support::app::SECRET;
use support::desk::Desk;

const UPDATES: usize = 2_000;
/// The backup starts once this many are acknowledged.
const BEFORE: usize = 500;
const POSTERS: usize = 16;

#[tokio::test]
async fn a_backup_taken_while_updates_arrive_holds_every_one_acknowledged_before_it() {
    let desk = Desk::start().await;
    // 2,000 customers writing at once: each update a new customer, a prompt queued.
    let queue: VecDeque<serde_json::Value> = (0..UPDATES)
        .map(|i| {
            desk.fake
                .text_update(10_000 + i64::try_from(i).unwrap(), "hello")
        })
        .collect();
    let queue = Arc::new(Mutex::new(queue));
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0usize);
    let count_tx = Arc::new(count_tx);
    let posters: Vec<_> = (0..POSTERS)
        .map(|_| {
            let (queue, acked, count_tx) = (queue.clone(), acked.clone(), count_tx.clone());
            let (client, url) = (desk.app.client.clone(), desk.app.url.clone());
            tokio::spawn(async move {
                loop {
                    let Some(update) = queue.lock().unwrap().pop_front() else {
                        return;
                    };
                    let status = client
                        .post(&url)
                        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                        .json(&update)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    assert_eq!(status, 200, "{update}");
                    let n = {
                        let mut acked = acked.lock().unwrap();
                        acked.push(update["update_id"].as_i64().unwrap());
                        acked.len()
                    };
                    count_tx.send_replace(n);
                }
            })
        })
        .collect();

    count_rx.wait_for(|n| *n >= BEFORE).await.unwrap();
    // Every update acknowledged (HTTP 200) before the backup began.
    let before: Vec<i64> = acked.lock().unwrap().clone();
    let copy = desk.app.files.dir.path().join("backup.sqlite3");
    let mut command = desk.cli_command(&["backup", copy.to_str().unwrap()]);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let during = acked.lock().unwrap().len();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("backup written to {}: ", copy.display()))
            && stdout.trim_end().ends_with("integrity_check ok"),
        "{stdout}"
    );
    for poster in posters {
        poster.await.unwrap();
    }
    assert_eq!(acked.lock().unwrap().len(), UPDATES);

    // The copy: one file, sound, with every update acknowledged before it began.
    let db =
        rusqlite::Connection::open_with_flags(&copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let held: HashSet<i64> = db
        .prepare("SELECT update_id FROM updates")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let missing: Vec<&i64> = before.iter().filter(|id| !held.contains(id)).collect();
    assert!(missing.is_empty(), "missing from the copy: {missing:?}");
    // Each update is whole in it: its customer is there too.
    let customers: i64 = db
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(usize::try_from(customers).unwrap(), held.len());
    eprintln!(
        "backup: {} acknowledged before it began, {} in the copy, {during} by its end, of {UPDATES}",
        before.len(),
        held.len()
    );
    let not_beside: Vec<_> = ["-wal", "-shm", ".partial"]
        .iter()
        .filter(|s| {
            let mut p = copy.as_os_str().to_owned();
            p.push(s);
            std::path::PathBuf::from(p).exists()
        })
        .collect();
    assert!(not_beside.is_empty(), "{not_beside:?}");
    drop(db);

    // A backup never overwrites: an existing PATH is refused, left as it was.
    let kept = std::fs::read(&copy).unwrap();
    let out = desk.cli(&["backup", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exists already"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&copy).unwrap(), kept);
}
