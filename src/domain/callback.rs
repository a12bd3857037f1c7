//! Inline-button data: compact (`t:12`), at most 64 bytes, parsed strictly. Anything
//! else — forged, stale or junk — parses to `None` and is refused.

/// What a button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackData {
    /// Take communication N.
    Take(i64),
    /// Release communication N (the specialist's own).
    Release(i64),
    /// Close communication N (the specialist's own).
    Close(i64),
    /// Customer: change the email address (during onboarding).
    ChangeEmail,
    /// Customer: send a new code.
    ResendCode,
    /// Specialist menu items.
    Menu(MenuItem),
    /// The customers page after customer id N (0: the first page).
    Users {
        after: i64,
    },
    /// The customers page before customer id N.
    UsersBack {
        before: i64,
    },
    /// The history's customer picker, after / before customer id N.
    History {
        after: i64,
    },
    HistoryBack {
        before: i64,
    },
    /// History of one customer.
    HistoryOf(i64),
    /// The last archived communication of a customer.
    ArchiveLast(i64),
    /// The archived communications of a customer, older than communication N
    /// (0: from the newest).
    ArchiveList {
        customer: i64,
        before: i64,
    },
    /// Show archived communication N as text.
    ArchiveShow(i64),
    /// Send archived communication N as zip.
    ArchiveZip(i64),
    /// A button that does nothing (a page number).
    Noop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuItem {
    Current,
    Close,
    Release,
    Unassigned,
}

impl MenuItem {
    fn code(self) -> &'static str {
        match self {
            MenuItem::Current => "cur",
            MenuItem::Close => "cls",
            MenuItem::Release => "rel",
            MenuItem::Unassigned => "una",
        }
    }
}

/// Telegram's limit for callback data.
pub const MAX_LEN: usize = 64;

impl CallbackData {
    pub fn encode(&self) -> String {
        match self {
            CallbackData::Take(n) => format!("t:{n}"),
            CallbackData::Release(n) => format!("r:{n}"),
            CallbackData::Close(n) => format!("c:{n}"),
            CallbackData::ChangeEmail => "e".into(),
            CallbackData::ResendCode => "rs".into(),
            CallbackData::Menu(item) => format!("m:{}", item.code()),
            CallbackData::Users { after } => format!("u:{after}"),
            CallbackData::UsersBack { before } => format!("U:{before}"),
            CallbackData::History { after } => format!("h:{after}"),
            CallbackData::HistoryBack { before } => format!("H:{before}"),
            CallbackData::HistoryOf(n) => format!("hc:{n}"),
            CallbackData::ArchiveLast(n) => format!("hl:{n}"),
            CallbackData::ArchiveList { customer, before } => format!("ha:{customer}:{before}"),
            CallbackData::ArchiveShow(n) => format!("as:{n}"),
            CallbackData::ArchiveZip(n) => format!("az:{n}"),
            CallbackData::Noop => "x".into(),
        }
    }

    pub fn parse(data: &str) -> Option<CallbackData> {
        if data.is_empty() || data.len() > MAX_LEN {
            return None;
        }
        // A non-negative decimal without sign or leading junk.
        let num = |s: &str| -> Option<i64> {
            if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let id = |s: &str| num(s).filter(|n| *n > 0);
        match data.split_once(':') {
            Some(("t", n)) => id(n).map(CallbackData::Take),
            Some(("r", n)) => id(n).map(CallbackData::Release),
            Some(("c", n)) => id(n).map(CallbackData::Close),
            Some(("m", item)) => [
                MenuItem::Current,
                MenuItem::Close,
                MenuItem::Release,
                MenuItem::Unassigned,
            ]
            .into_iter()
            .find(|i| i.code() == item)
            .map(CallbackData::Menu),
            Some(("u", n)) => num(n).map(|after| CallbackData::Users { after }),
            Some(("U", n)) => id(n).map(|before| CallbackData::UsersBack { before }),
            Some(("h", n)) => num(n).map(|after| CallbackData::History { after }),
            Some(("H", n)) => id(n).map(|before| CallbackData::HistoryBack { before }),
            Some(("hc", n)) => id(n).map(CallbackData::HistoryOf),
            Some(("hl", n)) => id(n).map(CallbackData::ArchiveLast),
            Some(("ha", rest)) => {
                let (customer, before) = rest.split_once(':')?;
                Some(CallbackData::ArchiveList {
                    customer: id(customer)?,
                    before: num(before)?,
                })
            }
            Some(("as", n)) => id(n).map(CallbackData::ArchiveShow),
            Some(("az", n)) => id(n).map(CallbackData::ArchiveZip),
            None if data == "e" => Some(CallbackData::ChangeEmail),
            None if data == "rs" => Some(CallbackData::ResendCode),
            None if data == "x" => Some(CallbackData::Noop),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for d in [
            CallbackData::Take(1),
            CallbackData::Release(999_999_999_999),
            CallbackData::Close(7),
            CallbackData::ChangeEmail,
            CallbackData::ResendCode,
            CallbackData::Menu(MenuItem::Unassigned),
            CallbackData::Users { after: 0 },
            CallbackData::UsersBack { before: 77 },
            CallbackData::History { after: 5 },
            CallbackData::HistoryBack { before: 5 },
            CallbackData::HistoryOf(999_999_999_999),
            CallbackData::ArchiveLast(4),
            CallbackData::ArchiveList {
                customer: 999_999_999_999,
                before: 999_999_999_999,
            },
            CallbackData::ArchiveShow(12),
            CallbackData::ArchiveZip(12),
            CallbackData::Noop,
        ] {
            let s = d.encode();
            assert!(s.len() <= MAX_LEN);
            assert_eq!(CallbackData::parse(&s), Some(d));
        }
    }

    #[test]
    fn junk_is_refused() {
        for junk in [
            "",
            "t:",
            "t:-1",
            "t:0",
            "t:1a",
            "x:1",
            "t:1:2",
            "t: 1",
            "T:1",
            "t:99999999999999999999",
            "ee",
        ] {
            assert_eq!(CallbackData::parse(junk), None, "{junk:?}");
        }
        assert_eq!(CallbackData::parse(&"a".repeat(70)), None);
    }
}
