//! `spawn_app()`: the real service on a random port, with its own temporary folder
//! (database, archive, TLS certificate from rcgen), talking to a fake Bot API; and an
//! HTTPS client that posts updates with the secret header.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relaydesk::config::Config;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::fake_bot::FakeBot;

pub const SECRET: &str = "test-secret_TOKEN-123";
pub const WEBHOOK_PATH: &str = "/telegram";

/// Logs of the service in this process go to the test's output (shown on failure);
/// `RUST_LOG` picks the level (default: warnings).
pub fn init_test_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// How long a test waits for something that should happen promptly.
pub const PROMPTLY: Duration = Duration::from_secs(20);

/// The files of one service instance, kept across restarts.
pub struct Files {
    pub dir: tempfile::TempDir,
    pub cert_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub db_path: PathBuf,
    pub archive_dir: PathBuf,
}

impl Files {
    pub fn new() -> Arc<Files> {
        relaydesk::install_crypto_provider();
        init_test_logging();
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert_path, key_path) =
            relaydesk::http::tls::generate("127.0.0.1", &dir.path().join("cert")).expect("cert");
        let cert_pem = std::fs::read_to_string(&cert_path).expect("read cert");
        let db_path = dir.path().join("db").join("relaydesk.sqlite3");
        let archive_dir = dir.path().join("archive");
        Arc::new(Files {
            dir,
            cert_pem,
            cert_path,
            key_path,
            db_path,
            archive_dir,
        })
    }

    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.db_path).expect("open db");
        conn.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        conn
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }
}

/// Knobs of a test instance.
#[derive(Clone, Debug)]
pub struct Options {
    /// Keep Telegram's real limits (else they are lifted, for speed).
    pub real_limits: bool,
    pub request_timeout: String,
    /// Long-poll timeout (must stay under `request_timeout`).
    pub poll_timeout: String,
    pub smtp_port: u16,
    /// More TOML appended to the configuration (e.g. `[[specialists]]`).
    pub extra: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            real_limits: false,
            request_timeout: "2s".into(),
            poll_timeout: "1s".into(),
            smtp_port: 2525,
            extra: String::new(),
        }
    }
}

/// The configuration of a test instance as TOML.
pub fn config_toml(files: &Files, api_url: &str, options: &Options) -> String {
    let limits = if options.real_limits {
        "global_per_second = 30\nper_chat_per_second = 1\nper_group_per_minute = 20"
    } else {
        "global_per_second = 0\nper_chat_per_second = 0\nper_group_per_minute = 0"
    };
    format!(
        r#"
[telegram]
token = "{token}"
api_url = "{api_url}"
request_timeout = "{timeout}"
poll_timeout = "{poll_timeout}"

[webhook]
listen = "127.0.0.1:0"
public_url = "https://127.0.0.1:8443{path}"
secret_token = "{secret}"
tls_cert = "{cert}"
tls_key = "{key}"
upload_certificate = true
max_connections = 40

[database]
path = "{db}"

[archive]
dir = "{archive}"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Support bot <bot@example.com>"

[limits]
{limits}

[texts]
locale = "en"

[admin]
listen = ""

{extra}
"#,
        token = super::fake_bot::TOKEN,
        timeout = options.request_timeout,
        poll_timeout = options.poll_timeout,
        path = WEBHOOK_PATH,
        secret = SECRET,
        cert = files.cert_path.display(),
        key = files.key_path.display(),
        db = files.db_path.display(),
        archive = files.archive_dir.display(),
        smtp_port = options.smtp_port,
        // `@CERT@` / `@KEY@` in the extra TOML: the instance's certificate and key.
        extra = extra(&options.extra)
            .replace("@CERT@", &files.cert_path.display().to_string())
            .replace("@KEY@", &files.key_path.display().to_string()),
    )
}

/// The extra TOML, with the daily report off unless a test sets its time (it would
/// otherwise reach the controllers at start on every run after 18:00).
fn extra(extra: &str) -> String {
    if extra.contains("[reports]") {
        extra.to_string()
    } else {
        format!("{extra}\n[reports]\ndaily_at = \"\"\n")
    }
}

/// An HTTPS client that trusts the instance's self-signed certificate.
pub fn https_client(cert_pem: &str) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("cert pem");
    reqwest::Client::builder()
        .add_root_certificate(cert)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The service running in this process.
pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    /// The health and metrics endpoint (plain HTTP on loopback).
    pub admin_url: String,
    /// The web console (its own listener; plain HTTP unless `[console]` sets TLS).
    pub console_url: String,
    pub client: reqwest::Client,
    pub files: Arc<Files>,
    pub config: Config,
    api_url: String,
    options: Options,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<relaydesk::Result<()>>>,
}

pub async fn spawn_app(fake: &FakeBot) -> TestApp {
    spawn_app_with(fake, Options::default()).await
}

pub async fn spawn_app_with(fake: &FakeBot, options: Options) -> TestApp {
    start(Files::new(), fake.api_url(), options).await
}

