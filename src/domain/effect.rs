//! What a decision says should happen, as data: messages to send (typed, not Bot
//! API JSON: the Telegram adapter turns them into method calls), emails, zips.

use serde::{Deserialize, Serialize};

use super::action::Button;
use super::ids::{ChatId, CommId, CustomerId, MessageId, StaffId};

/// How a text is to be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Telegram's HTML subset; everything a user typed in it is escaped.
    #[default]
    Html,
    /// Shown as it is.
    Plain,
}

/// One key of an inline keyboard: its label and what pressing it does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Key {
    pub label: String,
    pub button: Button,
}

impl Key {
    pub fn new(label: String, button: Button) -> Key {
        Key { label, button }
    }
}

/// An inline keyboard: rows of keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Keyboard(pub Vec<Vec<Key>>);

impl Keyboard {
    pub fn row(keys: Vec<Key>) -> Keyboard {
        Keyboard(vec![keys])
    }
    pub fn single(label: String, button: Button) -> Keyboard {
        Keyboard::row(vec![Key::new(label, button)])
    }
}

/// A message to Telegram. Each is delivered through the outbox, in order per chat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// A text message, with buttons, possibly as a reply to a message of that chat.
    Text {
        chat: ChatId,
        text: String,
        #[serde(default)]
        format: Format,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        buttons: Option<Keyboard>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<MessageId>,
    },
    /// A new text (and buttons: none removes them) for a message the bot sent.
    Edit {
        chat: ChatId,
        message: MessageId,
        text: String,
        #[serde(default)]
        format: Format,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        buttons: Option<Keyboard>,
    },
    /// A copy of message `message` of chat `from` in chat `to`, possibly as a reply.
    Copy {
        to: ChatId,
        from: ChatId,
        message: MessageId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<MessageId>,
    },
    /// Copies of a run of messages of chat `from` in chat `to`, together, in the
    /// order given (at most 100, increasing; an album stays an album).
    Copies {
        to: ChatId,
        from: ChatId,
        messages: Vec<MessageId>,
    },
    /// The answer to a button press (the small notice, or an alert).
    Answer {
        callback: String,
        text: String,
        alert: bool,
    },
    /// A file on this machine, uploaded as a document.
    Document {
        chat: ChatId,
        path: String,
        file_name: String,
        caption: String,
    },
    /// The command list a chat sees (`None`: everyone's default list), for the
    /// users of one Telegram `language` (`None`: every other language).
    Commands {
        chat: Option<ChatId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
        commands: Vec<(String, String)>,
    },
    /// Remove a chat's own command list (it falls back to the default).
    ClearCommands { chat: i64 },
}

impl Outgoing {
    /// The chat this message writes to: messages to one chat go in order and are
    /// paced. `None` for those bound to no chat.
    pub fn chat(&self) -> Option<ChatId> {
        match self {
            Outgoing::Text { chat, .. }
            | Outgoing::Edit { chat, .. }
            | Outgoing::Document { chat, .. } => Some(*chat),
            Outgoing::Copy { to, .. } | Outgoing::Copies { to, .. } => Some(*to),
            Outgoing::Answer { .. }
            | Outgoing::Commands { .. }
            | Outgoing::ClearCommands { .. } => None,
        }
    }

    /// The same message for a chat that moved (a group upgraded to a supergroup,
    /// SPEC §10), or `None` when it cannot follow: an edit names a message of the
    /// old chat, which the new one does not have.
    pub fn moved_to(&self, new: ChatId) -> Option<Outgoing> {
        let mut moved = self.clone();
        match &mut moved {
            Outgoing::Text { chat, .. } | Outgoing::Document { chat, .. } => *chat = new,
            Outgoing::Copy { to, .. } | Outgoing::Copies { to, .. } => *to = new,
            Outgoing::Edit { .. }
            | Outgoing::Answer { .. }
            | Outgoing::Commands { .. }
            | Outgoing::ClearCommands { .. } => return None,
        }
        Some(moved)
    }

