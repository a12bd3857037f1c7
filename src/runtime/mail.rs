//! Outgoing email over SMTP (lettre): the onboarding codes (SPEC §1.1) and the disk
//! alerts (SPEC §4).
//!
//! One [`Mailer`] is built from `[smtp]` at start and shared (it is cheap to clone).
//! lettre is built without its `pool` feature, so every [`Mailer::send`] opens its own
//! connection (TLS, login), sends one message and says QUIT: the mails are rare, and a
//! connection never goes stale between them.
//!
//! Failures come back as [`MailError::Transient`] (try again later: the server is
//! down, slow, answered 4xx, or TLS or the login failed) or [`MailError::Permanent`]
//! (this message will never go: the recipient does not parse, or the server refused
//! it with 5xx). No error text ever holds the SMTP password.

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;

use crate::config::{Secret, SmtpConfig, SmtpSecurity};

/// One plain-text email.
#[derive(Clone, Debug, PartialEq)]
pub struct Email {
    /// The recipient, `user@example.com` (or `Name <user@example.com>`).
    pub to: String,
    /// Any UTF-8 text; line breaks become spaces.
    pub subject: String,
    /// Plain text, UTF-8.
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MailError {
    /// Worth retrying later: connection refused or reset, timeout, a 4xx reply, TLS
    /// trouble, a failed login (a configuration problem, not the recipient's).
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// This message will never go: a 5xx reply (an unknown recipient...), an address
    /// that does not parse; from [`Mailer::new`], a configuration that cannot work.
    #[error("mail refused: {0}")]
    Permanent(String),
}

/// SMTP replies that mean the login (our configuration) failed, not the message:
/// 530 authentication required, 534 mechanism too weak, 535 credentials invalid,
/// 538 encryption required for the mechanism. Transient, though they are 5xx.
const LOGIN_REPLIES: [u16; 4] = [530, 534, 535, 538];

/// Sends [`Email`]s through the configured SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, for error texts.
    server: String,
    security: SmtpSecurity,
    username: Option<String>,
    /// Only to keep it out of error texts (lettre holds the one that is used).
    password: Option<Secret>,
    timeout: Duration,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("security", &self.security)
            .field("username", &self.username)
            // Secret's Debug prints "***"
            .field("password", &self.password)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Mailer {
    /// The transport for `cfg` (nothing is connected yet). `Permanent` when `smtp.from`
    /// does not parse or `smtp.ca_file` cannot be used: a validated configuration
    /// only fails here if the CA file changed since it was checked.
    pub fn new(cfg: &SmtpConfig) -> Result<Mailer, MailError> {
        let from = cfg.from_mailbox().map_err(|e| {
            MailError::Permanent(format!(
                "smtp.from {:?} is not an email address: {e}",
                cfg.from
            ))
        })?;
        let host = cfg.host.trim().to_string();
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone()).port(cfg.port);
        match cfg.security {
            SmtpSecurity::None => {}
            SmtpSecurity::Starttls => builder = builder.tls(Tls::Required(tls_parameters(cfg)?)),
            SmtpSecurity::Tls => builder = builder.tls(Tls::Wrapper(tls_parameters(cfg)?)),
        }
        if let Some(username) = &cfg.username {
            let password = cfg.password.as_ref().map_or("", Secret::expose);
            builder = builder.credentials(Credentials::new(username.clone(), password.to_string()));
        }
        let transport = builder.timeout(Some(cfg.timeout)).build();
        Ok(Mailer {
            transport,
            from,
            server: format!("{host}:{}", cfg.port),
            security: cfg.security,
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            timeout: cfg.timeout,
        })
    }

    /// The sender of every email (`smtp.from`).
    pub fn sender(&self) -> &Mailbox {
        &self.from
    }

    /// Sends one email over a new connection. `smtp.timeout` bounds the whole
    /// exchange: connecting, TLS, login and the message.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build_message(&self.from, email)?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.scrub(classify(&e, &self.server))),
            Err(_) => Err(MailError::Transient(format!(
                "{} did not complete the exchange within {} (smtp.timeout)",
                self.server,
                humantime::format_duration(self.timeout)
            ))),
        }
    }

    /// The password never appears in an error text, whatever a server echoes.
    fn scrub(&self, error: MailError) -> MailError {
        let Some(password) = self.password.as_ref().map(Secret::expose) else {
            return error;
        };
        if password.is_empty() {
            return error;
        }
        match error {
            MailError::Transient(t) => MailError::Transient(t.replace(password, "***")),
            MailError::Permanent(t) => MailError::Permanent(t.replace(password, "***")),
        }
    }
}

/// TLS parameters for `cfg.host`: the webpki roots, plus `smtp.ca_file` if set.
fn tls_parameters(cfg: &SmtpConfig) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(cfg.host.trim().to_string());
    if let Some(path) = &cfg.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            MailError::Permanent(format!("cannot read smtp.ca_file {}: {e}", path.display()))
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| {
            MailError::Permanent(format!(
                "smtp.ca_file {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|e| {
        MailError::Permanent(format!("cannot set up TLS for {}: {e}", cfg.host.trim()))
    })
}

