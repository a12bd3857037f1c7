//! Assembling the service: store, outbox sender, and the update source (webhook or
//! long polling), run until a shutdown future resolves.

pub mod audit;
pub mod cli;
pub mod export;
pub mod import;
pub mod logging;
pub mod reload;
pub mod retention;
pub mod shutdown;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use teloxide::payloads::SetWebhookSetters;
use teloxide::requests::Requester;
use teloxide::types::{AllowedUpdate, InputFile};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::runtime::live::{Live, Rules};
use crate::runtime::mail::Mailer;
use crate::runtime::mail_sender::MailSender;
use crate::runtime::metrics::Metrics;
use crate::runtime::pacer::Limits;
use crate::runtime::sender::Sender;
use crate::runtime::wake::DeliveryHook;
use crate::runtime::writer::{Processor, Wakes};
use crate::store::Store;
use crate::telegram::{ApiError, BotApi};

/// How long in-flight webhook requests may take to finish after a stop signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// The parts every mode shares.
struct Core {
    config: Arc<Config>,
    api: BotApi,
    processor: Processor,
    metrics: Arc<Metrics>,
    tasks: JoinSet<()>,
    stop_workers: CancellationToken,
}

impl Core {
    /// Start the workers; with `reload`, a SIGHUP rereads the configuration from it.
    fn start(config: Config, reload: Option<reload::Source>) -> Result<Core> {
        crate::install_crypto_provider();
        let store = Store::open_with(&config.database)?;
        let rules =
            Rules::new(config).map_err(|problems| crate::config::ConfigErrors { problems })?;
        // The configuration of the start: a reload leaves every key these use as it
        // is (they need a restart); the workers read the one in force from `live`.
        let config = rules.config.clone();
        let live = Live::new(rules);
        let api = BotApi::new(
            &config.telegram.api_url,
            config.telegram.token.expose(),
            config.telegram.request_timeout,
        );
        let wakes = Wakes::default();
        let metrics = Arc::new(Metrics::default());
        let processor =
            Processor::with_metrics(store.clone(), live.clone(), wakes.clone(), metrics.clone());
        let hook: Arc<dyn DeliveryHook> = Arc::new(processor.clone());
        let stop_workers = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let sender = Sender::new(
            store.clone(),
            api.clone(),
            Limits::from_config(&config.limits),
            wakes.outbox.clone(),
        )
        .with_hook(hook.clone())
        .with_committer(processor.committer())
        .with_metrics(metrics.clone());
        tasks.spawn(sender.run(stop_workers.clone()));
        let mailer = Mailer::new(&config.smtp);
        if let Err(e) = &mailer {
            error!(error = %e, "the SMTP settings are unusable: no email can be sent");
        }
        let mail = MailSender::new(store, mailer, wakes.mail.clone()).with_hook(hook);
        tasks.spawn(mail.run(stop_workers.clone()));
        let archive = crate::runtime::archive::ArchiveWorker {
            store: processor.store().clone(),
            api: api.clone(),
            live: live.clone(),
            wake: wakes.archive.clone(),
            outbox_wake: wakes.outbox.clone(),
        };
        tasks.spawn(archive.run(stop_workers.clone()));
        tasks.spawn(crate::runtime::disk::run(
            Arc::new(crate::runtime::disk::SysinfoProbe),
            processor.store().clone(),
            live.clone(),
            wakes.mail.clone(),
            wakes.outbox.clone(),
            stop_workers.clone(),
        ));
        crate::runtime::commands::register(processor.store(), &config, &live.get().texts)?;
        end_sessions_of_former_staff(processor.store(), &config)?;
        wakes.outbox.wake();
        tasks.spawn(crate::runtime::timers::run(
            processor.clone(),
            wakes.timers.clone(),
            stop_workers.clone(),
        ));
        tasks.spawn(crate::runtime::reports::run(
            processor.clone(),
            stop_workers.clone(),
        ));
        tasks.spawn(crate::runtime::retention::run(
            processor.store().clone(),
            config.archive.dir.clone(),
            config.retention.clone(),
            stop_workers.clone(),
        ));
        if let Some(source) = reload
            && let Some(hangups) = reload::listen()
        {
            tasks.spawn(reload::on_sighup(
                hangups,
                source,
                live,
                processor.store().clone(),
                wakes.outbox.clone(),
                stop_workers.clone(),
            ));
        }
        Ok(Core {
            config,
            api,
            processor,
            metrics,
            tasks,
            stop_workers,
        })
    }

