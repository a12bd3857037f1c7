//! The record of incoming updates: deduplication by `update_id` and what became of
//! each one.

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Webhook,
    Poll,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Poll => "poll",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The lifecycle acted on it.
    Handled,
    /// A kind of update the bot has no use for.
    Ignored,
    /// It did not parse as an update of its kind.
    Invalid,
    /// Handling it failed; the failure is recorded, the update kept.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Ignored => "ignored",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
        }
    }
}

/// Record an update as seen. `false` when its id was seen before (a redelivery).
pub fn insert(
    conn: &Connection,
    update_id: i64,
    source: Source,
    kind: &str,
    raw: &str,
    now_ms: i64,
) -> Result<bool> {
    let inserted = conn.exec(
        "INSERT INTO updates (update_id, received_at, source, kind, outcome, raw)
         VALUES (?1, ?2, ?3, ?4, 'handled', ?5)
         ON CONFLICT (update_id) DO NOTHING",
        params![update_id, now_ms, source.as_str(), kind, raw],
    )?;
    Ok(inserted == 1)
}

pub fn set_outcome(
    conn: &Connection,
    update_id: i64,
    outcome: Outcome,
    detail: Option<&str>,
) -> Result<()> {
    conn.exec(
        "UPDATE updates SET outcome = ?2, detail = ?3 WHERE update_id = ?1",
        params![update_id, outcome.as_str(), detail],
    )?;
    Ok(())
}

/// Keep a payload that is not an update at all, for the admin to look at.
pub fn record_rejected(
    conn: &Connection,
    source: Source,
    error: &str,
    raw: &[u8],
    now_ms: i64,
) -> Result<()> {
    conn.exec(
        "INSERT INTO rejected_updates (received_at, source, error, raw) VALUES (?1, ?2, ?3, ?4)",
        params![now_ms, source.as_str(), error, raw],
    )?;
    Ok(())
}
