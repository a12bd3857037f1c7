//! Disk-space alerts (SPEC §4): the free space of the disk holding `archive.dir` (and
//! the database) is measured every `disk.check_interval`; when it falls below
//! `disk.min_free_mb` or `disk.min_free_percent` an email goes to every `disk.alert_to`
//! address (and a message to every controller), repeated every `disk.repeat_every`
//! while it stays low, and one recovery email when it is back above.
//!
//! Functional core, imperative shell: [`decide`] is the whole policy (pure); [`run`]
//! measures through a [`Probe`], keeps the [`AlertState`] of each disk in the `meta`
//! table (so a restart neither repeats an alert nor forgets one) and queues the
//! notices in the same transaction that records the new state.

use crate::domain::ChatId;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::config::{Config, DiskConfig};
use crate::domain::{MailOut, MailPurpose, Outgoing};
use crate::runtime::wake::Wake;
use crate::store::{self, Store};

/// One megabyte as `disk.min_free_mb` counts it: 1024 × 1024 bytes.
pub const MB: u64 = 1024 * 1024;

/// Prefix of the `meta` keys holding each disk's [`AlertState`]; the mount point follows.
pub const STATE_KEY_PREFIX: &str = "disk_alert:";

/// How long one measurement may take before the round is skipped (a hung network
/// mount must not stall the worker silently).
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The shortest check interval the worker accepts (a zero interval would spin).
const MIN_INTERVAL: Duration = Duration::from_millis(10);

// ---------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------

/// The free space of the disk holding `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    /// The path that was asked about, as given.
    pub path: PathBuf,
    /// Where the disk holding it is mounted.
    pub mount_point: PathBuf,
    /// Bytes available to an unprivileged user (what relaydesk can still write).
    pub free_bytes: u64,
    pub total_bytes: u64,
}

impl Space {
    /// Free space in whole megabytes (1 MB = 1024 × 1024 bytes), rounded down.
    pub fn free_mb(&self) -> u64 {
        self.free_bytes / MB
    }

    /// Size of the disk in whole megabytes, rounded down.
    pub fn total_mb(&self) -> u64 {
        self.total_bytes / MB
    }

    /// Free space as a percentage of the disk's size; 0 for a disk of size 0.
    pub fn free_percent(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            self.free_bytes as f64 * 100.0 / self.total_bytes as f64
        }
    }
}

/// Measures the free space of the disk holding a path. Blocking: [`run`] calls it on
/// tokio's blocking pool.
pub trait Probe: Send + Sync + 'static {
    fn space(&self, path: &Path) -> io::Result<Space>;
}

/// The real probe, through `sysinfo`'s list of mounted disks.
///
/// sysinfo lists real file systems only (no tmpfs, proc, ...): a path on a mount it
/// does not list is measured on the disk mounted at the longest listed prefix of the
/// path, usually "/".
#[derive(Clone, Copy, Debug, Default)]
pub struct SysinfoProbe;

impl Probe for SysinfoProbe {
    fn space(&self, path: &Path) -> io::Result<Space> {
        let resolved = existing_ancestor(path)?;
        let disks = sysinfo::Disks::new_with_refreshed_list_specifics(
            sysinfo::DiskRefreshKind::nothing().with_storage(),
        )
        .map_err(|e| match e {
            sysinfo::Error::Io(e) => e,
            other => io::Error::other(format!("cannot list the mounted disks: {other}")),
        })?;
        // A disk of size 0 is no real disk (and would always look full).
        let candidates: Vec<&sysinfo::Disk> =
            disks.iter().filter(|d| d.total_space() > 0).collect();
        let mounts: Vec<PathBuf> = candidates
            .iter()
            .map(|d| d.mount_point().to_path_buf())
            .collect();
        let disk = best_mount_index(&resolved, &mounts)
            .map(|i| candidates[i])
            .or_else(|| disks.iter().rfind(|d| d.mount_point() == Path::new("/")))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "no disk found for {} (resolved to {}): none of the {} mounted disk(s) \
                         holds it and none is mounted at /",
                        path.display(),
                        resolved.display(),
                        disks.len()
                    ),
                )
            })?;
        Ok(Space {
            path: path.to_path_buf(),
            mount_point: disk.mount_point().to_path_buf(),
            free_bytes: disk.available_space(),
            total_bytes: disk.total_space(),
        })
    }
}

