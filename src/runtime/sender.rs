//! The outbox sender: delivers queued messages in order per chat, within
//! Telegram's limits, until each one is sent or refused for good. The Telegram
//! adapter turns each typed message into its Bot API call.

use crate::domain::{ChatId, MessageId};
use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::pacer::{Limits, Pacer};
use super::wake::{Backoff, DeliveryHook, Ended, Wake, follow_up, sleep_until_opt};
use crate::domain::Outgoing;
use crate::store::outbox::Body;
use crate::store::{self, Store};
use crate::telegram::{ApiError, BotApi, Call, wire};

pub struct Sender {
    store: Store,
    api: BotApi,
    hook: Option<std::sync::Arc<dyn DeliveryHook>>,
    committer: Option<crate::runtime::writer::Committer>,
    metrics: std::sync::Arc<crate::runtime::metrics::Metrics>,
    pacer: Pacer,
    wake: Wake,
    backoff: Backoff,
    max_in_flight: usize,
}

/// A finished send: the row, every row of the call when several were merged into
/// one `copyMessages` (the row itself among them, in the order of the copies), and
/// Telegram's answer.
type Done = (
    store::outbox::Pending,
    Vec<store::outbox::Pending>,
    Result<Value, ApiError>,
);

/// Most copies merged into one `copyMessages` (Telegram's limit).
const MERGE: usize = 100;

/// A copy of one message that may be merged with its neighbours (no reply
/// context): (to, from, message).
fn mergeable(p: &store::outbox::Pending) -> Option<(i64, i64, i64)> {
    match &p.body {
        Body::Message(Outgoing::Copy {
            to,
            from,
            message,
            reply_to: None,
        }) => Some((to.0, from.0, message.0)),
        _ => None,
    }
}

/// The Bot API call of a pending row.
fn call_of(p: &store::outbox::Pending) -> Result<Call, ApiError> {
    match &p.body {
        Body::Message(m) => Ok(wire::call(m)),
        Body::Raw { method, params } => match serde_json::from_str::<Value>(params) {
            Ok(params) => Ok(Call::new(method, p.chat_id, params)),
            Err(e) => Err(ApiError::Permanent {
                code: 0,
                description: format!("stored parameters are not JSON: {e}"),
            }),
        },
        Body::Unreadable(why) => Err(ApiError::Permanent {
            code: 0,
            description: why.clone(),
        }),
    }
}

/// The call for `head` and the rows merged into it: the pending copies that follow
/// it in the same chat, from the same source chat, each of a different message.
/// Telegram takes the ids of one `copyMessages` in strictly increasing order and
/// copies them in that order, which is the order the sender wrote them (webhook
/// deliveries may commit a few out of that order); the rows come back sorted so,
/// head included, each to be matched with its copy in the answer.
async fn merged_call(
    store: &Store,
    head: &store::outbox::Pending,
) -> (Vec<store::outbox::Pending>, Option<Call>) {
    let (Some(chat), Some((to, from, first))) = (head.chat_id, mergeable(head)) else {
        return (Vec::new(), None);
    };
    let head_id = head.id;
    let next = store
        .run(move |c| store::outbox::following(c, chat, head_id, MERGE - 1))
        .await
        .unwrap_or_default();
    let now = crate::now_ms();
    let mut run = vec![(first, head.clone())];
    for p in next {
        match mergeable(&p) {
            Some((t, f, m))
                if t == to
                    && f == from
                    && p.not_before <= now
                    && run.iter().all(|(r, _)| *r != m) =>
            {
                run.push((m, p));
            }
            _ => break,
        }
    }
    if run.len() < 2 {
        return (Vec::new(), None);
    }
    run.sort_by_key(|(m, _)| *m);
    let messages: Vec<MessageId> = run.iter().map(|(m, _)| MessageId(*m)).collect();
    let merged = Outgoing::Copies {
        to: ChatId(to),
        from: ChatId(from),
        messages,
    };
    (
        run.into_iter().map(|(_, p)| p).collect(),
        Some(wire::call(&merged)),
    )
}

impl Sender {
    pub fn new(store: Store, api: BotApi, limits: Limits, wake: Wake) -> Sender {
        Sender {
            store,
            api,
            hook: None,
            committer: None,
            metrics: std::sync::Arc::default(),
            pacer: Pacer::new(limits),
            wake,
            backoff: Backoff::default(),
            max_in_flight: 32,
        }
    }

