//! Waiting for the service: until what a step must do has happened, then until it
//! has nothing left to do; the error that says which step hung.

use std::time::Duration;

use testkit::bot_api::Call;
use tokio::task::JoinHandle;

use super::cast::{GROUP, MARIA};
use super::text::plain_text;
use super::{Demo, Error, Result, STEP_TIMEOUT, demo_error};

/// How long the service must stay idle (nothing queued, nothing in flight) before a
/// step counts as finished.
const QUIET: Duration = Duration::from_millis(150);

impl Demo {
    pub(super) fn new_calls(&self) -> Vec<Call> {
        self.bot.calls().into_iter().skip(self.calls_seen).collect()
    }

    /// A message (text, media, card) reached `chat` during this step.
    pub(super) fn new_message_to(&self, chat: i64) -> bool {
        self.new_calls().iter().any(|c| {
            c.ok && c.chat_id() == Some(chat)
                && (c.method.to_ascii_lowercase().starts_with("send")
                    || c.is("copyMessage")
                    || c.is("copyMessages"))
        })
    }

    pub(super) fn new_copy_to(&self, chat: i64) -> bool {
        self.new_calls()
            .iter()
            .any(|c| c.ok && c.chat_id() == Some(chat) && c.is("copyMessage"))
    }

    /// The newest message in the Support group with a Take button: its id and the
    /// button's callback data.
    pub(super) fn announcement(&self) -> Option<(i64, String)> {
        self.bot.calls().iter().rev().find_map(|c| {
            if !(c.ok && c.is("sendMessage") && c.chat_id() == Some(GROUP)) {
                return None;
            }
            let (_, data) = c.buttons().into_iter().find(|(text, _)| text == "Take")?;
            Some((c.message_id()?, data))
        })
    }

    /// The request number, from the receipt Maria got ("Your request #1 is received").
    pub(super) fn request_number(&self) -> Result<i64> {
        self.bot
            .delivered_to(MARIA.id)
            .iter()
            .filter_map(Call::text)
            .find_map(|t| {
                let digits: String = plain_text(&t)
                    .split_once('#')?
                    .1
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            })
            .ok_or_else(|| demo_error("Maria was never told the number of her request"))
    }

    /// Wait until `condition` holds, at most [`STEP_TIMEOUT`]; the error says which
    /// step did not happen.
    pub(super) async fn until(
        &mut self,
        what: &str,
        condition: impl Fn(&Demo) -> bool,
    ) -> Result<()> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            if condition(self) {
                return Ok(());
            }
            self.check_service().await?;
            if tokio::time::Instant::now() >= deadline {
                return Err(
                    self.failure(&format!("waited {} s for {what}", STEP_TIMEOUT.as_secs()))
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait until the service has nothing left to do for now: no Bot API call or mail
    /// queued or under way, no album part or archive file waiting, and no new call
    /// for a short while.
    pub(super) async fn settle(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        let mut quiet_since: Option<(tokio::time::Instant, usize, usize)> = None;
        loop {
            self.check_service().await?;
            let calls = self.bot.calls();
            let mails = self.mail.messages().len();
            let idle = calls.iter().all(|c| c.status != 0) && self.service_idle();
            let now = tokio::time::Instant::now();
            match quiet_since {
                Some((since, n, m)) if idle && n == calls.len() && m == mails => {
                    if now.duration_since(since) >= QUIET {
                        return Ok(());
                    }
                }
                _ if idle => quiet_since = Some((now, calls.len(), mails)),
                _ => quiet_since = None,
            }
            if now >= deadline {
                return Err(self.failure(&format!(
                    "the service was still busy after {} s",
                    STEP_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Nothing pending in the service's outboxes, albums or archive downloads.
    fn service_idle(&self) -> bool {
        let Ok(conn) = rusqlite::Connection::open_with_flags(
            &self.db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) else {
            return false;
        };
        let _ = conn.busy_timeout(Duration::from_secs(1));
        relaydesk::store::health::work_left(&conn).is_ok_and(|n| n == 0)
    }

    /// An error if the service has stopped on its own.
    pub(super) async fn check_service(&mut self) -> Result<()> {
        if !self.service.as_ref().is_some_and(JoinHandle::is_finished) {
            return Ok(());
        }
        let outcome = match self.service.take() {
            Some(service) => service.await,
            None => return Ok(()),
        };
        let why = match outcome {
            Ok(Ok(())) => "it returned without being asked to".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        Err(self.failure(&format!("the service stopped unexpectedly: {why}")))
    }

    /// The error for the current step, with the last Bot API calls for context.
    pub(super) fn failure(&self, what: &str) -> Error {
        let dump = self.bot.dump();
        let lines: Vec<&str> = dump.lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n");
        let step = if self.step == 0 {
            format!("while {}", self.step_title)
        } else {
            format!("at step {} ({})", self.step, self.step_title)
        };
        demo_error(format!(
            "the demo stopped {step}: {what}.\nThe last Bot API calls the service made:\n{tail}"
        ))
    }
}
