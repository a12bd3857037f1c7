//! The web console's rows (SPEC §8, migration 14): sign-in codes (a keyed hash, its
//! expiry, the wrong tries), sessions (the SHA-256 of the cookie's token), and what
//! the pages read (the queue). Sign-ins, failed sign-ins and logouts are written to
//! the audit log in the same transaction.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::console::{CODE_TRIES, code_matches};
use crate::domain::{Actor, AuditAction, AuditEntry, CodeKey, StaffId};
use crate::error::Result;
use crate::store::Cached;

/// Store `staff`'s code (its hash), replacing any earlier one and its tries.
pub fn put_code(
    conn: &Connection,
    staff: StaffId,
    hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    conn.exec(
        "INSERT INTO console_codes (staff_id, hash, created_at, expires_at, attempts)
         VALUES (?1, ?2, ?3, ?4, 0)
         ON CONFLICT (staff_id) DO UPDATE SET hash = excluded.hash,
             created_at = excluded.created_at, expires_at = excluded.expires_at, attempts = 0",
        params![staff.0, hash, now, expires_at],
    )?;
    Ok(())
}

/// Staff member `staff` was seen in Telegram as @`username` (kept when it changes).
pub fn staff_seen(conn: &Connection, staff: StaffId, username: &str, now: i64) -> Result<()> {
    conn.exec(
        "INSERT INTO staff_usernames (staff_id, username, seen_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (staff_id) DO UPDATE SET username = excluded.username,
             seen_at = excluded.seen_at
         WHERE username IS NOT excluded.username",
        params![staff.0, username, now],
    )?;
    Ok(())
}

/// Who was last seen in Telegram as @`username` (any case), if anyone.
pub fn staff_by_username(conn: &Connection, username: &str) -> Result<Option<StaffId>> {
    Ok(conn
        .row(
            "SELECT staff_id FROM staff_usernames WHERE username = ?1 COLLATE NOCASE
             ORDER BY seen_at DESC LIMIT 1",
            [username],
            |r| r.get(0).map(StaffId),
        )
        .optional()?)
}

/// What a code typed in the console came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the code is used up and a session opened.
    SignedIn,
    /// Wrong, or no code pending, expired or out of tries.
    Refused,
}

