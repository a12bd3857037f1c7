//! The help desk's decisions as a pure function: an event plus what is known gives
//! the effects to carry out. No I/O here; the store applies the result.

use crate::telegram::{Call, ParseMode};
use crate::texts::Texts;

/// A Telegram user as the bot sees them.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: Option<String>,
}

impl User {
    pub fn display_name(&self) -> String {
        match &self.last_name {
            Some(last) if !last.is_empty() => format!("{} {}", self.first_name, last),
            _ => self.first_name.clone(),
        }
    }
}

/// Something that happened, as far as the help desk is concerned.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A bot command in a private chat (`start`, `service`, ...).
    Command { user: User, command: String },
}

/// Something to carry out because of an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A Bot API call, queued in the outbox.
    Telegram(Call),
}

/// What the lifecycle needs to know besides the event.
pub struct Context<'a> {
    pub texts: &'a Texts,
}

/// Decide what an event leads to.
pub fn decide(event: &Event, ctx: &Context<'_>) -> Vec<Effect> {
    match event {
        Event::Command { user, command } if command == "start" => {
            let text = ctx
                .texts
                .render("greeting", &[("name", &user.display_name())]);
            vec![Effect::Telegram(Call::send_message(
                user.id,
                text,
                ParseMode::Html,
            ))]
        }
        Event::Command { user, .. } => {
            let text = ctx.texts.render("unknown_command", &[]);
            vec![Effect::Telegram(Call::send_message(
                user.id,
                text,
                ParseMode::Html,
            ))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Locale;

    fn user() -> User {
        User {
            id: 42,
            first_name: "<b>Ann</b>".into(),
            last_name: None,
            username: None,
            language: Some("en".into()),
        }
    }

    #[test]
    fn start_greets_the_user_with_an_escaped_name() {
        let texts = Texts::new(Locale::En, &Default::default()).unwrap();
        let effects = decide(
            &Event::Command {
                user: user(),
                command: "start".into(),
            },
            &Context { texts: &texts },
        );
        let [Effect::Telegram(call)] = effects.as_slice() else {
            panic!("one call expected, got {effects:?}");
        };
        assert_eq!(call.chat_id, Some(42));
        let text = call.params["text"].as_str().unwrap();
        assert!(text.contains("&lt;b&gt;Ann&lt;/b&gt;"), "{text}");
    }
}