/// The message for `email` from `from`: To, Subject (RFC 2047-encoded when not
/// ASCII), Date, a Message-ID `<random@domain of from>`, and a text/plain UTF-8 body.
/// `Permanent` when the recipient does not parse.
pub fn build_message(from: &Mailbox, email: &Email) -> Result<Message, MailError> {
    let to: Mailbox = email.to.trim().parse().map_err(|e| {
        MailError::Permanent(format!(
            "the recipient {:?} is not an email address: {e}",
            email.to
        ))
    })?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&email.subject))
        .date_now()
        .message_id(Some(message_id(from)))
        .singlepart(SinglePart::plain(email.body.clone()))
        .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))
}

/// Control characters (line breaks above all) become spaces: a header is one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `<24 random letters and digits@domain of from>` (`localhost` for a domain that is
/// not ASCII: a Message-ID must be).
fn message_id(from: &Mailbox) -> String {
    let random: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    let domain = from.email.domain();
    let domain = if !domain.is_empty() && domain.is_ascii() {
        domain
    } else {
        "localhost"
    };
    format!("<{random}@{domain}>")
}

/// What went wrong, as far as the classification is concerned.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cause {
    /// The server answered with this negative reply code.
    Reply(u16),
    Timeout,
    Tls,
    /// Connection refused or reset, a reply that does not parse, STARTTLS not offered...
    Other,
}

fn classify(e: &lettre::transport::smtp::Error, server: &str) -> MailError {
    let rustls_error = rustls_error(e);
    let cause = if let Some(code) = e.status() {
        Cause::Reply(code.into())
    } else if e.is_timeout() {
        Cause::Timeout
    } else if e.is_tls() || rustls_error.is_some() {
        Cause::Tls
    } else {
        Cause::Other
    };
    // For a reply, the source is the server's text; for a TLS failure, rustls's
    // ("invalid peer certificate: UnknownIssuer"); otherwise lettre's own text
    // ("Connection error: Connection refused (os error 111)").
    let detail = match (cause, rustls_error) {
        (Cause::Reply(_), _) => {
            std::error::Error::source(e).map_or_else(String::new, |s| s.to_string())
        }
        (_, Some(tls)) => tls.to_string(),
        _ => e.to_string(),
    };
    classify_cause(cause, &detail, server)
}

/// The rustls error behind `e`, if any (a handshake failure arrives as an
/// `io::Error` wrapping it, whose `source()` skips it).
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && let Some(tls) = rustls_error(inner)
        {
            return Some(tls);
        }
        next = err.source();
    }
    None
}

