//! Counters and histograms of this process's life, shown on the admin endpoint's
//! `/metrics`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The upper bounds (seconds) of the response-time histograms' buckets.
pub const SECONDS_BUCKETS: [u64; 11] = [
    30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 86_400,
];

/// A histogram of whole seconds in Prometheus' form: cumulative counts per bucket.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations up to each bound of [`SECONDS_BUCKETS`] (not cumulative here).
    buckets: [AtomicU64; SECONDS_BUCKETS.len()],
    count: AtomicU64,
    sum: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: i64) {
        let s = u64::try_from(seconds).unwrap_or(0);
        if let Some(i) = SECONDS_BUCKETS.iter().position(|b| s <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(s, Ordering::Relaxed);
    }

    /// (bound, cumulative count) per bucket, then the count and the sum.
    pub fn read(&self) -> (Vec<(u64, u64)>, u64, u64) {
        let mut cumulative = 0;
        let buckets = SECONDS_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, n)| {
                cumulative += n.load(Ordering::Relaxed);
                (*bound, cumulative)
            })
            .collect();
        (
            buckets,
            self.count.load(Ordering::Relaxed),
            self.sum.load(Ordering::Relaxed),
        )
    }
}

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
    /// First responses and resolutions recorded (SPEC §6.1), in seconds.
    pub first_response_seconds: Histogram,
    pub resolution_seconds: Histogram,
    /// Reminders and escalations sent (SPEC §6.3), ratings recorded (§6.5).
    pub reminders_sent: AtomicU64,
    pub ratings_recorded: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        for s in [10, 45, 45, 5_000, 200_000] {
            h.observe(s);
        }
        let (buckets, count, sum) = h.read();
        assert_eq!(buckets[0], (30, 1));
        assert_eq!(buckets[1], (60, 3));
        assert_eq!(buckets[7], (7_200, 4));
        assert_eq!(buckets[10], (86_400, 4));
        assert_eq!((count, sum), (5, 205_100));
    }
}
