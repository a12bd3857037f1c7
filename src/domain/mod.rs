//! The help desk's decisions as a pure function: an event, what the database knows
//! about the people and the communication involved (a [`Snapshot`]) and the moment
//! ([`Env`]) give the changes to make and the effects to carry out ([`Decision`]).
//! No I/O here: the store loads the snapshot and applies the decision in one
//! transaction.

pub mod archive;
pub mod callback;
mod desk;
pub mod email;
mod menus;
mod onboarding;
pub mod render;
pub mod sanitize;
pub mod split;
pub mod texts;
pub mod transcript;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Config;
use crate::domain::texts::Texts;
use crate::telegram::{Call, ParseMode};

pub use callback::CallbackData;
pub use onboarding::{CodeKey, code_hash};

/// How long album parts are gathered before they are relayed together.
pub const ALBUM_WINDOW_MS: i64 = 1_200;

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
    Other,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
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
            Kind::Other => "other",
        }
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
    pub chat_id: i64,
    pub message_id: i64,
    pub from: User,
    pub kind: Option<Kind>,
    /// The text, or the caption of a media message.
    pub text: Option<String>,
    pub file: Option<FileRef>,
    pub media_group_id: Option<String>,
    /// The message this one replies to, in the same chat.
    pub reply_to: Option<i64>,
}

impl Incoming {
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Other)
    }
}

/// Something that happened, as far as the help desk is concerned.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A message (not a command) in a private chat with the bot.
    Message(Incoming),
    /// An edit of an earlier message in a private chat.
    Edited(Incoming),
    /// A bot command in a private chat (`start`, `close`, ...).
    Command {
        from: User,
        chat_id: i64,
        name: String,
    },
    /// An inline button was pressed.
    Callback {
        id: String,
        from: User,
        /// The chat of the message with the button, when Telegram tells it.
        chat_id: Option<i64>,
        /// That message (menus edit it in place to turn pages).
        message_id: Option<i64>,
        data: String,
    },
    /// The idle deadline of a communication has passed.
    IdleTimeout { communication_id: i64 },
    /// The gathering window of an album is over.
    AlbumDue {
        chat_id: i64,
        media_group_id: String,
    },
    /// An outbox call with a purpose was sent; `result` is Telegram's.
    Delivered { purpose: Purpose, result: Value },
    /// An outbox call with a purpose was refused for good.
    DeliveryFailed {
        purpose: Purpose,
        code: u16,
        description: String,
    },
    /// An email could not be sent.
    MailFailed { purpose: MailPurpose, error: String },
}

/// Why an outbox call was made: what to do with its result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "p", rename_all = "snake_case")]
pub enum Purpose {
    /// The announcement of `comm` in `chat`, rendered with `version` log entries.
    Announcement {
        comm: i64,
        chat: i64,
        version: usize,
    },
    /// Copies of `from_msgs` (in `from_chat`) into `to_chat`. `notify`: the
    /// specialist to tell if they cannot be delivered.
    Relay {
        comm: i64,
        from_chat: i64,
        from_msgs: Vec<i64>,
        to_chat: i64,
        notify: Option<i64>,
    },
    /// A notice to a customer: a refusal means they blocked the bot.
    Notice { customer: i64 },
}

/// Why an email was sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "p", rename_all = "snake_case")]
pub enum MailPurpose {
    Code { customer: i64 },
    Alert,
}

/// Where a customer is in onboarding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerState {
    AwaitingEmail,
    AwaitingCode,
    Verified,
}

