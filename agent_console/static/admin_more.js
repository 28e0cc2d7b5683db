// 系统管理 (部门/用户/示忙原因/关键词规则): forms post JSON with the CSRF header; results shown as text only.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var NOTE = "admin-result-note";
  function $(id) { return document.getElementById(id); }
  function say(el, text) { if (el) { el.textContent = text || ""; el.hidden = !text; } }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                       headers: {"Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf}})
      .then(function (r) {
        if (r.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); throw new Error("session"); }
        return r.json();
      });
  }
  function fields(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) { return; }
      if (el.type === "checkbox" && el.hasAttribute("data-list")) {
        data[el.name] = data[el.name] || [];
        if (el.checked) { data[el.name].push(el.value); }
      } else if (el.type === "checkbox") {
        data[el.name] = el.checked;
      } else if (el.hasAttribute("data-lines")) {
        data[el.name] = el.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }
  function finished(r, where) {
    if (!r.ok) { say(where, r.error.message); return false; }
    try { window.sessionStorage.setItem(NOTE, r.message || "已保存"); } catch (e) { /* private mode */ }
    window.location.reload();
    return true;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-post]");
    if (!form) { return; }
    event.preventDefault();
    var where = form.querySelector("[data-result]");
    say(where, "");
    post(form.getAttribute("data-post"), fields(form)).then(function (r) { finished(r, where); }).catch(function () {});
  });
  document.addEventListener("click", function (event) {
    var b = event.target.closest("button[data-post]");
    if (!b) { return; }
    post(b.getAttribute("data-post"), JSON.parse(b.getAttribute("data-body") || "{}"))
      .then(function (r) { finished(r, $("admin-result")); if (!r.ok) { $("admin-result").className = "error"; } })
      .catch(function () {});
  });
  try {
    var note = window.sessionStorage.getItem(NOTE);
    if (note && $("admin-result")) { say($("admin-result"), note); window.sessionStorage.removeItem(NOTE); }
  } catch (e) { /* private mode */ }

  var rules = $("rules-form");
  if (!rules) { return; }
  var out = $("rules-preview-result"), err = rules.querySelector("[data-result]"), raw = $("rules-raw");
  var BLANK = {rules: {kind: "category", label: "", keywords: "", weight: 1},
               emergency: {target: "", service: "", name: "", priority: 50, words: ""}};
  function words(text) { return text.split(/[、,，\s]+/).map(function (w) { return w.trim(); }).filter(Boolean); }
  function tableRows(name) {
    return Array.prototype.map.call(rules.querySelectorAll('table[data-table="' + name + '"] tbody tr'), function (tr) {
      var row = {};
      Array.prototype.forEach.call(tr.querySelectorAll("[data-col]"), function (el) { row[el.getAttribute("data-col")] = el.value; });
      return row;
    });
  }
  function documentFromTables() {
    // Empty rows are left out; the server validates the rest and names a bad rule in Chinese.
    var classifier = tableRows("rules").filter(function (r) { return r.label.trim() || r.keywords.trim(); }).map(function (r) {
      var rule = {keywords: words(r.keywords), weight: Number(r.weight || 1)};
      rule[r.kind] = r.label.trim();
      return rule;
    });
    var emergency = tableRows("emergency").filter(function (r) { return r.target.trim() || r.words.trim(); }).map(function (r) {
      return {target: r.target.trim(), service: r.service.trim(), name: r.name.trim(), priority: Number(r.priority || 0),
              words: words(r.words)};
    });
    return JSON.stringify({rules: classifier, emergency: emergency}, null, 1);
  }
  function payload() {
    var data = fields(rules);
    if (!raw.open) { data.text = documentFromTables(); data.format = "json"; }
    return data;
  }
  rules.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-row]");
    if (remove) { remove.closest("tr").remove(); return; }
    var add = event.target.closest("[data-add-row]");
    if (!add) { return; }
    var name = add.getAttribute("data-add-row"), body = rules.querySelector('table[data-table="' + name + '"] tbody');
    var template = body.querySelector("tr");
    if (!template) { return; }
    var tr = template.cloneNode(true);
    Array.prototype.forEach.call(tr.querySelectorAll("[data-col]"), function (el) { el.value = BLANK[name][el.getAttribute("data-col")]; });
    body.appendChild(tr);
    tr.querySelector("input").focus();
  });
  function guesses(list) {
    return list.length ? list.map(function (g) { return g.label + "（" + g.matched.join("、") + "）"; }).join("；") : "无";
  }
  $("rules-preview").addEventListener("click", function () {
    say(err, "");
    post("/admin/rules/preview", payload()).then(function (r) {
      if (!r.ok) { say(err, r.error.message); out.hidden = true; return; }
      var c = r.classification;
      out.textContent = "诉求类型：" + guesses(c.types) + "\n分类：" + guesses(c.categories) + "\n紧急联动：" +
        (r.route ? r.route.name + " " + r.route.target + "（触发词“" + r.route.word + "”）" : "不触发");
      out.hidden = false;
    }).catch(function () {});
  });
  $("rules-apply").addEventListener("click", function () {
    say(err, "");
    var data = payload();
    delete data.sample;
    post("/admin/rules/apply", data).then(function (r) {
      if (!r.ok) { say(err, r.error.message); return; }
      finished(r, err);
    }).catch(function () {});
  });
}());
