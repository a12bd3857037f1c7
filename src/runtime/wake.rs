//! Plumbing the workers share: waking a worker when work was queued, sleeping
//! until the next deadline, backing off after a failure, and the hook through
//! which a call's result comes back to the writer.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::error;

use crate::store;

/// How long to wait before repeating a call that failed for a passing reason.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay after the `attempt`-th failure (1-based): base·2^(attempt-1), capped,
    /// with ±10 % jitter so that many failed calls do not come back in step.
    pub fn delay(&self, attempt: i64) -> Duration {
        let exp = u32::try_from(attempt.clamp(1, 32) - 1).unwrap_or(31);
        let raw = self
            .base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max);
        let jitter = rand::random_range(0.9..1.1);
        raw.mul_f64(jitter).min(self.max)
    }
}

/// How a call (or an email) made with a purpose ended.
#[derive(Clone, Copy, Debug)]
pub enum Ended<'a> {
    /// Delivered: the Bot API's result.
    Delivered(&'a Value),
    /// Refused for good by the Bot API: its error code and description.
    Refused { code: u16, description: &'a str },
    /// An email that could not be sent, and why.
    MailFailed(&'a str),
}

/// What happens to the result of a call that was made with a purpose. Runs inside
/// the transaction that records the call as sent (or failed), so the follow-up is
/// never lost nor applied twice.
pub trait DeliveryHook: Send + Sync + 'static {
    fn ended(
        &self,
        conn: &rusqlite::Connection,
        purpose: &Value,
        how: Ended<'_>,
        now: i64,
    ) -> crate::Result<()>;

    /// A call to chat `from` was refused because the group became the supergroup
    /// `to` (SPEC §10), in the transaction that records it and queues it again.
    fn moved(
        &self,
        conn: &rusqlite::Connection,
        from: crate::domain::ChatId,
        to: crate::domain::ChatId,
        now: i64,
    ) -> crate::Result<()>;
}

/// Run a follow-up in a savepoint: if it fails, the record of the call stands.
pub(crate) fn follow_up(
    conn: &rusqlite::Connection,
    what: &str,
    f: impl FnOnce(&rusqlite::Connection) -> crate::Result<()>,
) -> crate::Result<()> {
    if let Err(e) = store::guarded(conn, "follow_up", || f(conn))? {
        error!(error = %e, "the follow-up of {what} failed; the call itself is recorded");
    }
    Ok(())
}

/// Wakes a worker when new work was queued.
#[derive(Clone, Debug, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn new() -> Wake {
        Wake::default()
    }
    pub fn wake(&self) {
        self.0.notify_one();
    }
    pub async fn wait(&self) {
        self.0.notified().await;
    }
}

pub async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A counter moved on after every commit that may have changed the desk: the web
/// console's live pages watch it (each watcher sees the latest count, never a
/// backlog).
#[derive(Clone, Debug)]
pub struct Changes(Arc<tokio::sync::watch::Sender<u64>>);

impl Default for Changes {
    fn default() -> Self {
        Changes(Arc::new(tokio::sync::watch::channel(0).0))
    }
}

impl Changes {
    pub fn changed(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}
