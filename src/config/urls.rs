//! The URLs of the configuration: `telegram.api_url` and `webhook.public_url`.

use std::net::Ipv6Addr;

/// Ports Telegram delivers webhooks to.
pub const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

/// The parts of an absolute http(s) URL that matter here.
pub(super) struct UrlParts<'a> {
    scheme: String,
    host: &'a str,
    port: Option<u16>,
    /// "" or starting with '/'
    pub(super) path: &'a str,
}

pub(super) fn parse_url(url: &str) -> Result<UrlParts<'_>, String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("must be an absolute URL starting with https://".into());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if tail.contains(['?', '#']) {
        return Err("must not contain a query (?) or fragment (#)".into());
    }
    if authority.contains('@') {
        return Err("must not contain a user name or password".into());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err("has an unclosed [ in its host".into());
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("has an invalid IPv6 address [{host}]"));
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("has junk after its host")?),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("has no host name".into());
    }
    if !authority.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(format!("has an invalid host name {host:?}"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && !p.starts_with('+') => Some(n),
            _ => return Err(format!("has an invalid port {p:?}")),
        },
    };
    Ok(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        host,
        port,
        path: tail,
    })
}

/// The API base URL without a trailing slash.
pub(super) fn check_api_url(url: &str) -> Result<String, String> {
    let u = parse_url(url)?;
    if u.scheme != "http" && u.scheme != "https" {
        return Err(format!("must start with https:// or http://, got {url:?}"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// The host Telegram will connect to, if the URL is usable for a webhook.
pub(super) fn check_public_url(url: &str) -> Result<String, String> {
    let u = parse_url(url)?;
    if u.scheme != "https" {
        return Err(format!(
            "must start with https:// (Telegram only calls HTTPS webhooks), got {url:?}"
        ));
    }
    let port = u.port.unwrap_or(443);
    if !WEBHOOK_PORTS.contains(&port) {
        return Err(format!(
            "port {port} is not allowed by Telegram: use 443, 80, 88 or 8443"
        ));
    }
    if !u
        .path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b))
    {
        return Err(format!(
            "the path {:?} may only contain letters, digits and - . _ ~ /",
            u.path
        ));
    }
    if u.path.contains("//") {
        return Err(format!("the path {:?} must not contain //", u.path));
    }
    Ok(u.host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

    #[test]
    fn webhook_url_problems() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "bot.example.com");
        for (url, fragment) in [
            ("https://bot.example.com:8080/telegram", "port 8080"),
            ("http://bot.example.com/telegram", "https://"),
            ("", "missing"),
            ("https:///telegram", "no host"),
            ("https://bot.example.com/a b", "spaces"),
            ("https://bot.example.com/x?y=1", "query"),
            ("https://bot.example.com/{id}", "path"),
            ("bot.example.com/telegram", "https://"),
        ] {
            c.webhook.public_url = url.to_string();
            let p = c.check_for_webhook();
            assert_eq!(keys(&p), ["webhook.public_url"], "{url}: {p:?}");
            assert!(p[0].message.contains(fragment), "{url}: {}", p[0]);
        }
        for (url, path) in [
            ("https://bot.example.com", "/"),
            ("https://bot.example.com:443/", "/"),
            ("https://bot.example.com:88/hook/x", "/hook/x"),
        ] {
            c.webhook.public_url = url.to_string();
            assert_eq!(c.check_for_webhook(), [], "{url}");
            assert_eq!(c.webhook_path(), path);
        }
    }

    #[test]
    fn ip_address_webhooks() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "203.0.113.7");
        c.webhook.public_url = "https://203.0.113.7:8443/telegram".into();
        assert_eq!(c.check_for_webhook(), []);
        c.webhook.public_url = "https://[2001:db8::1]:8443/telegram".into();
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert"], "{p:?}");
    }

    #[test]
    fn nothing_panics_on_odd_input() {
        let _ = parse_url("https://[");
        let _ = parse_url("https://:");
        let _ = parse_url("://");
    }
}
