//! A communication's page (SPEC §8 `/c/{id}`): its header and transcript with the
//! notes, and the reply form. A reply is `Action::ConsoleReply`, decided and
//! applied by the writer: sent to the customer as the specialist's message, logged,
//! counted and archived like one written in Telegram, and shown in their Telegram
//! chat. A specialist sees the unassigned communications and their own; a
//! controller every one.

use std::convert::Infallible;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;

use super::acting::{Said, own, press, user, words};
use super::extract::{CommPath, CommPost};
use super::offers::Tools;
use super::session::{Posted, Signed};
use super::{Console, Error, Result};
use crate::domain::{Action, Button, CommId, Command};
use crate::store::console::{CommHeader, Line};

pub fn router() -> Router<Console> {
    Router::new()
        .route("/c/{id}", get(page))
        .route("/c/{id}/reply", post(reply))
        .route("/c/{id}/release", post(release))
        .route("/c/{id}/close", post(close))
        .route("/c/{id}/note", post(note))
        .route("/c/{id}/files/{name}", get(file))
        .route("/c/{id}/events", get(events))
}

/// A transcript line as shown.
pub struct Shown {
    pub at: String,
    pub who: String,
    pub note: bool,
    pub text: String,
    /// Its saved file's name (served at `files/{name}`), and whether it is an
    /// image shown inline.
    pub file: Option<String>,
    pub image: bool,
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
    tools: Tools,
}

/// The transcript alone, as the live page receives it.
#[derive(Template)]
#[template(path = "console/_transcript.html")]
struct TranscriptFragment<'a> {
    c: &'a CommHeader,
    lines: &'a [Shown],
}

/// A moment as UTC text.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// Whether `who` may see `c`: a controller every communication, a specialist the
/// unassigned ones and their own (403 otherwise).
fn may_see(who: &Signed, c: &CommHeader) -> Result<()> {
    if who.controller || c.status == "unassigned" || c.specialist_id == Some(who.staff.0) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Communication `id`'s header and transcript as shown to `who`: 404 for none,
/// 403 for one they may not see.
async fn load(console: &Console, who: &Signed, id: i64) -> Result<(CommHeader, Vec<Shown>)> {
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
    let c = header.ok_or(Error::NotFound)?;
    may_see(who, &c)?;
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
            let image = l.saved.as_deref().is_some_and(|n| image_type(n).is_some());
            Shown {
                at: time(l.at),
                who,
                note,
                text,
                file: l.saved,
                image,
            }
        })
        .collect();
    Ok((c, lines))
}

/// Communication `id`'s page for `who`, with what was said of what they just did.
pub async fn answer(console: &Console, who: Signed, id: i64, said: Said) -> Result<Response> {
    render(console, who, id, said, String::new()).await
}

/// Communication `id`'s page for `who`, with what was said of what they just did
/// and the reply form holding `draft`.
async fn render(
    console: &Console,
    who: Signed,
    id: i64,
    (notice, alert): Said,
    draft: String,
) -> Result<Response> {
    let (c, lines) = load(console, &who, id).await?;
    let unassigned = c.status == "unassigned";
    let mine = c.specialist_id == Some(who.staff.0);
    let specialist = c
        .specialist_id
        .map(|id| super::queue::staff_name(console, id))
        .unwrap_or_default();
    let tools = super::offers::tools(console, &who, &c).await?;
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
        tools,
    }
    .into_response())
}

/// The transcript, rendered anew after every change while `who` may see it.
async fn events(
    State(console): State<Console>,
    CommPath(id): CommPath,
    who: Signed,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    load(&console, &who, id).await?;
    Ok(super::live::stream(console, "transcript", move |console| {
        let who = who.clone();
        async move {
            match load(&console, &who, id).await {
                Ok((c, lines)) => Ok(Some(
                    TranscriptFragment {
                        c: &c,
                        lines: &lines,
                    }
                    .render()
                    .unwrap_or_default(),
                )),
                Err(Error::Forbidden | Error::NotFound | Error::SignIn) => Ok(None),
                Err(e) => Err(e),
            }
        }
    }))
}

