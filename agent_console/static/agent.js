// 坐席工作台: shows the state the engine got from Asterisk; buttons only send requests.
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var pollMs = parseInt(desk.getAttribute("data-poll-ms"), 10) || 2000;
  var timer = null;
  var since = desk.getAttribute("data-since") || null;
  var clockOffset = Date.parse(desk.getAttribute("data-server-now")) - Date.now();  // server clock minus ours

  function showDuration() {
    var el = document.getElementById("duration");
    if (!since) { el.textContent = "—"; return; }
    var seconds = Math.max(0, Math.floor((Date.now() + clockOffset - Date.parse(since)) / 1000));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    el.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function toLogin() {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
  }

  function showError(message) {
    var box = document.getElementById("desk-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function render(state) {
    var el = document.getElementById("state");
    var text = state.state_label;
    if (state.state === "paused" && state.paused_reason) { text += "（" + state.paused_reason + "）"; }
    el.textContent = text;
    el.className = "state state-" + state.state;
    document.getElementById("calls").textContent = String(state.calls_taken);
    since = state.since;
    showDuration();
    document.getElementById("disconnected").hidden = !!state.connected;
    state.queues.forEach(function (q) {
      var row = desk.querySelector('li[data-queue="' + CSS.escape(q.name) + '"]');
      if (!row) { return; }
      row.querySelector(".qstate").textContent = q.joined ? "已签入" : "未签入";
      row.querySelector(".join").hidden = q.joined;
      row.querySelector(".leave").hidden = !q.joined;
    });
    document.dispatchEvent(new CustomEvent("desk-state", {detail: state}));  // the screen pop listens
  }

  function request(method, url, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { toLogin(); throw new Error("session"); }
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    });
  }

  function poll() {
    clearTimeout(timer);
    if (live && live.readyState === WebSocket.OPEN) { return; }  // the socket brings changes
    request("GET", "/agent/state").then(function (r) {
      if (r.data.ok) { render(r.data.state); }
    }).catch(function () {
      document.getElementById("disconnected").hidden = false;
    }).then(function () { timer = setTimeout(poll, pollMs); });
  }

  // Live updates: one socket, batched by the server; reconnects by itself, polling meanwhile.
  var live = null;
  var retryMs = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    live = new WebSocket(scheme + window.location.host + "/agent/live");
    live.onopen = function () { retryMs = 1000; document.getElementById("offline").hidden = true; };
    live.onmessage = function (event) { render(JSON.parse(event.data)); };
    live.onclose = function (event) {
      if (event.code === 4401) { toLogin(); return; }
      document.getElementById("offline").hidden = false;
      poll();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    };
  }

  function act(url, body) {
    showError("");
    request("POST", url, body).then(function (r) {
      if (!r.data.ok) { showError(r.data.error.message); return; }
      render(r.data.state);
      if (!live || live.readyState !== WebSocket.OPEN) { timer = setTimeout(poll, 250); }
    }).catch(function (err) {
      if (err.message !== "session") { showError("网络错误，操作可能没有执行，请刷新页面查看状态"); }
    });
  }

  desk.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    var queue = button.getAttribute("data-queue");
    if (button.classList.contains("join")) {
      act("/agent/queues/" + encodeURIComponent(queue) + "/join");
    } else if (button.classList.contains("leave")) {
      act("/agent/queues/" + encodeURIComponent(queue) + "/leave");
    } else if (button.classList.contains("pause-reason")) {
      act("/agent/pause", {reason: button.getAttribute("data-reason")});
    } else if (button.id === "unpause") {
      act("/agent/unpause");
    } else if (button.id === "wrapup") {
      act("/agent/wrapup");
    }
  });

  showDuration();
  setInterval(showDuration, 1000);
  if (window.WebSocket) { connect(); } else { timer = setTimeout(poll, pollMs); }
}());