    /// Record results in the writer thread's group commits (one sync to disk for
    /// many results and updates) instead of a transaction each.
    pub fn with_committer(mut self, committer: crate::runtime::writer::Committer) -> Sender {
        self.committer = Some(committer);
        self
    }

    /// Run a write in a transaction: the group commit when there is one.
    async fn record<F>(&self, work: F) -> crate::Result<()>
    where
        F: Fn(&rusqlite::Connection) -> crate::Result<()> + Send + 'static,
    {
        match &self.committer {
            Some(committer) => committer.write(work).await,
            None => {
                self.store
                    .run(move |c| {
                        let tx = c.transaction()?;
                        work(&tx)?;
                        tx.commit()?;
                        Ok(())
                    })
                    .await
            }
        }
    }

    pub fn with_metrics(
        mut self,
        metrics: std::sync::Arc<crate::runtime::metrics::Metrics>,
    ) -> Sender {
        self.metrics = metrics;
        self
    }

    pub fn with_hook(mut self, hook: std::sync::Arc<dyn DeliveryHook>) -> Sender {
        self.hook = Some(hook);
        self
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Sender {
        self.backoff = backoff;
        self
    }

    /// Send until `shutdown`; then let the calls already under way finish and record
    /// their results before returning.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut tasks: JoinSet<Done> = JoinSet::new();
        let mut busy_chats: HashSet<i64> = HashSet::new();
        let mut busy_ids: HashSet<i64> = HashSet::new();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let next_wake = match self.store.run(|c| store::outbox::heads(c, 512)).await {
                Ok(heads) => self.start_due(heads, &mut tasks, &mut busy_chats, &mut busy_ids),
                Err(e) => {
                    error!(error = %e, "outbox: cannot read pending calls");
                    Some(Instant::now() + Duration::from_secs(1))
                }
            };
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    self.finish(joined, &mut busy_chats, &mut busy_ids).await;
                }
                _ = self.wake.wait() => {}
                _ = sleep_until_opt(next_wake) => {}
            }
        }
        if !tasks.is_empty() {
            info!(in_flight = tasks.len(), "outbox: finishing calls under way");
        }
        while let Some(joined) = tasks.join_next().await {
            self.finish(joined, &mut busy_chats, &mut busy_ids).await;
        }
        debug!("outbox sender stopped");
    }

    /// Start every call that is due and allowed by the limits; the moment the next
    /// waiting one becomes due.
    fn start_due(
        &mut self,
        heads: Vec<store::outbox::Pending>,
        tasks: &mut JoinSet<Done>,
        busy_chats: &mut HashSet<i64>,
        busy_ids: &mut HashSet<i64>,
    ) -> Option<Instant> {
        let now = Instant::now();
        let now_ms = crate::now_ms();
        self.pacer.forget_past(now);
        let mut next: Option<Instant> = None;
        for pending in heads {
            if tasks.len() >= self.max_in_flight {
                break;
            }
            if busy_ids.contains(&pending.id)
                || pending.chat_id.is_some_and(|c| busy_chats.contains(&c))
            {
                continue;
            }
            let due = now
                + Duration::from_millis(u64::try_from(pending.not_before - now_ms).unwrap_or(0));
            let at = self
                .pacer
                .ready_at(pending.chat_id)
                .map_or(due, |p| p.max(due));
            if at > now {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            self.pacer.record(pending.chat_id, now);
            busy_ids.insert(pending.id);
            if let Some(chat) = pending.chat_id {
                busy_chats.insert(chat);
            }
            let api = self.api.clone();
            let store = self.store.clone();
            // Merging sends many messages at once: only where no per-chat limit
            // applies (Telegram allows ~1/s per chat, which merging cannot beat).
            let may_merge = self.pacer.spacing(pending.chat_id).is_none();
            tasks.spawn(async move {
                let (merged, call) = if may_merge {
                    merged_call(&store, &pending).await
                } else {
                    (Vec::new(), None)
                };
                let result = match call.map_or_else(|| call_of(&pending), Ok) {
                    Ok(call) => api.call(&call.method, &call.params).await,
                    Err(refused) => Err(refused),
                };
                (pending, merged, result)
            });
        }
        next
    }

    async fn finish(
        &mut self,
        joined: Result<Done, tokio::task::JoinError>,
        busy_chats: &mut HashSet<i64>,
        busy_ids: &mut HashSet<i64>,
    ) {
        let (pending, merged, result) = match joined {
            Ok(done) => done,
            Err(e) => {
                // A send task cannot panic on its own; if it did, the call stays
                // pending and is tried again. The busy marks are cleared wholesale.
                error!(error = %e, "outbox: send task failed");
                busy_chats.clear();
                busy_ids.clear();
                return;
            }
        };
        let id = pending.id;
        let chat = pending.chat_id;
        let method = pending.what().to_string();
        let attempt = pending.attempts + 1;
        let now_ms = crate::now_ms();
        let recorded = match result {
            Ok(result) => {
                debug!(id, method, chat, merged = merged.len(), "outbox: sent");
                // One row per copy: each gets its own result (a merged call answers
                // with a list, in order).
                let mut rows = vec![(pending.clone(), result.clone())];
                if !merged.is_empty() {
                    let results = per_row(&result, merged.len());
                    if results.iter().all(Value::is_null) {
                        warn!(
                            id,
                            expected = merged.len(),
                            got = result.as_array().map_or(0, Vec::len),
                            "outbox: copyMessages skipped some messages; copies not mapped"
                        );
                    }
                    rows = merged.iter().cloned().zip(results).collect();
                    // The pacing counts every message of the call.
                    if let (Some(c), Some(spacing)) = (chat, self.pacer.spacing(chat)) {
                        let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
                        self.pacer
                            .hold(Some(c), Instant::now() + spacing * n.saturating_sub(1));
                    }
                }
                for _ in &rows {
                    crate::runtime::metrics::Metrics::inc(&self.metrics.outbox_sent);
                }
                let hook = self.hook.clone();
                self.record(move |tx| {
                    for (row, result) in &rows {
                        store::outbox::mark_sent(tx, row.id, &result.to_string(), now_ms)?;
                        if let (Some(hook), Some(purpose)) =
                            (&hook, purpose_of(row.purpose.as_deref()))
                        {
                            follow_up(tx, "a delivered call", |c| {
                                hook.ended(c, &purpose, Ended::Delivered(result), now_ms)
                            })?;
                        }
                    }
                    Ok(())
                })
                .await
            }
            Err(ApiError::RetryAfter(wait)) => {
                crate::runtime::metrics::Metrics::inc(&self.metrics.outbox_retried);
                warn!(
                    id,
                    method,
                    chat,
                    retry_after_s = wait.as_secs(),
                    "outbox: Telegram asked to slow down"
                );
                self.pacer.hold(chat, Instant::now() + wait);
                let not_before = now_ms + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                let error = format!("429: retry after {}s", wait.as_secs());
                self.record(move |c| store::outbox::mark_retry(c, id, not_before, &error))
                    .await
            }
            Err(ApiError::Transient(error)) => {
                crate::runtime::metrics::Metrics::inc(&self.metrics.outbox_retried);
                let delay = self.backoff.delay(attempt);
                warn!(id, method, chat, attempt, %error, retry_in_ms = delay.as_millis() as u64, "outbox: call failed, will retry");
                let not_before = now_ms + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
                self.record(move |c| store::outbox::mark_retry(c, id, not_before, &error))
                    .await
            }
            Err(ApiError::Moved {
                code,
                description,
                to,
            }) => {
                crate::runtime::metrics::Metrics::inc(&self.metrics.outbox_failed);
                let error = format!("{code}: {description} (now the supergroup {to})");
                warn!(
                    id,
                    method, chat, to, "outbox: the group became a supergroup; sending there"
                );
                let hook = self.hook.clone();
                self.record(move |tx| {
                    store::outbox::mark_failed(tx, id, &error, now_ms)?;
                    if let (Some(hook), Some(from)) = (&hook, pending.chat_id) {
                        follow_up(tx, "a moved group", |c| {
                            hook.moved(c, ChatId(from), ChatId(to), now_ms)
                        })?;
                    }
                    store::outbox::resend_moved(tx, &pending, ChatId(to), now_ms)?;
                    Ok(())
                })
                .await
            }
            Err(e @ ApiError::Permanent { .. }) => {
                crate::runtime::metrics::Metrics::inc(&self.metrics.outbox_failed);
                let error = e.description();
                let code = match e {
                    ApiError::Permanent { code, .. } => code,
                    _ => 0,
                };
                warn!(id, method, chat, %error, "outbox: refused by Telegram, giving up");
                let hook = self.hook.clone();
                let purpose = pending.purpose.clone();
                self.record(move |tx| {
                    store::outbox::mark_failed(tx, id, &error, now_ms)?;
                    if let (Some(hook), Some(purpose)) = (&hook, purpose_of(purpose.as_deref())) {
                        follow_up(tx, "a refused call", |c| {
                            let how = Ended::Refused {
                                code,
                                description: &error,
                            };
                            hook.ended(c, &purpose, how, now_ms)
                        })?;
                    }
                    Ok(())
                })
                .await
            }
        };
        if let Err(e) = recorded {
            error!(id, error = %e, "outbox: cannot record the result of a call");
        }
        busy_ids.remove(&id);
        if let Some(chat) = chat {
            busy_chats.remove(&chat);
        }
    }
}

