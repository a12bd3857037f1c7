//! The mail catcher now lives in the library (`relaydesk::demo::mail_catcher`), where
//! `relaydesk demo` uses it too.

pub use relaydesk::demo::mail_catcher::*;
