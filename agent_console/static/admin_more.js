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
  var out = $("rules-preview-result"), err = rules.querySelector("[data-result]");
  function guesses(list) {
    return list.length ? list.map(function (g) { return g.label + "（" + g.matched.join("、") + "）"; }).join("；") : "无";
  }
  $("rules-preview").addEventListener("click", function () {
    say(err, "");
    post("/admin/rules/preview", fields(rules)).then(function (r) {
      if (!r.ok) { say(err, r.error.message); out.hidden = true; return; }
      var c = r.classification;
      out.textContent = "诉求类型：" + guesses(c.types) + "\n分类：" + guesses(c.categories) + "\n紧急联动：" +
        (r.route ? r.route.name + " " + r.route.target + "（触发词“" + r.route.word + "”）" : "不触发");
      out.hidden = false;
    }).catch(function () {});
  });
  $("rules-apply").addEventListener("click", function () {
    say(err, "");
    var data = fields(rules);
    delete data.sample;
    post("/admin/rules/apply", data).then(function (r) {
      if (!r.ok) { say(err, r.error.message); return; }
      rules.elements.text.value = r.document;
      rules.elements.format.value = "json";
      say($("admin-result"), r.message);
    }).catch(function () {});
  });
}());
