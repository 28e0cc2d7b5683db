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

  // The server closed the socket because this login ended (disabled, roles or password changed):
  // say why, then go to the login form.
  // A request refused with 401 says so at once; the socket's close, arriving just after, tells why.
  var leaving = null;
  function ended(reason) {
    var box = document.getElementById("session-ended");
    if (reason || box.hidden) { box.textContent = reason || "登录已过期，请重新登录"; }
    box.hidden = false;
    if (!leaving) { leaving = setTimeout(toLogin, 2500); }
  }
  window.hotlineSessionEnded = ended;  // screenpop.js: its requests end the same way

  function showError(message) {
    var box = document.getElementById("desk-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // After-call work: counts the queue's wrap-up time down from the hang-up; an agent paused for
  // 话后处理 is made ready (示闲) when it ends.
  var acw = {linkedid: "", left: 0, timer: null};
  function stopAcw() {
    if (acw.timer) { clearInterval(acw.timer); acw.timer = null; }
    document.getElementById("acw").hidden = true;
  }
  function startAcw(seconds, linkedid) {
    stopAcw();
    acw.linkedid = linkedid;
    acw.left = seconds;
    var box = document.getElementById("acw");
    function tick() {
      if (acw.left <= 0) {
        stopAcw();
        if (lastState && lastState.state === "paused" && lastState.paused_reason === "话后处理") { act("/agent/unpause"); }
        return;
      }
      box.textContent = "话后处理：还剩 " + acw.left + " 秒，结束后自动就绪";
      box.hidden = false;
      acw.left -= 1;
    }
    tick();
    acw.timer = setInterval(tick, 1000);
  }
  var lastState = null;
  function followCall(state) {
    var pop = state.pop;
    if (pop && pop.state === "ended" && acw.linkedid !== pop.linkedid) {  // counted from the hang-up, also after a reload
      var gone = pop.ended_at ? (Date.now() + clockOffset - Date.parse(pop.ended_at)) / 1000 : 0;
      startAcw(Math.max(0, Math.round((state.wrapup_seconds || 0) - gone)), pop.linkedid);
    }
    if (pop && pop.state !== "ended" && acw.timer && acw.linkedid !== pop.linkedid) { stopAcw(); }  // next call
  }

  function render(state) {
    lastState = state;
    var el = document.getElementById("state");
    var text = state.state_label;
    if (state.state === "paused" && state.paused_reason) { text += "（" + state.paused_reason + "）"; }
    if ((state.state === "talking" || state.state === "ringing") && state.paused_in_call) {
      text += " · 已申请示忙（" + (state.paused_reason || "示忙") + "），通话结束后生效";
    }
    el.textContent = text;
    el.className = "state state-" + state.state;
    document.getElementById("calls").textContent = String(state.answered);
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
    followCall(state);
    renderFigures(state.figures);
    document.dispatchEvent(new CustomEvent("desk-state", {detail: state}));  // the screen pop listens
  }

  function td(row, text, cls) {
    var c = document.createElement("td");
    c.textContent = text;
    if (cls) { c.className = cls; }
    row.appendChild(c);
  }
  // 我的今日与 24 小时统计 and today's pause log (stored figures, refreshed with the wallboard's).
  function renderFigures(figures) {
    var body = document.getElementById("my-figures"), pauses = document.getElementById("my-pauses");
    if (!figures || !body || !pauses) { return; }
    var FIGURES = [["answered", "接通"], ["ring_no_answer", "振铃未接"], ["talk_seconds", "通话时长(秒)"],
                   ["average_handling", "平均处理时长(秒)"], ["pause_count", "示忙次数"], ["pause_seconds", "示忙时长(秒)"],
                   ["first_login", "首次签入"], ["last_logout", "最后签出"]];
    function shown(f, key) {
      if (key === "first_login") { return f.first_login_at || "—"; }
      if (key === "last_logout") { return f.logged_in ? "在线" : (f.last_logout_at || "—"); }
      return f[key] === null || f[key] === undefined ? "—" : String(f[key]);
    }
    while (body.firstChild) { body.removeChild(body.firstChild); }
    FIGURES.forEach(function (item) {  // one row per figure, 今日 and 24 小时 side by side
      var row = document.createElement("tr"), head = document.createElement("th");
      row.setAttribute("data-figure", item[0]);
      head.textContent = item[1];
      row.appendChild(head);
      ["today", "day"].forEach(function (period) {
        td(row, shown(figures[period], item[0]), "f-" + item[0]);
        row.lastChild.setAttribute("data-period", period);
      });
      body.appendChild(row);
    });
    while (pauses.firstChild) { pauses.removeChild(pauses.firstChild); }
    figures.today.pauses.forEach(function (p) {
      var row = document.createElement("tr");
      td(row, p.start_at); td(row, p.end_at || "示忙中"); td(row, p.reason); td(row, String(p.seconds));
      pauses.appendChild(row);
    });
  }

  function request(method, url, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { ended(); throw new Error("session"); }
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
      if (event.code === 4401) { ended(event.reason); return; }
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
    if (window.Notification && Notification.permission === "default") {
      var asked = Notification.requestPermission();  // asked on a click: ring alerts while the tab is hidden
      if (asked && asked.catch) { asked.catch(function () {}); }
    }
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

  window.hotlineDesk = {act: act};  // the keyboard shortcuts press the same buttons
  showDuration();
  setInterval(showDuration, 1000);
  if (window.WebSocket) { connect(); } else { timer = setTimeout(poll, pollMs); }
}());
