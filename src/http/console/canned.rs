//! Canned answers for controllers (SPEC §8 `/canned`; a specialist gets 403): the
//! configured ones, shown as such (edited in the configuration, and a configured
//! key wins over the database's), and those kept in the database, added, edited and
//! removed here with the checks of the configuration's (`config::check_key`,
//! `config::check_canned_text`). Telegram's `/c` and the console read them afresh
//! for every use, so a change counts at once. A change is logged, not audited: the
//! SPEC's audit actions do not name it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tracing::info;

use super::extract::Controller;
use super::session::{Posted, Signed};
use super::{Console, Result};
use crate::domain::Canned;

/// The longest title and text kept.
const MAX_TITLE: usize = 64;
const MAX_TEXT: usize = 3000;

pub fn router() -> Router<Console> {
    Router::new()
        .route("/canned", get(page).post(save))
        .route("/canned/{key}/delete", post(delete))
}

/// A canned answer as listed.
pub struct Listed {
    pub key: String,
    pub title: String,
    pub text: String,
    /// From the configuration (not editable here).
    pub configured: bool,
    /// Kept in the database but hidden by a configured answer of the same key.
    pub shadowed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/canned.html")]
struct CannedPage {
    who: Signed,
    answers: Vec<Listed>,
    notice: String,
    alert: bool,
    /// The add form's fields, kept after a refusal.
    draft: Canned,
}

async fn render(
    console: &Console,
    who: Signed,
    notice: String,
    alert: bool,
    draft: Canned,
) -> Result<Response> {
    let stored = console
        .processor()
        .store()
        .run(|conn| crate::store::desk::canned_answers(conn))
        .await?;
    let configured = &console.processor().policy().canned;
    let mut answers: Vec<Listed> = configured
        .iter()
        .map(|c| Listed {
            key: c.key.clone(),
            title: c.title.clone(),
            text: c.text.clone(),
            configured: true,
            shadowed: false,
        })
        .collect();
    answers.extend(stored.into_iter().map(|c| Listed {
        shadowed: configured.iter().any(|k| k.key == c.key),
        key: c.key,
        title: c.title,
        text: c.text,
        configured: false,
    }));
    Ok(CannedPage {
        who,
        answers,
        notice,
        alert,
        draft,
    }
    .into_response())
}

fn empty() -> Canned {
    Canned {
        key: String::new(),
        title: String::new(),
        text: String::new(),
    }
}

async fn page(State(console): State<Console>, Controller(who): Controller) -> Result<Response> {
    render(&console, who, String::new(), false, empty()).await
}

/// Why `c` cannot be kept, if it cannot.
fn problem(c: &Canned, configured: &[Canned]) -> Option<String> {
    if let Err(e) = crate::config::check_key(&c.key) {
        return Some(format!("Key: {e}."));
    }
    if configured.iter().any(|k| k.key == c.key) {
        return Some(format!(
            "Key {:?} is set in the configuration; change it there.",
            c.key
        ));
    }
    if c.title.is_empty() || c.title.chars().count() > MAX_TITLE {
        return Some(format!("Title: 1 to {MAX_TITLE} characters."));
    }
    if c.text.chars().count() > MAX_TEXT {
        return Some(format!("Text: at most {MAX_TEXT} characters."));
    }
    crate::config::check_canned_text(&c.text)
        .err()
        .map(|e| format!("Text: {e}."))
}

/// Add a canned answer, or replace the database's one of its key.
async fn save(State(console): State<Console>, posted: Posted) -> Result<Response> {
    let posted = posted.controller_only()?;
    let c = Canned {
        key: posted.trimmed("key"),
        title: posted.trimmed("title"),
        text: posted.trimmed("text"),
    };
    let who = posted.who;
    if let Some(why) = problem(&c, &console.processor().policy().canned) {
        return render(&console, who, why, true, c).await;
    }
    let now = crate::now_ms();
    {
        let c = c.clone();
        console
            .processor()
            .committer()
            .write(move |conn| crate::store::canned::put(conn, &c, now))
            .await?;
    }
    info!(key = %c.key, by = who.staff.0, "canned answer saved from the web console");
    let notice = format!("Canned answer {} saved.", c.key);
    render(&console, who, notice, false, empty()).await
}

async fn delete(
    State(console): State<Console>,
    Path(key): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let who = posted.controller_only()?.who;
    let removed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (key, removed) = (key.clone(), removed.clone());
        console
            .processor()
            .committer()
            .write(move |conn| {
                let gone = crate::store::canned::delete(conn, &key)?;
                removed.store(gone, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            })
            .await?;
    }
    let (notice, alert) = if removed.load(std::sync::atomic::Ordering::Relaxed) {
        info!(key = %key, by = who.staff.0, "canned answer removed from the web console");
        (format!("Canned answer {key} removed."), false)
    } else {
        (
            format!("There is no canned answer {key:?} to remove."),
            true,
        )
    };
    render(&console, who, notice, alert, empty()).await
}
