//! The mailer against real SMTP servers on 127.0.0.1: the test sink (plain, STARTTLS,
//! implicit TLS) and, for replies the sink never gives, a tiny scripted server.

mod support;

use std::path::Path;
use std::time::Duration;

use relaydesk::config::{Config, SmtpConfig};
use relaydesk::runtime::mail::{Email, MailError, Mailer};
use support::smtp_sink::{Mail, SmtpSink};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "s3cret-Pa55word";

fn smtp_config(host: &str, port: u16, security: &str, extra: &str) -> SmtpConfig {
    let toml = format!(
        "[telegram]\ntoken = \"123:abc\"\n\
         [smtp]\nhost = \"{host}\"\nport = {port}\nsecurity = \"{security}\"\n\
         from = \"Support bot <bot@example.com>\"\ntimeout = \"10s\"\n{extra}"
    );
    match Config::from_toml_str(&toml) {
        Ok(c) => c.smtp,
        Err(e) => panic!("test config:\n{e}"),
    }
}

fn email(to: &str) -> Email {
    Email {
        to: to.into(),
        subject: "Your code".into(),
        body: "Your code is 123456.".into(),
    }
}

/// A self-signed certificate for "localhost": (cert PEM, key PEM).
fn localhost_cert() -> (String, String) {
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    (pair.cert.pem(), pair.signing_key.serialize_pem())
}

fn ca_file_key(dir: &Path, cert_pem: &str) -> String {
    let path = dir.join("smtp-ca.pem");
    std::fs::write(&path, cert_pem).unwrap();
    format!("ca_file = {:?}\n", path.display().to_string())
}

async fn one_mail(sink: &SmtpSink) -> Mail {
    let mut mails = sink.wait_for("one mail", WAIT, |m| !m.is_empty()).await;
    assert_eq!(mails.len(), 1);
    mails.remove(0)
}

#[tokio::test]
async fn plain_smtp_with_login() {
    let sink = SmtpSink::start().await;
    let cfg = smtp_config(
        sink.host(),
        sink.port,
        "none",
        &format!("username = \"bot-user\"\npassword = \"{PASSWORD}\"\n"),
    );
    let mailer = Mailer::new(&cfg).unwrap();
    let debug = format!("{mailer:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(debug.contains("bot-user"), "{debug}");

    mailer.send(&email("customer@example.org")).await.unwrap();
    let mail = one_mail(&sink).await;
    assert_eq!(sink.auth_seen(), ["bot-user"]);
    assert_eq!(mail.auth_user.as_deref(), Some("bot-user"));
    assert!(!mail.encrypted);
    assert_eq!(mail.from, "bot@example.com");
    assert_eq!(mail.to, ["customer@example.org"]);
    assert_eq!(mail.subject().as_deref(), Some("Your code"));
    assert_eq!(mail.body_text(), "Your code is 123456.");
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Support bot\" <bot@example.com>")
    );
    assert_eq!(mail.header("To").as_deref(), Some("customer@example.org"));
    assert!(mail.header("Date").is_some(), "{}", mail.data);
    let id = mail.header("Message-ID").unwrap();
    assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
    assert!(!mail.data.contains(PASSWORD));

    // the same mailer sends again, over a new connection
    mailer.send(&email("other@example.org")).await.unwrap();
    let mails = sink.wait_for("two mails", WAIT, |m| m.len() == 2).await;
    assert_eq!(mails[1].to, ["other@example.org"]);
    assert_ne!(mails[1].header("Message-ID").unwrap(), id);
    assert_eq!(sink.sessions(), 2);
}

#[tokio::test]
async fn no_login_without_a_username() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&smtp_config(sink.host(), sink.port, "none", "")).unwrap();
    mailer.send(&email("customer@example.org")).await.unwrap();
    let mail = one_mail(&sink).await;
    assert_eq!(mail.auth_user, None);
    assert!(sink.auth_seen().is_empty());
}

