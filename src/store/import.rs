//! `relaydesk import customers` (SPEC §9): customers moved from another system,
//! written beside the running service in one transaction with their `import` line
//! of the audit log, or not at all. A Telegram id the desk knows is skipped.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior, params};

use crate::domain::{AuditEntry, CustomerState, EmailAddress};
use crate::error::Result;
use crate::store::Cached;

/// One customer to add, as read and checked from the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    /// The file's line the row starts on (the header is line 1).
    pub line: u64,
    pub telegram_id: i64,
    pub name: String,
    pub username: Option<String>,
    pub email: Option<EmailAddress>,
    /// Verified elsewhere: no email step here (state `verified`).
    pub verified: bool,
}

/// What an import did, or would do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// (line, Telegram id) of each row whose customer the desk already knows.
    pub known: Vec<(u64, i64)>,
    /// How many customers were (or would be) added.
    pub added: usize,
}

fn known(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.value(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE id = ?1)",
        [id],
    )?)
}

/// What importing `rows` into the database at `path` would do, changing nothing
/// (read-only, beside the service).
pub fn check(path: &Path, rows: &[NewCustomer]) -> Result<Imported> {
    let conn = super::export::open_read_only(path)?;
    super::audit::require_table(&conn)?;
    let mut out = Imported::default();
    for row in rows {
        if known(&conn, row.telegram_id)? {
            out.known.push((row.line, row.telegram_id));
        } else {
            out.added += 1;
        }
    }
    Ok(out)
}

/// Add every row whose Telegram id is new, at `now` (unix ms), and the audit line
/// `entry` makes of the outcome, in one transaction beside the running service:
/// all of them or, on any error, none.
pub fn import(
    path: &Path,
    rows: &[NewCustomer],
    now: i64,
    entry: impl FnOnce(&Imported) -> AuditEntry,
) -> Result<Imported> {
    let mut conn = super::audit::open_beside_service(path)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Imported::default();
    for row in rows {
        if known(&tx, row.telegram_id)? {
            out.known.push((row.line, row.telegram_id));
            continue;
        }
        let state = if row.verified {
            CustomerState::Verified
        } else {
            CustomerState::AwaitingEmail
        };
        tx.exec(
            "INSERT INTO customers (id, first_name, username, email, state, verified_at,
                 created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                row.telegram_id,
                row.name,
                row.username,
                row.email.as_ref().map(EmailAddress::as_str),
                state.as_str(),
                row.verified.then_some(now),
                now
            ],
        )?;
        out.added += 1;
    }
    super::audit::insert(&tx, &entry(&out), now)?;
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, AuditAction};
    use crate::store::Store;
    use crate::store::testing::verified_customer;

    fn row(line: u64, id: i64, verified: bool) -> NewCustomer {
        NewCustomer {
            line,
            telegram_id: id,
            name: format!("C{id}"),
            username: None,
            email: Some(EmailAddress::parse(&format!("c{id}@example.com")).unwrap()),
            verified,
        }
    }

    #[test]
    fn new_ids_are_added_with_their_audit_line_and_known_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite3");
        let store = Store::open(&path).unwrap();
        verified_customer(&store.lock(), 7, "Known");
        let rows = [row(2, 5, true), row(3, 7, true), row(4, 6, false)];
        let expected = Imported {
            known: vec![(3, 7)],
            added: 2,
        };
        assert_eq!(check(&path, &rows).unwrap(), expected);
        let entry = |o: &Imported| {
            AuditEntry::new(Actor::System, AuditAction::Import, None)
                .detail("added", o.added)
                .detail("skipped", o.known.len())
        };
        assert_eq!(import(&path, &rows, 1_000, entry).unwrap(), expected);
        let conn = store.lock();
        let customers: Vec<(i64, String, Option<i64>, String)> = conn
            .prepare(
                "SELECT id, state, verified_at, email FROM customers WHERE id <> 7 ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            customers,
            [
                (5, "verified".into(), Some(1_000), "c5@example.com".into()),
                (6, "awaiting_email".into(), None, "c6@example.com".into()),
            ]
        );
        let details: String = conn
            .query_row(
                "SELECT details FROM audit WHERE action = 'import'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(details, "added=2 skipped=1");
        drop(conn);
        // The same file again: all known, nothing added, still recorded.
        let again = import(&path, &rows, 2_000, entry).unwrap();
        assert_eq!((again.added, again.known.len()), (0, 3));
    }
}
