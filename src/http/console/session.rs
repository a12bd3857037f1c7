//! Sessions: a random token in an `HttpOnly`, `SameSite=Strict` cookie (`Secure`
//! where the console is HTTPS or its public URL is), stored as its SHA-256 with the
//! staff id and the expiry (`store/console.rs`). The CSRF token of a session is an
//! HMAC of its token under the installation's key: bound to the session, never
//! stored.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::{Console, Error, MAX_FORM, Result, form_fields, same};
use crate::domain::StaffId;

/// The session cookie's name.
pub const COOKIE: &str = "relaydesk_session";

/// The SHA-256 of a session token, in hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    super::hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// The CSRF token of the session with `token`.
pub fn csrf_of(console: &Console, token: &str) -> String {
    console
        .processor()
        .code_key()
        .sign_hex(format!("relaydesk-console-csrf:{token}").as_bytes())
}

/// The session cookie for `token` (a browser-session cookie: the server ends the
/// session at its expiry).
pub fn cookie(console: &Console, token: String) -> Cookie<'static> {
    private_cookie(console, COOKIE, token, "/")
}

/// A cookie the page's scripts cannot read, sent only to this site's `path`, and
/// only over HTTPS where the console is HTTPS.
pub fn private_cookie(
    console: &Console,
    name: &'static str,
    value: String,
    path: &'static str,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(console.config().console.secure_cookie())
        .path(path)
        .build()
}

/// The cookie that removes the session cookie.
pub fn removal() -> Cookie<'static> {
    Cookie::build((COOKIE, "")).path("/").build()
}

/// A signed-in staff member (the request carried a valid session).
#[derive(Clone, Debug)]
pub struct Signed {
    pub staff: StaffId,
    pub name: String,
    pub controller: bool,
    pub token_hash: String,
    pub csrf: String,
}

impl FromRequestParts<Console> for Signed {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Signed> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(COOKIE).map(|c| c.value().to_string()) else {
            return Err(Error::SignIn);
        };
        if token.len() != 64 {
            return Err(Error::SignIn);
        }
        let hash = token_hash(&token);
        let now = crate::now_ms();
        let found = {
            let hash = hash.clone();
            console
                .processor()
                .store()
                .run(move |conn| crate::store::console::session(conn, &hash, now))
                .await?
        };
        let Some(staff) = found else {
            return Err(Error::SignIn);
        };
        // Removed from the configuration since: the session is worth nothing.
        let policy = console.processor().policy();
        if !policy.is_staff(staff) {
            return Err(Error::SignIn);
        }
        let name = policy
            .specialists
            .iter()
            .find(|m| m.chat_id == staff)
            .map(|m| m.name.clone())
            .or_else(|| {
                console
                    .config()
                    .controllers
                    .iter()
                    .find(|c| c.chat_id == staff.0)
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| staff.0.to_string());
        Ok(Signed {
            staff,
            name,
            controller: policy.is_controller(staff),
            token_hash: hash,
            csrf: csrf_of(console, &token),
        })
    }
}

/// A POST of a signed-in staff member, its CSRF token checked (403 without it or
/// with another session's), and its form's fields.
pub struct Posted {
    pub who: Signed,
    pub fields: std::collections::HashMap<String, String>,
}

impl FromRequest<Console> for Posted {
    type Rejection = Error;

    async fn from_request(request: Request, console: &Console) -> Result<Posted> {
        let (mut parts, body) = request.into_parts();
        let who = Signed::from_request_parts(&mut parts, console).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM)
            .await
            .map_err(|_| Error::BadRequest("the form is too large"))?;
        let fields = form_fields(&bytes);
        match fields.get("csrf") {
            Some(csrf) if same(csrf, &who.csrf) => Ok(Posted { who, fields }),
            _ => Err(Error::Forbidden),
        }
    }
}
