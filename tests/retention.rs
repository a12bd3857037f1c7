//! Retention end to end (SPEC §9, `[retention]`): communications closed longer than
//! `closed_after` ago lose their stored messages and archive files — the transcript
//! kept with `keep_transcripts`, gone without — while recent ones, figures and the
//! audit log stay; one `retention` audit line per run that removed something;
//! `relaydesk retention --dry-run` lists and changes nothing; a symlink out of the
//! archive folder is refused, its target untouched. "Closed long ago" is written
//! into the database by the test (closed_at ten days back).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::app::{Options, PROMPTLY, config_toml, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP, STAFF, document};

const ANN: i64 = 4242;
const BOB: i64 = 4343;
const TEN_DAYS_MS: i64 = 10 * 24 * 3_600_000;

fn folder(desk: &Desk, customer: i64, comm: i64) -> PathBuf {
    desk.app
        .files
        .archive_dir
        .join(customer.to_string())
        .join(comm.to_string())
}

/// A request of `customer` with a document, answered by `specialist` and closed,
/// its file saved and its transcript final: its id.
async fn closed_with_a_file(desk: &Desk, customer: i64, specialist: i64, file: &str) -> i64 {
    desk.fake
        .add_file(file, format!("the bytes of {file}").into_bytes());
    desk.onboard(customer, &format!("{customer}@example.com"))
        .await;
    let id = desk.request(customer, "The printer is broken").await;
    desk.press(specialist, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.send(customer, document(file, &format!("{file}.pdf")))
        .await;
    desk.say(specialist, "Fixed, thanks").await;
    desk.drained().await;
    desk.say(specialist, "/close").await;
    desk.wait_text(customer, "is closed").await;
    let files = desk.app.files.clone();
    let dir = folder(desk, customer, id);
    wait_until("the file saved and the transcript final", PROMPTLY, || {
        files.count(&format!(
            "SELECT count(*) FROM archive_files WHERE communication_id = {id} AND status = 'saved'"
        )) == 1
            && files.count(&format!(
                "SELECT count(*) FROM archive_dirty WHERE communication_id = {id}"
            )) == 0
            && std::fs::read_to_string(dir.join("transcript.txt"))
                .is_ok_and(|t| t.contains("Close reason"))
    })
    .await;
    id
}

fn closed_long_ago(desk: &Desk, id: i64) {
    let at = relaydesk::now_ms() - TEN_DAYS_MS;
    desk.app
        .files
        .db()
        .execute(
            "UPDATE communications SET closed_at = ?2 WHERE id = ?1",
            [id, at],
        )
        .unwrap();
}

/// Every file under `dir` with its bytes (a symlink as where it points).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            out.insert(path, target.to_string_lossy().as_bytes().to_vec());
        } else if meta.is_dir() {
            out.extend(tree(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

/// What the database holds that retention may touch, table by table.
fn rows(desk: &Desk) -> Vec<(String, i64)> {
    [
        "messages",
        "message_map",
        "archive_files",
        "audit",
        "comm_figures",
        "surveys",
        "communications WHERE pruned_at IS NOT NULL",
    ]
    .iter()
    .map(|t| {
        (
            t.to_string(),
            desk.app.count(&format!("SELECT count(*) FROM {t}")),
        )
    })
    .collect()
}

fn count_of(desk: &Desk, table: &str, id: i64) -> i64 {
    desk.app.count(&format!(
        "SELECT count(*) FROM {table} WHERE communication_id = {id}"
    ))
}

/// `relaydesk retention ARGS…` beside the running service, with this desk's
/// configuration plus `[retention]` as given (the service itself has retention off).
fn retention(desk: &Desk, section: &str, args: &[&str]) -> String {
    let config = desk.app.files.dir.path().join("retention-config.toml");
    let toml = config_toml(
        &desk.app.files,
        &desk.fake.api_url(),
        &Options {
            smtp_port: desk.sink.port,
            extra: format!("{STAFF}\n{section}"),
            ..Options::default()
        },
    );
    std::fs::write(&config, toml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relaydesk"))
        .arg("--config")
        .arg(&config)
        .arg("retention")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "retention failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn old_closed_communications_lose_messages_and_files_recent_ones_stay() {
    let desk = Desk::start().await;
    let old = closed_with_a_file(&desk, ANN, ANNA, "old-doc").await;
    let recent = closed_with_a_file(&desk, BOB, BORIS, "new-doc").await;
    closed_long_ago(&desk, old);
    let old_dir = folder(&desk, ANN, old);
    // A symlink among the old files pointing out of the archive: never followed.
    let outside = desk.app.files.dir.path().join("outside.txt");
    std::fs::write(&outside, "not the archive's").unwrap();
    std::os::unix::fs::symlink(&outside, old_dir.join("files").join("escape.pdf")).unwrap();
    let section = "[retention]\nclosed_after = \"7d\"\nkeep_transcripts = true\n";

    // The dry run lists the old one only, and changes nothing.
    let (db_before, files_before) = (rows(&desk), tree(&desk.app.files.archive_dir));
    let listed = retention(&desk, section, &["--dry-run"]);
    assert!(
        listed.contains(&format!("#{old} (customer {ANN}")),
        "{listed}"
    );
    assert!(!listed.contains(&format!("#{recent} ")), "{listed}");
    assert!(listed.contains("old-doc.pdf"), "{listed}");
    assert!(
        listed.contains("refused (outside the archive folder)"),
        "{listed}"
    );
    assert!(listed.contains("dry run: 1 communications"), "{listed}");
    assert_eq!(rows(&desk), db_before);
    assert_eq!(tree(&desk.app.files.archive_dir), files_before);

    // The run: the old one's messages, copies, file records and files go.
    let done = retention(&desk, section, &[]);
    assert!(done.contains("removed: 1 communications"), "{done}");
    for table in ["messages", "message_map", "archive_files"] {
        assert_eq!(count_of(&desk, table, old), 0, "{table}");
        assert!(count_of(&desk, table, recent) > 0, "{table}");
    }
    let left: Vec<PathBuf> = tree(&old_dir).into_keys().collect();
    assert_eq!(
        left,
        [
            old_dir.join("files").join("escape.pdf"),
            old_dir.join("transcript.txt")
        ],
        "only the transcript and the refused link stay"
    );
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "not the archive's"
    );
    let transcript = std::fs::read_to_string(old_dir.join("transcript.txt")).unwrap();
    assert!(transcript.contains("The printer is broken"), "{transcript}");
    // The recent one is whole.
    let recent_dir = folder(&desk, BOB, recent);
    assert_eq!(tree(&recent_dir).len(), 2, "its file and transcript");
    // Figures, the survey and the audit log stay; one retention line.
    assert_eq!(count_of(&desk, "comm_figures", old), 1);
    assert_eq!(count_of(&desk, "surveys", old), 1);
    let details: Vec<String> = {
        let db = desk.app.files.db();
        let mut q = db
            .prepare("SELECT actor || ' ' || details FROM audit WHERE action = 'retention'")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(details, ["system communications=1 messages=3 files=1"]);
    let exported = desk.export("communications", "csv", &[]);
    assert!(
        exported.lines().any(|l| l.starts_with(&format!("{old},"))),
        "{exported}"
    );

    // Nothing left to remove: no second line.
    let again = retention(&desk, section, &[]);
    assert!(again.contains("removed: 0 communications"), "{again}");
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM audit WHERE action = 'retention'"),
        1
    );
}

#[tokio::test]
async fn the_service_prunes_soon_after_its_start_and_drops_transcripts_when_told() {
    let desk = Desk::start_with(
        STAFF,
        "[retention]\nclosed_after = \"7d\"\nkeep_transcripts = false\n",
    )
    .await;
    let old = closed_with_a_file(&desk, ANN, ANNA, "old-doc").await;
    closed_long_ago(&desk, old);
    let old_dir = folder(&desk, ANN, old);
    // Restarted (daily, say): the run soon after the start does it.
    let Desk {
        fake, sink, app, ..
    } = desk;
    let desk = Desk::resume(fake, sink, app.restart().await);
    let files = desk.app.files.clone();
    wait_until("retention to run after the start", PROMPTLY, || {
        files.count("SELECT count(*) FROM audit WHERE action = 'retention'") == 1
    })
    .await;
    assert_eq!(count_of(&desk, "messages", old), 0);
    assert!(tree(&old_dir).is_empty(), "{:?}", tree(&old_dir));
    assert_eq!(count_of(&desk, "comm_figures", old), 1);
}
