// Live updates for signed-in pages: the bell everywhere, and messages, read receipts and typing on a
// conversation page. One WebSocket per page; after a drop it reconnects with a growing delay and, while it is
// down, polls with htmx every few seconds, so the page stays current either way. Events carry no text: the page
// fetches new messages through the same view as the polling, so it shows exactly what a reload would.
(() => {
  const POLL_MS = 5000;
  const TYPING_SEND_MS = 2000;
  const TYPING_SHOW_MS = 4000;
  const STOP_CODES = new Set([4401, 4404]);

  document.addEventListener("DOMContentLoaded", () => {
    const room = document.querySelector("[data-live-conversation]");
    const bell = document.querySelector("[data-bell]");
    if (!room && !bell) return;
    const status = document.querySelector("[data-live-status]");
    const thread = document.getElementById("message-thread");
    const path = room ? room.dataset.socketPath : "/ws/notifications/";
    let socket = null;
    let retries = 0;
    let pollTimer = null;
    let loading = false;
    let again = false;
    let typingHide = null;
    let lastTypingSent = 0;

    const say = (text) => { if (status) status.textContent = text; };

    const refreshBell = () => { if (bell) htmx.trigger(bell, "refresh"); };

    const lastId = () => {
      const items = thread ? thread.querySelectorAll("[data-message-id]") : [];
      return items.length ? items[items.length - 1].dataset.messageId : "0";
    };

    // One fetch at a time; a request while one runs is remembered and made after it.
    const refreshMessages = () => {
      if (!room) return;
      if (loading) { again = true; return; }
      loading = true;
      const url = `${room.dataset.pollUrl}?after=${encodeURIComponent(lastId())}`;
      htmx.ajax("GET", url, { target: "#message-thread", swap: "beforeend" }).finally(() => {
        loading = false;
        const empty = document.getElementById("no-messages");
        if (empty && thread.querySelector("[data-message-id]")) empty.hidden = true;
        if (again) { again = false; refreshMessages(); }
      });
    };

    const startPolling = () => {
      if (pollTimer) return;
      pollTimer = setInterval(() => { refreshMessages(); refreshBell(); }, POLL_MS);
    };
    const stopPolling = () => { clearInterval(pollTimer); pollTimer = null; };

    const handle = (event) => {
      if (event.type === "bell") refreshBell();
      else if (event.type === "message") refreshMessages();
      else if (event.type === "read") {
        const receipt = document.getElementById("read-receipt");
        if (receipt) receipt.textContent = `Seen by ${event.name}`;
      } else if (event.type === "typing") {
        const typing = document.getElementById("typing");
        if (!typing) return;
        typing.textContent = `${event.name} is typing…`;
        clearTimeout(typingHide);
        typingHide = setTimeout(() => { typing.textContent = ""; }, TYPING_SHOW_MS);
      } else if (event.type === "removed") {
        const item = document.getElementById(`message-${event.id}`);
        if (item) item.outerHTML = `<li id="message-${event.id}" data-message-id="${event.id}" class="message-item">` +
          '<p class="message-body muted"><em>This message was removed by staff.</em></p></li>';
      }
    };

    const connect = () => {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      socket = new WebSocket(`${scheme}//${location.host}${path}`);
      socket.addEventListener("open", () => {
        retries = 0;
        stopPolling();
        say("Live: new messages appear as they are sent.");
        // Catch up on whatever arrived while the socket was down.
        refreshMessages();
        refreshBell();
      });
      socket.addEventListener("message", (message) => handle(JSON.parse(message.data)));
      socket.addEventListener("close", (closed) => {
        socket = null;
        if (STOP_CODES.has(closed.code)) {
          stopPolling();
          say("You can no longer read this conversation.");
          return;
        }
        startPolling();
        say("Reconnecting… meanwhile new messages are checked every few seconds.");
        retries += 1;
        setTimeout(connect, Math.min(30000, 1000 * 2 ** Math.min(retries, 5)));
      });
    };

    if (room) {
      document.body.addEventListener("message-sent", refreshMessages);
      room.addEventListener("input", (event) => {
        if (event.target.name !== "body" || !socket || socket.readyState !== WebSocket.OPEN) return;
        const now = Date.now();
        if (now - lastTypingSent < TYPING_SEND_MS) return;
        lastTypingSent = now;
        socket.send(JSON.stringify({ type: "typing" }));
      });
    }
    if ("WebSocket" in window) connect();
    else { startPolling(); say("New messages are checked every few seconds."); }
  });
})();
