//! The archive worker: rewrites the transcripts of communications that changed,
//! downloads their files through `getFile`, and builds the zips asked for.

use crate::domain::ChatId;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::domain::archive::{MAX_DOWNLOAD, MAX_ZIP_PART, blocked_transcript, folder};
use crate::domain::texts::Texts;
use crate::domain::transcript::Transcript;
use crate::domain::{CommId, Outgoing, StaffId};
use crate::error::{Error, Result};
use crate::runtime::live::Live;
use crate::runtime::wake::{Backoff, Wake, sleep_until_opt};
use crate::store::archive::{self as queue, FileStatus, PendingFile, Progress};
use crate::store::{Store, desk};
use crate::telegram::{ApiError, BotApi};

/// Give up on a file after this many failed downloads.
const MAX_ATTEMPTS: i64 = 10;
/// Exported zips are removed after a day.
const EXPORT_TTL: Duration = Duration::from_secs(24 * 3600);
/// Most transcripts brought up to date in one round.
const TRANSCRIPTS_PER_ROUND: usize = 64;

pub struct ArchiveWorker {
    pub store: Store,
    pub api: BotApi,
    /// The configuration in force: the specialists' names and the staff's texts
    /// (transcript headers) of a reload are in the transcripts written after it
    /// (`archive.dir` needs a restart).
    pub live: Live,
    pub wake: Wake,
    pub outbox_wake: Wake,
}

impl ArchiveWorker {
    fn root(&self) -> PathBuf {
        self.live.config().archive.dir.clone()
    }

