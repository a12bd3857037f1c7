//! The rows of `relaydesk export` (SPEC §9): one query per kind, each handing its
//! rows one at a time to the writer (nothing is collected, so memory stays flat
//! however many rows there are). Runs beside the service: the database is opened
//! read-only (SQLite WAL lets it read while the service writes).

pub mod format;

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use crate::domain::CommId;
use crate::error::Result;

/// What can be exported (SPEC §9): each kind is a variant, its columns, a query and
/// a row-to-cells function run by one [`stream`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Customers,
    Communications,
    Messages,
    Ratings,
    Audit,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Customers,
        ExportKind::Communications,
        ExportKind::Messages,
        ExportKind::Ratings,
        ExportKind::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Customers => "customers",
            ExportKind::Communications => "communications",
            ExportKind::Messages => "messages",
            ExportKind::Ratings => "ratings",
            ExportKind::Audit => "audit",
        }
    }

    /// The columns, in order (SPEC, "Details that hold across §6–§10").
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Customers => &[
                "telegram_id",
                "name",
                "username",
                "email",
                "verified",
                "language",
                "state",
                "first_seen",
            ],
            ExportKind::Messages => &[
                "communication_id",
                "at",
                "role",
                "sender_id",
                "kind",
                "text",
                "file",
            ],
            ExportKind::Communications => &[
                "id",
                "customer_id",
                "department",
                "status",
                "opened_at",
                "taken_at",
                "first_response_at",
                "closed_at",
                "close_reason",
                "specialist_id",
                "time_to_take_s",
                "first_response_s",
                "resolution_s",
                "customer_messages",
                "specialist_messages",
                "transfers",
                "rating",
            ],
            ExportKind::Ratings => &[
                "communication_id",
                "customer_id",
                "specialist_id",
                "rating",
                "comment",
                "rated_at",
            ],
            ExportKind::Audit => &AUDIT_COLUMNS,
        }
    }
}

/// The columns of the audit log, in order (`relaydesk audit` and `export audit`).
pub const AUDIT_COLUMNS: [&str; 5] = ["at", "actor", "action", "communication_id", "details"];

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    /// `true` / `false`.
    Bool(bool),
    /// A moment in unix ms (written as ISO 8601 UTC).
    Time(i64),
}

/// Which rows: by each kind's own time, unix ms, `since` included, `until` excluded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Open the database to read only, beside a running service.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    super::beside::open_beside_service(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
}

/// Hand every row of `kind` in `range` to `each`, in order; how many there were.
pub fn rows(
    conn: &Connection,
    kind: ExportKind,
    range: Range,
    each: &mut dyn FnMut(&[Cell]) -> Result<()>,
) -> Result<u64> {
    match kind {
        ExportKind::Customers => stream(conn, CUSTOMERS, range, each, customer),
        ExportKind::Communications => stream(conn, COMMUNICATIONS, range, each, communication),
        ExportKind::Messages => stream(conn, MESSAGES, range, each, message),
        ExportKind::Ratings => stream(conn, RATINGS, range, each, rating),
        ExportKind::Audit => audit(
            conn,
            &AuditFilter {
                range,
                ..AuditFilter::default()
            },
            each,
        ),
    }
}

/// The close reason as exported: `specialist`, `timeout` or `blocked`.
fn close_reason(stored: Option<String>) -> Cell {
    match stored.as_deref() {
        None => Cell::Null,
        Some(r @ ("timeout" | "blocked")) => Cell::Text(r.to_string()),
        Some(_) => Cell::Text("specialist".into()),
    }
}

/// The customers first seen in the range (`created_at`: their first contact, or
/// their import), by Telegram id: the table in its own order, so nothing is sorted
/// aside.
const CUSTOMERS: &str = "SELECT id, first_name, last_name, username, email,
        verified_at IS NOT NULL OR state = 'verified', language, state, blocked_at,
        banned_at, created_at
    FROM customers
    WHERE created_at >= ?1 AND created_at < ?2
    ORDER BY id";

