//! The Bot API emulator: a Telegram Bot API server on `127.0.0.1`, with no account
//! and no network, for `relaydesk demo` and the integration tests.
//!
//! `FakeBot::try_start()` (or `start()`, which panics, for tests) serves the Bot API on
//! `127.0.0.1:<random port>`; point the service (or teloxide's `Bot::set_api_url`) at
//! `fake.url`. Every call is recorded (`calls`, `calls_of`, `delivered`,
//! `try_wait_for`), answers look like the real Bot API (they parse with teloxide's
//! types), and failures can be injected with [`Rule`]s. Updates reach the service
//! the way Telegram sends them: [`FakeBot::deliver_update`] posts to the webhook the
//! service registered, or [`FakeBot::push_update`] queues them for `getUpdates`.
//!
//! Behaviour copied from the real server, because services trip over it:
//! - message ids are counted per chat; incoming messages seen through `push_update`,
//!   `deliver_update` or `remember_message` advance the same counter;
//! - `parse_mode` HTML / MarkdownV2 is validated ("can't parse entities") and lengths
//!   are counted after entity parsing, in UTF-16 code units (4096 text, 1024 caption);
//! - `editMessage*` of an unknown message fails ("message to edit not found") and an
//!   edit that changes nothing fails ("message is not modified"); `editMessageText`
//!   without `reply_markup` removes the inline keyboard;
//! - `getUpdates` is a real long poll, confirms by `offset`, answers 409 while a webhook
//!   is set and terminates an older pending poll when a newer one arrives;
//! - `setWebhook` wants an https URL on port 443, 80, 88 or 8443 (see
//!   [`FakeBot::set_strict_webhook`]); `getFile` refuses files over 20 MB; uploads
//!   over 50 MB get 413;
//! - copies keep the content of messages the fake has seen (sent by the bot, or
//!   remembered incoming ones); replies to unknown messages are accepted, replies to
//!   deleted ones fail ("message to be replied not found").
//!
//! State lives as long as the `FakeBot`: a service restarted against a new `FakeBot`
//! cannot edit messages sent through the old one.
//!
//! Note for teloxide clients: teloxide sleeps 10 s after any HTTP 5xx answer, so use
//! `Action::ServerError` with raw HTTP clients or expect that delay.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

pub const TOKEN: &str = "123456:TEST-token_abc";
pub const BOT_ID: i64 = 123456;
pub const BOT_USERNAME: &str = "relaydesk_test_bot";
pub const BOT_FIRST_NAME: &str = "Relaydesk Test";
/// Largest file `getFile` lets a bot download.
pub const MAX_DOWNLOAD: u64 = 20 * 1024 * 1024;
/// Largest file a bot may upload.
pub const MAX_UPLOAD: usize = 50 * 1024 * 1024;

/// One recorded Bot API call.
#[derive(Clone, Debug)]
pub struct Call {
    /// As received in the path, e.g. "SendMessage" (teloxide) or "sendMessage".
    pub method: String,
    /// Always an object: JSON body, multipart text fields (values parsed as JSON when
    /// they parse, else strings), urlencoded form and query string.
    pub params: Value,
    /// Multipart file parts: (field name, file name, bytes). A part that a top-level
    /// parameter references as `attach://<part>` (teloxide's way) is named after that
    /// parameter, e.g. "certificate" or "document".
    pub files: Vec<(String, String, Vec<u8>)>,
    /// Arrival time.
    pub at: Instant,
    /// HTTP status answered, 0 while pending (a `Hang` rule, a long poll in progress).
    pub status: u16,
    /// Answered `ok: true`.
    pub ok: bool,
    /// The JSON answered (Null while pending).
    pub response: Value,
}

impl Call {
    /// Method name compared case-insensitively.
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.get(key)
    }

    /// A parameter as a string (numbers and booleans are formatted).
    pub fn str_param(&self, key: &str) -> Option<String> {
        self.params.get(key).and_then(value_to_string)
    }

    /// A parameter as an integer (numbers or numeric strings).
    pub fn int_param(&self, key: &str) -> Option<i64> {
        self.params.get(key).and_then(value_to_i64)
    }

    /// `params.chat_id` as a number or numeric string.
    pub fn chat_id(&self) -> Option<i64> {
        self.int_param("chat_id")
    }

    /// `params.text`, else `params.caption`.
    pub fn text(&self) -> Option<String> {
        self.str_param("text").or_else(|| self.str_param("caption"))
    }

    /// `result.message_id` of the answer, if any.
    pub fn message_id(&self) -> Option<i64> {
        self.response
            .get("result")
            .and_then(|r| r.get("message_id"))
            .and_then(Value::as_i64)
    }

    /// `error_code` of a failed answer.
    pub fn error_code(&self) -> Option<i64> {
        self.response.get("error_code").and_then(Value::as_i64)
    }

    /// The uploaded file for a parameter: a part named `field`, or the part an
    /// `attach://name` value of `field` points at (teloxide uploads that way).
    pub fn file(&self, field: &str) -> Option<&(String, String, Vec<u8>)> {
        if let Some(f) = self.files.iter().find(|f| f.0 == field) {
            return Some(f);
        }
        let target = self.str_param(field)?;
        let name = target.strip_prefix("attach://")?;
        self.files.iter().find(|f| f.0 == name)
    }

    /// `params.reply_markup` as JSON (decoded when it was sent as a string).
    pub fn reply_markup(&self) -> Option<Value> {
        match self.params.get("reply_markup")? {
            Value::String(s) => serde_json::from_str(s).ok(),
            Value::Null => None,
            v => Some(v.clone()),
        }
    }

    /// Inline keyboard buttons as (text, callback_data or url), row by row flattened.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let Some(markup) = self.reply_markup() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(rows) = markup.get("inline_keyboard").and_then(Value::as_array) {
            for row in rows {
                for b in row.as_array().into_iter().flatten() {
                    let text = b.get("text").and_then(value_to_string).unwrap_or_default();
                    let data = b
                        .get("callback_data")
                        .or_else(|| b.get("url"))
                        .and_then(value_to_string)
                        .unwrap_or_default();
                    out.push((text, data));
                }
            }
        }
        out
    }
}

/// What a matching [`Rule`] answers instead of the normal result.
#[derive(Clone, Debug)]
pub enum Action {
    /// 429 "Too Many Requests: retry after N" with `parameters.retry_after = N`.
    RetryAfter(u64),
    /// 500 "Internal Server Error".
    ServerError,
    /// Never answer; the call is recorded with status 0.
    Hang,
    /// 403 with this description, e.g. "Forbidden: bot was blocked by the user".
    Forbidden(String),
    /// 400 with this description, e.g. "Bad Request: chat not found".
    BadRequest(String),
    /// 400 "Bad Request: group chat was upgraded to a supergroup chat" with
    /// `parameters.migrate_to_chat_id`.
    MigrateToChat(i64),
    /// Any status and description.
    Error(u16, String),
}

/// Failure injection: the first matching rule with uses left answers the call.
#[derive(Clone, Debug)]
pub struct Rule {
    method: Option<String>,
    chat_id: Option<i64>,
    times: Option<usize>,
    action: Action,
    /// Apply to only this percentage of matching calls, chosen by a seeded
    /// pseudo-random sequence (the same every run).
    chance: Option<(u64, u64)>,
    /// Pick the action among these (by the same sequence) instead of `action`.
    one_of: Vec<Action>,
}

impl Rule {
    /// Matches every call (except file downloads) until cleared.
    pub fn new(action: Action) -> Rule {
        Rule {
            method: None,
            chat_id: None,
            times: None,
            action,
            chance: None,
            one_of: Vec::new(),
        }
    }

    /// Apply to about `percent` % of the matching calls (deterministically, from `seed`).
    pub fn chance(mut self, percent: u64, seed: u64) -> Rule {
        self.chance = Some((percent.min(100), seed | 1));
        self
    }

    /// Answer with one of these actions, picked pseudo-randomly each time.
    pub fn one_of(mut self, actions: Vec<Action>) -> Rule {
        self.one_of = actions;
        self
    }

