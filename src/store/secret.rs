//! The installation's secret key for the hashes of onboarding codes
//! ([`CodeKey`]): 32 random bytes in a file of its own next to the database,
//! `relaydesk.key`, never in the database itself. Made at the first start, read at
//! every later one. Losing it is harmless (codes pending then simply no longer
//! match, and customers ask for new ones); it only needs to stay private.

use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ring::rand::SecureRandom;
use tracing::{info, warn};

use crate::domain::CodeKey;
use crate::error::{Error, Result};

/// The key file's name, in the database's folder.
pub const KEY_FILE: &str = "relaydesk.key";

/// Where the key of the database at `database` is kept.
pub fn key_path(database: &Path) -> PathBuf {
    match database.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(KEY_FILE),
        _ => PathBuf::from(KEY_FILE),
    }
}

/// The key in the file at `path`, made first (readable by this user only) if there
/// is no such file.
pub fn load_or_create(path: &Path) -> Result<CodeKey> {
    match load(path) {
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let mut bytes = [0u8; CodeKey::LEN];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| {
            Error::io_path(
                "make the code key",
                path,
                io::Error::other("the system's random number generator failed"),
            )
        })?;
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(file) => file,
        // Made by someone else meanwhile: theirs it is.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return load(path),
        Err(e) => return Err(Error::io_path("create the code key", path, e)),
    };
    if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
        // A short key file would stop the next start: leave none.
        let _ = std::fs::remove_file(path);
        return Err(Error::io_path("write the code key", path, e));
    }
    info!(path = %path.display(), "a new key for the onboarding codes was made");
    Ok(CodeKey::new(&bytes))
}

fn load(path: &Path) -> Result<CodeKey> {
    let bytes = std::fs::read(path).map_err(|e| Error::io_path("read the code key", path, e))?;
    let Ok(bytes) = <[u8; CodeKey::LEN]>::try_from(bytes.as_slice()) else {
        return Err(Error::io_path(
            "the code key",
            path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "it holds {} bytes instead of {}: restore it, or remove it to have a new \
                     one made (codes already sent then stop working)",
                    bytes.len(),
                    CodeKey::LEN
                ),
            ),
        ));
    };
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        warn!(
            path = %path.display(),
            mode = %format!("{:o}", meta.permissions().mode() & 0o777),
            "other users have access to the code key; chmod 600 it"
        );
    }
    Ok(CodeKey::new(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;
    use crate::domain::code_hash as hash;

    #[test]
    fn the_key_is_made_private_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir.path().join("relaydesk.sqlite3"));
        assert_eq!(path, dir.path().join("relaydesk.key"));
        let first = load_or_create(&path).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), CodeKey::LEN as u64);
        let on_disk = std::fs::read(&path).unwrap();
        let second = load_or_create(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), on_disk, "not made again");
        assert_eq!(
            hash(&first, CustomerId(1), "123456"),
            hash(&second, CustomerId(1), "123456")
        );
        // Another installation gets another key.
        let other = tempfile::tempdir().unwrap();
        let third = load_or_create(&other.path().join(KEY_FILE)).unwrap();
        assert_ne!(
            hash(&first, CustomerId(1), "123456"),
            hash(&third, CustomerId(1), "123456")
        );
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        for len in [0, 31, 33] {
            std::fs::write(&path, vec![1u8; len]).unwrap();
            let e = load_or_create(&path).unwrap_err().to_string();
            assert!(e.contains(&path.display().to_string()), "{e}");
            assert!(
                e.contains(&format!("holds {len} bytes instead of 32")),
                "{e}"
            );
            // Left as it was.
            assert_eq!(std::fs::read(&path).unwrap().len(), len);
        }
    }

    #[test]
    fn an_unreadable_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: neither readable as a key nor replaceable.
        let path = dir.path().join(KEY_FILE);
        std::fs::create_dir(&path).unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.starts_with("read the code key "), "{e}");
        assert!(e.contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn a_database_in_the_current_folder_has_its_key_there() {
        assert_eq!(key_path(Path::new("x.sqlite3")), PathBuf::from(KEY_FILE));
        assert_eq!(
            key_path(Path::new("/var/lib/relaydesk/db/x.sqlite3")),
            PathBuf::from("/var/lib/relaydesk/db/relaydesk.key")
        );
    }
}
