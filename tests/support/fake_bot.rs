//! The fake Bot API: the testkit's Bot API emulator (`testkit::bot_api`, in
//! crates/testkit), the same one `relaydesk demo` plays against.

pub use testkit::bot_api::*;
