//! The archive worker's queues: transcripts to bring up to date (`archive_dirty`)
//! and how far each one is written (`archive_progress`), files to download
//! (`archive_files`), and zips asked for (`zip_requests`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::store::Cached;

/// A transcript marked to be written (see [`crate::store::apply::mark_dirty`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirty {
    pub comm: i64,
    /// Rewrite it whole (else append the new lines).
    pub full: bool,
    /// Bumped at every mark: [`written`] clears only the mark it wrote for.
    pub version: i64,
}

/// How much of a transcript is on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The last message row written.
    pub last_message: i64,
    /// The file's length after it.
    pub bytes: i64,
}

/// A file of a message, waiting to be downloaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingFile {
    pub id: i64,
    pub comm: i64,
    pub customer: i64,
    pub file_id: String,
    pub size: Option<i64>,
    pub saved_name: String,
    pub attempts: i64,
}

/// What became of a download attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Not yet: to be tried again.
    Pending,
    Saved,
    TooLarge,
    /// Given up.
    Failed,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "pending",
            FileStatus::Saved => "saved",
            FileStatus::TooLarge => "too_large",
            FileStatus::Failed => "failed",
        }
    }
}

/// A zip of a communication's archive, asked for from `chat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZipRequest {
    pub id: i64,
    pub comm: i64,
    pub chat: i64,
    pub customer: i64,
}

/// Up to `limit` transcripts marked to be written, by communication.
pub fn dirty(conn: &Connection, limit: usize) -> Result<Vec<Dirty>> {
    Ok(conn.rows(
        "SELECT communication_id, full, version FROM archive_dirty ORDER BY communication_id LIMIT ?1",
        [i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            from_row!(r => Dirty { comm, full, version })
        },
    )?)
}

/// The transcript of `comm` was written for the mark `version`: clear the mark,
/// unless it was marked again meanwhile.
pub fn written(conn: &Connection, comm: i64, version: i64) -> Result<()> {
    conn.exec(
        "DELETE FROM archive_dirty WHERE communication_id = ?1 AND version = ?2",
        params![comm, version],
    )?;
    Ok(())
}

/// Drop the mark of `comm` whatever its version (its transcript cannot be written).
pub fn forget_dirty(conn: &Connection, comm: i64) -> Result<()> {
    conn.exec(
        "DELETE FROM archive_dirty WHERE communication_id = ?1",
        [comm],
    )?;
    Ok(())
}

/// How much of the transcript of `comm` is on disk, if any.
pub fn progress(conn: &Connection, comm: i64) -> Result<Option<Progress>> {
    Ok(conn
        .row(
            "SELECT last_message, bytes FROM archive_progress WHERE communication_id = ?1",
            [comm],
            |r| from_row!(r => Progress { last_message, bytes }),
        )
        .optional()?)
}

/// Record how much of the transcript of `comm` is on disk.
pub fn set_progress(conn: &Connection, comm: i64, progress: Progress) -> Result<()> {
    conn.exec(
        "INSERT INTO archive_progress (communication_id, last_message, bytes) VALUES (?1, ?2, ?3)
         ON CONFLICT (communication_id) DO UPDATE SET last_message = excluded.last_message, bytes = excluded.bytes",
        params![comm, progress.last_message, progress.bytes],
    )?;
    Ok(())
}

/// The oldest file waiting for a download that may be tried at `now`.
pub fn next_file(conn: &Connection, now: i64) -> Result<Option<PendingFile>> {
    Ok(conn
        .row(
            "SELECT f.id, f.communication_id, m.customer_id, f.file_id, f.size, f.saved_name, f.attempts
             FROM archive_files f JOIN communications m ON m.id = f.communication_id
             WHERE f.status = 'pending' AND f.not_before <= ?1 ORDER BY f.id LIMIT 1",
            [now],
            |r| {
                from_row!(r => PendingFile {
                    id, comm, customer, file_id, size, saved_name, attempts
                })
            },
        )
        .optional()?)
}

/// When the next waiting file may be tried (`None`: no file waits).
pub fn next_file_at(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.value(
        "SELECT min(not_before) FROM archive_files WHERE status = 'pending'",
        [],
    )?)
}

/// Record a download attempt of file `id`: its new status, the error if any, and
/// when a pending one may be tried again.
pub fn record_attempt(
    conn: &Connection,
    id: i64,
    status: FileStatus,
    error: Option<&str>,
    not_before: i64,
) -> Result<()> {
    conn.exec(
        "UPDATE archive_files SET status = ?2, error = ?3, not_before = ?4, attempts = attempts + 1 WHERE id = ?1",
        params![id, status.as_str(), error, not_before],
    )?;
    Ok(())
}

/// The oldest zip asked for.
pub fn next_zip(conn: &Connection) -> Result<Option<ZipRequest>> {
    Ok(conn
        .row(
            "SELECT z.id, z.communication_id, z.chat_id, m.customer_id FROM zip_requests z
             JOIN communications m ON m.id = z.communication_id ORDER BY z.id LIMIT 1",
            [],
            |r| from_row!(r => ZipRequest { id, comm, chat, customer }),
        )
        .optional()?)
}

