//! TLS material: loading the webhook's certificate and key, and generating a
//! self-signed pair (`relaydesk gen-cert`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3) for the webhook.
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::Tls(format!("certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!(
            "certificate {}: no certificate in the file",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::Tls(format!("key {}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A self-signed certificate for `host` (a name or an IP address).
pub struct SelfSigned {
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn self_signed(host: &str) -> Result<SelfSigned> {
    let mut params = rcgen::CertificateParams::new(vec![host.to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, host);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Write `cert.pem` and `key.pem` (mode 0600) for `host` into `dir`.
pub fn generate(host: &str, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let pair = self_signed(host)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create folder", dir, e))?;
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    write_file(&cert_path, pair.cert_pem.as_bytes(), 0o644)?;
    write_file(&key_path, pair.key_pem.as_bytes(), 0o600)?;
    Ok((cert_path, key_path))
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|e| Error::io_path("create", path, e))?;
    #[cfg(unix)]
    {
        // An existing file keeps its old mode on open: set it explicitly.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io_path("set permissions of", path, e))?;
    }
    file.write_all(bytes)
        .map_err(|e| Error::io_path("write", path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_loads_and_key_is_private() {
        crate::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = generate("127.0.0.1", dir.path()).unwrap();
        server_config(&cert, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let dns = generate("bot.example.com", &dir.path().join("b")).unwrap();
        server_config(&dns.0, &dns.1).unwrap();
    }

    #[test]
    fn missing_or_bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a pem").unwrap();
        let err = server_config(&junk, &junk).unwrap_err().to_string();
        assert!(err.contains("junk.pem"), "{err}");
        let err = server_config(&dir.path().join("none.pem"), &junk)
            .unwrap_err()
            .to_string();
        assert!(err.contains("none.pem"), "{err}");
    }
}