/// `path` made absolute with symlinks resolved; a path that does not exist yet is
/// replaced by its nearest existing ancestor (a relative one by the current folder).
fn existing_ancestor(path: &Path) -> io::Result<PathBuf> {
    let mut current = path;
    loop {
        let attempt = if current.as_os_str().is_empty() {
            Path::new(".")
        } else {
            current
        };
        match attempt.canonicalize() {
            Ok(resolved) => return Ok(resolved),
            Err(e) if attempt == Path::new(".") => return Err(e),
            Err(e) => match current.parent() {
                Some(parent) => current = parent,
                None => return Err(e),
            },
        }
    }
}

/// The mount point holding `path`: the one that is the longest prefix of it, whole
/// components only ("/var/lib" holds "/var/lib/x", not "/var/library"). Of equal
/// mount points the last wins, as a later mount hides an earlier one at the same place.
pub fn best_mount<'a>(path: &Path, mounts: &'a [PathBuf]) -> Option<&'a PathBuf> {
    best_mount_index(path, mounts).map(|i| &mounts[i])
}

fn best_mount_index(path: &Path, mounts: &[PathBuf]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, mount) in mounts.iter().enumerate() {
        if !path.starts_with(mount) {
            continue;
        }
        let depth = mount.components().count();
        if best.is_none_or(|(_, d)| depth >= d) {
            best = Some((i, depth));
        }
    }
    best.map(|(i, _)| i)
}

// ---------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------

/// When a disk counts as low, and how often to repeat the alert while it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub min_free_mb: u64,
    pub min_free_percent: f64,
    pub repeat_every: Duration,
}

impl From<&DiskConfig> for Thresholds {
    fn from(c: &DiskConfig) -> Thresholds {
        Thresholds {
            min_free_mb: c.min_free_mb,
            min_free_percent: c.min_free_percent,
            repeat_every: c.repeat_every,
        }
    }
}

impl Thresholds {
    /// Free space below `min_free_mb` or below `min_free_percent` of the disk.
    pub fn is_low(&self, space: &Space) -> bool {
        space.free_bytes < self.min_free_mb.saturating_mul(MB)
            || space.free_percent() < self.min_free_percent
    }
}

/// What the alerts of one disk have done so far (unix ms), kept in the `meta` table.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertState {
    /// Since when the disk has been low (as first noticed); `None` while it is fine.
    pub low_since: Option<i64>,
    /// When the last alert (first or repeated) was queued.
    pub last_alert_at: Option<i64>,
}

/// What to tell the people in `disk.alert_to` and the controllers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The disk has just fallen below a threshold.
    Low,
    /// It is still low, `repeat_every` after the last alert.
    StillLow,
    /// It is back above the thresholds.
    Recovered,
}

/// The whole policy: given what was done so far and a new reading, the new state and
/// what (if anything) to tell.
pub fn decide(
    state: AlertState,
    space: &Space,
    t: &Thresholds,
    now_ms: i64,
) -> (AlertState, Option<Notice>) {
    let low = t.is_low(space);
    match (state.low_since, low) {
        (None, true) => (
            AlertState {
                low_since: Some(now_ms),
                last_alert_at: Some(now_ms),
            },
            Some(Notice::Low),
        ),
        (Some(_), true) => {
            let repeat = i64::try_from(t.repeat_every.as_millis()).unwrap_or(i64::MAX);
            match state.last_alert_at {
                // The clock went back: count the wait again from now.
                Some(last) if now_ms < last => (
                    AlertState {
                        last_alert_at: Some(now_ms),
                        ..state
                    },
                    None,
                ),
                Some(last) if now_ms - last < repeat => (state, None),
                _ => (
                    AlertState {
                        last_alert_at: Some(now_ms),
                        ..state
                    },
                    Some(Notice::StillLow),
                ),
            }
        }
        (Some(_), false) => (AlertState::default(), Some(Notice::Recovered)),
        (None, false) => (AlertState::default(), None),
    }
}