#[tokio::test]
async fn starttls_with_a_private_ca() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert, key) = localhost_cert();
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start_tls(cert.clone(), key).await;
    let cfg = smtp_config(
        "localhost",
        sink.port,
        "starttls",
        &format!(
            "{}username = \"bot-user\"\npassword = \"{PASSWORD}\"\n",
            ca_file_key(dir.path(), &cert)
        ),
    );
    let mailer = Mailer::new(&cfg).unwrap();
    mailer.send(&email("customer@example.org")).await.unwrap();
    let mail = one_mail(&sink).await;
    assert!(mail.encrypted);
    assert_eq!(mail.auth_user.as_deref(), Some("bot-user"));
    assert_eq!(mail.body_text(), "Your code is 123456.");
}

#[tokio::test]
async fn implicit_tls_with_a_private_ca() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert, key) = localhost_cert();
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start_implicit_tls(cert.clone(), key).await;
    let cfg = smtp_config(
        "localhost",
        sink.port,
        "tls",
        &ca_file_key(dir.path(), &cert),
    );
    let mailer = Mailer::new(&cfg).unwrap();
    mailer.send(&email("customer@example.org")).await.unwrap();
    let mail = one_mail(&sink).await;
    assert!(mail.encrypted);
    assert_eq!(mail.subject().as_deref(), Some("Your code"));
}

#[tokio::test]
async fn tls_trouble_is_transient() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert, key) = localhost_cert();

    // an untrusted (self-signed, no ca_file) certificate
    let sink = SmtpSink::start_tls(cert.clone(), key.clone()).await;
    let mailer = Mailer::new(&smtp_config("localhost", sink.port, "starttls", "")).unwrap();
    let e = mailer
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MailError::Transient(t) if t.contains("TLS") && t.contains("UnknownIssuer")),
        "{e:?}"
    );

    // a certificate for another name than the host connected to
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start_implicit_tls(cert.clone(), key).await;
    let cfg = smtp_config(
        "127.0.0.1",
        sink.port,
        "tls",
        &ca_file_key(dir.path(), &cert),
    );
    let e = Mailer::new(&cfg)
        .unwrap()
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MailError::Transient(t) if t.contains("TLS") && t.contains("not valid for name")),
        "{e:?}"
    );

    // STARTTLS required, but the server does not offer it
    let plain = SmtpSink::start().await;
    let mailer = Mailer::new(&smtp_config(plain.host(), plain.port, "starttls", "")).unwrap();
    let e = mailer
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MailError::Transient(t) if t.contains("STARTTLS")),
        "{e:?}"
    );

    assert!(sink.messages().is_empty() && plain.messages().is_empty());
}

#[tokio::test]
async fn cyrillic_subject_and_body_arrive_intact() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&smtp_config(sink.host(), sink.port, "none", "")).unwrap();
    let subject = "Код подтверждения для входа в службу поддержки «Рога и копыта»";
    let body = "Здравствуйте!\n\nВаш код: 123456. Он действует 10 минут.\n\
                Если вы не запрашивали код, просто проигнорируйте это письмо.\n\
                — Служба поддержки";
    mailer
        .send(&Email {
            to: "customer@example.org".into(),
            subject: subject.into(),
            body: body.into(),
        })
        .await
        .unwrap();
    let mail = one_mail(&sink).await;
    assert_eq!(mail.subject().as_deref(), Some(subject));
    assert_eq!(mail.body_text(), body);
}

