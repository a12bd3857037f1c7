//! The store itself: a fresh database, the code key beside it, migrating an older
//! one, and the invariants its schema enforces.

use super::*;
use crate::domain::CustomerId;
use crate::store::testing::{customer, number, temp_store};

#[test]
fn fresh_database_is_at_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db/x.sqlite3")).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
}

#[test]
fn the_code_key_is_made_beside_the_database_and_kept_across_starts() {
    use crate::domain::code_hash;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db/x.sqlite3");
    let first = code_hash(
        Store::open(&path).unwrap().code_key(),
        CustomerId(1),
        "123456",
    );
    let key_file = dir.path().join("db/relaydesk.key");
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().len(),
        crate::domain::CodeKey::LEN as u64
    );
    let again = code_hash(
        Store::open(&path).unwrap().code_key(),
        CustomerId(1),
        "123456",
    );
    assert_eq!(first, again);
    // A damaged key stops the start, naming the file.
    std::fs::write(&key_file, b"short").unwrap();
    let e = Store::open(&path).unwrap_err().to_string();
    assert!(e.contains(&key_file.display().to_string()), "{e}");
}

#[test]
fn older_database_migrates_forward_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    {
        let old = Store::open_at_version(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        let conn = old.lock();
        meta_set(&conn, "poll_offset", "42").unwrap();
        conn.exec(
            "INSERT INTO updates (update_id, received_at, source, kind, outcome, raw)
             VALUES (7, 1, 'webhook', 'message', 'handled', '{}')",
            [],
        )
        .unwrap();
        conn.exec(
            "INSERT INTO outbox (created_at, chat_id, method, params) VALUES (1, 5, 'sendMessage', '{}')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    let conn = store.lock();
    assert_eq!(
        meta_get(&conn, "poll_offset").unwrap().as_deref(),
        Some("42")
    );
    assert_eq!(
        number(&conn, "SELECT count(*) FROM updates WHERE update_id = 7"),
        1
    );
    assert_eq!(
        number(
            &conn,
            "SELECT count(*) FROM outbox WHERE status = 'pending'"
        ),
        1
    );
    // The new tables exist and work.
    customer(&conn, 1);
}

#[test]
fn code_changes_touch_only_the_customers_latest_code() {
    use crate::domain::{Change, Decision};
    let (_dir, store) = temp_store();
    let conn = store.lock();
    for (id, codes) in [(1, 2), (2, 1)] {
        customer(&conn, id);
        for _ in 0..codes {
            conn.exec(
                "INSERT INTO auth_codes (customer_id, email, code_hash, created_at, expires_at)
                 VALUES (?1, 'c@example.com', 'h', 0, 1)",
                [id],
            )
            .unwrap();
        }
    }
    let decision = Decision {
        changes: vec![
            Change::CodeAttempt {
                customer: CustomerId(1),
            },
            Change::CodeAttempt {
                customer: CustomerId(1),
            },
            Change::CodeUsed {
                customer: CustomerId(1),
            },
            Change::CodeSendFailed {
                customer: CustomerId(2),
            },
        ],
        effects: Vec::new(),
    };
    apply::apply(&conn, &decision, 77).unwrap();
    let codes: Vec<(i64, i64, Option<i64>, i64)> = conn
        .prepare("SELECT customer_id, attempts, used_at, send_failed FROM auth_codes ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        codes,
        [(1, 0, None, 0), (1, 2, Some(77), 0), (2, 0, None, 1)]
    );
}

#[test]
fn invariants_are_enforced_by_the_database() {
    let (_dir, store) = temp_store();
    let conn = store.lock();
    for id in [1, 2] {
        customer(&conn, id);
    }
    let open = |customer: i64, status: &str, specialist: Option<i64>| {
        conn.exec(
            "INSERT INTO communications (customer_id, status, specialist_id, opened_at) VALUES (?1, ?2, ?3, 0)",
            rusqlite::params![customer, status, specialist],
        )
    };
    open(1, "assigned", Some(100)).unwrap();
    // A second open communication of the same customer is refused.
    assert!(open(1, "unassigned", None).is_err());
    // A second active communication of the same specialist is refused.
    assert!(open(2, "assigned", Some(100)).is_err());
    // Assigned without a specialist is refused.
    assert!(open(2, "assigned", None).is_err());
    open(2, "unassigned", None).unwrap();
    // Closed ones do not count.
    conn.exec(
        "UPDATE communications SET status = 'closed' WHERE customer_id = 1",
        [],
    )
    .unwrap();
    open(1, "unassigned", None).unwrap();
}

#[test]
fn the_audit_log_keeps_its_lines_ids_and_triggers_when_it_learns_reply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    {
        let old = Store::open_at_version(&path, 14).unwrap();
        let conn = old.lock();
        for (at, action) in [(1, "take"), (2, "close")] {
            conn.exec(
                "INSERT INTO audit (at, actor, action, communication_id) VALUES (?1, '501', ?2, 3)",
                rusqlite::params![at, action],
            )
            .unwrap();
        }
        assert!(
            conn.exec(
                "INSERT INTO audit (at, actor, action) VALUES (3, '501', 'reply')",
                []
            )
            .is_err()
        );
    }
    let store = Store::open(&path).unwrap();
    let conn = store.lock();
    let kept: Vec<(i64, String)> = conn
        .prepare("SELECT id, action FROM audit ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(kept, [(1, "take".to_string()), (2, "close".to_string())]);
    conn.exec(
        "INSERT INTO audit (at, actor, action, communication_id, details)
         VALUES (4, '501', 'reply', 3, 'via=console')",
        [],
    )
    .unwrap();
    let last: i64 = conn
        .row("SELECT max(id) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(last, 3);
    assert!(conn.exec("DELETE FROM audit", []).is_err());
    assert!(conn.exec("UPDATE audit SET details = 'x'", []).is_err());
    assert!(
        conn.exec(
            "INSERT INTO audit (at, actor, action) VALUES (5, '501', 'bogus')",
            []
        )
        .is_err()
    );
}
