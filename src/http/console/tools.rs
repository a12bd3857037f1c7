//! The toolbox on a communication's page (SPEC §8 with §7): a canned answer, sent
//! as the specialist's message exactly as `/c KEY` in Telegram (the press of
//! `Button::Canned`), and a transfer to a free colleague or a department's queue
//! (the presses of `Button::TransferTo` / `Button::TransferQueue`), so the core's
//! rules apply: busy colleagues refused, notices, audit `canned` / `transfer`.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;

use super::comm::{comm_id, press, render, words};
use super::session::{Posted, Signed};
use super::{Console, Result};
use crate::domain::{Button, CommId, StaffId, fill_canned};
use crate::store::console::CommHeader;

pub fn router() -> Router<Console> {
    Router::new()
        .route("/c/{id}/canned", post(canned))
        .route("/c/{id}/transfer", post(transfer))
}

/// A canned answer as offered: its key, title and text with the placeholders
/// filled for this communication.
pub struct CannedShown {
    pub key: String,
    pub title: String,
    pub text: String,
}

/// Where a communication can be transferred: `value` is the form's (`s:ID` a
/// colleague, `d:N` the queue of department N from 1).
pub struct Target {
    pub value: String,
    pub label: String,
    pub busy: bool,
}

/// What the toolbox of `c`'s page offers `who` (nothing unless it is their active
/// communication).
#[derive(Default)]
pub struct Tools {
    pub canned: Vec<CannedShown>,
    pub targets: Vec<Target>,
}

pub async fn tools(console: &Console, who: &Signed, c: &CommHeader) -> Result<Tools> {
    if !active(who, c) {
        return Ok(Tools::default());
    }
    let (stored, busy) = console
        .processor()
        .store()
        .run(|conn| {
            Ok((
                crate::store::desk::canned_answers(conn)?,
                crate::store::desk::busy(conn)?,
            ))
        })
        .await?;
    let policy = console.processor().policy();
    let comm = CommId(c.id);
    let canned = policy
        .canned_with(&stored)
        .into_iter()
        .map(|a| CannedShown {
            text: fill_canned(&a.text, &c.first_name, &who.name, comm),
            key: a.key,
            title: a.title,
        })
        .collect();
    let same_department = |s: StaffId| {
        policy
            .department(&c.department)
            .is_none_or(|dep| dep.specialists.contains(&s))
    };
    let mut others: Vec<_> = policy
        .specialists
        .iter()
        .filter(|s| s.chat_id != who.staff)
        .collect();
    others.sort_by_key(|s| !same_department(s.chat_id));
    let mut targets: Vec<Target> = others
        .into_iter()
        .map(|s| {
            let busy = busy.iter().any(|(b, _)| *b == s.chat_id);
            Target {
                value: format!("s:{}", s.chat_id.0),
                label: if busy {
                    format!("{} (busy)", s.name)
                } else {
                    s.name.clone()
                },
                busy,
            }
        })
        .collect();
    if policy.has_departments() {
        for (i, dep) in policy.departments.iter().enumerate() {
            if dep.key != c.department {
                targets.push(Target {
                    value: format!("d:{}", i + 1),
                    label: format!("Queue of {}", dep.name),
                    busy: false,
                });
            }
        }
    }
    Ok(Tools { canned, targets })
}

/// Whether `c` is `who`'s active communication.
pub fn active(who: &Signed, c: &CommHeader) -> bool {
    c.status == "assigned" && c.specialist_id == Some(who.staff.0)
}

/// The communication `id` if it is `who`'s active one, else the words why not.
pub async fn own(
    console: &Console,
    who: &Signed,
    id: i64,
) -> Result<std::result::Result<(), String>> {
    let header = console
        .processor()
        .store()
        .run(move |conn| crate::store::console::communication(conn, id))
        .await?
        .ok_or(super::Error::NotFound)?;
    Ok(if active(who, &header) {
        Ok(())
    } else {
        Err(format!(
            "Request #{id} is not your active request: take it first."
        ))
    })
}

/// A canned answer (field `key`) sent on the specialist's active communication.
async fn canned(
    State(console): State<Console>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let id = comm_id(&id)?;
    let Posted { who, fields } = posted;
    let key = fields.get("key").cloned().unwrap_or_default();
    let known = {
        let stored = console
            .processor()
            .store()
            .run(|conn| crate::store::desk::canned_answers(conn))
            .await?;
        console
            .processor()
            .policy()
            .canned_with(&stored)
            .iter()
            .any(|c| c.key == key)
    };
    let (notice, alert) = match own(&console, &who, id).await? {
        Err(why) => (why, true),
        Ok(()) if !known => (format!("There is no canned answer {key:?}."), true),
        Ok(()) => words(
            press(&console, &who, Button::Canned(key.clone())).await?,
            &format!("Canned answer {key} sent to the customer."),
        ),
    };
    render(&console, who, id, notice, alert, String::new()).await
}

/// A transfer (field `to`: `s:ID` or `d:N`) of the specialist's active
/// communication. Done, the communication is no longer theirs: the queue is shown
/// with the outcome; refused, the communication's page with why.
async fn transfer(
    State(console): State<Console>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response> {
    let id = comm_id(&id)?;
    let Posted { who, fields } = posted;
    let to = fields.get("to").map(String::as_str).unwrap_or_default();
    let comm = CommId(id);
    let button = match to.split_once(':') {
        Some(("s", n)) => n.parse().ok().map(|n| Button::TransferTo {
            comm,
            to: StaffId(n),
        }),
        Some(("d", n)) => n
            .parse()
            .ok()
            .map(|department| Button::TransferQueue { comm, department }),
        _ => None,
    };
    let Some(button) = button else {
        let notice = "Choose a colleague or a queue to transfer to.".to_string();
        return render(&console, who, id, notice, true, String::new()).await;
    };
    if let Err(why) = own(&console, &who, id).await? {
        return render(&console, who, id, why, true, String::new()).await;
    }
    let (notice, alert) = words(
        press(&console, &who, button).await?,
        &format!("Request #{id} transferred."),
    );
    if alert {
        render(&console, who, id, notice, alert, String::new()).await
    } else {
        super::queue::page_with(&console, who, notice, false).await
    }
}
