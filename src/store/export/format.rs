//! Export rows written as CSV (with a header row) or as a JSON array, one row at a
//! time as the store hands them on (SPEC §9): the one writer of `relaydesk export`,
//! `relaydesk audit` and the web console's `/export` downloads, and the `export`
//! line each writes to the audit log.

use std::io::Write;

use chrono::NaiveDate;

use super::{Cell, ExportKind, Range};
use crate::domain::{Actor, AuditAction, AuditEntry};
use crate::error::{Error, Result};

/// How the rows are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

const MS_PER_DAY: i64 = 86_400_000;

/// A `YYYY-MM-DD` day (exactly that form).
pub fn parse_day(s: &str) -> std::result::Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let day = shaped
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten();
    day.ok_or_else(|| format!("expected a day as YYYY-MM-DD, got {s:?}"))
}

/// The start of a UTC day, in unix ms.
fn day_start(day: NaiveDate) -> i64 {
    day.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
}

/// The rows from the start of `since` to the end of `until` (UTC days, both
/// included).
pub fn range(
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> std::result::Result<Range, String> {
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(format!("--since {s} is after --until {u}"));
    }
    Ok(Range {
        since: since.map(day_start),
        until: until.map(|u| day_start(u) + MS_PER_DAY),
    })
}

/// ISO 8601 UTC in whole seconds: `2026-12-01T18:46:03Z`.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A text cell for a spreadsheet: one that would start a formula (`= + - @`) gets
/// a `'` in front.
fn defused(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Int(n) => defused(&n.to_string()).into_owned(),
        Cell::Text(t) => defused(t).into_owned(),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(ms) => iso(*ms),
    }
}

fn json_cell(cell: &Cell) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Int(n) => (*n).into(),
        Cell::Text(t) => t.clone().into(),
        Cell::Bool(b) => (*b).into(),
        Cell::Time(ms) => iso(*ms).into(),
    }
}

fn write_error(e: impl std::fmt::Display) -> Error {
    Error::io("write the export", std::io::Error::other(e.to_string()))
}

/// Write every row of `kind` in `range` to `out`; how many rows.
pub fn write(
    conn: &rusqlite::Connection,
    kind: ExportKind,
    format: ExportFormat,
    range: Range,
    out: &mut dyn Write,
) -> Result<u64> {
    write_rows(kind.columns(), format, out, |each| {
        super::rows(conn, kind, range, each)
    })
}

/// The rows `produce` hands on, under `columns`, written to `out` as they come;
/// how many rows.
pub fn write_rows(
    columns: &[&str],
    format: ExportFormat,
    out: &mut dyn Write,
    produce: impl FnOnce(&mut dyn FnMut(&[Cell]) -> Result<()>) -> Result<u64>,
) -> Result<u64> {
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(columns).map_err(write_error)?;
            let n = produce(&mut |row| {
                w.write_record(row.iter().map(csv_cell))
                    .map_err(write_error)
            })?;
            w.flush().map_err(write_error)?;
            Ok(n)
        }
        ExportFormat::Json => {
            let io = |e: std::io::Error| Error::io("write the export", e);
            out.write_all(b"[").map_err(io)?;
            let mut first = true;
            let n = produce(&mut |row| {
                // One object per row, its keys in column order.
                let mut line = String::from(if first { "\n{" } else { ",\n{" });
                first = false;
                for (i, (column, cell)) in columns.iter().zip(row).enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(&serde_json::Value::from(*column).to_string());
                    line.push(':');
                    line.push_str(&json_cell(cell).to_string());
                }
                line.push('}');
                out.write_all(line.as_bytes()).map_err(io)
            })?;
            out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })
                .map_err(io)?;
            out.flush().map_err(io)?;
            Ok(n)
        }
    }
}

