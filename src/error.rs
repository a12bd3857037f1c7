//! The crate's error type: one enum, each variant with enough context to act on.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration:\n{0}")]
    Config(#[from] crate::config::ConfigErrors),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("Telegram: {0}")]
    Telegram(#[from] crate::telegram::ApiError),
    #[error("certificate generation: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("invariant would break: {0}")]
    Invariant(String),
    #[error("background task failed: {0}")]
    Task(String),
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn io_path(action: &str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::io(format!("{action} {}", path.display()), source)
    }
}

/// Create the parent folder of a file path if it is missing.
pub fn ensure_parent(path: &std::path::Path) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io_path("create folder", parent, e))?;
    }
    Ok(())
}
