//! The admin router (`/healthz`, `/metrics`), served on a local address of its own,
//! never on the public webhook.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::config::Config;
use crate::runtime::disk::{Probe, SysinfoProbe};
use crate::runtime::metrics::Metrics;
use crate::store::Store;
use crate::store::health::{self, Backlog};

#[derive(Clone)]
struct AdminState {
    store: Store,
    metrics: Arc<Metrics>,
    config: Arc<Config>,
}

pub fn admin_router(store: Store, metrics: Arc<Metrics>, config: Arc<Config>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .with_state(AdminState {
            store,
            metrics,
            config,
        })
}

async fn backlog(store: &Store) -> crate::Result<Backlog> {
    store.run(|c| health::backlog(c)).await
}

fn rfc3339(ms: i64) -> Option<String> {
    (ms > 0)
        .then(|| chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).map(|t| t.to_rfc3339()))
        .flatten()
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> axum::response::Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn healthz(State(s): State<AdminState>) -> impl IntoResponse {
    let last = rfc3339(s.metrics.last_update_ms.load(Ordering::Relaxed));
    match backlog(&s.store).await {
        Ok(b) => {
            let now = crate::now_ms();
            let body = json!({
                "status": "ok",
                "database": "ok",
                "outbox_pending": b.outbox_pending,
                "oldest_pending_age_seconds": b.oldest_pending_ms.map(|t| (now - t).max(0) / 1000),
                "mail_pending": b.mail_pending,
                "last_update_at": last,
            });
            json_response(StatusCode::OK, &body)
        }
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "status": "error", "database": e.to_string(), "last_update_at": last }),
        ),
    }
}

async fn metrics_text(State(s): State<AdminState>) -> impl IntoResponse {
    let m = &s.metrics;
    let mut out = Exposition::default();
    let counters: [(&str, &str, &AtomicU64); 9] = [
        (
            "updates_received_total",
            "Updates received by webhook or polling.",
            &m.updates_received,
        ),
        (
            "updates_duplicate_total",
            "Redelivered updates ignored.",
            &m.updates_duplicate,
        ),
        (
            "updates_rejected_total",
            "Deliveries that were not updates.",
            &m.updates_rejected,
        ),
        (
            "updates_failed_total",
            "Updates whose handling failed (recorded).",
            &m.updates_failed,
        ),
        (
            "outbox_sent_total",
            "Bot API calls delivered.",
            &m.outbox_sent,
        ),
        (
            "outbox_retried_total",
            "Bot API calls to be repeated (429, 5xx, network).",
            &m.outbox_retried,
        ),
        (
            "outbox_failed_total",
            "Bot API calls refused for good.",
            &m.outbox_failed,
        ),
        (
            "reminders_sent_total",
            "Reminders and escalations sent.",
            &m.reminders_sent,
        ),
        (
            "ratings_recorded_total",
            "Satisfaction ratings recorded.",
            &m.ratings_recorded,
        ),
    ];
    for (name, help, counter) in counters {
        out.single(name, "counter", help, counter.load(Ordering::Relaxed));
    }
    if let Ok(b) = backlog(&s.store).await {
        out.gauge(
            "outbox_pending",
            "Bot API calls waiting to be sent.",
            b.outbox_pending,
        );
        out.gauge("mail_pending", "Emails waiting to be sent.", b.mail_pending);
        out.metric(
            "communications_open",
            "gauge",
            "Open communications by status.",
            &[
                ("{status=\"unassigned\"}".into(), i128::from(b.unassigned)),
                ("{status=\"assigned\"}".into(), i128::from(b.assigned)),
            ],
        );
    }
    for (name, help, h) in [
        (
            "first_response_seconds",
            "First responses recorded (opened to the first specialist message).",
            &m.first_response_seconds,
        ),
        (
            "resolution_seconds",
            "Resolutions recorded (opened to close).",
            &m.resolution_seconds,
        ),
    ] {
        let (buckets, count, sum) = h.read();
        let mut lines: Vec<(String, i128)> = buckets
            .into_iter()
            .map(|(bound, n)| (format!("_bucket{{le=\"{bound}\"}}"), i128::from(n)))
            .collect();
        lines.push(("_bucket{le=\"+Inf\"}".into(), i128::from(count)));
        lines.push(("_sum".into(), i128::from(sum)));
        lines.push(("_count".into(), i128::from(count)));
        out.metric(name, "histogram", help, &lines);
    }
    let dir = s.config.archive.dir.clone();
    if let Ok(Ok(space)) = tokio::task::spawn_blocking(move || SysinfoProbe.space(&dir)).await {
        out.gauge(
            "disk_free_bytes",
            "Free space on the disk of the archive.",
            space.free_bytes,
        );
        out.gauge(
            "disk_total_bytes",
            "Size of the disk of the archive.",
            space.total_bytes,
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out.0)
}

/// Metrics in Prometheus's text format, one after another.
#[derive(Default)]
struct Exposition(String);

impl Exposition {
    /// A metric of `kind` with its help, then one line per label set and value.
    fn metric(&mut self, name: &str, kind: &str, help: &str, lines: &[(String, i128)]) {
        let _ = writeln!(self.0, "# HELP relaydesk_{name} {help}");
        let _ = writeln!(self.0, "# TYPE relaydesk_{name} {kind}");
        for (labels, v) in lines {
            let _ = writeln!(self.0, "relaydesk_{name}{labels} {v}");
        }
    }

    /// A metric with one value and no labels.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl Into<i128>) {
        self.metric(name, kind, help, &[(String::new(), value.into())]);
    }

    fn gauge(&mut self, name: &str, help: &str, value: impl Into<i128>) {
        self.single(name, "gauge", help, value);
    }
}
