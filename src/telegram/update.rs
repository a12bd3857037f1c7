//! Reading incoming updates: the envelope every update has (id and kind), and the
//! translation of an update into the one typed action it stands for (commands and
//! button data are parsed here, once).

use crate::domain::{ChatId, MessageId};
use serde_json::Value;
use teloxide::types::{FileMeta, Message, Update, UpdateKind};

use super::callback;
use crate::domain::{Action, Command, FileRef, Incoming, Kind, Press, User};

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

/// Translate an update into the action the core understands. `raw` is the same
/// update as JSON: when teloxide could not read a private message (a newer Bot API
/// than it knows), the message is read from it, so that nothing a customer sends
/// is lost.
pub fn to_action(update: &Update, raw: &Value) -> Result<Action, Ignored> {
    match &update.kind {
        UpdateKind::Message(m) => match group_move(m) {
            Some(moved) => Ok(moved),
            None => private(m)?.map_or_else(
                || Err(Ignored("message without a sender".into())),
                |incoming| Ok(message_action(incoming)),
            ),
        },
        UpdateKind::EditedMessage(m) => private(m)?
            .map(Action::Edited)
            .ok_or_else(|| Ignored("edit without a sender".into())),
        UpdateKind::CallbackQuery(q) => Ok(Action::Press {
            from: user(&q.from),
            button: q.data.as_deref().and_then(callback::parse),
            press: Press {
                callback: Some(q.id.0.clone()),
                message: q
                    .message
                    .as_ref()
                    .map(|m| (ChatId(m.chat().id.0), MessageId(i64::from(m.id().0)))),
            },
        }),
        UpdateKind::Error(_) => fallback(raw),
        UpdateKind::MyChatMember(m) => Ok(Action::Membership {
            chat: ChatId(m.chat.id.0),
            private: m.chat.is_private(),
            was_in: m.old_chat_member.kind.is_present(),
            is_in: m.new_chat_member.kind.is_present(),
        }),
        _ => Err(Ignored("this kind of update is not used".into())),
    }
}

fn message_action(m: Incoming) -> Action {
    if m.kind == Some(Kind::Text)
        && let Some(name) = m.text.as_deref().and_then(command_name)
    {
        let args = m
            .text
            .as_deref()
            .map(command_args)
            .unwrap_or_default()
            .to_string();
        return Action::Command {
            from: m.from,
            chat_id: m.chat_id,
            command: Command::parse(&name, &args),
        };
    }
    Action::Message(m)
}

/// A group's service message saying it became a supergroup: `migrate_to_chat_id`
/// in the old group, `migrate_from_chat_id` in the new one (SPEC §10).
fn group_move(m: &Message) -> Option<Action> {
    if m.chat.is_private() {
        return None;
    }
    let here = ChatId(m.chat.id.0);
    if let Some(to) = m.migrate_to_chat_id() {
        return Some(Action::GroupMoved {
            from: here,
            to: ChatId(to.0),
        });
    }
    m.migrate_from_chat_id().map(|from| Action::GroupMoved {
        from: ChatId(from.0),
        to: here,
    })
}

/// A message of a private chat as an [`Incoming`]; other chats are ignored.
fn private(m: &Message) -> Result<Option<Incoming>, Ignored> {
    if m.migrate_to_chat_id().is_some() || m.migrate_from_chat_id().is_some() {
        return Err(Ignored("a group's move reported outside a group".into()));
    }
    if !m.chat.is_private() {
        return Err(Ignored("message outside a private chat".into()));
    }
    Ok(m.from.as_ref().map(|from| incoming(m, user(from))))
}

fn user(u: &teloxide::types::User) -> User {
    User {
        id: i64::try_from(u.id.0).unwrap_or(i64::MAX),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        language: u.language_code.clone(),
    }
}

fn file(meta: &FileMeta, name: Option<&String>) -> FileRef {
    FileRef {
        file_id: meta.id.0.clone(),
        file_unique_id: meta.unique_id.0.clone(),
        file_name: name.cloned(),
        size: Some(u64::from(meta.size)),
    }
}

