// relaydesk console: keep the queue live with the server's events (/events).
// Without JavaScript the page works the same; it is just not live.
(function () {
  "use strict";
  if (!document.getElementById("queue") || !window.EventSource) {
    return;
  }
  var events = new EventSource("/events");
  events.addEventListener("queue", function (e) {
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
  });
})();
