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

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::config::{Config, DiskConfig};
use crate::domain::disk::{Alert, AlertState, Notice, Space, Thresholds, decide, one_line};
use crate::domain::texts::Texts;
use crate::domain::{MailOut, MailPurpose, Outgoing};
use crate::runtime::live::Live;
use crate::runtime::wake::Wake;
use crate::store::{self, Store};

/// Prefix of the `meta` keys holding each disk's [`AlertState`]; the mount point follows.
pub const STATE_KEY_PREFIX: &str = "disk_alert:";

/// How long one measurement may take before the round is skipped (a hung network
/// mount must not stall the worker silently).
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The shortest check interval the worker accepts (a zero interval would spin).
const MIN_INTERVAL: Duration = Duration::from_millis(10);

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

impl From<&DiskConfig> for Thresholds {
    fn from(c: &DiskConfig) -> Thresholds {
        Thresholds {
            min_free_mb: c.min_free_mb,
            min_free_percent: c.min_free_percent,
            repeat_every: c.repeat_every,
        }
    }
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
/// tries again. The controllers told are those of the configuration in force (a
/// reload changes them); `[disk]` itself needs a restart.
pub async fn run(
    probe: Arc<dyn Probe>,
    store: Store,
    live: Live,
    mail_wake: Wake,
    outbox_wake: Wake,
    stop: CancellationToken,
) {
    let config = live.config();
    let worker = Worker {
        probe,
        store,
        thresholds: Thresholds::from(&config.disk),
        // Checked at the start; the defaults of the locale if not.
        texts: config
            .texts()
            .unwrap_or_else(|_| Texts::defaults(config.texts.locale)),
        host: host_name(),
        paths: watched_paths(&config),
        live,
        mail_wake,
        outbox_wake,
    };
    if config.disk.alert_to.is_empty() {
        warn!("disk: disk.alert_to is empty, low disk space is told to the controllers only");
    }
    info!(
        paths = ?worker.paths,
        every = %humantime::format_duration(config.disk.check_interval),
        "disk: watching the free space"
    );
    let mut ticker = tokio::time::interval(config.disk.check_interval.max(MIN_INTERVAL));
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
    live: Live,
    thresholds: Thresholds,
    /// The staff's texts (`texts.locale`): the alerts' language.
    texts: Texts,
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
        let config = self.live.config();
        let thresholds = self.thresholds;
        let host = self.host.clone();
        let texts = self.texts.clone();
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
                    let alert = Alert {
                        notice,
                        space: &group.space,
                        also: &group.also,
                        thresholds: &thresholds,
                        host: &host,
                        texts: texts.staff(),
                    };
                    let (subject, body) = alert.email();
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
                    let text = alert.chat_text();
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
                let config = self.live.config();
                if !config.disk.alert_to.is_empty() {
                    self.mail_wake.wake();
                }
                if !config.controllers.is_empty() {
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