    pub async fn run(self, stop: CancellationToken) {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(300),
        };
        loop {
            if stop.is_cancelled() {
                return;
            }
            if let Err(e) = self.transcripts().await {
                error!(error = %e, "archive: cannot write transcripts");
            }
            if let Err(e) = self.blocked().await {
                error!(error = %e, "archive: cannot write blocked customers' messages");
            }
            let mut busy = false;
            match self.next_file().await {
                Ok(Some(file)) => {
                    busy = true;
                    self.download(file, &backoff).await;
                }
                Ok(None) => {}
                Err(e) => error!(error = %e, "archive: cannot read the file queue"),
            }
            match self.zip_request().await {
                Ok(true) => busy = true,
                Ok(false) => {}
                Err(e) => error!(error = %e, "archive: cannot build a zip"),
            }
            if busy {
                continue;
            }
            self.clean_exports();
            let next = self
                .store
                .run(|c| queue::next_file_at(c))
                .await
                .ok()
                .flatten()
                .map(|at| {
                    let wait = u64::try_from(at - crate::now_ms()).unwrap_or(0);
                    Instant::now() + Duration::from_millis(wait.max(50))
                });
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.wake.wait() => {}
                _ = sleep_until_opt(next) => {}
            }
        }
    }

    /// Bring every transcript marked dirty up to date: new lines appended, or the
    /// whole file rewritten when its header or a file's state changed. The data is
    /// read under the database lock; the file is written after it is released.
    async fn transcripts(&self) -> Result<()> {
        let root = self.root();
        let rules = self.live.get();
        let plans = self
            .store
            .run(move |conn| plan_transcripts(conn, &root, &rules.config, &rules.texts))
            .await?;
        for plan in plans {
            let written = tokio::task::spawn_blocking({
                let plan = plan.clone();
                move || plan.write()
            })
            .await
            .map_err(|e| Error::Task(e.to_string()))?;
            let bytes = match written {
                Ok(bytes) => bytes,
                Err(e) => {
                    error!(comm = plan.comm, error = %e, "archive: transcript not written; will retry");
                    return Err(e);
                }
            };
            self.store
                .run(move |c| {
                    let progress = Progress {
                        last_message: plan.last_message,
                        bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
                    };
                    queue::set_progress(c, plan.comm, progress)?;
                    // Unless it changed again meanwhile.
                    queue::written(c, plan.comm, plan.version)
                })
                .await?;
        }
        Ok(())
    }

    /// Append blocked customers' later messages to
    /// `archive/<customer>/blocked/transcript.txt` (kept, never relayed).
    async fn blocked(&self) -> Result<()> {
        loop {
            let lines = self
                .store
                .run(|c| queue::pending_blocked(c, TRANSCRIPTS_PER_ROUND))
                .await?;
            let Some(last) = lines.last().map(|l| l.id) else {
                return Ok(());
            };
            let root = self.root();
            tokio::task::spawn_blocking(move || append_blocked(&root, &lines))
                .await
                .map_err(|e| Error::Task(e.to_string()))??;
            self.store
                .run(move |c| queue::blocked_archived(c, last))
                .await?;
        }
    }

    async fn next_file(&self) -> Result<Option<PendingFile>> {
        let now = crate::now_ms();
        self.store.run(move |c| queue::next_file(c, now)).await
    }

    async fn download(&self, file: PendingFile, backoff: &Backoff) {
        let result = if file
            .size
            .is_some_and(|s| u64::try_from(s).unwrap_or(0) > MAX_DOWNLOAD)
        {
            Ok(Fetched::TooLarge)
        } else {
            self.fetch(&file).await
        };
        let (status, error, not_before) = match result {
            Ok(Fetched::Saved) => (FileStatus::Saved, None, 0),
            Ok(Fetched::TooLarge) => (FileStatus::TooLarge, None, 0),
            Err(e) => {
                let attempt = file.attempts + 1;
                match e {
                    ApiError::Permanent { description, .. } => {
                        warn!(id = file.id, %description, "archive: file cannot be downloaded");
                        (FileStatus::Failed, Some(description), 0)
                    }
                    e if attempt >= MAX_ATTEMPTS => (FileStatus::Failed, Some(e.to_string()), 0),
                    e => {
                        let wait = match &e {
                            ApiError::RetryAfter(d) => *d,
                            _ => backoff.delay(attempt),
                        };
                        warn!(id = file.id, error = %e, "archive: download failed, will retry");
                        let at =
                            crate::now_ms() + i64::try_from(wait.as_millis()).unwrap_or(60_000);
                        (FileStatus::Pending, Some(e.to_string()), at)
                    }
                }
            }
        };
        let id = file.id;
        let comm = file.comm;
        let recorded = self
            .store
            .run(move |c| {
                queue::record_attempt(c, id, status, error.as_deref(), not_before)?;
                if status != FileStatus::Pending {
                    // The file's line changes: rewrite the whole transcript.
                    crate::store::apply::mark_dirty(c, CommId(comm), true)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = recorded {
            error!(id, error = %e, "archive: cannot record a download");
        }
    }

    async fn fetch(&self, file: &PendingFile) -> std::result::Result<Fetched, ApiError> {
        let info = self
            .api
            .call("getFile", &json!({ "file_id": file.file_id }))
            .await
            .map_err(|e| match e {
                ApiError::Permanent { description, .. } if description.contains("too big") => {
                    ApiError::Permanent {
                        code: 0,
                        description: "too big".into(),
                    }
                }
                e => e,
            });
        let info = match info {
            Err(ApiError::Permanent { description, .. }) if description == "too big" => {
                return Ok(Fetched::TooLarge);
            }
            other => other?,
        };
        if info
            .get("file_size")
            .and_then(Value::as_u64)
            .is_some_and(|s| s > MAX_DOWNLOAD)
        {
            return Ok(Fetched::TooLarge);
        }
        let Some(path) = info.get("file_path").and_then(Value::as_str) else {
            return Err(ApiError::Permanent {
                code: 0,
                description: "getFile gave no file_path".into(),
            });
        };
        let bytes = self.api.download(path).await?;
        if bytes.len() as u64 > MAX_DOWNLOAD {
            return Ok(Fetched::TooLarge);
        }
        let dir = folder(&self.root(), file.customer, file.comm).join("files");
        let target = dir.join(&file.saved_name);
        write_atomically(&dir, &target, &bytes).map_err(|e| ApiError::Transient(e.to_string()))?;
        info!(id = file.id, bytes = bytes.len(), "archive: file saved");
        Ok(Fetched::Saved)
    }

    /// Build the zip(s) of one requested communication and queue them for sending.
    async fn zip_request(&self) -> Result<bool> {
        let Some(request) = self.store.run(|c| queue::next_zip(c)).await? else {
            return Ok(false);
        };
        let (comm, chat, customer) = (request.comm, request.chat, request.customer);
        // Make sure the transcript is current first.
        self.transcripts().await?;
        let source = folder(&self.root(), customer, comm);
        let out = self
            .root()
            .join(".exports")
            .join(format!("{comm}-{}", crate::now_ms()));
        let base = format!("communication-{comm}");
        let built = {
            let source = source.clone();
            let out = out.clone();
            tokio::task::spawn_blocking(move || {
                super::zip::build(&source, &out, &base, MAX_ZIP_PART)
            })
            .await
            .map_err(|e| Error::Task(e.to_string()))?
        };
        let now = crate::now_ms();
        let messages: Vec<Outgoing> = match built {
            Ok(parts) => {
                let n = parts.len();
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, path)| upload(chat, comm, &path, i + 1, n))
                    .collect()
            }
            Err(e) => {
                error!(comm, error = %e, "archive: zip failed");
                vec![Outgoing::plain(
                    ChatId(chat),
                    format!("The archive of #{comm} could not be packed: {e}"),
                )]
            }
        };
        self.store
            .run(move |c| {
                let tx = c.transaction()?;
                for message in &messages {
                    crate::store::outbox::enqueue(&tx, &message.clone().into(), now)?;
                }
                queue::zip_done(&tx, request.id)?;
                tx.commit()?;
                Ok(())
            })
            .await?;
        self.outbox_wake.wake();
        Ok(true)
    }

    fn clean_exports(&self) {
        let exports = self.root().join(".exports");
        let Ok(entries) = std::fs::read_dir(&exports) else {
            return;
        };
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > EXPORT_TTL);
            if old && let Err(e) = std::fs::remove_dir_all(entry.path()) {
                warn!(error = %e, "archive: cannot remove an old export");
            }
        }
    }
}