async fn start(files: Arc<Files>, api_url: String, options: Options) -> TestApp {
    let toml = config_toml(&files, &api_url, &options);
    let config = match Config::from_toml_str(&toml) {
        Ok(c) => c,
        Err(e) => panic!("test configuration is invalid:\n{e}\n{toml}"),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let admin = std::net::TcpListener::bind("127.0.0.1:0").expect("bind admin");
    let admin_addr = admin.local_addr().expect("admin addr");
    let console = std::net::TcpListener::bind("127.0.0.1:0").expect("bind console");
    let console_addr = console.local_addr().expect("console addr");
    let console_scheme = if config.console.https() {
        "https"
    } else {
        "http"
    };
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(relaydesk::app::run_webhook_on(
        config.clone(),
        relaydesk::app::Listeners {
            webhook: listener,
            admin: Some(admin),
            console: Some(console),
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let app = TestApp {
        addr,
        url: format!("https://127.0.0.1:{}{}", addr.port(), WEBHOOK_PATH),
        admin_url: format!("http://{admin_addr}"),
        console_url: format!("{console_scheme}://{console_addr}"),
        client: https_client(&files.cert_pem),
        files,
        config,
        api_url,
        options,
        stop: Some(stop_tx),
        task: Some(task),
    };
    app.wait_ready().await;
    app
}

impl TestApp {
    /// Wait until the service answers HTTPS (its database is open by then). The
    /// listener is bound before the service starts, so the first request simply
    /// waits in the backlog until the server accepts it.
    async fn wait_ready(&self) {
        match tokio::time::timeout(PROMPTLY, self.client.get(&self.url).send()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("the service does not answer: {e}"),
            Err(_) => panic!("the service did not start answering within {PROMPTLY:?}"),
        }
    }

    /// POST an update with the right secret; the HTTP status.
    pub async fn post(&self, update: &Value) -> u16 {
        self.post_raw(serde_json::to_vec(update).expect("json"), Some(SECRET))
            .await
    }

    pub async fn post_raw(&self, body: Vec<u8>, secret: Option<&str>) -> u16 {
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        request
            .send()
            .await
            .expect("webhook request")
            .status()
            .as_u16()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.files.count(sql)
    }

    /// Stop gracefully (like SIGTERM) and wait until the service has exited.
    pub async fn stop(mut self) -> Arc<Files> {
        self.shutdown().await;
        self.files.clone()
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(PROMPTLY, task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => panic!("service ended with an error: {e}"),
                Ok(Err(e)) => panic!("service task failed: {e}"),
                Err(_) => panic!("service did not stop within {PROMPTLY:?}"),
            }
        }
    }

    /// Stop gracefully and start again on the same files.
    pub async fn restart(mut self) -> TestApp {
        self.shutdown().await;
        start(
            self.files.clone(),
            self.api_url.clone(),
            self.options.clone(),
        )
        .await
    }
}

/// The service binary running as a child process (for crash tests: SIGKILL).
pub struct ChildApp {
    child: std::process::Child,
    pub addr: SocketAddr,
    pub url: String,
    pub client: reqwest::Client,
    log: Arc<Mutex<Vec<String>>>,
}

impl ChildApp {
    /// Write the configuration next to the files and start `relaydesk run`.
    pub async fn start(files: &Files, api_url: &str, options: &Options) -> ChildApp {
        ChildApp::start_with_toml(files, &config_toml(files, api_url, options), "info").await
    }

    /// Start `relaydesk run` with this configuration and log level.
    pub async fn start_with_toml(files: &Files, toml: &str, level: &str) -> ChildApp {
        let config_path = files.dir.path().join("config.toml");
        std::fs::write(&config_path, toml).expect("config");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relaydesk"))
            .arg("--config")
            .arg(&config_path)
            .arg("run")
            .env("RUST_LOG", level)
            .env_remove("JOURNAL_STREAM")
            .env("RELAYDESK_LOG_STDERR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start relaydesk");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("webhook listening")
                    && let Some(addr) = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("address="))
                        .and_then(|a| a.parse().ok())
                {
                    let _ = addr_tx.send(addr);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = tokio::task::spawn_blocking(move || addr_rx.recv_timeout(PROMPTLY))
            .await
            .expect("join")
            .unwrap_or_else(|_| panic!("relaydesk did not start listening"));
        ChildApp {
            child,
            addr,
            url: format!("https://127.0.0.1:{}{}", addr.port(), WEBHOOK_PATH),
            client: https_client(&files.cert_pem),
            log,
        }
    }

    pub async fn post(&self, update: &Value) -> Result<u16, reqwest::Error> {
        let r = self
            .client
            .post(&self.url)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(update)
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL: no cleanup of any kind.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        self.child.wait().expect("wait")
    }
}

impl Drop for ChildApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait until `condition` holds, checking every 20 ms; panic naming `what` after
/// `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    wait_until_async(what, timeout, || std::future::ready(condition())).await
}

/// `wait_until` for a condition that has to await (a browser, a socket).
pub async fn wait_until_async<F: std::future::Future<Output = bool>>(
    what: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The service in polling mode, in this process.
pub struct TestPoll {
    pub files: Arc<Files>,
    api_url: String,
    options: Options,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<relaydesk::Result<()>>>,
}

pub async fn spawn_poll(fake: &FakeBot, files: Arc<Files>) -> TestPoll {
    let options = Options::default();
    let toml = config_toml(&files, &fake.api_url(), &options);
    let config = Config::from_toml_str(&toml).expect("config");
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(relaydesk::app::run_poll(config, async move {
        let _ = stop_rx.await;
    }));
    TestPoll {
        files,
        api_url: fake.api_url(),
        options,
        stop: Some(stop_tx),
        task: Some(task),
    }
}

impl TestPoll {
    pub async fn stop(mut self) -> Arc<Files> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(PROMPTLY, task).await {
                Ok(Ok(Ok(()))) => {}
                other => panic!("poller did not stop cleanly: {other:?}"),
            }
        }
        self.files.clone()
    }
}
