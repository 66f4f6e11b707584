// The work diary's timer: shows the elapsed time of a running timer, warns before the weekly limit, and keeps
// every open tab in step with the server (a start or stop in one tab reloads the others; a tab brought back to
// the front re-reads the state). The buttons are plain forms: without this script the timer still works.
(function () {
  "use strict";
  const box = document.querySelector("[data-timer]");
  if (!box) return;
  const status = box.querySelector("[data-timer-status]");
  const elapsed = box.querySelector("[data-timer-elapsed]");
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("work-diary-timer") : null;
  const running = box.dataset.running === "true";
  const startedAt = box.dataset.startedAt ? new Date(box.dataset.startedAt) : null;
  const limitLeft = parseInt(box.dataset.limitLeft || "0", 10);
  let warned = false;

  function pad(n) { return String(n).padStart(2, "0"); }

  function tick() {
    if (!running || !startedAt) return;
    const minutes = Math.max(0, Math.floor((Date.now() - startedAt.getTime()) / 60000));
    elapsed.textContent = Math.floor(minutes / 60) + ":" + pad(minutes % 60) + " elapsed";
    if (!warned && limitLeft > 0 && minutes >= limitLeft - 15) {
      warned = true;
      status.textContent = minutes >= limitLeft
        ? "You have reached this week's limit: time from now on is recorded but not billed."
        : "About 15 minutes left before this week's limit: time past it is recorded but not billed.";
    }
  }

  function sync() {
    fetch(box.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state && state.running !== running) window.location.reload();
      })
      .catch(function () { /* offline: the page keeps what it shows */ });
  }

  box.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () { if (channel) channel.postMessage("changed"); });
  });
  if (channel) channel.onmessage = function () { setTimeout(sync, 1500); };
  document.addEventListener("visibilitychange", function () { if (!document.hidden) sync(); });
  tick();
  if (running) setInterval(tick, 15000);
})();
