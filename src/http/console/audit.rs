//! The audit log for controllers (SPEC §8 `/audit`), newest first, 100 lines a
//! page; a specialist gets 403.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::{Controller, Params};
use super::session::Signed;
use super::{Console, Error, Result};

/// Lines a page shows.
const PAGE: i64 = 100;

pub fn router() -> Router<Console> {
    Router::new().route("/audit", get(page))
}

pub struct Shown {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub communication: Option<i64>,
    pub details: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/audit.html")]
struct AuditPage {
    who: Signed,
    lines: Vec<Shown>,
    older: Option<i64>,
}

#[derive(serde::Deserialize)]
struct Page {
    before: Option<String>,
}

async fn page(
    State(console): State<Console>,
    Controller(who): Controller,
    Params(params): Params<Page>,
) -> Result<Response> {
    let before = match params.before {
        Some(b) => Some(
            b.parse::<i64>()
                .map_err(|_| Error::BadRequest("before: a line number"))?,
        ),
        None => None,
    };
    let rows = console
        .processor()
        .store()
        .run(move |conn| crate::store::console::recent_audit(conn, before, PAGE))
        .await?;
    let older = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let lines = rows
        .into_iter()
        .map(|r| Shown {
            at: super::comm::time(r.at),
            actor: match r.actor.parse::<i64>() {
                Ok(id) => format!("{} ({id})", super::queue::staff_name(&console, id)),
                Err(_) => r.actor,
            },
            action: r.action,
            communication: r.communication_id,
            details: r.details,
        })
        .collect();
    Ok(AuditPage { who, lines, older }.into_response())
}
