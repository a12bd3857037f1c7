//! The wire format of the core's typed messages: each [`Outgoing`] becomes one Bot
//! API method call with its JSON parameters, and an answer's result becomes the ids
//! of the messages it created.

use serde_json::{Value, json};

use super::call::{Call, ParseMode};
use super::callback;
use super::client::UPLOAD;
use crate::domain::{Format, Keyboard, MessageId, Outgoing};

/// An inline keyboard as `reply_markup`.
pub fn reply_markup(keyboard: &Keyboard) -> Value {
    let rows: Vec<Vec<Value>> = keyboard
        .0
        .iter()
        .map(|row| {
            row.iter()
                .map(|key| json!({ "text": key.label, "callback_data": callback::encode(&key.button) }))
                .collect()
        })
        .collect();
    json!({ "inline_keyboard": rows })
}

fn mode(format: Format) -> ParseMode {
    match format {
        Format::Html => ParseMode::Html,
        Format::Plain => ParseMode::Plain,
    }
}

fn reply_parameters(message: i64) -> Value {
    json!({ "message_id": message, "allow_sending_without_reply": true })
}

fn set(params: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = params {
        map.insert(key.to_string(), value);
    }
}

/// The Bot API call that delivers `message`.
pub fn call(message: &Outgoing) -> Call {
    match message {
        Outgoing::Text {
            chat,
            text,
            format,
            buttons,
            reply_to,
        } => {
            let mut call = Call::send_message(chat.0, text.clone(), mode(*format));
            if let Some(k) = buttons {
                set(&mut call.params, "reply_markup", reply_markup(k));
            }
            if let Some(reply) = reply_to {
                set(
                    &mut call.params,
                    "reply_parameters",
                    reply_parameters(reply.0),
                );
            }
            call
        }
        Outgoing::Edit {
            chat,
            message,
            text,
            format,
            buttons,
        } => {
            let mut params = json!({ "chat_id": chat, "message_id": message, "text": text });
            if *format == Format::Html {
                set(&mut params, "parse_mode", json!("HTML"));
                set(
                    &mut params,
                    "link_preview_options",
                    json!({ "is_disabled": true }),
                );
            }
            if let Some(k) = buttons {
                set(&mut params, "reply_markup", reply_markup(k));
            }
            Call::new("editMessageText", Some(chat.0), params)
        }
        Outgoing::Copy {
            to,
            from,
            message,
            reply_to,
        } => {
            let mut params = json!({ "chat_id": to, "from_chat_id": from, "message_id": message });
            if let Some(reply) = reply_to {
                set(&mut params, "reply_parameters", reply_parameters(reply.0));
            }
            Call::new("copyMessage", Some(to.0), params)
        }
        Outgoing::Copies { to, from, messages } => Call::new(
            "copyMessages",
            Some(to.0),
            json!({ "chat_id": to, "from_chat_id": from, "message_ids": messages }),
        ),
        Outgoing::Answer {
            callback,
            text,
            alert,
        } => Call::new(
            "answerCallbackQuery",
            None,
            json!({ "callback_query_id": callback, "text": text, "show_alert": alert }),
        ),
        Outgoing::Document {
            chat,
            path,
            file_name,
            caption,
        } => Call::new(
            "sendDocument",
            Some(chat.0),
            json!({
                "chat_id": chat,
                "caption": caption,
                UPLOAD: { "field": "document", "path": path, "file_name": file_name },
            }),
        ),
        Outgoing::Commands {
            chat,
            language,
            commands,
        } => {
            let commands: Vec<Value> = commands
                .iter()
                .map(|(command, description)| {
                    json!({ "command": command, "description": description })
                })
                .collect();
            let scope = match chat {
                Some(chat) => json!({ "type": "chat", "chat_id": chat }),
                None => json!({ "type": "default" }),
            };
            let mut params = json!({ "commands": commands, "scope": scope });
            if let Some(language) = language {
                params["language_code"] = json!(language);
            }
            Call::new("setMyCommands", None, params)
        }
        Outgoing::ClearCommands { chat } => Call::new(
            "deleteMyCommands",
            None,
            json!({ "scope": { "type": "chat", "chat_id": chat } }),
        ),
    }
}

