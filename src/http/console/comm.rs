//! A communication's page (SPEC §8 `/c/{id}`): its header and transcript with the
//! notes, and the reply form. A reply is `Action::ConsoleReply`, decided and
//! applied by the writer: sent to the customer as the specialist's message, logged,
//! counted and archived like one written in Telegram, and shown in their Telegram
//! chat. A specialist sees the unassigned communications and their own; a
//! controller every one.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::session::{Posted, Signed};
use super::{Console, Error, Result};
use crate::domain::{Action, Button, CommId, Command, Press, User};
use crate::store::console::{CommHeader, Line};

pub fn router() -> Router<Console> {
    Router::new()
        .route("/c/{id}", get(page))
        .route("/c/{id}/reply", post(reply))
        .route("/c/{id}/release", post(release))
        .route("/c/{id}/close", post(close))
        .route("/c/{id}/note", post(note))
}

/// A transcript line as shown.
pub struct Shown {
    pub at: String,
    pub who: String,
    pub note: bool,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/comm.html")]
struct CommPage {
    who: Signed,
    c: CommHeader,
    specialist: String,
    mine: bool,
    unassigned: bool,
    lines: Vec<Shown>,
    notice: String,
    alert: bool,
    draft: String,
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn comm_id(id: &str) -> Result<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(Error::NotFound)
}

async fn render(
    console: &Console,
    who: Signed,
    id: i64,
    notice: String,
    alert: bool,
    draft: String,
) -> Result<Response> {
    let (header, lines) = console
        .processor()
        .store()
        .run(move |conn| {
            let header = crate::store::console::communication(conn, id)?;
            let lines = match header {
                Some(_) => crate::store::console::transcript(conn, id)?,
                None => Vec::new(),
            };
            Ok((header, lines))
        })
        .await?;
    let Some(c) = header else {
        return Err(Error::NotFound);
    };
    let unassigned = c.status == "unassigned";
    let mine = c.specialist_id == Some(who.staff.0);
    if !(who.controller || unassigned || mine) {
        return Err(Error::Forbidden);
    }
    let name = |id: i64| super::queue::staff_name(console, id);
    let customer = c.customer.clone();
    let lines = lines
        .into_iter()
        .map(|l: Line| {
            let note = l.kind == "note";
            let who = match l.role.as_str() {
                "customer" => customer.clone(),
                "specialist" => name(l.sender_id),
                _ => "bot".to_string(),
            };
            let mut text = l.text.unwrap_or_default();
            if let Some(file) = l.file_name {
                text = if text.is_empty() {
                    format!("[{}: {file}]", l.kind)
                } else {
                    format!("[{}: {file}] {text}", l.kind)
                };
            } else if text.is_empty() {
                text = format!("[{}]", l.kind);
            }
            Shown {
                at: time(l.at),
                who,
                note,
                text,
            }
        })
        .collect();
    let specialist = c.specialist_id.map(name).unwrap_or_default();
    Ok(CommPage {
        who,
        c,
        specialist,
        mine,
        unassigned,
        lines,
        notice,
        alert,
        draft,
    }
    .into_response())
}

async fn page(
    State(console): State<Console>,
    Path(id): Path<String>,
    who: Signed,
) -> Result<Response> {
    let id = comm_id(&id)?;
    render(&console, who, id, String::new(), false, String::new()).await
}

/// The staff member as the core's `User`.
fn user(who: &Signed) -> User {
    User {
        id: who.staff.0,
        first_name: who.name.clone(),
        last_name: None,
        username: None,
        language: None,
    }
}

/// The words the core had for whoever acted, and whether they are a refusal.
fn words(acted: crate::runtime::writer::Acted, done: &str) -> (String, bool) {
    let alert = acted.feedback.iter().any(|(_, alert)| *alert);
    let notice = acted
        .feedback
        .into_iter()
        .map(|(text, _)| text)
        .collect::<Vec<_>>()
        .join(" ");
    if notice.is_empty() {
        (done.to_string(), false)
    } else {
        (notice, alert)
    }
}

/// A press of `button` from the web: the same typed action as the button in
/// Telegram, without a callback.
async fn press(
    console: &Console,
    who: &Signed,
    button: Button,
) -> Result<crate::runtime::writer::Acted> {
    Ok(console
        .processor()
        .act(Action::Press {
            from: user(who),
            button: Some(button),
            press: Press {
                callback: None,
                message: None,
            },
        })
        .await?)
}

async fn release(
    State(console): State<Console>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let id = comm_id(&id)?;
    let acted = press(&console, &posted.who, Button::Release(CommId(id))).await?;
    let (notice, alert) = words(acted, "Released: the request is back in the queue.");
    render(&console, posted.who, id, notice, alert, String::new()).await
}

async fn close(
    State(console): State<Console>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let id = comm_id(&id)?;
    let acted = press(&console, &posted.who, Button::Close(CommId(id))).await?;
    let (notice, alert) = words(acted, "Closed.");
    render(&console, posted.who, id, notice, alert, String::new()).await
}

/// An internal note: `/note TEXT` as if typed in Telegram, on the specialist's
/// active communication, which must be this one (the bot confirms in Telegram).
async fn note(
    State(console): State<Console>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let id = comm_id(&id)?;
    let Posted { who, fields } = posted;
    let text: String = fields
        .get("text")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let header = console
        .processor()
        .store()
        .run(move |conn| crate::store::console::communication(conn, id))
        .await?
        .ok_or(Error::NotFound)?;
    let active = header.status == "assigned" && header.specialist_id == Some(who.staff.0);
    let (notice, alert) = if !active {
        (
            format!("Request #{id} is not your active request: take it first."),
            true,
        )
    } else if text.is_empty() {
        ("An empty note was not saved.".to_string(), true)
    } else {
        console
            .processor()
            .act(Action::Command {
                from: user(&who),
                chat_id: who.staff.chat(),
                command: Command::Note(text),
            })
            .await?;
        (
            "Note saved (internal: never sent to the customer).".to_string(),
            false,
        )
    };
    render(&console, who, id, notice, alert, String::new()).await
}

async fn reply(
    State(console): State<Console>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let id = comm_id(&id)?;
    let Posted { who, fields } = posted;
    let text = fields.get("text").cloned().unwrap_or_default();
    let action = Action::ConsoleReply {
        from: user(&who),
        comm: CommId(id),
        text: text.clone(),
    };
    let acted = console.processor().act(action).await?;
    let (notice, alert) = words(acted, "Sent to the customer.");
    // A refused reply stays in the form.
    let draft = if alert { text } else { String::new() };
    render(&console, who, id, notice, alert, draft).await
}
