//! The console's static files, built into the binary: the style sheet, the small
//! script that keeps the queue live, and htmx 2 (vendored from its npm package,
//! with its licence; nothing is ever loaded from elsewhere).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::Console;

/// Each file: where it is served, its content type, and its text.
const ASSETS: [(&str, &str, &str); 4] = [
    (
        "/assets/console.css",
        "text/css; charset=utf-8",
        include_str!("../../../assets/console/console.css"),
    ),
    (
        "/assets/console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/console/console.js"),
    ),
    // htmx 2.0.11, `dist/htmx.min.js` of the npm package `htmx.org`.
    (
        "/assets/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/console/htmx-2.0.11.min.js"),
    ),
    (
        "/assets/htmx-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_str!("../../../assets/console/htmx-LICENSE"),
    ),
];

pub fn router() -> Router<Console> {
    ASSETS
        .into_iter()
        .fold(Router::new(), |router, (path, content_type, body)| {
            router.route(path, get(move || asset(content_type, body)))
        })
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
