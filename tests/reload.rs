//! Reload on SIGHUP (SPEC §9), on the service binary as a child process: the file is
//! rewritten, the process gets SIGHUP, and what changed is in force at once, or the
//! configuration is refused and the running one stays.

mod support;

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;
use support::app::{ChildApp, Files, Options, PROMPTLY, config_toml, wait_until};
use support::desk::{ANNA, BORIS, HEAD, STAFF};
use support::fake_bot::{Call, FakeBot, update_callback_query, update_message};

const CAROL: i64 = 503;
const NIGHT: i64 = -1002;

/// The staff of [`STAFF`] with Carol, and two departments: `night` is hers alone.
const WITH_CAROL: &str = r#"
[[specialists]]
chat_id = 503
name = "Carol"

[[departments]]
key = "general"
name = "General"
service_groups = [-1001]
specialists = [501, 502]

[[departments]]
key = "night"
name = "Night"
service_groups = [-1002]
specialists = [503]
"#;

/// A service under test and what it talks to.
struct Reloading {
    fake: FakeBot,
    files: std::sync::Arc<Files>,
    app: ChildApp,
    next_update: AtomicI64,
}

impl Reloading {
    async fn start(staff: &str) -> Reloading {
        let fake = FakeBot::start().await;
        let files = Files::new();
        let app = ChildApp::start_with_toml(&files, &toml(&files, &fake, staff, ""), "info").await;
        Reloading {
            fake,
            files,
            app,
            next_update: AtomicI64::new(1),
        }
    }

