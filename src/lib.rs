//! relaydesk: a Telegram help-desk relay bot.
//!
//! Functional core, imperative shell, with dependencies pointing one way (see
//! `ARCHITECTURE.md`): [`domain`] decides (pure) ← [`store`] (all SQL) and
//! [`telegram`] (the Bot API adapter) ← [`runtime`] (the workers) ← [`http`] (the
//! webhook and admin fronts) ← [`app`] (assembly and the command line).

pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod runtime;
pub mod store;
pub mod telegram;

pub use error::{Error, Result};

/// Install the one rustls crypto provider this program uses (ring). Safe to call
/// more than once; later calls are no-ops.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Milliseconds since the Unix epoch, the unit every timestamp in the database uses.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
