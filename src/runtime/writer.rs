//! From raw update bytes to committed state: the one path every update takes, fed by
//! the webhook and by the poller. In one transaction: the update is recorded
//! (deduplicated by `update_id`), the lifecycle decides, and its calls are queued in
//! the outbox. Whatever happens, the update is recorded with its outcome.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rusqlite::Connection;
use serde_json::Value;
use tracing::{debug, error, info, warn};

use crate::domain::figures::Figures;
use crate::domain::{self, Action, ChatId, MailPurpose, Policy};
use crate::error::Result;
use crate::runtime::live::{Live, PolicyNow};
use crate::runtime::metrics::Metrics;
use crate::runtime::wake::{DeliveryHook, Ended, Wake};
use crate::store::updates::{self, Outcome, Source};
use crate::store::{self, Store};
use crate::telegram::update;

pub use group::Committer;
use group::{Job, Writer, write_groups};

/// What became of one delivery.
#[derive(Clone, Debug, PartialEq)]
pub enum Ingested {
    /// First delivery of this update; what the bot did with it.
    New { update_id: i64, outcome: Outcome },
    /// An update id seen before: nothing done again.
    Duplicate { update_id: i64 },
    /// Not an update at all (no JSON, no `update_id`): kept in `rejected_updates`.
    Rejected,
}

/// Everything handling an update needs, shared by the webhook and the poller.
#[derive(Clone)]
pub struct Processor {
    store: Store,
    shared: Arc<Shared>,
    writer: Arc<Writer>,
}

/// The workers to wake when an event queued work for them.
#[derive(Clone, Debug, Default)]
pub struct Wakes {
    pub outbox: Wake,
    pub mail: Wake,
    pub timers: Wake,
    pub archive: Wake,
    /// Watched by the web console's live pages.
    pub changes: crate::runtime::wake::Changes,
}

/// What an action of the web console came to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Acted {
    pub applied: Applied,
    /// The words for whoever acted ([`domain::Effect::Feedback`]), with whether
    /// they are a refusal to show prominently.
    pub feedback: Vec<(String, bool)>,
}

struct Shared {
    /// The configuration in force, swapped whole on a reload.
    live: Live,
    /// Its policy with the service groups that moved under their new ids.
    moved: wild::Moved,
    code_key: domain::CodeKey,
    wakes: Wakes,
    metrics: Arc<Metrics>,
}

/// What applying one event queued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub calls: usize,
    pub mails: usize,
    pub timers: bool,
    pub archive: bool,
    /// A first response or a resolution recorded (seconds), for the histograms:
    /// observed once the transaction is committed.
    pub first_response_s: Option<i64>,
    pub resolution_s: Option<i64>,
    /// Reminders sent and ratings recorded, for the counters.
    pub reminders: u64,
    pub ratings: u64,
}

impl Applied {
    fn add(&mut self, other: Applied) {
        self.calls += other.calls;
        self.mails += other.mails;
        self.timers |= other.timers;
        self.archive |= other.archive;
        self.first_response_s = self.first_response_s.or(other.first_response_s);
        self.resolution_s = self.resolution_s.or(other.resolution_s);
        self.reminders += other.reminders;
        self.ratings += other.ratings;
    }
}

/// The first response and the resolution a decision records for the first time.
fn newly_recorded(
    before: Option<&Figures>,
    decision: &domain::Decision,
) -> (Option<i64>, Option<i64>) {
    let mut found = (None, None);
    for change in &decision.changes {
        if let domain::Change::Figures { figures, .. } = change {
            let had = |f: fn(&Figures) -> bool| before.is_some_and(f);
            if !had(|f| f.first_response.is_some()) {
                found.0 = found.0.or(figures.first_response.map(|s| s.wall_s));
            }
            if !had(|f| f.resolution.is_some()) {
                found.1 = found.1.or(figures.resolution.map(|s| s.wall_s));
            }
        }
    }
    found
}

pub const POLL_OFFSET_KEY: &str = "poll_offset";

impl Processor {
    pub fn new(store: Store, live: Live, wakes: Wakes) -> Processor {
        Processor::with_metrics(store, live, wakes, Arc::default())
    }