    /// Whether this matching call is hit, and with which action.
    fn roll(&mut self) -> Option<Action> {
        let next = |state: &mut u64| {
            // xorshift64*
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let mut state = self.chance.map(|(_, s)| s).unwrap_or(0x9E37_79B9_7F4A_7C15);
        if let Some((percent, _)) = self.chance {
            let hit = next(&mut state) % 100 < percent;
            self.chance = Some((percent, state));
            if !hit {
                return None;
            }
        }
        if self.one_of.is_empty() {
            return Some(self.action.clone());
        }
        let i = (next(&mut state) % self.one_of.len() as u64) as usize;
        if let Some((percent, _)) = self.chance {
            self.chance = Some((percent, state));
        }
        Some(self.one_of[i].clone())
    }

    /// Only this method (case-insensitive).
    pub fn method(mut self, m: &str) -> Rule {
        self.method = Some(m.to_owned());
        self
    }

    /// Only calls whose `chat_id` is this chat.
    pub fn chat(mut self, chat_id: i64) -> Rule {
        self.chat_id = Some(chat_id);
        self
    }

    /// Only the next `n` matching calls.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, chat_id: Option<i64>) -> bool {
        if self.times == Some(0) {
            return false;
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        if let Some(c) = self.chat_id
            && chat_id != Some(c)
        {
            return false;
        }
        true
    }
}

/// What `setWebhook` registered.
#[derive(Clone, Debug, Default)]
pub struct WebhookConfig {
    pub url: String,
    pub secret_token: Option<String>,
    /// The uploaded `certificate` (PEM as sent), if any.
    pub certificate: Option<Vec<u8>>,
    pub max_connections: Option<i64>,
    pub allowed_updates: Option<Value>,
    pub drop_pending_updates: bool,
}

#[derive(Clone)]
struct StoredFile {
    file_id: String,
    unique_id: String,
    path: String,
    size: u64,
    bytes: Vec<u8>,
}

struct StoredMessage {
    /// The Message JSON, or None for a copy of a message the fake never saw.
    message: Option<Value>,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    rules: Vec<Rule>,
    files: HashMap<String, StoredFile>,
    next_file: u64,
    downloads: Vec<String>,
    updates: Vec<Value>,
    last_update_id: i64,
    poll_generation: u64,
    counters: HashMap<i64, i64>,
    messages: HashMap<(i64, i64), StoredMessage>,
    deleted: HashSet<(i64, i64)>,
    next_media_group: u64,
    webhook: Option<WebhookConfig>,
    lenient_webhook: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    calls_changed: Notify,
    updates_changed: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Bot API emulator. Dropping it does not stop the server task; it lives until
/// the runtime shuts down.
pub struct FakeBot {
    /// Base URL, e.g. "http://127.0.0.1:PORT" (no trailing slash).
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeBot {
    /// Binds 127.0.0.1:0 and serves in a tokio task.
    pub async fn try_start() -> std::io::Result<FakeBot> {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            calls_changed: Notify::new(),
            updates_changed: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_UPLOAD + 16 * 1024 * 1024))
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeBot {
            url: format!("http://{addr}"),
            shared,
        })
    }

    /// [`FakeBot::try_start`] for tests.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeBot {
        match Self::try_start().await {
            Ok(fake) => fake,
            Err(e) => panic!("Bot API emulator: cannot listen on 127.0.0.1: {e}"),
        }
    }

    /// Same as `url`.
    pub fn api_url(&self) -> String {
        self.url.clone()
    }

    /// Every call in arrival order, including failed and pending ones.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Calls of one method, compared case-insensitively.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.is(method))
            .cloned()
            .collect()
    }

    /// Calls of one method that were answered `ok: true`.
    pub fn delivered(&self, method: &str) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.is(method) && c.ok)
            .cloned()
            .collect()
    }

    /// Successful sends/copies/edits addressed to a chat, in order.
    pub fn delivered_to(&self, chat_id: i64) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.ok && c.chat_id() == Some(chat_id))
            .cloned()
            .collect()
    }

    /// Texts (text or caption) successfully sent to a chat, in order.
    pub fn texts_to(&self, chat_id: i64) -> Vec<String> {
        self.delivered_to(chat_id)
            .iter()
            .filter_map(Call::text)
            .collect()
    }

    /// Waits until `f(all calls)` is true and returns the calls then; on timeout the
    /// error names `what` and lists every call.
    pub async fn try_wait_for<F: Fn(&[Call]) -> bool>(
        &self,
        what: &str,
        timeout: Duration,
        f: F,
    ) -> Result<Vec<Call>, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.calls_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let calls = self.calls();
            if f(&calls) {
                return Ok(calls);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let calls = self.calls();
                if f(&calls) {
                    return Ok(calls);
                }
                return Err(format!(
                    "Bot API emulator: timed out after {timeout:?} waiting for: {what}\n{}",
                    dump_calls(&calls)
                ));
            }
        }
    }

    /// [`FakeBot::try_wait_for`] for tests.
    ///
    /// # Panics
    /// On timeout, with `what` and a dump of every call.
    pub async fn wait_for<F: Fn(&[Call]) -> bool>(
        &self,
        what: &str,
        timeout: Duration,
        f: F,
    ) -> Vec<Call> {
        match self.try_wait_for(what, timeout, f).await {
            Ok(calls) => calls,
            Err(e) => panic!("{e}"),
        }
    }

    /// Readable listing of every call so far (for assertion messages).
    pub fn dump(&self) -> String {
        dump_calls(&self.calls())
    }

    pub fn push_rule(&self, rule: Rule) {
        self.shared.lock().rules.push(rule);
    }

    pub fn clear_rules(&self) {
        self.shared.lock().rules.clear();
    }

    /// Registers a downloadable file; returns its `file_path`.
    pub fn add_file(&self, file_id: &str, bytes: Vec<u8>) -> String {
        let size = bytes.len() as u64;
        self.register_file(file_id, bytes, size)
    }

    /// Registers a file of `size` bytes without content: `getFile` answers
    /// "Bad Request: file is too big" when `size` exceeds 20 MB, like Telegram.
    pub fn add_file_of_size(&self, file_id: &str, size: u64) -> String {
        self.register_file(file_id, Vec::new(), size)
    }

    fn register_file(&self, file_id: &str, bytes: Vec<u8>, size: u64) -> String {
        let mut inner = self.shared.lock();
        inner.next_file += 1;
        let path = format!("documents/file_{}", inner.next_file);
        inner.files.insert(
            file_id.to_owned(),
            StoredFile {
                file_id: file_id.to_owned(),
                unique_id: unique_id_for(file_id),
                path: path.clone(),
                size,
                bytes,
            },
        );
        path
    }

    /// Bytes of a file the fake knows (registered with `add_file` or uploaded by the bot).
    pub fn file_bytes(&self, file_id: &str) -> Option<Vec<u8>> {
        self.shared
            .lock()
            .files
            .get(file_id)
            .map(|f| f.bytes.clone())
    }

    /// `file_path`s downloaded through `/file/bot<token>/<path>`, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.shared.lock().downloads.clone()
    }

    /// Queues an update for `getUpdates` (an `update_id` is assigned when missing) and
    /// remembers its message for copies and replies. Returns the update_id.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let mut inner = self.shared.lock();
        let id = match update.get("update_id").and_then(Value::as_i64) {
            Some(id) => id,
            None => {
                let id = inner.last_update_id + 1;
                update["update_id"] = json!(id);
                id
            }
        };
        inner.last_update_id = inner.last_update_id.max(id);
        remember_update(&mut inner, &update);
        let pos = inner
            .updates
            .iter()
            .position(|u| u["update_id"].as_i64().unwrap_or(0) > id)
            .unwrap_or(inner.updates.len());
        inner.updates.insert(pos, update);
        drop(inner);
        self.shared.updates_changed.notify_waiters();
        id
    }

    /// Updates queued and not yet confirmed by a `getUpdates` offset.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.shared.lock().updates.clone()
    }

    /// Remembers an incoming message (a Message or an Update holding one) so copies
    /// and replies of it look real and the chat's message ids stay increasing.
    pub fn remember_message(&self, message_or_update: &Value) {
        let mut inner = self.shared.lock();
        if message_or_update.get("update_id").is_some() {
            remember_update(&mut inner, message_or_update);
        } else {
            remember_incoming(&mut inner, message_or_update);
        }
    }

    /// A realistic private text update with the next message id of that chat and the
    /// next update id, remembered like an incoming message (not queued).
    pub fn text_update(&self, chat_id: i64, text: &str) -> Value {
        let (update_id, message_id) = {
            let mut inner = self.shared.lock();
            inner.last_update_id += 1;
            let mid = next_message_id(&mut inner, chat_id);
            (inner.last_update_id, mid)
        };
        let mut update = update_message(update_id, chat_id, text);
        update["message"]["message_id"] = json!(message_id);
        self.remember_message(&update);
        update
    }

    /// The next update_id `push_update` would assign.
    pub fn next_update_id(&self) -> i64 {
        self.shared.lock().last_update_id + 1
    }

    /// Takes the next message id of a chat, as a message arriving there would: for
    /// building an incoming message by hand.
    pub fn next_message_id(&self, chat_id: i64) -> i64 {
        next_message_id(&mut self.shared.lock(), chat_id)
    }

    /// The message the fake holds for (chat, id), as last sent or edited.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.shared
            .lock()
            .messages
            .get(&(chat_id, message_id))
            .and_then(|m| m.message.clone())
    }

    /// Set by `setWebhook`, cleared by `deleteWebhook`.
    pub fn webhook_url(&self) -> Option<String> {
        self.shared.lock().webhook.as_ref().map(|w| w.url.clone())
    }

    /// Everything `setWebhook` registered.
    pub fn webhook(&self) -> Option<WebhookConfig> {
        self.shared.lock().webhook.clone()
    }

    /// When false, `setWebhook` accepts any http(s) URL and port (default: true, the
    /// real rules: https on port 443, 80, 88 or 8443).
    pub fn set_strict_webhook(&self, strict: bool) {
        self.shared.lock().lenient_webhook = !strict;
    }

    /// Delivers an update to the registered webhook like Telegram does: POST JSON with
    /// the `X-Telegram-Bot-Api-Secret-Token` header, over HTTPS trusting only the
    /// uploaded certificate (or any certificate when none was uploaded).
    /// `connect_to` overrides the address connected to (the URL's host is still used
    /// for TLS verification when it is a domain name; when it is an IP address it is
    /// replaced). Returns the HTTP status and body.
    pub async fn deliver_update(
        &self,
        update: &Value,
        connect_to: Option<SocketAddr>,
    ) -> Result<(u16, String), String> {
        let hook = self.webhook().ok_or_else(|| "no webhook set".to_owned())?;
        self.remember_message(update);
        let mut url = reqwest::Url::parse(&hook.url).map_err(|e| e.to_string())?;
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if let Some(addr) = connect_to {
            // reqwest's `resolve` ignores the port: take it from `addr` too.
            if let Some(d) = url.domain().map(str::to_owned) {
                builder = builder.resolve(&d, addr);
            } else {
                url.set_ip_host(addr.ip())
                    .map_err(|_| "bad webhook url".to_owned())?;
            }
            url.set_port(Some(addr.port()))
                .map_err(|_| "bad webhook url".to_owned())?;
        }
        if let Some(cert) = &hook.certificate {
            let cert = reqwest::Certificate::from_pem(cert)
                .or_else(|_| reqwest::Certificate::from_der(cert))
                .map_err(|e| format!("uploaded certificate unusable: {e}"))?;
            builder = builder
                .tls_built_in_root_certs(false)
                .add_root_certificate(cert);
        } else {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        let mut req = client.post(url).json(update);
        if let Some(secret) = &hook.secret_token {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let resp = req.send().await.map_err(|e| format!("{e:?}"))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| e.to_string())?;
        Ok((status, body))
    }
}

