//! Retention (SPEC §9, `[retention]`): once a day, and soon after the start, the
//! communications closed longer than `closed_after` ago lose their stored messages
//! (`store/retention.rs`) and their archive files: everything under their
//! `files/`, their zips under `.exports/`, and the transcript unless
//! `keep_transcripts`. Files go first, then the rows in one transaction: a run cut
//! short leaves communications to finish next time, never rows without their files
//! accounted for. A file is removed only when its canonical path is inside the
//! canonical `archive.dir`: a symlink (or a folder reached through one) pointing
//! outside is refused and logged, never followed. `relaydesk retention` runs the
//! same [`plan`] and [`carry_out`] from the command line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::RetentionConfig;
use crate::domain::archive::folder;
use crate::error::Result;
use crate::store::Store;
use crate::store::retention::{self as rows, Expired, Removed};

/// How soon after the start the first run is (the service may restart daily).
const FIRST_RUN: Duration = Duration::from_secs(2);
const EVERY: Duration = Duration::from_secs(24 * 3600);
/// A failed run is tried again this much later.
const RETRY: Duration = Duration::from_secs(3600);

/// What one run removes: the communications, and the files of each.
#[derive(Debug, Default)]
pub struct Plan {
    pub items: Vec<Item>,
    /// Paths refused: outside the archive once resolved.
    pub refused: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct Item {
    pub expired: Expired,
    /// Files (and symlinks inside the archive) to remove, deepest first; then the
    /// folders in `dirs`.
    pub files: Vec<PathBuf>,
    pub dirs: Vec<PathBuf>,
}

impl Plan {
    pub fn messages(&self) -> i64 {
        self.items.iter().map(|i| i.expired.messages).sum()
    }
    pub fn files(&self) -> usize {
        self.items.iter().map(|i| i.files.len()).sum()
    }
}

/// The moment before which a communication must have closed for retention to
/// take its data; `None` when retention is off.
pub fn cutoff(config: &RetentionConfig, now: i64) -> Option<i64> {
    let ms = i64::try_from(config.closed_after.as_millis()).unwrap_or(i64::MAX);
    (ms > 0).then(|| now.saturating_sub(ms))
}

/// What retention would remove now: read from the database, then the disk (no
/// change to either).
pub fn plan(conn: &Connection, archive: &Path, config: &RetentionConfig, now: i64) -> Result<Plan> {
    let Some(cutoff) = cutoff(config, now) else {
        return Ok(Plan::default());
    };
    let expired = rows::expired(conn, cutoff)?;
    Ok(plan_files(archive, config.keep_transcripts, expired))
}

fn plan_files(archive: &Path, keep_transcripts: bool, expired: Vec<Expired>) -> Plan {
    let mut plan = Plan::default();
    // No archive folder at all: nothing on disk to remove.
    let root = std::fs::canonicalize(archive).ok();
    for e in expired {
        let mut item = Item {
            expired: e,
            files: Vec::new(),
            dirs: Vec::new(),
        };
        if let Some(root) = &root {
            let dir = folder(archive, item.expired.customer.0, item.expired.comm.0);
            let mut walk = Walk {
                root,
                files: &mut item.files,
                dirs: &mut item.dirs,
                refused: &mut plan.refused,
            };
            walk.entry(&dir.join("files"));
            if !keep_transcripts {
                walk.entry(&dir.join("transcript.txt"));
            }
            let zips = format!("{}-", item.expired.comm.0);
            for zip in list(&archive.join(".exports")) {
                let name = zip.file_name().map(|n| n.to_string_lossy().into_owned());
                if name.is_some_and(|n| n.starts_with(&zips)) {
                    walk.entry(&zip);
                }
            }
        }
        plan.items.push(item);
    }
    plan
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Collects what may be removed under the canonical archive `root`.
struct Walk<'a> {
    root: &'a Path,
    files: &'a mut Vec<PathBuf>,
    dirs: &'a mut Vec<PathBuf>,
    refused: &'a mut Vec<PathBuf>,
}

impl Walk<'_> {
    fn inside(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(self.root) && p != self.root)
    }

    /// `path` and, for a real folder, everything in it: a symlink is checked where
    /// it points (and only the link would go), never followed.
    fn entry(&mut self, path: &Path) {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return; // not there
        };
        // The folder holding it must resolve inside the archive too (a symlinked
        // customer or communication folder).
        let parent_inside = path.parent().is_some_and(|p| self.inside(p));
        if !parent_inside || (meta.file_type().is_symlink() && !self.inside(path)) {
            warn!(path = %path.display(), "retention: refused, outside the archive folder once resolved");
            self.refused.push(path.to_path_buf());
            return;
        }
        if meta.is_dir() {
            for child in list(path) {
                self.entry(&child);
            }
            self.dirs.push(path.to_path_buf());
        } else {
            self.files.push(path.to_path_buf());
        }
    }
}

