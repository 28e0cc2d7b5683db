// 来电弹屏 and 工单登记: the pop arrives inside the desk's live message; everything is shown as text.
(function () {
  "use strict";
  var box = document.getElementById("pop");
  if (!box) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var current = null;       // the pop last shown
  var filledFor = "";       // ticket number whose defaults are already in the form
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
      if (response.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); throw new Error("session"); }
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
    filledFor = t.number + (pop.loading ? ":loading" : "");
  }

  function resetForm() {
    $("ticket-form").reset();
    filledFor = "";
    message(true, "");
    $("pop-audio").hidden = true;
    $("pop-audio").removeAttribute("src");
  }

  function show(pop) {
    box.hidden = !pop;
    if (!pop) { current = null; return; }
    if (!current || current.linkedid !== pop.linkedid) { resetForm(); }
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
    var body = {then: then, request_type: $("t-type").value, category: $("t-category").value,
                content: $("t-content").value, confidential: $("t-confidential").checked,
                reply: $("t-reply").value, lead: $("t-lead").value, co: co};
    message(true, "");
    send("POST", "/agent/tickets/" + encodeURIComponent(current.ticket.number) + "/complete", body).then(function (r) {
      if (!r.ok) { message(false, r.error.message); return; }
      var done = {register: "已登记", reply: "已直接办结（答复）", dispatch: "已派单至 " + r.ticket.lead};
      message(true, "工单 " + r.ticket.number + " " + done[then]);
    }).catch(function (err) {
      if (err.message !== "session") { message(false, "网络错误，请刷新后查看工单状态"); }
    });
  }

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
  }).catch(function () {});
}());