/// A customer's state as exported: `blocked` (by the staff, SPEC §7.5) before
/// `unreachable` (the customer blocked the bot, §10) before where onboarding stands
/// (`awaiting_email`, `awaiting_code`, `verified`).
fn customer_state(stored: &str, blocked_bot: bool, banned: bool) -> &'static str {
    if banned {
        "blocked"
    } else if blocked_bot {
        "unreachable"
    } else {
        crate::domain::CustomerState::parse(stored).as_str()
    }
}

/// A row of [`CUSTOMERS`] as the cells of its columns.
fn customer(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Cell; 8]> {
    let first: String = r.get(1)?;
    let last: Option<String> = r.get(2)?;
    let name = match last.filter(|l| !l.is_empty()) {
        Some(last) => format!("{first} {last}"),
        None => first,
    };
    let state: String = r.get(7)?;
    let blocked_bot = r.get::<_, Option<i64>>(8)?.is_some();
    let banned = r.get::<_, Option<i64>>(9)?.is_some();
    Ok([
        Cell::Int(r.get(0)?),
        Cell::Text(name),
        opt_text(r.get(3)?),
        opt_text(r.get(4)?),
        Cell::Bool(r.get(5)?),
        opt_text(r.get(6)?),
        Cell::Text(customer_state(&state, blocked_bot, banned).into()),
        Cell::Time(r.get(10)?),
    ])
}

/// The messages of communications written in the range, by id (the order they
/// were stored): what the customer and the specialist wrote, internal notes (kind
/// `note`, never sent to the customer), canned answers (`canned`), edits (`edit`).
/// `file` is the file's place under `archive.dir`, when the message has one.
const MESSAGES: &str =
    "SELECT m.communication_id, m.at, m.role, m.sender_id, m.kind, m.text, c.customer_id,
        f.saved_name, m.file_name
    FROM messages m
    JOIN communications c ON c.id = m.communication_id
    LEFT JOIN archive_files f ON f.message_row = m.id
    WHERE m.at >= ?1 AND m.at < ?2
    ORDER BY m.id";

/// A row of [`MESSAGES`] as the cells of its columns.
fn message(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Cell; 7]> {
    let comm: i64 = r.get(0)?;
    let customer: i64 = r.get(6)?;
    let saved: Option<String> = r.get(7)?;
    let file = match saved {
        Some(name) => Cell::Text(format!("{customer}/{comm}/files/{name}")),
        None => opt_text(r.get(8)?),
    };
    Ok([
        Cell::Int(comm),
        Cell::Time(r.get(1)?),
        Cell::Text(r.get(2)?),
        Cell::Int(r.get(3)?),
        Cell::Text(r.get(4)?),
        opt_text(r.get(5)?),
        file,
    ])
}

/// The communications opened in the range, with their figures (SPEC §6.1) and
/// rating, by id.
const COMMUNICATIONS: &str =
    "SELECT c.id, c.customer_id, c.department, c.status, c.opened_at, f.taken_at, f.first_response_at,
        c.closed_at, c.close_reason, c.specialist_id, f.time_to_take_s,
        f.first_response_s, f.resolution_s, f.customer_messages,
        f.specialist_messages, f.transfers, s.rating
    FROM communications c
    LEFT JOIN comm_figures f ON f.communication_id = c.id
    LEFT JOIN surveys s ON s.communication_id = c.id
    WHERE c.opened_at >= ?1 AND c.opened_at < ?2
    ORDER BY c.id";

/// A row of [`COMMUNICATIONS`] as the cells of its columns.
fn communication(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Cell; 17]> {
    Ok([
        Cell::Int(r.get(0)?),
        Cell::Int(r.get(1)?),
        Cell::Text(r.get(2)?),
        Cell::Text(r.get(3)?),
        Cell::Time(r.get(4)?),
        opt_time(r.get(5)?),
        opt_time(r.get(6)?),
        opt_time(r.get(7)?),
        close_reason(r.get(8)?),
        opt_int(r.get(9)?),
        opt_int(r.get(10)?),
        opt_int(r.get(11)?),
        opt_int(r.get(12)?),
        opt_int(r.get(13)?),
        opt_int(r.get(14)?),
        opt_int(r.get(15)?),
        opt_int(r.get(16)?),
    ])
}

