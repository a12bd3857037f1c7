//! WAL checkpoints on a thread of their own.
//!
//! SQLite checkpoints the write-ahead log inside the commit that takes it past
//! 1,000 pages: that commit, on the writer thread every update waits for, then
//! copies the log into the database file and syncs it. With
//! `synchronous = "normal"` that was the webhook's p99 under load (3–4 ms, against
//! under 1 ms without it; measured with the relay benchmark). So the service's
//! connection does not checkpoint: its WAL hook tells this thread when the log has
//! grown past [`PAGES`], and the thread runs a PASSIVE checkpoint (the kind SQLite
//! would have run, which never blocks a writer) on a connection of its own while the
//! writer goes on.
//!
//! A checkpoint beside a writer copies the log only up to where it was when the
//! checkpoint began, and the log starts over only once it is copied whole; under
//! writes without a pause it would grow without end. So past [`MAX_PAGES`] the
//! committing connection checkpoints inline, as SQLite does by itself, copying only
//! what this thread has not yet copied.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tracing::{debug, warn};

use crate::error::Result;

/// The log size (pages) that asks for a checkpoint: SQLite's own default.
pub const PAGES: i32 = 1000;

/// The log size (pages) past which the committing connection checkpoints inline.
pub const MAX_PAGES: i32 = 8 * PAGES;

/// Bumped each time a commit leaves a log of [`PAGES`] or more. The WAL hook is a
/// plain function (no state of its own), so this is one for the process: every
/// checkpointer wakes, and one with nothing to copy is done at once.
static GROWN: Signal = Signal::new();

/// A counter and the condition variable of its changes.
struct Signal {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Signal {
    const fn new() -> Signal {
        Signal {
            count: Mutex::new(0),
            changed: Condvar::new(),
        }
    }

    fn get(&self) -> u64 {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        *count += 1;
        self.changed.notify_all();
    }

    /// Wait until the count differs from `seen` or `stop` holds; the count.
    fn wait_past(&self, seen: u64, stop: &AtomicBool) -> u64 {
        let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let count = self
            .changed
            .wait_while(count, |c| *c == seen && !stop.load(Ordering::Acquire))
            .unwrap_or_else(PoisonError::into_inner);
        *count
    }

    /// Wait until the count reaches `n` or `timeout` passes; the count.
    fn wait_for(&self, n: u64, timeout: Duration) -> u64 {
        let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let (count, _) = self
            .changed
            .wait_timeout_while(count, timeout, |c| *c < n)
            .unwrap_or_else(PoisonError::into_inner);
        *count
    }
}

fn on_commit(wal: &rusqlite::hooks::Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    if pages >= MAX_PAGES {
        // A failure here would fail the commit that has already happened: log it.
        if let Err(e) = wal.checkpoint_v2(rusqlite::hooks::CheckpointMode::PASSIVE) {
            log_failure(&e, pages);
        }
    } else if pages >= PAGES {
        GROWN.bump();
    }
    Ok(())
}

/// The checkpoint thread of one database; stopped when dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
    done: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Turn `conn`'s own checkpoints off and start the thread that does them, with
    /// a connection of its own to `path` at the same `synchronous` level.
    pub fn start(conn: &Connection, path: &Path, synchronous: &str) -> Result<Checkpointer> {
        let own = Connection::open(path)?;
        own.pragma_update(None, "synchronous", synchronous)?;
        // Setting wal_autocheckpoint replaces the WAL hook: first this, then ours.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.wal_hook(Some(on_commit));
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(Signal::new());
        let thread = {
            let (stop, done) = (stop.clone(), done.clone());
            std::thread::Builder::new()
                .name("relaydesk-checkpoint".into())
                .spawn(move || run(&own, &stop, &done))
                .map_err(|e| crate::Error::io("start the checkpoint thread", e))?
        };
        Ok(Checkpointer {
            stop,
            done,
            thread: Some(thread),
        })
    }

    /// Checkpoints run so far.
    pub fn done(&self) -> u64 {
        self.done.get()
    }

    /// Wait until `n` checkpoints have run (or `timeout` passed); how many have.
    pub fn wait_done(&self, n: u64, timeout: Duration) -> u64 {
        self.done.wait_for(n, timeout)
    }
}

fn run(conn: &Connection, stop: &AtomicBool, done: &Signal) {
    let mut seen = GROWN.get();
    loop {
        seen = GROWN.wait_past(seen, stop);
        if stop.load(Ordering::Acquire) {
            break;
        }
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        }) {
            Ok((log, copied)) => debug!(log, copied, "WAL checkpoint"),
            // The next commit past the threshold asks again.
            Err(e) => log_failure(&e, -1),
        }
        done.bump();
    }
}

/// Busy means another checkpoint (the thread's, or the inline one) is running:
/// expected now and then. Anything else is worth a warning.
fn log_failure(e: &rusqlite::Error, pages: i32) {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
        debug!(pages, "WAL checkpoint skipped: another one is running");
    } else {
        warn!(error = %e, pages, "WAL checkpoint failed");
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Under the lock, so the thread is either waiting (and woken) or will see
        // `stop` before it waits.
        drop(GROWN.count.lock().unwrap_or_else(PoisonError::into_inner));
        GROWN.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn wal_bytes(path: &Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// Commits of about `pages` pages of new rows.
    fn write_pages(store: &Store, pages: usize) {
        let conn = store.lock();
        for _ in 0..pages / 4 {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (hex(randomblob(8)), hex(randomblob(8000)))",
                [],
            )
            .unwrap();
        }
    }

    #[test]
    fn the_log_is_checkpointed_by_the_thread_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let store = Store::open(&path).unwrap();
        let checkpoints = store.checkpointer();
        // The service's connection no longer checkpoints by itself.
        let auto: i64 = store
            .lock()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap();
        assert_eq!(auto, 0);
        for round in 1..=8 {
            let before = checkpoints.done();
            write_pages(&store, 2 * PAGES as usize);
            let after = checkpoints.wait_done(before + 1, Duration::from_secs(20));
            assert!(after > before, "round {round}: no checkpoint ran");
        }
        // Without checkpoints eight rounds of 2,000 pages would leave a log of
        // 16,000 pages (64 MiB); it starts over once copied whole, and at the
        // latest past MAX_PAGES.
        let limit = (MAX_PAGES + 3 * PAGES) as u64 * 4200;
        assert!(
            wal_bytes(&path) < limit,
            "WAL grew to {} bytes",
            wal_bytes(&path)
        );
        let rows: i64 = store
            .lock()
            .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
            .unwrap();
        assert!(rows >= 8 * 500);
    }

    #[test]
    fn dropping_the_store_stops_the_thread_and_closes_its_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let store = Store::open(&path).unwrap();
        // The thread's connection has read the log (a checkpoint ran).
        write_pages(&store, 2 * PAGES as usize);
        assert!(store.checkpointer().wait_done(1, Duration::from_secs(20)) >= 1);
        drop(store);
        // SQLite removes the log when the last connection to the database closes:
        // a thread still running would still hold its connection.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        assert!(!Path::new(&wal).exists(), "the WAL is still open");
        let again = Store::open(&path).unwrap();
        let rows: i64 = again
            .lock()
            .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
            .unwrap();
        assert!(rows >= 500);
    }
}
