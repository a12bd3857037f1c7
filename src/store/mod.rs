//! The one SQLite database: opening, pragmas, migrations, and access from async code.
//!
//! A single connection behind a mutex: SQLite serialises writers anyway, and one
//! connection keeps every read consistent with the last commit. Blocking work runs on
//! tokio's blocking pool through [`Store::run`].

/// `T { a, b, c }` read from `row`, whose columns are `a, b, c` in that order:
/// each field from the next column (none numbered by hand), with its type's
/// `FromSql`. Fields computed otherwise follow a `;` as `name: expression`.
macro_rules! from_row {
    ($row:expr => $T:ident { $($field:ident),+ $(; $($name:ident: $value:expr),+)? $(,)? }) => {{
        let row: &rusqlite::Row<'_> = $row;
        let mut column = 0usize;
        let mut next = || {
            column += 1;
            column - 1
        };
        rusqlite::Result::<$T>::Ok($T {
            $($field: row.get(next())?,)+
            $($($name: $value,)+)?
        })
    }};
}

pub mod apply;
pub mod archive;
pub mod audit;
pub mod backup;
mod beside;
pub mod canned;
pub mod checkpoint;
pub mod console;
pub mod csat;
pub mod deadlines;
pub mod desk;
pub mod export;
pub mod figures;
pub mod health;
mod ids;
pub mod import;
pub mod mail;
pub mod moves;
pub mod outbox;
pub mod retention;
pub mod schema;
mod schema_sums;
pub mod secret;
pub mod series;
pub mod stats;
#[cfg(test)]
pub(crate) mod testing;
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
    /// The first column of the one row of a cached statement (a count, an
    /// `EXISTS`, a `max`).
    fn value<T, P>(&self, sql: &str, params: P) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        T: rusqlite::types::FromSql,
    {
        self.row(sql, params, |r| r.get(0))
    }
    /// Every row of [`rusqlite::Statement::query_map`] with a cached statement, each
    /// read by `f`.
    fn rows<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<Vec<T>>
    where
        P: rusqlite::Params,
        F: FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
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

    fn rows<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<Vec<T>>
    where
        P: rusqlite::Params,
        F: FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_map(params, f)?.collect()
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
mod tests;