/// Zip request `id` is answered.
pub fn zip_done(conn: &Connection, id: i64) -> Result<()> {
    conn.exec("DELETE FROM zip_requests WHERE id = ?1", [id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CommId;
    use crate::store::Store;
    use crate::store::testing::{temp_store, unassigned_communication};

    /// Customer 7 and their unassigned communication 3.
    fn store() -> (tempfile::TempDir, Store) {
        let (dir, store) = temp_store();
        unassigned_communication(&store.lock(), 3, 7);
        (dir, store)
    }

    #[test]
    fn a_mark_is_cleared_only_for_the_version_written() {
        let (_dir, store) = store();
        let conn = store.lock();
        assert_eq!(dirty(&conn, 64).unwrap(), []);
        crate::store::apply::mark_dirty(&conn, CommId(3), false).unwrap();
        let first = dirty(&conn, 64).unwrap();
        assert_eq!(
            first,
            [Dirty {
                comm: 3,
                full: false,
                version: 1
            }]
        );
        // Marked again (and for a full rewrite) while being written.
        crate::store::apply::mark_dirty(&conn, CommId(3), true).unwrap();
        written(&conn, 3, first[0].version).unwrap();
        assert_eq!(
            dirty(&conn, 64).unwrap(),
            [Dirty {
                comm: 3,
                full: true,
                version: 2
            }]
        );
        written(&conn, 3, 2).unwrap();
        assert_eq!(dirty(&conn, 64).unwrap(), []);
        crate::store::apply::mark_dirty(&conn, CommId(3), false).unwrap();
        assert_eq!(dirty(&conn, 0).unwrap(), []);
        forget_dirty(&conn, 3).unwrap();
        assert_eq!(dirty(&conn, 64).unwrap(), []);
    }

    #[test]
    fn progress_is_kept_per_communication() {
        let (_dir, store) = store();
        let conn = store.lock();
        assert_eq!(progress(&conn, 3).unwrap(), None);
        let p = Progress {
            last_message: 5,
            bytes: 120,
        };
        set_progress(&conn, 3, p).unwrap();
        assert_eq!(progress(&conn, 3).unwrap(), Some(p));
        let q = Progress {
            last_message: 9,
            bytes: 300,
        };
        set_progress(&conn, 3, q).unwrap();
        assert_eq!(progress(&conn, 3).unwrap(), Some(q));
    }

    #[test]
    fn files_wait_for_their_time_and_zips_are_answered_in_order() {
        let (_dir, store) = store();
        let conn = store.lock();
        conn.exec(
            "INSERT INTO messages (id, communication_id, at, role, sender_id, chat_id, message_id, kind)
             VALUES (1, 3, 0, 'customer', 7, 7, 1, 'photo')",
            [],
        )
        .unwrap();
        conn.exec(
            "INSERT INTO archive_files (communication_id, message_row, file_id, size, saved_name)
             VALUES (3, 1, 'F', 10, '1-photo.jpg')",
            [],
        )
        .unwrap();
        let file = next_file(&conn, 0).unwrap().unwrap();
        assert_eq!(
            file,
            PendingFile {
                id: file.id,
                comm: 3,
                customer: 7,
                file_id: "F".into(),
                size: Some(10),
                saved_name: "1-photo.jpg".into(),
                attempts: 0,
            }
        );
        record_attempt(&conn, file.id, FileStatus::Pending, Some("busy"), 1_000).unwrap();
        assert_eq!(next_file(&conn, 999).unwrap(), None);
        assert_eq!(next_file_at(&conn).unwrap(), Some(1_000));
        assert_eq!(next_file(&conn, 1_000).unwrap().unwrap().attempts, 1);
        record_attempt(&conn, file.id, FileStatus::Saved, None, 0).unwrap();
        assert_eq!(next_file(&conn, i64::MAX).unwrap(), None);
        assert_eq!(next_file_at(&conn).unwrap(), None);

        assert_eq!(next_zip(&conn).unwrap(), None);
        for chat in [40, 41] {
            conn.exec(
                "INSERT INTO zip_requests (communication_id, chat_id, created_at) VALUES (3, ?1, 0)",
                [chat],
            )
            .unwrap();
        }
        let zip = next_zip(&conn).unwrap().unwrap();
        assert_eq!((zip.comm, zip.chat, zip.customer), (3, 40, 7));
        zip_done(&conn, zip.id).unwrap();
        assert_eq!(next_zip(&conn).unwrap().map(|z| z.chat), Some(41));
    }
}

/// A blocked customer's message not yet in the archive (SPEC §7.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedLine {
    pub id: i64,
    pub customer: i64,
    pub at: i64,
    pub name: String,
    pub kind: String,
    pub text: Option<String>,
    pub file_name: Option<String>,
}

/// The oldest blocked customers' messages not yet archived.
pub fn pending_blocked(conn: &Connection, limit: usize) -> Result<Vec<BlockedLine>> {
    Ok(conn.rows(
        "SELECT b.id, b.customer_id, b.at, coalesce(c.first_name, ''), b.kind, b.text, b.file_name
         FROM blocked_messages b LEFT JOIN customers c ON c.id = b.customer_id
         WHERE b.archived = 0 ORDER BY b.id LIMIT ?1",
        [i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| from_row!(r => BlockedLine { id, customer, at, name, kind, text, file_name }),
    )?)
}

/// Blocked customers' messages up to row `last` are in the archive.
pub fn blocked_archived(conn: &Connection, last: i64) -> Result<()> {
    conn.exec(
        "UPDATE blocked_messages SET archived = 1 WHERE archived = 0 AND id <= ?1",
        [last],
    )?;
    Ok(())
}
