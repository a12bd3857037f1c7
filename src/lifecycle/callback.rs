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
        }
    }

    pub fn parse(data: &str) -> Option<CallbackData> {
        if data.is_empty() || data.len() > MAX_LEN {
            return None;
        }
        let id = |s: &str| -> Option<i64> {
            if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok().filter(|n| *n > 0)
        };
        match data.split_once(':') {
            Some(("t", n)) => id(n).map(CallbackData::Take),
            Some(("r", n)) => id(n).map(CallbackData::Release),
            Some(("c", n)) => id(n).map(CallbackData::Close),
            None if data == "e" => Some(CallbackData::ChangeEmail),
            None if data == "rs" => Some(CallbackData::ResendCode),
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
