//! Exports for controllers (SPEC §8 `/export`, the §9 exports as downloads; a
//! specialist gets 403): customers, communications, messages, ratings or the audit
//! log, as CSV or JSON, between two UTC days. The rows are written by the same code
//! as `relaydesk export` (`store/export/`), from a read-only connection on a
//! blocking thread, and streamed to the browser as they come (flat memory however
//! many there are). Each download first writes its `export` line to the audit log,
//! by the controller, `to=console`.

use std::io::Write;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::warn;

use super::extract::Controller;
use super::session::{Posted, Signed};
use super::{Console, Error, Result};
use crate::domain::Actor;
use crate::store::export::format::{ExportFormat, audit_entry, parse_day, range, write};
use crate::store::export::{ExportKind, open_read_only};

/// How much of an export is sent at a time.
const CHUNK: usize = 64 * 1024;

pub fn router() -> Router<Console> {
    Router::new().route("/export", get(page).post(download))
}

#[derive(Template, WebTemplate)]
#[template(path = "console/export.html")]
struct ExportPage {
    who: Signed,
    kinds: Vec<&'static str>,
}

async fn page(Controller(who): Controller) -> Result<Response> {
    Ok(ExportPage {
        who,
        kinds: ExportKind::ALL.iter().map(|k| k.as_str()).collect(),
    }
    .into_response())
}

/// Bytes written to the browser through a channel, a chunk at a time; a browser
/// gone away makes the next write fail, which ends the export.
struct ToBrowser {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ToBrowser {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

/// The day field `name` of the form: none when empty.
fn day(
    fields: &std::collections::HashMap<String, String>,
    name: &str,
) -> Result<Option<chrono::NaiveDate>> {
    match fields.get(name).map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(s) => parse_day(s)
            .map(Some)
            .map_err(|_| Error::BadRequest("since / until: a day as YYYY-MM-DD")),
    }
}

async fn download(State(console): State<Console>, posted: Posted) -> Result<Response> {
    let Posted { who, fields } = posted.controller_only()?;
    let wanted = fields.get("kind").map(String::as_str).unwrap_or_default();
    let kind = ExportKind::ALL
        .into_iter()
        .find(|k| k.as_str() == wanted)
        .ok_or(Error::BadRequest(
            "kind: customers, communications, messages, ratings or audit",
        ))?;
    let format = match fields.get("format").map(String::as_str) {
        None | Some("") | Some("csv") => ExportFormat::Csv,
        Some("json") => ExportFormat::Json,
        Some(_) => return Err(Error::BadRequest("format: csv or json")),
    };
    let range = range(day(&fields, "since")?, day(&fields, "until")?)
        .map_err(|_| Error::BadRequest("since is after until"))?;
    // Nothing leaves without its line in the audit log.
    let entry = audit_entry(Actor::Staff(who.staff), kind, format, range, "console");
    let now = crate::now_ms();
    console
        .processor()
        .committer()
        .write(move |conn| crate::store::audit::insert(conn, &entry, now))
        .await?;
    let path = console.config().database.path.clone();
    let conn = tokio::task::spawn_blocking(move || open_read_only(&path))
        .await
        .map_err(|e| Error::Internal(crate::Error::Task(e.to_string())))??;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut out = ToBrowser {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = write(&conn, kind, format, range, &mut out).and_then(|_| {
            out.flush()
                .map_err(|e| crate::Error::io("send the export", e))
        }) {
            warn!(error = %e, kind = kind.as_str(), "a console export ended early");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let (content_type, ext) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => ("application/json", "json"),
    };
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"relaydesk-{}-{today}.{ext}\"",
        kind.as_str()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
