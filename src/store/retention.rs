//! Retention (SPEC §9): the closed communications whose data has outlived
//! `[retention] closed_after`, and their messages removed. One transaction per run:
//! every communication's rows and the run's one `retention` audit line together,
//! so the audit line never tells of more or less than was removed. Their figures
//! (`comm_figures` and the stats sums), surveys and audit lines stay; the files
//! are removed by the runtime (`runtime/retention.rs`) before this runs.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use crate::domain::{Actor, AuditAction, AuditEntry, CommId, CustomerId};
use crate::error::{Error, Result};
use crate::store::Cached;

/// A closed communication retention removes the data of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    pub comm: CommId,
    pub customer: CustomerId,
    pub closed_at: i64,
    /// Its stored messages (rows of the log).
    pub messages: i64,
}

/// What one run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub communications: usize,
    pub messages: i64,
    pub files: usize,
}

/// The closed communications not pruned yet that closed before `cutoff` (unix ms),
/// oldest first; one whose transcript or files the archive worker has still to
/// write waits for the next run.
pub fn expired(conn: &Connection, cutoff: i64) -> Result<Vec<Expired>> {
    Ok(conn.rows(
        "SELECT c.id, c.customer_id, c.closed_at,
                (SELECT count(*) FROM messages m WHERE m.communication_id = c.id)
         FROM communications c
         WHERE c.status = 'closed' AND c.pruned_at IS NULL AND c.closed_at < ?1
           -- The archive worker done with it (its transcript final, its files in).
           AND NOT EXISTS (SELECT 1 FROM archive_dirty d WHERE d.communication_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM archive_files f
                           WHERE f.communication_id = c.id AND f.status = 'pending')
         ORDER BY c.closed_at, c.id",
        [cutoff],
        |r| from_row!(r => Expired { comm, customer, closed_at, messages }),
    )?)
}

/// Remove the stored messages of `expired` (their log, copy mappings, file
/// records and the archive worker's bookkeeping of them) and mark them pruned, in
/// one transaction with one `retention` audit line (none when there was nothing).
/// `files` is how many files the runtime removed, for the audit line.
pub fn prune(
    conn: &mut Connection,
    expired: &[Expired],
    files: usize,
    now: i64,
) -> Result<Removed> {
    let tx = conn.transaction()?;
    let mut removed = Removed {
        files,
        ..Removed::default()
    };
    for e in expired {
        // Closed since it was listed? Only a closed one is pruned.
        let marked = tx.exec(
            "UPDATE communications SET pruned_at = ?2
             WHERE id = ?1 AND status = 'closed' AND pruned_at IS NULL",
            params![e.comm, now],
        )?;
        if marked == 0 {
            continue;
        }
        for sql in [
            "DELETE FROM archive_files WHERE communication_id = ?1",
            "DELETE FROM message_map WHERE communication_id = ?1",
            "DELETE FROM album_parts WHERE communication_id = ?1",
            "DELETE FROM archive_dirty WHERE communication_id = ?1",
            "DELETE FROM archive_progress WHERE communication_id = ?1",
        ] {
            tx.exec(sql, [e.comm])?;
        }
        let messages = tx.exec("DELETE FROM messages WHERE communication_id = ?1", [e.comm])?;
        removed.communications += 1;
        removed.messages += i64::try_from(messages).unwrap_or(i64::MAX);
    }
    if removed.communications > 0 || removed.files > 0 {
        let entry = AuditEntry::new(Actor::System, AuditAction::Retention, None)
            .detail("communications", removed.communications)
            .detail("messages", removed.messages)
            .detail("files", removed.files);
        crate::store::audit::insert(&tx, &entry, now)?;
    }
    tx.commit()?;
    Ok(removed)
}

/// The database opened by `relaydesk retention` beside the running service:
/// read-only for a dry run. It must have been migrated to retention's schema.
pub fn open_beside_service(path: &Path, dry_run: bool) -> Result<Connection> {
    let mode = if dry_run {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    let conn = super::beside::open_beside_service(path, mode)?;
    let version: i64 = conn.row("PRAGMA user_version", [], |r| r.get(0))?;
    if usize::try_from(version).unwrap_or(0) < super::schema::RETENTION_VERSION {
        return Err(Error::io(
            "retention",
            std::io::Error::other(format!(
                "the database {} is at schema version {version}, before retention's ({}): \
                 start the service once to bring it up to date",
                path.display(),
                super::schema::RETENTION_VERSION
            )),
        ));
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn comm(conn: &Connection, id: i64, customer: i64, closed_at: Option<i64>) {
        conn.execute(
            "INSERT OR IGNORE INTO customers (id, first_name, created_at, updated_at) VALUES (?1, 'C', 0, 0)",
            [customer],
        )
        .unwrap();
        let status = if closed_at.is_some() {
            "closed"
        } else {
            "unassigned"
        };
        conn.execute(
            "INSERT INTO communications (id, customer_id, status, opened_at, closed_at) VALUES (?1, ?2, ?3, 0, ?4)",
            params![id, customer, status, closed_at],
        )
        .unwrap();
        for m in 0..3 {
            conn.execute(
                "INSERT INTO messages (communication_id, at, role, sender_id, chat_id, message_id, kind, text)
                 VALUES (?1, 0, 'customer', ?2, ?2, ?3, 'text', 'secret')",
                params![id, customer, id * 10 + m],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO message_map VALUES (?1, ?2, ?3, 1, 1)",
            params![id, customer, id * 10],
        )
        .unwrap();
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn old_closed_communications_lose_their_messages_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let mut conn = store.lock();
        comm(&conn, 1, 7, Some(1_000));
        comm(&conn, 2, 8, Some(50_000));
        comm(&conn, 3, 9, None);
        let expired = expired(&conn, 10_000).unwrap();
        assert_eq!(
            expired,
            [Expired {
                comm: CommId(1),
                customer: CustomerId(7),
                closed_at: 1_000,
                messages: 3
            }]
        );
        let removed = prune(&mut conn, &expired, 2, 99).unwrap();
        assert_eq!(
            (removed.communications, removed.messages, removed.files),
            (1, 3, 2)
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM messages WHERE communication_id = 1"
            ),
            0
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM messages"), 6);
        assert_eq!(count(&conn, "SELECT count(*) FROM message_map"), 2);
        assert_eq!(
            conn.query_row(
                "SELECT details FROM audit WHERE action = 'retention'",
                [],
                |r| r.get::<_, String>(0)
            )
            .unwrap(),
            "communications=1 messages=3 files=2"
        );
        // Nothing left to do: no second audit line.
        assert!(super::expired(&conn, 10_000).unwrap().is_empty());
        assert_eq!(prune(&mut conn, &[], 0, 100).unwrap(), Removed::default());
        assert_eq!(count(&conn, "SELECT count(*) FROM audit"), 1);
    }
}
