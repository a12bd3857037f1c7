// relaydesk console: keep live parts of a page (the queue, a transcript) up to date
// with the server's events. An element with data-live="URL" and
// data-live-event="NAME" is replaced by the element of the same id in each NAME
// event's HTML. Without JavaScript the pages work the same; they are just not live.
// The pages are boosted by htmx (a link or form swaps the body in place), so this
// script runs once and looks for live elements again after every swap.
(function () {
  "use strict";
  if (!window.EventSource) {
    return;
  }
  var open = {};

  function follow() {
    var wanted = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), function (el) {
      var id = el.id;
      var url = el.getAttribute("data-live");
      wanted[id] = true;
      if (open[id] && open[id].url === url) {
        return;
      }
      if (open[id]) {
        open[id].events.close();
      }
      var events = new EventSource(url);
      open[id] = { url: url, events: events };
      events.addEventListener(el.getAttribute("data-live-event"), function (e) {
        var current = document.getElementById(id);
        var fresh = new DOMParser().parseFromString(e.data, "text/html").getElementById(id);
        if (current && fresh) {
          current.replaceWith(document.adoptNode(fresh));
          if (window.htmx) {
            window.htmx.process(document.getElementById(id));
          }
        }
      });
    });
    // A page left (signed out, another page) no longer needs its streams.
    Object.keys(open).forEach(function (id) {
      if (!wanted[id]) {
        open[id].events.close();
        delete open[id];
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", follow);
  } else {
    follow();
  }
  document.addEventListener("htmx:afterSettle", follow);
  window.addEventListener("popstate", follow);
})();