/// The ratings given, by rating time.
const RATINGS: &str =
    "SELECT communication_id, customer_id, specialist_id, rating, comment, rated_at
    FROM surveys
    WHERE rating IS NOT NULL AND rated_at >= ?1 AND rated_at < ?2
    ORDER BY rated_at, communication_id";

/// A row of [`RATINGS`] as the cells of its columns.
fn rating(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Cell; 6]> {
    Ok([
        Cell::Int(r.get(0)?),
        Cell::Int(r.get(1)?),
        opt_int(r.get(2)?),
        opt_int(r.get(3)?),
        opt_text(r.get(4)?),
        opt_time(r.get(5)?),
    ])
}

/// Run `sql` (`?1` and `?2`: the range's bounds) and hand each row, as `cells`
/// makes it, to `each`; how many rows there were.
fn stream<const N: usize>(
    conn: &Connection,
    sql: &str,
    range: Range,
    each: &mut dyn FnMut(&[Cell]) -> Result<()>,
    cells: fn(&rusqlite::Row<'_>) -> rusqlite::Result<[Cell; N]>,
) -> Result<u64> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query(params![
        range.since.unwrap_or(i64::MIN),
        range.until.unwrap_or(i64::MAX)
    ])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(&cells(r)?)?;
        n += 1;
    }
    Ok(n)
}

fn opt_int(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::Int)
}

fn opt_time(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::Time)
}

fn opt_text(v: Option<String>) -> Cell {
    v.map_or(Cell::Null, Cell::Text)
}

/// Which lines of the audit log: by time (`range`), and by who acted (an actor key:
/// a Telegram id in decimal or `system`) or the communication, when given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub range: Range,
    pub actor: Option<String>,
    pub communication: Option<CommId>,
}

/// The audit queries, one per combination of filters, each served by its index
/// (`?1`/`?2` the range, `?3` the actor, `?4` the communication): a statement that
/// tested `?3 IS NULL OR …` could use none.
const AUDIT_BY_TIME: &str = "SELECT at, actor, action, communication_id, details FROM audit
     WHERE at >= ?1 AND at < ?2 ORDER BY at, id";
const AUDIT_BY_ACTOR: &str = "SELECT at, actor, action, communication_id, details FROM audit
     WHERE actor = ?3 AND at >= ?1 AND at < ?2 ORDER BY at, id";
const AUDIT_BY_COMMUNICATION: &str =
    "SELECT at, actor, action, communication_id, details FROM audit
     WHERE communication_id = ?4 AND at >= ?1 AND at < ?2 ORDER BY at, id";
const AUDIT_BY_BOTH: &str = "SELECT at, actor, action, communication_id, details FROM audit
     WHERE communication_id = ?4 AND actor = ?3 AND at >= ?1 AND at < ?2 ORDER BY at, id";

