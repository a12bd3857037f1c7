//! The Bot API emulator now lives in the library (`relaydesk::demo::bot_api`), where
//! `relaydesk demo` uses it too.

pub use relaydesk::demo::bot_api::*;