    /// Write `text` as the configuration file and send SIGHUP; returns once the log
    /// says how the reload ended (`reloaded` or `not reloaded`).
    async fn reload(&self, text: &str) {
        std::fs::write(self.files.dir.path().join("config.toml"), text).expect("config");
        let ended = || {
            self.app
                .log()
                .iter()
                .filter(|l| {
                    [
                        "configuration reloaded",
                        "configuration not reloaded",
                        "the reload ",
                    ]
                    .iter()
                    .any(|end| l.contains(end))
                })
                .count()
        };
        let before = ended();
        let status = std::process::Command::new("kill")
            .args(["-HUP", &self.app.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        wait_until("the reload to end", PROMPTLY, || ended() > before).await;
    }

    async fn post(&self, mut update: Value) {
        update["update_id"] = self.next_update.fetch_add(1, Ordering::SeqCst).into();
        assert_eq!(self.app.post(&update).await.expect("post"), 200);
    }

    /// `who` presses Take on request `comm` in `group`.
    async fn take(&self, who: i64, group: i64, comm: i64) {
        self.post(update_callback_query(
            0,
            who,
            group,
            1,
            &format!("t:{comm}"),
        ))
        .await;
    }

    /// Wait until request `comm` is `who`'s.
    async fn wait_taken(&self, comm: i64, who: i64) {
        let sql = format!(
            "SELECT count(*) FROM communications WHERE id = {comm} AND specialist_id = {who}"
        );
        wait_until(&format!("request {comm} taken by {who}"), PROMPTLY, || {
            self.files.count(&sql) == 1
        })
        .await;
    }

    /// A verified customer ([`customer_of`] `comm`) and their unassigned request
    /// `comm` in `department`.
    fn seed_request(&self, comm: i64, department: &str) {
        let db = self.files.db();
        let customer = customer_of(comm);
        db.execute(
            "INSERT OR IGNORE INTO customers (id, first_name, email, state, created_at, updated_at)
             VALUES (?1, 'Customer', 'c@example.com', 'verified', 0, 0)",
            [customer],
        )
        .unwrap();
        db.execute(
            "INSERT INTO communications (id, customer_id, status, opened_at, department)
             VALUES (?1, ?2, 'unassigned', 0, ?3)",
            rusqlite::params![comm, customer, department],
        )
        .unwrap();
    }

    fn logged(&self, needle: &str) -> bool {
        self.app.log().iter().any(|l| l.contains(needle))
    }

    /// Wait until the command lists of `chats` have been set.
    async fn wait_lists(&self, chats: &[i64]) {
        self.fake
            .wait_for("the command lists", PROMPTLY, |calls| {
                chats.iter().all(|chat| lists_of(calls, *chat) > 0)
            })
            .await;
    }
}

/// The customer of a seeded request (one open request per customer).
fn customer_of(comm: i64) -> i64 {
    4200 + comm
}

/// The configuration of the test instance with `staff` and `extra` TOML.
fn toml(files: &Files, fake: &FakeBot, staff: &str, extra: &str) -> String {
    let options = Options {
        extra: format!("{extra}\n{staff}"),
        ..Options::default()
    };
    config_toml(files, &fake.api_url(), &options)
}

/// How many command lists were set for `chat`.
fn lists_of(calls: &[Call], chat: i64) -> usize {
    calls
        .iter()
        .filter(|c| c.is("setMyCommands") && c.ok && c.params["scope"]["chat_id"] == chat)
        .count()
}

#[tokio::test]
async fn a_specialist_and_a_department_added_by_sighup_take_at_once() {
    let desk = Reloading::start(STAFF).await;
    desk.wait_lists(&[ANNA, BORIS, HEAD]).await;
    desk.seed_request(1, "night");
    desk.reload(&toml(&desk.files, &desk.fake, STAFF, WITH_CAROL))
        .await;
    assert!(
        desk.logged("configuration reloaded"),
        "{:#?}",
        desk.app.log()
    );
    // Carol, new, takes a request of the new department, which only she may.
    desk.take(CAROL, NIGHT, 1).await;
    desk.wait_taken(1, CAROL).await;
    desk.wait_lists(&[CAROL]).await;
    // Only the role that changed got its list again.
    let calls = desk.fake.calls();
    assert_eq!(lists_of(&calls, ANNA), 1);
    assert_eq!(lists_of(&calls, HEAD), 1);
    // Anna is not in `night`: the new departments are in force too.
    desk.seed_request(2, "night");
    desk.take(ANNA, NIGHT, 2).await;
    desk.fake
        .wait_for("Anna's Take refused", PROMPTLY, |calls| {
            calls.iter().any(|c| {
                c.is("answerCallbackQuery")
                    && c.str_param("text").is_some_and(|t| t.contains("Night"))
            })
        })
        .await;
    assert_eq!(
        desk.files
            .count("SELECT count(*) FROM communications WHERE id = 2 AND specialist_id IS NULL"),
        1
    );
}

#[tokio::test]
async fn a_broken_configuration_is_refused_and_the_old_one_kept() {
    let desk = Reloading::start(STAFF).await;
    desk.seed_request(1, "");
    // Anna removed, a department naming a group that does not exist.
    let broken = format!(
        "{}\n[[departments]]\nkey = \"a\"\nname = \"A\"\nservice_groups = [-1999]\nspecialists = [502]\n\
         [[departments]]\nkey = \"b\"\nname = \"B\"\nservice_groups = [-1001]\nspecialists = [502]\n",
        STAFF.replace(
            "chat_id = 501\nname = \"Anna\"",
            "chat_id = 503\nname = \"Carol\""
        )
    );
    desk.reload(&toml(&desk.files, &desk.fake, &broken, ""))
        .await;
    assert!(
        desk.logged("departments[0].service_groups[0]: -1999 is not listed in [[service_groups]]"),
        "{:#?}",
        desk.app.log()
    );
    assert!(desk.logged("configuration not reloaded"));
    assert!(!desk.logged("configuration reloaded"));
    // The running configuration stays: Anna still takes.
    desk.take(ANNA, -1001, 1).await;
    desk.wait_taken(1, ANNA).await;
}

#[tokio::test]
async fn a_key_that_needs_a_restart_is_named_and_not_applied() {
    let desk = Reloading::start(STAFF).await;
    desk.seed_request(1, "");
    let changed = toml(&desk.files, &desk.fake, STAFF, "[csat]\nenabled = false\n")
        .replace("listen = \"127.0.0.1:0\"", "listen = \"127.0.0.1:1\"");
    desk.reload(&changed).await;
    assert!(
        desk.logged("configuration reloaded"),
        "{:#?}",
        desk.app.log()
    );
    assert!(desk.logged("webhook.listen changed: needs a restart"));
    assert!(desk.logged("csat.enabled changed: needs a restart"));
    assert!(!desk.logged("telegram.token changed"));
    // Surveys stay on until a restart: a close still asks the customer.
    desk.take(ANNA, -1001, 1).await;
    desk.wait_taken(1, ANNA).await;
    desk.post(update_message(0, ANNA, "/close")).await;
    desk.fake
        .wait_for("the survey", PROMPTLY, |calls| {
            calls.iter().any(|c| {
                c.chat_id() == Some(customer_of(1))
                    && c.text().is_some_and(|t| t.contains("How would you rate"))
            })
        })
        .await;
}

#[tokio::test]
async fn a_removed_staff_member_loses_their_console_sessions() {
    let desk = Reloading::start(STAFF).await;
    desk.wait_lists(&[ANNA, BORIS, HEAD]).await;
    let db = desk.files.db();
    let until = i64::MAX / 2;
    for (hash, staff) in [("boris-session", BORIS), ("anna-session", ANNA)] {
        db.execute(
            "INSERT INTO console_sessions (token_hash, staff_id, created_at, expires_at)
             VALUES (?1, ?2, 0, ?3)",
            rusqlite::params![hash, staff, until],
        )
        .unwrap();
    }
    let without_boris = STAFF.replace("[[specialists]]\nchat_id = 502\nname = \"Boris\"\n", "");
    assert!(!without_boris.contains("Boris"));
    desk.reload(&toml(&desk.files, &desk.fake, &without_boris, ""))
        .await;
    assert!(
        desk.logged("configuration reloaded"),
        "{:#?}",
        desk.app.log()
    );
    let sessions = |staff: i64| {
        desk.files.count(&format!(
            "SELECT count(*) FROM console_sessions WHERE staff_id = {staff}"
        ))
    };
    assert_eq!(sessions(BORIS), 0);
    assert_eq!(sessions(ANNA), 1);
    // Boris's command list is removed; he can no longer take.
    desk.fake
        .wait_for("Boris's list removed", PROMPTLY, |calls| {
            calls
                .iter()
                .any(|c| c.is("deleteMyCommands") && c.params["scope"]["chat_id"] == BORIS)
        })
        .await;
    desk.seed_request(1, "");
    desk.take(BORIS, -1001, 1).await;
    desk.take(ANNA, -1001, 1).await;
    desk.wait_taken(1, ANNA).await;
}