impl CustomerState {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerState::AwaitingEmail => "awaiting_email",
            CustomerState::AwaitingCode => "awaiting_code",
            CustomerState::Verified => "verified",
        }
    }
    pub fn parse(s: &str) -> CustomerState {
        match s {
            "awaiting_code" => CustomerState::AwaitingCode,
            "verified" => CustomerState::Verified,
            _ => CustomerState::AwaitingEmail,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub user: User,
    pub email: Option<String>,
    pub state: CustomerState,
    pub blocked: bool,
}

/// The latest code of a customer and how many were sent in the last hour.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Codes {
    pub latest: Option<Code>,
    /// Codes sent successfully (or still being sent) in the last hour.
    pub sent_last_hour: u32,
    /// When the latest code that was not reported as failed was created.
    pub last_sent_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Code {
    pub email: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: u32,
    pub used: bool,
    pub send_failed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Unassigned,
    Assigned,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unassigned => "unassigned",
            Status::Assigned => "assigned",
            Status::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Status {
        match s {
            "assigned" => Status::Assigned,
            "closed" => Status::Closed,
            _ => Status::Unassigned,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Communication {
    pub id: i64,
    pub customer_id: i64,
    pub status: Status,
    pub specialist_id: Option<i64>,
    pub opened_at: i64,
    pub idle_deadline: Option<i64>,
    pub closed_at: Option<i64>,
    pub close_reason: Option<String>,
}

/// A specialist's turn on a communication.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub specialist_id: i64,
    pub taken_at: i64,
    pub released_at: Option<i64>,
}

/// What became of a message's file in the archive.
#[derive(Clone, Debug, PartialEq)]
pub struct FileNote {
    /// The name under `files/`.
    pub saved_name: String,
    /// `pending`, `saved`, `too_large` or `failed`.
    pub status: String,
}

/// A customer with their open communication, for lists.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerRow {
    pub customer: Customer,
    pub open: Option<Communication>,
}

/// An unassigned communication waiting in the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct Queued {
    pub comm: Communication,
    pub customer: Customer,
    pub first_text: Option<String>,
}

/// Lists the menus show.
#[derive(Clone, Debug, PartialEq)]
pub enum Listing {
    /// The oldest unassigned communications, and how many there are in all.
    Unassigned { rows: Vec<Queued>, total: i64 },
    /// A page of customers.
    Customers {
        rows: Vec<CustomerRow>,
        has_prev: bool,
        has_next: bool,
    },
    /// A page of a customer's archived (closed) communications, newest first.
    Archived {
        rows: Vec<Communication>,
        has_more: bool,
    },
}

/// Customers per page of `/users`.
pub const USERS_PAGE: usize = 20;
/// Customers per page of the `/history` picker.
pub const HISTORY_PAGE: usize = 10;
/// Archived communications per page.
pub const ARCHIVE_PAGE: usize = 10;
/// At most this many unassigned communications are listed one by one.
pub const UNASSIGNED_SHOWN: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Customer,
    Specialist,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Specialist => "specialist",
        }
    }
    pub fn parse(s: &str) -> Role {
        if s == "specialist" {
            Role::Specialist
        } else {
            Role::Customer
        }
    }
}

/// One line of a communication's log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub at: i64,
    pub role: Role,
    pub sender_id: i64,
    pub chat_id: i64,
    pub message_id: i64,
    pub kind: Kind,
    pub text: Option<String>,
    pub file_name: Option<String>,
    /// The archived copy of its file, if it has one.
    pub file: Option<FileNote>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Announcement {
    pub chat_id: i64,
    pub message_id: Option<i64>,
    pub active: bool,
}

/// What the database knows that an event may need. The store fills what the event
/// concerns and leaves the rest empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The customer concerned (the sender, or the customer of the communication).
    pub customer: Option<Customer>,
    pub codes: Codes,
    /// The communication concerned: the customer's open one, the specialist's
    /// active one, or the one a button names.
    pub communication: Option<Communication>,
    pub log: Vec<LogEntry>,
    pub announcements: Vec<Announcement>,
    /// The acting specialist's active communication (for Take).
    pub actor_active: Option<i64>,
    /// The copy, in the other party's chat, of the message being replied to.
    pub reply_copy: Option<i64>,
    /// The copy, in the other party's chat, of the message being edited.
    pub edit_copy: Option<i64>,
    /// Album parts due, by message id.
    pub album: Vec<(i64, i64, i64)>,
    /// The id a new communication would get.
    pub next_communication_id: i64,
    /// Who held the communication when.
    pub assignments: Vec<Assignment>,
    /// How many closed communications the customer has.
    pub archived: i64,
    pub listing: Option<Listing>,
}

