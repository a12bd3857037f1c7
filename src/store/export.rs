//! The rows of `relaydesk export` (SPEC §9): one query per kind, each handing its
//! rows one at a time to the writer (nothing is collected, so memory stays flat
//! however many rows there are). Runs beside the service: the database is opened
//! read-only (SQLite WAL lets it read while the service writes).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use crate::error::{Error, Result};

/// What can be exported. `communications`, `messages`, `customers` and `audit`
/// join as they are built: a variant, its columns and its query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Communications,
    Ratings,
}

impl ExportKind {
    pub const ALL: [ExportKind; 2] = [ExportKind::Communications, ExportKind::Ratings];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Communications => "communications",
            ExportKind::Ratings => "ratings",
        }
    }

    /// The columns, in order (SPEC, "Details that hold across §6–§10").
    pub fn columns(self) -> &'static [&'static str] {
        match self {
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
        }
    }
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
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
    if !path.exists() {
        return Err(Error::io_path(
            "open the database",
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Hand every row of `kind` in `range` to `each`, in order; how many there were.
pub fn rows(
    conn: &Connection,
    kind: ExportKind,
    range: Range,
    each: &mut dyn FnMut(&[Cell]) -> Result<()>,
) -> Result<u64> {
    match kind {
        ExportKind::Communications => stream(conn, COMMUNICATIONS, range, each, communication),
        ExportKind::Ratings => stream(conn, RATINGS, range, each, rating),
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

/// The communications opened in the range, with their figures (SPEC §6.1) and
/// rating, by id.
const COMMUNICATIONS: &str =
    "SELECT c.id, c.customer_id, c.status, c.opened_at, f.taken_at, f.first_response_at,
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
        // No departments yet: the one desk.
        Cell::Text(String::new()),
        Cell::Text(r.get(2)?),
        Cell::Time(r.get(3)?),
        opt_time(r.get(4)?),
        opt_time(r.get(5)?),
        opt_time(r.get(6)?),
        close_reason(r.get(7)?),
        opt_int(r.get(8)?),
        opt_int(r.get(9)?),
        opt_int(r.get(10)?),
        opt_int(r.get(11)?),
        opt_int(r.get(12)?),
        opt_int(r.get(13)?),
        opt_int(r.get(14)?),
        opt_int(r.get(15)?),
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
