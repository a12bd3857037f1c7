//! The console's static files, built into the binary: the style sheet, the small
//! script that keeps the queue live, and htmx 2 (vendored from its npm package,
//! with its licence; nothing is ever loaded from elsewhere).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::Console;

const CSS: &str = include_str!("../../../assets/console/console.css");
const SCRIPT: &str = include_str!("../../../assets/console/console.js");
/// htmx 2.0.11, `dist/htmx.min.js` of the npm package `htmx.org`.
const HTMX: &str = include_str!("../../../assets/console/htmx-2.0.11.min.js");
const HTMX_LICENSE: &str = include_str!("../../../assets/console/htmx-LICENSE");

pub fn router() -> Router<Console> {
    Router::new()
        .route(
            "/assets/console.css",
            get(|| asset("text/css; charset=utf-8", CSS)),
        )
        .route(
            "/assets/console.js",
            get(|| asset("text/javascript; charset=utf-8", SCRIPT)),
        )
        .route(
            "/assets/htmx.min.js",
            get(|| asset("text/javascript; charset=utf-8", HTMX)),
        )
        .route(
            "/assets/htmx-LICENSE.txt",
            get(|| asset("text/plain; charset=utf-8", HTMX_LICENSE)),
        )
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}
