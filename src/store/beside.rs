//! The database opened by the command line beside a running service (exports,
//! the audit log): SQLite WAL lets both work at once.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// Open the existing database at `path` from another process than the service's
/// (the command line), waiting up to 10 s for the service's transaction under way
/// (SQLite WAL).
pub fn open_beside_service(path: &Path, mode: OpenFlags) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::io_path(
            "open the database",
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}
