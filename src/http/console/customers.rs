//! Customers (SPEC §8): `/customers` searched by name, @username, email or Telegram
//! id, 50 a page; `/customers/{id}` one customer and their communications.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::Params;
use super::session::Signed;
use super::{Console, Error, Result};
use crate::store::console::{CustomerRow, QueueRow};

/// Customers a page shows.
const PAGE: i64 = 50;

pub fn router() -> Router<Console> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/{id}", get(one))
}

#[derive(Template, WebTemplate)]
#[template(path = "console/customers.html")]
struct ListPage {
    who: Signed,
    q: String,
    rows: Vec<CustomerRow>,
    next: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/customer.html")]
struct CustomerPage {
    who: Signed,
    c: CustomerRow,
    since: String,
    comms: Vec<(QueueRow, String, String)>,
}

#[derive(serde::Deserialize)]
struct Search {
    q: Option<String>,
    after: Option<String>,
}

async fn list(
    State(console): State<Console>,
    who: Signed,
    Params(params): Params<Search>,
) -> Result<Response> {
    let q: String = params.q.unwrap_or_default().chars().take(100).collect();
    let after = match params.after.as_deref() {
        None | Some("") => 0,
        Some(a) => a
            .parse::<i64>()
            .map_err(|_| Error::BadRequest("after: a customer id"))?,
    };
    let query = q.clone();
    let rows = console
        .processor()
        .store()
        .run(move |conn| crate::store::console::customers(conn, &query, after, PAGE))
        .await?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(ListPage { who, q, rows, next }.into_response())
}

async fn one(
    State(console): State<Console>,
    Path(id): Path<String>,
    who: Signed,
) -> Result<Response> {
    let id = id.parse::<i64>().map_err(|_| Error::NotFound)?;
    let found = console
        .processor()
        .store()
        .run(move |conn| crate::store::console::customer(conn, id))
        .await?;
    let Some((c, comms)) = found else {
        return Err(Error::NotFound);
    };
    let comms = comms
        .into_iter()
        .map(|r| {
            let with = r
                .specialist_id
                .map(|s| super::queue::staff_name(&console, s))
                .unwrap_or_default();
            let opened = super::comm::time(r.opened_at);
            (r, opened, with)
        })
        .collect();
    let since = super::comm::time(c.first_seen);
    Ok(CustomerPage {
        who,
        c,
        since,
        comms,
    }
    .into_response())
}