/// The moment and the settings a decision is made with.
pub struct Env<'a> {
    pub now: i64,
    /// A fresh random 6-digit code, used if the decision issues one.
    pub fresh_code: &'a str,
    /// The installation's key for the hashes of codes.
    pub code_key: &'a CodeKey,
    pub config: &'a Config,
    pub texts: &'a Texts,
}

impl Env<'_> {
    pub fn specialist_name(&self, id: i64) -> String {
        self.config
            .specialists
            .iter()
            .find(|p| p.chat_id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// Service groups and controllers: everyone who is told about the desk.
    pub fn watchers(&self) -> Vec<i64> {
        self.config
            .service_groups
            .iter()
            .map(|g| g.chat_id)
            .chain(self.config.controllers.iter().map(|c| c.chat_id))
            .collect()
    }
}

/// A change to the stored state.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Create the customer, or refresh their profile (and unblock them: they wrote).
    TouchCustomer {
        user: User,
        state_if_new: CustomerState,
    },
    SetCustomerState {
        customer: i64,
        state: CustomerState,
        email: Option<String>,
    },
    MarkBlocked {
        customer: i64,
    },
    NewCode {
        customer: i64,
        email: String,
        code_hash: String,
        expires_at: i64,
    },
    CodeAttempt {
        customer: i64,
    },
    CodeUsed {
        customer: i64,
    },
    CodeSendFailed {
        customer: i64,
    },
    Open {
        id: i64,
        customer: i64,
    },
    Log {
        comm: i64,
        role: Role,
        message: Incoming,
    },
    Assign {
        comm: i64,
        specialist: i64,
    },
    Release {
        comm: i64,
    },
    Close {
        comm: i64,
        reason: String,
    },
    SetDeadline {
        comm: i64,
        at: Option<i64>,
    },
    NewAnnouncement {
        comm: i64,
        chat: i64,
    },
    AnnouncementSent {
        comm: i64,
        chat: i64,
        message_id: i64,
    },
    DeactivateAnnouncements {
        comm: i64,
    },
    MapCopy {
        comm: i64,
        orig_chat: i64,
        orig_msg: i64,
        copy_chat: i64,
        copy_msg: i64,
    },
    AlbumPart {
        comm: i64,
        chat: i64,
        media_group_id: String,
        message_id: i64,
        target: i64,
    },
    AlbumSent {
        chat: i64,
        media_group_id: String,
    },
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

/// Something to carry out because of an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A Bot API call, queued in the outbox. With a coalescing key, it replaces a
    /// pending call with the same key.
    Telegram {
        call: Call,
        coalesce: Option<String>,
    },
    Mail(MailOut),
    /// Build the zip of an archived communication and send it to a chat.
    Zip {
        comm: i64,
        chat: i64,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    pub changes: Vec<Change>,
    pub effects: Vec<Effect>,
}

impl Decision {
    pub fn change(&mut self, c: Change) {
        self.changes.push(c);
    }

    pub fn call(&mut self, call: Call) {
        self.effects.push(Effect::Telegram {
            call,
            coalesce: None,
        });
    }

    /// Send an HTML text to a chat.
    pub fn say(&mut self, chat: i64, text: String) {
        self.call(Call::send_message(chat, text, ParseMode::Html));
    }

    /// Send an HTML text with an inline keyboard.
    pub fn say_with(&mut self, chat: i64, text: String, keyboard: Value) {
        self.call(
            Call::send_message(chat, text, ParseMode::Html).with_param("reply_markup", keyboard),
        );
    }

    /// A notice to a customer (a refusal marks them as having blocked the bot).
    pub fn tell_customer(&mut self, customer: i64, text: String) {
        self.call(
            Call::send_message(customer, text, ParseMode::Html)
                .with_purpose(purpose_json(&Purpose::Notice { customer })),
        );
    }

    pub fn answer(&mut self, callback_id: &str, text: String, alert: bool) {
        self.call(Call::new(
            "answerCallbackQuery",
            None,
            json!({ "callback_query_id": callback_id, "text": text, "show_alert": alert }),
        ));
    }

    pub fn mail(&mut self, m: MailOut) {
        self.effects.push(Effect::Mail(m));
    }

    /// Whether the decision sets a deadline or gathers an album (the timer must look).
    pub fn touches_timers(&self) -> bool {
        self.changes.iter().any(|c| {
            matches!(
                c,
                Change::SetDeadline { .. } | Change::AlbumPart { .. } | Change::Assign { .. }
            )
        })
    }
}

pub fn purpose_json(p: &Purpose) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

/// An inline keyboard of rows of (text, callback data).
pub fn keyboard(rows: &[&[(String, String)]]) -> Value {
    let rows: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|(text, data)| json!({ "text": text, "callback_data": data }))
                .collect()
        })
        .collect();
    json!({ "inline_keyboard": rows })
}

