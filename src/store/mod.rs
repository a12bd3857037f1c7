//! The one SQLite database: opening, pragmas, migrations, and access from async code.
//!
//! A single connection behind a mutex: SQLite serialises writers anyway, and one
//! connection keeps every read consistent with the last commit. Blocking work runs on
//! tokio's blocking pool through [`Store::run`].

pub mod apply;
pub mod archive;
pub mod audit;
pub mod checkpoint;
pub mod console;
pub mod csat;
pub mod deadlines;
pub mod desk;
pub mod export;
pub mod figures;
pub mod health;
mod ids;
pub mod mail;
pub mod outbox;
pub mod schema;
pub mod secret;
pub mod stats;
#[cfg(test)]
mod testing;
pub mod updates;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::domain::CodeKey;
use crate::error::{Error, Result, ensure_parent};

/// Statements from the connection's cache: a hot path runs the same few statements
/// thousands of times a second, and compiling SQL each time was a third of the
/// service's CPU time under load (measured with `perf` in the relay benchmark).
pub trait Cached {
    /// [`Connection::execute`] with a cached statement.
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// [`Connection::query_row`] with a cached statement.
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
    /// Statements without parameters or results (savepoints), one after another.
    fn run_each(&self, sqls: &[&str]) -> rusqlite::Result<()>;
}

impl Cached for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn run_each(&self, sqls: &[&str]) -> rusqlite::Result<()> {
        for sql in sqls {
            self.prepare_cached(sql)?.execute([])?;
        }
        Ok(())
    }
}