// ---------------------------------------------------------------------------
// Update builders
// ---------------------------------------------------------------------------

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn chat_json(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({"id": chat_id, "type": "private", "first_name": "User"})
    } else {
        json!({"id": chat_id, "type": "supergroup", "title": "Group"})
    }
}

fn user_json(user_id: i64) -> Value {
    json!({
        "id": user_id,
        "is_bot": false,
        "first_name": "Test",
        "username": format!("user{user_id}"),
        "language_code": "en"
    })
}

fn bot_user() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME
    })
}

fn command_entities(text: &str) -> Option<Value> {
    if !text.starts_with('/') {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let length = text[..end].encode_utf16().count();
    Some(json!([{"type": "bot_command", "offset": 0, "length": length}]))
}

/// A private-chat text Update from user `chat_id` (message_id = update_id); a leading
/// `/command` gets a `bot_command` entity.
pub fn update_message(update_id: i64, chat_id: i64, text: &str) -> Value {
    let mut message = json!({
        "message_id": update_id,
        "from": user_json(chat_id),
        "chat": {"id": chat_id, "type": "private", "first_name": "Test", "username": format!("user{chat_id}")},
        "date": now_unix(),
        "text": text
    });
    if let Some(e) = command_entities(text) {
        message["entities"] = e;
    }
    json!({"update_id": update_id, "message": message})
}

/// A text Update from user `from_id` in chat `chat_id` (a group when negative).
pub fn update_group_message(update_id: i64, chat_id: i64, from_id: i64, text: &str) -> Value {
    let mut message = json!({
        "message_id": update_id,
        "from": user_json(from_id),
        "chat": chat_json(chat_id),
        "date": now_unix(),
        "text": text
    });
    if let Some(e) = command_entities(text) {
        message["entities"] = e;
    }
    json!({"update_id": update_id, "message": message})
}

/// A `my_chat_member` Update: the bot's status in `chat_id` went from `old` to
/// `new` ("member", "administrator", "left", "kicked"…); in a private chat,
/// "kicked" is the user blocking the bot and "member" unblocking it.
pub fn update_my_chat_member(update_id: i64, chat_id: i64, old: &str, new: &str) -> Value {
    let member = |status: &str| {
        let mut m = json!({"status": status, "user": bot_user()});
        match status {
            "kicked" => m["until_date"] = json!(0),
            "administrator" => {
                for right in [
                    "is_anonymous",
                    "can_be_edited",
                    "can_manage_chat",
                    "can_change_info",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_invite_users",
                    "can_restrict_members",
                    "can_promote_members",
                ] {
                    m[right] = json!(false);
                }
            }
            _ => {}
        }
        m
    };
    json!({
        "update_id": update_id,
        "my_chat_member": {
            "chat": chat_json(chat_id),
            "from": user_json(chat_id.abs()),
            "date": now_unix(),
            "old_chat_member": member(old),
            "new_chat_member": member(new)
        }
    })
}

/// The service message of group `old_chat` becoming the supergroup `new_chat`:
/// in the old group (`migrate_to_chat_id`), or with `in_new` in the new one
/// (`migrate_from_chat_id`).
pub fn update_group_migrated(update_id: i64, old_chat: i64, new_chat: i64, in_new: bool) -> Value {
    let (chat, field, value) = if in_new {
        (
            json!({"id": new_chat, "type": "supergroup", "title": "Group"}),
            "migrate_from_chat_id",
            old_chat,
        )
    } else {
        (
            json!({"id": old_chat, "type": "group", "title": "Group"}),
            "migrate_to_chat_id",
            new_chat,
        )
    };
    let mut message = json!({
        "message_id": update_id,
        "from": user_json(1),
        "chat": chat,
        "date": now_unix()
    });
    message[field] = json!(value);
    json!({"update_id": update_id, "message": message})
}

/// An `edited_message` Update of a private text message.
pub fn update_edited_message(update_id: i64, chat_id: i64, message_id: i64, text: &str) -> Value {
    let mut u = update_message(update_id, chat_id, text);
    let mut m = u["message"].take();
    m["message_id"] = json!(message_id);
    m["edit_date"] = json!(now_unix());
    json!({"update_id": u["update_id"], "edited_message": m})
}

/// A private document Update (file registered separately with `add_file`).
pub fn update_document(
    update_id: i64,
    chat_id: i64,
    file_id: &str,
    file_name: &str,
    size: u64,
    caption: Option<&str>,
) -> Value {
    let mut u = update_message(update_id, chat_id, "");
    let Some(m) = u["message"].as_object_mut() else {
        return u;
    };
    m.remove("text");
    m.insert(
        "document".into(),
        json!({
            "file_id": file_id,
            "file_unique_id": unique_id_for(file_id),
            "file_name": file_name,
            "mime_type": "application/octet-stream",
            "file_size": size
        }),
    );
    if let Some(c) = caption {
        m.insert("caption".into(), json!(c));
    }
    u
}

/// A private photo Update (largest size has `file_id`).
pub fn update_photo(update_id: i64, chat_id: i64, file_id: &str, size: u64) -> Value {
    let mut u = update_message(update_id, chat_id, "");
    if let Some(m) = u["message"].as_object_mut() {
        m.remove("text");
        m.insert("photo".into(), photo_sizes(file_id, size));
    }
    u
}

/// A callback_query Update: user `from_id` pressed a button carrying `data` under
/// message `message_id` (sent by the bot) in chat `chat_id`.
pub fn update_callback_query(
    update_id: i64,
    from_id: i64,
    chat_id: i64,
    message_id: i64,
    data: &str,
) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("cbq-{update_id}"),
            "from": user_json(from_id),
            "message": {
                "message_id": message_id,
                "from": bot_user(),
                "chat": chat_json(chat_id),
                "date": now_unix(),
                "text": "…"
            },
            "chat_instance": format!("ci{chat_id}"),
            "data": data
        }
    })
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error_body(code: u16, description: &str) -> Value {
    json!({"ok": false, "error_code": code, "description": description})
}

