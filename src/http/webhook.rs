//! The HTTPS endpoint Telegram delivers updates to. An update is committed before
//! the 200 goes back; anything that will never succeed is still answered 200 (and
//! recorded) so Telegram does not redeliver it forever.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use subtle::ConstantTimeEq;
use tracing::{error, warn};

use crate::runtime::writer::Processor;
use crate::store::updates::Source;

/// Telegram sends the configured secret back in this header.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Larger bodies are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
struct WebhookState {
    processor: Processor,
    secret: std::sync::Arc<[u8]>,
}

/// The webhook router: POST on `path` only (other methods get 405, other paths 404).
pub fn router(path: &str, processor: Processor, secret: &str) -> Router {
    let state = WebhookState {
        processor,
        secret: secret.as_bytes().into(),
    };
    Router::new()
        .route(path, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(&state.secret)) {
        warn!("webhook request with a wrong or missing secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    match state.processor.ingest(body.to_vec(), Source::Webhook).await {
        Ok(_) => StatusCode::OK,
        Err(e) => {
            // Not committed: Telegram must deliver it again.
            error!(error = %e, "could not commit an update; answering 500 so Telegram redelivers");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
