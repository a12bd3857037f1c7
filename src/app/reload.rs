//! Reload on SIGHUP (`systemctl reload relaydesk`, SPEC §9): the configuration file
//! and the `RELAYDESK__` variables are read again and checked as at start. With a
//! problem, every problem is logged by its key and the running configuration stays.
//! Else the staff, groups, departments, canned answers, texts, working hours and
//! reminders of the new one are put in force at once (`runtime/live.rs`); changed
//! keys of the other sections are named in the log and wait for a restart
//! (`config/reload.rs`). Then the command lists that changed are queued and the
//! console sessions of people no longer staff end.

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::{Config, Problem};
use crate::error::Result;
use crate::runtime::live::{Live, Rules};
use crate::runtime::wake::Wake;
use crate::store::Store;

/// Where the configuration was read from at start, to read it again from there.
#[derive(Clone, Debug)]
pub struct Source {
    /// `--config` (else `$RELAYDESK_CONFIG`, else `config.toml`, as at start).
    pub path: Option<PathBuf>,
    /// Checked with the webhook's own checks too (`relaydesk run`).
    pub for_webhook: bool,
}

impl Source {
    /// The configuration with every problem found at once: loading, texts and (for
    /// the webhook) the webhook's own settings and files; the checks of the start,
    /// `check-config`'s and a reload's.
    pub fn load(&self) -> std::result::Result<Config, Vec<Problem>> {
        let path = self.path.as_deref();
        let loaded = if self.for_webhook {
            Config::load_for_webhook(path)
        } else {
            Config::load(path)
        };
        let config = loaded.map_err(|e| e.problems)?;
        config.texts()?;
        Ok(config)
    }
}

/// What came of one reload.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused for these problems (`key: message`); the running configuration stays.
    Refused(Vec<String>),
    /// In force; these changed keys were not applied (they need a restart).
    Applied { needs_restart: Vec<String> },
}

/// Listen for SIGHUP from now on: before the service says it is ready, so that a
/// reload asked for at once is not the signal's default (the end of the process).
pub(super) fn listen() -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup())
        .map_err(|e| warn!(error = %e, "cannot listen for SIGHUP: no reload without a restart"))
        .ok()
}

/// Reload on every SIGHUP until `stop`.
pub(super) async fn on_sighup(
    mut hangups: tokio::signal::unix::Signal,
    source: Source,
    live: Live,
    store: Store,
    outbox: Wake,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            got = hangups.recv() => if got.is_none() { return },
        }
        info!("SIGHUP: reloading the configuration");
        let mut reloading = vec![sd_notify::NotifyState::Reloading];
        if let Ok(now) = sd_notify::NotifyState::monotonic_usec_now() {
            reloading.push(now);
        }
        super::notify_systemd(&reloading);
        let (source, live, store) = (source.clone(), live.clone(), store.clone());
        match tokio::task::spawn_blocking(move || reload(&source, &live, &store)).await {
            Ok(Ok(Outcome::Applied { .. })) => outbox.wake(),
            Ok(Ok(Outcome::Refused(_))) => {}
            Ok(Err(e)) => error!(error = %e, "the reload could not finish"),
            Err(e) => error!(error = %e, "the reload ended abnormally"),
        }
        super::notify_systemd(&[sd_notify::NotifyState::Ready]);
    }
}

/// Read the configuration from `source` again and put what a reload changes in
/// force (see the module's text). An error: the new rules are in force, but the
/// command lists or the end of former staff's sessions could not be written.
pub fn reload(source: &Source, live: &Live, store: &Store) -> Result<Outcome> {
    let new = match source.load() {
        Ok(config) => config,
        Err(problems) => {
            for problem in &problems {
                error!("{problem}");
            }
            error!(
                problems = problems.len(),
                "configuration not reloaded: it has problems; the running one is kept"
            );
            return Ok(Outcome::Refused(
                problems.iter().map(ToString::to_string).collect(),
            ));
        }
    };
    let running = live.config();
    let needs_restart = crate::config::needs_restart(&running, &new);
    for key in &needs_restart {
        warn!("{key} changed: needs a restart");
    }
    let rules = Rules::new(crate::config::reloaded(&running, new))
        .map_err(|problems| crate::config::ConfigErrors { problems })?;
    let (config, texts) = (rules.config.clone(), rules.texts.clone());
    live.replace(rules);
    let lists = crate::runtime::commands::register(store, &config, &texts)?;
    super::end_sessions_of_former_staff(store, &config)?;
    info!(
        specialists = config.specialists.len(),
        controllers = config.controllers.len(),
        service_groups = config.service_groups.len(),
        departments = config.departments.len(),
        command_lists_queued = lists,
        not_applied = needs_restart.len(),
        "configuration reloaded"
    );
    Ok(Outcome::Applied { needs_restart })
}