fn action_answer(action: &Action) -> (u16, Value) {
    match action {
        Action::RetryAfter(n) => (
            429,
            json!({
                "ok": false,
                "error_code": 429,
                "description": format!("Too Many Requests: retry after {n}"),
                "parameters": {"retry_after": n}
            }),
        ),
        Action::ServerError => (500, error_body(500, "Internal Server Error")),
        Action::Forbidden(d) => (403, error_body(403, d)),
        Action::BadRequest(d) => (400, error_body(400, d)),
        Action::MigrateToChat(id) => (
            400,
            json!({
                "ok": false,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": id}
            }),
        ),
        Action::Error(code, d) => (*code, error_body(*code, d)),
        Action::Hang => (0, Value::Null),
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();

    if segments.len() >= 3 && segments[0] == "file" {
        return download(&shared, segments[1], &segments[2..].join("/"));
    }
    if segments.len() != 2 || !segments[0].starts_with("bot") {
        return json_response(404, &error_body(404, "Not Found"));
    }
    // A wrong token is recorded too (status 401), and no rule applies to it.
    let authorized = percent_decode(&segments[0][3..]) == TOKEN;
    let method = percent_decode(segments[1]);

    let (params, files, parse_error) = match read_params(req).await {
        Ok((p, f)) => (p, f, None),
        Err(e) => (Map::new(), Vec::new(), Some(e)),
    };
    let params = Value::Object(params);
    let chat_id = params.get("chat_id").and_then(value_to_i64);

    // Record on arrival, then apply rules.
    let (index, action) = {
        let mut inner = shared.lock();
        inner.calls.push(Call {
            method: method.clone(),
            params: params.clone(),
            files: files.clone(),
            at: Instant::now(),
            status: 0,
            ok: false,
            response: Value::Null,
        });
        let index = inner.calls.len() - 1;
        let mut action = None;
        for rule in inner.rules.iter_mut().filter(|_| authorized) {
            if rule.matches(&method, chat_id)
                && let Some(picked) = rule.roll()
            {
                if let Some(t) = rule.times.as_mut() {
                    *t -= 1;
                }
                action = Some(picked);
                break;
            }
        }
        (index, action)
    };
    shared.calls_changed.notify_waiters();

    let (status, body) = match (parse_error, action) {
        _ if !authorized => (401, error_body(401, "Unauthorized")),
        (_, Some(Action::Hang)) => std::future::pending::<(u16, Value)>().await,
        (_, Some(action)) => action_answer(&action),
        (Some(e), None) => (400, error_body(400, &e)),
        (None, None) => {
            let lower = method.to_ascii_lowercase();
            let result = if lower == "getupdates" {
                get_updates(&shared, &params).await
            } else {
                let mut inner = shared.lock();
                dispatch(&mut inner, &lower, &params, &files)
            };
            match result {
                Ok(r) => (200, json!({"ok": true, "result": r})),
                Err((code, d)) => (code, error_body(code, &d)),
            }
        }
    };

    {
        let mut inner = shared.lock();
        if let Some(call) = inner.calls.get_mut(index) {
            call.status = status;
            call.ok = body.get("ok") == Some(&Value::Bool(true));
            call.response = body.clone();
        }
    }
    shared.calls_changed.notify_waiters();
    json_response(status, &body)
}

fn download(shared: &Shared, token_segment: &str, path: &str) -> Response {
    let token = percent_decode(token_segment);
    if token.strip_prefix("bot") != Some(TOKEN) {
        return json_response(401, &error_body(401, "Unauthorized"));
    }
    let path = percent_decode(path);
    let mut inner = shared.lock();
    let found = inner.files.values().find(|f| f.path == path).cloned();
    match found {
        Some(f) => {
            inner.downloads.push(path);
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Body::from(f.bytes),
            )
                .into_response()
        }
        None => json_response(404, &error_body(404, "Not Found")),
    }
}

type Files = Vec<(String, String, Vec<u8>)>;

async fn read_params(req: Request) -> Result<(Map<String, Value>, Files), String> {
    let mut params = Map::new();
    let mut files = Vec::new();
    if let Some(q) = req.uri().query() {
        for (k, v) in parse_urlencoded(q) {
            params.insert(k, Value::String(v));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();

    if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|e| format!("Bad Request: {e}"))?;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| format!("Bad Request: {e}"))?
        {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let is_file = file_name.is_some()
                || field
                    .content_type()
                    .is_some_and(|ct| !ct.starts_with("text/plain"));
            let data = field
                .bytes()
                .await
                .map_err(|e| format!("Bad Request: {e}"))?;
            if is_file {
                files.push((name, file_name.unwrap_or_default(), data.to_vec()));
            } else {
                let text = String::from_utf8_lossy(&data).into_owned();
                let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                params.insert(name, value);
            }
        }
        // teloxide uploads `certificate=attach://<uuid>` plus a part named <uuid>:
        // record such a part under the parameter's name ("certificate", "document").
        for (key, value) in &params {
            if let Some(target) = value.as_str().and_then(|v| v.strip_prefix("attach://"))
                && let Some(part) = files.iter_mut().find(|f| f.0 == target)
            {
                part.0 = key.clone();
            }
        }
        return Ok((params, files));
    }

    let body = axum::body::to_bytes(req.into_body(), MAX_UPLOAD + 16 * 1024 * 1024)
        .await
        .map_err(|e| format!("Bad Request: {e}"))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((params, files));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let text = String::from_utf8_lossy(&body);
        for (k, v) in parse_urlencoded(&text) {
            params.insert(k, Value::String(v));
        }
    } else {
        // application/json, or anything else that parses as JSON (Telegram is lenient).
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => params.extend(m),
            Ok(_) => return Err("Bad Request: parameters must be a JSON object".into()),
            Err(_) => return Err("Bad Request: can't parse JSON object".into()),
        }
    }
    Ok((params, files))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn value_to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn value_to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn value_to_bool(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// A JSON-valued parameter that may have arrived as a string (multipart/form).
fn json_param(params: &Value, key: &str) -> Option<Value> {
    match params.get(key)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        v => Some(v.clone()),
    }
}

