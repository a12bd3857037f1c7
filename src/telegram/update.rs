//! Reading incoming updates: the envelope every update has (id and kind), and the
//! translation of a parsed update into a lifecycle event.

use serde_json::Value;
use teloxide::types::{Message, Update, UpdateKind};

use crate::lifecycle::{Event, User};

/// What every update has, even one teloxide cannot parse.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub update_id: i64,
    /// The update's kind: the name of its one field besides `update_id`.
    pub kind: String,
}

pub fn envelope(raw: &Value) -> Option<Envelope> {
    let object = raw.as_object()?;
    let update_id = object.get("update_id")?.as_i64()?;
    let kind = object
        .keys()
        .find(|k| k.as_str() != "update_id")
        .cloned()
        .unwrap_or_else(|| "unknown".to_string());
    Some(Envelope { update_id, kind })
}

/// Why an update leads to no event.
#[derive(Clone, Debug, PartialEq)]
pub struct Ignored(pub String);

/// Translate a parsed update into the event the lifecycle understands.
pub fn to_event(update: &Update) -> Result<Event, Ignored> {
    match &update.kind {
        UpdateKind::Message(message) => message_event(message),
        other => Err(Ignored(format!(
            "{} updates are not used",
            kind_name(other)
        ))),
    }
}

fn message_event(message: &Message) -> Result<Event, Ignored> {
    if !message.chat.is_private() {
        return Err(Ignored("message outside a private chat".into()));
    }
    let Some(from) = message.from.as_ref() else {
        return Err(Ignored("message without a sender".into()));
    };
    let user = User {
        id: i64::try_from(from.id.0).unwrap_or(i64::MAX),
        first_name: from.first_name.clone(),
        last_name: from.last_name.clone(),
        username: from.username.clone(),
        language: from.language_code.clone(),
    };
    if let Some(command) = message.text().and_then(command_name) {
        return Ok(Event::Command { user, command });
    }
    Err(Ignored("message is not a command the bot knows yet".into()))
}

/// `/start@my_bot args` → `start`. Lowercased; `None` if the text is not a command.
pub fn command_name(text: &str) -> Option<String> {
    let first = text.split_whitespace().next()?;
    let name = first.strip_prefix('/')?;
    let name = name.split('@').next().unwrap_or(name);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(name.to_ascii_lowercase())
}

fn kind_name(kind: &UpdateKind) -> &'static str {
    match kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::ChannelPost(_) => "channel_post",
        UpdateKind::EditedChannelPost(_) => "edited_channel_post",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::ChatMember(_) => "chat_member",
        UpdateKind::InlineQuery(_) => "inline_query",
        UpdateKind::Error(_) => "unrecognised",
        _ => "these",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_reads_id_and_kind() {
        let raw = json!({"update_id": 5, "message": {}});
        assert_eq!(
            envelope(&raw),
            Some(Envelope {
                update_id: 5,
                kind: "message".into()
            })
        );
        assert_eq!(envelope(&json!({"message": {}})), None);
        assert_eq!(envelope(&json!([1, 2])), None);
        assert_eq!(envelope(&json!({"update_id": "x"})), None);
    }

    #[test]
    fn command_names() {
        assert_eq!(command_name("/start"), Some("start".into()));
        assert_eq!(command_name("/Start@relay_bot hello"), Some("start".into()));
        assert_eq!(command_name("start"), None);
        assert_eq!(command_name("/"), None);
        assert_eq!(command_name("/ыы"), None);
        assert_eq!(command_name(""), None);
    }
}
