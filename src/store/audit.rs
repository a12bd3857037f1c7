//! Writing the audit log (SPEC §7.6, table `audit`, migration 12): the core's
//! [`AuditEntry`]s, applied with the other changes of their action (`apply`), and
//! the lines the command line records beside a running service. Reading it is in
//! `export` (`relaydesk audit`, `relaydesk export audit`).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use crate::domain::AuditEntry;
use crate::error::{Error, Result};
use crate::store::Cached;

/// Write one line, at `at` (unix ms), in the caller's transaction.
pub fn insert(conn: &Connection, entry: &AuditEntry, at: i64) -> Result<()> {
    conn.exec(
        "INSERT INTO audit (at, actor, action, communication_id, details) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            at,
            entry.actor.key(),
            entry.action.as_str(),
            entry.communication,
            entry.details
        ],
    )?;
    Ok(())
}

/// Whether the database has the audit log; an error saying what to do if not (a
/// database the service has not migrated yet).
pub fn require_table(conn: &Connection) -> Result<()> {
    let found: i64 = conn.value(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit'",
        [],
    )?;
    if found == 1 {
        return Ok(());
    }
    let version: i64 = conn.row("PRAGMA user_version", [], |r| r.get(0))?;
    Err(Error::io(
        "the audit log",
        std::io::Error::other(format!(
            "the database (schema version {version}) has no audit log yet; \
             start the service once to bring it up to date"
        )),
    ))
}

/// Write one line from another process than the service's (the command line), into
/// the database at `path`, while the service may be running (SQLite WAL; the write
/// waits for the service's transaction under way, up to 10 s). The database must
/// exist and have been migrated by the service.
pub fn record_beside_service(path: &Path, entry: &AuditEntry, at: i64) -> Result<()> {
    let conn = open_beside_service(path)?;
    insert(&conn, entry, at)
}

/// A read-write connection of the command line's own to the database at `path`,
/// beside the running service (writes wait up to 10 s for the service's
/// transaction under way); the database must exist and have the audit log.
pub fn open_beside_service(path: &Path) -> Result<Connection> {
    let conn = super::beside::open_beside_service(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    require_table(&conn)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, AuditAction, CommId, StaffId};
    use crate::store::Store;
    use crate::store::schema::AUDIT_VERSION;

    fn lines(conn: &Connection) -> Vec<(i64, String, String, Option<i64>, String)> {
        conn.prepare("SELECT at, actor, action, communication_id, details FROM audit ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn lines_are_typed_checked_and_never_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.sqlite3")).unwrap();
        let conn = store.lock();
        for action in AuditAction::ALL {
            insert(
                &conn,
                &AuditEntry::new(Actor::Staff(StaffId(501)), action, Some(CommId(3))),
                1_000,
            )
            .unwrap();
        }
        insert(
            &conn,
            &AuditEntry::new(Actor::System, AuditAction::Export, None).detail("kind", "audit"),
            2_000,
        )
        .unwrap();
        let all = lines(&conn);
        assert_eq!(all.len(), AuditAction::ALL.len() + 1);
        assert_eq!(
            all.last().unwrap(),
            &(
                2_000,
                "system".into(),
                "export".into(),
                None,
                "kind=audit".into()
            )
        );
        // The database refuses what the core never writes, and any change.
        for (actor, action) in [
            ("anna", "take"),
            ("0501", "take"),
            ("", "take"),
            ("501", "comment"),
        ] {
            assert!(
                conn.execute(
                    "INSERT INTO audit (at, actor, action) VALUES (1, ?1, ?2)",
                    [actor, action]
                )
                .is_err(),
                "{actor:?} {action:?}"
            );
        }
        let e = conn
            .execute("UPDATE audit SET actor = '502'", [])
            .unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
        assert!(conn.execute("DELETE FROM audit", []).is_err());
        assert_eq!(lines(&conn), all);
    }

    #[test]
    fn the_command_line_writes_beside_the_service_once_it_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite3");
        let entry = AuditEntry::new(Actor::System, AuditAction::Export, None);
        let e = record_beside_service(&dir.path().join("none.sqlite3"), &entry, 1).unwrap_err();
        assert!(e.to_string().contains("none.sqlite3"), "{e}");
        {
            let old = Store::open_at_version(&path, AUDIT_VERSION - 1).unwrap();
            let e = record_beside_service(&path, &entry, 1).unwrap_err();
            assert!(
                e.to_string().contains("schema version 11") && e.to_string().contains("start"),
                "{e}"
            );
            drop(old);
        }
        // The service holds its connection open meanwhile.
        let store = Store::open(&path).unwrap();
        record_beside_service(&path, &entry, 5).unwrap();
        let conn = store.lock();
        assert_eq!(
            lines(&conn),
            [(5, "system".into(), "export".into(), None, String::new())]
        );
    }
}
