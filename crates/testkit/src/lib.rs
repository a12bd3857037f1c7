//! A stand-in for Telegram and for an SMTP server, on `127.0.0.1`, with no account
//! and no network: the Bot API emulator ([`bot_api`]) and the mail catcher
//! ([`mail_catcher`]). `relaydesk demo` plays its conversation against them, and the
//! integration tests and the benchmark use them as their fake Bot API and SMTP sink.
//!
//! This crate knows nothing of relaydesk: it fakes the other side of the wire, as
//! the real servers behave, so it depends only on what it speaks (HTTP, TLS, JSON).

pub mod bot_api;
pub mod mail_catcher;
