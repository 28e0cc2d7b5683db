// 派单目录 CSV 导入: the chosen file is read here and posted as text; every bad row is listed as text.
(function () {
  "use strict";
  var form = document.getElementById("catalogue-import");
  if (!form) { return; }
  var edit = document.querySelector('[data-testid="catalogue-form"]');
  document.addEventListener("click", function (event) {  // 编辑: the row's values into the form
    var b = event.target.closest("button.catalogue-edit");
    if (!b) { return; }
    ["id", "category", "district", "lead", "co", "classifier"].forEach(function (name) {
      edit.elements[name].value = b.getAttribute("data-" + name) || "";
    });
    edit.elements.category.focus();
  });
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var error = document.getElementById("catalogue-import-error");
  var list = document.getElementById("catalogue-import-rows");
  function say(text) { error.textContent = text || ""; error.hidden = !text; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var file = document.getElementById("catalogue-file").files[0];
    if (!file) { say("请选择要导入的 CSV 文件"); return; }
    if (file.size > 2000000) { say("文件过大（最多 2 MB）"); return; }
    file.text().then(function (text) {
      return fetch("/admin/catalogue/import", {method: "POST", credentials: "same-origin",
        headers: {"Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({csv: text})});
    }).then(function (r) { return r.json(); }).then(function (r) {
      if (!r.ok) {
        say(r.error.message);
        (r.error.rows || []).forEach(function (line) {
          var li = document.createElement("li");
          li.textContent = line;
          list.appendChild(li);
        });
        return;
      }
      try { window.sessionStorage.setItem("admin-result-note", r.message); } catch (e) { /* private mode */ }
      window.location.reload();
    }).catch(function () { say("网络错误，请重试"); });
  });
}());