// ---------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------

/// The alert email for `notice` (subject, plain-text body), in English.
pub fn alert_email(notice: Notice, space: &Space, t: &Thresholds, host: &str) -> (String, String) {
    compose_email(notice, space, &[], t, host)
}

/// Like [`alert_email`]; `also` are more watched paths on the same disk.
fn compose_email(
    notice: Notice,
    space: &Space,
    also: &[PathBuf],
    t: &Thresholds,
    host: &str,
) -> (String, String) {
    let host = one_line(host);
    let mount = space.mount_point.display();
    let free = format!(
        "{} MB ({:.1} % of the disk{})",
        space.free_mb(),
        space.free_percent(),
        gb(space.free_mb())
            .map(|g| format!(", {g}"))
            .unwrap_or_default()
    );
    let mut facts = format!(
        "  Server:       {host}\n\
         \x20 Path:         {path}\n",
        path = space.path.display()
    );
    for p in also {
        facts.push_str(&format!("  Also on it:   {}\n", p.display()));
    }
    facts.push_str(&format!(
        "  Mount point:  {mount}\n\
         \x20 Free:         {free}\n\
         \x20 Total:        {total}\n\
         \x20 Alert when:   less than {min_mb} or less than {min_pct} % of the disk is free\n",
        total = mb(space.total_mb()),
        min_mb = mb(t.min_free_mb),
        min_pct = t.min_free_percent,
    ));
    let repeat = humantime::format_duration(t.repeat_every);
    match notice {
        Notice::Low | Notice::StillLow => {
            let (subject, opening) = if notice == Notice::Low {
                (
                    format!(
                        "[relaydesk] Low disk space on {host}: {} free on {mount}",
                        mb(space.free_mb())
                    ),
                    "The disk holding relaydesk's data is running out of free space.".to_string(),
                )
            } else {
                (
                    format!(
                        "[relaydesk] Still low disk space on {host}: {} free on {mount}",
                        mb(space.free_mb())
                    ),
                    "Reminder: the disk holding relaydesk's data is still low on free space."
                        .to_string(),
                )
            };
            let body = format!(
                "{opening}\n\
                 \n\
                 {facts}\
                 \n\
                 When the disk is full, relaydesk can no longer write the conversation archive \
                 or record what arrives from Telegram, and messages may be lost.\n\
                 \n\
                 What to do:\n\
                 \x20 - move old conversations out of the archive folder (for example to \
                 backup storage) or delete the ones no longer needed;\n\
                 \x20 - remove other large files on this disk (old logs, backups, package caches);\n\
                 \x20 - or enlarge the disk.\n\
                 \n\
                 This reminder is repeated every {repeat} while the space stays low; one more \
                 email follows when it is back above the thresholds.\n"
            );
            (subject, body)
        }
        Notice::Recovered => {
            let subject = format!(
                "[relaydesk] Disk space recovered on {host}: {mount} is back above the thresholds"
            );
            let body = format!(
                "The free space of the disk holding relaydesk's data is back above the \
                 alert thresholds.\n\
                 \n\
                 {facts}\
                 \n\
                 Nothing needs to be done. A new alert follows if the space runs low again.\n"
            );
            (subject, body)
        }
    }
}

/// The message to the controllers: the same facts, shorter.
fn chat_text(
    notice: Notice,
    space: &Space,
    also: &[PathBuf],
    t: &Thresholds,
    host: &str,
) -> String {
    let mut paths = space.path.display().to_string();
    for p in also {
        paths.push_str(", ");
        paths.push_str(&p.display().to_string());
    }
    let figures = format!(
        "{} free ({:.1} %) of {} on {} ({paths}); alert below {} or {} %.",
        mb(space.free_mb()),
        space.free_percent(),
        mb(space.total_mb()),
        space.mount_point.display(),
        mb(t.min_free_mb),
        t.min_free_percent,
    );
    let host = one_line(host);
    match notice {
        Notice::Low => format!(
            "⚠️ Low disk space on {host}.\n{figures}\nClean the archive or enlarge the disk."
        ),
        Notice::StillLow => format!(
            "⚠️ Disk space on {host} is still low.\n{figures}\nClean the archive or enlarge the disk."
        ),
        Notice::Recovered => {
            format!("✅ Disk space on {host} is back above the thresholds.\n{figures}")
        }
    }
}

