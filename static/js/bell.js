// The bell in the page header: refresh the unread count now and then; offline or failing, keep what the
// page was rendered with (inspector pages may come from the offline cache).
(function () {
  "use strict";
  var bell = document.querySelector("a.bell[data-count-url]");
  if (!bell || !window.fetch) return;
  var badge = bell.querySelector(".bell-count");
  function refresh() {
    if (navigator.onLine === false) return;
    fetch(bell.getAttribute("data-count-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || typeof body.unread !== "number") return;
        badge.textContent = String(body.unread);
        badge.hidden = body.unread === 0;
      })
      .catch(function () { /* offline: keep the rendered count */ });
  }
  refresh();
  setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