enum Fetched {
    Saved,
    TooLarge,
}

/// A zip part as a document (the outbox uploads the file).
fn upload(chat: i64, comm: i64, path: &Path, i: usize, n: usize) -> Outgoing {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("communication-{comm}.zip"));
    let caption = if n == 1 {
        format!("Archive of #{comm}")
    } else {
        format!("Archive of #{comm}, part {i} of {n}")
    };
    Outgoing::Document {
        chat: ChatId(chat),
        path: path.to_string_lossy().into_owned(),
        file_name: name,
        caption,
    }
}

fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = target.with_extension("part~");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, target)
}

/// What to write to one transcript.
#[derive(Clone, Debug)]
struct Plan {
    comm: i64,
    version: i64,
    path: PathBuf,
    /// Rewrite with `text`, or keep the first `keep` bytes and append `text`.
    keep: Option<u64>,
    text: String,
    last_message: i64,
}

impl Plan {
    /// Write it; the file's new length.
    fn write(&self) -> Result<u64> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        match self.keep {
            None => {
                write_atomically(dir, &self.path, self.text.as_bytes())
                    .map_err(|e| Error::io_path("write", &self.path, e))?;
                Ok(self.text.len() as u64)
            }
            Some(keep) => {
                use std::io::{Seek, Write};
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.path)
                    .map_err(|e| Error::io_path("open", &self.path, e))?;
                // Anything past the recorded length (a write cut by a crash) goes.
                f.set_len(keep)
                    .and_then(|()| f.seek(std::io::SeekFrom::End(0)).map(|_| ()))
                    .and_then(|()| f.write_all(self.text.as_bytes()))
                    .map_err(|e| Error::io_path("append to", &self.path, e))?;
                Ok(keep + self.text.len() as u64)
            }
        }
    }
}

fn plan_transcripts(
    conn: &mut Connection,
    root: &Path,
    config: &Config,
    texts: &Texts,
) -> Result<Vec<Plan>> {
    let mut plans = Vec::new();
    for dirty in queue::dirty(conn, TRANSCRIPTS_PER_ROUND)? {
        let (comm, full, version) = (dirty.comm, dirty.full, dirty.version);
        let Some(c) = desk::communication(conn, CommId(comm))? else {
            queue::forget_dirty(conn, comm)?;
            continue;
        };
        let Some(customer) = desk::customer(conn, c.customer_id)? else {
            queue::forget_dirty(conn, comm)?;
            continue;
        };
        let path = folder(root, customer.user.id, comm).join("transcript.txt");
        let progress = queue::progress(conn, comm)?;
        let on_disk = std::fs::metadata(&path).map(|m| m.len()).ok();
        let append_from = match progress {
            Some(p) if !full && on_disk.is_some_and(|len| len >= p.bytes as u64) => {
                Some((p.last_message, p.bytes as u64))
            }
            _ => None,
        };
        let assignments = desk::assignments(conn, CommId(comm))?;
        let name = |id: StaffId| {
            config
                .specialists
                .iter()
                .find(|p| p.chat_id == id.0)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let entries = desk::log_after(conn, CommId(comm), append_from.map_or(0, |(last, _)| last))?;
        let last_message = entries
            .last()
            .map(|(row, _)| *row)
            .or(append_from.map(|(last, _)| last))
            .unwrap_or(0);
        let log: Vec<_> = entries.into_iter().map(|(_, e)| e).collect();
        let transcript = Transcript {
            comm: &c,
            customer: &customer,
            assignments: &assignments,
            log: &log,
            specialist_name: &name,
            texts: texts.staff(),
        };
        let (keep, text) = match append_from {
            Some((_, bytes)) => (
                Some(bytes),
                log.iter().map(|e| transcript.line(e)).collect(),
            ),
            None => (None, transcript.render()),
        };
        plans.push(Plan {
            comm,
            version,
            path,
            keep,
            text,
            last_message,
        });
    }
    Ok(plans)
}

/// Append blocked customers' messages to their `blocked/transcript.txt`.
fn append_blocked(root: &Path, lines: &[queue::BlockedLine]) -> Result<()> {
    use std::io::Write;
    for l in lines {
        let path = blocked_transcript(root, l.customer);
        crate::error::ensure_parent(&path)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io_path("open", &path, e))?;
        let kind = crate::domain::Kind::parse(&l.kind);
        let what = crate::domain::render::describe(kind, None, l.file_name.as_deref());
        let text = l.text.as_deref().unwrap_or("").replace('\n', "\n    ");
        let body = match (what.is_empty(), text.is_empty()) {
            (true, _) => text,
            (false, true) => format!("[{what}]"),
            (false, false) => format!("[{what}] {text}"),
        };
        let at = crate::domain::transcript::at(l.at);
        writeln!(file, "{at}  customer (blocked)  {}: {body}", l.name)
            .map_err(|e| Error::io_path("append to", &path, e))?;
    }
    Ok(())
}
