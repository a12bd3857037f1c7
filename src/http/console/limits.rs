//! Failed sign-in tries and code requests, limited per staff id and per client
//! address in a sliding window (kept in memory: a restart forgets them, the codes'
//! own five tries are in the database).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// The window the counts are kept for.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed code tries allowed per staff id, and per client address, in a window.
pub const FAILURES_PER_ID: usize = 10;
pub const FAILURES_PER_ADDRESS: usize = 20;
/// Codes sent per staff id, and requests per client address, in a window.
pub const CODES_PER_ID: usize = 5;
pub const REQUESTS_PER_ADDRESS: usize = 20;

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Key {
    FailedId(i64),
    FailedAddress(IpAddr),
    CodeId(i64),
    RequestAddress(IpAddr),
}

#[derive(Debug, Default)]
pub struct Limiter {
    seen: Mutex<HashMap<Key, Vec<i64>>>,
}

impl Limiter {
    fn count(&self, key: Key, now: i64) -> usize {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let times = seen.entry(key).or_default();
        times.retain(|t| now - t < WINDOW_MS);
        let n = times.len();
        if n == 0 {
            seen.remove(&key);
        }
        n
    }

    fn record(&self, key: Key, now: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: a flood of addresses costs at most this many entries.
        if seen.len() > 100_000 {
            seen.retain(|_, times| times.iter().any(|t| now - t < WINDOW_MS));
        }
        seen.entry(key).or_default().push(now);
    }

    /// Whether a code may be checked for `id` from `address` now.
    pub fn may_try(&self, id: i64, address: IpAddr, now: i64) -> bool {
        self.count(Key::FailedId(id), now) < FAILURES_PER_ID
            && self.count(Key::FailedAddress(address), now) < FAILURES_PER_ADDRESS
    }

    pub fn failed(&self, id: i64, address: IpAddr, now: i64) {
        self.record(Key::FailedId(id), now);
        self.record(Key::FailedAddress(address), now);
    }

    /// Whether a code may be sent to `id` for a request from `address` now (counted
    /// when it may).
    pub fn may_send(&self, id: i64, address: IpAddr, now: i64) -> bool {
        let ok = self.count(Key::CodeId(id), now) < CODES_PER_ID
            && self.count(Key::RequestAddress(address), now) < REQUESTS_PER_ADDRESS;
        self.record(Key::RequestAddress(address), now);
        if ok {
            self.record(Key::CodeId(id), now);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_limited_per_id_and_per_address_then_forgotten() {
        let l = Limiter::default();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..FAILURES_PER_ID {
            assert!(l.may_try(1, a, 0));
            l.failed(1, a, 0);
        }
        assert!(!l.may_try(1, b, 0), "per id, from anywhere");
        assert!(l.may_try(2, a, 0));
        for i in 0..FAILURES_PER_ADDRESS - FAILURES_PER_ID {
            l.failed(100 + i as i64, a, 0);
        }
        assert!(!l.may_try(3, a, 0), "per address, for any id");
        assert!(l.may_try(3, b, 0));
        assert!(l.may_try(1, a, WINDOW_MS));
    }

    #[test]
    fn codes_are_limited_per_id() {
        let l = Limiter::default();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..CODES_PER_ID {
            assert!(l.may_send(1, a, 0));
        }
        assert!(!l.may_send(1, a, 0));
        assert!(l.may_send(2, a, 0));
    }
}
