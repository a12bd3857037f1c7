//! A real headless Chromium for the console's browser tests: Debian's `chromium`
//! driven through `chromedriver` (package `chromium-driver`) with fantoccini, over
//! WebDriver on 127.0.0.1. Each browser has a fresh profile in a temporary folder and
//! background networking off (the machine's network is closed: Chromium's own
//! connections would only be refused).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use super::app::{PROMPTLY, wait_until_async};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver and the Chromium it started; both end when this is dropped.
pub struct Chrome {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn installed() -> Result<(), String> {
    for program in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(program).exists() {
            return Err(format!(
                "{program} is missing: the browser tests need Debian's chromium and \
                 chromium-driver (apt-get install chromium chromium-driver; .ci/run does)"
            ));
        }
    }
    Ok(())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Chrome {
    pub async fn start() -> Chrome {
        if let Err(why) = installed() {
            panic!("{why}");
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let chrome = Chrome {
            client: connect(&url, profile.path()).await,
            driver,
            _profile: profile,
        };
        chrome
            .client
            .set_window_size(1280, 860)
            .await
            .expect("window size");
        chrome
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    /// The first element matching a CSS selector, waiting for it up to PROMPTLY.
    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PROMPTLY)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Type into the field `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.element(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Click `css` and wait until the page it leads to is shown: a new document,
    /// or the new body htmx swapped in (the console's pages are boosted). Either
    /// way the elements marked before the click are gone.
    pub async fn click_and_load(&self, css: &str) {
        self.element(css).await;
        self.client
            .execute(
                "document.body.querySelectorAll(':scope > *')\
                 .forEach(e => e.setAttribute('data-old-page', ''))",
                vec![],
            )
            .await
            .expect("mark the page");
        // The live queue may replace the element between finding and clicking it:
        // then find it again.
        wait_until_async(&format!("a click on {css}"), PROMPTLY, || async {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.click().await.is_ok(),
                Err(_) => false,
            }
        })
        .await;
        wait_until_async(
            &format!("the click on {css} to show a new page"),
            PROMPTLY,
            || async {
                self.client
                    .execute(
                        "return document.readyState === 'complete' \
                     && document.querySelector('[data-old-page], .htmx-request') === null",
                        vec![],
                    )
                    .await
                    .is_ok_and(|v| v == json!(true))
            },
        )
        .await;
    }

    /// Mark the page's window, to tell later whether it is still the same page.
    pub async fn mark_page(&self) {
        self.client
            .execute("window.relaydeskMark = true", vec![])
            .await
            .expect("mark");
    }

    /// Whether the window marked by `mark_page` was never reloaded since.
    pub async fn marked(&self) -> bool {
        self.client
            .execute("return window.relaydeskMark === true", vec![])
            .await
            .is_ok_and(|v| v == json!(true))
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.element("body").await.text().await.expect("body text")
    }

    /// Wait until the page's text contains `needle` (without reloading it); on
    /// failure, say what the page shows instead.
    pub async fn wait_text(&self, needle: &str) {
        let what = format!("the page to show {needle:?}");
        let waiting = wait_until_async(&what, 2 * PROMPTLY, || async {
            self.text().await.contains(needle)
        });
        if tokio::time::timeout(PROMPTLY, waiting).await.is_err() {
            panic!(
                "the page {} never showed {needle:?}; it shows:\n{}",
                self.url().await,
                self.text().await
            );
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .len()
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    /// A PNG of the window, saved as `name` under the test's target folder (and,
    /// with RELAYDESK_SCREENSHOTS=DIR, also in DIR: `scripts/screenshots` uses it
    /// to refresh the README's pictures).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000,
            "not a PNG"
        );
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(name);
        std::fs::write(&path, &png).expect("write screenshot");
        if let Some(out) = std::env::var_os("RELAYDESK_SCREENSHOTS") {
            let out = PathBuf::from(out);
            std::fs::create_dir_all(&out).expect("RELAYDESK_SCREENSHOTS dir");
            std::fs::write(out.join(name), &png).expect("write screenshot");
        }
        path
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A WebDriver session once chromedriver listens (it takes a moment to start).
async fn connect(url: &str, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let address = url.trim_start_matches("http://").to_string();
    wait_until_async("chromedriver to listen", PROMPTLY, || {
        let address = address.clone();
        async move { tokio::net::TcpStream::connect(address).await.is_ok() }
    })
    .await;
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("no WebDriver session at {url}: {e}"))
}
