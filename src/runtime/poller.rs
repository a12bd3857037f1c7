//! Long polling: the same processing as the webhook, fed by `getUpdates`. The offset
//! is saved in the transaction of each update, so a restart neither skips nor
//! repeats one.

use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::runtime::writer::{POLL_OFFSET_KEY, Processor};
use crate::store::{self, updates::Source};
use crate::telegram::{ALLOWED_UPDATES, ApiError, BotApi};

pub struct Poller {
    api: BotApi,
    processor: Processor,
    poll_timeout: Duration,
}

impl Poller {
    pub fn new(api: BotApi, processor: Processor, poll_timeout: Duration) -> Poller {
        Poller {
            api,
            processor,
            poll_timeout,
        }
    }

    pub async fn run(self, stop: CancellationToken) {
        if !self.remove_webhook(&stop).await {
            return;
        }
        info!("polling Telegram for updates");
        let mut delay = Duration::from_secs(1);
        while !stop.is_cancelled() {
            let offset = match self
                .processor
                .store()
                .run(|c| store::meta_get(c, POLL_OFFSET_KEY))
                .await
            {
                Ok(v) => v.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0),
                Err(e) => {
                    error!(error = %e, "cannot read the polling offset");
                    if pause(&stop, delay).await {
                        return;
                    }
                    continue;
                }
            };
            let params = json!({
                "offset": offset,
                "timeout": self.poll_timeout.as_secs(),
                "allowed_updates": ALLOWED_UPDATES,
            });
            let fetch = self.api.call_with_timeout(
                "getUpdates",
                &params,
                self.poll_timeout + Duration::from_secs(10),
            );
            let result = tokio::select! {
                _ = stop.cancelled() => return,
                r = fetch => r,
            };
            let failed = match result {
                Ok(Value::Array(updates)) => self.ingest_all(updates).await,
                Ok(other) => {
                    warn!(answer = %other, "getUpdates answered something that is not a list");
                    true
                }
                Err(ApiError::RetryAfter(wait)) => {
                    if pause(&stop, wait).await {
                        return;
                    }
                    false
                }
                Err(e) => {
                    warn!(error = %e, "getUpdates failed");
                    true
                }
            };
            if failed {
                if pause(&stop, delay).await {
                    return;
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            } else {
                delay = Duration::from_secs(1);
            }
        }
    }

    /// Process a batch in order; `true` if one could not be committed (the rest of
    /// the batch is left for the next `getUpdates`, which serves it again).
    async fn ingest_all(&self, updates: Vec<Value>) -> bool {
        for update in updates {
            let bytes = serde_json::to_vec(&update).unwrap_or_default();
            if let Err(e) = self.processor.ingest(bytes, Source::Poll).await {
                error!(error = %e, "could not commit a polled update; will fetch it again");
                return true;
            }
        }
        false
    }

    /// `deleteWebhook` (keeping pending updates); `false` if stopped first.
    async fn remove_webhook(&self, stop: &CancellationToken) -> bool {
        let mut delay = Duration::from_secs(1);
        loop {
            match self
                .api
                .call("deleteWebhook", &json!({ "drop_pending_updates": false }))
                .await
            {
                Ok(_) => return true,
                Err(e) => warn!(error = %e, "could not remove the webhook before polling"),
            }
            if pause(stop, delay).await {
                return false;
            }
            delay = (delay * 2).min(Duration::from_secs(60));
        }
    }
}

/// Wait `d` unless stopped; `true` if stopped.
async fn pause(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = stop.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}
