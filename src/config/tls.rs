//! The certificate and key files: `webhook.tls_cert`, `webhook.tls_key` and
//! `smtp.ca_file`.

use std::io::Read;
use std::path::Path;

use super::problems::Problems;

/// Files read by [`Config::check_for_webhook`](super::Config::check_for_webhook) larger
/// than this are not PEM files.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let not_found_hint = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "cannot read {shown}: {e}; `relaydesk gen-cert --host HOST` creates a \
                 self-signed certificate and key"
            )
        } else {
            format!("cannot read {shown}: {e}")
        }
    };
    if path.as_os_str().is_empty() {
        return Err("must not be empty".into());
    }
    let meta = std::fs::metadata(path).map_err(not_found_hint)?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(not_found_hint)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(format!("{shown} is larger than 1 MiB: not a PEM file"));
    }
    Ok(bytes)
}

fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { .. } => "a PEM section has no END line".into(),
        E::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed".into(),
        other => other.to_string(),
    }
}

/// `smtp.ca_file`: a readable PEM file of CA certificates rustls accepts as roots.
pub(super) fn check_ca_file(path: &Path) -> Result<(), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    if meta.len() > MAX_PEM_BYTES {
        return Err(format!("{shown} is larger than 1 MiB: not a PEM file"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{shown} is not a valid PEM file: {}", pem_error(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{shown} holds no certificate (a PEM \"BEGIN CERTIFICATE\" block)"
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("a certificate in {shown} cannot be used: {e}"))?;
    }
    Ok(())
}