fn dump_calls(calls: &[Call]) -> String {
    let mut out = format!("{} call(s):\n", calls.len());
    let t0 = calls.first().map(|c| c.at);
    for (i, c) in calls.iter().enumerate() {
        let ms = t0.map(|t| c.at.duration_since(t).as_millis()).unwrap_or(0);
        let mut params = c.params.to_string();
        if params.len() > 400 {
            let mut cut = 400;
            while !params.is_char_boundary(cut) {
                cut -= 1;
            }
            params.truncate(cut);
            params.push('…');
        }
        let answer = if c.status == 0 {
            "pending".to_owned()
        } else if c.ok {
            match c.message_id() {
                Some(id) => format!("{} ok message_id={id}", c.status),
                None => format!("{} ok", c.status),
            }
        } else {
            format!(
                "{} {}",
                c.status,
                c.response
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        };
        let _ = write!(out, "  #{i} +{ms}ms {} -> {answer}  {params}", c.method);
        for (field, name, bytes) in &c.files {
            let _ = write!(out, " [file {field} {name:?} {} bytes]", bytes.len());
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------

type MethodResult = Result<Value, (u16, String)>;

fn bad(d: &str) -> (u16, String) {
    (400, format!("Bad Request: {d}"))
}

fn me_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false
    })
}

fn unique_id_for(file_id: &str) -> String {
    // Stable, short, distinct per file_id (FNV-1a).
    let mut h: u64 = 0xcbf29ce484222325;
    for b in file_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("AQAD{h:016x}")
}

fn photo_sizes(file_id: &str, size: u64) -> Value {
    json!([
        {"file_id": format!("{file_id}-s"), "file_unique_id": unique_id_for(&format!("{file_id}-s")),
         "width": 90, "height": 68, "file_size": size.min(1500)},
        {"file_id": file_id, "file_unique_id": unique_id_for(file_id),
         "width": 800, "height": 600, "file_size": size}
    ])
}

fn next_message_id(inner: &mut Inner, chat_id: i64) -> i64 {
    let c = inner.counters.entry(chat_id).or_insert(0);
    *c += 1;
    *c
}

fn remember_incoming(inner: &mut Inner, message: &Value) {
    let (Some(chat), Some(id)) = (
        message.pointer("/chat/id").and_then(Value::as_i64),
        message.get("message_id").and_then(Value::as_i64),
    ) else {
        return;
    };
    let c = inner.counters.entry(chat).or_insert(0);
    *c = (*c).max(id);
    inner.messages.insert(
        (chat, id),
        StoredMessage {
            message: Some(message.clone()),
        },
    );
}

fn remember_update(inner: &mut Inner, update: &Value) {
    for key in [
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
    ] {
        if let Some(m) = update.get(key) {
            remember_incoming(inner, m);
        }
    }
}

fn base_message(inner: &mut Inner, chat_id: i64) -> Map<String, Value> {
    let id = next_message_id(inner, chat_id);
    let mut m = Map::new();
    m.insert("message_id".into(), json!(id));
    m.insert("from".into(), bot_user());
    m.insert("chat".into(), chat_json(chat_id));
    m.insert("date".into(), json!(now_unix()));
    m
}

fn store_message(inner: &mut Inner, m: &Map<String, Value>) -> Value {
    let v = Value::Object(m.clone());
    let chat = v.pointer("/chat/id").and_then(Value::as_i64).unwrap_or(0);
    let id = v["message_id"].as_i64().unwrap_or(0);
    inner.messages.insert(
        (chat, id),
        StoredMessage {
            message: Some(v.clone()),
        },
    );
    v
}

fn require_chat(params: &Value) -> Result<i64, (u16, String)> {
    match params.get("chat_id") {
        None | Some(Value::Null) => Err(bad("chat_id is empty")),
        Some(Value::String(s)) if s.is_empty() => Err(bad("chat_id is empty")),
        Some(v) => value_to_i64(v).ok_or_else(|| bad("chat not found")),
    }
}

/// Adds `reply_to_message` when the message replied to is known; errors like Telegram
/// when it was deleted and sending without reply is not allowed.
fn apply_reply(
    inner: &Inner,
    chat_id: i64,
    params: &Value,
    m: &mut Map<String, Value>,
) -> Result<(), (u16, String)> {
    let rp = json_param(params, "reply_parameters");
    let (reply_id, allow) = match &rp {
        Some(rp) => (
            rp.get("message_id").and_then(value_to_i64),
            value_to_bool(rp.get("allow_sending_without_reply")),
        ),
        None => (
            params.get("reply_to_message_id").and_then(value_to_i64),
            value_to_bool(params.get("allow_sending_without_reply")),
        ),
    };
    let Some(reply_id) = reply_id else {
        return Ok(());
    };
    let reply_chat = rp
        .as_ref()
        .and_then(|rp| rp.get("chat_id"))
        .and_then(value_to_i64)
        .unwrap_or(chat_id);
    let key = (reply_chat, reply_id);
    // Only what the fake knows is gone counts as missing: messages posted straight to
    // the service's webhook never passed through here.
    let known_missing = inner.deleted.contains(&key) || reply_id <= 0;
    if let Some(StoredMessage {
        message: Some(original),
    }) = inner.messages.get(&key)
    {
        let mut original = original.clone();
        if let Some(o) = original.as_object_mut() {
            o.remove("reply_to_message");
        }
        if reply_chat == chat_id {
            m.insert("reply_to_message".into(), original);
        }
    } else if known_missing && !allow {
        return Err(bad("message to be replied not found"));
    }
    Ok(())
}

fn apply_markup(params: &Value, m: &mut Map<String, Value>) {
    // Telegram echoes inline keyboards only.
    if let Some(markup) = json_param(params, "reply_markup")
        && markup.get("inline_keyboard").is_some()
    {
        m.insert("reply_markup".into(), markup);
    }
}

fn dispatch(inner: &mut Inner, method: &str, params: &Value, files: &Files) -> MethodResult {
    match method {
        "getme" => Ok(me_json()),
        "sendmessage" => send_message(inner, params),
        "sendphoto" => send_media(inner, params, files, "photo"),
        "senddocument" => send_media(inner, params, files, "document"),
        "sendvideo" => send_media(inner, params, files, "video"),
        "sendaudio" => send_media(inner, params, files, "audio"),
        "sendvoice" => send_media(inner, params, files, "voice"),
        "sendanimation" => send_media(inner, params, files, "animation"),
        "sendsticker" => send_media(inner, params, files, "sticker"),
        "sendvideonote" => send_media(inner, params, files, "video_note"),
        "sendcontact" => send_contact(inner, params),
        "sendlocation" => send_location(inner, params, false),
        "sendvenue" => send_location(inner, params, true),
        "senddice" => {
            let chat = require_chat(params)?;
            let mut m = base_message(inner, chat);
            let emoji = params
                .get("emoji")
                .and_then(value_to_string)
                .unwrap_or_else(|| "🎲".into());
            m.insert("dice".into(), json!({"emoji": emoji, "value": 3}));
            Ok(store_message(inner, &m))
        }
        "sendmediagroup" => send_media_group(inner, params, files),
        "editmessagetext" => edit_message(inner, params, EditKind::Text),
        "editmessagecaption" => edit_message(inner, params, EditKind::Caption),
        "editmessagereplymarkup" => edit_message(inner, params, EditKind::Markup),
        "copymessage" => copy_message(inner, params, false),
        "forwardmessage" => copy_message(inner, params, true),
        "copymessages" | "forwardmessages" => copy_messages(inner, params, method),
        "deletemessage" => {
            let chat = require_chat(params)?;
            let id = params
                .get("message_id")
                .and_then(value_to_i64)
                .ok_or_else(|| bad("message identifier is not specified"))?;
            if inner.deleted.contains(&(chat, id)) {
                return Err(bad("message to delete not found"));
            }
            inner.messages.remove(&(chat, id));
            inner.deleted.insert((chat, id));
            Ok(json!(true))
        }
        "getfile" => get_file(inner, params),
        "setwebhook" => set_webhook(inner, params, files),
        "deletewebhook" => {
            inner.webhook = None;
            if value_to_bool(params.get("drop_pending_updates")) {
                inner.updates.clear();
            }
            Ok(json!(true))
        }
        "getwebhookinfo" => {
            let pending = inner.updates.len();
            Ok(match &inner.webhook {
                Some(w) => {
                    let mut info = json!({
                        "url": w.url,
                        "has_custom_certificate": w.certificate.is_some(),
                        "pending_update_count": pending,
                        "max_connections": w.max_connections.unwrap_or(40),
                        "ip_address": "127.0.0.1"
                    });
                    if let Some(a) = &w.allowed_updates {
                        info["allowed_updates"] = a.clone();
                    }
                    info
                }
                None => json!({
                    "url": "",
                    "has_custom_certificate": false,
                    "pending_update_count": pending,
                    "max_connections": 40
                }),
            })
        }
        "answercallbackquery" => {
            if params.get("callback_query_id").is_none() {
                return Err(bad("query_id is empty"));
            }
            if let Some(t) = params.get("text").and_then(value_to_string)
                && t.encode_utf16().count() > 200
            {
                return Err(bad("MESSAGE_TOO_LONG"));
            }
            Ok(json!(true))
        }
        "getchat" => {
            let chat = require_chat(params)?;
            let mut c = chat_json(chat);
            c["accent_color_id"] = json!(0);
            c["max_reaction_count"] = json!(11);
            c["accepted_gift_types"] = json!({
                "unlimited_gifts": true,
                "limited_gifts": true,
                "unique_gifts": true,
                "premium_subscription": true,
                "gifts_from_channels": true
            });
            Ok(c)
        }
        _ => Ok(json!(true)),
    }
}

fn send_message(inner: &mut Inner, params: &Value) -> MethodResult {
    let chat = require_chat(params)?;
    let text = params
        .get("text")
        .and_then(value_to_string)
        .unwrap_or_default();
    let parse_mode = params.get("parse_mode").and_then(value_to_string);
    let plain = parse_entities(&text, parse_mode.as_deref())?;
    if plain.trim().is_empty() {
        return Err(bad("message text is empty"));
    }
    if plain.encode_utf16().count() > 4096 {
        return Err(bad("message is too long"));
    }
    let mut m = base_message(inner, chat);
    apply_reply(inner, chat, params, &mut m).inspect_err(|_| undo_id(inner, chat))?;
    m.insert("text".into(), json!(plain));
    apply_markup(params, &mut m);
    Ok(store_message(inner, &m))
}

fn undo_id(inner: &mut Inner, chat: i64) {
    if let Some(c) = inner.counters.get_mut(&chat) {
        *c -= 1;
    }
}

fn caption_of(params: &Value) -> Result<Option<String>, (u16, String)> {
    let Some(caption) = params.get("caption").and_then(value_to_string) else {
        return Ok(None);
    };
    let parse_mode = params.get("parse_mode").and_then(value_to_string);
    let plain = parse_entities(&caption, parse_mode.as_deref())?;
    if plain.encode_utf16().count() > 1024 {
        return Err(bad("message caption is too long"));
    }
    Ok((!plain.is_empty()).then_some(plain))
}

/// Resolves an InputFile parameter to (file_id, file_name, size).
fn input_file(
    inner: &mut Inner,
    params: &Value,
    files: &Files,
    field: &str,
) -> Result<(String, Option<String>, u64), (u16, String)> {
    let value = params.get(field).and_then(value_to_string);
    // Top-level `attach://` parts were renamed to their parameter by `read_params`.
    let part = match value.as_deref().and_then(|v| v.strip_prefix("attach://")) {
        Some(name) => Some(
            files
                .iter()
                .find(|f| f.0 == name)
                .or_else(|| files.iter().find(|f| f.0 == field))
                .ok_or_else(|| bad(&format!("file attach://{name} not found")))?,
        ),
        None => files.iter().find(|f| f.0 == field),
    };
    if let Some((_, name, bytes)) = part {
        if bytes.len() > MAX_UPLOAD {
            return Err((413, "Request Entity Too Large".into()));
        }
        if bytes.is_empty() {
            return Err(bad("file must be non-empty"));
        }
        inner.next_file += 1;
        let n = inner.next_file;
        let file_id = format!("BQACAgIAAxkBAAI{n:06}");
        let path = format!("{field}s/file_{n}");
        inner.files.insert(
            file_id.clone(),
            StoredFile {
                file_id: file_id.clone(),
                unique_id: unique_id_for(&file_id),
                path,
                size: bytes.len() as u64,
                bytes: bytes.clone(),
            },
        );
        let name = (!name.is_empty()).then(|| name.clone());
        return Ok((file_id, name, bytes.len() as u64));
    }
    match value {
        Some(v) if !v.is_empty() => {
            let size = inner.files.get(&v).map(|f| f.size).unwrap_or(1024);
            Ok((v, None, size))
        }
        _ => Err(bad(&format!("there is no {field} in the request"))),
    }
}

fn media_json(kind: &str, file_id: &str, name: Option<String>, size: u64) -> Value {
    let uid = unique_id_for(file_id);
    match kind {
        "photo" => photo_sizes(file_id, size),
        "document" => {
            let mut d = json!({"file_id": file_id, "file_unique_id": uid,
                "mime_type": "application/octet-stream", "file_size": size});
            if let Some(n) = name {
                d["file_name"] = json!(n);
            }
            d
        }
        "video" => json!({"file_id": file_id, "file_unique_id": uid, "width": 640,
            "height": 360, "duration": 1, "mime_type": "video/mp4", "file_size": size}),
        "audio" => json!({"file_id": file_id, "file_unique_id": uid, "duration": 1,
            "mime_type": "audio/mpeg", "file_size": size}),
        "voice" => json!({"file_id": file_id, "file_unique_id": uid, "duration": 1,
            "mime_type": "audio/ogg", "file_size": size}),
        "animation" => json!({"file_id": file_id, "file_unique_id": uid, "width": 320,
            "height": 240, "duration": 1, "mime_type": "video/mp4", "file_size": size}),
        "sticker" => json!({"file_id": file_id, "file_unique_id": uid, "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false,
            "file_size": size}),
        "video_note" => json!({"file_id": file_id, "file_unique_id": uid, "length": 240,
            "duration": 1, "file_size": size}),
        _ => json!({"file_id": file_id, "file_unique_id": uid}),
    }
}

fn send_media(inner: &mut Inner, params: &Value, files: &Files, kind: &str) -> MethodResult {
    let chat = require_chat(params)?;
    let (file_id, name, size) = input_file(inner, params, files, kind)?;
    let caption = if kind == "sticker" || kind == "video_note" {
        None
    } else {
        caption_of(params)?
    };
    let mut m = base_message(inner, chat);
    apply_reply(inner, chat, params, &mut m).inspect_err(|_| undo_id(inner, chat))?;
    let media = media_json(kind, &file_id, name, size);
    if kind == "animation" {
        m.insert("document".into(), media.clone());
    }
    m.insert(kind.into(), media);
    if let Some(c) = caption {
        m.insert("caption".into(), json!(c));
    }
    apply_markup(params, &mut m);
    Ok(store_message(inner, &m))
}

fn send_contact(inner: &mut Inner, params: &Value) -> MethodResult {
    let chat = require_chat(params)?;
    let phone = params
        .get("phone_number")
        .and_then(value_to_string)
        .ok_or_else(|| bad("phone number is empty"))?;
    let first = params
        .get("first_name")
        .and_then(value_to_string)
        .ok_or_else(|| bad("first name is empty"))?;
    let mut contact = json!({"phone_number": phone, "first_name": first});
    for k in ["last_name", "vcard"] {
        if let Some(v) = params.get(k).and_then(value_to_string) {
            contact[k] = json!(v);
        }
    }
    let mut m = base_message(inner, chat);
    apply_reply(inner, chat, params, &mut m).inspect_err(|_| undo_id(inner, chat))?;
    m.insert("contact".into(), contact);
    apply_markup(params, &mut m);
    Ok(store_message(inner, &m))
}

fn send_location(inner: &mut Inner, params: &Value, venue: bool) -> MethodResult {
    let chat = require_chat(params)?;
    let lat = params.get("latitude").and_then(value_to_f64);
    let lon = params.get("longitude").and_then(value_to_f64);
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(bad("wrong latitude or longitude specified"));
    };
    let location = json!({"latitude": lat, "longitude": lon});
    let mut m = base_message(inner, chat);
    apply_reply(inner, chat, params, &mut m).inspect_err(|_| undo_id(inner, chat))?;
    if venue {
        let title = params
            .get("title")
            .and_then(value_to_string)
            .unwrap_or_default();
        let address = params
            .get("address")
            .and_then(value_to_string)
            .unwrap_or_default();
        m.insert(
            "venue".into(),
            json!({"location": location, "title": title, "address": address}),
        );
    }
    m.insert("location".into(), location);
    apply_markup(params, &mut m);
    Ok(store_message(inner, &m))
}

