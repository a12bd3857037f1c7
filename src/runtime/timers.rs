//! The timer worker: fires the deadlines (timeout close, close warning, reminder
//! steps) and album windows. It sleeps until the earliest moment stored in the
//! database, so a restart neither loses nor repeats a close or a reminder.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::error;

use crate::runtime::wake::{Wake, sleep_until_opt};
use crate::runtime::writer::Processor;
use crate::store::deadlines;

pub async fn run(processor: Processor, wake: Wake, stop: CancellationToken) {
    let store = processor.store().clone();
    loop {
        if stop.is_cancelled() {
            return;
        }
        let now = crate::now_ms();
        let mut pause = None;
        match store.run(move |c| deadlines::due_timers(c, now)).await {
            Ok(events) => {
                for event in events {
                    if let Err(e) = processor.handle(event.clone()).await {
                        error!(error = %e, ?event, "a timer could not be handled");
                        pause = Some(Instant::now() + Duration::from_secs(1));
                    }
                }
            }
            Err(e) => {
                error!(error = %e, "cannot read the timers");
                pause = Some(Instant::now() + Duration::from_secs(1));
            }
        }
        let next = match pause {
            Some(p) => Some(p),
            None => match store.run(deadlines::next_timer_of).await {
                Ok(Some(at)) => {
                    let wait = u64::try_from(at - crate::now_ms()).unwrap_or(0);
                    Some(Instant::now() + Duration::from_millis(wait))
                }
                Ok(None) => None,
                Err(e) => {
                    error!(error = %e, "cannot read the next timer");
                    Some(Instant::now() + Duration::from_secs(1))
                }
            },
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = wake.wait() => {}
            _ = sleep_until_opt(next) => {}
        }
    }
}
