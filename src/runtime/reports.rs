//! The daily team report (SPEC §6.4, `[reports] daily_at`): at that time of day in
//! the desk's time zone the controllers get the day's team stats, once a day — the
//! day whose report went out is kept in the database, so a restart neither repeats
//! nor loses one (a day missed while the service was down is not sent late).

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::error;

use crate::domain::stats::DAY_MS;
use crate::domain::{Action, Policy};
use crate::runtime::writer::Processor;
use crate::store::{self, apply::DAILY_REPORT_KEY};

/// What to do about the report at `now`: send the one of the day starting at the
/// given moment, or wait until the given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Send { day_start: i64 },
    WaitUntil(i64),
}

/// The report's schedule, pure: `minute` after midnight of each day, `last_sent`
/// the start of the day whose report went out last.
pub fn next(policy: &Policy, minute: u32, last_sent: Option<i64>, now: i64) -> Next {
    let today = policy.day_start(now);
    let due = today + i64::from(minute) * 60_000;
    if now >= due && last_sent.is_none_or(|day| day < today) {
        return Next::Send { day_start: today };
    }
    if now < due {
        Next::WaitUntil(due)
    } else {
        // Today's went out: tomorrow's (the day start taken again, for days of 23
        // or 25 hours).
        let tomorrow = policy.day_start(today + DAY_MS + DAY_MS / 2);
        Next::WaitUntil(tomorrow + i64::from(minute) * 60_000)
    }
}

/// Send the reports until `stop`. Does nothing when no report time is set. The
/// desk's time zone is the configuration's in force: a reload plans again.
pub async fn run(processor: Processor, stop: CancellationToken) {
    let mut reloads = processor.live().watch();
    let store = processor.store().clone();
    loop {
        reloads.mark_unchanged();
        let policy = processor.live().get().policy.clone();
        let Some(minute) = policy.daily_report_minute else {
            return;
        };
        let last = store
            .run(|c| store::meta_get(c, DAILY_REPORT_KEY))
            .await
            .map(|v| v.and_then(|s| s.parse::<i64>().ok()));
        let now = crate::now_ms();
        let wait_until = match last {
            Ok(last) => match next(&policy, minute, last, now) {
                Next::Send { day_start } => {
                    if let Err(e) = processor.handle(Action::DailyReport { day_start }).await {
                        error!(error = %e, "the daily report could not be queued");
                        now + 60_000
                    } else {
                        continue;
                    }
                }
                Next::WaitUntil(at) => at,
            },
            Err(e) => {
                error!(error = %e, "cannot read when the last daily report went out");
                now + 60_000
            }
        };
        let wait = Duration::from_millis(u64::try_from(wait_until - now).unwrap_or(0));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(Instant::now() + wait) => {}
            _ = reloads.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY0: i64 = 20_000 * DAY_MS;
    const SIX_PM: u32 = 18 * 60;

    #[test]
    fn the_report_goes_once_a_day_at_its_time() {
        let p = Policy::default();
        let at_six = DAY0 + 18 * 3_600_000;
        // Before six: wait for six.
        assert_eq!(
            next(&p, SIX_PM, None, DAY0 + 1_000),
            Next::WaitUntil(at_six)
        );
        // At six, nothing sent today: send today's.
        assert_eq!(
            next(&p, SIX_PM, Some(DAY0 - DAY_MS), at_six),
            Next::Send { day_start: DAY0 }
        );
        // Sent: wait for tomorrow's, also after a restart later that evening.
        assert_eq!(
            next(&p, SIX_PM, Some(DAY0), at_six + 3_600_000),
            Next::WaitUntil(at_six + DAY_MS)
        );
        // Started late in the day with nothing sent: today's still goes (once).
        assert_eq!(
            next(&p, SIX_PM, None, DAY0 + 23 * 3_600_000),
            Next::Send { day_start: DAY0 }
        );
    }
}
