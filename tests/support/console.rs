//! A browser without JavaScript for the console's tests (SPEC §8): cookies kept,
//! no redirect followed, forms posted; signing in with the code the bot sent.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use super::app::PROMPTLY;
use super::desk::{Desk, STAFF};

pub const ANN: i64 = 4242;
pub const CODE_TEXT: &str = super::desk::CONSOLE_CODE_TEXT;

/// A browser without JavaScript: remembers cookies, follows no redirect.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in:\n{}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

impl Browser {
    pub fn new(desk: &Desk) -> Browser {
        Browser {
            base: desk.app.console_url.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn page(&mut self, request: reqwest::RequestBuilder) -> Page {
        let response = request
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("console request");
        let page = Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.page(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        self.page(request).await
    }
}

/// The `n`-th console code the bot sent to `chat`.
pub async fn nth_code(desk: &Desk, chat: i64, n: usize) -> String {
    desk.console_code(chat, n).await
}

/// Ask for a code for `who`: the page of step two.
pub async fn ask_code(browser: &mut Browser, who: &str) -> Page {
    let login = browser.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let csrf = login.csrf();
    let page = browser
        .post("/login", &[("csrf", &csrf), ("who", who)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page
}

pub async fn try_code(browser: &mut Browser, step: &Page, who: &str, code: &str) -> Page {
    let csrf = step.csrf();
    browser
        .post(
            "/login/code",
            &[("csrf", &csrf), ("who", who), ("code", code)],
        )
        .await
}

/// A browser signed in as `staff` (their `n`-th code).
pub async fn signed_in(desk: &Desk, staff: i64, n: usize) -> Browser {
    let mut browser = Browser::new(desk);
    let who = staff.to_string();
    let step = ask_code(&mut browser, &who).await;
    let code = nth_code(desk, staff, n).await;
    let done = try_code(&mut browser, &step, &who, &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), Some("/"));
    browser
}

pub fn audit_count(desk: &Desk, action: &str, actor: i64) -> i64 {
    desk.app.count(&format!(
        "SELECT count(*) FROM audit WHERE action = '{action}' AND actor = '{actor}'"
    ))
}

pub async fn start() -> Desk {
    Desk::start_with(STAFF, "").await
}

/// Read the event stream until `needle` was seen (the stream so far in `seen`).
pub async fn read_until(stream: &mut reqwest::Response, seen: &mut String, needle: &str) {
    tokio::time::timeout(PROMPTLY, async {
        while !seen.contains(needle) {
            match stream.chunk().await.expect("the event stream") {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                None => panic!("the stream ended before {needle:?}; got:\n{seen}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} on the stream; got:\n{seen}"));
}