/// `n` MB, with the size in GB too when that reads better.
fn mb(n: u64) -> String {
    match gb(n) {
        Some(g) => format!("{n} MB ({g})"),
        None => format!("{n} MB"),
    }
}

fn gb(mb: u64) -> Option<String> {
    (mb >= 10 * 1024).then(|| format!("about {:.1} GB", mb as f64 / 1024.0))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// This machine's name for the alerts: `/proc/sys/kernel/hostname`, else `$HOSTNAME`,
/// else "this server".
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| one_line(&s))
        .filter(|s| !s.is_empty())
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .map(|s| one_line(&s))
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "this server".to_string())
}

// ---------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------

/// The paths to watch: the archive folder and the database's folder.
pub fn watched_paths(config: &Config) -> Vec<PathBuf> {
    let db_dir = match config.database.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut paths = vec![config.archive.dir.clone()];
    if db_dir != config.archive.dir {
        paths.push(db_dir);
    }
    paths
}

/// The `meta` key of the alert state of the disk mounted at `mount_point`.
pub fn state_key(mount_point: &Path) -> String {
    format!("{STATE_KEY_PREFIX}{}", mount_point.display())
}

type Readings = Vec<(PathBuf, io::Result<Space>)>;

/// Check the disks every `disk.check_interval` (the first time at once) until `stop`.
/// Never panics; a failed measurement or database error is logged and the next round
/// tries again.
pub async fn run(
    probe: Arc<dyn Probe>,
    store: Store,
    config: Arc<Config>,
    mail_wake: Wake,
    outbox_wake: Wake,
    stop: CancellationToken,
) {
    let worker = Worker {
        probe,
        store,
        thresholds: Thresholds::from(&config.disk),
        host: host_name(),
        paths: watched_paths(&config),
        config,
        mail_wake,
        outbox_wake,
    };
    if worker.config.disk.alert_to.is_empty() {
        warn!("disk: disk.alert_to is empty, low disk space is told to the controllers only");
    }
    info!(
        paths = ?worker.paths,
        every = %humantime::format_duration(worker.config.disk.check_interval),
        "disk: watching the free space"
    );
    let mut ticker = tokio::time::interval(worker.config.disk.check_interval.max(MIN_INTERVAL));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // A measurement that did not come back in time; no new one starts until it has.
    let mut hung: Option<JoinHandle<Readings>> = None;
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if hung.as_ref().is_some_and(|h| !h.is_finished()) {
            warn!("disk: the previous measurement still has not come back; skipping this check");
            continue;
        }
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            left = worker.check() => hung = left,
        }
    }
}

struct Worker {
    probe: Arc<dyn Probe>,
    store: Store,
    config: Arc<Config>,
    thresholds: Thresholds,
    host: String,
    paths: Vec<PathBuf>,
    mail_wake: Wake,
    outbox_wake: Wake,
}

/// The readings of one disk: the first, and the other watched paths on it.
struct Group {
    space: Space,
    also: Vec<PathBuf>,
}

