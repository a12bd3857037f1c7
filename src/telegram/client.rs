//! A thin Bot API client: JSON in, JSON out, and Telegram's answers sorted into the
//! three things a caller can do about them (wait, give up, retry).

use std::time::Duration;

use serde_json::Value;

/// Why a Bot API call did not succeed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 429: repeat the call after this long (Telegram's `parameters.retry_after`).
    #[error("too many requests: retry after {}s", .0.as_secs())]
    RetryAfter(Duration),
    /// Telegram refused the call for good (blocked by the user, chat not found, bad
    /// request): repeating it cannot help.
    #[error("refused by Telegram ({code}): {description}")]
    Permanent { code: u16, description: String },
    /// The chat became a supergroup (`parameters.migrate_to_chat_id`): the call is
    /// refused here and belongs to chat `to` now (SPEC §10).
    #[error("refused by Telegram ({code}): {description} (the group is now the supergroup {to})")]
    Moved {
        code: u16,
        description: String,
        to: i64,
    },
    /// A 5xx, a timeout or a network failure: worth repeating later.
    #[error("temporary failure: {0}")]
    Transient(String),
}

impl ApiError {
    /// Telegram's description for a permanent refusal.
    pub fn description(&self) -> String {
        match self {
            ApiError::Permanent { description, .. } => description.clone(),
            other => other.to_string(),
        }
    }
}

/// The Bot API over HTTP. Cheap to clone.
#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    api_url: String,
    token: String,
    timeout: Duration,
}

impl std::fmt::Debug for BotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("BotApi")
            .field("api_url", &self.api_url)
            .finish()
    }
}

impl BotApi {
    /// `api_url` like `https://api.telegram.org`; `timeout` bounds every call.
    pub fn new(api_url: &str, token: &str, timeout: Duration) -> BotApi {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        BotApi {
            http,
            api_url: api_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            timeout,
        }
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// A teloxide `Bot` on the same server, for the calls teloxide builds best
    /// (multipart uploads such as `setWebhook` with a certificate).
    pub fn teloxide(&self) -> teloxide::Bot {
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .unwrap_or_default();
        let bot = teloxide::Bot::with_client(self.token.clone(), client);
        match reqwest::Url::parse(&self.api_url) {
            Ok(url) => bot.set_api_url(url),
            Err(_) => bot,
        }
    }

    /// Call `method` with JSON `params`; the `result` on success.
    pub async fn call(&self, method: &str, params: &Value) -> Result<Value, ApiError> {
        self.call_with_timeout(method, params, self.timeout).await
    }

    /// Like [`BotApi::call`] with a timeout of its own (long polling needs more).
    pub async fn call_with_timeout(
        &self,
        method: &str,
        params: &Value,
        timeout: Duration,
    ) -> Result<Value, ApiError> {
        let url = format!("{}/bot{}/{}", self.api_url, self.token, method);
        let request = self.http.post(url).timeout(timeout);
        let request = match params.get(UPLOAD) {
            Some(upload) => request.multipart(multipart(params, upload).await?),
            None => request.json(params),
        };
        let response = request.send().await.map_err(network_error)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(network_error)?;
        classify(status, &body)
    }

    /// Download a file by the `file_path` that `getFile` returned.
    pub async fn download(&self, file_path: &str) -> Result<Vec<u8>, ApiError> {
        let url = format!("{}/file/bot{}/{}", self.api_url, self.token, file_path);
        let response = self
            .http
            .get(url)
            .timeout(self.timeout.max(Duration::from_secs(120)))
            .send()
            .await
            .map_err(network_error)?;
        let status = response.status();
        if status.is_success() {
            let bytes = response.bytes().await.map_err(network_error)?;
            return Ok(bytes.to_vec());
        }
        let code = status.as_u16();
        if status.is_client_error() && code != 429 {
            Err(ApiError::Permanent {
                code,
                description: format!("file download answered {status}"),
            })
        } else {
            Err(ApiError::Transient(format!(
                "file download answered {status}"
            )))
        }
    }
}

/// A parameter naming a local file to upload: `{"field": "document", "path": "...",
/// "file_name": "..."}`. The call then goes as multipart/form-data.
pub const UPLOAD: &str = "_upload";

async fn multipart(params: &Value, upload: &Value) -> Result<reqwest::multipart::Form, ApiError> {
    let refuse = |description: String| ApiError::Permanent {
        code: 0,
        description,
    };
    let field = upload["field"].as_str().unwrap_or("document").to_string();
    let path = upload["path"]
        .as_str()
        .ok_or_else(|| refuse("upload without a path".into()))?;
    let name = upload["file_name"].as_str().unwrap_or("file").to_string();
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| refuse(format!("cannot read the file to upload: {e}")))?;
    let mut form = reqwest::multipart::Form::new();
    if let Value::Object(map) = params {
        for (k, v) in map {
            if k == UPLOAD {
                continue;
            }
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            form = form.text(k.clone(), text);
        }
    }
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
    Ok(form.part(field, part))
}

