//! What a console user does, as the typed action Telegram's button or command would
//! be (decided and applied by the writer), and the words the core answers with;
//! whether a communication is the acting specialist's active one.

use super::session::Signed;
use super::{Console, Result};
use crate::domain::{Action, Button, Press, User};
use crate::store::console::CommHeader;

/// The staff member as the core's `User`.
pub fn user(who: &Signed) -> User {
    User {
        id: who.staff.0,
        first_name: who.name.clone(),
        last_name: None,
        username: None,
        language: None,
    }
}

/// What a page says of what was just done: the words, and whether they are a refusal.
pub type Said = (String, bool);

/// The words the core had for whoever acted, and whether they are a refusal.
pub fn words(acted: crate::runtime::writer::Acted, done: &str) -> Said {
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
pub async fn press(
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