#[tokio::test]
async fn a_failing_server_is_transient() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&smtp_config(
        sink.host(),
        sink.port,
        "none",
        &format!("username = \"bot-user\"\npassword = \"{PASSWORD}\"\n"),
    ))
    .unwrap();
    sink.set_failing(true);
    let e = mailer
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    match &e {
        MailError::Transient(text) => {
            assert!(text.contains("451"), "{text}");
            assert!(!text.contains(PASSWORD), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{e:?}").contains(PASSWORD));
    assert!(sink.messages().is_empty());

    sink.set_failing(false);
    mailer.send(&email("customer@example.org")).await.unwrap();
    one_mail(&sink).await;
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = Mailer::new(&smtp_config("127.0.0.1", port, "none", "")).unwrap();
    let e = mailer
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    match e {
        MailError::Transient(text) => {
            assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // Connections complete in the kernel's backlog; nobody ever says hello.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut cfg = smtp_config("127.0.0.1", port, "none", "");
    cfg.timeout = Duration::from_millis(300);
    let mailer = Mailer::new(&cfg).unwrap();
    let e = mailer
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MailError::Transient(t) if t.contains("smtp.timeout")),
        "{e:?}"
    );
    drop(listener);
}

#[tokio::test]
async fn a_recipient_that_does_not_parse_is_permanent() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&smtp_config(sink.host(), sink.port, "none", "")).unwrap();
    for to in ["not an address", "user@", "", "a@b@c"] {
        let e = mailer.send(&email(to)).await.unwrap_err();
        assert!(matches!(e, MailError::Permanent(_)), "{to:?}: {e:?}");
    }
    assert_eq!(
        sink.sessions(),
        0,
        "no connection for an address that does not parse"
    );
}

// ---------------------------------------------------------------------------------
// A scripted server, for the replies the sink never gives
// ---------------------------------------------------------------------------------

/// Speaks just enough SMTP for lettre; `answer(verb)` may override the reply to a
/// command (EHLO, AUTH, MAIL, RCPT, DATA...). Returns the port.
async fn scripted_server(answer: fn(&str) -> Option<&'static str>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let _ = stream.get_mut().write_all(b"220 scripted ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply = match answer(&verb) {
                        Some(reply) => reply,
                        None => match verb.as_str() {
                            "EHLO" => "250-scripted\r\n250 AUTH PLAIN LOGIN",
                            "DATA" => "354 go ahead",
                            "QUIT" => "221 bye",
                            _ => "250 ok",
                        },
                    };
                    let _ = stream
                        .get_mut()
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await;
                    if verb == "QUIT" {
                        return;
                    }
                    if verb == "DATA" && reply.starts_with("354") {
                        // the message, up to the lone dot
                        loop {
                            line.clear();
                            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                        }
                        let _ = stream.get_mut().write_all(b"250 queued\r\n").await;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_refused_recipient_is_permanent() {
    let port = scripted_server(|verb| (verb == "RCPT").then_some("550 5.1.1 no such user")).await;
    let mailer = Mailer::new(&smtp_config("127.0.0.1", port, "none", "")).unwrap();
    let e = mailer.send(&email("nobody@example.org")).await.unwrap_err();
    match e {
        MailError::Permanent(text) => {
            assert!(
                text.contains("550") && text.contains("no such user"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_scripted_server_accepts_mail() {
    let port = scripted_server(|_| None).await;
    let mailer = Mailer::new(&smtp_config("127.0.0.1", port, "none", "")).unwrap();
    mailer.send(&email("someone@example.org")).await.unwrap();
}

#[tokio::test]
async fn a_refused_login_is_transient_and_never_shows_the_password() {
    let port =
        scripted_server(|verb| (verb == "AUTH").then_some("535 5.7.8 authentication failed")).await;
    let cfg = smtp_config(
        "127.0.0.1",
        port,
        "none",
        &format!("username = \"bot-user\"\npassword = \"{PASSWORD}\"\n"),
    );
    let e = Mailer::new(&cfg)
        .unwrap()
        .send(&email("customer@example.org"))
        .await
        .unwrap_err();
    match &e {
        MailError::Transient(text) => {
            assert!(
                text.contains("535") && text.contains("smtp.password"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{e:?} {e}").contains(PASSWORD));
}
