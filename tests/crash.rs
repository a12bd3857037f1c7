//! Crash safety: the service binary is fed updates concurrently and killed with
//! SIGKILL at random points, then restarted. Updates not acknowledged are delivered
//! again, as Telegram does. In the end every update is processed exactly once,
//! every relay is delivered, sends confirmed before a kill are not repeated, and
//! the invariants of SPEC §1 hold.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rand::{Rng, SeedableRng};
use serde_json::json;
use support::app::{ChildApp, Files, Options, PROMPTLY, wait_until};
use support::desk::STAFF;
use support::fake_bot::{FakeBot, update_message};
use tokio::sync::Mutex;

/// (customer, specialist, communication)
const PAIRS: [(i64, i64, i64); 2] = [(4242, 501, 1), (4343, 502, 2)];
const KILLS: usize = 4;
const PER_CHAT: i64 = 60;

fn seed(files: &Files) {
    let db = files.db();
    for (customer, specialist, comm) in PAIRS {
        db.execute(
            "INSERT INTO customers (id, first_name, email, state, created_at, updated_at)
             VALUES (?1, 'Customer', 'c@example.com', 'verified', 0, 0)",
            [customer],
        )
        .unwrap();
        db.execute(
            "INSERT INTO communications (id, customer_id, status, specialist_id, opened_at, assigned_at)
             VALUES (?1, ?2, 'assigned', ?3, 0, 0)",
            [comm, customer, specialist],
        )
        .unwrap();
        db.execute(
            "INSERT INTO assignments (communication_id, specialist_id, taken_at) VALUES (?1, ?2, 0)",
            [comm, specialist],
        )
        .unwrap();
    }
}