fn send_media_group(inner: &mut Inner, params: &Value, files: &Files) -> MethodResult {
    let chat = require_chat(params)?;
    let media = json_param(params, "media")
        .and_then(|v| v.as_array().cloned())
        .ok_or_else(|| bad("media is empty"))?;
    if !(2..=10).contains(&media.len()) {
        return Err(bad("wrong number of media in the request"));
    }
    inner.next_media_group += 1;
    let group = format!("1{:017}", inner.next_media_group);
    let mut out = Vec::new();
    for item in media {
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("document")
            .to_owned();
        let mut item_params = item.clone();
        if let Some(o) = item_params.as_object_mut() {
            let media = o.remove("media").unwrap_or(Value::Null);
            o.insert(kind.clone(), media);
        }
        let (file_id, name, size) = input_file(inner, &item_params, files, &kind)?;
        let caption = caption_of(&item_params)?;
        let mut m = base_message(inner, chat);
        m.insert("media_group_id".into(), json!(group));
        m.insert(kind.clone(), media_json(&kind, &file_id, name, size));
        if let Some(c) = caption {
            m.insert("caption".into(), json!(c));
        }
        out.push(store_message(inner, &m));
    }
    Ok(Value::Array(out))
}

#[derive(Clone, Copy, PartialEq)]
enum EditKind {
    Text,
    Caption,
    Markup,
}

