//! The disk-space alert policy (SPEC §4), pure: a reading and what was done so far
//! give the new state and what to tell; and the texts of the alerts. The runtime's
//! disk monitor measures, keeps the state and queues the notices.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::texts::Lang;

/// One megabyte as `disk.min_free_mb` counts it: 1024 × 1024 bytes.
pub const MB: u64 = 1024 * 1024;

/// The free space of the disk holding `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    /// The path that was asked about, as given.
    pub path: PathBuf,
    /// Where the disk holding it is mounted.
    pub mount_point: PathBuf,
    /// Bytes available to an unprivileged user (what relaydesk can still write).
    pub free_bytes: u64,
    pub total_bytes: u64,
}

impl Space {
    /// Free space in whole megabytes (1 MB = 1024 × 1024 bytes), rounded down.
    pub fn free_mb(&self) -> u64 {
        self.free_bytes / MB
    }

    /// Size of the disk in whole megabytes, rounded down.
    pub fn total_mb(&self) -> u64 {
        self.total_bytes / MB
    }

    /// Free space as a percentage of the disk's size; 0 for a disk of size 0.
    pub fn free_percent(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            self.free_bytes as f64 * 100.0 / self.total_bytes as f64
        }
    }
}

/// When a disk counts as low, and how often to repeat the alert while it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub min_free_mb: u64,
    pub min_free_percent: f64,
    pub repeat_every: Duration,
}

impl Thresholds {
    /// Free space below `min_free_mb` or below `min_free_percent` of the disk.
    pub fn is_low(&self, space: &Space) -> bool {
        space.free_bytes < self.min_free_mb.saturating_mul(MB)
            || space.free_percent() < self.min_free_percent
    }
}

/// What the alerts of one disk have done so far (unix ms), kept in the `meta` table.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertState {
    /// Since when the disk has been low (as first noticed); `None` while it is fine.
    pub low_since: Option<i64>,
    /// When the last alert (first or repeated) was queued.
    pub last_alert_at: Option<i64>,
}

/// What to tell the people in `disk.alert_to` and the controllers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The disk has just fallen below a threshold.
    Low,
    /// It is still low, `repeat_every` after the last alert.
    StillLow,
    /// It is back above the thresholds.
    Recovered,
}

/// The whole policy: given what was done so far and a new reading, the new state and
/// what (if anything) to tell.
pub fn decide(
    state: AlertState,
    space: &Space,
    t: &Thresholds,
    now_ms: i64,
) -> (AlertState, Option<Notice>) {
    let low = t.is_low(space);
    match (state.low_since, low) {
        (None, true) => (
            AlertState {
                low_since: Some(now_ms),
                last_alert_at: Some(now_ms),
            },
            Some(Notice::Low),
        ),
        (Some(_), true) => {
            let repeat = i64::try_from(t.repeat_every.as_millis()).unwrap_or(i64::MAX);
            match state.last_alert_at {
                // The clock went back: count the wait again from now.
                Some(last) if now_ms < last => (
                    AlertState {
                        last_alert_at: Some(now_ms),
                        ..state
                    },
                    None,
                ),
                Some(last) if now_ms - last < repeat => (state, None),
                _ => (
                    AlertState {
                        last_alert_at: Some(now_ms),
                        ..state
                    },
                    Some(Notice::StillLow),
                ),
            }
        }
        (Some(_), false) => (AlertState::default(), Some(Notice::Recovered)),
        (None, false) => (AlertState::default(), None),
    }
}

// ---------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------

/// An alert about one disk: what happened, its figures, the other watched paths
/// on it, the thresholds, the host, and the language its texts are in.
pub struct Alert<'a> {
    pub notice: Notice,
    pub space: &'a Space,
    /// More watched paths on the same disk.
    pub also: &'a [PathBuf],
    pub thresholds: &'a Thresholds,
    pub host: &'a str,
    pub texts: &'a Lang,
}

