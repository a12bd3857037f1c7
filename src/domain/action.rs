//! What people and the clock do, as typed actions: read once at the edge (the
//! Telegram adapter; the console later) and decided on by the core.

use serde::{Deserialize, Serialize};

use super::ids::{ChatId, CommId, CustomerId, MessageId, StaffId};

/// A Telegram user as the bot sees them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: Option<String>,
}

impl User {
    /// This user as a customer (a customer's id is their user id).
    pub fn as_customer(&self) -> CustomerId {
        CustomerId(self.id)
    }

    /// This user as a member of the staff (whose id is their user id).
    pub fn as_staff(&self) -> StaffId {
        StaffId(self.id)
    }

    pub fn display_name(&self) -> String {
        match &self.last_name {
            Some(last) if !last.is_empty() => format!("{} {}", self.first_name, last),
            _ => self.first_name.clone(),
        }
    }
}

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Photo,
    Document,
    Video,
    Voice,
    Audio,
    Sticker,
    Animation,
    VideoNote,
    Contact,
    Location,
    Venue,
    Poll,
    Dice,
    /// A later edit of an earlier message (only in the log).
    Edit,
    /// An internal note of a specialist (only in the log, never relayed).
    Note,
    /// A canned answer the bot sent as the specialist's message.
    Canned,
    /// A reply the specialist typed in the web console, sent by the bot as theirs.
    Web,
    /// Kinds the Bot API refuses to copy (SPEC §10): relayed as a notice naming them.
    PaidMedia,
    Invoice,
    Giveaway,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 22] = [
        Kind::Text,
        Kind::Photo,
        Kind::Document,
        Kind::Video,
        Kind::Voice,
        Kind::Audio,
        Kind::Sticker,
        Kind::Animation,
        Kind::VideoNote,
        Kind::Contact,
        Kind::Location,
        Kind::Venue,
        Kind::Poll,
        Kind::Dice,
        Kind::Edit,
        Kind::Note,
        Kind::Canned,
        Kind::Web,
        Kind::PaidMedia,
        Kind::Invoice,
        Kind::Giveaway,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Photo => "photo",
            Kind::Document => "document",
            Kind::Video => "video",
            Kind::Voice => "voice",
            Kind::Audio => "audio",
            Kind::Sticker => "sticker",
            Kind::Animation => "animation",
            Kind::VideoNote => "video_note",
            Kind::Contact => "contact",
            Kind::Location => "location",
            Kind::Venue => "venue",
            Kind::Poll => "poll",
            Kind::Dice => "dice",
            Kind::Edit => "edit",
            Kind::Note => "note",
            Kind::Canned => "canned",
            Kind::Web => "web",
            Kind::PaidMedia => "paid_media",
            Kind::Invoice => "invoice",
            Kind::Giveaway => "giveaway",
            Kind::Other => "other",
        }
    }

    /// Whether this is a message someone sent in a chat (not an edit, a note or a
    /// text the bot wrote on a specialist's behalf): the kind that can be copied.
    pub fn is_chat_message(self) -> bool {
        !matches!(self, Kind::Edit | Kind::Note | Kind::Canned | Kind::Web)
    }

    /// Whether the Bot API copies a message of this kind ("service messages, paid
    /// media, giveaway, giveaway winners and invoice messages can't be copied").
    pub fn copyable(self) -> bool {
        !matches!(self, Kind::PaidMedia | Kind::Invoice | Kind::Giveaway)
    }

    pub fn parse(s: &str) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Kind::Other)
    }
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FileRef {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_name: Option<String>,
    pub size: Option<u64>,
}

/// A message in a private chat with the bot.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Incoming {
    pub chat_id: ChatId,
    pub message_id: MessageId,
    pub from: User,
    pub kind: Option<Kind>,
    /// The text, or the caption of a media message.
    pub text: Option<String>,
    pub file: Option<FileRef>,
    pub media_group_id: Option<String>,
    /// The message this one replies to, in the same chat.
    pub reply_to: Option<MessageId>,
}