impl Worker {
    /// One round; returns the measurement if it did not come back in time.
    async fn check(&self) -> Option<JoinHandle<Readings>> {
        let probe = self.probe.clone();
        let paths = self.paths.clone();
        let mut task = tokio::task::spawn_blocking(move || {
            paths
                .into_iter()
                .map(|p| {
                    let r = probe.space(&p);
                    (p, r)
                })
                .collect::<Readings>()
        });
        let readings = match tokio::time::timeout(PROBE_TIMEOUT, &mut task).await {
            Ok(Ok(readings)) => readings,
            Ok(Err(e)) => {
                error!(error = %e, "disk: the measurement failed");
                return None;
            }
            Err(_) => {
                error!(
                    timeout_s = PROBE_TIMEOUT.as_secs(),
                    "disk: measuring the free space did not finish in time"
                );
                return Some(task);
            }
        };
        let mut groups: Vec<Group> = Vec::new();
        for (path, reading) in readings {
            match reading {
                Ok(space) => {
                    debug!(
                        path = %path.display(),
                        mount = %space.mount_point.display(),
                        free_mb = space.free_mb(),
                        free_percent = space.free_percent(),
                        "disk: measured"
                    );
                    match groups
                        .iter_mut()
                        .find(|g| g.space.mount_point == space.mount_point)
                    {
                        Some(g) => g.also.push(space.path),
                        None => groups.push(Group {
                            space,
                            also: Vec::new(),
                        }),
                    }
                }
                Err(e) => {
                    warn!(path = %path.display(), error = %e, "disk: cannot measure the free space")
                }
            }
        }
        for group in groups {
            self.apply(group).await;
        }
        None
    }

