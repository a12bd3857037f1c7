//! Who is who in the demo: the customer, the specialist, the service group and the
//! controller.

use serde_json::{Value, json};

/// A Telegram user of the demo.
pub(super) struct Person {
    pub(super) id: i64,
    pub(super) first_name: &'static str,
    pub(super) last_name: &'static str,
    pub(super) username: &'static str,
}

pub(super) const MARIA: Person = Person {
    id: 2001,
    first_name: "Maria",
    last_name: "Rossi",
    username: "maria_rossi",
};

pub(super) const ANNA: Person = Person {
    id: 1001,
    first_name: "Anna",
    last_name: "Berg",
    username: "anna_helps",
};

pub(super) const GROUP: i64 = -1001;
pub(super) const GROUP_TITLE: &str = "Support";
pub(super) const VICTOR: i64 = 1900;

impl Person {
    pub(super) fn user(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": false,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": "en"
        })
    }

    pub(super) fn chat(&self) -> Value {
        json!({
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username
        })
    }
}

/// Whose chat is whose, in the order the story shows them.
pub(super) const PARTIES: &[(i64, &str)] = &[
    (2001, "Maria"),
    (1001, "Anna"),
    (GROUP, "The Support group"),
    (VICTOR, "Victor (controller)"),
];

pub(super) fn party_name(chat: i64) -> String {
    PARTIES
        .iter()
        .find(|(id, _)| *id == chat)
        .map_or_else(|| format!("Chat {chat}"), |(_, name)| (*name).to_string())
}