fn incoming(m: &Message, from: User) -> Incoming {
    let (kind, f) = if m.text().is_some() {
        (Kind::Text, None)
    } else if let Some(sizes) = m.photo() {
        (Kind::Photo, sizes.last().map(|p| file(&p.file, None)))
    } else if let Some(a) = m.animation() {
        (Kind::Animation, Some(file(&a.file, a.file_name.as_ref())))
    } else if let Some(d) = m.document() {
        (Kind::Document, Some(file(&d.file, d.file_name.as_ref())))
    } else if let Some(v) = m.video() {
        (Kind::Video, Some(file(&v.file, v.file_name.as_ref())))
    } else if let Some(v) = m.voice() {
        (Kind::Voice, Some(file(&v.file, None)))
    } else if let Some(a) = m.audio() {
        (Kind::Audio, Some(file(&a.file, a.file_name.as_ref())))
    } else if let Some(s) = m.sticker() {
        (Kind::Sticker, Some(file(&s.file, None)))
    } else if let Some(v) = m.video_note() {
        (Kind::VideoNote, Some(file(&v.file, None)))
    } else if m.contact().is_some() {
        (Kind::Contact, None)
    } else if m.venue().is_some() {
        (Kind::Venue, None)
    } else if m.location().is_some() {
        (Kind::Location, None)
    } else if m.poll().is_some() {
        (Kind::Poll, None)
    } else if m.dice().is_some() {
        (Kind::Dice, None)
    } else if m.paid_media().is_some() {
        (Kind::PaidMedia, None)
    } else if m.invoice().is_some() {
        (Kind::Invoice, None)
    } else if m.giveaway().is_some() || m.giveaway_winners().is_some() {
        (Kind::Giveaway, None)
    } else {
        (Kind::Other, None)
    };
    let text = m.text().or(m.caption()).map(str::to_string).or_else(|| {
        m.contact().map(|c| {
            format!(
                "{} {} {}",
                c.first_name,
                c.last_name.as_deref().unwrap_or(""),
                c.phone_number
            )
        })
    });
    Incoming {
        chat_id: ChatId(m.chat.id.0),
        message_id: MessageId(i64::from(m.id.0)),
        from,
        kind: Some(kind),
        text,
        file: f,
        media_group_id: m.media_group_id().map(|g| g.0.clone()),
        reply_to: m.reply_to_message().map(|r| MessageId(i64::from(r.id.0))),
    }
}