/// Decide what an event leads to.
pub fn decide(event: &Event, snap: &Snapshot, env: &Env<'_>) -> Decision {
    let mut d = Decision::default();
    match event {
        Event::Message(m) => {
            if env.config.is_specialist(m.from.id) {
                desk::specialist_message(m, snap, env, &mut d);
            } else if env.config.is_controller(m.from.id) {
                d.say(m.chat_id, env.texts.render("controller_info", &[]));
            } else {
                onboarding::customer_message(m, snap, env, &mut d);
            }
        }
        Event::Edited(m) => desk::edited(m, snap, env, &mut d),
        Event::Command {
            from,
            chat_id,
            name,
        } => {
            if env.config.is_specialist(from.id) {
                desk::specialist_command(from, *chat_id, name, snap, env, &mut d);
            } else if env.config.is_controller(from.id) {
                d.say(*chat_id, env.texts.render("controller_info", &[]));
            } else {
                onboarding::customer_command(from, *chat_id, name, snap, env, &mut d);
            }
        }
        Event::Callback {
            id,
            from,
            chat_id,
            message_id,
            data,
        } => match CallbackData::parse(data) {
            None => d.answer(id, env.texts.render_plain("button_unknown", &[]), false),
            Some(data) => {
                if env.config.is_specialist(from.id) {
                    let origin = chat_id.zip(*message_id);
                    desk::specialist_button(id, from, origin, &data, snap, env, &mut d);
                } else if matches!(data, CallbackData::ChangeEmail | CallbackData::ResendCode)
                    && !env.config.is_controller(from.id)
                {
                    onboarding::customer_button(id, from, &data, snap, env, &mut d);
                } else {
                    d.answer(id, env.texts.render_plain("only_specialists", &[]), true);
                }
            }
        },
        Event::IdleTimeout { .. } => desk::idle_timeout(snap, env, &mut d),
        Event::AlbumDue {
            chat_id,
            media_group_id,
        } => desk::album_due(*chat_id, media_group_id, snap, env, &mut d),
        Event::Delivered { purpose, result } => desk::delivered(purpose, result, snap, env, &mut d),
        Event::DeliveryFailed {
            purpose,
            code,
            description,
        } => desk::delivery_failed(purpose, *code, description, snap, env, &mut d),
        Event::MailFailed { purpose, .. } => onboarding::mail_failed(purpose, snap, env, &mut d),
    }
    d
}

#[cfg(test)]
mod tests;