    /// Serve `/healthz` and `/metrics` on the admin listener until the workers stop.
    fn serve_admin(&mut self, listener: Option<std::net::TcpListener>) -> Result<()> {
        let listener = match listener {
            Some(l) => l,
            None => match self.config.admin.address() {
                Some(addr) => std::net::TcpListener::bind(addr)
                    .map_err(|e| Error::io(format!("admin.listen {addr}"), e))?,
                None => return Ok(()),
            },
        };
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("admin listener", e))?;
        let address = listener.local_addr().ok();
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::io("admin listener", e))?;
        let router = crate::http::admin::admin_router(
            self.processor.store().clone(),
            self.metrics.clone(),
            self.config.clone(),
        );
        let stop = self.stop_workers.clone();
        info!(address = ?address, "health and metrics listening (GET /healthz, /metrics)");
        self.tasks.spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = served {
                error!(error = %e, "the admin endpoint stopped");
            }
        });
        Ok(())
    }

    /// Serve the web console on `listener` (tests bind port 0), else on
    /// `console.listen` when set, until `stop` is cancelled. The task to wait for
    /// before the workers stop.
    fn serve_console(
        &mut self,
        listener: Option<std::net::TcpListener>,
        stop: CancellationToken,
    ) -> Result<Option<tokio::task::JoinHandle<()>>> {
        let listener = match listener {
            Some(l) => l,
            None => match self.config.console.address() {
                Some(addr) => std::net::TcpListener::bind(addr)
                    .map_err(|e| Error::io(format!("console.listen {addr}"), e))?,
                None => return Ok(None),
            },
        };
        let c = &self.config.console;
        let tls = if c.https() {
            Some(crate::http::tls::server_config(&c.tls_cert, &c.tls_key)?)
        } else {
            None
        };
        let console = crate::http::console::Console::new(self.processor.clone(), stop.clone());
        Ok(Some(tokio::spawn(async move {
            if let Err(e) = crate::http::console::serve(console, listener, tls, stop).await {
                error!(error = %e, "the web console stopped");
            }
        })))
    }

    /// Stop the workers, letting each finish what it is doing.
    async fn stop(mut self) {
        self.stop_workers.cancel();
        while let Some(joined) = self.tasks.join_next().await {
            if let Err(e) = joined {
                error!(error = %e, "a worker ended abnormally");
            }
        }
        info!("stopped");
    }
}

/// Serve the webhook on `listener` (already bound) until `shutdown` resolves; then
/// stop accepting, finish in-flight requests and the calls under way, and return.
/// The webhook stays registered with Telegram, which keeps updates while we are down.
pub async fn run_webhook(
    config: Config,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    run_webhook_on(config, Listeners::webhook_only(listener), shutdown).await
}

/// The listeners of [`run_webhook_on`]: the webhook's, and the admin endpoint's and
/// the console's when the caller binds them (`None`: from the configuration).
pub struct Listeners {
    pub webhook: std::net::TcpListener,
    pub admin: Option<std::net::TcpListener>,
    pub console: Option<std::net::TcpListener>,
}

impl Listeners {
    /// The webhook's listener; the admin endpoint and the console as configured.
    pub fn webhook_only(webhook: std::net::TcpListener) -> Listeners {
        Listeners {
            webhook,
            admin: None,
            console: None,
        }
    }
}

