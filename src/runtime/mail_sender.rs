//! The mail worker: delivers queued emails through SMTP, retrying passing failures
//! with backoff; a mail that cannot be sent is recorded and its purpose told (so a
//! customer waiting for a code hears about it).

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::wake::{Backoff, DeliveryHook, Ended, Wake, follow_up, sleep_until_opt};
use crate::runtime::mail::{Email, MailError, Mailer};
use crate::store::Store;
use crate::store::mail::{self, PendingMail};

pub struct MailSender {
    store: Store,
    mailer: Result<Mailer, MailError>,
    wake: Wake,
    hook: Option<Arc<dyn DeliveryHook>>,
    backoff: Backoff,
}

impl MailSender {
    pub fn new(store: Store, mailer: Result<Mailer, MailError>, wake: Wake) -> MailSender {
        MailSender {
            store,
            mailer,
            wake,
            hook: None,
            backoff: Backoff {
                base: Duration::from_secs(2),
                max: Duration::from_secs(600),
            },
        }
    }

    pub fn with_hook(mut self, hook: Arc<dyn DeliveryHook>) -> MailSender {
        self.hook = Some(hook);
        self
    }

    pub async fn run(self, stop: CancellationToken) {
        loop {
            if stop.is_cancelled() {
                break;
            }
            let now = crate::now_ms();
            let next = match self.store.run(move |c| next_mail(c, now)).await {
                Ok(Next::Due(mail)) => {
                    tokio::select! {
                        // A send under way is finished, not cut: at worst the
                        // SMTP timeout.
                        _ = self.send(mail) => {}
                    }
                    continue;
                }
                Ok(Next::At(at)) => Some(
                    Instant::now() + Duration::from_millis(u64::try_from(at - now).unwrap_or(0)),
                ),
                Ok(Next::Nothing) => None,
                Err(e) => {
                    error!(error = %e, "mail: cannot read the queue");
                    Some(Instant::now() + Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.wake.wait() => {}
                _ = sleep_until_opt(next) => {}
            }
        }
    }

    async fn send(&self, mail: PendingMail) {
        let email = Email {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            body: mail.body.clone(),
        };
        let result = match &self.mailer {
            Ok(mailer) => mailer.send(&email).await,
            Err(e) => Err(e.clone()),
        };
        let now = crate::now_ms();
        let id = mail.id;
        let attempt = mail.attempts + 1;
        let hook = self.hook.clone();
        let purpose = mail.purpose.clone();
        let outcome = match result {
            Ok(()) => {
                info!(id, "mail: sent");
                Outcome::Sent
            }
            Err(MailError::Transient(e))
                if mail.max_attempts == 0 || attempt < mail.max_attempts =>
            {
                let delay = self.backoff.delay(attempt);
                warn!(id, attempt, error = %e, retry_in_s = delay.as_secs(), "mail: failed, will retry");
                Outcome::Retry(now + i64::try_from(delay.as_millis()).unwrap_or(60_000), e)
            }
            Err(e) => {
                error!(id, attempt, error = %e, "mail: could not be sent, giving up");
                Outcome::Failed(e.to_string())
            }
        };
        let recorded = self
            .store
            .run(move |c| {
                let tx = c.transaction()?;
                match outcome {
                    Outcome::Sent => mail::mark_sent(&tx, id, now)?,
                    Outcome::Retry(at, e) => mail::mark_retry(&tx, id, at, &e)?,
                    Outcome::Failed(e) => {
                        mail::mark_failed(&tx, id, &e, now)?;
                        if let (Some(hook), Some(purpose)) = (
                            hook,
                            purpose.and_then(|p| serde_json::from_str::<Value>(&p).ok()),
                        ) {
                            follow_up(&tx, "a failed mail", |c| {
                                hook.ended(c, &purpose, Ended::MailFailed(&e), now)
                            })?;
                        }
                    }
                }
                tx.commit()?;
                Ok(())
            })
            .await;
        if let Err(e) = recorded {
            error!(id, error = %e, "mail: cannot record the result");
        }
    }
}

enum Outcome {
    Sent,
    Retry(i64, String),
    Failed(String),
}

enum Next {
    Due(PendingMail),
    At(i64),
    Nothing,
}

fn next_mail(conn: &mut Connection, now: i64) -> crate::Result<Next> {
    if let Some(m) = mail::next_due(conn, now)? {
        return Ok(Next::Due(m));
    }
    Ok(mail::next_due_at(conn)?.map_or(Next::Nothing, Next::At))
}
