//! Signing in with a code the bot sends in Telegram, and out (SPEC §8).
//!
//! `GET /login` asks for the Telegram id or @username (as last seen in Telegram,
//! `store/console.rs` `staff_by_username`); `POST /login` has the core send a code
//! (`Action::ConsoleCode`, through the outbox) when the id is staff's, and answers
//! the same page whoever it is; `POST /login/code` checks the code (the store:
//! 5 minutes, 5 tries, one use, a keyed hash compared in constant time) and opens
//! a session. Before a session exists, the forms' CSRF token is a random value in
//! a cookie of its own, repeated in the form.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar};

use super::session::{self, Posted};
use super::{Console, Error, MAX_FORM, Result, form_fields, random_hex, same};
use crate::domain::{Action, StaffId};
use crate::store::console::CodeCheck;

/// The cookie holding the sign-in forms' CSRF token.
const LOGIN_COOKIE: &str = "relaydesk_login";

pub fn router() -> Router<Console> {
    Router::new()
        .route("/login", get(login_page).post(ask_code))
        .route("/login/code", post(check_code))
        .route("/logout", post(logout))
}

#[derive(Template, WebTemplate)]
#[template(path = "console/login.html")]
struct LoginPage {
    csrf: String,
    /// What was typed as the id (step two keeps it).
    who: String,
    /// Step two: the code.
    code_step: bool,
    notice: &'static str,
}

fn login_cookie(console: &Console, value: String) -> Cookie<'static> {
    session::private_cookie(console, LOGIN_COOKIE, value, "/login")
}

/// The sign-in forms' token: the cookie's, or a new one set with the answer.
fn login_token(console: &Console, jar: CookieJar) -> Result<(CookieJar, String)> {
    match jar.get(LOGIN_COOKIE).map(|c| c.value().to_string()) {
        Some(token) if token.len() == 64 => Ok((jar, token)),
        _ => {
            let token = random_hex(32)?;
            Ok((jar.add(login_cookie(console, token.clone())), token))
        }
    }
}

async fn login_page(State(console): State<Console>, jar: CookieJar) -> Result<Response> {
    let (jar, csrf) = login_token(&console, jar)?;
    let page = LoginPage {
        csrf,
        who: String::new(),
        code_step: false,
        notice: "",
    };
    Ok((jar, page).into_response())
}

/// A POST of a sign-in form: its CSRF token checked against the login cookie
/// (403 without it or with another), what was typed as the id (trimmed, at most
/// 64 characters), its fields, and the client's address.
struct SignInForm {
    client: IpAddr,
    jar: CookieJar,
    csrf: String,
    who: String,
    fields: std::collections::HashMap<String, String>,
}

impl FromRequest<Console> for SignInForm {
    type Rejection = Error;

    async fn from_request(request: Request, console: &Console) -> Result<SignInForm> {
        let (mut parts, body) = request.into_parts();
        let ConnectInfo(client) =
            ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, console)
                .await
                .map_err(|_| Error::BadRequest("no client address"))?;
        let jar = CookieJar::from_headers(&parts.headers);
        let bytes = axum::body::to_bytes(body, MAX_FORM)
            .await
            .map_err(|_| Error::BadRequest("the form is too large"))?;
        let fields = form_fields(&bytes);
        let cookie = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string());
        let csrf = match (cookie, fields.get("csrf")) {
            (Some(cookie), Some(csrf)) if cookie.len() == 64 && same(&cookie, csrf) => cookie,
            _ => return Err(Error::Forbidden),
        };
        let who = fields
            .get("who")
            .map(|w| w.trim().chars().take(64).collect())
            .unwrap_or_default();
        Ok(SignInForm {
            client: client.ip(),
            jar,
            csrf,
            who,
            fields,
        })
    }
}

/// A Telegram id as typed: digits, with spaces around allowed.
fn staff_id(who: &str) -> Option<StaffId> {
    let who = who.trim();
    if who.is_empty() || who.len() > 20 || !who.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    who.parse().ok().filter(|id| *id > 0).map(StaffId)
}