fn edit_message(inner: &mut Inner, params: &Value, kind: EditKind) -> MethodResult {
    if params.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let chat = require_chat(params)?;
    let id = params
        .get("message_id")
        .and_then(value_to_i64)
        .ok_or_else(|| bad("message identifier is not specified"))?;
    let parse_mode = params.get("parse_mode").and_then(value_to_string);
    let new_text = match kind {
        EditKind::Text => {
            let text = params
                .get("text")
                .and_then(value_to_string)
                .unwrap_or_default();
            let plain = parse_entities(&text, parse_mode.as_deref())?;
            if plain.trim().is_empty() {
                return Err(bad("message text is empty"));
            }
            if plain.encode_utf16().count() > 4096 {
                return Err(bad("MESSAGE_TOO_LONG"));
            }
            Some(plain)
        }
        EditKind::Caption => caption_of(params)?,
        EditKind::Markup => None,
    };
    let markup = json_param(params, "reply_markup").filter(|m| m.get("inline_keyboard").is_some());
    let stored = match inner.messages.get(&(chat, id)) {
        None => return Err(bad("message to edit not found")),
        Some(s) => s.message.clone(),
    };
    let mut m = match stored {
        Some(Value::Object(m)) => m,
        _ => {
            // A copy of a message the fake never saw: synthesize a plausible one.
            let mut m = Map::new();
            m.insert("message_id".into(), json!(id));
            m.insert("from".into(), bot_user());
            m.insert("chat".into(), chat_json(chat));
            m.insert("date".into(), json!(now_unix()));
            if kind == EditKind::Text {
                m.insert("text".into(), json!(""));
            } else {
                m.insert(
                    "document".into(),
                    media_json("document", "unknown-copy", None, 1),
                );
            }
            m
        }
    };
    if m.get("from")
        .and_then(|f| f.get("id"))
        .and_then(Value::as_i64)
        != Some(BOT_ID)
    {
        return Err(bad("message can't be edited"));
    }
    let old_markup = m.get("reply_markup").cloned();
    let changed = match kind {
        EditKind::Text => {
            if m.get("text").is_none() {
                return Err(bad("there is no text in the message to edit"));
            }
            m.get("text").and_then(Value::as_str) != new_text.as_deref() || old_markup != markup
        }
        EditKind::Caption => {
            if m.get("text").is_some() {
                return Err(bad("there is no caption in the message to edit"));
            }
            m.get("caption").and_then(Value::as_str) != new_text.as_deref() || old_markup != markup
        }
        EditKind::Markup => old_markup != markup,
    };
    if !changed {
        return Err(bad(
            "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        ));
    }
    match kind {
        EditKind::Text => {
            m.insert("text".into(), json!(new_text));
        }
        EditKind::Caption => match new_text {
            Some(c) => {
                m.insert("caption".into(), json!(c));
            }
            None => {
                m.remove("caption");
            }
        },
        EditKind::Markup => {}
    }
    m.remove("entities");
    match markup {
        Some(mk) => m.insert("reply_markup".into(), mk),
        None => m.remove("reply_markup"),
    };
    if kind != EditKind::Markup {
        m.insert("edit_date".into(), json!(now_unix()));
    }
    Ok(store_message(inner, &m))
}

/// The fields of messages the Bot API refuses to copy.
const UNCOPYABLE: [&str; 4] = ["paid_media", "invoice", "giveaway", "giveaway_winners"];

fn copy_one(
    inner: &mut Inner,
    chat: i64,
    from_chat: i64,
    id: i64,
    caption: Option<&Option<String>>,
    forward: bool,
) -> Result<Map<String, Value>, (u16, String)> {
    if id <= 0 || inner.deleted.contains(&(from_chat, id)) {
        return Err(bad(if forward {
            "message to forward not found"
        } else {
            "message to copy not found"
        }));
    }
    let source = inner
        .messages
        .get(&(from_chat, id))
        .and_then(|s| s.message.clone());
    // Like Telegram: paid media, invoices and giveaways are not copied.
    if !forward
        && source
            .as_ref()
            .is_some_and(|s| UNCOPYABLE.iter().any(|k| s.get(*k).is_some()))
    {
        return Err(bad("message can't be copied"));
    }
    let mut m = base_message(inner, chat);
    if let Some(Value::Object(src)) = &source {
        for (k, v) in src {
            if !matches!(
                k.as_str(),
                "message_id"
                    | "from"
                    | "chat"
                    | "date"
                    | "reply_to_message"
                    | "edit_date"
                    | "reply_markup"
                    | "forward_origin"
            ) {
                m.insert(k.clone(), v.clone());
            }
        }
        if forward {
            if let Some(from) = src.get("from") {
                m.insert(
                    "forward_origin".into(),
                    json!({"type": "user", "sender_user": from, "date": src.get("date")}),
                );
            }
        } else if let Some(c) = caption {
            m.remove("caption_entities");
            match c {
                Some(c) => m.insert("caption".into(), json!(c)),
                None => m.remove("caption"),
            };
        }
    }
    if forward && source.is_none() {
        m.insert("text".into(), json!("(forwarded message)"));
    }
    if source.is_none() && !forward {
        // Remember that the copy exists, with unknown content.
        inner.messages.insert(
            (chat, m["message_id"].as_i64().unwrap_or(0)),
            StoredMessage { message: None },
        );
    } else {
        store_message(inner, &m);
    }
    Ok(m)
}

fn copy_message(inner: &mut Inner, params: &Value, forward: bool) -> MethodResult {
    let chat = require_chat(params)?;
    let from_chat = params
        .get("from_chat_id")
        .and_then(value_to_i64)
        .ok_or_else(|| bad("chat_id is empty"))?;
    let id = params
        .get("message_id")
        .and_then(value_to_i64)
        .ok_or_else(|| bad("message identifier is not specified"))?;
    let caption = if params.get("caption").is_some() {
        Some(caption_of(params)?)
    } else {
        None
    };
    let mut probe = Map::new();
    apply_reply(inner, chat, params, &mut probe)?;
    let mut m = copy_one(inner, chat, from_chat, id, caption.as_ref(), forward)?;
    if let Some(r) = probe.remove("reply_to_message") {
        m.insert("reply_to_message".into(), r);
    }
    apply_markup(params, &mut m);
    let id = m["message_id"].clone();
    if forward {
        Ok(Value::Object(m))
    } else {
        Ok(json!({"message_id": id}))
    }
}

fn copy_messages(inner: &mut Inner, params: &Value, method: &str) -> MethodResult {
    let chat = require_chat(params)?;
    let from_chat = params
        .get("from_chat_id")
        .and_then(value_to_i64)
        .ok_or_else(|| bad("chat_id is empty"))?;
    let ids: Vec<i64> = json_param(params, "message_ids")
        .and_then(|v| {
            v.as_array()
                .map(|a| a.iter().filter_map(value_to_i64).collect())
        })
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 100 {
        return Err(bad("message identifiers are not specified"));
    }
    if ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad(
            "message identifiers must be in a strictly increasing order",
        ));
    }
    let forward = method == "forwardmessages";
    let mut out = Vec::new();
    for id in ids {
        let m = copy_one(inner, chat, from_chat, id, None, forward)?;
        out.push(json!({"message_id": m["message_id"]}));
    }
    Ok(Value::Array(out))
}

fn get_file(inner: &mut Inner, params: &Value) -> MethodResult {
    let id = params
        .get("file_id")
        .and_then(value_to_string)
        .ok_or_else(|| bad("file_id not specified"))?;
    let f = inner.files.get(&id).ok_or_else(|| bad("invalid file_id"))?;
    if f.size > MAX_DOWNLOAD {
        return Err(bad("file is too big"));
    }
    Ok(json!({
        "file_id": f.file_id,
        "file_unique_id": f.unique_id,
        "file_size": f.size,
        "file_path": f.path
    }))
}