    /// Decide for one disk; record the new state and queue the notices in one
    /// transaction; wake the senders.
    async fn apply(&self, group: Group) {
        let key = state_key(&group.space.mount_point);
        let mount = group.space.mount_point.clone();
        let (free_mb, free_percent) = (group.space.free_mb(), group.space.free_percent());
        let config = self.config.clone();
        let thresholds = self.thresholds;
        let host = self.host.clone();
        let result = self
            .store
            .run(move |conn| {
                let now = crate::now_ms();
                let old = match store::meta_get(conn, &key)? {
                    Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
                        warn!(key, error = %e, "disk: unreadable alert state, starting afresh");
                        AlertState::default()
                    }),
                    None => AlertState::default(),
                };
                let (new, notice) = decide(old, &group.space, &thresholds, now);
                if notice.is_none() && new == old {
                    return Ok(None);
                }
                let json = serde_json::to_string(&new)
                    .map_err(|e| crate::Error::Invariant(format!("disk alert state: {e}")))?;
                let tx = conn.transaction()?;
                if let Some(notice) = notice {
                    let (subject, body) =
                        compose_email(notice, &group.space, &group.also, &thresholds, &host);
                    for to in &config.disk.alert_to {
                        let mail = MailOut {
                            to: to.trim().to_string(),
                            subject: subject.clone(),
                            body: body.clone(),
                            purpose: MailPurpose::Alert,
                            max_attempts: 0,
                        };
                        store::mail::enqueue(&tx, &mail, now)?;
                    }
                    let text = chat_text(notice, &group.space, &group.also, &thresholds, &host);
                    for controller in &config.controllers {
                        let message = Outgoing::plain(ChatId(controller.chat_id), text.clone());
                        store::outbox::enqueue(&tx, &message.into(), now)?;
                    }
                }
                store::meta_set(&tx, &key, &json)?;
                tx.commit()?;
                Ok(notice)
            })
            .await;
        match result {
            Ok(None) => {}
            Ok(Some(notice)) => {
                match notice {
                    Notice::Low | Notice::StillLow => warn!(
                        mount = %mount.display(),
                        free_mb,
                        free_percent,
                        ?notice,
                        "disk: low disk space, alert queued"
                    ),
                    Notice::Recovered => info!(
                        mount = %mount.display(),
                        free_mb,
                        free_percent,
                        "disk: disk space recovered, notice queued"
                    ),
                }
                if !self.config.disk.alert_to.is_empty() {
                    self.mail_wake.wake();
                }
                if !self.config.controllers.is_empty() {
                    self.outbox_wake.wake();
                }
            }
            Err(e) => {
                error!(mount = %mount.display(), error = %e, "disk: cannot record the alert state")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Thresholds {
        Thresholds {
            min_free_mb: 1000,
            min_free_percent: 5.0,
            repeat_every: Duration::from_secs(60),
        }
    }

    fn space(free_mb: u64, total_mb: u64) -> Space {
        Space {
            path: PathBuf::from("/var/lib/relaydesk/archive"),
            mount_point: PathBuf::from("/var/lib"),
            free_bytes: free_mb * MB,
            total_bytes: total_mb * MB,
        }
    }

    #[test]
    fn space_figures() {
        let s = space(500, 100_000);
        assert_eq!(s.free_mb(), 500);
        assert_eq!(s.total_mb(), 100_000);
        assert!((s.free_percent() - 0.5).abs() < 1e-9);
        let odd = Space {
            free_bytes: MB - 1,
            total_bytes: 0,
            ..s
        };
        assert_eq!(odd.free_mb(), 0);
        assert_eq!(odd.free_percent(), 0.0);
    }

    #[test]
    fn alert_repeat_and_recovery_sequence() {
        let t = thresholds();
        let low = space(500, 100_000);
        let high = space(50_000, 100_000);
        let mut state = AlertState::default();
        let mut notices = Vec::new();
        // Fine at first: nothing.
        let (s, n) = decide(state, &high, &t, 0);
        assert_eq!((s, n), (AlertState::default(), None));
        state = s;
        // Falls below: one alert.
        let (s, n) = decide(state, &low, &t, 1_000);
        assert_eq!(n, Some(Notice::Low));
        assert_eq!(
            s,
            AlertState {
                low_since: Some(1_000),
                last_alert_at: Some(1_000)
            }
        );
        state = s;
        notices.push(n);
        // Still low, before repeat_every: nothing, state unchanged.
        for now in [2_000, 30_000, 60_999] {
            let (s, n) = decide(state, &low, &t, now);
            assert_eq!((s, n), (state, None), "at {now}");
        }
        // repeat_every after the last alert: one more.
        let (s, n) = decide(state, &low, &t, 61_000);
        assert_eq!(n, Some(Notice::StillLow));
        assert_eq!(
            s,
            AlertState {
                low_since: Some(1_000),
                last_alert_at: Some(61_000)
            }
        );
        state = s;
        notices.push(n);
        let (s, n) = decide(state, &low, &t, 100_000);
        assert_eq!((s, n), (state, None));
        // Back above: one recovery, state cleared.
        let (s, n) = decide(state, &high, &t, 130_000);
        assert_eq!((s, n), (AlertState::default(), Some(Notice::Recovered)));
        state = s;
        notices.push(n);
        // And nothing more while fine.
        let (s, n) = decide(state, &high, &t, 200_000);
        assert_eq!((s, n), (AlertState::default(), None));
        assert_eq!(
            notices,
            [
                Some(Notice::Low),
                Some(Notice::StillLow),
                Some(Notice::Recovered)
            ]
        );
    }

    #[test]
    fn each_threshold_alone_triggers() {
        let t = thresholds();
        // MB only: 500 MB free is 50 % of a 1000 MB disk.
        let mb_only = space(500, 1000);
        assert!(mb_only.free_percent() >= t.min_free_percent);
        assert_eq!(
            decide(AlertState::default(), &mb_only, &t, 5).1,
            Some(Notice::Low)
        );
        // Percent only: 2000 MB free (above 1000) is 2 % of the disk.
        let pct_only = space(2000, 100_000);
        assert!(pct_only.free_mb() >= t.min_free_mb);
        assert_eq!(
            decide(AlertState::default(), &pct_only, &t, 5).1,
            Some(Notice::Low)
        );
        // Neither: 10 % and 10000 MB.
        let fine = space(10_000, 100_000);
        assert_eq!(decide(AlertState::default(), &fine, &t, 5).1, None);
        // Exactly at a threshold is not low.
        let at = Thresholds {
            min_free_mb: 1000,
            min_free_percent: 1.0,
            ..t
        };
        assert!(!at.is_low(&space(1000, 100_000)));
        assert!(at.is_low(&Space {
            free_bytes: 1000 * MB - 1,
            ..space(0, 100_000)
        }));
        // A zero threshold never triggers on its own.
        let off = Thresholds {
            min_free_mb: 0,
            min_free_percent: 0.0,
            ..t
        };
        assert!(!off.is_low(&space(0, 100_000)));
    }

    #[test]
    fn still_low_after_a_restart_is_not_a_new_alert() {
        // The state comes back from the database: the alert is not repeated early.
        let t = thresholds();
        let saved = AlertState {
            low_since: Some(1_000),
            last_alert_at: Some(1_000),
        };
        let json = serde_json::to_string(&saved).unwrap();
        let loaded: AlertState = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded, saved);
        assert_eq!(decide(loaded, &space(500, 100_000), &t, 2_000).1, None);
        // A damaged state (low, no alert time) repeats at once rather than never.
        let damaged = AlertState {
            low_since: Some(1_000),
            last_alert_at: None,
        };
        assert_eq!(
            decide(damaged, &space(500, 100_000), &t, 2_000).1,
            Some(Notice::StillLow)
        );
        // The clock went back: no alert now, and the wait starts again.
        let (s, n) = decide(saved, &space(500, 100_000), &t, 500);
        assert_eq!(n, None);
        assert_eq!(s.last_alert_at, Some(500));
        assert_eq!(decide(s, &space(500, 100_000), &t, 60_499).1, None);
        assert_eq!(
            decide(s, &space(500, 100_000), &t, 60_500).1,
            Some(Notice::StillLow)
        );
    }

    #[test]
    fn longest_prefix_mount() {
        let mounts: Vec<PathBuf> = ["/", "/var", "/var/lib"]
            .into_iter()
            .map(PathBuf::from)
            .collect();
        let pick = |p: &str| best_mount(Path::new(p), &mounts).map(|m| m.to_str().unwrap());
        assert_eq!(pick("/var/lib/relaydesk/archive"), Some("/var/lib"));
        assert_eq!(pick("/var/lib"), Some("/var/lib"));
        assert_eq!(pick("/var/library/x"), Some("/var"));
        assert_eq!(pick("/var/log"), Some("/var"));
        assert_eq!(pick("/home/desk"), Some("/"));
        // Order does not matter.
        let reversed: Vec<PathBuf> = mounts.iter().rev().cloned().collect();
        assert_eq!(
            best_mount(Path::new("/var/lib/relaydesk"), &reversed),
            Some(&PathBuf::from("/var/lib"))
        );
        // No "/" listed: a path elsewhere has no mount.
        let partial = [PathBuf::from("/boot"), PathBuf::from("/srv")];
        assert_eq!(best_mount(Path::new("/var/lib"), &partial), None);
        assert_eq!(best_mount(Path::new("/var/lib"), &[]), None);
        // The same mount point twice: the later one (it hides the earlier).
        let twice = [
            PathBuf::from("/"),
            PathBuf::from("/data"),
            PathBuf::from("/data"),
        ];
        let chosen = best_mount(Path::new("/data/x"), &twice).unwrap();
        assert!(std::ptr::eq(chosen, &twice[2]));
    }

    #[test]
    fn sysinfo_probe_measures_a_temp_dir() {
        let dir = tempfile::tempdir().unwrap();
        let space = SysinfoProbe
            .space(dir.path())
            .expect("a disk for the temp dir");
        assert_eq!(space.path, dir.path());
        assert!(space.total_bytes > 0, "{space:?}");
        assert!(space.free_bytes <= space.total_bytes, "{space:?}");
        let canonical = dir.path().canonicalize().unwrap();
        assert!(
            canonical.starts_with(&space.mount_point) || space.mount_point == Path::new("/"),
            "{space:?}"
        );
        // A folder that does not exist yet is measured on its nearest existing ancestor.
        let missing = dir.path().join("not/yet/there");
        let later = SysinfoProbe
            .space(&missing)
            .expect("a disk for a missing path");
        assert_eq!(later.path, missing);
        assert_eq!(later.mount_point, space.mount_point);
        assert_eq!(later.total_bytes, space.total_bytes);
        // A relative path too.
        let relative = SysinfoProbe
            .space(Path::new("surely-not-a-folder-here/archive"))
            .expect("a disk for a relative path");
        assert!(relative.total_bytes > 0);
    }

    #[test]
    fn existing_ancestor_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        let canonical = dir.path().canonicalize().unwrap();
        assert_eq!(
            existing_ancestor(&dir.path().join("a/b/c")).unwrap(),
            canonical
        );
        assert_eq!(existing_ancestor(dir.path()).unwrap(), canonical);
        let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
        assert_eq!(existing_ancestor(Path::new("no-such-thing")).unwrap(), cwd);
        assert_eq!(existing_ancestor(Path::new("")).unwrap(), cwd);
    }

    #[test]
    fn alert_email_says_what_and_what_to_do() {
        let t = thresholds();
        let s = space(500, 100_000);
        let (subject, body) = alert_email(Notice::Low, &s, &t, "desk-01");
        assert!(subject.contains("Low disk space on desk-01"), "{subject}");
        assert!(subject.contains("500 MB free on /var/lib"), "{subject}");
        assert!(!subject.contains('\n'));
        for needle in [
            "desk-01",
            "/var/lib/relaydesk/archive",
            "Mount point:  /var/lib",
            "500 MB (0.5 % of the disk)",
            "100000 MB (about 97.7 GB)",
            "less than 1000 MB or less than 5 % of the disk",
            "archive folder",
            "enlarge the disk",
            "every 1m",
        ] {
            assert!(body.contains(needle), "missing {needle:?} in:\n{body}");
        }
        let (subject, body) = alert_email(Notice::StillLow, &s, &t, "desk-01");
        assert!(
            subject.contains("Still low disk space on desk-01"),
            "{subject}"
        );
        assert!(body.contains("still low"), "{body}");
        let (subject, body) =
            alert_email(Notice::Recovered, &space(50_000, 100_000), &t, "desk-01");
        assert!(subject.contains("recovered on desk-01"), "{subject}");
        assert!(body.contains("back above"), "{body}");
        assert!(
            body.contains("50000 MB (50.0 % of the disk, about 48.8 GB)"),
            "{body}"
        );
        // A host name with a line break cannot break the subject.
        let (subject, _) = alert_email(Notice::Low, &s, &t, "evil\r\nBcc: x@example.com");
        assert!(
            !subject.contains('\n') && !subject.contains('\r'),
            "{subject}"
        );
    }

    #[test]
    fn grouped_paths_are_all_named() {
        let t = thresholds();
        let also = [PathBuf::from("/var/lib/relaydesk/db")];
        let (_, body) = compose_email(Notice::Low, &space(500, 100_000), &also, &t, "h");
        assert!(
            body.contains("Also on it:   /var/lib/relaydesk/db"),
            "{body}"
        );
        let text = chat_text(Notice::Low, &space(500, 100_000), &also, &t, "h");
        assert!(
            text.contains("/var/lib/relaydesk/archive, /var/lib/relaydesk/db"),
            "{text}"
        );
        assert!(text.contains("500 MB free (0.5 %)"), "{text}");
    }

    #[test]
    fn watched_paths_and_keys() {
        let toml = "[telegram]\ntoken = \"1:a\"\n[smtp]\nhost = \"h\"\nfrom = \"a@b.c\"\n\
                    [archive]\ndir = \"/srv/desk/archive\"\n\
                    [database]\npath = \"/srv/desk/db/x.sqlite3\"\n";
        let c = Config::from_toml_str(toml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            watched_paths(&c),
            [
                PathBuf::from("/srv/desk/archive"),
                PathBuf::from("/srv/desk/db")
            ]
        );
        let toml = toml.replace("/srv/desk/db/x.sqlite3", "x.sqlite3");
        let c = Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(watched_paths(&c)[1], PathBuf::from("."));
        assert_eq!(state_key(Path::new("/var/lib")), "disk_alert:/var/lib");
    }

    #[test]
    fn host_name_is_never_empty() {
        assert!(!host_name().trim().is_empty());
    }
}