    pub fn with_metrics(
        store: Store,
        live: Live,
        wakes: Wakes,
        metrics: Arc<Metrics>,
    ) -> Processor {
        let shared = Arc::new(Shared {
            live,
            moved: wild::Moved::default(),
            code_key: store.code_key().clone(),
            wakes,
            metrics,
        });
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        {
            let store = store.clone();
            let shared = shared.clone();
            // Ends when the last Processor (and so the sender) is dropped.
            std::thread::Builder::new()
                .name("relaydesk-ingest".into())
                .spawn(move || write_groups(&store, &shared, &queue))
                .map_err(|e| error!(error = %e, "cannot start the ingest thread"))
                .ok();
        }
        Processor {
            store,
            shared,
            writer: Arc::new(Writer { jobs }),
        }
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    fn count(&self, ingested: &Ingested) {
        let m = &self.shared.metrics;
        Metrics::inc(&m.updates_received);
        m.last_update_ms.store(crate::now_ms(), Ordering::Relaxed);
        match ingested {
            Ingested::Duplicate { .. } => Metrics::inc(&m.updates_duplicate),
            Ingested::Rejected => Metrics::inc(&m.updates_rejected),
            Ingested::New {
                outcome: Outcome::Failed,
                ..
            } => Metrics::inc(&m.updates_failed),
            Ingested::New { .. } => {}
        }
    }

    fn wake(&self, applied: Applied) {
        let m = &self.shared.metrics;
        if let Some(s) = applied.first_response_s {
            m.first_response_seconds.observe(s);
        }
        if let Some(s) = applied.resolution_s {
            m.resolution_seconds.observe(s);
        }
        m.reminders_sent
            .fetch_add(applied.reminders, std::sync::atomic::Ordering::Relaxed);
        m.ratings_recorded
            .fetch_add(applied.ratings, std::sync::atomic::Ordering::Relaxed);
        let w = &self.shared.wakes;
        if applied.calls > 0 {
            w.outbox.wake();
        }
        if applied.mails > 0 {
            w.mail.wake();
        }
        if applied.timers {
            w.timers.wake();
        }
        if applied.archive {
            w.archive.wake();
        }
        w.changes.changed();
    }

    /// Decide and apply an action of the web console in the writer's next group
    /// (the same path as an update's: the same rules, notices, figures and audit);
    /// returns once it is committed.
    pub async fn act(&self, action: Action) -> Result<Acted> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer
            .jobs
            .send(Job::Act {
                action: Box::new(action),
                reply,
            })
            .map_err(|_| crate::Error::Task("the ingest thread has stopped".into()))?;
        let acted = answer
            .await
            .map_err(|_| crate::Error::Task("the ingest thread has stopped".into()))??;
        self.wake(acted.applied);
        Ok(acted)
    }

    /// The counter the console's live pages watch.
    pub fn changes(&self) -> &crate::runtime::wake::Changes {
        &self.shared.wakes.changes
    }

    /// The installation's key (for the console's codes and tokens).
    pub fn code_key(&self) -> &domain::CodeKey {
        &self.shared.code_key
    }

    /// What the core knows of the staff, as the configuration in force says now.
    pub fn policy(&self) -> PolicyNow {
        self.shared.live.policy()
    }

    /// The configuration in force (replaced on a reload).
    pub fn live(&self) -> &Live {
        &self.shared.live
    }

    /// Decide and apply one event inside the caller's transaction.
    pub fn apply_event(&self, conn: &Connection, event: &Action, now: i64) -> Result<Applied> {
        apply_event(conn, event, &self.shared, now)
    }

    /// Handle an internal event (a timer, a delivery) in a transaction of its own.
    pub async fn handle(&self, event: Action) -> Result<Applied> {
        let shared = self.shared.clone();
        let applied = self
            .store
            .run(move |conn| {
                let tx = conn.transaction()?;
                let applied = apply_event(&tx, &event, &shared, crate::now_ms())?;
                tx.commit()?;
                Ok(applied)
            })
            .await?;
        self.wake(applied);
        Ok(applied)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A handle for other writers to join the group commits.
    pub fn committer(&self) -> Committer {
        Committer(self.writer.jobs.clone())
    }

    /// Record and handle one delivery. An error means the database could not commit
    /// it: the caller must not acknowledge the update (Telegram will deliver it again).
    pub async fn ingest(&self, body: Vec<u8>, source: Source) -> Result<Ingested> {
        // Reading is pure: done here, on the caller's task, so that the writer
        // thread (which every update waits for) only writes.
        let read = std::panic::catch_unwind(|| read(&body))
            .unwrap_or_else(|panic| Read::Panicked(panic_message(&panic)));
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer
            .jobs
            .send(Job::Update {
                body,
                read,
                source,
                reply,
            })
            .map_err(|_| crate::Error::Task("the ingest thread has stopped".into()))?;
        let (ingested, applied) = answer
            .await
            .map_err(|_| crate::Error::Task("the ingest thread has stopped".into()))??;
        self.wake(applied);
        self.count(&ingested);
        Ok(ingested)
    }
}

/// A delivery as read from its bytes, before the database is touched.
enum Read {
    /// Not an update at all: why.
    Rejected(String),
    /// An update: its envelope and what it means to the bot.
    Update {
        envelope: update::Envelope,
        meaning: Meaning,
    },
    /// Reading it panicked (a bug): the panic's message.
    Panicked(String),
}

enum Meaning {
    Action(Box<Action>),
    /// Nothing to do: invalid or of a kind the bot ignores, and why.
    Nothing(Outcome, String),
}

/// Read a delivery: JSON, envelope, teloxide's `Update`, the lifecycle event.
fn read(raw: &[u8]) -> Read {
    let value: Value = match serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(e) => return Read::Rejected(format!("not JSON: {e}")),
    };
    let Some(envelope) = update::envelope(&value) else {
        return Read::Rejected("no update_id".into());
    };
    // teloxide's Update must be read from the bytes: from a `Value` its kind
    // detection fails and every update comes out as "unrecognised".
    let meaning = match serde_json::from_slice::<teloxide::types::Update>(raw) {
        Err(e) => Meaning::Nothing(Outcome::Invalid, format!("does not parse: {e}")),
        Ok(parsed) => match update::to_action(&parsed, &value) {
            Ok(event) => Meaning::Action(Box::new(event)),
            Err(update::Ignored(why)) => {
                let outcome = if matches!(parsed.kind, teloxide::types::UpdateKind::Error(_)) {
                    Outcome::Invalid
                } else {
                    Outcome::Ignored
                };
                Meaning::Nothing(outcome, why)
            }
        },
    };
    Read::Update { envelope, meaning }
}