/// Check `code` for `staff` at `now`. Right (pending, in time, tries left): the code
/// is deleted (one use), a session with `token_hash` opened until `session_until`,
/// and a `login` line written. Wrong: a try counted and a `login_failed` line
/// written (for a staff member with a pending code; a code past its tries or its
/// time never matches again).
pub fn check_code(
    conn: &Connection,
    key: &CodeKey,
    staff: StaffId,
    code: &str,
    token_hash: &str,
    now: i64,
    session_until: i64,
) -> Result<CodeCheck> {
    let pending: Option<(String, i64, i64)> = conn
        .row(
            "SELECT hash, expires_at, attempts FROM console_codes WHERE staff_id = ?1",
            [staff.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((hash, expires_at, attempts)) = pending else {
        return Ok(CodeCheck::Refused);
    };
    let usable = now < expires_at && attempts < CODE_TRIES;
    // Compared even when unusable, so that the answer takes the same time.
    let matches = code_matches(key, staff, code, &hash);
    if usable && matches {
        conn.exec("DELETE FROM console_codes WHERE staff_id = ?1", [staff.0])?;
        conn.exec(
            "INSERT INTO console_sessions (token_hash, staff_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, staff.0, now, session_until],
        )?;
        audit(conn, staff, AuditAction::Login, "", now)?;
        return Ok(CodeCheck::SignedIn);
    }
    conn.exec(
        "UPDATE console_codes SET attempts = attempts + 1 WHERE staff_id = ?1",
        [staff.0],
    )?;
    let why = if !usable && now >= expires_at {
        "reason=expired"
    } else if !usable {
        "reason=locked"
    } else {
        "reason=wrong_code"
    };
    audit(conn, staff, AuditAction::LoginFailed, why, now)?;
    Ok(CodeCheck::Refused)
}

fn audit(
    conn: &Connection,
    staff: StaffId,
    action: AuditAction,
    details: &str,
    now: i64,
) -> Result<()> {
    let mut entry = AuditEntry::new(Actor::Staff(staff), action, None);
    entry.details = details.to_string();
    super::audit::insert(conn, &entry, now)
}

/// The staff member whose session has `token_hash`, if it is still valid at `now`.
pub fn session(conn: &Connection, token_hash: &str, now: i64) -> Result<Option<StaffId>> {
    Ok(conn
        .row(
            "SELECT staff_id FROM console_sessions WHERE token_hash = ?1 AND expires_at > ?2",
            params![token_hash, now],
            |r| r.get(0).map(StaffId),
        )
        .optional()?)
}

/// End the session with `token_hash` (a `logout` line for its staff member, once).
pub fn logout(conn: &Connection, token_hash: &str, now: i64) -> Result<()> {
    let staff: Option<i64> = conn
        .value(
            "DELETE FROM console_sessions WHERE token_hash = ?1 RETURNING staff_id",
            [token_hash],
        )
        .optional()?;
    if let Some(staff) = staff {
        audit(conn, StaffId(staff), AuditAction::Logout, "", now)?;
    }
    Ok(())
}

/// Drop expired sessions and codes, and every session of someone no longer in
/// `staff` (SPEC §8: removed from the configuration, they lose every session).
/// Returns how many sessions ended.
pub fn prune(conn: &Connection, staff: &[StaffId], now: i64) -> Result<usize> {
    let ids = serde_json::to_string(&staff.iter().map(|s| s.0).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into());
    let ended = conn.exec(
        "DELETE FROM console_sessions
         WHERE expires_at <= ?1 OR staff_id NOT IN (SELECT value FROM json_each(?2))",
        params![now, ids],
    )?;
    conn.exec(
        "DELETE FROM console_codes WHERE expires_at <= ?1 OR staff_id NOT IN (SELECT value FROM json_each(?2))",
        params![now, ids],
    )?;
    Ok(ended)
}

/// One line of the console's queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub username: Option<String>,
    pub department: String,
    pub status: String,
    pub specialist_id: Option<i64>,
    pub opened_at: i64,
    pub assigned_at: Option<i64>,
}

/// A communication's row as the queue and a customer's page list it: id,
/// customer id, customer name, @username, department, status, specialist,
/// opened, assigned.
fn queue_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueueRow> {
    from_row!(r => QueueRow {
        id, customer_id, customer, username, department, status, specialist_id, opened_at,
        assigned_at
    })
}

/// The open communications, oldest first: every unassigned one in the queue (not
/// those still waiting for the customer's choice of department) and the assigned
/// ones, all of them, or with `only_of` only that specialist's.
pub fn queue(conn: &Connection, only_of: Option<StaffId>) -> Result<Vec<QueueRow>> {
    Ok(conn.rows(
        "SELECT c.id, c.customer_id,
                trim(cu.first_name || ' ' || coalesce(cu.last_name, '')), cu.username,
                c.department, c.status, c.specialist_id, c.opened_at, c.assigned_at
         FROM communications c JOIN customers cu ON cu.id = c.customer_id
         WHERE (c.status = 'unassigned' AND c.choosing = 0)
            OR (c.status = 'assigned' AND (?1 IS NULL OR c.specialist_id = ?1))
         ORDER BY c.opened_at, c.id
         LIMIT 500",
        [only_of.map(|s| s.0)],
        queue_row,
    )?)
}

/// Whether `name` is a file saved for communication `id` (only those are served).
pub fn has_saved_file(conn: &Connection, id: i64, name: &str) -> Result<bool> {
    Ok(conn
        .row(
            "SELECT 1 FROM archive_files WHERE communication_id = ?1 AND saved_name = ?2 AND status = 'saved'",
            params![id, name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// One line of the audit log as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLine {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub communication_id: Option<i64>,
    pub details: String,
}

/// The newest `limit` lines of the audit log, older than line `before` when given.
pub fn recent_audit(conn: &Connection, before: Option<i64>, limit: i64) -> Result<Vec<AuditLine>> {
    Ok(conn.rows(
        "SELECT id, at, actor, action, communication_id, details FROM audit
         WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        params![before.unwrap_or(i64::MAX), limit],
        |r| from_row!(r => AuditLine { id, at, actor, action, communication_id, details }),
    )?)
}

/// A customer in the console's lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub state: String,
    pub first_seen: i64,
}

fn customer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CustomerRow> {
    from_row!(r => CustomerRow { id, name, username, email, state, first_seen })
}

/// `%` and `_` of a search taken literally in a LIKE pattern (escape `\`).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Customers whose name, @username or email contains `query` (any case), or whose
/// Telegram id it is, in id order after `after`, at most `limit`.
pub fn customers(
    conn: &Connection,
    query: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<CustomerRow>> {
    let query = query.trim().trim_start_matches('@');
    let id: Option<i64> = query.parse().ok();
    Ok(conn.rows(
        "SELECT id, trim(first_name || ' ' || coalesce(last_name, '')), username, email, state, created_at
         FROM customers
         WHERE id > ?1 AND (?2 = '%%' OR id = ?3
             OR (first_name || ' ' || coalesce(last_name, '')) LIKE ?2 ESCAPE '\\'
             OR coalesce(username, '') LIKE ?2 ESCAPE '\\'
             OR coalesce(email, '') LIKE ?2 ESCAPE '\\')
         ORDER BY id LIMIT ?4",
        params![after, like_literal(query), id, limit], customer_row,
    )?)
}

/// One customer, and their communications, newest first (at most 200).
pub fn customer(conn: &Connection, id: i64) -> Result<Option<(CustomerRow, Vec<QueueRow>)>> {
    let Some(row) = conn
        .row(
            "SELECT id, trim(first_name || ' ' || coalesce(last_name, '')), username, email, state, created_at
             FROM customers WHERE id = ?1",
            [id],
            customer_row,
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.customer_id, '', NULL, c.department, c.status, c.specialist_id,
                c.opened_at, c.assigned_at
         FROM communications c WHERE c.customer_id = ?1 ORDER BY c.id DESC LIMIT 200",
    )?;
    let comms = stmt.query_map([id], queue_row)?;
    Ok(Some((row, comms.collect::<rusqlite::Result<_>>()?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::console::code_hash;
    use crate::store::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite3")).unwrap();
        (dir, store)
    }

    fn audit_actions(conn: &Connection) -> Vec<String> {
        let mut s = conn
            .prepare("SELECT action FROM audit ORDER BY id")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_code_signs_in_once_and_is_audited() {
        let (_d, store) = store();
        let key = store.code_key().clone();
        let conn = store.lock();
        let anna = StaffId(501);
        put_code(&conn, anna, &code_hash(&key, anna, "123456"), 0, 300_000).unwrap();
        let hash: String = conn
            .query_row("SELECT hash FROM console_codes", [], |r| r.get(0))
            .unwrap();
        assert!(!hash.contains("123456"));
        let check = |code: &str, token: &str| {
            check_code(&conn, &key, anna, code, token, 1_000, 10_000).unwrap()
        };
        assert_eq!(check("654321", "t0"), CodeCheck::Refused);
        assert_eq!(check("123456", "t1"), CodeCheck::SignedIn);
        assert_eq!(check("123456", "t2"), CodeCheck::Refused, "used once");
        assert_eq!(session(&conn, "t1", 2_000).unwrap(), Some(anna));
        assert_eq!(session(&conn, "t1", 10_000).unwrap(), None, "expired");
        assert_eq!(session(&conn, "t2", 2_000).unwrap(), None);
        logout(&conn, "t1", 3_000).unwrap();
        logout(&conn, "t1", 3_000).unwrap();
        assert_eq!(session(&conn, "t1", 3_000).unwrap(), None);
        assert_eq!(audit_actions(&conn), ["login_failed", "login", "logout"]);
    }

    #[test]
    fn five_wrong_tries_lock_a_code_and_it_expires() {
        let (_d, store) = store();
        let key = store.code_key().clone();
        let conn = store.lock();
        let anna = StaffId(501);
        put_code(&conn, anna, &code_hash(&key, anna, "123456"), 0, 300_000).unwrap();
        for _ in 0..5 {
            assert_eq!(
                check_code(&conn, &key, anna, "000000", "t", 1, 9).unwrap(),
                CodeCheck::Refused
            );
        }
        assert_eq!(
            check_code(&conn, &key, anna, "123456", "t", 1, 9).unwrap(),
            CodeCheck::Refused
        );
        put_code(&conn, anna, &code_hash(&key, anna, "222222"), 0, 300_000).unwrap();
        assert_eq!(
            check_code(&conn, &key, anna, "222222", "t", 300_000, 9).unwrap(),
            CodeCheck::Refused,
            "expired"
        );
    }

    #[test]
    fn customers_are_found_by_name_username_email_or_id_literally() {
        let (_d, store) = store();
        let conn = store.lock();
        for (id, first, user, email) in [
            (10, "Ann", Some("ann_k"), Some("ann@example.com")),
            (11, "Bob", None, Some("bob@example.com")),
            (12, "100% Carl", Some("carl"), None),
        ] {
            conn.execute(
                "INSERT INTO customers (id, first_name, username, email, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 0, 0)",
                params![id, first, user, email],
            )
            .unwrap();
        }
        let ids = |q: &str, after: i64| -> Vec<i64> {
            customers(&conn, q, after, 10)
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids("", 0), [10, 11, 12]);
        assert_eq!(ids("", 10), [11, 12]);
        assert_eq!(ids("ANN", 0), [10]);
        assert_eq!(ids("@ann_", 0), [10]);
        assert_eq!(ids("example.com", 0), [10, 11]);
        assert_eq!(ids("11", 0), [11]);
        assert_eq!(ids("%", 0), [12], "a % is a percent sign");
        assert_eq!(ids("_", 0), [10], "an _ is an underscore");
        assert_eq!(customers(&conn, "", 0, 2).unwrap().len(), 2);
        assert!(customer(&conn, 99).unwrap().is_none());
        assert_eq!(customer(&conn, 11).unwrap().unwrap().0.name, "Bob");
    }

    #[test]
    fn removed_staff_lose_their_sessions() {
        let (_d, store) = store();
        let conn = store.lock();
        for (token, staff) in [("a", 501), ("b", 502)] {
            conn.execute(
                "INSERT INTO console_sessions VALUES (?1, ?2, 0, 100)",
                params![token, staff],
            )
            .unwrap();
        }
        assert_eq!(prune(&conn, &[StaffId(501)], 10).unwrap(), 1);
        assert_eq!(session(&conn, "a", 10).unwrap(), Some(StaffId(501)));
        assert_eq!(session(&conn, "b", 10).unwrap(), None);
        assert_eq!(prune(&conn, &[StaffId(501)], 100).unwrap(), 1);
    }
}

/// A communication's header, for its page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommHeader {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    /// What a canned answer's `{customer}` becomes.
    pub first_name: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub department: String,
    pub status: String,
    pub specialist_id: Option<i64>,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub close_reason: Option<String>,
}

pub fn communication(conn: &Connection, id: i64) -> Result<Option<CommHeader>> {
    Ok(conn
        .row(
            "SELECT c.id, c.customer_id,
                    trim(cu.first_name || ' ' || coalesce(cu.last_name, '')), cu.username, cu.email,
                    c.department, c.status, c.specialist_id, c.opened_at, c.closed_at, c.close_reason,
                    cu.first_name
             FROM communications c JOIN customers cu ON cu.id = c.customer_id
             WHERE c.id = ?1",
            [id],
            |r| {
                from_row!(r => CommHeader {
                    id, customer_id, customer, username, email, department, status, specialist_id,
                    opened_at, closed_at, close_reason, first_name
                })
            },
        )
        .optional()?)
}

/// One line of a transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub at: i64,
    pub role: String,
    pub sender_id: i64,
    pub kind: String,
    pub text: Option<String>,
    pub file_name: Option<String>,
    /// The name of its file under the communication's `files/`, once saved.
    pub saved: Option<String>,
}

/// The most lines a page shows (the newest ones).
pub const TRANSCRIPT_LINES: i64 = 2000;

/// The messages and notes of communication `id`, oldest first (at most the last
/// [`TRANSCRIPT_LINES`]).
pub fn transcript(conn: &Connection, id: i64) -> Result<Vec<Line>> {
    Ok(conn.rows(
        "SELECT m.at, m.role, m.sender_id, m.kind, m.text, m.file_name,
                (SELECT f.saved_name FROM archive_files f
                 WHERE f.message_row = m.id AND f.status = 'saved' ORDER BY f.id LIMIT 1)
         FROM (
             SELECT id, at, role, sender_id, kind, text, file_name FROM messages
             WHERE communication_id = ?1 ORDER BY id DESC LIMIT ?2
         ) m ORDER BY m.id",
        params![id, TRANSCRIPT_LINES],
        |r| from_row!(r => Line { at, role, sender_id, kind, text, file_name, saved }),
    )?)
}
