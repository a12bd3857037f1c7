//! Telegram's send limits as a pure schedule: when may the next call to a chat go?
//!
//! Each limit is kept as a minimum spacing between calls (30/s overall → 33 ms,
//! 1/s per chat → 1 s, 20/min per group → 3 s), which never exceeds the limit over
//! any window. A zero limit in the configuration means "no limit".

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::LimitsConfig;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub global: Option<Duration>,
    pub per_chat: Option<Duration>,
    pub per_group: Option<Duration>,
}

impl Limits {
    pub fn from_config(c: &LimitsConfig) -> Limits {
        // Rounded up, so that `count` calls never fit in less than `per`.
        let spacing = |count: u32, per: Duration| {
            (count > 0).then(|| {
                let nanos = per.as_nanos().div_ceil(u128::from(count));
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            })
        };
        Limits {
            global: spacing(c.global_per_second, Duration::from_secs(1)),
            per_chat: spacing(c.per_chat_per_second, Duration::from_secs(1)),
            per_group: spacing(c.per_group_per_minute, Duration::from_secs(60)),
        }
    }

    /// The spacing between two calls to `chat`: groups (negative ids) obey both the
    /// per-chat and the per-group limit.
    fn chat_spacing(&self, chat: i64) -> Option<Duration> {
        if chat < 0 {
            match (self.per_chat, self.per_group) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        } else {
            self.per_chat
        }
    }
}

#[derive(Debug)]
pub struct Pacer {
    limits: Limits,
    next_global: Option<Instant>,
    next_chat: HashMap<i64, Instant>,
}

impl Pacer {
    pub fn new(limits: Limits) -> Pacer {
        Pacer {
            limits,
            next_global: None,
            next_chat: HashMap::new(),
        }
    }

    /// The earliest moment a call to `chat` may start (`None`: right away).
    pub fn ready_at(&self, chat: Option<i64>) -> Option<Instant> {
        let chat_ready = chat.and_then(|c| self.next_chat.get(&c).copied());
        match (self.next_global, chat_ready) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// A call to `chat` starts now.
    pub fn record(&mut self, chat: Option<i64>, now: Instant) {
        if let Some(g) = self.limits.global {
            self.next_global = Some(now + g);
        }
        if let Some(chat) = chat
            && let Some(spacing) = self.limits.chat_spacing(chat)
        {
            let next = self.next_chat.entry(chat).or_insert(now);
            *next = (*next).max(now + spacing);
        }
    }

    /// The spacing between calls to `chat` (`None`: no limit).
    pub fn spacing(&self, chat: Option<i64>) -> Option<std::time::Duration> {
        chat.and_then(|c| self.limits.chat_spacing(c))
    }

    /// Telegram asked us to wait: nothing more to `chat` before `until`.
    pub fn hold(&mut self, chat: Option<i64>, until: Instant) {
        match chat {
            Some(chat) => {
                let next = self.next_chat.entry(chat).or_insert(until);
                *next = (*next).max(until);
            }
            None => {
                self.next_global = Some(self.next_global.map_or(until, |g| g.max(until)));
            }
        }
    }

    /// Drop what no longer constrains anything, so the map does not grow forever.
    pub fn forget_past(&mut self, now: Instant) {
        if self.next_chat.len() > 1024 {
            self.next_chat.retain(|_, t| *t > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LimitsConfig;

    fn defaults() -> Limits {
        Limits::from_config(&LimitsConfig {
            global_per_second: 30,
            per_chat_per_second: 1,
            per_group_per_minute: 20,
        })
    }

    /// Drive the pacer like the sender does, sending as early as allowed.
    fn schedule(pacer: &mut Pacer, chats: &[i64], start: Instant) -> Vec<(i64, Instant)> {
        let mut now = start;
        let mut out = Vec::new();
        for &chat in chats {
            if let Some(t) = pacer.ready_at(Some(chat)) {
                now = now.max(t);
            }
            pacer.record(Some(chat), now);
            out.push((chat, now));
        }
        out
    }

    #[test]
    fn one_chat_gets_at_most_one_per_second() {
        let start = Instant::now();
        let mut p = Pacer::new(defaults());
        let sent = schedule(&mut p, &[7; 100], start);
        for w in sent.windows(2) {
            assert!(w[1].1 - w[0].1 >= Duration::from_secs(1));
        }
        assert_eq!(sent[99].1 - start, Duration::from_secs(99));
    }

    #[test]
    fn groups_get_at_most_twenty_per_minute() {
        let start = Instant::now();
        let mut p = Pacer::new(defaults());
        let sent = schedule(&mut p, &[-100; 21], start);
        assert!(sent[20].1 - sent[0].1 >= Duration::from_secs(60));
    }

    #[test]
    fn many_chats_share_thirty_per_second() {
        let start = Instant::now();
        let mut p = Pacer::new(defaults());
        let chats: Vec<i64> = (1..=61).collect();
        let sent = schedule(&mut p, &chats, start);
        // 61 calls need at least 2 s at 30/s, and no second holds more than 30.
        assert!(sent[60].1 - start >= Duration::from_secs(2));
        for (i, (_, t)) in sent.iter().enumerate() {
            let within = sent[i..]
                .iter()
                .filter(|(_, u)| *u - *t < Duration::from_secs(1))
                .count();
            assert!(within <= 30, "{within} calls within one second");
        }
    }

    #[test]
    fn zero_means_unlimited() {
        let mut p = Pacer::new(Limits::default());
        let now = Instant::now();
        p.record(Some(1), now);
        assert_eq!(p.ready_at(Some(1)), None);
    }

    #[test]
    fn hold_delays_only_that_chat() {
        let mut p = Pacer::new(Limits::default());
        let now = Instant::now();
        p.hold(Some(1), now + Duration::from_secs(2));
        assert_eq!(p.ready_at(Some(1)), Some(now + Duration::from_secs(2)));
        assert_eq!(p.ready_at(Some(2)), None);
    }
}
