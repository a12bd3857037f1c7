//! The stored records a decision reads: customers and their codes, communications
//! with their deadlines, assignments and log, announcements, and the lists the menus
//! show (re-exported from [`crate::domain`]).

use super::action::{Kind, User};
use super::email::EmailAddress;
use super::ids::{ChatId, CommId, CustomerId, MessageId, StaffId};

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
    pub email: Option<EmailAddress>,
    pub state: CustomerState,
    /// The customer blocked the bot (a notice to them was refused).
    pub blocked: bool,
    /// The staff blocked the customer (SPEC §7.5).
    pub banned: bool,
    /// The customer was told once, since the block, that they are blocked.
    pub ban_told: bool,
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
    pub email: EmailAddress,
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
    pub id: CommId,
    pub customer_id: CustomerId,
    pub status: Status,
    pub specialist_id: Option<StaffId>,
    pub opened_at: i64,
    pub idle_deadline: Option<i64>,
    pub closed_at: Option<i64>,
    pub close_reason: Option<String>,
    /// The department's key (`""` without departments).
    pub department: String,
    /// Opened, waiting for the customer to pick a department (SPEC §7.2): not
    /// announced, not in the queue.
    pub choosing: bool,
}

/// What a deadline of a communication is for (SPEC §1.5, §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineKind {
    /// The timeout close of an assigned communication the customer left unanswered.
    IdleClose,
    /// The customer's warning, `close_warning` before the timeout close.
    CloseWarning,
    /// The reminder steps of a communication waiting for a Take.
    Unassigned,
    /// The reminder steps of a customer's message waiting for the specialist's answer.
    Unanswered,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 4] = [
        DeadlineKind::IdleClose,
        DeadlineKind::CloseWarning,
        DeadlineKind::Unassigned,
        DeadlineKind::Unanswered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::IdleClose => "idle_close",
            DeadlineKind::CloseWarning => "close_warning",
            DeadlineKind::Unassigned => "unassigned",
            DeadlineKind::Unanswered => "unanswered",
        }
    }

    pub fn parse(s: &str) -> Option<DeadlineKind> {
        DeadlineKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A stored deadline: the next step of its kind due, counted from `started_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// The index of the step due (0 for the single-step kinds).
    pub step: u32,
    pub started_at: i64,
    /// `None` once the last step has fired.
    pub due_at: Option<i64>,
}

/// A specialist's turn on a communication.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub specialist_id: StaffId,
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
    pub chat_id: ChatId,
    pub message_id: MessageId,
    pub kind: Kind,
    pub text: Option<String>,
    pub file_name: Option<String>,
    /// The archived copy of its file, if it has one.
    pub file: Option<FileNote>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Announcement {
    pub chat_id: ChatId,
    pub message_id: Option<MessageId>,
    pub active: bool,
}