#[tokio::test]
async fn killed_at_random_points_it_loses_nothing_and_repeats_nothing() {
    let fake = FakeBot::start().await;
    let files = Files::new();
    let options = Options {
        extra: STAFF.to_string(),
        ..Options::default()
    };
    // First start creates the database; seed two assigned communications.
    let child = ChildApp::start(&files, &fake.api_url(), &options).await;
    seed(&files);
    let child = Arc::new(Mutex::new(Some(child)));
    let chats: Vec<i64> = PAIRS.iter().flat_map(|(c, s, _)| [*c, *s]).collect();
    let next_update = Arc::new(AtomicI64::new(1));
    // Per chat: the updates still to be acknowledged, in order.
    let mut queues: BTreeMap<i64, Vec<serde_json::Value>> = BTreeMap::new();
    for chat in &chats {
        let q = (1..=PER_CHAT)
            .map(|m| {
                let mut u = update_message(0, *chat, &format!("message {m} from {chat}"));
                u["message"]["message_id"] = json!(m);
                u
            })
            .collect();
        queues.insert(*chat, q);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let acked: Arc<Mutex<BTreeSet<(i64, i64)>>> = Arc::default();
    let cut = Arc::new(AtomicI64::new(0));
    for round in 0..=KILLS {
        // Each chat posts its queue in order (as Telegram does, one at a time per
        // chat), the chats concurrently; a kill cuts the round short.
        let budget = if round == KILLS {
            usize::MAX
        } else {
            rng.random_range(15..40)
        };
        let mut tasks = Vec::new();
        for (chat, queue) in std::mem::take(&mut queues) {
            let child = child.clone();
            let acked = acked.clone();
            let next_update = next_update.clone();
            let cut = cut.clone();
            tasks.push(tokio::spawn(async move {
                let mut rest = queue.into_iter().peekable();
                let mut sent = 0;
                while let Some(mut update) = rest.next() {
                    if sent >= budget {
                        let mut left = vec![update];
                        left.extend(rest);
                        return (chat, left);
                    }
                    if update["update_id"] == 0 {
                        update["update_id"] = json!(next_update.fetch_add(1, Ordering::SeqCst));
                    }
                    // Post without holding the lock: a kill may cut the request.
                    let target = child
                        .lock()
                        .await
                        .as_ref()
                        .map(|a| (a.client.clone(), a.url.clone()));
                    let Some((client, url)) = target else {
                        let mut left = vec![update];
                        left.extend(rest);
                        return (chat, left);
                    };
                    let result = client
                        .post(url)
                        .header("X-Telegram-Bot-Api-Secret-Token", support::app::SECRET)
                        .json(&update)
                        .send()
                        .await
                        .map(|r| r.status().as_u16());
                    match result {
                        Ok(200) => {
                            let m = update["message"]["message_id"].as_i64().unwrap();
                            acked.lock().await.insert((chat, m));
                            sent += 1;
                        }
                        // Not acknowledged: Telegram delivers it again later.
                        _ => {
                            cut.fetch_add(1, Ordering::SeqCst);
                            let mut left = vec![update];
                            left.extend(rest);
                            return (chat, left);
                        }
                    }
                }
                (chat, Vec::new())
            }));
        }
        if round < KILLS {
            // Kill while the posts are under way.
            let when = rng.random_range(5..30);
            let acked_now = acked.clone();
            wait_until("some posts", PROMPTLY, || {
                acked_now.try_lock().map(|a| a.len()).unwrap_or(0) >= when + round * 20
            })
            .await;
            if let Some(app) = child.lock().await.take() {
                app.kill();
            }
        }
        for t in tasks {
            let (chat, left) = t.await.unwrap();
            if !left.is_empty() {
                queues.insert(chat, left);
            }
        }
        if round < KILLS {
            let restarted = ChildApp::start(&files, &fake.api_url(), &options).await;
            *child.lock().await = Some(restarted);
        }
    }
    assert!(queues.is_empty(), "every update acknowledged in the end");
    eprintln!(
        "{} requests were cut by kills and delivered again",
        cut.load(Ordering::SeqCst)
    );
    let total = chats.len() as i64 * PER_CHAT;
    assert_eq!(acked.lock().await.len() as i64, total);
    // Drain, then check.
    wait_until(
        "everything sent",
        std::time::Duration::from_secs(60),
        || files.count("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0,
    )
    .await;
    assert_eq!(
        files.count("SELECT count(*) FROM messages"),
        total,
        "each update processed once"
    );
    assert_eq!(
        files.count("SELECT count(*) FROM (SELECT chat_id, message_id FROM messages GROUP BY 1, 2 HAVING count(*) > 1)"),
        0
    );
    assert_eq!(
        files.count("SELECT count(*) FROM updates WHERE outcome <> 'handled'"),
        0
    );
    // Every relay delivered; a repeat only for a send cut short by a kill.
    let mut deliveries: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for chat in &chats {
        for (from, m) in support::desk::copied(&fake.calls(), *chat) {
            *deliveries.entry((from, m)).or_default() += 1;
        }
    }
    for chat in &chats {
        for m in 1..=PER_CHAT {
            assert!(
                deliveries.contains_key(&(*chat, m)),
                "message {m} of {chat} never relayed"
            );
        }
    }
    // A send is repeated only if a kill cut it before its success was recorded: at
    // most the call under way per chat per kill (a call may carry up to 100 merged
    // copies). Every copy is recorded as sent exactly once.
    let repeats: usize = deliveries.values().map(|n| n - 1).sum();
    assert!(
        repeats <= KILLS * chats.len() * 100,
        "{repeats} repeated relays for {KILLS} kills"
    );
    assert_eq!(
        files.count("SELECT count(*) FROM outbox WHERE method = 'copy' AND status = 'sent'"),
        total
    );
    // The invariants.
    assert_eq!(
        files.count("SELECT count(*) FROM (SELECT customer_id FROM communications WHERE status <> 'closed' GROUP BY 1 HAVING count(*) > 1)"),
        0
    );
    assert_eq!(
        files.count("SELECT count(*) FROM (SELECT specialist_id FROM communications WHERE status = 'assigned' GROUP BY 1 HAVING count(*) > 1)"),
        0
    );
    assert_eq!(
        files.count("SELECT count(*) FROM communications WHERE status = 'assigned'"),
        2
    );
    if let Some(app) = child.lock().await.take() {
        app.kill();
    }
}
