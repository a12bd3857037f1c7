//! The URLs of the configuration: `telegram.api_url` and `webhook.public_url`.
//!
//! They are parsed by the `url` crate, as reqwest (and so `setWebhook`) reads them,
//! and then held to a stricter form than WHATWG parsing forgives: what a person
//! writes in a configuration file should mean what it looks like.

use std::cell::RefCell;

use url::{Host, ParseError, SyntaxViolation, Url};

/// Ports Telegram delivers webhooks to.
pub const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

const NOT_ABSOLUTE: &str = "must be an absolute URL starting with https://";

/// An absolute URL with a host and nothing surprising: no spaces or backslashes,
/// exactly `//` after the scheme, no user name or password, no query or fragment,
/// a plain host name (or IP address) and a port other than 0.
pub(super) fn parse_url(text: &str) -> Result<Url, String> {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".into());
    }
    // What WHATWG parsing repairs quietly (`https:host`, `https:///path`, `\` for
    // `/`, `@` in the host part) is reported as a violation: refuse those.
    let violations = RefCell::new(Vec::new());
    let record = |v: SyntaxViolation| violations.borrow_mut().push(v);
    let url = Url::options()
        .syntax_violation_callback(Some(&record))
        .parse(text)
        .map_err(parse_error)?;
    let violations = violations.into_inner();
    if !url.has_authority() {
        // `mailto:x`, `localhost:8443/x` (a scheme "localhost")
        return Err(NOT_ABSOLUTE.into());
    }
    if violations.contains(&SyntaxViolation::ExpectedDoubleSlash) {
        let after_scheme = text.get(url.scheme().len() + 1..).unwrap_or("");
        return Err(if after_scheme.starts_with("//") {
            "has no host name".into()
        } else {
            NOT_ABSOLUTE.into()
        });
    }
    if violations.contains(&SyntaxViolation::Backslash) {
        return Err("must not contain a backslash (\\)".into());
    }
    if violations.iter().any(|v| {
        matches!(
            v,
            SyntaxViolation::EmbeddedCredentials | SyntaxViolation::UnencodedAtSign
        )
    }) || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("must not contain a user name or password".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not contain a query (?) or fragment (#)".into());
    }
    match url.host() {
        None | Some(Host::Domain("")) => return Err("has no host name".into()),
        Some(Host::Domain(name))
            if !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') =>
        {
            return Err(format!("has an invalid host name {name:?}"));
        }
        _ => {}
    }
    if url.port() == Some(0) {
        return Err("has an invalid port \"0\"".into());
    }
    Ok(url)
}

fn parse_error(e: ParseError) -> String {
    match e {
        ParseError::RelativeUrlWithoutBase => NOT_ABSOLUTE.into(),
        ParseError::EmptyHost => "has no host name".into(),
        ParseError::InvalidPort => "has an invalid port".into(),
        ParseError::InvalidIpv4Address => "has an invalid IPv4 address".into(),
        ParseError::InvalidIpv6Address => "has an invalid IPv6 address".into(),
        ParseError::IdnaError | ParseError::InvalidDomainCharacter => {
            "has an invalid host name".into()
        }
        other => format!("is not a valid URL ({other})"),
    }
}

/// The host to check the certificate against: a name, or an IP address without the
/// brackets of an IPv6 one.
fn host_name(url: &Url) -> String {
    match url.host() {
        Some(Host::Ipv6(address)) => address.to_string(),
        Some(host) => host.to_string(),
        None => String::new(),
    }
}

/// The path as written (the parsed one is percent-encoded and has `.` segments
/// resolved), for messages. Only for a URL `parse_url` accepted: `scheme://`, then
/// a host part without `/`, then the path.
fn written_path<'a>(text: &'a str, url: &Url) -> &'a str {
    let after_slashes = text.get(url.scheme().len() + 3..).unwrap_or("");
    after_slashes
        .find('/')
        .map_or("", |start| &after_slashes[start..])
}

/// The API base URL without a trailing slash.
pub(super) fn check_api_url(text: &str) -> Result<String, String> {
    let url = parse_url(text)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must start with https:// or http://, got {text:?}"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// The host Telegram will connect to, if the URL is usable for a webhook.
pub(super) fn check_public_url(text: &str) -> Result<String, String> {
    let url = parse_url(text)?;
    if url.scheme() != "https" {
        return Err(format!(
            "must start with https:// (Telegram only calls HTTPS webhooks), got {text:?}"
        ));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    if !WEBHOOK_PORTS.contains(&port) {
        return Err(format!(
            "port {port} is not allowed by Telegram: use 443, 80, 88 or 8443"
        ));
    }
    let path = url.path();
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b))
    {
        return Err(format!(
            "the path {:?} may only contain letters, digits and - . _ ~ /",
            written_path(text, &url)
        ));
    }
    if path.contains("//") {
        return Err(format!(
            "the path {:?} must not contain //",
            written_path(text, &url)
        ));
    }
    Ok(host_name(&url))
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

    #[test]
    fn what_url_parsing_would_forgive_is_refused() {
        for (url, fragment) in [
            ("https:bot.example.com/telegram", "https://"),
            ("https:/bot.example.com/telegram", "https://"),
            ("mailto:bot@example.com", "https://"),
            ("https://user:secret@bot.example.com/telegram", "user name"),
            ("https://@bot.example.com/telegram", "user name"),
            ("https://bot.example.com\\telegram", "backslash"),
            ("https://bot.example.com/#", "fragment"),
            ("https://bot.example.com:0/telegram", "port"),
            ("https://bot.example.com:99999/telegram", "port"),
            ("https://bot*.example.com/telegram", "host name"),
            ("https://[2001:db8::1/telegram", "IPv6"),
            (
                "https://bot.example.com/\u{e9}t\u{e9}",
                "path \"/\u{e9}t\u{e9}\"",
            ),
            ("https://bot.example.com/a//b", "//"),
        ] {
            let p = check_public_url(url);
            assert!(
                p.as_ref().is_err_and(|e| e.contains(fragment)),
                "{url}: {p:?}"
            );
        }
        assert_eq!(
            check_public_url("https://[2001:db8::1]/telegram").as_deref(),
            Ok("2001:db8::1")
        );
        assert_eq!(
            check_public_url("HTTPS://Bot.Example.COM:8443/Telegram").as_deref(),
            Ok("bot.example.com")
        );
        assert!(check_api_url("localhost:8081").is_err_and(|e| e.contains("https://")));
    }
}