/// A Telegram @username as typed (the `@` optional): 1 to 32 of `A-Z a-z 0-9 _`.
fn username(who: &str) -> Option<&str> {
    let name = who.trim();
    let name = name.strip_prefix('@').unwrap_or(name);
    (!name.is_empty()
        && name.len() <= 32
        && !name.bytes().all(|b| b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    .then_some(name)
}

/// The staff member typed in the sign-in form: by Telegram id, or by the @username
/// they were last seen with in Telegram. `None` for anyone else (who gets the same
/// page).
async fn staff_of(console: &Console, who: &str) -> Result<Option<StaffId>> {
    let staff = match (staff_id(who), username(who)) {
        (Some(id), _) => Some(id),
        (None, Some(name)) => {
            let name = name.to_string();
            console
                .processor()
                .store()
                .run(move |conn| crate::store::console::staff_by_username(conn, &name))
                .await?
        }
        (None, None) => None,
    };
    Ok(staff.filter(|s| console.processor().policy().is_staff(*s)))
}

async fn ask_code(State(console): State<Console>, form: SignInForm) -> Result<Response> {
    let SignInForm {
        client, csrf, who, ..
    } = form;
    let now = crate::now_ms();
    if let Some(staff) = staff_of(&console, &who).await?
        && console.0.limiter.may_send(staff.0, client, now)
    {
        console
            .processor()
            .act(Action::ConsoleCode { staff })
            .await?;
    }
    // The same page whoever it is, whether a code went or not.
    Ok(LoginPage {
        csrf,
        who,
        code_step: true,
        notice: "If this is the Telegram id or @username of a member of the staff, the bot has sent them a 6-digit code. It is valid for 5 minutes.",
    }
    .into_response())
}

async fn check_code(State(console): State<Console>, form: SignInForm) -> Result<Response> {
    let SignInForm {
        client: address,
        jar,
        csrf,
        who,
        fields,
    } = form;
    let code: String = fields
        .get("code")
        .map(|c| c.chars().filter(|c| !c.is_whitespace()).take(16).collect())
        .unwrap_or_default();
    let now = crate::now_ms();
    let refused = |notice| {
        LoginPage {
            csrf: csrf.clone(),
            who: who.clone(),
            code_step: true,
            notice,
        }
        .into_response()
    };
    let staff = staff_of(&console, &who).await?;
    let id_key = staff.map_or(0, |s| s.0);
    if !console.0.limiter.may_try(id_key, address, now) {
        return Ok(refused(
            "Too many wrong codes. Wait a few minutes, then ask for a new code.",
        ));
    }
    let Some(staff) = staff else {
        console.0.limiter.failed(id_key, address, now);
        return Ok(refused("That code is wrong or no longer valid."));
    };
    let token = random_hex(32)?;
    let hash = session::token_hash(&token);
    let key = console.processor().code_key().clone();
    let until = now
        + i64::try_from(console.config().console.session_ttl.as_millis()).unwrap_or(i64::MAX / 2);
    let outcome = Arc::new(Mutex::new(CodeCheck::Refused));
    {
        let outcome = outcome.clone();
        console
            .processor()
            .committer()
            .write(move |conn| {
                let checked =
                    crate::store::console::check_code(conn, &key, staff, &code, &hash, now, until)?;
                *outcome.lock().unwrap_or_else(|p| p.into_inner()) = checked;
                Ok(())
            })
            .await?;
    }
    let checked = *outcome.lock().unwrap_or_else(|p| p.into_inner());
    match checked {
        CodeCheck::SignedIn => {
            let jar = jar
                .remove(Cookie::build(LOGIN_COOKIE).path("/login"))
                .add(session::cookie(&console, token));
            Ok((jar, Redirect::to("/")).into_response())
        }
        CodeCheck::Refused => {
            console.0.limiter.failed(staff.0, address, now);
            Ok(refused("That code is wrong or no longer valid."))
        }
    }
}

async fn logout(
    State(console): State<Console>,
    jar: CookieJar,
    posted: Posted,
) -> Result<Response> {
    let hash = posted.who.token_hash.clone();
    let now = crate::now_ms();
    console
        .processor()
        .committer()
        .write(move |conn| crate::store::console::logout(conn, &hash, now))
        .await?;
    Ok((jar.remove(session::removal()), Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_digits_are_an_id() {
        use super::staff_id;
        assert_eq!(staff_id(" 501 ").map(|s| s.0), Some(501));
        for junk in [
            "",
            "@anna",
            "-5",
            "0",
            "5e3",
            "99999999999999999999999",
            "５０１",
        ] {
            assert_eq!(staff_id(junk), None, "{junk}");
        }
    }
}
