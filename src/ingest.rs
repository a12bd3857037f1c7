//! From raw update bytes to committed state: the one path every update takes, fed by
//! the webhook and by the poller. In one transaction: the update is recorded
//! (deduplicated by `update_id`), the lifecycle decides, and its calls are queued in
//! the outbox. Whatever happens, the update is recorded with its outcome.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use rusqlite::Connection;
use serde_json::Value;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::error::Result;
use crate::lifecycle::{self, Effect};
use crate::outbox::Wake;
use crate::store::updates::{self, Outcome, Source};
use crate::store::{self, Store};
use crate::telegram::update;
use crate::texts::Texts;

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
    wake: Wake,
}

struct Shared {
    #[allow(dead_code)]
    config: Arc<Config>,
    texts: Texts,
}

pub const POLL_OFFSET_KEY: &str = "poll_offset";

impl Processor {
    pub fn new(store: Store, config: Arc<Config>, texts: Texts, wake: Wake) -> Processor {
        Processor {
            store,
            shared: Arc::new(Shared { config, texts }),
            wake,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Record and handle one delivery. An error means the database could not commit
    /// it: the caller must not acknowledge the update (Telegram will deliver it again).
    pub async fn ingest(&self, body: Vec<u8>, source: Source) -> Result<Ingested> {
        let shared = self.shared.clone();
        let (ingested, queued) = self
            .store
            .run(move |conn| {
                let now = crate::now_ms();
                match std::panic::catch_unwind(AssertUnwindSafe(|| {
                    ingest_blocking(conn, &body, source, &shared, now)
                })) {
                    Ok(result) => result,
                    Err(panic) => {
                        let what = panic_message(&panic);
                        error!(panic = %what, "bug: handling an update panicked; recorded as failed");
                        record_panic(conn, &body, source, &what, now)
                    }
                }
            })
            .await?;
        if queued > 0 {
            self.wake.wake();
        }
        Ok(ingested)
    }
}

fn ingest_blocking(
    conn: &mut Connection,
    raw: &[u8],
    source: Source,
    shared: &Shared,
    now: i64,
) -> Result<(Ingested, usize)> {
    let value: Value = match serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(e) => {
            let error = format!("not JSON: {e}");
            warn!(%error, bytes = raw.len(), "rejected a delivery");
            updates::record_rejected(conn, source, &error, raw, now)?;
            return Ok((Ingested::Rejected, 0));
        }
    };
    let Some(envelope) = update::envelope(&value) else {
        warn!(
            bytes = raw.len(),
            "rejected a delivery without an update_id"
        );
        updates::record_rejected(conn, source, "no update_id", raw, now)?;
        return Ok((Ingested::Rejected, 0));
    };
    let update_id = envelope.update_id;
    let mut tx = conn.transaction()?;
    if source == Source::Poll {
        advance_poll_offset(&tx, update_id)?;
    }
    let raw_text = String::from_utf8_lossy(raw);
    if !updates::insert(&tx, update_id, source, &envelope.kind, &raw_text, now)? {
        tx.commit()?;
        debug!(update_id, "duplicate delivery ignored");
        return Ok((Ingested::Duplicate { update_id }, 0));
    }

    // teloxide's Update must be read from the bytes: from a `Value` its kind
    // detection fails and every update comes out as "unrecognised".
    let (outcome, detail, queued) = match serde_json::from_slice::<teloxide::types::Update>(raw) {
        Err(e) => (Outcome::Invalid, Some(format!("does not parse: {e}")), 0),
        Ok(parsed) if matches!(parsed.kind, teloxide::types::UpdateKind::Error(_)) => (
            Outcome::Invalid,
            Some(format!("{} update not understood", envelope.kind)),
            0,
        ),
        Ok(parsed) => match update::to_event(&parsed) {
            Err(update::Ignored(why)) => (Outcome::Ignored, Some(why), 0),
            Ok(event) => {
                let ctx = lifecycle::Context {
                    texts: &shared.texts,
                };
                let effects = lifecycle::decide(&event, &ctx);
                // A savepoint: if applying fails, the update is still recorded.
                let sp = tx.savepoint()?;
                match apply(&sp, &effects, now) {
                    Ok(queued) => {
                        sp.commit()?;
                        (Outcome::Handled, None, queued)
                    }
                    Err(e) => {
                        drop(sp);
                        error!(update_id, error = %e, "applying an update failed; recorded as failed");
                        (Outcome::Failed, Some(e.to_string()), 0)
                    }
                }
            }
        },
    };
    updates::set_outcome(&tx, update_id, outcome, detail.as_deref())?;
    tx.commit()?;
    info!(update_id, kind = %envelope.kind, outcome = outcome.as_str(), detail = detail.as_deref().unwrap_or(""), "update");
    Ok((Ingested::New { update_id, outcome }, queued))
}

fn apply(conn: &Connection, effects: &[Effect], now: i64) -> Result<usize> {
    let mut queued = 0;
    for effect in effects {
        match effect {
            Effect::Telegram(call) => {
                store::outbox::enqueue(conn, call, now)?;
                queued += 1;
            }
        }
    }
    Ok(queued)
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
    conn: &mut Connection,
    raw: &[u8],
    source: Source,
    what: &str,
    now: i64,
) -> Result<(Ingested, usize)> {
    let envelope = serde_json::from_slice::<Value>(raw)
        .ok()
        .and_then(|v| update::envelope(&v));
    let Some(envelope) = envelope else {
        updates::record_rejected(conn, source, what, raw, now)?;
        return Ok((Ingested::Rejected, 0));
    };
    let tx = conn.transaction()?;
    if source == Source::Poll {
        advance_poll_offset(&tx, envelope.update_id)?;
    }
    let raw_text = String::from_utf8_lossy(raw);
    updates::insert(
        &tx,
        envelope.update_id,
        source,
        &envelope.kind,
        &raw_text,
        now,
    )?;
    let detail = format!("panic: {what}");
    updates::set_outcome(&tx, envelope.update_id, Outcome::Failed, Some(&detail))?;
    tx.commit()?;
    Ok((
        Ingested::New {
            update_id: envelope.update_id,
            outcome: Outcome::Failed,
        },
        0,
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