/// Remove the planned files and then, in one transaction, the rows (with the
/// run's audit line). A file that cannot be removed is logged and its
/// communication left for the next run.
pub fn carry_out(conn: &mut Connection, plan: Plan, now: i64) -> Result<Removed> {
    let (done, files) = remove_files(plan);
    rows::prune(conn, &done, files, now)
}

/// Remove the planned files: the communications whose files all went, and how
/// many files were removed.
fn remove_files(plan: Plan) -> (Vec<Expired>, usize) {
    let mut done = Vec::new();
    let mut files = 0;
    for item in plan.items {
        let mut ok = true;
        for f in &item.files {
            match std::fs::remove_file(f) {
                Ok(()) => files += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    ok = false;
                    error!(path = %f.display(), error = %e, "retention: cannot remove a file");
                }
            }
        }
        for d in &item.dirs {
            // Left when something refused is still in it.
            let _ = std::fs::remove_dir(d);
        }
        if ok {
            done.push(item.expired);
        }
    }
    (done, files)
}

/// Run retention now on the service's store: the database is read and written
/// under its lock, the disk worked on outside it.
async fn run_once(store: &Store, archive: PathBuf, config: RetentionConfig) -> Result<Removed> {
    let Some(cutoff) = cutoff(&config, crate::now_ms()) else {
        return Ok(Removed::default());
    };
    let expired = store.run(move |c| rows::expired(c, cutoff)).await?;
    if expired.is_empty() {
        return Ok(Removed::default());
    }
    let keep = config.keep_transcripts;
    let (done, files) =
        tokio::task::spawn_blocking(move || remove_files(plan_files(&archive, keep, expired)))
            .await
            .map_err(|e| crate::Error::Task(e.to_string()))?;
    store
        .run(move |c| rows::prune(c, &done, files, crate::now_ms()))
        .await
}

/// Run retention daily (the first run soon after the start) until `stop`. Does
/// nothing when `closed_after` is zero.
pub async fn run(store: Store, archive: PathBuf, config: RetentionConfig, stop: CancellationToken) {
    if cutoff(&config, 0).is_none() {
        return;
    }
    let mut next = Instant::now() + FIRST_RUN;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        next = match run_once(&store, archive.clone(), config.clone()).await {
            Ok(r) => {
                if r.communications > 0 || r.files > 0 {
                    info!(
                        communications = r.communications,
                        messages = r.messages,
                        files = r.files,
                        "retention: old closed communications pruned"
                    );
                }
                Instant::now() + EVERY
            }
            Err(e) => {
                error!(error = %e, "retention failed; trying again in an hour");
                Instant::now() + RETRY
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CommId, CustomerId};

    fn expired(customer: i64, comm: i64) -> Expired {
        Expired {
            comm: CommId(comm),
            customer: CustomerId(customer),
            closed_at: 0,
            messages: 0,
        }
    }

    #[test]
    fn nothing_outside_the_archive_is_planned_through_a_symlink_or_dotdot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(outside.join("files")).unwrap();
        std::fs::write(outside.join("files").join("precious"), "x").unwrap();
        std::fs::write(outside.join("transcript.txt"), "x").unwrap();
        // 1/10: its files/ folder is a link out; 1/11 a link out itself; 2/20 real,
        // with a file, a link out and a link to a sibling inside the archive.
        std::fs::create_dir_all(root.join("1").join("10")).unwrap();
        std::os::unix::fs::symlink(outside.join("files"), root.join("1/10/files")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("1/11")).unwrap();
        std::fs::create_dir_all(root.join("2/20/files")).unwrap();
        std::fs::write(root.join("2/20/files/a.pdf"), "a").unwrap();
        std::fs::write(root.join("2/20/transcript.txt"), "t").unwrap();
        std::os::unix::fs::symlink(outside.join("transcript.txt"), root.join("2/20/files/out"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("2/20/transcript.txt"), root.join("2/20/files/in"))
            .unwrap();
        // Reached with `..` in the archive path itself: resolved first.
        let dotted = root.join("2").join("..");
        let plan = plan_files(
            &dotted,
            false,
            vec![expired(1, 10), expired(1, 11), expired(2, 20)],
        );
        let planned: Vec<&PathBuf> = plan.items.iter().flat_map(|i| &i.files).collect();
        assert_eq!(
            planned,
            [
                &dotted.join("2/20/files/a.pdf"),
                &dotted.join("2/20/files/in"),
                &dotted.join("2/20/transcript.txt"),
            ]
        );
        assert_eq!(plan.refused.len(), 4, "{:?}", plan.refused);
        let (done, files) = remove_files(plan);
        assert_eq!((done.len(), files), (3, 3));
        assert!(outside.join("files/precious").exists());
        assert!(outside.join("transcript.txt").exists());
        assert!(
            root.join("2/20/files/out").exists(),
            "the refused link stays"
        );
    }
}