    /// A short name for logs and the outbox's `method` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Outgoing::Text { .. } => "text",
            Outgoing::Edit { .. } => "edit",
            Outgoing::Copy { .. } => "copy",
            Outgoing::Copies { .. } => "copies",
            Outgoing::Answer { .. } => "answer",
            Outgoing::Document { .. } => "document",
            Outgoing::Commands { .. } => "commands",
            Outgoing::ClearCommands { .. } => "clear_commands",
        }
    }

    /// A text message in HTML.
    pub fn html(chat: ChatId, text: String) -> Outgoing {
        Outgoing::Text {
            chat,
            text,
            format: Format::Html,
            buttons: None,
            reply_to: None,
        }
    }

    /// A text message shown as it is.
    pub fn plain(chat: ChatId, text: String) -> Outgoing {
        Outgoing::Text {
            chat,
            text,
            format: Format::Plain,
            buttons: None,
            reply_to: None,
        }
    }

    /// The same message with buttons (texts and edits only).
    pub fn with_buttons(mut self, keyboard: Keyboard) -> Outgoing {
        if let Outgoing::Text { buttons, .. } | Outgoing::Edit { buttons, .. } = &mut self {
            *buttons = Some(keyboard);
        }
        self
    }
}

/// Why an outbox message was sent: what to do with its result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "p", rename_all = "snake_case")]
pub enum Purpose {
    /// The announcement of `comm` in `chat`, rendered with `version` log entries.
    Announcement {
        comm: CommId,
        chat: ChatId,
        version: usize,
    },
    /// Copies of `from_msgs` (in `from_chat`) into `to_chat`. `notify`: the
    /// specialist to tell if they cannot be delivered.
    Relay {
        comm: CommId,
        from_chat: ChatId,
        from_msgs: Vec<MessageId>,
        to_chat: ChatId,
        notify: Option<StaffId>,
    },
    /// A notice to a customer: a refusal means they blocked the bot.
    Notice { customer: CustomerId },
    /// The satisfaction survey of `comm` (its message id is kept, to edit it).
    Survey { comm: CommId, customer: CustomerId },
    /// The card of `comm` to the specialist who now holds it, the first message of
    /// a Take: a refusal means they never started the bot (SPEC §10).
    HandOver { comm: CommId, specialist: StaffId },
}

impl Purpose {
    /// The same purpose for a message re-sent to a chat that moved.
    pub fn moved(&self, old: ChatId, new: ChatId) -> Purpose {
        let mut moved = self.clone();
        match &mut moved {
            Purpose::Announcement { chat, .. } if *chat == old => *chat = new,
            Purpose::Relay { to_chat, .. } if *to_chat == old => *to_chat = new,
            _ => {}
        }
        moved
    }
}

/// Why an email was sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "p", rename_all = "snake_case")]
pub enum MailPurpose {
    Code { customer: CustomerId },
    Alert,
}

/// An email to send.
#[derive(Clone, Debug, PartialEq)]
pub struct MailOut {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub purpose: MailPurpose,
    /// 0: retry until sent.
    pub max_attempts: u32,
}

/// A message for the outbox, with what to do with its result and, optionally, a
/// key under which a newer message replaces a pending one (announcement edits:
/// only the latest text matters).
#[derive(Clone, Debug, PartialEq)]
pub struct Send {
    pub message: Outgoing,
    pub purpose: Option<Purpose>,
    pub coalesce: Option<String>,
}

impl From<Outgoing> for Send {
    fn from(message: Outgoing) -> Send {
        Send {
            message,
            purpose: None,
            coalesce: None,
        }
    }
}

/// Something to carry out because of an action.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A message to Telegram, queued in the outbox.
    Telegram(Send),
    Mail(MailOut),
    /// Build the zip of an archived communication and send it to a chat.
    Zip {
        comm: CommId,
        chat: ChatId,
    },
    /// A short word for whoever acted where no Telegram button can be answered
    /// (a front end other than Telegram shows it).
    Feedback {
        text: String,
        alert: bool,
    },
}
