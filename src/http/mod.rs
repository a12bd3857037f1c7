//! The HTTP fronts: the Telegram webhook, the local admin endpoints, and the TLS
//! setup they share.

pub mod admin;
pub mod console;
pub mod tls;
pub mod webhook;