fn set_webhook(inner: &mut Inner, params: &Value, files: &Files) -> MethodResult {
    let url = params
        .get("url")
        .and_then(value_to_string)
        .unwrap_or_default();
    if url.is_empty() {
        inner.webhook = None;
        return Ok(json!(true));
    }
    let parsed = reqwest::Url::parse(&url).map_err(|_| bad("invalid webhook URL specified"))?;
    if !inner.lenient_webhook {
        if parsed.scheme() != "https" {
            return Err(bad(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        }
        if !matches!(parsed.port_or_known_default(), Some(443 | 80 | 88 | 8443)) {
            return Err(bad(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            ));
        }
    }
    let secret = params.get("secret_token").and_then(value_to_string);
    if let Some(s) = &secret
        && (s.is_empty()
            || s.len() > 256
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(bad("secret token contains unallowed characters"));
    }
    let max_connections = params.get("max_connections").and_then(value_to_i64);
    if let Some(n) = max_connections
        && !(1..=100).contains(&n)
    {
        return Err(bad(
            "bad webhook: max_connections must be between 1 and 100",
        ));
    }
    let certificate = {
        let target = params.get("certificate").and_then(value_to_string);
        let by_attach = target
            .as_deref()
            .and_then(|t| t.strip_prefix("attach://"))
            .and_then(|n| files.iter().find(|f| f.0 == n));
        by_attach
            .or_else(|| files.iter().find(|f| f.0 == "certificate"))
            .map(|f| f.2.clone())
    };
    let drop_pending = value_to_bool(params.get("drop_pending_updates"));
    if drop_pending {
        inner.updates.clear();
    }
    inner.webhook = Some(WebhookConfig {
        url,
        secret_token: secret,
        certificate,
        max_connections,
        allowed_updates: json_param(params, "allowed_updates"),
        drop_pending_updates: drop_pending,
    });
    Ok(json!(true))
}

async fn get_updates(shared: &Shared, params: &Value) -> MethodResult {
    let offset = params.get("offset").and_then(value_to_i64).unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(value_to_i64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let timeout = params
        .get("timeout")
        .and_then(value_to_i64)
        .unwrap_or(0)
        .max(0) as u64;
    let generation = {
        let mut inner = shared.lock();
        if inner.webhook.is_some() {
            return Err((
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first".into(),
            ));
        }
        if offset > 0 {
            inner
                .updates
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            let len = inner.updates.len();
            if len > keep {
                inner.updates.drain(..len - keep);
            }
        }
        inner.poll_generation += 1;
        inner.poll_generation
    };
    // Wake an older long poll so it can be terminated.
    shared.updates_changed.notify_waiters();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = shared.updates_changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let inner = shared.lock();
            if inner.poll_generation != generation {
                return Err((
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running".into(),
                ));
            }
            if inner.webhook.is_some() {
                return Err((
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first".into(),
                ));
            }
            let batch: Vec<Value> = inner.updates.iter().take(limit).cloned().collect();
            if !batch.is_empty() {
                return Ok(Value::Array(batch));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Ok(json!([]));
        }
    }
}

// ---------------------------------------------------------------------------
// Entity parsing (what Telegram checks before counting lengths)
// ---------------------------------------------------------------------------

fn entities_error(d: String) -> (u16, String) {
    (400, format!("Bad Request: can't parse entities: {d}"))
}

/// Returns the text as Telegram would store it (markup removed) or the 400 error
/// Telegram gives for malformed markup.
fn parse_entities(text: &str, parse_mode: Option<&str>) -> Result<String, (u16, String)> {
    match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        Some("html") => parse_html(text).map_err(entities_error),
        Some("markdownv2") => parse_markdown_v2(text).map_err(entities_error),
        Some("markdown") => Ok(text.replace(['*', '_', '`'], "")),
        _ => Ok(text.to_owned()),
    }
}

const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

fn parse_html(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut stack: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().unwrap_or('\0');
        if c == '<' {
            // Mirrors tdlib's parse_html messages.
            let is_end = rest[1..].starts_with('/');
            let name_start = if is_end { 2 } else { 1 };
            let name_len = rest[name_start..]
                .find(|c: char| c.is_whitespace() || c == '>')
                .unwrap_or(rest.len() - name_start);
            let name = rest[name_start..name_start + name_len].to_ascii_lowercase();
            if is_end {
                let Some(open) = stack.pop() else {
                    return Err(format!("Unexpected end tag at byte offset {i}"));
                };
                let after = rest[name_start + name_len..].trim_start();
                if !after.starts_with('>') {
                    return Err(format!("Unclosed end tag at byte offset {i}"));
                }
                if !name.is_empty() && name != open {
                    return Err(format!(
                        "Unmatched end tag at byte offset {i}, expected \"</{open}>\", found \"</{name}>\""
                    ));
                }
                i = s.len() - after.len() + 1;
            } else {
                if name_start + name_len >= rest.len() {
                    return Err(format!("Unclosed start tag at byte offset {i}"));
                }
                if !HTML_TAGS.contains(&name.as_str()) {
                    return Err(format!(
                        "Unsupported start tag \"{name}\" at byte offset {i}"
                    ));
                }
                // Attributes (quoted values may contain '>').
                let mut j = name_start + name_len;
                let bytes = rest.as_bytes();
                let mut quote: Option<u8> = None;
                while j < bytes.len() {
                    match (quote, bytes[j]) {
                        (None, b'>') => break,
                        (None, q @ (b'"' | b'\'')) => quote = Some(q),
                        (Some(q), b) if b == q => quote = None,
                        _ => {}
                    }
                    j += 1;
                }
                if j >= bytes.len() {
                    return Err(format!("Unclosed start tag at byte offset {i}"));
                }
                stack.push(name);
                i += j + 1;
            }
        } else if c == '&' {
            let decoded = rest.find(';').filter(|p| *p <= 11).and_then(|semi| {
                let ent = &rest[1..semi];
                let ch = match ent {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    _ => ent
                        .strip_prefix("#x")
                        .or_else(|| ent.strip_prefix("#X"))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                ch.map(|ch| (ch, semi))
            });
            match decoded {
                Some((ch, semi)) => {
                    out.push(ch);
                    i += semi + 1;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{open}\""
        ));
    }
    Ok(out)
}

fn parse_markdown_v2(s: &str) -> Result<String, String> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = String::with_capacity(s.len());
    // Open entities: (marker, byte offset, name).
    let mut open: Vec<(&'static str, usize, &'static str)> = Vec::new();
    let mut i = 0;
    let reserved = |c: char| {
        Err(format!(
            "Character '{c}' is reserved and must be escaped with the preceding '\\'"
        ))
    };
    let toggle = |open: &mut Vec<(&'static str, usize, &'static str)>,
                  marker: &'static str,
                  name: &'static str,
                  off: usize|
     -> Result<(), String> {
        match open.iter().rposition(|(m, _, _)| *m == marker) {
            Some(pos) if pos == open.len() - 1 => {
                open.pop();
                Ok(())
            }
            Some(_) => {
                let (_, o, n) = open[open.len() - 1];
                Err(format!("Can't find end of {n} entity at byte offset {o}"))
            }
            None => {
                open.push((marker, off, name));
                Ok(())
            }
        }
    };
    while i < chars.len() {
        let (off, c) = chars[i];
        let next = chars.get(i + 1).map(|x| x.1);
        match c {
            '\\' => match next {
                Some(n) if (n as u32) >= 1 && (n as u32) <= 126 => {
                    out.push(n);
                    i += 2;
                }
                _ => return reserved('\\'),
            },
            '`' => {
                let fence = next == Some('`') && chars.get(i + 2).map(|x| x.1) == Some('`');
                let (start, closing) = if fence { (i + 3, "```") } else { (i + 1, "`") };
                let mut j = start;
                let mut content = String::new();
                let mut closed = false;
                while j < chars.len() {
                    let cj = chars[j].1;
                    if cj == '\\' && j + 1 < chars.len() {
                        content.push(chars[j + 1].1);
                        j += 2;
                        continue;
                    }
                    if cj == '`' {
                        if closing == "`" {
                            closed = true;
                            j += 1;
                            break;
                        }
                        if chars.get(j + 1).map(|x| x.1) == Some('`')
                            && chars.get(j + 2).map(|x| x.1) == Some('`')
                        {
                            closed = true;
                            j += 3;
                            break;
                        }
                    }
                    content.push(cj);
                    j += 1;
                }
                if !closed {
                    let name = if fence { "Pre" } else { "Code" };
                    return Err(format!(
                        "Can't find end of {name} entity at byte offset {off}"
                    ));
                }
                if fence {
                    // Optional language on the first line.
                    if let Some(nl) = content.find('\n') {
                        let first = &content[..nl];
                        if !first.is_empty() && !first.contains(char::is_whitespace) {
                            content = content[nl + 1..].to_owned();
                        }
                    }
                }
                out.push_str(&content);
                i = j;
            }
            '*' => {
                toggle(&mut open, "*", "Bold", off)?;
                i += 1;
            }
            '~' => {
                toggle(&mut open, "~", "Strikethrough", off)?;
                i += 1;
            }
            '_' => {
                if next == Some('_') {
                    toggle(&mut open, "__", "Underline", off)?;
                    i += 2;
                } else {
                    toggle(&mut open, "_", "Italic", off)?;
                    i += 1;
                }
            }
            '|' => {
                if next == Some('|') {
                    toggle(&mut open, "||", "Spoiler", off)?;
                    i += 2;
                } else {
                    return reserved('|');
                }
            }
            '!' if next == Some('[') => {
                open.push(("[", off, "TextUrl"));
                i += 2;
            }
            '[' => {
                open.push(("[", off, "TextUrl"));
                i += 1;
            }
            ']' => {
                if open.last().map(|o| o.0) != Some("[") {
                    return reserved(']');
                }
                let (_, o, _) = open.pop().unwrap_or(("[", off, ""));
                if next != Some('(') {
                    return Err(format!(
                        "Can't find end of TextUrl entity at byte offset {o}"
                    ));
                }
                let mut j = i + 2;
                let mut closed = false;
                while j < chars.len() {
                    match chars[j].1 {
                        '\\' => j += 2,
                        ')' => {
                            closed = true;
                            j += 1;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                if !closed {
                    return Err(format!(
                        "Can't find end of TextUrl entity at byte offset {o}"
                    ));
                }
                i = j;
            }
            '>' if i == 0 || chars[i - 1].1 == '\n' => {
                i += 1;
            }
            '(' | ')' | '>' | '#' | '+' | '-' | '=' | '{' | '}' | '.' | '!' => {
                return reserved(c);
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    if let Some((_, o, n)) = open.last() {
        return Err(format!("Can't find end of {n} entity at byte offset {o}"));
    }
    Ok(out)
}