/// The `export` line of the audit log (SPEC §7.6): by `actor` (`system` for the
/// command line, the controller for a download from the console), saying what was
/// exported and where to.
pub fn audit_entry(
    actor: Actor,
    kind: ExportKind,
    format: ExportFormat,
    range: Range,
    to: &str,
) -> AuditEntry {
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let format = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Json => "json",
    };
    AuditEntry::new(actor, AuditAction::Export, None)
        .detail("kind", kind.as_str())
        .detail("format", format)
        .detail_opt("since", range.since.map(day))
        .detail_opt("until", range.until.map(|u| day(u - MS_PER_DAY)))
        .detail("to", to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{closed_communication, temp_store};

    #[test]
    fn days_are_strict_and_the_until_day_is_included() {
        assert!(parse_day("2026-12-01").is_ok());
        for bad in [
            "2026-12-1",
            "2026/12/01",
            "2026-13-01",
            "",
            "2026-02-30",
            " 2026-12-01",
        ] {
            assert!(parse_day(bad).is_err(), "{bad:?}");
        }
        let d = |s| parse_day(s).ok();
        let r = range(d("2026-12-01"), d("2026-12-01")).unwrap();
        assert_eq!(iso(r.since.unwrap()), "2026-12-01T00:00:00Z");
        assert_eq!(r.until.unwrap() - r.since.unwrap(), MS_PER_DAY);
        assert!(range(d("2026-12-02"), d("2026-12-01")).is_err());
        assert_eq!(range(None, None).unwrap(), Range::default());
    }

    #[test]
    fn times_are_iso_utc_seconds_and_formulas_are_defused() {
        assert_eq!(iso(1_796_150_763_999), "2026-12-01T18:46:03Z");
        for (text, shown) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@me", "'@me"),
            ("fine = ok", "fine = ok"),
        ] {
            assert_eq!(csv_cell(&Cell::Text(text.into())), shown);
        }
        assert_eq!(csv_cell(&Cell::Int(-5)), "'-5");
        assert_eq!(csv_cell(&Cell::Null), "");
    }

    /// Two closed communications of customer 42, rated 5 and 1 a day apart.
    fn store_with_ratings() -> (tempfile::TempDir, crate::store::Store) {
        let (dir, store) = temp_store();
        {
            let conn = store.lock();
            closed_communication(&conn, 1);
            closed_communication(&conn, 2);
            conn.execute_batch(
                "INSERT INTO surveys (communication_id, customer_id, specialist_id, asked_at, rating, rated_at, comment)
                 VALUES (1, 42, 5, 0, 5, 1796150763000, 'Great, \"quick\"\nthanks');
                 INSERT INTO surveys (communication_id, customer_id, specialist_id, asked_at, rating, rated_at, comment)
                 VALUES (2, 42, 5, 0, 1, 1796237163000, '=cmd');",
            )
            .unwrap();
        }
        (dir, store)
    }

    /// The ratings in `range` exported as `format`: how many, and the bytes.
    fn ratings(conn: &rusqlite::Connection, format: ExportFormat, range: Range) -> (u64, Vec<u8>) {
        let mut out = Vec::new();
        let n = write(conn, ExportKind::Ratings, format, range, &mut out).unwrap();
        (n, out)
    }

    #[test]
    fn csv_has_a_header_and_json_is_an_array_of_objects() {
        let (_dir, store) = store_with_ratings();
        let conn = store.lock();
        let (n, out) = ratings(&conn, ExportFormat::Csv, Range::default());
        assert_eq!(n, 2);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "communication_id,customer_id,specialist_id,rating,comment,rated_at\n\
             1,42,5,5,\"Great, \"\"quick\"\"\nthanks\",2026-12-01T18:46:03Z\n\
             2,42,5,1,'=cmd,2026-12-02T18:46:03Z\n"
        );
        let day = parse_day("2026-12-01").ok();
        let (_, out) = ratings(&conn, ExportFormat::Json, range(day, day).unwrap());
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{
                "communication_id": 1, "customer_id": 42, "specialist_id": 5, "rating": 5,
                "comment": "Great, \"quick\"\nthanks", "rated_at": "2026-12-01T18:46:03Z"
            }])
        );
        let later = parse_day("2027-01-01").ok();
        let (_, out) = ratings(&conn, ExportFormat::Json, range(later, None).unwrap());
        assert_eq!(out, b"[]\n");
    }
}
