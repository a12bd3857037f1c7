//! `relaydesk demo`: the whole service on this machine with no Telegram account and
//! no network. The testkit's Bot API emulator (`testkit::bot_api`) and mail catcher
//! (`testkit::mail_catcher`) stand in for Telegram and the SMTP server, and [`script`]
//! plays a scripted conversation through the real webhook, store, outbox and archive.
//! The integration tests use the same emulator and catcher.

pub mod script;
