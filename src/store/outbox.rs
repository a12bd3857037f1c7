//! The durable outbox: messages waiting to be sent, and their fate. Every row is
//! written by [`enqueue`], in the transaction of the change that caused it.
//!
//! A row holds the core's typed message ([`Outgoing`], as JSON; `method` is its
//! kind); the sender has the Telegram adapter turn it into a Bot API call. Rows
//! queued by a version before typed messages were migrated to `raw:<method>` and
//! are sent as the calls they are.

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::domain::{ChatId, Outgoing, Purpose, Send};
use crate::error::Result;

/// What a pending row carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Message(Outgoing),
    /// A Bot API call queued by an older version: method and JSON parameters.
    Raw {
        method: String,
        params: String,
    },
    /// A row that cannot be read (why).
    Unreadable(String),
}

/// A pending row as the sender sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub id: i64,
    pub chat_id: Option<i64>,
    pub body: Body,
    /// JSON: what to do with the result ([`Purpose`]).
    pub purpose: Option<String>,
    pub attempts: i64,
    /// Unix ms before which it must not be tried.
    pub not_before: i64,
}

impl Pending {
    /// The name for logs: the message's kind or the raw call's method.
    pub fn what(&self) -> &str {
        match &self.body {
            Body::Message(m) => m.kind(),
            Body::Raw { method, .. } => method,
            Body::Unreadable(_) => "unreadable",
        }
    }
}

fn body(method: String, params: String) -> Body {
    if let Some(raw) = method.strip_prefix("raw:") {
        return Body::Raw {
            method: raw.to_string(),
            params,
        };
    }
    match serde_json::from_str::<Outgoing>(&params) {
        Ok(m) => Body::Message(m),
        Err(e) => Body::Unreadable(format!("a queued {method} message cannot be read: {e}")),
    }
}

fn pending_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pending> {
    Ok(Pending {
        id: r.get(0)?,
        chat_id: r.get(1)?,
        body: body(r.get(2)?, r.get(3)?),
        purpose: r.get(4)?,
        attempts: r.get(5)?,
        not_before: r.get(6)?,
    })
}

