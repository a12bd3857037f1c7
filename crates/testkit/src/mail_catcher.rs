//! The mail catcher: an SMTP server on `127.0.0.1` that keeps every mail it is given,
//! for `relaydesk demo` and the integration tests.
//!
//! `SmtpSink::try_start()` (or `start()`, which panics, for tests) listens on
//! `127.0.0.1:<port>` and speaks enough ESMTP for
//! lettre's `AsyncSmtpTransport`: greeting, EHLO/HELO, AUTH PLAIN/LOGIN (any
//! credentials accepted, usernames recorded), MAIL/RCPT/DATA with dot-unstuffing,
//! RSET, NOOP, VRFY, QUIT, and STARTTLS when started with `start_tls`.
//! Received mails are kept in order; `Mail::body_text()` decodes the text body.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Largest message accepted (advertised with SIZE).
pub const MAX_SIZE: usize = 35 * 1024 * 1024;

/// One received message.
#[derive(Clone, Debug)]
pub struct Mail {
    /// MAIL FROM address (without angle brackets; empty for the null sender).
    pub from: String,
    /// RCPT TO addresses.
    pub to: Vec<String>,
    /// Raw DATA, dot-unstuffed, CRLF line endings, without the final ".".
    pub data: String,
    /// Whether the session was under TLS (STARTTLS) when DATA was sent.
    pub encrypted: bool,
    /// The username that authenticated in this session, if any.
    pub auth_user: Option<String>,
}

impl Mail {
    /// Unfolded top-level headers, in order, values with RFC 2047 words decoded.
    pub fn headers(&self) -> Vec<(String, String)> {
        let (head, _) = split_head_body(&self.data);
        parse_headers(head)
            .into_iter()
            .map(|(k, v)| (k, decode_words(&v)))
            .collect()
    }

    /// First header with that name (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The decoded Subject header.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }

    /// The decoded text/plain body (the first text/plain part of a multipart mail,
    /// else the first text part): 7bit/8bit, quoted-printable and base64 are decoded,
    /// line endings are "\n" and trailing line breaks are removed.
    pub fn body_text(&self) -> String {
        text_of_entity(&self.data)
            .unwrap_or_default()
            .replace("\r\n", "\n")
            .trim_end_matches(['\r', '\n'])
            .to_owned()
    }
}

#[derive(Default)]
struct Inner {
    messages: Vec<Mail>,
    failing: bool,
    auth_seen: Vec<String>,
    sessions: usize,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
    tls: Option<tokio_rustls::TlsAcceptor>,
    implicit: bool,
}

fn acceptor(cert_pem: &str, key_pem: &str) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("mail catcher: {what}: {e}"),
        )
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| invalid("bad certificate PEM", &e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| invalid("bad private key PEM", &e))?;
    // Explicit ring provider: works whether or not a process default is installed.
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| invalid("protocol versions", &e))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| invalid("certificate/key", &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The mail catcher. The accept loop lives until the runtime shuts down.
pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
}

/// Panics with the error: the `start*` shortcuts are for tests.
fn or_panic(started: std::io::Result<SmtpSink>) -> SmtpSink {
    match started {
        Ok(sink) => sink,
        Err(e) => panic!("mail catcher: {e}"),
    }
}

impl SmtpSink {
    /// Plain SMTP on 127.0.0.1:0.
    pub async fn try_start() -> std::io::Result<SmtpSink> {
        Self::start_inner(None, false).await
    }

    /// Also offers STARTTLS with this certificate chain and private key (PEM), for
    /// lettre's `Tls::Required` / `Tls::Opportunistic` (security = "starttls").
    pub async fn try_start_tls(cert_pem: &str, key_pem: &str) -> std::io::Result<SmtpSink> {
        Self::start_inner(Some(acceptor(cert_pem, key_pem)?), false).await
    }

    /// TLS from the first byte (SMTPS, lettre's `Tls::Wrapper`, security = "tls").
    pub async fn try_start_implicit_tls(
        cert_pem: &str,
        key_pem: &str,
    ) -> std::io::Result<SmtpSink> {
        Self::start_inner(Some(acceptor(cert_pem, key_pem)?), true).await
    }