/// A reqwest error without its URL: the URL holds the bot token.
fn network_error(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "network error"
    };
    ApiError::Transient(format!("{what}: {e}"))
}

/// Sort an HTTP answer of the Bot API into success or one of the error classes.
pub(crate) fn classify(status: u16, body: &[u8]) -> Result<Value, ApiError> {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Err(match status {
            429 => ApiError::RetryAfter(Duration::from_secs(1)),
            413 => ApiError::Permanent {
                code: status,
                description: "request entity too large".into(),
            },
            _ => ApiError::Transient(format!("HTTP {status} with a body that is not JSON")),
        });
    };
    if json.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(json.get("result").cloned().unwrap_or(Value::Bool(true)));
    }
    let code = json
        .get("error_code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(status);
    let description = json
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("no description")
        .to_string();
    let parameters = json.get("parameters");
    if let Some(secs) = parameters
        .and_then(|p| p.get("retry_after"))
        .and_then(Value::as_u64)
    {
        return Err(ApiError::RetryAfter(Duration::from_secs(secs.max(1))));
    }
    if code == 429 {
        return Err(ApiError::RetryAfter(Duration::from_secs(1)));
    }
    if let Some(new_id) = parameters
        .and_then(|p| p.get("migrate_to_chat_id"))
        .and_then(Value::as_i64)
    {
        return Err(ApiError::Moved {
            code,
            description,
            to: new_id,
        });
    }
    match code {
        // An edit that changes nothing is not a failure.
        400 if description.contains("message is not modified") => Ok(Value::Bool(true)),
        400 | 403 => Err(ApiError::Permanent { code, description }),
        _ => Err(ApiError::Transient(format!("{code}: {description}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_returns_result() {
        let r = classify(200, br#"{"ok":true,"result":{"message_id":3}}"#).unwrap();
        assert_eq!(r["message_id"], 3);
    }

    #[test]
    fn retry_after_is_read() {
        let body = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#;
        assert_eq!(
            classify(429, body),
            Err(ApiError::RetryAfter(Duration::from_secs(7)))
        );
    }

    #[test]
    fn blocked_and_not_found_are_permanent() {
        let body = br#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#;
        assert!(matches!(
            classify(403, body),
            Err(ApiError::Permanent { code: 403, .. })
        ));
        let body = br#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#;
        assert!(matches!(
            classify(400, body),
            Err(ApiError::Permanent { code: 400, .. })
        ));
    }

    #[test]
    fn server_errors_and_garbage_are_transient() {
        let body = br#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#;
        assert!(matches!(classify(500, body), Err(ApiError::Transient(_))));
        assert!(matches!(
            classify(502, b"<html>bad gateway</html>"),
            Err(ApiError::Transient(_))
        ));
    }

    #[test]
    fn unmodified_edit_is_success() {
        let body = br#"{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same"}"#;
        assert!(classify(400, body).is_ok());
    }

    #[test]
    fn migrated_group_names_the_new_id() {
        let body = br#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}"#;
        let err = classify(400, body).unwrap_err();
        assert!(err.description().contains("-1001234"));
        assert!(matches!(
            err,
            ApiError::Moved {
                code: 400,
                to: -1001234,
                ..
            }
        ));
    }
}
