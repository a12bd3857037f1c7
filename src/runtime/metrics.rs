//! Counters of this process's life, shown on the admin endpoint's `/metrics`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counters of this process's life.
#[derive(Debug, Default)]
pub struct Metrics {
    pub updates_received: AtomicU64,
    pub updates_duplicate: AtomicU64,
    pub updates_rejected: AtomicU64,
    pub updates_failed: AtomicU64,
    pub outbox_sent: AtomicU64,
    pub outbox_retried: AtomicU64,
    pub outbox_failed: AtomicU64,
    /// Unix ms of the last update received (0: none yet).
    pub last_update_ms: AtomicI64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
