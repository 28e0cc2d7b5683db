// 来电弹屏 and 工单登记: the pop arrives inside the desk's live message; everything is shown as text.
(function () {
  "use strict";
  var box = document.getElementById("pop");
  if (!box) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var current = null;       // the pop last shown
  var formFor = "";         // the call (Linkedid) whose work the form holds: never reset for that call
  var ringingFor = "";      // the call the ring alert last sounded for
  var filledFor = "";       // ticket number whose defaults are already in the form
  var contactPrefill = "";  // the caller ID as shown (masked): sent as "" = "same as the caller ID"
  var leadTouched = false;  // the agent chose departments themselves: the suggestion no longer fills them
  var suggestion = null;    // the catalogue's current proposal
  var tree = [];            // 派单目录 category tree
  var districts = [];       // 事发地点: districts with their streets
  var CONTACT = /^(\+?86)?(1[3-9]\d{9}|0\d{2,3}\d{7,8}|[2-9]\d{6,7})$/;
  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value || ""; }

  function send(method, url, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) {
        if (window.hotlineSessionEnded) { window.hotlineSessionEnded(); }
        else { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); }
        throw new Error("session");
      }
      return response.json();
    });
  }

  function message(ok, value) {
    var good = $("ticket-result"), bad = $("ticket-error");
    good.hidden = !ok || !value; bad.hidden = ok || !value;
    (ok ? good : bad).textContent = value || "";
  }

  function earlierItem(t) {
    var li = document.createElement("li");
    if (t.duplicate) { li.className = "duplicate"; }
    var head = document.createElement("strong");
    head.textContent = t.number + " · " + t.created + " · " + t.status_label + (t.request_type ? " · " + t.request_type : "");
    li.appendChild(head);
    if (t.duplicate) {
      var flag = document.createElement("span");
      flag.className = "flag";
      flag.textContent = "疑似重复";
      li.appendChild(flag);
    }
    var summary = document.createElement(t.confidential ? "button" : "span");
    summary.textContent = t.summary;
    if (t.confidential) {
      summary.type = "button";
      summary.className = "link";
      summary.addEventListener("click", function () {
        send("GET", "/tickets/" + encodeURIComponent(t.number)).then(function (r) {
          summary.textContent = r.ok ? (r.ticket.content || r.ticket.transcript || "（无内容）") : r.error.message;
        });
      });
    }
    li.appendChild(document.createElement("br"));
    li.appendChild(summary);
    return li;
  }

  function fillDefaults(pop) {
    var t = pop.ticket;
    if (!t || filledFor === t.number + (pop.loading ? ":loading" : "")) { return; }
    if (t.status !== "draft") { filledFor = t.number; return; }
    var guess = pop.guess || {};
    if (!$("t-type").value) { $("t-type").value = t.request_type || guess.type || ""; }
    if (!$("t-category").value) { $("t-category").value = t.category || guess.category || ""; }
    if (!$("t-content").value) { $("t-content").value = t.content || t.transcript || ""; }
    if (!$("t-caller-name").value) { $("t-caller-name").value = pop.caller_name || ""; }
    if (!$("t-contact").value && pop.has_number) {
      contactPrefill = $("pop-caller").getAttribute("data-full") ? $("pop-caller").textContent : pop.caller_masked;
      $("t-contact").value = contactPrefill;
    }
    $("t-contact").placeholder = pop.has_number ? "" : "来电未显示号码，请填写联系电话";
    if (t.urgency) { $("t-urgency").value = t.urgency; }
    pickPath(t.category || "");
    filledFor = t.number + (pop.loading ? ":loading" : "");
    refresh();
    if ($("t-content").value) { clearTimeout(duplicateTimer); duplicateTimer = setTimeout(checkDuplicates, 0); }
  }

  // --- never lose typed work: the form is kept in the browser per call until the ticket is registered ---
  var SAVED = "hotline.form.";
  var FIELDS = ["t-type", "t-urgency", "t-category", "t-district", "t-street", "t-address", "t-caller-name",
                "t-contact", "t-content", "t-reply", "t-lead", "t-confidential", "t-personal", "t-co"];
  function saveForm() {
    if (!formFor) { return; }
    var values = {};
    FIELDS.forEach(function (id) {
      var el = $(id);
      if (el.type === "checkbox") { values[id] = el.checked; }
      else if (el.multiple) { values[id] = Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }); }
      else { values[id] = el.value; }
    });
    try { window.localStorage.setItem(SAVED + formFor, JSON.stringify({at: Date.now(), values: values, lead: leadTouched})); }
    catch (e) { /* storage full or disabled: the page still works */ }
  }
  function restoreForm(linkedid) {
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(SAVED + linkedid) || "null"); } catch (e) { saved = null; }
    if (!saved || !saved.values) { return; }
    var v = saved.values;
    if (v["t-district"]) { $("t-district").value = v["t-district"]; fillStreets(); }
    FIELDS.forEach(function (id) {
      var el = $(id);
      if (!(id in v)) { return; }
      if (el.type === "checkbox") { el.checked = !!v[id]; }
      else if (el.multiple) { Array.prototype.forEach.call(el.options, function (o) { o.selected = v[id].indexOf(o.value) >= 0; }); }
      else { el.value = v[id]; }
    });
    leadTouched = !!saved.lead;
    pickPath($("t-category").value.trim());
  }
  function forgetForm(linkedid) {
    try { window.localStorage.removeItem(SAVED + linkedid); } catch (e) { /* nothing kept */ }
  }
  (function expireOld() {  // a day later nobody will finish that form
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(SAVED) === 0) {
          var item = JSON.parse(window.localStorage.getItem(key) || "{}");
          if (!item.at || Date.now() - item.at > 86400000) { window.localStorage.removeItem(key); }
        }
      }
    } catch (e) { /* storage disabled */ }
  }());
  $("ticket-form").addEventListener("input", saveForm);
  $("ticket-form").addEventListener("change", saveForm);

  // --- ring alert: a tone, a flashing title, a notification when the tab is hidden -----------------
  var title = document.title, flashing = null;
  function stopFlash() {
    if (flashing) { clearInterval(flashing); flashing = null; }
    document.title = title;
  }
  function ringAlert(pop) {
    box.classList.add("ringing");
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.6);
    } catch (e) { /* no audio before the first click: the title and the notification still show */ }
    var on = false;
    stopFlash();
    flashing = setInterval(function () {
      on = !on;
      document.title = on ? "【来电】" + (pop.caller_masked || "") + " " + title : title;
    }, 700);
    document.title = "【来电】" + (pop.caller_masked || "") + " " + title;
    if (document.hidden && window.Notification && Notification.permission === "granted") {
      try { new Notification("12345 来电", {body: (pop.caller_masked || "") + " " + (pop.line_name || pop.line || ""), tag: pop.linkedid}); }
      catch (e) { /* notifications unsupported here */ }
    }
  }
  box.setAttribute("data-ringing", "");

  function resetForm() {
    $("ticket-form").reset();
    filledFor = "";
    contactPrefill = "";
    leadTouched = false;
    suggestion = null;
    pickPath("");
    fillStreets();
    text("t-suggest", "");
    text("t-deadlines", "");
    $("ticket-deadlines").hidden = true;
    $("t-duplicates").hidden = true;
    message(true, "");
    $("pop-audio").hidden = true;
    $("pop-audio").removeAttribute("src");
  }

  function show(pop) {
    box.hidden = !pop;
    if ($("pop-idle")) { $("pop-idle").hidden = !!pop; }  // the right-hand pane says what comes there
    if (!pop) { current = null; box.classList.remove("ringing"); stopFlash(); return; }
    if (pop.linkedid !== formFor) {  // another call: its own form, or what this browser kept for it
      resetForm();
      formFor = pop.linkedid;
      restoreForm(pop.linkedid);
    }
    if (pop.state === "ringing" && ringingFor !== pop.linkedid) {
      ringingFor = pop.linkedid;
      ringAlert(pop);
    } else if (pop.state !== "ringing") {
      box.classList.remove("ringing");
      stopFlash();
    }
    box.setAttribute("data-ringing", pop.state === "ringing" ? pop.linkedid : "");
    current = pop;
    text("pop-state", {ringing: "振铃中", talking: "通话中", ended: "已挂机，请完成工单"}[pop.state] || pop.state);
    if (!$("pop-caller").getAttribute("data-full")) { text("pop-caller", pop.caller_masked); }
    $("pop-reveal").hidden = !pop.has_number || !!$("pop-caller").getAttribute("data-full");
    text("pop-name", pop.caller_name || "—");
    text("pop-line", pop.line ? pop.line + (pop.line_name ? "（" + pop.line_name + "）" : "") : "—");
    text("pop-path", pop.ivr_path.length ? pop.ivr_path.join(" → ") : (pop.loading ? "加载中…" : "—"));
    text("pop-queue", pop.queue);
    $("pop-duplicate").hidden = !pop.duplicate;
    $("pop-problem").hidden = !pop.problem;
    text("pop-problem", pop.problem);
    var t = pop.ticket;
    text("pop-ticket", t ? t.number + "（" + t.status_label + (t.confidential ? "，保密" : "") + "）" : (pop.loading ? "加载中…" : "登记时生成"));
    text("pop-transcript", t ? (t.transcript || "（无留言）") : "");
    text("pop-transcript-status", t ? t.transcript_status : "");
    $("pop-play").hidden = !(t && t.has_audio);
    $("t-guess").textContent = pop.guess && (pop.guess.type || pop.guess.category)
      ? "系统建议：" + [pop.guess.type, pop.guess.category].filter(Boolean).join(" / ") +
        (pop.guess.matched.length ? "（关键词：" + pop.guess.matched.join("、") + "）" : "") + "，请确认"
      : "";
    var list = $("pop-earlier");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    pop.earlier.forEach(function (item) { list.appendChild(earlierItem(item)); });
    if (!pop.earlier.length) {
      var none = document.createElement("li");
      none.textContent = pop.loading ? "加载中…" : "无历史工单";
      list.appendChild(none);
    }
    fillDefaults(pop);
  }

  document.addEventListener("desk-state", function (event) {
    var pop = event.detail.pop;
    if (!pop || !current || pop.linkedid !== current.linkedid) { $("pop-caller").removeAttribute("data-full"); }
    show(pop || null);
  });

  function complete(then) {
    if (!current) { return; }
    if (!current.ticket) {  // the call skipped the spoken intake: the draft is made now
      send("POST", "/agent/pop/" + encodeURIComponent(current.linkedid) + "/draft").then(function (r) {
        if (!r.ok) { message(false, r.error.message); return; }
        current.ticket = r.ticket;
        complete(then);
      }).catch(function () { message(false, "网络错误，请重试"); });
      return;
    }
    var co = Array.prototype.map.call($("t-co").selectedOptions, function (o) { return o.value; });
    var contact = $("t-contact").value.trim();
    if (contact === contactPrefill) { contact = ""; }  // unchanged: the caller ID itself, read on the server
    if (contact && !CONTACT.test(contact.replace(/[\s\-().]/g, ""))) {
      message(false, "联系电话：应为 11 位手机号、带区号的固定电话或 7–8 位本地号码");
      return;
    }
    var body = {then: then, request_type: $("t-type").value, category: $("t-category").value,
                content: $("t-content").value, confidential: $("t-confidential").checked,
                reply: $("t-reply").value, lead: $("t-lead").value, co: co, urgency: $("t-urgency").value,
                district: $("t-district").value, street: $("t-street").value, address: $("t-address").value,
                caller_name: $("t-caller-name").value, contact: contact,
                personal_callback: $("t-personal").checked};
    message(true, "");
    send("POST", "/agent/tickets/" + encodeURIComponent(current.ticket.number) + "/complete", body).then(function (r) {
      if (!r.ok) { message(false, r.error.message); return; }
      forgetForm(current.linkedid);  // registered: the ticket store has it now
      var done = {register: "已登记", reply: "已直接办结（答复）", dispatch: "已派单至 " + r.ticket.lead};
      message(true, "工单 " + r.ticket.number + " " + done[then]);
      var after = "工单号 " + r.ticket.number + (r.ticket.complete_due ? " · 办结时限 " + r.ticket.complete_due : "") +
        (r.ticket.accept_due ? " · 签收时限 " + r.ticket.accept_due : "");
      $("ticket-deadlines").textContent = after;
      $("ticket-deadlines").hidden = false;
      text("pop-ticket", r.ticket.number + "（" + r.ticket.status_label + "）");
    }).catch(function (err) {
      if (err.message !== "session") { message(false, "网络错误，请刷新后查看工单状态"); }
    });
  }

  // 并单: likely duplicates of the ticket being written (same caller, similar text), as text only
  var duplicateTimer = null;
  function checkDuplicates() {
    if (!current || !current.ticket) { return; }
    var url = "/agent/tickets/" + encodeURIComponent(current.ticket.number) + "/duplicates?content=" +
              encodeURIComponent($("t-content").value.slice(0, 2000));
    send("GET", url).then(function (r) {
      var list = $("t-duplicates-list"), found = (r.ok && r.suggestions) || [];
      list.textContent = "";
      found.forEach(function (s) {
        var li = document.createElement("li");
        li.textContent = s.number + " · " + s.status_label + " · " + s.created + (s.excerpt ? " · " + s.excerpt : "");
        list.appendChild(li);
      });
      $("t-duplicates").hidden = found.length === 0;
    }).catch(function () { $("t-duplicates").hidden = true; });
  }
  $("t-content").addEventListener("input", function () {
    clearTimeout(duplicateTimer);
    duplicateTimer = setTimeout(checkDuplicates, 800);
  });
  $("t-register").addEventListener("click", function () { complete("register"); });
  $("t-answer").addEventListener("click", function () { complete("reply"); });
  $("t-dispatch").addEventListener("click", function () { complete("dispatch"); });
  $("pop-reveal").addEventListener("click", function () {
    send("POST", "/agent/pop/" + encodeURIComponent(current.linkedid) + "/number").then(function (r) {
      if (!r.ok) { message(false, r.error.message); return; }
      $("pop-caller").textContent = r.number;
      $("pop-caller").setAttribute("data-full", "1");
      $("pop-reveal").hidden = true;
    });
  });
  $("pop-play").addEventListener("click", function () {
    var audio = $("pop-audio");
    audio.src = "/agent/pop/" + encodeURIComponent(current.linkedid) + "/audio";
    audio.hidden = false;
    audio.play().catch(function () {});
  });
  $("pop-dismiss").addEventListener("click", function () {
    if (!current) { return; }
    send("POST", "/agent/pop/" + encodeURIComponent(current.linkedid) + "/dismiss").then(function () {
      show(null);
    });
  });

  // --- 派单目录 picker, 事发地点, suggestion and deadlines ------------------------------------------------
  var LEVELS = ["t-cat-1", "t-cat-2", "t-cat-3", "t-cat-4"];
  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  function clear(select, first) {
    while (select.firstChild) { select.removeChild(select.firstChild); }
    option(select, "", first);
  }
  function fillLevel(level, nodes) {
    var select = $(LEVELS[level]);
    clear(select, ["一级分类", "二级分类", "三级分类", "四级分类"][level]);
    nodes.forEach(function (n) { option(select, n.path, n.name); });
    select.hidden = level > 0 && !nodes.length;
    for (var i = level + 1; i < LEVELS.length; i++) { clear($(LEVELS[i]), ""); $(LEVELS[i]).hidden = true; }
  }
  function childrenOf(path) {
    var nodes = tree, found = null;
    path.split("/").forEach(function (_, i, parts) {
      var want = parts.slice(0, i + 1).join("/");
      found = null;
      nodes.forEach(function (n) { if (n.path === want) { found = n; } });
      nodes = found ? found.children : [];
    });
    return found ? found.children : null;
  }
  function pickPath(path) {  // show `path` in the cascading selects (free text outside the tree leaves them empty)
    fillLevel(0, tree);
    if (!path || childrenOf(path) === null) { return; }
    var parts = path.split("/");
    for (var i = 0; i < parts.length && i < LEVELS.length; i++) {
      var want = parts.slice(0, i + 1).join("/");
      $(LEVELS[i]).value = want;
      var kids = childrenOf(want) || [];
      if (i + 1 < LEVELS.length) { fillLevel(i + 1, kids); }
    }
  }
  LEVELS.forEach(function (id, level) {
    $(id).addEventListener("change", function () {
      var path = $(id).value || (level > 0 ? $(LEVELS[level - 1]).value : "");
      if (level + 1 < LEVELS.length) { fillLevel(level + 1, $(id).value ? (childrenOf($(id).value) || []) : []); }
      $("t-category").value = path;
      refresh();
    });
  });
  function fillStreets() {
    var street = $("t-street");
    clear(street, "街道乡镇");
    districts.forEach(function (d) {
      if (d.code === $("t-district").value) { d.streets.forEach(function (s) { option(street, s.code, s.name); }); }
    });
  }
  $("t-district").addEventListener("change", function () { fillStreets(); refresh(); });
  ["t-urgency", "t-type", "t-content"].forEach(function (id) { $(id).addEventListener("change", refresh); });
  $("t-category").addEventListener("change", function () { pickPath($("t-category").value.trim()); refresh(); });
  ["t-lead", "t-co"].forEach(function (id) { $(id).addEventListener("change", function () { leadTouched = true; }); });

  var pending = null, asked = 0;
  function refresh() {  // debounced: the preview follows the form while the agent types
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(preview, 150);
  }
  function applySuggestion() {
    if (!suggestion || leadTouched) { return; }
    $("t-lead").value = suggestion.lead.code;
    var co = suggestion.co.map(function (d) { return d.code; });
    Array.prototype.forEach.call($("t-co").options, function (o) { o.selected = co.indexOf(o.value) >= 0; });
  }
  function preview() {
    pending = null;
    var mine = ++asked;
    send("POST", "/agent/form/preview", {category: $("t-category").value, district: $("t-district").value,
      urgency: $("t-urgency").value, request_type: $("t-type").value, content: $("t-content").value.slice(0, 2000)})
      .then(function (r) {
        if (mine !== asked || !r.ok) { return; }
        var d = r.deadlines;
        text("t-deadlines", "签收时限：" + d.accept_limit + "（若现在派单，须在 " + d.accept_due + " 前签收）；办结时限：" +
          (d.complete_limit ? d.complete_limit + "（须在 " + d.complete_due + " 前办结）" : "请先选择诉求类型"));
        suggestion = r.suggestion;
        if (!suggestion) { text("t-suggest", "派单目录中没有匹配的规则，请人工选择主办部门"); return; }
        text("t-suggest", "建议派单：" + suggestion.lead.name + "（主办）" +
          (suggestion.co.length ? "，协办：" + suggestion.co.map(function (c) { return c.name; }).join("、") : "") +
          "。依据：" + suggestion.source_label + (suggestion.source === "classifier" ? "（" + r.classifier_label + "）" : "") +
          " 第 " + suggestion.rule_id + " 条 " + suggestion.category_shown + "，可改派");
        applySuggestion();
      }).catch(function () {});
  }

  send("GET", "/agent/catalogue").then(function (r) {
    if (!r.ok) { return; }
    tree = r.tree;
    districts = r.districts;
    districts.forEach(function (d) { option($("t-district"), d.code, d.name); });
    pickPath($("t-category").value.trim());
    if (formFor) { restoreForm(formFor); }  // the kept 事发地点 needed the district list first
  }).catch(function () {});

  send("GET", "/agent/departments").then(function (r) {
    if (!r.ok) { return; }
    r.departments.forEach(function (d) {
      [$("t-lead"), $("t-co")].forEach(function (select) {
        var option = document.createElement("option");
        option.value = d.code;
        option.textContent = d.name;
        select.appendChild(option);
      });
    });
    if (formFor) { restoreForm(formFor); }  // the kept 主办/协办 needed the options first
  }).catch(function () {});
  window.addEventListener("focus", stopFlash);
}());