/// Each row's share of a merged call's answer: the copies in order, one per row.
/// When Telegram skipped some (a message deleted meanwhile) the answer does not say
/// which, so no row gets a copy: a wrong copy map would put replies and edits under
/// the wrong message, a missing one only sends them without reply context.
fn per_row(result: &Value, rows: usize) -> Vec<Value> {
    match result.as_array() {
        Some(items) if items.len() == rows => items.clone(),
        _ => vec![Value::Null; rows],
    }
}

fn purpose_of(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    fn copy_with(
        conn: &rusqlite::Connection,
        to: i64,
        from: i64,
        message: i64,
        reply_to: Option<i64>,
    ) -> i64 {
        let copy = Outgoing::Copy {
            to: ChatId(to),
            from: ChatId(from),
            message: MessageId(message),
            reply_to: reply_to.map(MessageId),
        };
        store::outbox::enqueue(conn, &copy.into(), 0).unwrap()
    }

    fn copy(conn: &rusqlite::Connection, to: i64, from: i64, message: i64) -> i64 {
        copy_with(conn, to, from, message, None)
    }

    #[tokio::test]
    async fn a_backlog_of_copies_merges_in_message_order_until_something_else() {
        let (_dir, store) = temp_store();
        let (head, ids) = {
            let conn = store.lock();
            // Committed out of the order the customer wrote them, one repeated.
            let head = copy(&conn, 7, 42, 12);
            let a = copy(&conn, 7, 42, 10);
            let b = copy(&conn, 7, 42, 11);
            let other_chat = copy(&conn, 8, 42, 13);
            let c = copy(&conn, 7, 42, 14);
            copy(&conn, 7, 42, 10);
            copy(&conn, 7, 42, 15);
            let _ = other_chat;
            (head, vec![a, b, head, c])
        };
        let pending = store
            .run(|c| store::outbox::heads(c, 10))
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.id == head)
            .unwrap();
        let (rows, call) = merged_call(&store, &pending).await;
        let call = call.expect("merged");
        assert_eq!(call.method, "copyMessages");
        assert_eq!(
            call.params["message_ids"],
            serde_json::json!([10, 11, 12, 14])
        );
        assert_eq!(call.params["chat_id"], 7);
        // The rows in the order of the copies, so each is matched with its own.
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
    }

    #[tokio::test]
    async fn a_copy_with_options_is_sent_alone() {
        let (_dir, store) = temp_store();
        {
            let conn = store.lock();
            copy_with(&conn, 7, 42, 3, Some(1));
            copy(&conn, 7, 42, 4);
        }
        let heads = store.run(|c| store::outbox::heads(c, 10)).await.unwrap();
        let (rows, call) = merged_call(&store, &heads[0]).await;
        assert!(rows.is_empty() && call.is_none());
    }

    #[test]
    fn a_merged_answer_is_shared_out_only_when_it_has_one_copy_per_row() {
        let whole = serde_json::json!([{"message_id": 7}, {"message_id": 8}]);
        assert_eq!(per_row(&whole, 2), vec![whole[0].clone(), whole[1].clone()]);
        let skipped = serde_json::json!([{"message_id": 7}]);
        assert_eq!(per_row(&skipped, 2), vec![Value::Null, Value::Null]);
        assert_eq!(
            per_row(&Value::Bool(true), 2),
            vec![Value::Null, Value::Null]
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff::default();
        let d1 = b.delay(1);
        let d3 = b.delay(3);
        assert!(d1 >= Duration::from_millis(450) && d1 <= Duration::from_millis(550));
        assert!(d3 >= Duration::from_millis(1800) && d3 <= Duration::from_millis(2200));
        assert!(b.delay(40) <= Duration::from_secs(60));
    }
}
