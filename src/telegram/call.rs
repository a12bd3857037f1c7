//! A Bot API call as data: method, target chat (for pacing and ordering) and JSON
//! parameters. The lifecycle produces these; the outbox stores and sends them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseMode {
    Html,
    Plain,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// Bot API method in camelCase, e.g. `sendMessage`.
    pub method: String,
    /// The chat this call writes to: calls to one chat are sent in order and paced.
    /// `None` for calls bound to no chat (e.g. `answerCallbackQuery`).
    pub chat_id: Option<i64>,
    pub params: Value,
    /// Free-form tag telling the shell what to do with the result (e.g. remember the
    /// id of a copied message). Stored with the call, returned with its result.
    pub purpose: Option<Value>,
}

impl Call {
    pub fn new(method: &str, chat_id: Option<i64>, params: Value) -> Call {
        Call {
            method: method.to_string(),
            chat_id,
            params,
            purpose: None,
        }
    }

    pub fn send_message(chat_id: i64, text: impl Into<String>, mode: ParseMode) -> Call {
        let mut params = json!({ "chat_id": chat_id, "text": text.into() });
        if mode == ParseMode::Html {
            params["parse_mode"] = json!("HTML");
            params["link_preview_options"] = json!({ "is_disabled": true });
        }
        Call::new("sendMessage", Some(chat_id), params)
    }

    pub fn with_param(mut self, key: &str, value: Value) -> Call {
        if let Value::Object(map) = &mut self.params {
            map.insert(key.to_string(), value);
        }
        self
    }

    pub fn with_purpose(mut self, purpose: Value) -> Call {
        self.purpose = Some(purpose);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_message_in_html_sets_parse_mode() {
        let c = Call::send_message(5, "<b>x</b>", ParseMode::Html);
        assert_eq!(c.method, "sendMessage");
        assert_eq!(c.chat_id, Some(5));
        assert_eq!(c.params["parse_mode"], "HTML");
        let plain = Call::send_message(5, "x", ParseMode::Plain);
        assert!(plain.params.get("parse_mode").is_none());
    }
}
