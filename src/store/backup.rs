//! `relaydesk backup PATH` (SPEC §9): a consistent copy of the database while the
//! service writes to it, through SQLite's online backup, then checked with
//! `PRAGMA integrity_check`. Never overwrites: the copy is made beside PATH and
//! linked into place only once verified, and only if nothing is there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use crate::error::{Error, Result};

/// What a backup copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub pages: i64,
    pub bytes: u64,
}

fn exists_error(path: &Path) -> Error {
    Error::io_path(
        "back up to",
        path,
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it exists already; a backup never overwrites",
        ),
    )
}

fn failed(path: &Path, what: String) -> Error {
    Error::io_path("back up to", path, std::io::Error::other(what))
}

/// Copy the database at `db` to `to`, which must not exist, while the service may
/// be writing to it. The whole copy is one step, so it is one snapshot of the
/// database (a read transaction: in WAL mode the service's writes go on
/// meanwhile, and none of them is half in the copy).
pub fn backup(db: &Path, to: &Path) -> Result<Copied> {
    if to.exists() {
        return Err(exists_error(to));
    }
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    // Reserve the name: a second backup to the same place at once is refused.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| Error::io_path("create", &partial, e))?;
    let result = copy_and_verify(db, &partial).and_then(|copied| {
        // A hard link fails if `to` appeared meanwhile: still no overwrite.
        std::fs::hard_link(&partial, to).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                exists_error(to)
            } else {
                Error::io_path("back up to", to, e)
            }
        })?;
        Ok(copied)
    });
    let _ = std::fs::remove_file(&partial);
    result
}

fn copy_and_verify(db: &Path, partial: &Path) -> Result<Copied> {
    let source = super::export::open_read_only(db)?;
    let mut copy = Connection::open(partial)?;
    {
        let backup = Backup::new(&source, &mut copy)?;
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                // The service holds a lock for a moment (a checkpoint): again.
                _ => {
                    tries += 1;
                    if tries > 1_000 {
                        return Err(failed(partial, "the database stayed locked".into()));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
    drop(source);
    let check: Vec<String> = copy
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if check != ["ok"] {
        return Err(failed(
            partial,
            format!("integrity_check of the copy: {}", check.join("; ")),
        ));
    }
    let pages: i64 = copy.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    // One file, nothing beside it: no write-ahead log to carry along.
    copy.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    drop(copy);
    let file = std::fs::File::open(partial).map_err(|e| Error::io_path("open", partial, e))?;
    file.sync_all()
        .map_err(|e| Error::io_path("sync", partial, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| Error::io_path("read", partial, e))?
        .len();
    Ok(Copied { pages, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::testing::verified_customer;

    #[test]
    fn a_copy_is_verified_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.sqlite3");
        let store = Store::open(&db).unwrap();
        verified_customer(&store.lock(), 7, "Ann");
        let to = dir.path().join("copy.sqlite3");
        let copied = backup(&db, &to).unwrap();
        assert!(copied.pages > 1 && copied.bytes > 0, "{copied:?}");
        let copy = Connection::open(&to).unwrap();
        let name: String = copy
            .query_row("SELECT first_name FROM customers WHERE id = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(name, "Ann");
        let mode: String = copy
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        drop(copy);
        let before = std::fs::read(&to).unwrap();
        let e = backup(&db, &to).unwrap_err();
        assert!(e.to_string().contains("exists already"), "{e}");
        assert_eq!(std::fs::read(&to).unwrap(), before);
        assert!(!dir.path().join("copy.sqlite3.partial").exists());
        let e = backup(&dir.path().join("none.sqlite3"), &dir.path().join("b")).unwrap_err();
        assert!(e.to_string().contains("none.sqlite3"), "{e}");
        assert!(!dir.path().join("b").exists());
    }
}
