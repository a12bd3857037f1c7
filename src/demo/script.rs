//! The scripted conversation of `relaydesk demo`.
//!
//! [`run`] starts the Bot API emulator and the mail catcher, then the real service
//! (HTTPS webhook, SQLite store, outbox, archive) against them, and plays a help-desk
//! conversation the way Telegram would deliver it: a customer onboards with the code
//! from her mailbox, writes with a photo, a specialist takes the request from the
//! service group, they talk, and the specialist closes it. Every step waits for what
//! the service must do (with a deadline), then lets the outbox settle, so the story
//! records exactly what each party saw after each move.
//!
//! Here: the demo's state, starting and stopping the service. Beside it: `cast` (who
//! is who), `setup` (the folder and the service's configuration), `scenes` (the
//! script itself), `moves` (what people send, as Telegram delivers it), `waiting`
//! (until the service has done its part), `story` (what each party saw) and `text`
//! (messages as people read them).

mod cast;
mod moves;
mod scenes;
mod setup;
mod story;
mod text;
mod waiting;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use relaydesk::config::Config;
use testkit::bot_api::FakeBot;
use testkit::mail_catcher::SmtpSink;

use super::{Error, Result};

/// The photo the customer sends: a small baseline JPEG (160×96) of a parcel-tracking
/// page, drawn in flat 8×8 blocks. The archive must hold these very bytes.
pub const DEMO_PHOTO: &[u8] = include_bytes!("tracking_page.jpg");

/// How long one step may take before the demo gives up and says which step hung.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

const PHOTO_ID: &str = "AgACAgIAAxkBAAIDemoTrackingPage";
const PHOTO_THUMB_ID: &str = "AgACAgIAAxkBAAIDemoTrackingPage-s";

/// What a demo run left behind.
#[derive(Clone, Debug)]
pub struct DemoReport {
    /// The archived communication: `transcript.txt` and `files/`.
    pub archive: PathBuf,
    /// What each party saw, step by step, for people to read.
    pub transcript: String,
}

impl DemoReport {
    /// The files of the archived communication, relative to [`DemoReport::archive`],
    /// sorted.
    pub fn archive_files(&self) -> Vec<PathBuf> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.to_path_buf());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.archive, &self.archive, &mut out);
        out.sort();
        out
    }
}

/// Play the demo in `dir` (created if missing; it must be empty), or in a new
/// temporary folder, which is kept so the archive can be looked at.
pub async fn run(dir: Option<PathBuf>) -> Result<DemoReport> {
    let dir = setup::prepare_dir(dir)?;
    relaydesk::install_crypto_provider();
    let mut demo = Demo::start(dir).await?;
    let played = demo.play().await;
    let stopped = demo.stop().await;
    let archive = played?;
    stopped?;
    Ok(DemoReport {
        archive,
        transcript: demo.story,
    })
}

fn demo_error(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

/// What a person sent, as the story names copies of it.
struct Sent {
    author: &'static str,
    what: String,
}

struct Demo {
    dir: PathBuf,
    db_path: PathBuf,
    archive_root: PathBuf,
    bot: FakeBot,
    mail: SmtpSink,
    webhook: SocketAddr,
    service: Option<JoinHandle<relaydesk::Result<()>>>,
    stop: Option<oneshot::Sender<()>>,
    next_update: i64,
    next_callback: i64,
    /// (chat, message id) of every message a person sent.
    sent: HashMap<(i64, i64), Sent>,
    /// callback_query id → the chat of who pressed.
    presses: HashMap<String, i64>,
    /// (chat, message id) of bot messages that carry buttons.
    with_buttons: HashMap<(i64, i64), bool>,
    story: String,
    step: usize,
    step_title: String,
    calls_seen: usize,
    mails_seen: usize,
}

impl Demo {
    async fn start(dir: PathBuf) -> Result<Demo> {
        relaydesk::http::tls::generate("127.0.0.1", &dir.join("cert"))?;
        std::fs::create_dir_all(dir.join("db"))
            .map_err(|e| Error::io_path("create folder", &dir.join("db"), e))?;
        let bot = FakeBot::try_start()
            .await
            .map_err(|e| Error::io("start the Bot API emulator", e))?;
        let mail = SmtpSink::try_start()
            .await
            .map_err(|e| Error::io("start the mail catcher", e))?;
        let toml = setup::config_toml(&dir, &bot.url, mail.port)?;
        let config = Config::from_toml_str(&toml).map_err(relaydesk::Error::from)?;
        let db_path = config.database.path.clone();
        let archive_root = config.archive.dir.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("listen on 127.0.0.1", e))?;
        let webhook = listener
            .local_addr()
            .map_err(|e| Error::io("listener address", e))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let service = tokio::spawn(relaydesk::app::run_webhook(config, listener, async move {
            let _ = stopped.await;
        }));
        let mut demo = Demo {
            dir,
            db_path,
            archive_root,
            bot,
            mail,
            webhook,
            service: Some(service),
            stop: Some(stop),
            next_update: 1,
            next_callback: 1,
            sent: HashMap::new(),
            presses: HashMap::new(),
            with_buttons: HashMap::new(),
            story: String::new(),
            step: 0,
            step_title: "starting the service".into(),
            calls_seen: 0,
            mails_seen: 0,
        };
        demo.introduce();
        Ok(demo)
    }

    /// Stop the service like SIGTERM does and wait until it has finished.
    async fn stop(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(service) = self.service.take() else {
            return Ok(());
        };
        match tokio::time::timeout(STEP_TIMEOUT, service).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(e)) => Err(demo_error(format!("the service failed: {e}"))),
            Err(_) => Err(demo_error(format!(
                "the service did not stop within {} s",
                STEP_TIMEOUT.as_secs()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_can_run_on_any_runtime_thread() {
        fn send<T: Send>(_: &T) {}
        send(&run(None));
    }

    #[test]
    fn the_photo_is_a_jpeg() {
        assert!(DEMO_PHOTO.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(DEMO_PHOTO.ends_with(&[0xFF, 0xD9]));
    }
}