/// The ids of the messages a call's result names: one for a sent or copied
/// message, one per copy for `copyMessages`, none for anything else.
pub fn sent_ids(result: &Value) -> Vec<MessageId> {
    let id = |v: &Value| v.get("message_id").and_then(Value::as_i64).map(MessageId);
    match result {
        Value::Array(items) => items.iter().filter_map(id).collect(),
        other => id(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Button, ChatId, CommId, Key};

    #[test]
    fn a_text_with_buttons_and_a_reply_is_one_send_message() {
        let message = Outgoing::Text {
            chat: ChatId(5),
            text: "<b>hi</b>".into(),
            format: Format::Html,
            buttons: Some(Keyboard::row(vec![
                Key::new("Take".into(), Button::Take(CommId(3))),
                Key::new("Close".into(), Button::Close(CommId(3))),
            ])),
            reply_to: Some(MessageId(9)),
        };
        let c = call(&message);
        assert_eq!((c.method.as_str(), c.chat_id), ("sendMessage", Some(5)));
        assert_eq!(c.params["parse_mode"], "HTML");
        assert_eq!(c.params["link_preview_options"]["is_disabled"], true);
        assert_eq!(
            c.params["reply_markup"]["inline_keyboard"],
            json!([[{"text": "Take", "callback_data": "t:3"}, {"text": "Close", "callback_data": "c:3"}]])
        );
        assert_eq!(c.params["reply_parameters"]["message_id"], 9);
        let plain = call(&Outgoing::plain(ChatId(5), "x".into()));
        assert!(plain.params.get("parse_mode").is_none());
        assert!(plain.params.get("reply_markup").is_none());
    }

    #[test]
    fn an_edit_without_buttons_removes_them() {
        let c = call(&Outgoing::Edit {
            chat: ChatId(-100),
            message: MessageId(11),
            text: "t".into(),
            format: Format::Html,
            buttons: None,
        });
        assert_eq!(c.method, "editMessageText");
        assert_eq!(c.params["message_id"], 11);
        assert!(c.params.get("reply_markup").is_none());
    }

    #[test]
    fn a_copy_is_copy_message_and_a_run_is_copy_messages() {
        let one = call(&Outgoing::Copy {
            to: ChatId(42),
            from: ChatId(5),
            message: MessageId(7),
            reply_to: Some(MessageId(77)),
        });
        assert_eq!(one.method, "copyMessage");
        assert_eq!(
            (
                &one.params["chat_id"],
                &one.params["from_chat_id"],
                &one.params["message_id"]
            ),
            (&json!(42), &json!(5), &json!(7))
        );
        assert_eq!(one.params["reply_parameters"]["message_id"], 77);
        let many = call(&Outgoing::Copies {
            to: ChatId(42),
            from: ChatId(5),
            messages: vec![MessageId(7)],
        });
        assert_eq!(many.method, "copyMessages");
        assert_eq!(many.params["message_ids"], json!([7]));
    }

    #[test]
    fn answers_documents_and_command_lists() {
        let a = call(&Outgoing::Answer {
            callback: "q1".into(),
            text: "ok".into(),
            alert: true,
        });
        assert_eq!(
            (a.method.as_str(), a.chat_id),
            ("answerCallbackQuery", None)
        );
        assert_eq!(a.params["callback_query_id"], "q1");
        assert_eq!(a.params["show_alert"], true);
        let d = call(&Outgoing::Document {
            chat: ChatId(5),
            path: "/tmp/a.zip".into(),
            file_name: "a.zip".into(),
            caption: "Archive".into(),
        });
        assert_eq!(d.method, "sendDocument");
        assert_eq!(d.params[UPLOAD]["path"], "/tmp/a.zip");
        let c = call(&Outgoing::Commands {
            chat: None,
            language: None,
            commands: vec![("start".into(), "Start".into())],
        });
        assert_eq!(c.params["scope"]["type"], "default");
        assert_eq!(c.params["commands"][0]["command"], "start");
        assert!(c.params.get("language_code").is_none());
        let ru = call(&Outgoing::Commands {
            chat: None,
            language: Some("ru".into()),
            commands: vec![("start".into(), "Начать".into())],
        });
        assert_eq!(ru.params["language_code"], "ru");
        let gone = call(&Outgoing::ClearCommands { chat: 5 });
        assert_eq!(gone.method, "deleteMyCommands");
        assert_eq!(gone.params["scope"]["chat_id"], 5);
    }

    #[test]
    fn results_give_the_ids_of_the_messages_made() {
        assert_eq!(
            sent_ids(&json!({"message_id": 4, "chat": {}})),
            vec![MessageId(4)]
        );
        assert_eq!(
            sent_ids(&json!([{"message_id": 4}, {"message_id": 5}])),
            vec![MessageId(4), MessageId(5)]
        );
        assert!(sent_ids(&json!(true)).is_empty());
    }
}
