//! The toolbox on a communication's page (SPEC §8 with §7): a canned answer, sent
//! as the specialist's message exactly as `/c KEY` in Telegram (the press of
//! `Button::Canned`), and a transfer to a free colleague or a department's queue
//! (the presses of `Button::TransferTo` / `Button::TransferQueue`), so the core's
//! rules apply: busy colleagues refused, notices, audit `canned` / `transfer`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;

use super::acting::{own, press, words};
use super::comm::answer;
use super::extract::CommPost;

use super::{Console, Result};
use crate::domain::{Button, CommId, StaffId};

pub fn router() -> Router<Console> {
    Router::new()
        .route("/c/{id}/canned", post(canned))
        .route("/c/{id}/transfer", post(transfer))
}

/// A canned answer (field `key`) sent on the specialist's active communication.
async fn canned(
    State(console): State<Console>,
    CommPost(id, posted): CommPost,
) -> Result<Response> {
    let key = posted.field("key").to_string();
    let who = posted.who;
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
    let said = match own(&console, &who, id).await? {
        Err(why) => (why, true),
        Ok(()) if !known => (format!("There is no canned answer {key:?}."), true),
        Ok(()) => words(
            press(&console, &who, Button::Canned(key.clone())).await?,
            &format!("Canned answer {key} sent to the customer."),
        ),
    };
    answer(&console, who, id, said).await
}

/// A transfer (field `to`: `s:ID` or `d:N`) of the specialist's active
/// communication. Done, the communication is no longer theirs: the queue is shown
/// with the outcome; refused, the communication's page with why.
async fn transfer(
    State(console): State<Console>,
    CommPost(id, posted): CommPost,
) -> Result<Response> {
    let to = posted.field("to").to_string();
    let who = posted.who;
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
        return answer(&console, who, id, (notice, true)).await;
    };
    if let Err(why) = own(&console, &who, id).await? {
        return answer(&console, who, id, (why, true)).await;
    }
    let (notice, alert) = words(
        press(&console, &who, button).await?,
        &format!("Request #{id} transferred."),
    );
    if alert {
        answer(&console, who, id, (notice, alert)).await
    } else {
        super::queue::page_with(&console, who, notice, false).await
    }
}