/// One delivery, inside the caller's transaction.
fn ingest_in(
    conn: &Connection,
    raw: &[u8],
    read: &Read,
    source: Source,
    shared: &Shared,
    now: i64,
) -> Result<(Ingested, Applied)> {
    let (envelope, meaning) = match read {
        Read::Update { envelope, meaning } => (envelope, meaning),
        Read::Rejected(error) => {
            warn!(%error, bytes = raw.len(), "rejected a delivery");
            updates::record_rejected(conn, source, error, raw, now)?;
            return Ok((Ingested::Rejected, Applied::default()));
        }
        Read::Panicked(what) => return record_panic(conn, raw, source, what, now),
    };
    let update_id = envelope.update_id;
    let tx = conn;
    if source == Source::Poll {
        advance_poll_offset(tx, update_id)?;
    }
    let raw_text = String::from_utf8_lossy(raw);
    if !updates::insert(tx, update_id, source, &envelope.kind, &raw_text, now)? {
        debug!(update_id, "duplicate delivery ignored");
        return Ok((Ingested::Duplicate { update_id }, Applied::default()));
    }

    let mut applied = Applied::default();
    let (outcome, detail) = match meaning {
        Meaning::Nothing(outcome, why) => (*outcome, Some(why.clone())),
        Meaning::Action(event) => {
            // Guarded: if applying fails, the update is still recorded.
            match store::guarded(tx, "apply", || apply_event(tx, event, shared, now))? {
                Ok(a) => {
                    applied.add(a);
                    (Outcome::Handled, None)
                }
                Err(e) => {
                    error!(update_id, error = %e, "applying an update failed; recorded as failed");
                    (Outcome::Failed, Some(e.to_string()))
                }
            }
        }
    };
    updates::set_outcome(tx, update_id, outcome, detail.as_deref())?;
    let detail_text = detail.as_deref().unwrap_or("");
    if outcome == Outcome::Invalid {
        info!(update_id, kind = %envelope.kind, outcome = outcome.as_str(), detail = detail_text, "update");
    } else {
        debug!(update_id, kind = %envelope.kind, outcome = outcome.as_str(), detail = detail_text, "update");
    }
    Ok((Ingested::New { update_id, outcome }, applied))
}

/// Load what the action needs, decide, and apply the decision.
fn apply_event(conn: &Connection, event: &Action, shared: &Shared, now: i64) -> Result<Applied> {
    apply_acted(conn, event, shared, now).map(|acted| acted.applied)
}

