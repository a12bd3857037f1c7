//! The audit log (SPEC §7.6): who did what, to which communication, when. A
//! decision records an action by adding one [`AuditEntry`] to its changes
//! ([`Change::Audit`](super::Change::Audit), through [`Decision::audit`](super::Decision::audit)),
//! so the store writes it in the transaction of the change it records, at the
//! action's time; a refused or repeated press changes nothing and records nothing.
//!
//! Details are `key=value` pairs separated by spaces, in the order they were added
//! ([`AuditEntry::detail`]); a value with a space, a quote, a `=` or a control
//! character is written in double quotes, with `\` and `"` escaped.

use std::fmt::{self, Write as _};

use super::{CommId, CustomerId, StaffId};

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A member of the staff: their Telegram id, which is their private chat's id
    /// and the staff id of their console session.
    Staff(StaffId),
    /// A customer, for what only a customer does (a rating): their Telegram id.
    Customer(CustomerId),
    /// The service itself: a timeout, retention, an export from the command line.
    System,
}

impl Actor {
    /// The actor as stored, shown and filtered on (`relaydesk audit --actor`): the
    /// Telegram id in decimal, or `system`.
    pub fn key(self) -> String {
        match self {
            Actor::Staff(id) => id.to_string(),
            Actor::Customer(id) => id.to_string(),
            Actor::System => SYSTEM.to_string(),
        }
    }
}

/// The actor key of the service itself.
pub const SYSTEM: &str = "system";

/// An actor as written on the command line (`ID` or `system`), as its stored key
/// (`+501` and `0501` are `501`).
pub fn parse_actor(s: &str) -> Result<String, String> {
    if s == SYSTEM {
        return Ok(SYSTEM.to_string());
    }
    s.parse::<i64>()
        .map(|id| id.to_string())
        .map_err(|_| format!("expected a Telegram id or `system`, got {s:?}"))
}

/// What was done (SPEC, "Details that hold across §6–§10": exactly these names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    Take,
    Release,
    Transfer,
    Close,
    TimeoutClose,
    Note,
    Block,
    Unblock,
    Rating,
    Canned,
    Login,
    Logout,
    LoginFailed,
    Export,
    Retention,
    Import,
    /// A reply typed in the web console (`via=console`); replies written in
    /// Telegram are not audited (the message log has them). Not in the SPEC's list:
    /// issue 14 asks for one audit line per console reply.
    Reply,
}

impl AuditAction {
    pub const ALL: [AuditAction; 17] = [
        AuditAction::Take,
        AuditAction::Release,
        AuditAction::Transfer,
        AuditAction::Close,
        AuditAction::TimeoutClose,
        AuditAction::Note,
        AuditAction::Block,
        AuditAction::Unblock,
        AuditAction::Rating,
        AuditAction::Canned,
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::LoginFailed,
        AuditAction::Export,
        AuditAction::Retention,
        AuditAction::Import,
        AuditAction::Reply,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Take => "take",
            AuditAction::Release => "release",
            AuditAction::Transfer => "transfer",
            AuditAction::Close => "close",
            AuditAction::TimeoutClose => "timeout_close",
            AuditAction::Note => "note",
            AuditAction::Block => "block",
            AuditAction::Unblock => "unblock",
            AuditAction::Rating => "rating",
            AuditAction::Canned => "canned",
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Export => "export",
            AuditAction::Retention => "retention",
            AuditAction::Import => "import",
            AuditAction::Reply => "reply",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the audit log, as a decision records it (the time is the action's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: Actor,
    pub action: AuditAction,
    /// The communication acted on, when there is one.
    pub communication: Option<CommId>,
    /// `key=value` pairs (see the module's documentation); empty when the action
    /// says it all.
    pub details: String,
}

impl AuditEntry {
    pub fn new(actor: Actor, action: AuditAction, communication: Option<CommId>) -> AuditEntry {
        AuditEntry {
            actor,
            action,
            communication,
            details: String::new(),
        }
    }

    /// The entry with one more detail, `key=value` (`key` is one of ours: a-z, `_`).
    pub fn detail(mut self, key: &str, value: impl fmt::Display) -> AuditEntry {
        debug_assert!(
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "audit detail key {key:?}"
        );
        if !self.details.is_empty() {
            self.details.push(' ');
        }
        self.details.push_str(key);
        self.details.push('=');
        let value = value.to_string();
        let plain = !value.is_empty()
            && !value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | '='));
        if plain {
            self.details.push_str(&value);
        } else {
            self.details.push('"');
            for c in value.chars() {
                match c {
                    '"' | '\\' => {
                        self.details.push('\\');
                        self.details.push(c);
                    }
                    '\n' => self.details.push_str("\\n"),
                    c if c.is_control() => {
                        let _ = write!(self.details, "\\u{{{:x}}}", u32::from(c));
                    }
                    c => self.details.push(c),
                }
            }
            self.details.push('"');
        }
        self
    }

    /// The same detail when there is a value, else the entry as it is.
    pub fn detail_opt(self, key: &str, value: Option<impl fmt::Display>) -> AuditEntry {
        match value {
            Some(v) => self.detail(key, v),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_have_exactly_the_spec_names_and_the_console_reply() {
        let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            names,
            [
                "take",
                "release",
                "transfer",
                "close",
                "timeout_close",
                "note",
                "block",
                "unblock",
                "rating",
                "canned",
                "login",
                "logout",
                "login_failed",
                "export",
                "retention",
                "import",
                "reply"
            ]
        );
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("Take"), None);
    }

    #[test]
    fn actors_are_ids_or_system() {
        assert_eq!(Actor::Staff(StaffId(501)).key(), "501");
        assert_eq!(Actor::Customer(CustomerId(4242)).key(), "4242");
        assert_eq!(Actor::System.key(), "system");
        assert_eq!(parse_actor("system").unwrap(), "system");
        assert_eq!(parse_actor("+0501").unwrap(), "501");
        for bad in ["", "System", "anna", "5 01", "1e3"] {
            assert!(parse_actor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn details_are_key_value_pairs_quoted_when_needed() {
        let e = AuditEntry::new(Actor::System, AuditAction::Export, None)
            .detail("kind", "ratings")
            .detail("count", 3)
            .detail("out", "/tmp/my \"file\".csv")
            .detail("empty", "")
            .detail("eq", "a=b")
            .detail("line", "a\nb\u{7}")
            .detail_opt("none", None::<i64>)
            .detail_opt("some", Some(5));
        assert_eq!(
            e.details,
            r#"kind=ratings count=3 out="/tmp/my \"file\".csv" empty="" eq="a=b" line="a\nb\u{7}" some=5"#
        );
        assert_eq!(
            AuditEntry::new(Actor::System, AuditAction::Take, Some(CommId(1))).details,
            ""
        );
    }
}
