//! The web console (SPEC §8): server-rendered pages on an address of its own, served
//! by the service's process, over HTTP or HTTPS. One router per feature (sign-in,
//! the queue, the files it serves), one [`Error`] type for every answer.
//!
//! What a console user does becomes the same typed `Action` a Telegram user's
//! press or message does, decided and applied by the writer
//! ([`Processor::act`]), so the same rules, notices, figures and audit apply.

mod acting;
mod assets;
mod audit;
mod auth;
mod canned;
mod charts;
mod comm;
mod customers;
mod error;
mod export;
mod extract;
mod limits;
mod live;
mod offers;
mod queue;
mod session;
mod stats;
mod tools;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

pub use error::{Error, Result};
pub use session::Signed;

use crate::config::Config;
use crate::runtime::writer::Processor;

/// How long requests under way may take to finish once the service stops.
const DRAIN: Duration = Duration::from_secs(10);

/// What every handler of the console shares.
#[derive(Clone)]
pub struct Console(Arc<Inner>);

struct Inner {
    processor: Processor,
    limiter: limits::Limiter,
    /// Cancelled when the service stops: live streams end then.
    stop: CancellationToken,
}

impl Console {
    pub fn new(processor: Processor, stop: CancellationToken) -> Console {
        Console(Arc::new(Inner {
            processor,
            limiter: limits::Limiter::default(),
            stop,
        }))
    }

    fn processor(&self) -> &Processor {
        &self.0.processor
    }

    /// The configuration in force (a reload replaces the staff).
    fn config(&self) -> Arc<Config> {
        self.0.processor.live().config()
    }
}

/// Every page and endpoint of the console, with the security headers of SPEC §8.
pub fn router(console: Console) -> Router {
    Router::new()
        .merge(auth::router())
        .merge(queue::router())
        .merge(comm::router())
        .merge(tools::router())
        .merge(audit::router())
        .merge(customers::router())
        .merge(stats::router())
        .merge(export::router())
        .merge(canned::router())
        .merge(assets::router())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(console)
}

/// SPEC §8's headers on every answer, and no caching of pages that show the desk.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, "default-src 'self'"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Serve the console on `listener` until `stop` is cancelled (live streams end
/// then, requests under way get [`DRAIN`] to finish). HTTPS with `tls`.
pub async fn serve(
    console: Console,
    listener: std::net::TcpListener,
    tls: Option<rustls::ServerConfig>,
    stop: CancellationToken,
) -> crate::Result<()> {
    listener
        .set_nonblocking(true)
        .map_err(|e| crate::Error::io("console listener", e))?;
    let address = listener
        .local_addr()
        .map_err(|e| crate::Error::io("console listener", e))?;
    let app = router(console).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            info!(%address, "web console listening (HTTP)");
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| crate::Error::io("console listener", e))?;
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .map_err(|e| crate::Error::io("web console", e))
        }
        Some(tls) => {
            info!(%address, "web console listening (HTTPS)");
            let handle = axum_server::Handle::new();
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(
                axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls)),
            );
            let drain = handle.clone();
            let stopper = tokio::spawn(async move {
                stop.cancelled().await;
                drain.graceful_shutdown(Some(DRAIN));
            });
            let served = axum_server::from_tcp(listener)
                .map_err(|e| crate::Error::io("console listener", e))?
                .acceptor(acceptor)
                .handle(handle)
                .serve(app)
                .await;
            stopper.abort();
            served.map_err(|e| {
                error!(error = %e, "the web console stopped");
                crate::Error::io("web console", e)
            })
        }
    }
}

/// Random bytes from the operating system, in hex.
fn random_hex(bytes: usize) -> Result<String> {
    use ring::rand::SecureRandom;
    let mut buf = vec![0u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| {
            Error::Internal(crate::Error::Task(
                "the system's random number generator failed".into(),
            ))
        })?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Constant-time equality of two tokens.
fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A form's fields (`application/x-www-form-urlencoded`, whatever the request says
/// its type is), at most 64 KiB.
fn form_fields(body: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The largest form body the console reads.
const MAX_FORM: usize = 64 * 1024;

/// A duration for people: "3 min", "2 h 5 min", "45 s".
fn waited(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(super::waited(-5), "0 s");
        assert_eq!(super::waited(59_999), "59 s");
        assert_eq!(super::waited(180_000), "3 min");
        assert_eq!(super::waited(7_500_000), "2 h 5 min");
        assert_eq!(super::waited(90_000_000), "1 d 1 h");
    }

    #[test]
    fn forms_and_tokens() {
        let f = super::form_fields(b"a=1&b=x+y%21&a=2");
        assert_eq!(f["a"], "2");
        assert_eq!(f["b"], "x y!");
        assert!(super::same("ab", "ab") && !super::same("ab", "ac") && !super::same("a", "ab"));
        let t = super::random_hex(32).unwrap();
        assert_eq!(t.len(), 64);
        assert_ne!(t, super::random_hex(32).unwrap());
    }
}