thread_local! {
    /// Set while the writer thread runs a group of jobs without savepoints.
    static OPTIMISTIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` optimistically on this thread: [`guarded`] work runs without a savepoint
/// and its failure fails the whole of `f`, which the caller must then roll back and
/// run again without this (each part in its savepoint). Savepoints cost a copy of
/// every page they touch; a group of a hundred updates that all succeed needs none.
pub fn optimistically<T>(f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            OPTIMISTIC.set(false);
        }
    }
    OPTIMISTIC.set(true);
    let _reset = Reset;
    f()
}

/// Run `f`, whose writes must be undone if it fails, in the savepoint `name`:
/// `Ok(Err(e))` when it failed and was rolled back. Inside [`optimistically`], no
/// savepoint: a failure is returned as the outer error (the caller's whole
/// transaction is then rolled back and run again with savepoints).
pub fn guarded<T>(
    conn: &Connection,
    name: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<Result<T>> {
    if OPTIMISTIC.get() {
        return f().map(Ok);
    }
    conn.run_each(&[&format!("SAVEPOINT {name}")])?;
    match f() {
        Ok(v) => {
            conn.run_each(&[&format!("RELEASE {name}")])?;
            Ok(Ok(v))
        }
        Err(e) => {
            conn.run_each(&[&format!("ROLLBACK TO {name}"), &format!("RELEASE {name}")])?;
            Ok(Err(e))
        }
    }
}

/// How many compiled statements the connection keeps (every fixed statement of the
/// service fits).
const STATEMENT_CACHE: usize = 256;

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    checkpointer: Arc<checkpoint::Checkpointer>,
    code_key: Arc<CodeKey>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (creating if needed) the database and migrate it to the latest schema;
    /// read the code key next to it (made if there is none).
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_at(path, None, "FULL")
    }

    /// Open with the configured durability.
    pub fn open_with(config: &crate::config::DatabaseConfig) -> Result<Store> {
        Self::open_at(&config.path, None, config.synchronous.as_str())
    }

    /// Open and migrate only up to `version` (tests of forward migration use this).
    pub fn open_at_version(path: &Path, version: usize) -> Result<Store> {
        Self::open_at(path, Some(version), "FULL")
    }

    fn open_at(path: &Path, version: Option<usize>, synchronous: &str) -> Result<Store> {
        ensure_parent(path)?;
        let code_key = secret::load_or_create(&secret::key_path(path))?;
        let mut conn = Connection::open(path)?;
        configure(&conn, synchronous)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let migrations = schema::migrations();
        match version {
            Some(v) => migrations.to_version(&mut conn, v)?,
            None => migrations.to_latest(&mut conn)?,
        }
        let checkpointer = checkpoint::Checkpointer::start(&conn, path, synchronous)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
            checkpointer: Arc::new(checkpointer),
            code_key: Arc::new(code_key),
        })
    }

    /// The installation's key for the hashes of onboarding codes, kept next to the
    /// database (see [`secret`]).
    pub fn code_key(&self) -> &CodeKey {
        &self.code_key
    }

    /// The thread that checkpoints the write-ahead log.
    pub fn checkpointer(&self) -> &checkpoint::Checkpointer {
        &self.checkpointer
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lock the connection on the current thread. A panic while it was held leaves
    /// nothing half-done (an open transaction rolls back when dropped), so a
    /// poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run blocking database work on the blocking pool.
    pub async fn run<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<usize> {
        let conn = self.lock();
        let v: i64 = conn.row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(usize::try_from(v).unwrap_or(0))
    }
}

fn configure(conn: &Connection, synchronous: &str) -> Result<()> {
    // WAL: readers never block the writer. synchronous=FULL (the default): a commit
    // is on disk before we answer Telegram 200, so not even a power cut loses an
    // update. Checkpoints run on their own thread (see `checkpoint`).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // One plan per statement, whatever its parameters: without this SQLite
    // recompiles a cached statement whose LIMIT is a parameter every time it is
    // bound (the outbox's heads query, run on every send, was 7 % of the service's
    // CPU time). Every query here is written for its index anyway.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(())
}

/// Read a value from the `meta` key/value table.
pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// Write a value to the `meta` key/value table.
pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;

    #[test]
    fn fresh_database_is_at_latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db/x.sqlite3")).unwrap();
        assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    }

    #[test]
    fn the_code_key_is_made_beside_the_database_and_kept_across_starts() {
        use crate::domain::code_hash;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db/x.sqlite3");
        let first = code_hash(
            Store::open(&path).unwrap().code_key(),
            CustomerId(1),
            "123456",
        );
        let key_file = dir.path().join("db/relaydesk.key");
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().len(),
            crate::domain::CodeKey::LEN as u64
        );
        let again = code_hash(
            Store::open(&path).unwrap().code_key(),
            CustomerId(1),
            "123456",
        );
        assert_eq!(first, again);
        // A damaged key stops the start, naming the file.
        std::fs::write(&key_file, b"short").unwrap();
        let e = Store::open(&path).unwrap_err().to_string();
        assert!(e.contains(&key_file.display().to_string()), "{e}");
    }

    #[test]
    fn older_database_migrates_forward_without_loss() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let old = Store::open_at_version(&path, 1).unwrap();
            assert_eq!(old.schema_version().unwrap(), 1);
            let conn = old.lock();
            meta_set(&conn, "poll_offset", "42").unwrap();
            conn.exec(
                "INSERT INTO updates (update_id, received_at, source, kind, outcome, raw)
                 VALUES (7, 1, 'webhook', 'message', 'handled', '{}')",
                [],
            )
            .unwrap();
            conn.exec(
                "INSERT INTO outbox (created_at, chat_id, method, params) VALUES (1, 5, 'sendMessage', '{}')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), schema::latest_version());
        let conn = store.lock();
        assert_eq!(
            meta_get(&conn, "poll_offset").unwrap().as_deref(),
            Some("42")
        );
        let n: i64 = conn
            .row(
                "SELECT count(*) FROM updates WHERE update_id = 7",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        let pending: i64 = conn
            .row(
                "SELECT count(*) FROM outbox WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(pending, 1);
        // The new tables exist and work.
        conn.exec(
            "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (1, 'A', 0, 0)",
            [],
        )
        .unwrap();
    }

    #[test]
    fn code_changes_touch_only_the_customers_latest_code() {
        use crate::domain::{Change, Decision};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("x.sqlite3")).unwrap();
        let conn = store.lock();
        for (customer, codes) in [(1, 2), (2, 1)] {
            conn.exec(
                "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (?1, 'C', 0, 0)",
                [customer],
            )
            .unwrap();
            for _ in 0..codes {
                conn.exec(
                    "INSERT INTO auth_codes (customer_id, email, code_hash, created_at, expires_at)
                     VALUES (?1, 'c@example.com', 'h', 0, 1)",
                    [customer],
                )
                .unwrap();
            }
        }
        let decision = Decision {
            changes: vec![
                Change::CodeAttempt {
                    customer: CustomerId(1),
                },
                Change::CodeAttempt {
                    customer: CustomerId(1),
                },
                Change::CodeUsed {
                    customer: CustomerId(1),
                },
                Change::CodeSendFailed {
                    customer: CustomerId(2),
                },
            ],
            effects: Vec::new(),
        };
        apply::apply(&conn, &decision, 77).unwrap();
        let codes: Vec<(i64, i64, Option<i64>, i64)> = conn
            .prepare(
                "SELECT customer_id, attempts, used_at, send_failed FROM auth_codes ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            codes,
            [(1, 0, None, 0), (1, 2, Some(77), 0), (2, 0, None, 1)]
        );
    }

    #[test]
    fn invariants_are_enforced_by_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("x.sqlite3")).unwrap();
        let conn = store.lock();
        for id in [1, 2] {
            conn.exec(
                "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (?1, 'C', 0, 0)",
                [id],
            )
            .unwrap();
        }
        let open = |customer: i64, status: &str, specialist: Option<i64>| {
            conn.exec(
                "INSERT INTO communications (customer_id, status, specialist_id, opened_at) VALUES (?1, ?2, ?3, 0)",
                rusqlite::params![customer, status, specialist],
            )
        };
        open(1, "assigned", Some(100)).unwrap();
        // A second open communication of the same customer is refused.
        assert!(open(1, "unassigned", None).is_err());
        // A second active communication of the same specialist is refused.
        assert!(open(2, "assigned", Some(100)).is_err());
        // Assigned without a specialist is refused.
        assert!(open(2, "assigned", None).is_err());
        open(2, "unassigned", None).unwrap();
        // Closed ones do not count.
        conn.exec(
            "UPDATE communications SET status = 'closed' WHERE customer_id = 1",
            [],
        )
        .unwrap();
        open(1, "unassigned", None).unwrap();
    }
}