impl Alert<'_> {
    /// The alert email (subject, plain-text body).
    pub fn email(&self) -> (String, String) {
        let Alert {
            notice,
            space,
            also,
            thresholds: t,
            host,
            texts,
        } = *self;
        let host = one_line(host);
        let mount = space.mount_point.display().to_string();
        let gb_part = gb(space.free_mb(), texts)
            .map(|g| format!(", {g}"))
            .unwrap_or_default();
        let free = texts.render_plain(
            "disk_free_share",
            &[
                ("mb", &space.free_mb().to_string()),
                ("percent", &format!("{:.1}", space.free_percent())),
                ("gb", &gb_part),
            ],
        );
        let path = space.path.display().to_string();
        let mut facts = texts.render_plain("disk_facts_head", &[("host", &host), ("path", &path)]);
        for p in also {
            let p = p.display().to_string();
            facts.push_str(&texts.render_plain("disk_facts_also", &[("path", &p)]));
        }
        facts.push_str(&texts.render_plain(
            "disk_facts_rest",
            &[
                ("mount", &mount),
                ("free", &free),
                ("total", &mb(space.total_mb(), texts)),
                ("min_mb", &mb(t.min_free_mb, texts)),
                ("min_percent", &t.min_free_percent.to_string()),
            ],
        ));
        let repeat = humantime::format_duration(t.repeat_every).to_string();
        let free_mb = mb(space.free_mb(), texts);
        let vars = [
            ("host", host.as_str()),
            ("mount", mount.as_str()),
            ("free", free_mb.as_str()),
            ("facts", facts.as_str()),
            ("repeat", repeat.as_str()),
        ];
        let (subject, opening, end) = match notice {
            Notice::Low => ("disk_mail_low_subject", "disk_mail_low", "disk_mail_advice"),
            Notice::StillLow => (
                "disk_mail_still_low_subject",
                "disk_mail_still_low",
                "disk_mail_advice",
            ),
            Notice::Recovered => (
                "disk_mail_recovered_subject",
                "disk_mail_recovered",
                "disk_mail_recovered_end",
            ),
        };
        let body = format!(
            "{}\n\n{facts}\n{}",
            texts.render_plain(opening, &vars),
            texts.render_plain(end, &vars)
        );
        (texts.render_plain(subject, &vars), body)
    }

    /// The message to the controllers: the same facts, shorter.
    pub fn chat_text(&self) -> String {
        let (space, texts, t) = (self.space, self.texts, self.thresholds);
        let mut paths = space.path.display().to_string();
        for p in self.also {
            paths.push_str(", ");
            paths.push_str(&p.display().to_string());
        }
        let figures = texts.render_plain(
            "disk_chat_figures",
            &[
                ("free", &mb(space.free_mb(), texts)),
                ("percent", &format!("{:.1}", space.free_percent())),
                ("total", &mb(space.total_mb(), texts)),
                ("mount", &space.mount_point.display().to_string()),
                ("paths", &paths),
                ("min_mb", &mb(t.min_free_mb, texts)),
                ("min_percent", &t.min_free_percent.to_string()),
            ],
        );
        let key = match self.notice {
            Notice::Low => "disk_chat_low",
            Notice::StillLow => "disk_chat_still_low",
            Notice::Recovered => "disk_chat_recovered",
        };
        let host = one_line(self.host);
        texts.render_plain(key, &[("host", &host), ("figures", &figures)])
    }
}

/// `n` MB, with the size in GB too when that reads better.
fn mb(n: u64, texts: &Lang) -> String {
    let n_text = n.to_string();
    match gb(n, texts) {
        Some(g) => texts.render_plain("disk_mb_gb", &[("mb", &n_text), ("gb", &g)]),
        None => texts.render_plain("disk_mb", &[("mb", &n_text)]),
    }
}

