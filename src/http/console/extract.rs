//! What the console's handlers read from a request, parsed once at the edge: the
//! communication a path names, a page's query parameters, a controller's session.
//! Each refuses with the console's own [`Error`], never axum's plain-text rejection.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::session::{Posted, Signed};
use super::{Console, Error, Result};

/// The communication of a `/c/{id}/…` path: a positive number, else 404.
#[derive(Clone, Copy, Debug)]
pub struct CommPath(pub i64);

impl CommPath {
    /// `id` as a communication number.
    pub fn parse(id: &str) -> Result<CommPath> {
        id.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(CommPath)
            .ok_or(Error::NotFound)
    }
}

impl FromRequestParts<Console> for CommPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<CommPath> {
        let Path(id) = Path::<String>::from_request_parts(parts, console)
            .await
            .map_err(|_| Error::NotFound)?;
        CommPath::parse(&id)
    }
}

/// A POST on the communication of a `/c/{id}/…` path: the session and CSRF token
/// are checked first (so a forged post learns nothing of the path), then the id.
pub struct CommPost(pub i64, pub Posted);

impl FromRequest<Console> for CommPost {
    type Rejection = Error;

    async fn from_request(request: Request, console: &Console) -> Result<CommPost> {
        let (mut parts, body) = request.into_parts();
        let path = CommPath::from_request_parts(&mut parts, console).await;
        let posted = Posted::from_request(Request::from_parts(parts, body), console).await?;
        Ok(CommPost(path?.0, posted))
    }
}

/// A page's query parameters; unknown or malformed ones are a 400.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<Console> for Params<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Params<T>> {
        Query::<T>::from_request_parts(parts, console)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|_| Error::BadRequest("unknown parameters"))
    }
}

/// A signed-in controller: a specialist gets 403.
pub struct Controller(pub Signed);

impl FromRequestParts<Console> for Controller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Controller> {
        Signed::from_request_parts(parts, console)
            .await?
            .controller_only()
            .map(Controller)
    }
}

impl Signed {
    /// This staff member if they are a controller, else 403.
    pub fn controller_only(self) -> Result<Signed> {
        if self.controller {
            Ok(self)
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl Posted {
    /// Form field `name` as sent ("" when absent).
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Form field `name` without the white space around it.
    pub fn trimmed(&self, name: &str) -> String {
        self.field(name).trim().to_string()
    }

    /// This POST if it comes from a controller, else 403.
    pub fn controller_only(self) -> Result<Posted> {
        let who = self.who.controller_only()?;
        Ok(Posted { who, ..self })
    }
}