/// Hand every line of the audit log that `filter` keeps to `each`, oldest first, as
/// [`AUDIT_COLUMNS`]; how many there were.
pub fn audit(
    conn: &Connection,
    filter: &AuditFilter,
    each: &mut dyn FnMut(&[Cell]) -> Result<()>,
) -> Result<u64> {
    super::audit::require_table(conn)?;
    use rusqlite::types::Value;
    let mut values = vec![
        Value::Integer(filter.range.since.unwrap_or(i64::MIN)),
        Value::Integer(filter.range.until.unwrap_or(i64::MAX)),
    ];
    let sql = match (&filter.actor, filter.communication) {
        (None, None) => AUDIT_BY_TIME,
        (Some(actor), comm) => {
            values.push(Value::Text(actor.clone()));
            match comm {
                None => AUDIT_BY_ACTOR,
                Some(c) => {
                    values.push(Value::Integer(c.0));
                    AUDIT_BY_BOTH
                }
            }
        }
        (None, Some(c)) => {
            values.push(Value::Null);
            values.push(Value::Integer(c.0));
            AUDIT_BY_COMMUNICATION
        }
    };
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let actor: String = r.get(1)?;
        let actor = match actor.parse::<i64>() {
            Ok(id) => Cell::Int(id),
            Err(_) => Cell::Text(actor),
        };
        let row = [
            Cell::Time(r.get(0)?),
            actor,
            Cell::Text(r.get(2)?),
            opt_int(r.get(3)?),
            Cell::Text(r.get(4)?),
        ];
        each(&row)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, CommId, CustomerId, Decision, MessageId, StaffId};
    use crate::store::apply::apply;
    use crate::store::desk::survey;
    use crate::store::testing::{closed_communication, temp_store};

    fn apply_at(conn: &Connection, changes: Vec<Change>, now: i64) {
        let d = Decision {
            changes,
            effects: Vec::new(),
        };
        apply(conn, &d, now).unwrap();
    }

    /// Communication `id` closed and its survey asked at 1_000.
    fn asked(conn: &Connection, id: i64) {
        closed_communication(conn, id);
        apply_at(
            conn,
            vec![Change::NewSurvey {
                comm: CommId(id),
                customer: CustomerId(42),
                specialist: Some(StaffId(5)),
            }],
            1_000,
        );
    }

    fn collect(conn: &Connection, range: Range) -> Vec<Vec<Cell>> {
        let mut out = Vec::new();
        let n = rows(conn, ExportKind::Ratings, range, &mut |row| {
            out.push(row.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(usize::try_from(n).unwrap(), out.len());
        out
    }

    #[test]
    fn surveys_keep_their_rating_comment_and_window_and_ratings_are_listed_by_time() {
        let (_dir, store) = temp_store();
        let conn = store.lock();
        asked(&conn, 1);
        asked(&conn, 2);
        asked(&conn, 3);
        apply_at(
            &conn,
            vec![Change::SurveySent {
                comm: CommId(1),
                message_id: MessageId(77),
            }],
            1_100,
        );
        apply_at(
            &conn,
            vec![Change::Rate {
                comm: CommId(1),
                rating: 5,
                comment_until: Some(9_000),
            }],
            2_000,
        );
        // A change keeps the first window.
        apply_at(
            &conn,
            vec![Change::Rate {
                comm: CommId(1),
                rating: 4,
                comment_until: None,
            }],
            3_000,
        );
        let s = survey(&conn, CommId(1)).unwrap().unwrap();
        assert_eq!(
            (s.rating, s.rated_at, s.comment_until, s.awaiting_comment),
            (Some(4), Some(3_000), Some(9_000), true)
        );
        assert_eq!(s.message_id, Some(MessageId(77)));
        assert!(s.awaits_comment(9_000) && !s.awaits_comment(9_001));
        apply_at(
            &conn,
            vec![Change::Comment {
                comm: CommId(1),
                text: "=SUM(A1)".into(),
            }],
            4_000,
        );
        let s = survey(&conn, CommId(1)).unwrap().unwrap();
        assert_eq!(s.comment.as_deref(), Some("=SUM(A1)"));
        assert!(!s.awaiting_comment);
        apply_at(
            &conn,
            vec![
                Change::Rate {
                    comm: CommId(2),
                    rating: 2,
                    comment_until: Some(90_000),
                },
                Change::EndComment { comm: CommId(2) },
            ],
            1_500,
        );
        assert!(!survey(&conn, CommId(2)).unwrap().unwrap().awaiting_comment);
        // Survey 3 was never rated: not a rating.
        let all = collect(&conn, Range::default());
        assert_eq!(
            all,
            vec![
                vec![
                    Cell::Int(2),
                    Cell::Int(42),
                    Cell::Int(5),
                    Cell::Int(2),
                    Cell::Null,
                    Cell::Time(1_500)
                ],
                vec![
                    Cell::Int(1),
                    Cell::Int(42),
                    Cell::Int(5),
                    Cell::Int(4),
                    Cell::Text("=SUM(A1)".into()),
                    Cell::Time(3_000)
                ],
            ]
        );
        let since = collect(
            &conn,
            Range {
                since: Some(1_501),
                until: None,
            },
        );
        assert_eq!(since.len(), 1);
        let until = collect(
            &conn,
            Range {
                since: None,
                until: Some(3_000),
            },
        );
        assert_eq!(until.len(), 1);
        assert_eq!(until[0][0], Cell::Int(2));
        // Read-only beside the open store.
        drop(conn);
        let ro = open_read_only(store.path()).unwrap();
        assert_eq!(collect(&ro, Range::default()).len(), 2);
        assert!(ro.execute("DELETE FROM surveys", []).is_err());
    }
}

#[cfg(test)]
mod audit_tests {
    use super::*;
    use crate::domain::{Actor, AuditAction, AuditEntry, Change, CustomerId, Decision, StaffId};
    use crate::store::Store;
    use crate::store::apply::apply;

    const ANNA: Actor = Actor::Staff(StaffId(501));
    const BORIS: Actor = Actor::Staff(StaffId(502));

    fn record(conn: &Connection, entry: AuditEntry, at: i64) {
        let d = Decision {
            changes: vec![Change::Audit(entry)],
            effects: Vec::new(),
        };
        apply(conn, &d, at).unwrap();
    }

    fn filtered(conn: &Connection, filter: AuditFilter) -> Vec<Vec<Cell>> {
        let mut out = Vec::new();
        let n = audit(conn, &filter, &mut |row| {
            out.push(row.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(usize::try_from(n).unwrap(), out.len());
        out
    }

    /// (at, actor, action, communication) of each line kept.
    fn seen(conn: &Connection, filter: AuditFilter) -> Vec<(i64, String, String, Option<i64>)> {
        filtered(conn, filter)
            .into_iter()
            .map(|row| {
                let at = match row[0] {
                    Cell::Time(t) => t,
                    ref c => panic!("at {c:?}"),
                };
                let actor = match &row[1] {
                    Cell::Int(id) => id.to_string(),
                    Cell::Text(t) => t.clone(),
                    c => panic!("actor {c:?}"),
                };
                let action = match &row[2] {
                    Cell::Text(t) => t.clone(),
                    c => panic!("action {c:?}"),
                };
                let comm = match row[3] {
                    Cell::Int(c) => Some(c),
                    Cell::Null => None,
                    ref c => panic!("communication {c:?}"),
                };
                (at, actor, action, comm)
            })
            .collect()
    }

    fn line(
        at: i64,
        actor: &str,
        action: &str,
        comm: Option<i64>,
    ) -> (i64, String, String, Option<i64>) {
        (at, actor.into(), action.into(), comm)
    }

    #[test]
    fn the_audit_log_is_filtered_by_time_actor_and_communication() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.sqlite3")).unwrap();
        let conn = store.lock();
        let entry =
            |actor, action, comm: Option<i64>| AuditEntry::new(actor, action, comm.map(CommId));
        // Written out of time order: listed by time.
        record(&conn, entry(BORIS, AuditAction::Take, Some(2)), 3_000);
        record(&conn, entry(ANNA, AuditAction::Take, Some(1)), 1_000);
        record(
            &conn,
            entry(ANNA, AuditAction::Close, Some(1)).detail("reason", "specialist"),
            2_000,
        );
        record(
            &conn,
            entry(
                Actor::Customer(CustomerId(4242)),
                AuditAction::Rating,
                Some(1),
            )
            .detail("rating", 5),
            2_500,
        );
        record(
            &conn,
            entry(Actor::System, AuditAction::TimeoutClose, Some(2)),
            4_000,
        );
        record(
            &conn,
            entry(Actor::System, AuditAction::Export, None),
            5_000,
        );

        let all = AuditFilter::default();
        assert_eq!(
            seen(&conn, all.clone()),
            [
                line(1_000, "501", "take", Some(1)),
                line(2_000, "501", "close", Some(1)),
                line(2_500, "4242", "rating", Some(1)),
                line(3_000, "502", "take", Some(2)),
                line(4_000, "system", "timeout_close", Some(2)),
                line(5_000, "system", "export", None),
            ]
        );
        // The whole row, as exported.
        assert_eq!(
            filtered(&conn, all.clone())[1],
            [
                Cell::Time(2_000),
                Cell::Int(501),
                Cell::Text("close".into()),
                Cell::Int(1),
                Cell::Text("reason=specialist".into()),
            ]
        );
        let range = |since, until| Range {
            since: Some(since),
            until: Some(until),
        };
        let by = |range: Range, actor: Option<&str>, comm: Option<i64>| AuditFilter {
            range,
            actor: actor.map(str::to_string),
            communication: comm.map(CommId),
        };
        // Since included, until excluded.
        assert_eq!(
            seen(&conn, by(range(2_000, 4_000), None, None)),
            [
                line(2_000, "501", "close", Some(1)),
                line(2_500, "4242", "rating", Some(1)),
                line(3_000, "502", "take", Some(2)),
            ]
        );
        assert_eq!(
            seen(&conn, by(Range::default(), Some("501"), None)),
            [
                line(1_000, "501", "take", Some(1)),
                line(2_000, "501", "close", Some(1)),
            ]
        );
        assert_eq!(
            seen(&conn, by(Range::default(), Some("system"), None)),
            [
                line(4_000, "system", "timeout_close", Some(2)),
                line(5_000, "system", "export", None),
            ]
        );
        assert_eq!(
            seen(&conn, by(Range::default(), None, Some(2))),
            [
                line(3_000, "502", "take", Some(2)),
                line(4_000, "system", "timeout_close", Some(2)),
            ]
        );
        assert_eq!(
            seen(&conn, by(range(0, 2_000), Some("501"), Some(1))),
            [line(1_000, "501", "take", Some(1))]
        );
        assert!(seen(&conn, by(Range::default(), Some("502"), Some(1))).is_empty());
        assert!(seen(&conn, by(Range::default(), Some("9"), None)).is_empty());
        // `export audit` is the same lines, by time only.
        let mut exported = Vec::new();
        rows(&conn, ExportKind::Audit, range(2_500, 5_000), &mut |row| {
            exported.push(row.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(
            exported,
            filtered(&conn, by(range(2_500, 5_000), None, None))
        );
        assert_eq!(exported.len(), 3);
    }

    #[test]
    fn each_audit_filter_reads_its_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.sqlite3")).unwrap();
        drop(store);
        // As the command line reads it: read-only, its own connection.
        let conn = open_read_only(&dir.path().join("a.sqlite3")).unwrap();
        use rusqlite::types::Value;
        let (since, until, actor, comm) = (
            Value::Integer(0),
            Value::Integer(1),
            Value::Text("501".into()),
            Value::Integer(1),
        );
        for (sql, values, index) in [
            (
                AUDIT_BY_TIME,
                vec![since.clone(), until.clone()],
                "audit_by_at",
            ),
            (
                AUDIT_BY_ACTOR,
                vec![since.clone(), until.clone(), actor.clone()],
                "audit_by_actor",
            ),
            (
                AUDIT_BY_COMMUNICATION,
                vec![since.clone(), until.clone(), Value::Null, comm.clone()],
                "audit_by_communication",
            ),
            // Either index serves both; the planner picks one.
            (AUDIT_BY_BOTH, vec![since, until, actor, comm], "audit_by_"),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(values), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(plan.len(), 1, "{sql}: {plan:#?}");
            assert!(
                plan[0].starts_with("SEARCH audit USING INDEX ") && plan[0].contains(index),
                "{sql}: {plan:#?}"
            );
        }
    }

    #[test]
    fn a_database_without_the_audit_log_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        drop(Store::open_at_version(&path, 10).unwrap());
        let conn = open_read_only(&path).unwrap();
        let e = audit(&conn, &AuditFilter::default(), &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("no audit log yet"), "{e}");
    }
}
