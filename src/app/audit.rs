//! `relaydesk audit` (SPEC §7.6): the audit log, oldest first, filtered by time,
//! actor and communication, as lines for people, CSV or JSON. It reads the
//! database read-only beside the running service, like `relaydesk export`.

use std::io::{BufWriter, Write};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::export::{self, AUDIT_COLUMNS, AuditFilter, Cell};

use super::export::{ExportFormat, iso, write_rows};

/// How `relaydesk audit` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// One aligned line per entry
    #[default]
    Text,
    /// A header row, then one row per entry (as `export audit`)
    Csv,
    /// An array of objects (as `export audit`)
    Json,
}

/// One entry for people: time, actor, action, `#communication` (or `-`), details.
fn text_line(row: &[Cell]) -> String {
    let cell = |c: Option<&Cell>| match c {
        Some(Cell::Time(ms)) => iso(*ms),
        Some(Cell::Int(n)) => n.to_string(),
        Some(Cell::Text(t)) => t.clone(),
        Some(Cell::Bool(b)) => b.to_string(),
        Some(Cell::Null) | None => "-".to_string(),
    };
    let comm = match row.get(3) {
        Some(Cell::Int(n)) => format!("#{n}"),
        other => cell(other),
    };
    let line = format!(
        "{}  {:<10}  {:<13}  {:<6}  {}",
        cell(row.first()),
        cell(row.get(1)),
        cell(row.get(2)),
        comm,
        cell(row.get(4)),
    );
    line.trim_end().to_string()
}

/// Write the entries `filter` keeps to `out`; how many.
pub fn write(
    conn: &rusqlite::Connection,
    filter: &AuditFilter,
    format: AuditFormat,
    out: &mut dyn Write,
) -> Result<u64> {
    let io = |e: std::io::Error| Error::io("write the audit log", e);
    let as_export = match format {
        AuditFormat::Csv => ExportFormat::Csv,
        AuditFormat::Json => ExportFormat::Json,
        AuditFormat::Text => {
            let n = export::audit(conn, filter, &mut |row| {
                writeln!(out, "{}", text_line(row)).map_err(io)
            })?;
            if n == 0 {
                writeln!(out, "no audit entries").map_err(io)?;
            }
            out.flush().map_err(io)?;
            return Ok(n);
        }
    };
    write_rows(&AUDIT_COLUMNS, as_export, out, |each| {
        export::audit(conn, filter, each)
    })
}

/// `relaydesk audit`: from the configured database to stdout.
pub fn run(config: &Config, filter: &AuditFilter, format: AuditFormat) -> Result<u64> {
    let conn = export::open_read_only(&config.database.path)?;
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    write(&conn, filter, format, &mut w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, AuditAction, AuditEntry, CommId, StaffId};
    use crate::store::Store;

    fn printed(conn: &rusqlite::Connection, filter: &AuditFilter, format: AuditFormat) -> String {
        let mut out = Vec::new();
        write(conn, filter, format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn entries_print_as_lines_csv_or_json() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.sqlite3")).unwrap();
        let conn = store.lock();
        let all = AuditFilter::default();
        assert_eq!(
            printed(&conn, &all, AuditFormat::Text),
            "no audit entries\n"
        );
        assert_eq!(
            printed(&conn, &all, AuditFormat::Csv),
            "at,actor,action,communication_id,details\n"
        );
        assert_eq!(printed(&conn, &all, AuditFormat::Json), "[]\n");
        crate::store::audit::insert(
            &conn,
            &AuditEntry::new(
                Actor::Staff(StaffId(501)),
                AuditAction::Close,
                Some(CommId(3)),
            )
            .detail("reason", "specialist"),
            1_796_150_763_000,
        )
        .unwrap();
        crate::store::audit::insert(
            &conn,
            &AuditEntry::new(Actor::System, AuditAction::Export, None)
                .detail("kind", "audit")
                .detail("to", "my file.csv"),
            1_796_150_764_000,
        )
        .unwrap();
        assert_eq!(
            printed(&conn, &all, AuditFormat::Text),
            "2026-12-01T18:46:03Z  501         close          #3      reason=specialist\n\
             2026-12-01T18:46:04Z  system      export         -       kind=audit to=\"my file.csv\"\n"
        );
        assert_eq!(
            printed(&conn, &all, AuditFormat::Csv),
            "at,actor,action,communication_id,details\n\
             2026-12-01T18:46:03Z,501,close,3,reason=specialist\n\
             2026-12-01T18:46:04Z,system,export,,\"kind=audit to=\"\"my file.csv\"\"\"\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&printed(&conn, &all, AuditFormat::Json)).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"at": "2026-12-01T18:46:03Z", "actor": 501, "action": "close",
                 "communication_id": 3, "details": "reason=specialist"},
                {"at": "2026-12-01T18:46:04Z", "actor": "system", "action": "export",
                 "communication_id": null, "details": "kind=audit to=\"my file.csv\""}
            ])
        );
    }
}
