// The live report's script (monitor serve): it sends the tag forms to the
// console's API as JSON and reloads the page once the tag is saved, and
// reloads it when the monitor folder changes (a run or watch's refresh).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="monitor-token"]');
  var token = meta ? meta.content : "";

  function headers() {
    var h = { "Content-Type": "application/json" };
    if (token) h.Authorization = "Bearer " + token;
    return h;
  }

  function remembered() {
    try { return window.localStorage.getItem("monitor-by") || ""; } catch (e) { return ""; }
  }

  document.querySelectorAll("form.tag input[name=by]").forEach(function (input) {
    if (!input.value) input.value = remembered();
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("tag")) return;
    ev.preventDefault();
    var msg = form.querySelector(".msg");
    var body = {
      id: form.dataset.id,
      tag: form.elements.tag.value,
      comment: form.elements.comment.value,
      by: form.elements.by.value
    };
    try { window.localStorage.setItem("monitor-by", body.by); } catch (e) { /* private mode */ }
    msg.textContent = "saving…";
    fetch("/api/tags", { method: "POST", headers: headers(), body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error(j.error || r.statusText);
          msg.textContent = "saved: " + j.tag;
          window.location.reload();
        });
      })
      .catch(function (err) { msg.textContent = "not saved: " + err.message; });
  });

  var version = null;
  function poll() {
    fetch("/api/version", { headers: headers() })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (version !== null && j.version !== version) window.location.reload();
        version = j.version;
      })
      .catch(function () { /* the server is away: try again */ })
      .then(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