impl Incoming {
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Other)
    }
}

/// The customer a command names (`/block 123`), as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// None given: the specialist's active communication.
    Own,
    Id(CustomerId),
    /// Something that is not a Telegram id.
    Bad(String),
}

impl Target {
    fn parse(args: &str) -> Target {
        let a = args.trim();
        if a.is_empty() {
            return Target::Own;
        }
        match a.parse::<i64>() {
            Ok(n) if n > 0 => Target::Id(CustomerId(n)),
            _ => Target::Bad(a.to_string()),
        }
    }
}

/// A bot command in a private chat, read from `/name@bot args`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Start,
    Service,
    Current,
    Close,
    Release,
    Unassigned,
    Users,
    History,
    Stats,
    /// Hand the active communication to a colleague or a department (SPEC §7.1).
    Transfer,
    /// An internal note on the active communication (empty: none given).
    Note(String),
    /// The canned answers, or (with a key) send one.
    Canned(Option<String>),
    Block(Target),
    Unblock(Target),
    /// A command the desk does not know (its name, lowercased).
    Other(String),
}

impl Command {
    /// The command named `name` (lowercase, without `/` and `@bot`), without
    /// arguments.
    pub fn named(name: &str) -> Command {
        Command::parse(name, "")
    }

    /// The command named `name` with the text after it.
    pub fn parse(name: &str, args: &str) -> Command {
        match name {
            "start" => Command::Start,
            "service" => Command::Service,
            "current" => Command::Current,
            "close" => Command::Close,
            "release" => Command::Release,
            "unassigned" => Command::Unassigned,
            "users" => Command::Users,
            "history" => Command::History,
            "stats" => Command::Stats,
            "transfer" => Command::Transfer,
            "note" => Command::Note(args.trim().to_string()),
            "c" => {
                let key = args.trim().to_ascii_lowercase();
                Command::Canned((!key.is_empty()).then_some(key))
            }
            "block" => Command::Block(Target::parse(args)),
            "unblock" => Command::Unblock(Target::parse(args)),
            other => Command::Other(other.to_string()),
        }
    }
}

/// Where a button was pressed. Telegram tells the press's callback (to be answered)
/// and the message with the button (menus edit it in place to turn pages); a front
/// end without either (the console) leaves them empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Press {
    pub callback: Option<String>,
    /// (chat, message) of the message with the button.
    pub message: Option<(ChatId, MessageId)>,
}

/// Something that happened, as far as the help desk is concerned.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A message (not a command) in a private chat with the bot.
    Message(Incoming),
    /// An edit of an earlier message in a private chat.
    Edited(Incoming),
    /// A bot command in a private chat.
    Command {
        from: User,
        chat_id: ChatId,
        command: Command,
    },
    /// A button was pressed; `button` is `None` when its data is junk (forged,
    /// stale, or from another bot version).
    Press {
        from: User,
        button: Option<Button>,
        press: Press,
    },
    /// The idle deadline of a communication has passed.
    IdleTimeout { communication_id: CommId },
    /// The time of the daily team report of the day starting at `day_start` came.
    DailyReport { day_start: i64 },
    /// A deadline of a communication other than its timeout close has passed: a
    /// reminder step or the close warning (SPEC §6.3).
    Reminder {
        communication_id: CommId,
        kind: super::DeadlineKind,
    },
    /// A customer asked for their email or code stayed silent `auth.remind_after`
    /// (SPEC §9).
    OnboardingReminder { customer: CustomerId },
    /// The gathering window of an album is over.
    AlbumDue {
        chat_id: ChatId,
        media_group_id: String,
    },
    /// An outbox message with a purpose was sent; `copies` are the ids of the
    /// messages it created, in order.
    Delivered {
        purpose: super::Purpose,
        copies: Vec<MessageId>,
    },
    /// An outbox message with a purpose was refused for good.
    DeliveryFailed {
        purpose: super::Purpose,
        code: u16,
        description: String,
    },
    /// A staff member asked the web console for a sign-in code (SPEC §8).
    ConsoleCode { staff: StaffId },
    /// A specialist typed a reply to communication `comm` in the web console.
    ConsoleReply {
        from: User,
        comm: CommId,
        text: String,
    },
    /// An email could not be sent.
    MailFailed {
        purpose: super::MailPurpose,
        error: String,
    },
    /// A group became a supergroup (SPEC §10): chat `from` is `to` from now on
    /// (its service message, or a call refused with `migrate_to_chat_id`).
    GroupMoved { from: ChatId, to: ChatId },
    /// The bot's own membership of a chat changed (`my_chat_member`): in a group,
    /// whether the bot was and is a member; in a private chat, whether the user
    /// had and has the bot unblocked.
    Membership {
        chat: ChatId,
        private: bool,
        was_in: bool,
        is_in: bool,
    },
}

