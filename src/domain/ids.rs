//! The ids the help desk handles, one type each, so the core cannot mix a customer
//! with a communication or a chat with a message. Each is the bare number Telegram
//! or the database gives (`#[serde(transparent)]`: stored JSON keeps its form).

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}

id! {
    /// A customer: their Telegram user id.
    CustomerId;
    /// A communication (the database's row id).
    CommId;
    /// A member of the staff (a specialist or a controller): their Telegram user id.
    StaffId;
    /// A Telegram chat.
    ChatId;
    /// A message, within its chat.
    MessageId;
}

impl CustomerId {
    /// The customer's private chat with the bot (a user id is that chat's id).
    pub fn chat(self) -> ChatId {
        ChatId(self.0)
    }
}

impl StaffId {
    /// The staff member's private chat with the bot (a user id is that chat's id).
    pub fn chat(self) -> ChatId {
        ChatId(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_serialize_as_bare_numbers() {
        assert_eq!(CommId(42).to_string(), "42");
        assert_eq!(serde_json::to_string(&CustomerId(-7)).unwrap(), "-7");
        assert_eq!(
            serde_json::from_str::<MessageId>("9").unwrap(),
            MessageId(9)
        );
        assert_eq!(StaffId(5).chat(), ChatId(5));
        assert_eq!(CustomerId(6).chat(), ChatId(6));
    }

    #[test]
    fn stored_json_keeps_its_form() {
        use crate::domain::{Button, Outgoing, Purpose};
        let purpose = Purpose::Relay {
            comm: CommId(3),
            from_chat: ChatId(42),
            from_msgs: vec![MessageId(7), MessageId(8)],
            to_chat: ChatId(5),
            notify: Some(StaffId(5)),
        };
        let json =
            r#"{"p":"relay","comm":3,"from_chat":42,"from_msgs":[7,8],"to_chat":5,"notify":5}"#;
        assert_eq!(serde_json::to_string(&purpose).unwrap(), json);
        assert_eq!(serde_json::from_str::<Purpose>(json).unwrap(), purpose);
        let copy = Outgoing::Copy {
            to: ChatId(5),
            from: ChatId(42),
            message: MessageId(7),
            reply_to: Some(MessageId(3)),
        };
        let json = r#"{"kind":"copy","to":5,"from":42,"message":7,"reply_to":3}"#;
        assert_eq!(serde_json::to_string(&copy).unwrap(), json);
        assert_eq!(serde_json::from_str::<Outgoing>(json).unwrap(), copy);
        let button = Button::ArchiveList {
            customer: CustomerId(42),
            before: CommId(0),
        };
        let json = r#"{"archive_list":{"customer":42,"before":0}}"#;
        assert_eq!(serde_json::to_string(&button).unwrap(), json);
    }
}