pub(super) fn check_tls_files(
    cert_path: &Path,
    key_path: &Path,
    host: Option<&str>,
    p: &mut Problems,
) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

    const CERT: &str = "webhook.tls_cert";
    const KEY: &str = "webhook.tls_key";

    let certs: Option<Vec<CertificateDer<'static>>> = match read_small(cert_path) {
        Err(e) => {
            p.push(CERT, e);
            None
        }
        Ok(bytes) => match CertificateDer::pem_slice_iter(&bytes).collect::<Result<Vec<_>, _>>() {
            Err(e) => {
                p.push(
                    CERT,
                    format!(
                        "{} is not a valid PEM file: {}",
                        cert_path.display(),
                        pem_error(&e)
                    ),
                );
                None
            }
            Ok(certs) if certs.is_empty() => {
                p.push(
                    CERT,
                    format!(
                        "{} holds no certificate (a PEM \"BEGIN CERTIFICATE\" block)",
                        cert_path.display()
                    ),
                );
                None
            }
            Ok(certs) => Some(certs),
        },
    };

    // The first certificate must parse and name the public host.
    let mut certs_ok = certs;
    if let Some(first) = certs_ok.as_ref().and_then(|c| c.first()) {
        match rustls::server::ParsedCertificate::try_from(first) {
            Err(e) => {
                p.push(
                    CERT,
                    format!(
                        "the certificate in {} cannot be parsed: {e}",
                        cert_path.display()
                    ),
                );
                certs_ok = None;
            }
            Ok(parsed) => {
                if let Some(host) = host
                    && let Ok(name) = ServerName::try_from(host)
                    && let Err(e) = rustls::client::verify_server_name(&parsed, &name)
                {
                    p.push(
                        CERT,
                        format!(
                            "the certificate in {} is not valid for {host}, the host of \
                             webhook.public_url ({e})",
                            cert_path.display()
                        ),
                    );
                }
            }
        }
    }

    let key = match read_small(key_path) {
        Err(e) => {
            p.push(KEY, e);
            None
        }
        Ok(bytes) => match PrivateKeyDer::from_pem_slice(&bytes) {
            Ok(key) => Some(key),
            Err(rustls::pki_types::pem::Error::NoItemsFound) => {
                p.push(
                    KEY,
                    format!(
                        "{} holds no private key (a PEM \"BEGIN PRIVATE KEY\" block)",
                        key_path.display()
                    ),
                );
                None
            }
            Err(e) => {
                p.push(
                    KEY,
                    format!(
                        "{} is not a valid PEM file: {}",
                        key_path.display(),
                        pem_error(&e)
                    ),
                );
                None
            }
        },
    };

    let Some(key) = key else { return };
    let provider = rustls::crypto::ring::default_provider();
    let signing_key = match provider.key_provider.load_private_key(key) {
        Ok(k) => k,
        Err(e) => {
            p.push(
                KEY,
                format!("the key in {} cannot be used: {e}", key_path.display()),
            );
            return;
        }
    };
    if let Some(certs) = certs_ok {
        let certified = rustls::sign::CertifiedKey::new(certs, signing_key);
        if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
            certified.keys_match()
        {
            p.push(
                KEY,
                format!(
                    "the key in {} does not belong to the certificate in {}",
                    key_path.display(),
                    cert_path.display()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::config::testing::*;

    #[test]
    fn a_valid_certificate_and_key_pass() {
        let dir = tempfile::tempdir().unwrap();
        let c = webhook_config(dir.path(), "bot.example.com");
        assert_eq!(c.check_for_webhook(), []);
    }

    #[test]
    fn webhook_secret_and_file_problems() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "bot.example.com");
        c.webhook.secret_token = Secret::default();
        c.webhook.tls_cert = dir.path().join("missing.pem");
        let p = c.check_for_webhook();
        assert_eq!(
            keys(&p),
            ["webhook.secret_token", "webhook.tls_cert"],
            "{p:?}"
        );
        assert!(p[1].message.contains("missing.pem"), "{}", p[1]);

        // not PEM at all
        let mut c = webhook_config(dir.path(), "bot.example.com");
        c.webhook.tls_cert = write(dir.path(), "junk.pem", "hello");
        c.webhook.tls_key = c.webhook.tls_cert.clone();
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert", "webhook.tls_key"], "{p:?}");

        // the key of another certificate, and a certificate for another host
        let other = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "other.example.org");
        c.webhook.tls_key = webhook_config(other.path(), "bot.example.com")
            .webhook
            .tls_key;
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert", "webhook.tls_key"], "{p:?}");
        assert!(
            p[0].message.contains("not valid for bot.example.com"),
            "{}",
            p[0]
        );
        assert!(p[1].message.contains("does not belong"), "{}", p[1]);

        // swapped files
        let mut c = webhook_config(dir.path(), "bot.example.com");
        std::mem::swap(&mut c.webhook.tls_cert, &mut c.webhook.tls_key);
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert", "webhook.tls_key"], "{p:?}");
    }

    #[test]
    fn smtp_ca_file() {
        let dir = tempfile::tempdir().unwrap();
        let with = |path: &Path| {
            MINIMAL.replace(
                "host = \"smtp.example.com\"",
                &format!(
                    "host = \"smtp.example.com\"\nca_file = {:?}",
                    path.display().to_string()
                ),
            )
        };
        let pair = rcgen::generate_simple_self_signed(vec!["smtp.example.com".into()]).unwrap();
        let good = write(dir.path(), "ca.pem", &pair.cert.pem());
        assert_eq!(load_ok(&with(&good)).smtp.ca_file, Some(good.clone()));
        assert_eq!(load_ok(&with(Path::new(""))).smtp.ca_file, None);

        let key = write(dir.path(), "key.pem", &pair.signing_key.serialize_pem());
        let junk = write(
            dir.path(),
            "junk.pem",
            "-----BEGIN CERTIFICATE-----\nnope\n",
        );
        let garbage = write(
            dir.path(),
            "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        for (path, fragment) in [
            (dir.path().join("missing.pem"), "cannot read"),
            (dir.path().to_path_buf(), "not a regular file"),
            (key, "holds no certificate"),
            (junk, "not a valid PEM file"),
            (garbage, "cannot be used"),
        ] {
            let p = problems(&with(&path));
            assert_eq!(keys(&p), ["smtp.ca_file"], "{p:?}");
            assert!(p[0].message.contains(fragment), "{}", p[0]);
        }
    }
}
