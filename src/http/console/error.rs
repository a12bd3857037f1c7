//! The console's one error type, and the answer each kind of error gets.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tracing::error;

#[derive(Debug)]
pub enum Error {
    /// No valid session: to the sign-in page.
    SignIn,
    /// Signed in, but not allowed (a missing or wrong CSRF token, a page of
    /// another role).
    Forbidden,
    NotFound,
    /// A request the console cannot read (why).
    BadRequest(&'static str),
    /// Something on our side failed (logged, never shown).
    Internal(crate::Error),
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Error {
        Error::Internal(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let plain = |status: StatusCode, text: &'static str| {
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                text,
            )
                .into_response()
        };
        match self {
            Error::SignIn => Redirect::to("/login").into_response(),
            Error::Forbidden => plain(StatusCode::FORBIDDEN, "Forbidden\n"),
            Error::NotFound => plain(StatusCode::NOT_FOUND, "Not found\n"),
            Error::BadRequest(why) => (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("Bad request: {why}\n"),
            )
                .into_response(),
            Error::Internal(e) => {
                error!(error = %e, "the console could not answer a request");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong; it was logged.\n",
                )
            }
        }
    }
}
