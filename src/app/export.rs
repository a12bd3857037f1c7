//! `relaydesk export WHAT` (SPEC §9): the store's export rows written as CSV (with a
//! header row) or as a JSON array (`store/export/format.rs`), one row at a time, to
//! a file or to stdout.

use std::io::BufWriter;
use std::path::Path;

use crate::config::Config;
use crate::domain::Actor;
use crate::error::{Error, Result};
use crate::store::audit;
use crate::store::export::{self, ExportKind, Range};

pub use crate::store::export::format::{
    ExportFormat, audit_entry, iso, parse_day, range, write, write_rows,
};

/// `relaydesk export`: from the configured database (read-only, the service may be
/// running) to `out`, or stdout. A file is written beside its place and renamed
/// into it when complete. How many rows.
///
/// The export is recorded in the audit log first, through the store, beside the
/// running service: nothing leaves without its line (an export that then fails is
/// still recorded as asked for).
pub fn run(
    config: &Config,
    kind: ExportKind,
    format: ExportFormat,
    range: Range,
    out: Option<&Path>,
) -> Result<u64> {
    let conn = export::open_read_only(&config.database.path)?;
    audit::record_beside_service(
        &config.database.path,
        &audit_entry(
            Actor::System,
            kind,
            format,
            range,
            &out.map_or_else(|| "stdout".to_string(), |p| p.display().to_string()),
        ),
        crate::now_ms(),
    )?;
    match out {
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            write(&conn, kind, format, range, &mut w)
        }
        Some(path) => {
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = std::path::PathBuf::from(partial);
            let file = std::fs::File::create(&partial)
                .map_err(|e| Error::io_path("create", &partial, e))?;
            let mut w = BufWriter::new(file);
            let written = write(&conn, kind, format, range, &mut w).and_then(|n| {
                w.into_inner()
                    .map_err(|e| Error::io_path("write", &partial, e.into_error()))?
                    .sync_all()
                    .map_err(|e| Error::io_path("write", &partial, e))?;
                std::fs::rename(&partial, path).map_err(|e| Error::io_path("write", path, e))?;
                Ok(n)
            });
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written
        }
    }
}
