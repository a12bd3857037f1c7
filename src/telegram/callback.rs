//! Inline-button data on the wire: compact (`t:12`), at most 64 bytes, parsed
//! strictly. Anything else — forged, stale or junk — parses to `None` and is refused.

use crate::domain::{Button, CommId, CustomerId, MenuItem, StaffId};

fn menu_code(item: MenuItem) -> &'static str {
    match item {
        MenuItem::Current => "cur",
        MenuItem::Close => "cls",
        MenuItem::Release => "rel",
        MenuItem::Unassigned => "una",
        MenuItem::Transfer => "trf",
        MenuItem::Canned => "can",
    }
}

/// Telegram's limit for callback data.
pub const MAX_LEN: usize = 64;

/// The callback data of a button.
pub fn encode(button: &Button) -> String {
    match button {
        Button::Take(n) => format!("t:{n}"),
        Button::Release(n) => format!("r:{n}"),
        Button::Close(n) => format!("c:{n}"),
        Button::ChangeEmail => "e".into(),
        Button::ResendCode => "rs".into(),
        Button::Menu(item) => format!("m:{}", menu_code(*item)),
        Button::Users { after } => format!("u:{after}"),
        Button::UsersBack { before } => format!("U:{before}"),
        Button::History { after } => format!("h:{after}"),
        Button::HistoryBack { before } => format!("H:{before}"),
        Button::HistoryOf(n) => format!("hc:{n}"),
        Button::ArchiveLast(n) => format!("hl:{n}"),
        Button::ArchiveList { customer, before } => format!("ha:{customer}:{before}"),
        Button::ArchiveShow(n) => format!("as:{n}"),
        Button::ArchiveZip(n) => format!("az:{n}"),
        Button::Stats { days } => format!("st:{days}"),
        Button::Noop => "x".into(),
        Button::Rate { comm, rating } => format!("rt:{comm}:{rating}"),
        Button::SkipComment(n) => format!("sk:{n}"),
        Button::Transfer(n) => format!("tl:{n}"),
        Button::TransferTo { comm, to } => format!("tt:{comm}:{to}"),
        Button::TransferQueue { comm, department } => format!("tq:{comm}:{department}"),
        Button::Department { comm, department } => format!("dp:{comm}:{department}"),
        Button::Canned(key) => format!("cn:{key}"),
    }
}

/// A canned answer's key as keys are written: `a-z 0-9 _ -`, at most 32 bytes.
pub fn canned_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 32
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The button behind callback data; `None` for anything that is not one exactly.
pub fn parse(data: &str) -> Option<Button> {
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
        Some(("t", n)) => id(n).map(|n| Button::Take(CommId(n))),
        Some(("r", n)) => id(n).map(|n| Button::Release(CommId(n))),
        Some(("c", n)) => id(n).map(|n| Button::Close(CommId(n))),
        Some(("m", item)) => [
            MenuItem::Current,
            MenuItem::Close,
            MenuItem::Release,
            MenuItem::Unassigned,
            MenuItem::Transfer,
            MenuItem::Canned,
        ]
        .into_iter()
        .find(|i| menu_code(*i) == item)
        .map(Button::Menu),
        Some(("u", n)) => num(n).map(|n| Button::Users {
            after: CustomerId(n),
        }),
        Some(("U", n)) => id(n).map(|n| Button::UsersBack {
            before: CustomerId(n),
        }),
        Some(("h", n)) => num(n).map(|n| Button::History {
            after: CustomerId(n),
        }),
        Some(("H", n)) => id(n).map(|n| Button::HistoryBack {
            before: CustomerId(n),
        }),
        Some(("hc", n)) => id(n).map(|n| Button::HistoryOf(CustomerId(n))),
        Some(("hl", n)) => id(n).map(|n| Button::ArchiveLast(CustomerId(n))),
        Some(("ha", rest)) => {
            let (customer, before) = rest.split_once(':')?;
            Some(Button::ArchiveList {
                customer: CustomerId(id(customer)?),
                before: CommId(num(before)?),
            })
        }
        Some(("as", n)) => id(n).map(|n| Button::ArchiveShow(CommId(n))),
        Some(("az", n)) => id(n).map(|n| Button::ArchiveZip(CommId(n))),
        Some(("rt", rest)) => {
            let (comm, rating) = rest.split_once(':')?;
            // One digit, 1 to 5.
            let rating = match rating.as_bytes() {
                [d @ b'1'..=b'5'] => d - b'0',
                _ => return None,
            };
            Some(Button::Rate {
                comm: CommId(id(comm)?),
                rating,
            })
        }
        Some(("sk", n)) => id(n).map(|n| Button::SkipComment(CommId(n))),
        Some(("tl", n)) => id(n).map(|n| Button::Transfer(CommId(n))),
        Some(("tt", rest)) => {
            let (comm, to) = rest.split_once(':')?;
            Some(Button::TransferTo {
                comm: CommId(id(comm)?),
                to: StaffId(id(to)?),
            })
        }
        Some((code @ ("tq" | "dp"), rest)) => {
            let (comm, department) = rest.split_once(':')?;
            let comm = CommId(id(comm)?);
            let department = u16::try_from(id(department)?).ok()?;
            Some(if code == "tq" {
                Button::TransferQueue { comm, department }
            } else {
                Button::Department { comm, department }
            })
        }
        Some(("cn", key)) => canned_key(key).then(|| Button::Canned(key.to_string())),
        None if data == "e" => Some(Button::ChangeEmail),
        None if data == "rs" => Some(Button::ResendCode),
        Some(("st", n)) => num(n)
            .and_then(|d| u16::try_from(d).ok())
            .filter(|d| (1..=90).contains(d))
            .map(|days| Button::Stats { days }),
        None if data == "x" => Some(Button::Noop),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for d in [
            Button::Take(CommId(1)),
            Button::Release(CommId(999_999_999_999)),
            Button::Close(CommId(7)),
            Button::ChangeEmail,
            Button::ResendCode,
            Button::Menu(MenuItem::Unassigned),
            Button::Users {
                after: CustomerId(0),
            },
            Button::UsersBack {
                before: CustomerId(77),
            },
            Button::History {
                after: CustomerId(5),
            },
            Button::HistoryBack {
                before: CustomerId(5),
            },
            Button::HistoryOf(CustomerId(999_999_999_999)),
            Button::ArchiveLast(CustomerId(4)),
            Button::ArchiveList {
                customer: CustomerId(999_999_999_999),
                before: CommId(999_999_999_999),
            },
            Button::ArchiveShow(CommId(12)),
            Button::ArchiveZip(CommId(12)),
            Button::Stats { days: 30 },
            Button::Noop,
            Button::Rate {
                comm: CommId(999_999_999_999),
                rating: 5,
            },
            Button::Rate {
                comm: CommId(3),
                rating: 1,
            },
            Button::SkipComment(CommId(999_999_999_999)),
        ] {
            let s = encode(&d);
            assert!(s.len() <= MAX_LEN);
            assert_eq!(parse(&s), Some(d));
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
            "rt:1:0",
            "rt:1:6",
            "rt:1:05",
            "rt:0:5",
            "rt:1",
            "rt:1:5:1",
            "sk:0",
            "sk:",
        ] {
            assert_eq!(parse(junk), None, "{junk:?}");
        }
        assert_eq!(parse(&"a".repeat(70)), None);
    }
}