/// The content type of an image the console shows inline, by its name.
fn image_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// Whether `name` can only name a file inside one folder: one plain component.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c == '\0' || c.is_control())
}

/// One of the communication's files (`archive/<customer>/<comm>/files/NAME`), for
/// whoever may see the communication; nothing outside that folder, and only a file
/// recorded as saved for this communication: anything else is 404.
async fn file(
    State(console): State<Console>,
    path: std::result::Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    who: Signed,
) -> Result<Response> {
    use axum::http::{HeaderValue, header};
    // A name that is not even UTF-8 names no file.
    let Ok(Path((id, name))) = path else {
        return Err(Error::NotFound);
    };
    let CommPath(id) = CommPath::parse(&id)?;
    if !plain_name(&name) {
        return Err(Error::NotFound);
    }
    let (header, known) = {
        let name = name.clone();
        console
            .processor()
            .store()
            .run(move |conn| {
                Ok((
                    crate::store::console::communication(conn, id)?,
                    crate::store::console::has_saved_file(conn, id, &name)?,
                ))
            })
            .await?
    };
    let c = header.ok_or(Error::NotFound)?;
    may_see(&who, &c)?;
    if !known {
        return Err(Error::NotFound);
    }
    let dir = crate::domain::archive::folder(&console.config().archive.dir, c.customer_id, c.id)
        .join("files");
    let path = dir.join(&name);
    // Resolved, the file must still be inside the folder (no link leads out).
    let inside = match (std::fs::canonicalize(&dir), std::fs::canonicalize(&path)) {
        (Ok(dir), Ok(path)) => path.starts_with(&dir) && path.is_file(),
        _ => false,
    };
    if !inside {
        return Err(Error::NotFound);
    }
    let bytes = tokio::fs::read(&path).await.map_err(|_| Error::NotFound)?;
    let (content_type, disposition) = match image_type(&name) {
        Some(t) => (t, "inline"),
        None => ("application/octet-stream", "attachment"),
    };
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

async fn page(
    State(console): State<Console>,
    CommPath(id): CommPath,
    who: Signed,
) -> Result<Response> {
    answer(&console, who, id, (String::new(), false)).await
}

async fn release(
    State(console): State<Console>,
    CommPost(id, posted): CommPost,
) -> Result<Response> {
    let done = "Released: the request is back in the queue.";
    own_button(&console, id, posted, Button::Release, done).await
}

async fn close(State(console): State<Console>, CommPost(id, posted): CommPost) -> Result<Response> {
    own_button(&console, id, posted, Button::Close, "Closed.").await
}

/// A button on the specialist's own communication, pressed from its page, which
/// is shown again with the outcome.
async fn own_button(
    console: &Console,
    id: i64,
    posted: Posted,
    button: fn(CommId) -> Button,
    done: &str,
) -> Result<Response> {
    let acted = press(console, &posted.who, button(CommId(id))).await?;
    answer(console, posted.who, id, words(acted, done)).await
}

/// An internal note: `/note TEXT` as if typed in Telegram, on the specialist's
/// active communication, which must be this one (the bot confirms in Telegram).
async fn note(State(console): State<Console>, CommPost(id, posted): CommPost) -> Result<Response> {
    let text = posted.trimmed("text");
    let who = posted.who;
    let said = if let Err(why) = own(&console, &who, id).await? {
        (why, true)
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
        let saved = "Note saved (internal: never sent to the customer).";
        (saved.to_string(), false)
    };
    answer(&console, who, id, said).await
}

async fn reply(State(console): State<Console>, CommPost(id, posted): CommPost) -> Result<Response> {
    let text = posted.field("text").to_string();
    let who = posted.who;
    let action = Action::ConsoleReply {
        from: user(&who),
        comm: CommId(id),
        text: text.clone(),
    };
    let acted = console.processor().act(action).await?;
    let said = words(acted, "Sent to the customer.");
    // A refused reply stays in the form.
    let draft = if said.1 { text } else { String::new() };
    render(&console, who, id, said, draft).await
}
