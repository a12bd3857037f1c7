//! Backlog figures for `/healthz` and `/metrics`: what is waiting in the queues.

use rusqlite::Connection;

use crate::error::Result;
use crate::store::Cached;

/// What the service has still to do, and the open communications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Bot API calls waiting to be sent.
    pub outbox_pending: i64,
    /// When the oldest of them was queued (unix ms).
    pub oldest_pending_ms: Option<i64>,
    /// Emails waiting to be sent.
    pub mail_pending: i64,
    pub unassigned: i64,
    pub assigned: i64,
}

pub fn backlog(conn: &Connection) -> Result<Backlog> {
    let (outbox_pending, oldest_pending_ms) = conn.row(
        "SELECT count(*), min(created_at) FROM outbox WHERE status = 'pending'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mail_pending = conn.value(
        "SELECT count(*) FROM mail_outbox WHERE status = 'pending'",
        [],
    )?;
    let (unassigned, assigned) = conn.row(
        "SELECT coalesce(sum(status = 'unassigned'), 0), coalesce(sum(status = 'assigned'), 0)
         FROM communications WHERE status <> 'closed'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Backlog {
        outbox_pending,
        oldest_pending_ms,
        mail_pending,
        unassigned,
        assigned,
    })
}

/// How many things the workers have still to do: pending Bot API calls and emails,
/// albums waiting for their last part, files waiting for a download. 0 when the
/// service is idle.
pub fn work_left(conn: &Connection) -> Result<i64> {
    Ok(conn.value(
        "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending')
              + (SELECT count(*) FROM mail_outbox WHERE status = 'pending')
              + (SELECT count(*) FROM album_parts)
              + (SELECT count(*) FROM archive_files WHERE status = 'pending')",
        [],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{customer, test_db};

    #[test]
    fn an_empty_database_has_no_backlog() {
        let conn = test_db();
        assert_eq!(backlog(&conn).unwrap(), Backlog::default());
        assert_eq!(work_left(&conn).unwrap(), 0);
    }

    #[test]
    fn backlog_counts_what_waits() {
        let conn = test_db();
        for (created, status) in [(5, "pending"), (3, "pending"), (1, "sent")] {
            conn.exec(
                "INSERT INTO outbox (created_at, chat_id, method, params, status) VALUES (?1, 1, 'sendMessage', '{}', ?2)",
                rusqlite::params![created, status],
            )
            .unwrap();
        }
        conn.exec(
            "INSERT INTO mail_outbox (created_at, recipient, subject, body) VALUES (1, 'a@b.c', 's', 'b')",
            [],
        )
        .unwrap();
        for (id, status, specialist) in [
            (1, "unassigned", None),
            (2, "assigned", Some(100)),
            (3, "assigned", Some(101)),
            (4, "closed", None),
        ] {
            customer(&conn, id);
            conn.exec(
                "INSERT INTO communications (customer_id, status, specialist_id, opened_at) VALUES (?1, ?2, ?3, 0)",
                rusqlite::params![id, status, specialist],
            )
            .unwrap();
        }
        assert_eq!(
            backlog(&conn).unwrap(),
            Backlog {
                outbox_pending: 2,
                oldest_pending_ms: Some(3),
                mail_pending: 1,
                unassigned: 1,
                assigned: 2,
            }
        );
        assert_eq!(work_left(&conn).unwrap(), 3);
    }
}
