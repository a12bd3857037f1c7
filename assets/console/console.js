// relaydesk console: keep the queue live with the server's events (/events).
// Without JavaScript the page works the same; it is just not live.
// The pages are boosted by htmx (a link or form swaps the body in place), so this
// script runs once and looks for the queue again after every swap.
(function () {
  "use strict";
  if (!window.EventSource) {
    return;
  }
  var events = null;

  function onQueue(e) {
    var queue = document.getElementById("queue");
    if (!queue) {
      return;
    }
    var fresh = new DOMParser().parseFromString(e.data, "text/html").getElementById("queue");
    if (fresh) {
      queue.replaceWith(document.adoptNode(fresh));
      if (window.htmx) {
        window.htmx.process(document.getElementById("queue"));
      }
    }
  }

  // Listen while a queue is on the page; stop when it is gone (signed out, another page).
  function follow() {
    var wanted = document.getElementById("queue") !== null;
    if (wanted && events === null) {
      events = new EventSource("/events");
      events.addEventListener("queue", onQueue);
    } else if (!wanted && events !== null) {
      events.close();
      events = null;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", follow);
  } else {
    follow();
  }
  document.addEventListener("htmx:afterSettle", follow);
  window.addEventListener("popstate", follow);
})();
