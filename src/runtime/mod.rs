//! The imperative shell's workers: the writer thread every update and result goes
//! through, the outbox sender and its pacing, the mail sender, the timers, the
//! archive worker, the disk monitor, command-list registration and long polling;
//! and the configuration in force, which a reload replaces (`live.rs`).

pub mod archive;
pub mod commands;
pub mod disk;
pub mod live;
pub mod mail;
pub mod mail_sender;
pub mod metrics;
pub mod pacer;
pub mod poller;
pub mod reports;
pub mod retention;
pub mod sender;
pub mod timers;
pub mod wake;
pub mod writer;
pub mod zip;
