//! The checks of `[console]`: its address, its certificate and key, its public URL
//! and its session lifetime.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::problems::Problems;
use crate::config::types::Config;

/// `[console]`: a usable address that is neither the webhook's nor the admin
/// endpoint's, a certificate and a key together or neither, an http(s) public URL,
/// a session lifetime between a minute and 30 days.
pub(super) fn check_console(c: &Config, p: &mut Problems) {
    let k = &c.console;
    let listen = k.listen.trim();
    if !listen.is_empty() {
        match listen.parse::<SocketAddr>() {
            Err(_) => p.push(
                "console.listen",
                format!(
                    "must be host:port like 127.0.0.1:8080 (or empty to turn it off), got {listen:?}"
                ),
            ),
            Ok(addr) => {
                let clash = |other: SocketAddr| {
                    other.port() == addr.port()
                        && (other.ip() == addr.ip()
                            || other.ip().is_unspecified()
                            || addr.ip().is_unspecified())
                };
                if addr.port() != 0 && clash(c.webhook.listen) {
                    p.push(
                        "console.listen",
                        "must not be the webhook's address (webhook.listen)",
                    );
                }
                if let Some(admin) = c.admin.address()
                    && addr.port() != 0
                    && clash(admin)
                {
                    p.push(
                        "console.listen",
                        "must not be the admin endpoint's address (admin.listen)",
                    );
                }
            }
        }
    }
    let cert = !k.tls_cert.as_os_str().is_empty();
    let key = !k.tls_key.as_os_str().is_empty();
    if cert != key {
        let (missing, given) = if cert {
            ("console.tls_key", "console.tls_cert")
        } else {
            ("console.tls_cert", "console.tls_key")
        };
        p.push(
            missing,
            format!("must be set together with {given} (both for HTTPS, neither for HTTP)"),
        );
    }
    let url = k.public_url.trim();
    if !url.is_empty() {
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => p.push(
                "console.public_url",
                format!("must be an http(s) URL like https://desk.example.com, got {url:?}"),
            ),
        }
    }
    p.check(
        "console.session_ttl",
        (Duration::from_secs(60)..=Duration::from_secs(30 * 86_400)).contains(&k.session_ttl),
        || "must be between 1m and 30d".into(),
    );
}

#[cfg(test)]
mod tests {
    use crate::config::testing::*;

    fn console_problems(section: &str) -> Vec<(String, String)> {
        problems(&format!("{MINIMAL}\n[console]\n{section}"))
            .into_iter()
            .filter(|p| p.key.starts_with("console."))
            .map(|p| (p.key, p.message))
            .collect()
    }

    #[test]
    fn the_console_is_off_by_default_and_reads_its_keys() {
        let c = load_ok(MINIMAL);
        assert_eq!(c.console.address(), None);
        assert!(!c.console.https() && !c.console.secure_cookie());
        let c = load_ok(&format!(
            "{MINIMAL}\n[console]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"https://desk.example.com\"\nsession_ttl = \"1h\"\n"
        ));
        assert_eq!(c.console.address(), Some("127.0.0.1:8080".parse().unwrap()));
        assert!(c.console.secure_cookie() && !c.console.https());
        assert_eq!(c.console.session_ttl, std::time::Duration::from_secs(3600));
    }

    #[test]
    fn bad_console_settings_name_their_key() {
        let p = console_problems("listen = \"localhost\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "console.listen");
        let p = console_problems("listen = \"0.0.0.0:8443\"\n");
        assert!(p[0].1.contains("webhook"), "{p:?}");
        let p = console_problems("tls_cert = \"cert/cert.pem\"\n");
        assert_eq!(p[0].0, "console.tls_key");
        let p = console_problems("public_url = \"desk.example.com\"\n");
        assert_eq!(p[0].0, "console.public_url");
        let p = console_problems("session_ttl = \"10s\"\n");
        assert_eq!(p[0].0, "console.session_ttl");
        assert!(
            console_problems("nope = 1\n")
                .iter()
                .any(|p| p.0 == "console.nope")
        );
    }
}