fn gb(mb: u64, texts: &Lang) -> Option<String> {
    (mb >= 10 * 1024).then(|| {
        let n = format!("{:.1}", mb as f64 / 1024.0);
        texts.render_plain("disk_about_gb", &[("gb", &n)])
    })
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert<'a>(
        notice: Notice,
        space: &'a Space,
        also: &'a [PathBuf],
        thresholds: &'a Thresholds,
        host: &'a str,
        texts: &'a Lang,
    ) -> Alert<'a> {
        Alert {
            notice,
            space,
            also,
            thresholds,
            host,
            texts,
        }
    }

    fn en() -> crate::domain::texts::Texts {
        crate::domain::texts::Texts::new(crate::domain::texts::Locale::En, &Default::default())
            .unwrap()
    }

    fn thresholds() -> Thresholds {
        Thresholds {
            min_free_mb: 1000,
            min_free_percent: 5.0,
            repeat_every: Duration::from_secs(60),
        }
    }

    fn space(free_mb: u64, total_mb: u64) -> Space {
        Space {
            path: PathBuf::from("/var/lib/relaydesk/archive"),
            mount_point: PathBuf::from("/var/lib"),
            free_bytes: free_mb * MB,
            total_bytes: total_mb * MB,
        }
    }

    /// Low since `since`, last alerted at `last`.
    fn alerted(since: i64, last: i64) -> AlertState {
        AlertState {
            low_since: Some(since),
            last_alert_at: Some(last),
        }
    }

    #[test]
    fn space_figures() {
        let s = space(500, 100_000);
        assert_eq!(s.free_mb(), 500);
        assert_eq!(s.total_mb(), 100_000);
        assert!((s.free_percent() - 0.5).abs() < 1e-9);
        let odd = Space {
            free_bytes: MB - 1,
            total_bytes: 0,
            ..s
        };
        assert_eq!(odd.free_mb(), 0);
        assert_eq!(odd.free_percent(), 0.0);
    }

    #[test]
    fn alert_repeat_and_recovery_sequence() {
        let t = thresholds();
        let low = space(500, 100_000);
        let high = space(50_000, 100_000);
        let mut state = AlertState::default();
        let mut notices = Vec::new();
        // Fine at first: nothing.
        let (s, n) = decide(state, &high, &t, 0);
        assert_eq!((s, n), (AlertState::default(), None));
        state = s;
        // Falls below: one alert.
        let (s, n) = decide(state, &low, &t, 1_000);
        assert_eq!((s, n), (alerted(1_000, 1_000), Some(Notice::Low)));
        state = s;
        notices.push(n);
        // Still low, before repeat_every: nothing, state unchanged.
        for now in [2_000, 30_000, 60_999] {
            let (s, n) = decide(state, &low, &t, now);
            assert_eq!((s, n), (state, None), "at {now}");
        }
        // repeat_every after the last alert: one more.
        let (s, n) = decide(state, &low, &t, 61_000);
        assert_eq!((s, n), (alerted(1_000, 61_000), Some(Notice::StillLow)));
        state = s;
        notices.push(n);
        let (s, n) = decide(state, &low, &t, 100_000);
        assert_eq!((s, n), (state, None));
        // Back above: one recovery, state cleared.
        let (s, n) = decide(state, &high, &t, 130_000);
        assert_eq!((s, n), (AlertState::default(), Some(Notice::Recovered)));
        state = s;
        notices.push(n);
        // And nothing more while fine.
        let (s, n) = decide(state, &high, &t, 200_000);
        assert_eq!((s, n), (AlertState::default(), None));
        assert_eq!(
            notices,
            [
                Some(Notice::Low),
                Some(Notice::StillLow),
                Some(Notice::Recovered)
            ]
        );
    }

    #[test]
    fn each_threshold_alone_triggers() {
        let t = thresholds();
        // MB only: 500 MB free is 50 % of a 1000 MB disk.
        let mb_only = space(500, 1000);
        assert!(mb_only.free_percent() >= t.min_free_percent);
        assert_eq!(
            decide(AlertState::default(), &mb_only, &t, 5).1,
            Some(Notice::Low)
        );
        // Percent only: 2000 MB free (above 1000) is 2 % of the disk.
        let pct_only = space(2000, 100_000);
        assert!(pct_only.free_mb() >= t.min_free_mb);
        assert_eq!(
            decide(AlertState::default(), &pct_only, &t, 5).1,
            Some(Notice::Low)
        );
        // Neither: 10 % and 10000 MB.
        let fine = space(10_000, 100_000);
        assert_eq!(decide(AlertState::default(), &fine, &t, 5).1, None);
        // Exactly at a threshold is not low.
        let at = Thresholds {
            min_free_mb: 1000,
            min_free_percent: 1.0,
            ..t
        };
        assert!(!at.is_low(&space(1000, 100_000)));
        assert!(at.is_low(&Space {
            free_bytes: 1000 * MB - 1,
            ..space(0, 100_000)
        }));
        // A zero threshold never triggers on its own.
        let off = Thresholds {
            min_free_mb: 0,
            min_free_percent: 0.0,
            ..t
        };
        assert!(!off.is_low(&space(0, 100_000)));
    }

    #[test]
    fn still_low_after_a_restart_is_not_a_new_alert() {
        // The state comes back from the database: the alert is not repeated early.
        let t = thresholds();
        let saved = alerted(1_000, 1_000);
        let json = serde_json::to_string(&saved).unwrap();
        let loaded: AlertState = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded, saved);
        assert_eq!(decide(loaded, &space(500, 100_000), &t, 2_000).1, None);
        // A damaged state (low, no alert time) repeats at once rather than never.
        let damaged = AlertState {
            low_since: Some(1_000),
            last_alert_at: None,
        };
        assert_eq!(
            decide(damaged, &space(500, 100_000), &t, 2_000).1,
            Some(Notice::StillLow)
        );
        // The clock went back: no alert now, and the wait starts again.
        let (s, n) = decide(saved, &space(500, 100_000), &t, 500);
        assert_eq!(n, None);
        assert_eq!(s.last_alert_at, Some(500));
        assert_eq!(decide(s, &space(500, 100_000), &t, 60_499).1, None);
        assert_eq!(
            decide(s, &space(500, 100_000), &t, 60_500).1,
            Some(Notice::StillLow)
        );
    }

    #[test]
    fn alert_email_says_what_and_what_to_do() {
        let t = thresholds();
        let s = space(500, 100_000);
        let texts = en();
        let en = texts.staff();
        let (subject, body) = alert(Notice::Low, &s, &[], &t, "desk-01", en).email();
        assert!(subject.contains("Low disk space on desk-01"), "{subject}");
        assert!(subject.contains("500 MB free on /var/lib"), "{subject}");
        assert!(!subject.contains('\n'));
        for needle in [
            "desk-01",
            "/var/lib/relaydesk/archive",
            "Mount point:  /var/lib",
            "500 MB (0.5 % of the disk)",
            "100000 MB (about 97.7 GB)",
            "less than 1000 MB or less than 5 % of the disk",
            "archive folder",
            "enlarge the disk",
            "every 1m",
        ] {
            assert!(body.contains(needle), "missing {needle:?} in:\n{body}");
        }
        let (subject, body) = alert(Notice::StillLow, &s, &[], &t, "desk-01", en).email();
        assert!(
            subject.contains("Still low disk space on desk-01"),
            "{subject}"
        );
        assert!(body.contains("still low"), "{body}");
        let recovered = space(50_000, 100_000);
        let (subject, body) = alert(Notice::Recovered, &recovered, &[], &t, "desk-01", en).email();
        assert!(subject.contains("recovered on desk-01"), "{subject}");
        assert!(body.contains("back above"), "{body}");
        assert!(
            body.contains("50000 MB (50.0 % of the disk, about 48.8 GB)"),
            "{body}"
        );
        // A host name with a line break cannot break the subject.
        let (subject, _) =
            alert(Notice::Low, &s, &[], &t, "evil\r\nBcc: x@example.com", en).email();
        assert!(
            !subject.contains('\n') && !subject.contains('\r'),
            "{subject}"
        );
    }

    #[test]
    fn grouped_paths_are_all_named() {
        let t = thresholds();
        let also = [PathBuf::from("/var/lib/relaydesk/db")];
        let (low, recovered) = (space(500, 100_000), space(50_000, 100_000));
        let (en, ru) = (
            en(),
            crate::domain::texts::Texts::new(crate::domain::texts::Locale::Ru, &Default::default())
                .unwrap(),
        );
        let low_en = alert(Notice::Low, &low, &also, &t, "h", en.staff());
        let (_, body) = low_en.email();
        assert!(
            body.contains("Also on it:   /var/lib/relaydesk/db"),
            "{body}"
        );
        let text = low_en.chat_text();
        assert!(
            text.contains("/var/lib/relaydesk/archive, /var/lib/relaydesk/db"),
            "{text}"
        );
        assert!(text.contains("500 MB free (0.5 %)"), "{text}");
        let (subject, body) = alert(Notice::Low, &low, &also, &t, "h", ru.staff()).email();
        assert!(subject.contains("Мало места на диске h"), "{subject}");
        assert!(body.contains("Точка монтирования: /var/lib"), "{body}");
        let text = alert(Notice::Recovered, &recovered, &also, &t, "h", ru.staff()).chat_text();
        assert!(text.contains("снова выше порогов"), "{text}");
    }
}
