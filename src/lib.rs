//! relaydesk: a Telegram help-desk relay bot.
//!
//! Functional core, imperative shell: [`lifecycle`] decides (pure), [`store`] applies
//! decisions and queues their effects in one SQLite transaction, and the workers
//! ([`outbox`], [`poller`], the [`webhook`]) move bytes.

pub mod app;
pub mod archive;
pub mod certs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod disk;
pub mod error;
pub mod ingest;
pub mod lifecycle;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod outbox;
pub mod poller;
pub mod shutdown;
pub mod split;
pub mod store;
pub mod telegram;
pub mod texts;
pub mod timers;
pub mod webhook;

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