impl Action {
    /// Who did it in Telegram: the sender of a message, an edit, a command or a
    /// press (none for the service's own events and the console's actions).
    pub fn telegram_user(&self) -> Option<&User> {
        match self {
            Action::Message(m) | Action::Edited(m) => Some(&m.from),
            Action::Command { from, .. } | Action::Press { from, .. } => Some(from),
            _ => None,
        }
    }
}

/// What a button does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    /// Take communication N.
    Take(CommId),
    /// Release communication N (the specialist's own).
    Release(CommId),
    /// Close communication N (the specialist's own).
    Close(CommId),
    /// Customer: change the email address (during onboarding).
    ChangeEmail,
    /// Customer: send a new code.
    ResendCode,
    /// Specialist menu items.
    Menu(MenuItem),
    /// The customers page after customer id N (0: the first page).
    Users {
        after: CustomerId,
    },
    /// The customers page before customer id N.
    UsersBack {
        before: CustomerId,
    },
    /// The history's customer picker, after / before customer id N.
    History {
        after: CustomerId,
    },
    HistoryBack {
        before: CustomerId,
    },
    /// History of one customer.
    HistoryOf(CustomerId),
    /// The last archived communication of a customer.
    ArchiveLast(CustomerId),
    /// The archived communications of a customer, older than communication N
    /// (0: from the newest).
    ArchiveList {
        customer: CustomerId,
        before: CommId,
    },
    /// Show archived communication N as text.
    ArchiveShow(CommId),
    /// Send archived communication N as zip.
    ArchiveZip(CommId),
    /// The stats of the last `days` days (today included).
    Stats {
        days: u16,
    },
    /// A button that does nothing (a page number).
    Noop,
    /// Customer: rate the help with communication `comm` (1…5) in its survey.
    Rate {
        comm: CommId,
        rating: u8,
    },
    /// Customer: no comment on the rating of communication N.
    SkipComment(CommId),
    /// The transfer list for communication N (SPEC §7.1).
    Transfer(CommId),
    /// Transfer communication `comm` to specialist `to`.
    TransferTo {
        comm: CommId,
        to: StaffId,
    },
    /// Transfer communication `comm` to the queue of department `department`
    /// (its number, from 1).
    TransferQueue {
        comm: CommId,
        department: u16,
    },
    /// Customer: open request `comm` in department `department` (from 1).
    Department {
        comm: CommId,
        department: u16,
    },
    /// Send the canned answer of this key.
    Canned(String),
}

impl Button {
    /// Whether the button belongs to a customer's satisfaction survey.
    pub fn is_survey(&self) -> bool {
        matches!(self, Button::Rate { .. } | Button::SkipComment(_))
    }

    /// Whether the button is a customer's (whoever else presses it is refused by
    /// its own decision).
    pub fn is_customers(&self) -> bool {
        matches!(
            self,
            Button::ChangeEmail | Button::ResendCode | Button::Department { .. }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuItem {
    Current,
    Close,
    Release,
    Unassigned,
    Transfer,
    Canned,
}
