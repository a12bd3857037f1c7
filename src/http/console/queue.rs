//! The queue (SPEC §8 `/`): unassigned and active communications with their
//! waiting times (a specialist sees the unassigned ones — of their departments,
//! with departments — and their own, a controller every one), updated live by server-sent events at `/events`, and Take from the
//! web: the same `Press` of `Button::Take` a Telegram press is, without a callback.

use std::convert::Infallible;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;

use super::extract::CommPost;
use super::session::Signed;
use super::{Console, Result, waited};
use crate::domain::{Button, CommId};
use crate::store::console::QueueRow;

pub fn router() -> Router<Console> {
    Router::new()
        .route("/", get(queue_page))
        .route("/events", get(events))
        .route("/c/{id}/take", post(take))
}

/// A line of the queue as shown.
pub struct Item {
    pub id: i64,
    pub customer: String,
    pub username: String,
    pub department: String,
    pub unassigned: bool,
    pub specialist: String,
    pub mine: bool,
    pub waiting: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/queue.html")]
struct QueuePage {
    who: Signed,
    items: Vec<Item>,
    notice: String,
    alert: bool,
}

#[derive(Template)]
#[template(path = "console/_queue.html")]
struct QueueFragment<'a> {
    who: &'a Signed,
    items: &'a [Item],
}

/// The configured name of staff member `id` (else the id).
pub fn staff_name(console: &Console, id: i64) -> String {
    let config = console.config();
    config
        .specialists
        .iter()
        .chain(config.controllers.iter())
        .find(|p| p.chat_id == id)
        .map_or_else(|| id.to_string(), |p| p.name.clone())
}

/// The queue as `who` may see it.
async fn items(console: &Console, who: &Signed) -> Result<Vec<Item>> {
    let only_of = (!who.controller).then_some(who.staff);
    let rows = console
        .processor()
        .store()
        .run(move |conn| crate::store::console::queue(conn, only_of))
        .await?;
    let now = crate::now_ms();
    // With departments, a specialist's queue is their departments' (as `/unassigned`).
    let departments = if who.controller {
        None
    } else {
        console.processor().policy().departments_of(who.staff)
    };
    Ok(rows
        .into_iter()
        .filter(|r: &QueueRow| {
            r.status != "unassigned"
                || departments
                    .as_ref()
                    .is_none_or(|keys| keys.contains(&r.department))
        })
        .map(|r: QueueRow| {
            let unassigned = r.status == "unassigned";
            Item {
                id: r.id,
                customer: r.customer,
                username: r.username.map(|u| format!("@{u}")).unwrap_or_default(),
                department: r.department,
                unassigned,
                specialist: r
                    .specialist_id
                    .map(|s| staff_name(console, s))
                    .unwrap_or_default(),
                mine: r.specialist_id == Some(who.staff.0),
                waiting: waited(
                    now - if unassigned {
                        r.opened_at
                    } else {
                        r.assigned_at.unwrap_or(r.opened_at)
                    },
                ),
            }
        })
        .collect())
}

async fn queue_page(State(console): State<Console>, who: Signed) -> Result<Response> {
    page_with(&console, who, String::new(), false).await
}

/// The queue page with the outcome of what `who` just did.
pub async fn page_with(
    console: &Console,
    who: Signed,
    notice: String,
    alert: bool,
) -> Result<Response> {
    let items = items(console, &who).await?;
    Ok(QueuePage {
        who,
        items,
        notice,
        alert,
    }
    .into_response())
}

/// The queue's fragment, rendered anew after every change, until the service stops
/// or the browser goes away.
async fn events(
    State(console): State<Console>,
    who: Signed,
) -> Sse<impl Stream<Item = std::result::Result<Event, Infallible>>> {
    super::live::stream(console, "queue", move |console| {
        let who = who.clone();
        async move {
            let items = items(&console, &who).await?;
            Ok(Some(
                QueueFragment {
                    who: &who,
                    items: &items,
                }
                .render()
                .unwrap_or_default(),
            ))
        }
    })
}

/// Take from the web: the typed action of a Telegram press on Take, decided by the
/// writer; the page shows what the core answered (taken, or why not).
async fn take(State(console): State<Console>, CommPost(id, posted): CommPost) -> Result<Response> {
    let who = posted.who;
    let acted = super::acting::press(&console, &who, Button::Take(CommId(id))).await?;
    let (notice, alert) = super::acting::words(acted, "");
    page_with(&console, who, notice, alert).await
}
