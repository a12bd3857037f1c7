//! The archive's layout on disk: `archive/<customer id>/<communication id>/` with
//! `transcript.txt` and `files/` (kept current by the runtime's archive worker).

use std::path::{Path, PathBuf};

/// The folder of one communication.
pub fn folder(root: &Path, customer: i64, comm: i64) -> PathBuf {
    root.join(customer.to_string()).join(comm.to_string())
}

/// The transcript of a blocked customer's later messages (SPEC §7.5).
pub fn blocked_transcript(root: &Path, customer: i64) -> PathBuf {
    root.join(customer.to_string())
        .join("blocked")
        .join("transcript.txt")
}

/// Telegram's limit for downloads through getFile.
pub const MAX_DOWNLOAD: u64 = 20 * 1024 * 1024;
/// Zip parts stay under this (Telegram takes uploads up to 50 MB).
pub const MAX_ZIP_PART: u64 = 45 * 1024 * 1024;
