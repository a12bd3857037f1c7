//! Inline-button data on the wire: compact (`t:12`), at most 64 bytes, parsed
//! strictly. Anything else — forged, stale or junk — parses to `None` and is refused.

use crate::domain::{Button, MenuItem};

fn menu_code(item: MenuItem) -> &'static str {
    match item {
        MenuItem::Current => "cur",
        MenuItem::Close => "cls",
        MenuItem::Release => "rel",
        MenuItem::Unassigned => "una",
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
        Button::Noop => "x".into(),
    }
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
        Some(("t", n)) => id(n).map(Button::Take),
        Some(("r", n)) => id(n).map(Button::Release),
        Some(("c", n)) => id(n).map(Button::Close),
        Some(("m", item)) => [
            MenuItem::Current,
            MenuItem::Close,
            MenuItem::Release,
            MenuItem::Unassigned,
        ]
        .into_iter()
        .find(|i| menu_code(*i) == item)
        .map(Button::Menu),
        Some(("u", n)) => num(n).map(|after| Button::Users { after }),
        Some(("U", n)) => id(n).map(|before| Button::UsersBack { before }),
        Some(("h", n)) => num(n).map(|after| Button::History { after }),
        Some(("H", n)) => id(n).map(|before| Button::HistoryBack { before }),
        Some(("hc", n)) => id(n).map(Button::HistoryOf),
        Some(("hl", n)) => id(n).map(Button::ArchiveLast),
        Some(("ha", rest)) => {
            let (customer, before) = rest.split_once(':')?;
            Some(Button::ArchiveList {
                customer: id(customer)?,
                before: num(before)?,
            })
        }
        Some(("as", n)) => id(n).map(Button::ArchiveShow),
        Some(("az", n)) => id(n).map(Button::ArchiveZip),
        None if data == "e" => Some(Button::ChangeEmail),
        None if data == "rs" => Some(Button::ResendCode),
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
            Button::Take(1),
            Button::Release(999_999_999_999),
            Button::Close(7),
            Button::ChangeEmail,
            Button::ResendCode,
            Button::Menu(MenuItem::Unassigned),
            Button::Users { after: 0 },
            Button::UsersBack { before: 77 },
            Button::History { after: 5 },
            Button::HistoryBack { before: 5 },
            Button::HistoryOf(999_999_999_999),
            Button::ArchiveLast(4),
            Button::ArchiveList {
                customer: 999_999_999_999,
                before: 999_999_999_999,
            },
            Button::ArchiveShow(12),
            Button::ArchiveZip(12),
            Button::Noop,
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
        ] {
            assert_eq!(parse(junk), None, "{junk:?}");
        }
        assert_eq!(parse(&"a".repeat(70)), None);
    }
}