fn classify_cause(cause: Cause, detail: &str, server: &str) -> MailError {
    match cause {
        Cause::Reply(code) if LOGIN_REPLIES.contains(&code) => MailError::Transient(format!(
            "{server} refused the login: {code} {detail} (check smtp.username and smtp.password)"
        )),
        Cause::Reply(code) if (500..600).contains(&code) => {
            MailError::Permanent(format!("{server} answered {code} {detail}"))
        }
        Cause::Reply(code) => MailError::Transient(format!("{server} answered {code} {detail}")),
        Cause::Timeout => {
            MailError::Transient(format!("{server} did not answer in time: {detail}"))
        }
        Cause::Tls => MailError::Transient(format!("TLS with {server} failed: {detail}")),
        Cause::Other => MailError::Transient(format!("{server}: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str, subject: &str, body: &str) -> Email {
        Email {
            to: to.into(),
            subject: subject.into(),
            body: body.into(),
        }
    }

    fn from() -> Mailbox {
        "Support bot <bot@example.com>".parse().unwrap()
    }

    fn formatted(m: &Message) -> String {
        String::from_utf8(m.formatted()).unwrap()
    }

    fn smtp_config(toml: &str) -> SmtpConfig {
        let text = format!(
            "[telegram]\ntoken = \"123:abc\"\n[smtp]\nhost = \"smtp.example.com\"\n\
             from = \"Support bot <bot@example.com>\"\n{toml}"
        );
        match crate::config::Config::from_toml_str(&text) {
            Ok(c) => c.smtp,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_message_has_every_header() {
        let m = build_message(&from(), &email("user@example.org", "Your code", "Code: 1")).unwrap();
        let text = formatted(&m);
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        for header in [
            "From: \"Support bot\" <bot@example.com>\r\n",
            "To: user@example.org\r\n",
            "Subject: Your code\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
        ] {
            assert!(
                format!("{head}\r\n").contains(header),
                "{header:?} not in\n{head}"
            );
        }
        assert!(head.contains("\r\nDate: "), "{head}");
        let id = head
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap_or_else(|| panic!("no Message-ID in\n{head}"));
        assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
        assert_eq!(id.len(), "<@example.com>".len() + 24, "{id}");
        assert_eq!(body.trim_end(), "Code: 1");

        let envelope = m.envelope();
        assert_eq!(envelope.from().unwrap().to_string(), "bot@example.com");
        assert_eq!(envelope.to().len(), 1);
        assert_eq!(envelope.to()[0].to_string(), "user@example.org");
    }

    #[test]
    fn message_ids_differ() {
        let a = message_id(&from());
        let b = message_id(&from());
        assert_ne!(a, b);
    }

    #[test]
    fn utf8_subject_and_body_are_encoded() {
        let m = build_message(
            &from(),
            &email(
                "user@example.org",
                "Код подтверждения",
                "Ваш код: 123456\nДо встречи",
            ),
        )
        .unwrap();
        let text = formatted(&m);
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
    }

    #[test]
    fn a_subject_stays_one_header() {
        let m = build_message(
            &from(),
            &email("user@example.org", "Hi\r\nBcc: evil@example.net\n", "x"),
        )
        .unwrap();
        let text = formatted(&m);
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            !head.lines().any(|l| l.starts_with("Bcc:")),
            "header injected:\n{head}"
        );
        assert_eq!(m.envelope().to().len(), 1);
        assert_eq!(one_line(" a\r\nb\tc\n"), "a  b c");
    }

    #[test]
    fn a_recipient_that_does_not_parse_is_permanent() {
        for to in ["", "not an address", "a@", "@example.com", "a@b@c", "x <y"] {
            match build_message(&from(), &email(to, "s", "b")) {
                Err(MailError::Permanent(text)) => assert!(text.contains("recipient"), "{text}"),
                other => panic!("{to:?}: {other:?}"),
            }
        }
        assert!(build_message(&from(), &email(" Anna <anna@example.org> ", "s", "b")).is_ok());
    }

    #[test]
    fn replies_are_classified() {
        let s = "smtp.example.com:587";
        assert_eq!(
            classify_cause(Cause::Reply(550), "5.1.1 no such user", s),
            MailError::Permanent("smtp.example.com:587 answered 550 5.1.1 no such user".into())
        );
        assert!(matches!(
            classify_cause(Cause::Reply(552), "", s),
            MailError::Permanent(_)
        ));
        assert!(matches!(
            classify_cause(Cause::Reply(554), "", s),
            MailError::Permanent(_)
        ));
        for code in [421, 450, 451, 452, 454] {
            assert!(
                matches!(
                    classify_cause(Cause::Reply(code), "", s),
                    MailError::Transient(_)
                ),
                "{code}"
            );
        }
        for code in LOGIN_REPLIES {
            match classify_cause(Cause::Reply(code), "bad credentials", s) {
                MailError::Transient(t) => assert!(t.contains("smtp.password"), "{t}"),
                other => panic!("{code}: {other:?}"),
            }
        }
        for cause in [Cause::Timeout, Cause::Tls, Cause::Other] {
            match classify_cause(cause, "detail", s) {
                MailError::Transient(t) => {
                    assert!(t.contains(s) && t.contains("detail"), "{t}")
                }
                other => panic!("{cause:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn error_texts() {
        assert_eq!(
            MailError::Transient("x".into()).to_string(),
            "temporary mail failure: x"
        );
        assert_eq!(
            MailError::Permanent("y".into()).to_string(),
            "mail refused: y"
        );
    }

    #[test]
    fn new_accepts_every_security() {
        for security in ["none", "starttls", "tls"] {
            let cfg = smtp_config(&format!(
                "security = \"{security}\"\nusername = \"bot\"\npassword = \"hunter2-secret\"\n"
            ));
            let mailer = Mailer::new(&cfg).unwrap();
            let debug = format!("{mailer:?}");
            assert!(!debug.contains("hunter2-secret"), "{debug}");
            assert!(debug.contains("***") && debug.contains("bot"), "{debug}");
            assert!(debug.contains("smtp.example.com:587"), "{debug}");
            assert_eq!(mailer.sender().email.to_string(), "bot@example.com");
        }
    }

    #[test]
    fn new_reports_unusable_configuration() {
        let mut cfg = smtp_config("");
        cfg.from = "nobody".into();
        assert!(
            matches!(Mailer::new(&cfg), Err(MailError::Permanent(t)) if t.contains("smtp.from"))
        );

        let dir = tempfile::tempdir().unwrap();
        let mut cfg = smtp_config("");
        cfg.ca_file = Some(dir.path().join("gone.pem"));
        assert!(
            matches!(Mailer::new(&cfg), Err(MailError::Permanent(t)) if t.contains("smtp.ca_file"))
        );
        // not used without TLS
        cfg.security = SmtpSecurity::None;
        assert!(Mailer::new(&cfg).is_ok());
    }

    #[test]
    fn the_password_is_scrubbed() {
        let cfg = smtp_config("username = \"bot\"\npassword = \"hunter2-secret\"\n");
        let mailer = Mailer::new(&cfg).unwrap();
        let e = mailer.scrub(MailError::Permanent("550 who is hunter2-secret?".into()));
        assert_eq!(e, MailError::Permanent("550 who is ***?".into()));
    }

    #[test]
    fn send_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let mailer = Mailer::new(&smtp_config("")).unwrap();
        let e = email("a@example.org", "s", "b");
        assert_send(&mailer.send(&e));
    }
}