    /// [`SmtpSink::try_start`] for tests.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> SmtpSink {
        or_panic(Self::try_start().await)
    }

    /// [`SmtpSink::try_start_tls`] for tests.
    ///
    /// # Panics
    /// On a bad certificate or key, or when no local port can be bound.
    pub async fn start_tls(cert_pem: String, key_pem: String) -> SmtpSink {
        or_panic(Self::try_start_tls(&cert_pem, &key_pem).await)
    }

    /// [`SmtpSink::try_start_implicit_tls`] for tests.
    ///
    /// # Panics
    /// On a bad certificate or key, or when no local port can be bound.
    pub async fn start_implicit_tls(cert_pem: String, key_pem: String) -> SmtpSink {
        or_panic(Self::try_start_implicit_tls(&cert_pem, &key_pem).await)
    }

    async fn start_inner(
        tls: Option<tokio_rustls::TlsAcceptor>,
        implicit: bool,
    ) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            changed: Notify::new(),
            tls,
            implicit,
        });
        let accept_shared = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = accept_shared.clone();
                tokio::spawn(async move {
                    let _ = connection(shared, stream).await;
                });
            }
        });
        Ok(SmtpSink { port, shared })
    }

    /// "127.0.0.1".
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// Every mail received so far, in order.
    pub fn messages(&self) -> Vec<Mail> {
        self.shared.lock().messages.clone()
    }

    /// Number of SMTP sessions (connections) accepted so far.
    pub fn sessions(&self) -> usize {
        self.shared.lock().sessions
    }

    /// Waits until `f(all mails)` is true and returns the mails then; on timeout the
    /// error names `what` and summarises every mail.
    pub async fn try_wait_for<F: Fn(&[Mail]) -> bool>(
        &self,
        what: &str,
        timeout: Duration,
        f: F,
    ) -> Result<Vec<Mail>, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let mails = self.messages();
            if f(&mails) {
                return Ok(mails);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let mails = self.messages();
                if f(&mails) {
                    return Ok(mails);
                }
                let mut dump = format!("{} mail(s):\n", mails.len());
                for (i, m) in mails.iter().enumerate() {
                    dump.push_str(&format!(
                        "  #{i} from={:?} to={:?} subject={:?} body={:?}\n",
                        m.from,
                        m.to,
                        m.subject(),
                        m.body_text()
                    ));
                }
                return Err(format!(
                    "mail catcher: timed out after {timeout:?} waiting for: {what}\n{dump}"
                ));
            }
        }
    }

    /// [`SmtpSink::try_wait_for`] for tests.
    ///
    /// # Panics
    /// On timeout, with `what` and a summary of every mail.
    pub async fn wait_for<F: Fn(&[Mail]) -> bool>(
        &self,
        what: &str,
        timeout: Duration,
        f: F,
    ) -> Vec<Mail> {
        match self.try_wait_for(what, timeout, f).await {
            Ok(mails) => mails,
            Err(e) => panic!("{e}"),
        }
    }

    /// While true, MAIL FROM is answered `451 4.3.0 temporary failure`.
    pub fn set_failing(&self, failing: bool) {
        self.shared.lock().failing = failing;
    }

    /// Usernames from AUTH PLAIN / AUTH LOGIN, in order.
    pub fn auth_seen(&self) -> Vec<String> {
        self.shared.lock().auth_seen.clone()
    }
}

// ---------------------------------------------------------------------------
// Protocol
// ---------------------------------------------------------------------------

enum SessionEnd {
    Closed,
    StartTls,
}

const GREETING: &[u8] = b"220 localhost ESMTP relaydesk-mail-catcher\r\n";

async fn connection(shared: Arc<Shared>, stream: TcpStream) -> std::io::Result<()> {
    shared.lock().sessions += 1;
    if shared.implicit {
        let Some(acceptor) = shared.tls.clone() else {
            return Ok(());
        };
        let mut reader = BufReader::new(acceptor.accept(stream).await?);
        reader.get_mut().write_all(GREETING).await?;
        reader.get_mut().flush().await?;
        return session(&shared, &mut reader, true).await.map(|_| ());
    }
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(GREETING).await?;
    match session(&shared, &mut reader, false).await? {
        SessionEnd::Closed => Ok(()),
        SessionEnd::StartTls => {
            let Some(acceptor) = shared.tls.clone() else {
                return Ok(());
            };
            // Anything pipelined after STARTTLS is discarded (RFC 3207).
            let stream = reader.into_inner();
            let tls = acceptor.accept(stream).await?;
            let mut reader = BufReader::new(tls);
            session(&shared, &mut reader, true).await.map(|_| ())
        }
    }
}

#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
}

async fn reply<S: AsyncWrite + Unpin>(s: &mut S, text: &str) -> std::io::Result<()> {
    s.write_all(text.as_bytes()).await?;
    s.write_all(b"\r\n").await?;
    s.flush().await
}