/// [`run_webhook`] on listeners of the caller's.
pub async fn run_webhook_on(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_webhook(config, listeners, None, shutdown).await
}

/// [`run_webhook`], rereading the configuration from `source` on SIGHUP (`relaydesk
/// run`; `systemctl reload relaydesk`).
pub async fn run_webhook_reloading(
    config: Config,
    listener: std::net::TcpListener,
    source: reload::Source,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listeners = Listeners::webhook_only(listener);
    serve_webhook(config, listeners, Some(source), shutdown).await
}

async fn serve_webhook(
    config: Config,
    listeners: Listeners,
    reload: Option<reload::Source>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let Listeners {
        webhook: listener,
        admin,
        console,
    } = listeners;
    let tls = crate::http::tls::server_config(&config.webhook.tls_cert, &config.webhook.tls_key)?;
    let mut core = Core::start(config, reload)?;
    core.serve_admin(admin)?;
    let stop_console = CancellationToken::new();
    let console = core.serve_console(console, stop_console.clone())?;
    let router = crate::http::webhook::router(
        &core.config.webhook_path(),
        core.processor.clone(),
        core.config.webhook.secret_token.expose(),
    );
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io("listener", e))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::io("listener address", e))?;
    let handle = axum_server::Handle::new();
    // TCP_NODELAY: an answer goes out at once instead of waiting for the client's
    // delayed acknowledgement (tens of milliseconds).
    let acceptor =
        axum_server::tls_rustls::RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(tls)))
            .acceptor(axum_server::accept::NoDelayAcceptor::new());
    let server = axum_server::from_tcp(listener)
        .map_err(|e| Error::io("webhook listener", e))?
        .acceptor(acceptor)
        .handle(handle.clone());
    info!(%address, path = %core.config.webhook_path(), "webhook listening");

    let registrar = register_webhook_until_done(core.api.clone(), core.config.clone());
    let stop = core.stop_workers.clone();
    core.tasks.spawn(async move {
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = registrar => {}
        }
    });
    let drain = handle.clone();
    let console_stopper = stop_console.clone();
    let shutdown_task = tokio::spawn(async move {
        shutdown.await;
        info!("stopping: no new connections, finishing requests under way");
        console_stopper.cancel();
        drain.graceful_shutdown(Some(DRAIN_TIMEOUT));
    });
    // systemd (Type=notify): ready once the webhook accepts connections.
    notify_systemd(&[sd_notify::NotifyState::Ready]);
    let served = server.serve(router.into_make_service()).await;
    notify_systemd(&[sd_notify::NotifyState::Stopping]);
    shutdown_task.abort();
    stop_console.cancel();
    if let Some(console) = console
        && let Err(e) = console.await
    {
        error!(error = %e, "the web console ended abnormally");
    }
    core.stop().await;
    served.map_err(|e| Error::io("webhook server", e))
}

/// Fetch updates with `getUpdates` until `shutdown` resolves (for hosts without a
/// public HTTPS address). The webhook is removed first: Telegram allows only one.
pub async fn run_poll(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    poll(config, None, shutdown).await
}

/// [`run_poll`], rereading the configuration from `source` on SIGHUP.
pub async fn run_poll_reloading(
    config: Config,
    source: reload::Source,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    poll(config, Some(source), shutdown).await
}

async fn poll(
    config: Config,
    reload: Option<reload::Source>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let mut core = Core::start(config, reload)?;
    core.serve_admin(None)?;
    let stop_console = CancellationToken::new();
    let console = core.serve_console(None, stop_console.clone())?;
    notify_systemd(&[sd_notify::NotifyState::Ready]);
    let stop = core.stop_workers.clone();
    let poller = crate::runtime::poller::Poller::new(
        core.api.clone(),
        core.processor.clone(),
        core.config.telegram.poll_timeout,
    );
    let poll = tokio::spawn(poller.run(stop.clone()));
    shutdown.await;
    info!("stopping the poller");
    stop_console.cancel();
    if let Some(console) = console
        && let Err(e) = console.await
    {
        error!(error = %e, "the web console ended abnormally");
    }
    stop.cancel();
    if let Err(e) = poll.await {
        error!(error = %e, "the poller ended abnormally");
    }
    core.stop().await;
    Ok(())
}

