// 热线管理: save a line, preview the rendered Asterisk config as a diff, apply with a reload. Text only.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var form = document.getElementById("line-form");
  var MODES = {absorbed: "整体并入", parallel: "双号并行", subcenter: "设分中心", hub: "12345主号"};
  function $(id) { return document.getElementById(id); }
  function send(method, url, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(url, options).then(function (r) {
      if (r.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); throw new Error("session"); }
      return r.json();
    });
  }
  function say(id, value) { $(id).textContent = value || ""; $(id).hidden = !value; }

  function row(l) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-number", l.number);
    [l.number, l.name, l.mode_label || MODES[l.mode], l.queue || "—", String(l.overflow_after), l.dial_target || "—",
     l.hours, l.enabled ? "启用" : "停用"].forEach(function (v) {
      var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    });
    var td = document.createElement("td");
    if (l.mode !== "hub") {
      var b = document.createElement("button");
      b.type = "button"; b.className = "edit"; b.textContent = "编辑";
      b.setAttribute("data-line", JSON.stringify(l));
      td.appendChild(b);
    }
    tr.appendChild(td);
    return tr;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("line-error", ""); say("line-saved", "");
    var data = {};
    ["number", "name", "mode", "queue", "overflow_after", "dial_target", "hours", "department"].forEach(function (n) {
      data[n] = form.elements[n].value;
    });
    data.enabled = form.elements.enabled.checked;
    send("POST", "/admin/lines", data).then(function (r) {
      if (!r.ok) { say("line-error", r.error.message); return; }
      var body = $("line-rows");
      while (body.firstChild) { body.removeChild(body.firstChild); }
      r.lines.forEach(function (l) { body.appendChild(row(l)); });
      say("line-saved", "已保存 " + r.line.number + "（" + MODES[r.line.mode] + "）。预览并应用后交换机才会使用新配置。");
    }).catch(function () {});
  });

  $("line-rows").addEventListener("click", function (event) {
    var b = event.target.closest("button.edit");
    if (!b) { return; }
    var l = JSON.parse(b.getAttribute("data-line"));
    ["number", "name", "mode", "queue", "overflow_after", "dial_target", "hours"].forEach(function (n) {
      form.elements[n].value = l[n] === null || l[n] === undefined ? "" : String(l[n]);
    });
    form.elements.enabled.checked = !!l.enabled;
  });

  $("preview").addEventListener("click", function () {
    send("GET", "/admin/lines/preview").then(function (r) {
      $("diff").hidden = false;
      $("diff").textContent = r.ok ? (r.diff || "（与交换机当前配置相同，无变更）") : r.error.message;
    }).catch(function () {});
  });
  $("apply").addEventListener("click", function () {
    say("apply-result", "正在写入并重新加载…");
    send("POST", "/admin/lines/apply").then(function (r) {
      if (r.error) { say("apply-result", r.error.message); return; }
      $("apply-result").className = r.ok ? "ok" : "error";
      say("apply-result", r.message);
      $("diff").hidden = false;
      $("diff").textContent = r.diff || "（无变更）";
    }).catch(function () {});
  });
}());