/// Reads one line (without CRLF); None at EOF.
async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut BufReader<S>,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = r.read_until(b'\n', &mut buf).await?;
    if n == 0 {
        return Ok(None);
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn address_arg(arg: &str, prefix: &str) -> Option<String> {
    let rest = arg.get(..prefix.len())?;
    if !rest.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let addr = if let Some(stripped) = rest.strip_prefix('<') {
        stripped.split('>').next()?.to_owned()
    } else {
        rest.split_whitespace().next().unwrap_or("").to_owned()
    };
    Some(addr)
}

fn auth_plain_user(b64: &str) -> Option<String> {
    let raw = base64_decode(b64)?;
    let mut parts = raw.split(|b| *b == 0);
    let _authzid = parts.next()?;
    let authcid = parts.next()?;
    let _password = parts.next()?;
    Some(String::from_utf8_lossy(authcid).into_owned())
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared,
    r: &mut BufReader<S>,
    encrypted: bool,
) -> std::io::Result<SessionEnd> {
    let mut greeted = false;
    let mut tx = Transaction::default();
    let mut auth_user: Option<String> = None;
    loop {
        let Some(line) = read_line(r).await? else {
            return Ok(SessionEnd::Closed);
        };
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_owned()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let w = r.get_mut();
        match verb.as_str() {
            "EHLO" => {
                greeted = true;
                tx = Transaction::default();
                let mut lines = vec![
                    "localhost greets you".to_owned(),
                    "PIPELINING".to_owned(),
                    format!("SIZE {MAX_SIZE}"),
                    "8BITMIME".to_owned(),
                    "SMTPUTF8".to_owned(),
                    "ENHANCEDSTATUSCODES".to_owned(),
                    "AUTH PLAIN LOGIN".to_owned(),
                ];
                if shared.tls.is_some() && !encrypted {
                    lines.push("STARTTLS".to_owned());
                }
                let last = lines.len() - 1;
                let mut text = String::new();
                for (i, l) in lines.iter().enumerate() {
                    let sep = if i == last { ' ' } else { '-' };
                    text.push_str(&format!("250{sep}{l}\r\n"));
                }
                w.write_all(text.as_bytes()).await?;
                w.flush().await?;
            }
            "HELO" => {
                greeted = true;
                tx = Transaction::default();
                reply(w, "250 localhost").await?;
            }
            "STARTTLS" => {
                if shared.tls.is_none() || encrypted {
                    reply(w, "502 5.5.1 STARTTLS not available").await?;
                } else {
                    reply(w, "220 2.0.0 Ready to start TLS").await?;
                    return Ok(SessionEnd::StartTls);
                }
            }
            "AUTH" => {
                if !greeted {
                    reply(w, "503 5.5.1 Error: send HELO/EHLO first").await?;
                    continue;
                }
                if auth_user.is_some() {
                    reply(w, "503 5.5.1 Error: already authenticated").await?;
                    continue;
                }
                let mut parts = arg.split_whitespace();
                let mech = parts.next().unwrap_or("").to_ascii_uppercase();
                let initial = parts.next().map(str::to_owned);
                let user = match mech.as_str() {
                    "PLAIN" => {
                        let resp = match initial {
                            Some(i) => Some(i),
                            None => {
                                reply(r.get_mut(), "334 ").await?;
                                read_line(r).await?
                            }
                        };
                        resp.filter(|s| s != "*").and_then(|s| auth_plain_user(&s))
                    }
                    "LOGIN" => {
                        let user_b64 = match initial {
                            Some(i) => Some(i),
                            None => {
                                reply(r.get_mut(), "334 VXNlcm5hbWU6").await?;
                                read_line(r).await?
                            }
                        };
                        match user_b64.filter(|s| s != "*") {
                            Some(u) => {
                                reply(r.get_mut(), "334 UGFzc3dvcmQ6").await?;
                                let pass = read_line(r).await?;
                                match pass.filter(|s| s != "*") {
                                    Some(_) => base64_decode(&u)
                                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                                    None => None,
                                }
                            }
                            None => None,
                        }
                    }
                    _ => {
                        reply(r.get_mut(), "504 5.5.4 Unrecognized authentication type").await?;
                        continue;
                    }
                };
                let w = r.get_mut();
                match user {
                    Some(u) => {
                        shared.lock().auth_seen.push(u.clone());
                        auth_user = Some(u);
                        reply(w, "235 2.7.0 Authentication successful").await?;
                    }
                    None => reply(w, "501 5.5.2 Authentication failed: cannot decode").await?,
                }
                shared.changed.notify_waiters();
            }
            "MAIL" => {
                if shared.lock().failing {
                    reply(w, "451 4.3.0 temporary failure").await?;
                } else if !greeted {
                    reply(w, "503 5.5.1 Error: send HELO/EHLO first").await?;
                } else if tx.from.is_some() {
                    reply(w, "503 5.5.1 Error: nested MAIL command").await?;
                } else {
                    match address_arg(&arg, "FROM:") {
                        Some(a) => {
                            tx.from = Some(a);
                            reply(w, "250 2.1.0 Ok").await?;
                        }
                        None => reply(w, "501 5.5.4 Syntax: MAIL FROM:<address>").await?,
                    }
                }
            }
            "RCPT" => {
                if tx.from.is_none() {
                    reply(w, "503 5.5.1 Error: need MAIL command").await?;
                } else {
                    match address_arg(&arg, "TO:") {
                        Some(a) if !a.is_empty() => {
                            tx.to.push(a);
                            reply(w, "250 2.1.5 Ok").await?;
                        }
                        _ => reply(w, "501 5.5.4 Syntax: RCPT TO:<address>").await?,
                    }
                }
            }
            "DATA" => {
                if tx.from.is_none() {
                    reply(w, "503 5.5.1 Error: need MAIL command").await?;
                    continue;
                }
                if tx.to.is_empty() {
                    reply(w, "503 5.5.1 Error: need RCPT command").await?;
                    continue;
                }
                reply(w, "354 End data with <CR><LF>.<CR><LF>").await?;
                let mut data = Vec::new();
                loop {
                    let mut buf = Vec::new();
                    if r.read_until(b'\n', &mut buf).await? == 0 {
                        return Ok(SessionEnd::Closed);
                    }
                    if buf == b".\r\n" || buf == b".\n" {
                        break;
                    }
                    let line = if buf.first() == Some(&b'.') {
                        &buf[1..]
                    } else {
                        &buf[..]
                    };
                    data.extend_from_slice(line);
                }
                let w = r.get_mut();
                if data.len() > MAX_SIZE {
                    reply(w, "552 5.3.4 Message size exceeds fixed limit").await?;
                    tx = Transaction::default();
                    continue;
                }
                let mail = Mail {
                    from: tx.from.take().unwrap_or_default(),
                    to: std::mem::take(&mut tx.to),
                    data: String::from_utf8_lossy(&data).into_owned(),
                    encrypted,
                    auth_user: auth_user.clone(),
                };
                let n = {
                    let mut inner = shared.lock();
                    inner.messages.push(mail);
                    inner.messages.len()
                };
                reply(w, &format!("250 2.0.0 Ok: queued as {n}")).await?;
                shared.changed.notify_waiters();
            }
            "RSET" => {
                tx = Transaction::default();
                reply(w, "250 2.0.0 Ok").await?;
            }
            "NOOP" => reply(w, "250 2.0.0 Ok").await?,
            "VRFY" => reply(w, "252 2.0.0 Cannot VRFY user").await?,
            "QUIT" => {
                reply(w, "221 2.0.0 Bye").await?;
                return Ok(SessionEnd::Closed);
            }
            "" => reply(w, "500 5.5.2 Error: bad syntax").await?,
            _ => reply(w, "502 5.5.2 Error: command not recognized").await?,
        }
    }
}

// ---------------------------------------------------------------------------
// MIME decoding
// ---------------------------------------------------------------------------

fn split_head_body(entity: &str) -> (&str, &str) {
    for sep in ["\r\n\r\n", "\n\n"] {
        if let Some(pos) = entity.find(sep) {
            return (&entity[..pos], &entity[pos + sep.len()..]);
        }
    }
    // Headers only, or a body without headers.
    if entity.starts_with("\r\n") || entity.starts_with('\n') {
        ("", entity.trim_start_matches(['\r', '\n']))
    } else {
        (entity, "")
    }
}

/// Unfolds and splits a header block.
fn parse_headers(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim_start());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A parameter of a structured header, e.g. `boundary` of Content-Type.
fn header_param(value: &str, name: &str) -> Option<String> {
    for part in value.split(';').skip(1) {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            return Some(v.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// The decoded text of an entity: its own body if text/*, or the best part of a
/// multipart (text/plain first).
fn text_of_entity(entity: &str) -> Option<String> {
    let (head, body) = split_head_body(entity);
    let headers = parse_headers(head);
    let ctype = header_value(&headers, "Content-Type").unwrap_or("text/plain");
    let mime = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        let boundary = header_param(ctype, "boundary")?;
        let parts = split_multipart(body, &boundary);
        let plain = parts.iter().find(|p| {
            let (h, _) = split_head_body(p);
            let hs = parse_headers(h);
            let ct = header_value(&hs, "Content-Type").unwrap_or("text/plain");
            let m = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            m == "text/plain" || m.starts_with("multipart/")
        });
        if let Some(t) = plain.and_then(|p| text_of_entity(p)) {
            return Some(t);
        }
        return parts.iter().find_map(|p| text_of_entity(p));
    }
    if !mime.starts_with("text/") {
        return None;
    }
    let cte = header_value(&headers, "Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let bytes = match cte.as_str() {
        "quoted-printable" => qp_decode(body.as_bytes(), false),
        "base64" => base64_decode(body).unwrap_or_default(),
        _ => body.as_bytes().to_vec(),
    };
    let charset = header_param(ctype, "charset")
        .unwrap_or_else(|| "utf-8".into())
        .to_ascii_lowercase();
    Some(decode_charset(&bytes, &charset))
}

fn split_multipart<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    // Skip the preamble.
    let Some(start) = rest.find(&delim) else {
        return parts;
    };
    rest = &rest[start + delim.len()..];
    loop {
        if rest.starts_with("--") {
            break;
        }
        let rest_line = rest.find('\n').map(|p| &rest[p + 1..]).unwrap_or("");
        match rest_line.find(&delim) {
            Some(end) => {
                let part = &rest_line[..end];
                let part = part
                    .strip_suffix("\r\n")
                    .or_else(|| part.strip_suffix('\n'))
                    .unwrap_or(part);
                parts.push(part);
                rest = &rest_line[end + delim.len()..];
            }
            None => {
                parts.push(rest_line);
                break;
            }
        }
    }
    parts
}

fn decode_charset(bytes: &[u8], charset: &str) -> String {
    match charset {
        "iso-8859-1" | "latin1" | "latin-1" | "us-ascii" | "ascii" => {
            bytes.iter().map(|b| char::from(*b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Quoted-printable decoding; `q_encoding` also maps '_' to space (RFC 2047 "Q").
fn qp_decode(input: &[u8], q_encoding: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'=' {
            // Soft line break.
            if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if input.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                input.get(i + 1).and_then(|c| hex(*c)),
                input.get(i + 2).and_then(|c| hex(*c)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
            out.push(b);
        } else if q_encoding && b == b'_' {
            out.push(b' ');
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Standard base64 (whitespace ignored, padding optional); None on bad input.
pub fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in input.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Decodes RFC 2047 encoded words (`=?utf-8?B?...?=`, `=?utf-8?Q?...?=`); whitespace
/// between adjacent encoded words is dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut pending_ws = String::new();
    let mut last_was_word = false;
    while !rest.is_empty() {
        if let Some(start) = rest.find("=?") {
            let (before, after) = rest.split_at(start);
            if let Some((decoded, consumed)) = decode_one_word(after) {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(&pending_ws);
                    out.push_str(before);
                }
                pending_ws.clear();
                out.push_str(&decoded);
                rest = &after[consumed..];
                last_was_word = true;
                // Keep following whitespace aside in case another word follows.
                let ws_len = rest.len() - rest.trim_start().len();
                pending_ws = rest[..ws_len].to_owned();
                rest = &rest[ws_len..];
                continue;
            }
            out.push_str(&pending_ws);
            pending_ws.clear();
            out.push_str(before);
            out.push_str("=?");
            rest = &after[2..];
            last_was_word = false;
        } else {
            out.push_str(&pending_ws);
            pending_ws.clear();
            out.push_str(rest);
            break;
        }
    }
    out.push_str(&pending_ws);
    out
}

/// Decodes one `=?charset?enc?text?=` at the start of `s`; returns the text and the
/// number of bytes consumed.
fn decode_one_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (enc, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    if text.contains(' ') {
        return None;
    }
    let bytes = match enc.to_ascii_uppercase().as_str() {
        "B" => base64_decode(text)?,
        "Q" => qp_decode(text.as_bytes(), true),
        _ => return None,
    };
    let consumed = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
    let charset = charset.split('*').next().unwrap_or("").to_ascii_lowercase();
    Some((decode_charset(&bytes, &charset), consumed))
}