/// [`apply_event`], with the words the decision has for whoever acted.
fn apply_acted(conn: &Connection, event: &Action, shared: &Shared, now: i64) -> Result<Acted> {
    // One configuration for the whole action, even if a reload swaps it meanwhile,
    // with the groups that moved under their new ids.
    let rules = shared.live.get();
    let moved = shared.moved.current(conn, &rules)?;
    let policy: &Policy = moved.as_deref().unwrap_or(&rules.policy);
    let needs = domain::needs(event, policy, now);
    let snapshot = store::desk::load(conn, &needs, now)?;
    let code = fresh_code();
    let env = domain::Env {
        now,
        fresh_code: &code,
        policy,
        code_key: &shared.code_key,
        texts: &rules.texts,
        customer: None,
    };
    let decision = domain::decide(event, &snapshot, &env);
    wild::log(event, &decision, policy);
    debug!(
        customer = snapshot.customer.as_ref().map(|c| c.user.id),
        communication = snapshot.communication.as_ref().map(|c| c.id.0),
        changes = decision.changes.len(),
        effects = decision.effects.len(),
        "decided"
    );
    let queued = store::apply::apply(conn, &decision, now)?;
    let (first_response_s, resolution_s) = newly_recorded(snapshot.figures.as_ref(), &decision);
    let count =
        |f: fn(&domain::Change) -> bool| decision.changes.iter().filter(|c| f(c)).count() as u64;
    let feedback = decision
        .effects
        .iter()
        .filter_map(|e| match e {
            domain::Effect::Feedback { text, alert } => Some((text.clone(), *alert)),
            _ => None,
        })
        .collect();
    let applied = Applied {
        calls: queued.calls,
        mails: queued.mails,
        timers: decision.touches_timers(),
        archive: queued.archive,
        first_response_s,
        resolution_s,
        reminders: count(|c| matches!(c, domain::Change::ReminderSent { .. })),
        ratings: count(|c| matches!(c, domain::Change::Rate { .. })),
    };
    Ok(Acted { applied, feedback })
}

/// Six digits from the operating system's CSPRNG (through rand's thread RNG).
fn fresh_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

impl Processor {
    fn purpose_event<P: serde::de::DeserializeOwned>(
        &self,
        conn: &Connection,
        purpose: &Value,
        now: i64,
        event: impl FnOnce(P) -> Action,
    ) -> Result<()> {
        let Ok(purpose) = serde_json::from_value::<P>(purpose.clone()) else {
            warn!(%purpose, "an outbox purpose this version does not know; ignored");
            return Ok(());
        };
        let applied = self.apply_event(conn, &event(purpose), now)?;
        self.wake(applied);
        Ok(())
    }
}

impl DeliveryHook for Processor {
    fn moved(&self, conn: &Connection, from: ChatId, to: ChatId, now: i64) -> Result<()> {
        let applied = self.apply_event(conn, &Action::GroupMoved { from, to }, now)?;
        self.wake(applied);
        Ok(())
    }

    fn ended(&self, conn: &Connection, purpose: &Value, how: Ended<'_>, now: i64) -> Result<()> {
        match how {
            Ended::Delivered(result) => {
                self.purpose_event(conn, purpose, now, |purpose| Action::Delivered {
                    purpose,
                    copies: crate::telegram::wire::sent_ids(result),
                })
            }
            Ended::Refused { code, description } => {
                self.purpose_event(conn, purpose, now, |purpose| Action::DeliveryFailed {
                    purpose,
                    code,
                    description: description.to_string(),
                })
            }
            Ended::MailFailed(error) => {
                self.purpose_event(conn, purpose, now, |purpose: MailPurpose| {
                    Action::MailFailed {
                        purpose,
                        error: error.to_string(),
                    }
                })
            }
        }
    }
}

fn advance_poll_offset(conn: &Connection, update_id: i64) -> Result<()> {
    let next = update_id.saturating_add(1);
    let current = store::meta_get(conn, POLL_OFFSET_KEY)?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    if next > current {
        store::meta_set(conn, POLL_OFFSET_KEY, &next.to_string())?;
    }
    Ok(())
}

fn record_panic(
    conn: &Connection,
    raw: &[u8],
    source: Source,
    what: &str,
    now: i64,
) -> Result<(Ingested, Applied)> {
    let envelope = serde_json::from_slice::<Value>(raw)
        .ok()
        .and_then(|v| update::envelope(&v));
    let Some(envelope) = envelope else {
        updates::record_rejected(conn, source, what, raw, now)?;
        return Ok((Ingested::Rejected, Applied::default()));
    };
    let tx = conn;
    if source == Source::Poll {
        advance_poll_offset(tx, envelope.update_id)?;
    }
    let raw_text = String::from_utf8_lossy(raw);
    updates::insert(
        tx,
        envelope.update_id,
        source,
        &envelope.kind,
        &raw_text,
        now,
    )?;
    let detail = format!("panic: {what}");
    updates::set_outcome(tx, envelope.update_id, Outcome::Failed, Some(&detail))?;
    Ok((
        Ingested::New {
            update_id: envelope.update_id,
            outcome: Outcome::Failed,
        },
        Applied::default(),
    ))
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

mod group;
#[cfg(test)]
mod tests;
mod wild;
