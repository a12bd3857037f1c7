//! The Telegram adapter, everything that speaks the Bot API: reading updates into
//! typed actions ([`update`], button data in [`callback`]), the wire format of the
//! core's typed messages ([`wire`]: [`Outgoing`](crate::domain::Outgoing) → a
//! [`Call`]), and the HTTP client with Telegram's error classes ([`BotApi`],
//! [`ApiError`]).

mod call;
pub mod callback;
mod client;
pub mod update;
pub mod wire;

pub use call::{Call, ParseMode};
pub use client::{ApiError, BotApi};

/// The update kinds the bot asks Telegram for (`allowed_updates`).
pub const ALLOWED_UPDATES: &[&str] = &[
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
];

/// An error text with any URL cut out: Bot API URLs carry the token.
pub fn without_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("http") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || c == ')' || c == '"')
            .unwrap_or(tail.len());
        out.push_str("<url>");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_are_cut_from_errors() {
        assert_eq!(
            super::without_url(
                "error sending request for url (https://api.telegram.org/bot1:SECRET/sendMessage): timeout"
            ),
            "error sending request for url (<url>): timeout"
        );
    }
}
