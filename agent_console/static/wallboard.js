// 监控大屏: live over the websocket (batched by the server; after the first view only changed agent rows),
// polling while it reconnects. Text only.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var pollMs = parseInt(board.getAttribute("data-poll-ms"), 10) || 2000;
  var SVG = "http://www.w3.org/2000/svg";
  var STATES = ["talking", "ringing", "idle", "paused", "unavailable"];
  var FIGS = ["answered_15s_pct", "abandoned_pct", "connection_rate_pct"];
  var COUNTS = ["offered", "answered", "abandoned", "timeout", "overflowed"];
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
  function none(v) { return v === null || v === undefined; }
  function one(v) { return Number(v).toFixed(1); }  // the server's one decimal, as the first paint shows it
  function secs(v) { return none(v) ? "—" : one(v) + " 秒"; }
  function pctOf(v) { return none(v) ? "—" : one(v) + " %"; }
  function countOf(q, state) {
    var found = q.agents.filter(function (a) { return a.state === state; })[0];
    return found ? found.count : 0;
  }
  var KPIS = [["asa", secs], ["aht", secs], ["occupancy_pct", pctOf]];
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
    var kpi = (center.kpi || {}).today || {};
    KPIS.forEach(function (k) {
      var tile = board.querySelector('.kpi[data-kpi="' + k[0] + '"]');
      if (tile) { tile.querySelector(".v").textContent = k[1](kpi[k[0]]); }
    });
    document.getElementById("center-offline").textContent = String(center.offline || 0);
    COUNTS.forEach(function (key) {
      var tile = board.querySelector('.count[data-count="' + key + '"]');
      if (tile) { tile.querySelector(".v").textContent = String(center.service[key] || 0); }
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
      COUNTS.forEach(function (key) { cell(row, String(q.service[key] || 0), "n-" + key); });
      FIGS.forEach(function (key) {
        var f = q.service.figures[key];
        cell(row, pct(f), f.missed ? "missed" : "");
      });
      var kpi = (q.kpi || {}).today || {};
      cell(row, none(kpi.asa) ? "—" : one(kpi.asa), "k-asa");
      cell(row, none(kpi.aht) ? "—" : one(kpi.aht), "k-aht");
      cell(row, pctOf(kpi.occupancy_pct), "k-occupancy");
      body.appendChild(row);
    });
    renderQueueTiles(queues);
  }

  function part(parent, tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined) { el.textContent = text; }
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }
  function renderQueueTiles(queues) {  // every configured queue, also one with nobody in it yet
    var box = document.getElementById("queue-tiles");
    clear(box);
    queues.forEach(function (q) {
      var kpi = (q.kpi || {}).today || {};
      var tile = part(box, "div", undefined, "tile queue-tile");
      tile.setAttribute("data-queue", q.name);
      part(tile, "span", q.label, "k");
      var v = part(tile, "span", undefined, "v");
      part(v, "span", String(q.waiting), "q-waiting");
      v.appendChild(document.createTextNode(" "));
      part(v, "small", "排队");
      var t1 = part(tile, "span", undefined, "t");
      t1.appendChild(document.createTextNode("空闲 "));
      part(t1, "b", String(countOf(q, "idle")), "q-idle");
      t1.appendChild(document.createTextNode(" · 通话 "));
      part(t1, "b", String(countOf(q, "talking")), "q-talking");
      t1.appendChild(document.createTextNode(" · 今日接通 "));
      part(t1, "b", String(kpi.answered || 0), "q-answered");
      var t2 = part(tile, "span", undefined, "t");
      t2.appendChild(document.createTextNode("ASA "));
      part(t2, "b", secs(kpi.asa), "q-asa");
      t2.appendChild(document.createTextNode(" · AHT "));
      part(t2, "b", secs(kpi.aht), "q-aht");
      t2.appendChild(document.createTextNode(" · 占用率 "));
      part(t2, "b", pctOf(kpi.occupancy_pct), "q-occupancy");
    });
  }

  function renderOffline(offline) {  // agent accounts with a phone that are in no queue
    var box = document.getElementById("offline-rows");
    if (!offline || !box) { return; }
    clear(box);
    if (!offline.length) { part(box, "li", "无（有话机的坐席都已签入）", "muted none"); }
    offline.forEach(function (a) {
      var li = part(box, "li");
      li.setAttribute("data-interface", a.interface);
      part(li, "b", a.name);
      li.appendChild(document.createTextNode(" " + a.interface + " "));
      part(li, "span", a.state_label, "state state-offline");
    });
  }

  var STORED = ["offered", "answered", "answered_15s", "abandoned", "timeout", "overflowed", "average_wait",
                "longest_wait"];
  var PERIODS = [["today", "今日"], ["day", "24 小时"]];
  function renderStored(rows) {
    var body = document.getElementById("stored-rows");
    clear(body);
    (rows || []).forEach(function (q) {
      PERIODS.forEach(function (p) {
        var f = q[p[0]], row = document.createElement("tr");
        row.setAttribute("data-queue", q.queue || "center");
        row.setAttribute("data-period", p[0]);
        cell(row, q.queue ? q.label + "（" + q.queue + "）" : q.label);
        cell(row, p[1]);
        STORED.forEach(function (key) {
          cell(row, f[key] === null || f[key] === undefined ? (key.indexOf("wait") >= 0 ? "—" : "0") : String(f[key]),
               "n-" + key);
        });
        FIGS.forEach(function (key) { cell(row, pct({value: f[key] === undefined ? null : f[key]}), "p-" + key); });
        body.appendChild(row);
      });
    });
  }

  var AGENT_FIGS = ["answered", "ring_no_answer", "talk_seconds", "average_talk", "wrap_up_seconds", "average_handling",
                    "pause_count", "pause_seconds"];
  function renderAgentFigures(agents) {
    var body = document.getElementById("agent-figure-rows");
    if (!agents || !body) { return; }
    clear(body);
    agents.forEach(function (a) {
      PERIODS.forEach(function (p) {
        var f = a[p[0]], row = document.createElement("tr");
        row.setAttribute("data-agent", a.name);
        row.setAttribute("data-period", p[0]);
        cell(row, a.name);
        cell(row, p[1]);
        AGENT_FIGS.forEach(function (key) {
          cell(row, f[key] === null || f[key] === undefined ? "—" : String(f[key]), "f-" + key);
        });
        cell(row, f.first_login_at || "—", "f-first_login");
        cell(row, f.logged_in ? "在线" : (f.last_logout_at || "—"), "f-last_logout");
        body.appendChild(row);
      });
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
    cell(row, String(a.answered));
    var today = a.today || {};
    cell(row, String(today.answered || 0), "a-today-answered");
    cell(row, String(today.talk_seconds || 0), "a-today-talk");
    cell(row, today.average_talk === null || today.average_talk === undefined ? "—" : String(today.average_talk),
         "a-today-average");
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
    renderOffline(data.offline);
    if (data.delta) { patchAgents(data.agents, data.gone || []); } else { renderAgents(data.agents); }
    renderChart(data.chart);
    renderStored(data.stored);
    renderAgentFigures(data.agent_figures);
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
      if (event.code === 4401) {  // this login ended: say why, then the login form
        var box = document.getElementById("board-ended");
        box.textContent = event.reason || "登录已过期，请重新登录";
        box.hidden = false;
        setTimeout(function () { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); }, 2500);
        return;
      }
      document.getElementById("board-offline").hidden = false;
      poll();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    };
  }
  var full = document.getElementById("tv-fullscreen");
  if (full) {
    full.addEventListener("click", function () {
      if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen().catch(function () {}); }
    });
  }
  tick();
  setInterval(tick, 1000);
  if (window.WebSocket) { connect(); } else { poll(); }
}());