/// Queue a message. Meant to run inside the transaction of the change that caused
/// it. With a coalescing key, a pending message with the same key is replaced.
pub fn enqueue(conn: &Connection, send: &Send, now_ms: i64) -> Result<i64> {
    let params = serde_json::to_string(&send.message).unwrap_or_else(|_| "{}".into());
    let purpose = send
        .purpose
        .as_ref()
        .and_then(|p: &Purpose| serde_json::to_string(p).ok());
    if let Some(key) = &send.coalesce {
        conn.exec(
            "DELETE FROM outbox WHERE coalesce_key = ?1 AND status = 'pending'",
            [key],
        )?;
    }
    conn.exec(
        "INSERT INTO outbox (created_at, chat_id, method, params, purpose, coalesce_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            now_ms,
            send.message.chat(),
            send.message.kind(),
            params,
            purpose,
            send.coalesce
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The calls that may go next: the oldest pending call of each chat (calls to one
/// chat keep their order) and every pending call bound to no chat, oldest first.
///
/// The chats are found by skipping through the pending index one chat at a time
/// (a seek per chat), not by grouping every pending row: a backlog of thousands of
/// calls to one chat costs no more than one call.
pub fn heads(conn: &Connection, limit: usize) -> Result<Vec<Pending>> {
    Ok(conn.rows(
        HEADS,
        [i64::try_from(limit).unwrap_or(i64::MAX)],
        pending_row,
    )?)
}

pub(crate) const HEADS: &str = "
    WITH RECURSIVE chats (chat) AS (
        SELECT min(chat_id) FROM outbox WHERE status = 'pending' AND chat_id IS NOT NULL
        UNION ALL
        SELECT (SELECT min(chat_id) FROM outbox WHERE status = 'pending' AND chat_id > chat)
        FROM chats WHERE chat IS NOT NULL
    )
    SELECT id, chat_id, method, params, purpose, attempts, not_before FROM outbox
    WHERE id IN (
        SELECT (SELECT min(id) FROM outbox WHERE status = 'pending' AND chat_id = chat)
        FROM chats WHERE chat IS NOT NULL
        UNION ALL
        SELECT id FROM outbox WHERE status = 'pending' AND chat_id IS NULL
    )
    ORDER BY id LIMIT ?1";

/// The pending calls to `chat` after `after`, in order (candidates for merging).
pub fn following(conn: &Connection, chat: i64, after: i64, limit: usize) -> Result<Vec<Pending>> {
    Ok(conn.rows(
        "SELECT id, chat_id, method, params, purpose, attempts, not_before FROM outbox
         WHERE status = 'pending' AND chat_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        params![chat, after, i64::try_from(limit).unwrap_or(100)],
        pending_row,
    )?)
}

/// Call `id` was made. A console sign-in code is no use to anyone in the database
/// once sent (SPEC §6–§10): its text is removed from the message and the result.
pub fn mark_sent(conn: &Connection, id: i64, result: &str, now_ms: i64) -> Result<()> {
    conn.exec(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, result = ?2, done_at = ?3, last_error = NULL
         WHERE id = ?1",
        params![id, result, now_ms],
    )?;
    scrub_console_code(conn, id)
}

/// Remove the text of outbox row `id` (and of its result) if it carried a console code.
fn scrub_console_code(conn: &Connection, id: i64) -> Result<()> {
    conn.exec(
        "UPDATE outbox SET
             params = CASE WHEN json_valid(params)
                 THEN json_replace(params, '$.text', '(code removed after sending)') ELSE '{}' END,
             result = CASE WHEN result IS NOT NULL AND json_valid(result)
                 THEN json_replace(result, '$.text', '(code removed after sending)') ELSE NULL END
         WHERE id = ?1 AND coalesce_key LIKE 'console-code:%'",
        [id],
    )?;
    Ok(())
}

pub fn mark_retry(conn: &Connection, id: i64, not_before_ms: i64, error: &str) -> Result<()> {
    conn.exec(
        "UPDATE outbox SET attempts = attempts + 1, not_before = ?2, last_error = ?3 WHERE id = ?1",
        params![id, not_before_ms, error],
    )?;
    Ok(())
}

/// A call refused because its chat became the supergroup `to` (SPEC §10): queued
/// again for `to`, its purpose following it; `None` when it cannot follow (an edit
/// names a message the new chat does not have, a raw call of an older version) or
/// it went to `to` already.
pub fn resend_moved(
    conn: &Connection,
    pending: &Pending,
    to: ChatId,
    now_ms: i64,
) -> Result<Option<i64>> {
    let Body::Message(message) = &pending.body else {
        return Ok(None);
    };
    let Some(old) = message.chat().filter(|old| *old != to) else {
        return Ok(None);
    };
    let Some(moved) = message.moved_to(to) else {
        return Ok(None);
    };
    let purpose = pending
        .purpose
        .as_deref()
        .and_then(|p| serde_json::from_str::<Purpose>(p).ok())
        .map(|p| p.moved(old, to));
    let send = Send {
        message: moved,
        purpose,
        coalesce: None,
    };
    enqueue(conn, &send, now_ms).map(Some)
}

pub fn mark_failed(conn: &Connection, id: i64, error: &str, now_ms: i64) -> Result<()> {
    conn.exec(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2, done_at = ?3
         WHERE id = ?1",
        params![id, error, now_ms],
    )?;
    scrub_console_code(conn, id)
}

/// How many calls are waiting.
pub fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.value("SELECT count(*) FROM outbox WHERE status = 'pending'", [])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ChatId;
    use crate::store::testing::{query_plan, test_db};

    fn text(chat: i64, t: &str) -> Send {
        Send::from(Outgoing::plain(ChatId(chat), t.into()))
    }

    #[test]
    fn heads_seek_the_pending_index_instead_of_scanning_the_backlog() {
        let conn = test_db();
        let plan = query_plan(&conn, HEADS, [10]);
        assert!(
            plan.iter().all(|step| !step.starts_with("SCAN outbox")),
            "{plan:#?}"
        );
        assert!(
            plan.iter().any(|step| step.contains("outbox_pending")),
            "{plan:#?}"
        );
    }

    #[test]
    fn heads_keep_per_chat_order() {
        let conn = test_db();
        let a1 = enqueue(&conn, &text(1, "a1"), 0).unwrap();
        let b1 = enqueue(&conn, &text(2, "b1"), 0).unwrap();
        let a2 = enqueue(&conn, &text(1, "a2"), 0).unwrap();
        let free = enqueue(
            &conn,
            &Send::from(Outgoing::Answer {
                callback: "q".into(),
                text: String::new(),
                alert: false,
            }),
            0,
        )
        .unwrap();
        let ids: Vec<i64> = heads(&conn, 10).unwrap().iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![a1, b1, free]);
        mark_sent(&conn, a1, "{}", 1).unwrap();
        mark_failed(&conn, b1, "blocked", 1).unwrap();
        let ids: Vec<i64> = heads(&conn, 10).unwrap().iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![a2, free]);
        assert_eq!(pending_count(&conn).unwrap(), 2);
    }

    #[test]
    fn the_heads_query_is_compiled_once_whatever_its_limit() {
        let conn = test_db();
        for i in 0..5 {
            conn.execute(
                "INSERT INTO outbox (created_at, chat_id, method, params) VALUES (0, ?1, 'x', '{}')",
                [i % 2],
            )
            .unwrap();
        }
        for limit in [10, 10, 512, 1, 10] {
            heads(&conn, limit).unwrap();
        }
        let stmt = conn.prepare_cached(HEADS).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::Run), 5);
        // SQLite recompiles a statement whose LIMIT is a bound parameter each time
        // it is bound, unless the plan is kept stable (see `store::configure`).
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[test]
    fn rows_hold_typed_messages_and_coalesce_by_key() {
        let conn = test_db();
        let keyed = |t: &str| Send {
            coalesce: Some("ann:1:-100".into()),
            ..text(-100, t)
        };
        enqueue(&conn, &keyed("first"), 0).unwrap();
        let second = enqueue(&conn, &keyed("second"), 0).unwrap();
        let heads = heads(&conn, 10).unwrap();
        assert_eq!(heads.len(), 1);
        assert_eq!(heads[0].id, second);
        assert_eq!(heads[0].what(), "text");
        assert_eq!(
            heads[0].body,
            Body::Message(Outgoing::plain(ChatId(-100), "second".into()))
        );
    }

    #[test]
    fn rows_of_an_older_version_are_raw_calls_and_junk_is_unreadable() {
        assert_eq!(
            body("raw:sendMessage".into(), "{\"chat_id\":1}".into()),
            Body::Raw {
                method: "sendMessage".into(),
                params: "{\"chat_id\":1}".into()
            }
        );
        assert!(matches!(
            body("text".into(), "{\"chat_id\":1}".into()),
            Body::Unreadable(_)
        ));
    }
}
