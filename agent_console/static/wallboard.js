// 监控大屏: live over the websocket (batched by the server; after the first view only changed agent rows),
// polling while it reconnects. Text only.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var pollMs = parseInt(board.getAttribute("data-poll-ms"), 10) || 2000;
  var SVG = "http://www.w3.org/2000/svg";
  var STATES = ["talking", "ringing", "idle", "paused", "unavailable"];
  var FIGS = ["answered_15s_pct", "abandoned_pct", "connection_rate_pct"];
  // the server sends when a state began ("since"); this page counts the seconds on its own clock
  var clockOffset = (Date.parse(board.getAttribute("data-server-now")) - Date.now()) || 0;

  function cell(row, value, cls) {
    var td = document.createElement("td");
    td.textContent = value;
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }
  function pct(f) { return f.value === null ? "—" : f.value + " %"; }
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }
  function secondsSince(since) {
    if (!since) { return null; }
    return Math.max(0, Math.round((Date.now() + clockOffset - Date.parse(since)) / 1000));
  }
  function duration(s) {
    if (s === null || s === undefined) { return "—"; }
    var m = Math.floor(s / 60), r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  function showSince(el) {  // data-since + data-unit: a wait in seconds; without a unit: mm:ss
    var since = el.getAttribute("data-since"), unit = el.getAttribute("data-unit");
    var s = secondsSince(since);
    if (unit !== null) { el.textContent = String(s === null ? 0 : s) + unit; } else { el.textContent = duration(s); }
  }
  function sinceCell(row, since, unit, cls) {
    var td = cell(row, "", cls);
    td.setAttribute("data-since", since || "");
    if (unit !== null) { td.setAttribute("data-unit", unit); }
    showSince(td);
    return td;
  }
  function tick() { Array.prototype.forEach.call(board.querySelectorAll("[data-since]"), showSince); }

  function renderCenter(center) {
    document.getElementById("center-waiting").textContent = String(center.waiting);
    var longest = document.getElementById("center-longest");
    longest.setAttribute("data-since", center.longest_since || "");
    showSince(longest);
    FIGS.forEach(function (key) {
      var tile = board.querySelector('.figure[data-figure="' + key + '"]');
      var f = center.service.figures[key];
      tile.querySelector(".v").textContent = pct(f);
      tile.classList.toggle("missed", f.missed);
    });
  }

  function renderQueues(queues) {
    var body = document.getElementById("queue-rows");
    clear(body);
    queues.forEach(function (q) {
      var row = document.createElement("tr");
      row.setAttribute("data-queue", q.name);
      cell(row, q.label + "（" + q.name + "）");
      cell(row, String(q.waiting), "waiting");
      sinceCell(row, q.longest_since, "");
      q.agents.forEach(function (a) { cell(row, String(a.count), "st-" + a.state); });
      FIGS.forEach(function (key) {
        var f = q.service.figures[key];
        cell(row, pct(f), f.missed ? "missed" : "");
      });
      body.appendChild(row);
    });
  }

  var shown = {};  // interface -> the agent row this page shows (a delta changes a few)
  function agentRow(a) {
    var row = document.createElement("tr");
    row.setAttribute("data-interface", a.interface);
    cell(row, a.name);
    cell(row, a.interface);
    cell(row, a.state_label, "state state-" + a.state).setAttribute("data-testid", "agent-state");
    cell(row, a.paused_reason || "");
    sinceCell(row, a.since, null);
    cell(row, String(a.calls_taken));
    cell(row, a.queues.join("、"));
    return row;
  }
  function byName(a, b) {
    if (a.name !== b.name) { return a.name < b.name ? -1 : 1; }
    return a.interface < b.interface ? -1 : (a.interface > b.interface ? 1 : 0);
  }
  function renderAgents(agents) {
    var body = document.getElementById("agent-rows");
    clear(body);
    shown = {};
    agents.forEach(function (a) { shown[a.interface] = a; body.appendChild(agentRow(a)); });
  }
  function patchAgents(changed, gone) {
    var body = document.getElementById("agent-rows");
    var reorder = gone.length > 0;
    gone.forEach(function (iface) { delete shown[iface]; });
    changed.forEach(function (a) {
      var old = shown[a.interface];
      if (!old || old.name !== a.name) { reorder = true; }
      shown[a.interface] = a;
      if (!reorder) {
        var row = body.querySelector('tr[data-interface="' + CSS.escape(a.interface) + '"]');
        if (row) { body.replaceChild(agentRow(a), row); } else { reorder = true; }
      }
    });
    if (reorder) {
      renderAgents(Object.keys(shown).map(function (k) { return shown[k]; }).sort(byName));
    }
  }

  function renderChart(chart) {
    var box = document.getElementById("chart");
    clear(box);
    var w = 720, h = 180, pad = 24, bw = (w - pad) / 24;
    var max = Math.max.apply(null, chart.total.concat([1]));
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + (h + 20));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "今日来电按小时");
    for (var i = 0; i < 24; i++) {
      [["total", "bar-total"], ["answered", "bar-answered"]].forEach(function (kind) {
        var n = chart[kind[0]][i], bh = Math.round((h - 10) * n / max);
        var rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", String(pad + i * bw + (kind[0] === "answered" ? bw * 0.45 : 0)));
        rect.setAttribute("y", String(h - bh));
        rect.setAttribute("width", String(bw * 0.42));
        rect.setAttribute("height", String(bh));
        rect.setAttribute("class", kind[1]);
        var title = document.createElementNS(SVG, "title");
        title.textContent = i + " 时 " + (kind[0] === "total" ? "来电 " : "接通 ") + n;
        rect.appendChild(title);
        svg.appendChild(rect);
      });
      if (i % 3 === 0) {
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("x", String(pad + i * bw));
        label.setAttribute("y", String(h + 15));
        label.textContent = i + "时";
        svg.appendChild(label);
      }
    }
    box.appendChild(svg);
    var legend = document.createElement("p");
    legend.className = "muted";
    var total = chart.total.reduce(function (a, b) { return a + b; }, 0);
    var answered = chart.answered.reduce(function (a, b) { return a + b; }, 0);
    legend.textContent = "今日来电 " + total + " 个，接通 " + answered + " 个（深色：来电，浅色：接通）";
    legend.setAttribute("data-testid", "chart-total");
    box.appendChild(legend);
  }

  function render(data) {
    renderCenter(data.center);
    renderQueues(data.queues);
    if (data.delta) { patchAgents(data.agents, data.gone || []); } else { renderAgents(data.agents); }
    renderChart(data.chart);
    document.getElementById("board-switch").hidden = data.connected !== false;
  }

  var live = null, retryMs = 1000, timer = null;
  function poll() {
    clearTimeout(timer);
    if (live && live.readyState === WebSocket.OPEN) { return; }
    fetch("/wallboard/state", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); throw new Error("session"); }
        return r.json();
      })
      .then(function (d) { if (d.ok) { render(d.board); } })
      .catch(function () {})
      .then(function () { timer = setTimeout(poll, pollMs); });
  }
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    live = new WebSocket(scheme + window.location.host + "/wallboard/live");
    live.onopen = function () { retryMs = 1000; document.getElementById("board-offline").hidden = true; };
    live.onmessage = function (event) { render(JSON.parse(event.data)); };
    live.onclose = function (event) {
      if (event.code === 4401) { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); return; }
      document.getElementById("board-offline").hidden = false;
      poll();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    };
  }
  tick();
  setInterval(tick, 1000);
  if (window.WebSocket) { connect(); } else { poll(); }
}());