/// The console's sessions and codes of anyone no longer in the configuration end
/// (SPEC §8), and expired ones go.
fn end_sessions_of_former_staff(store: &Store, config: &Config) -> Result<()> {
    let staff: Vec<crate::domain::StaffId> = config
        .specialists
        .iter()
        .chain(config.controllers.iter())
        .map(|p| crate::domain::StaffId(p.chat_id))
        .collect();
    let ended = crate::store::console::prune(&store.lock(), &staff, crate::now_ms())?;
    if ended > 0 {
        info!(
            ended,
            "console sessions ended (expired, or of people no longer staff)"
        );
    }
    Ok(())
}

/// Tell systemd (when it started us with `Type=notify`); a no-op otherwise.
pub(crate) fn notify_systemd(state: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(state) {
        warn!(error = %e, "could not notify systemd");
    }
}

/// Register the webhook, retrying with backoff until Telegram accepts it.
async fn register_webhook_until_done(api: BotApi, config: Arc<Config>) {
    let mut delay = Duration::from_secs(1);
    loop {
        match register_webhook(&api, &config).await {
            Ok(()) => {
                info!(url = %config.webhook.public_url, "webhook registered with Telegram");
                return;
            }
            Err(ApiError::Permanent { description, .. }) => {
                // Telegram said no for a reason an admin must fix (bad URL, port,
                // certificate): say so loudly, and try again rarely.
                error!(%description, "Telegram refused the webhook; check webhook.public_url and the certificate");
                delay = Duration::from_secs(300);
            }
            Err(e) => {
                warn!(error = %e, retry_in_s = delay.as_secs(), "could not register the webhook yet");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(300));
    }
}

/// `setWebhook` with the URL, secret, connection limit, update kinds and, for a
/// self-signed certificate, the certificate itself.
pub async fn register_webhook(api: &BotApi, config: &Config) -> std::result::Result<(), ApiError> {
    let url = reqwest::Url::parse(&config.webhook.public_url).map_err(|e| ApiError::Permanent {
        code: 0,
        description: format!("webhook.public_url: {e}"),
    })?;
    let bot = api.teloxide();
    let max_connections = u8::try_from(config.webhook.max_connections.clamp(1, 100)).unwrap_or(40);
    let mut request = bot
        .set_webhook(url)
        .secret_token(config.webhook.secret_token.expose().to_string())
        .max_connections(max_connections)
        .allowed_updates(allowed_updates());
    if config.webhook.upload_certificate {
        let pem = std::fs::read(&config.webhook.tls_cert).map_err(|e| ApiError::Permanent {
            code: 0,
            description: format!("cannot read {}: {e}", config.webhook.tls_cert.display()),
        })?;
        request = request.certificate(InputFile::memory(pem).file_name("cert.pem"));
    }
    request.await.map(|_| ()).map_err(from_teloxide)
}

pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MyChatMember,
    ]
}

/// teloxide's errors in our three classes.
pub fn from_teloxide(e: teloxide::RequestError) -> ApiError {
    use teloxide::RequestError as E;
    match e {
        E::RetryAfter(secs) => ApiError::RetryAfter(secs.duration()),
        E::Api(api) => ApiError::Permanent {
            code: 400,
            description: api.to_string(),
        },
        E::MigrateToChatId(id) => ApiError::Permanent {
            code: 400,
            description: format!("the group is now the supergroup {id}"),
        },
        E::Network(e) => ApiError::Transient(crate::telegram::without_url(&e.to_string())),
        other => ApiError::Transient(other.to_string()),
    }
}