/// A private message teloxide could not read, read from the JSON: enough to relay
/// it by copying (which does not need to understand its content).
fn fallback(raw: &Value) -> Result<Action, Ignored> {
    let not_understood = || Ignored("update not understood".into());
    let (edited, m) = match (raw.get("message"), raw.get("edited_message")) {
        (Some(m), _) => (false, m),
        (None, Some(m)) => (true, m),
        _ => return Err(not_understood()),
    };
    if m.pointer("/chat/type").and_then(Value::as_str) != Some("private") {
        return Err(not_understood());
    }
    let from = m.get("from").ok_or_else(not_understood)?;
    let id = from
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(not_understood)?;
    let text_of = |key: &str| m.get(key).and_then(Value::as_str).map(str::to_string);
    let incoming = Incoming {
        chat_id: ChatId(
            m.pointer("/chat/id")
                .and_then(Value::as_i64)
                .ok_or_else(not_understood)?,
        ),
        message_id: MessageId(
            m.get("message_id")
                .and_then(Value::as_i64)
                .ok_or_else(not_understood)?,
        ),
        from: User {
            id,
            first_name: from
                .get("first_name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string(),
            last_name: from
                .get("last_name")
                .and_then(Value::as_str)
                .map(str::to_string),
            username: from
                .get("username")
                .and_then(Value::as_str)
                .map(str::to_string),
            language: from
                .get("language_code")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        kind: Some(if m.get("text").is_some() {
            Kind::Text
        } else {
            uncopyable_kind(m)
        }),
        text: text_of("text").or_else(|| text_of("caption")),
        file: None,
        media_group_id: text_of("media_group_id"),
        reply_to: m
            .pointer("/reply_to_message/message_id")
            .and_then(Value::as_i64)
            .map(MessageId),
    };
    Ok(if edited {
        Action::Edited(incoming)
    } else {
        message_action(incoming)
    })
}

/// The kind of a message read from its JSON: one the Bot API refuses to copy, or
/// `Other`.
fn uncopyable_kind(m: &Value) -> Kind {
    if m.get("paid_media").is_some() {
        Kind::PaidMedia
    } else if m.get("invoice").is_some() {
        Kind::Invoice
    } else if m.get("giveaway").is_some() || m.get("giveaway_winners").is_some() {
        Kind::Giveaway
    } else {
        Kind::Other
    }
}

/// `/start@my_bot args` → `start`. Lowercased; `None` if the text is not a command.
/// The text after a command's first word (`/note@bot  the rest` → `the rest`).
pub fn command_args(text: &str) -> &str {
    let text = text.trim_start();
    text.find(char::is_whitespace)
        .map_or("", |i| text[i..].trim())
}

pub fn command_name(text: &str) -> Option<String> {
    let first = text.split_whitespace().next()?;
    let name = first.strip_prefix('/')?;
    let name = name.split('@').next().unwrap_or(name);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CommId;
    use serde_json::json;

    fn parse(raw: &Value) -> Result<Action, Ignored> {
        let bytes = serde_json::to_vec(raw).unwrap();
        let update: Update = serde_json::from_slice(&bytes).unwrap();
        to_action(&update, raw)
    }

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

    fn message(extra: Value) -> Value {
        let mut m = json!({
            "message_id": 10,
            "date": 1700000000,
            "chat": {"id": 42, "type": "private", "first_name": "Ann"},
            "from": {"id": 42, "is_bot": false, "first_name": "Ann", "username": "ann"},
        });
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        json!({"update_id": 1, "message": m})
    }

    #[test]
    fn text_commands_and_media_are_read() {
        let Ok(Action::Command { command, .. }) = parse(&message(
            json!({"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}),
        )) else {
            panic!("command expected");
        };
        assert_eq!(command, Command::Start);
        let Ok(Action::Command { command, .. }) = parse(&message(json!({"text": "/Frobnicate"})))
        else {
            panic!("command expected");
        };
        assert_eq!(command, Command::Other("frobnicate".into()));
        let Ok(Action::Message(m)) = parse(&message(json!({
            "photo": [{"file_id": "small", "file_unique_id": "s", "width": 1, "height": 1, "file_size": 10},
                      {"file_id": "big", "file_unique_id": "b", "width": 9, "height": 9, "file_size": 99}],
            "caption": "look", "media_group_id": "g1",
            "reply_to_message": {"message_id": 3, "date": 1, "chat": {"id": 42, "type": "private", "first_name": "Ann"}, "text": "x"}
        }))) else {
            panic!("message expected");
        };
        assert_eq!(m.kind, Some(Kind::Photo));
        assert_eq!(m.file.unwrap().file_id, "big");
        assert_eq!(m.text.as_deref(), Some("look"));
        assert_eq!(m.media_group_id.as_deref(), Some("g1"));
        assert_eq!(m.reply_to, Some(MessageId(3)));
    }

    #[test]
    fn group_messages_are_ignored_and_migrations_named() {
        let raw = json!({"update_id": 1, "message": {
            "message_id": 1, "date": 1, "chat": {"id": -5, "type": "group", "title": "G"},
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"}, "migrate_to_chat_id": -1009
        }});
        assert_eq!(
            parse(&raw),
            Ok(Action::GroupMoved {
                from: ChatId(-5),
                to: ChatId(-1009)
            })
        );
        let mut raw = raw;
        raw["message"]["chat"] = json!({"id": -1009, "type": "supergroup", "title": "G"});
        raw["message"]["migrate_from_chat_id"] = json!(-5);
        raw["message"]
            .as_object_mut()
            .unwrap()
            .remove("migrate_to_chat_id");
        assert_eq!(
            parse(&raw),
            Ok(Action::GroupMoved {
                from: ChatId(-5),
                to: ChatId(-1009)
            })
        );
        let text = json!({"update_id": 1, "message": {
            "message_id": 2, "date": 1, "chat": {"id": -5, "type": "group", "title": "G"},
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"}, "text": "hi"
        }});
        assert!(parse(&text).is_err());
    }

    #[test]
    fn unreadable_private_messages_fall_back_to_json() {
        let raw = json!({"update_id": 9, "message": {
            "message_id": 4, "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "first_name": "Ann"}, "caption": "new thing"
        }});
        let Ok(Action::Message(m)) = fallback(&raw) else {
            panic!()
        };
        assert_eq!((m.chat_id, m.message_id), (ChatId(42), MessageId(4)));
        assert_eq!(m.text.as_deref(), Some("new thing"));
        assert!(fallback(&json!({"update_id": 1, "poll": {}})).is_err());
    }

    #[test]
    fn button_presses_carry_their_parsed_button_and_where_they_were_pressed() {
        let press = |data: &str| {
            json!({"update_id": 2, "callback_query": {
                "id": "q7", "chat_instance": "c",
                "from": {"id": 5, "is_bot": false, "first_name": "Anna"},
                "message": {"message_id": 30, "date": 1, "chat": {"id": -100, "type": "supergroup", "title": "S"}, "text": "x"},
                "data": data
            }})
        };
        let Ok(Action::Press {
            from,
            button,
            press: at,
        }) = parse(&press("t:3"))
        else {
            panic!("press expected");
        };
        assert_eq!(from.id, 5);
        assert_eq!(button, Some(crate::domain::Button::Take(CommId(3))));
        assert_eq!(at.callback.as_deref(), Some("q7"));
        assert_eq!(at.message, Some((ChatId(-100), MessageId(30))));
        let Ok(Action::Press { button, .. }) = parse(&press("t:zz")) else {
            panic!("press expected");
        };
        assert_eq!(button, None);
    }
}
