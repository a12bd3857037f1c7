//! Live pages: a server-sent event stream that renders a fragment again after every
//! change the writer commits (a burst of changes becomes one render), until the
//! service stops or the browser goes away. The queue (`/events`) and a
//! communication's transcript (`/c/{id}/events`) use it; `assets/console.js` swaps
//! the element of the fragment's id in place.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::Console;

/// The least time between two renders of one live fragment.
const LIVE_PACE: Duration = Duration::from_millis(250);

/// A stream of `event` events, each the HTML `render` gives: once at the start,
/// then after each change. A render that fails sends a comment instead; one that
/// gives `None` (the page is gone, or no longer theirs) ends the stream.
pub fn stream<F, Fut>(
    console: Console,
    event: &'static str,
    render: F,
) -> Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>
where
    F: Fn(Console) -> Fut + Send + 'static,
    Fut: Future<Output = super::Result<Option<String>>> + Send,
{
    let changes = console.processor().changes().watch();
    let stop = console.0.stop.clone();
    let stream = futures_util::stream::unfold(
        (console, render, changes, stop, true),
        move |(console, render, mut changes, stop, first)| async move {
            if !first {
                tokio::select! {
                    _ = stop.cancelled() => return None,
                    changed = changes.changed() => changed.ok()?,
                }
                tokio::select! {
                    _ = stop.cancelled() => return None,
                    _ = tokio::time::sleep(LIVE_PACE) => {}
                }
            }
            changes.borrow_and_update();
            let sent = match render(console.clone()).await {
                Ok(Some(html)) => Event::default().event(event).data(html),
                Ok(None) => return None,
                Err(_) => Event::default().comment("the page could not be read"),
            };
            Some((Ok(sent), (console, render, changes, stop, false)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
