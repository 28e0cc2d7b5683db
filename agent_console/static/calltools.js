// 通话中操作: recording pause/resume and transfers. Every state shown is what the engine learnt from
// Asterisk (the recording catalogue, the transfer's ledger row); buttons only send requests.
(function () {
  "use strict";
  var box = document.getElementById("calltools");
  if (!box) { return; }
  var labels = JSON.parse(box.getAttribute("data-labels"));
  var desk = document.getElementById("desk");
  var pollMs = Math.max(250, parseInt(desk && desk.getAttribute("data-poll-ms"), 10) || 2000);
  var onCall = false;
  var pop = null;
  var transfer = null;         // the ledger row last seen of the transfer this desk started
  var transferTimer = null;
  var rec = {known: false, recording: false, paused: false, expect: null, tries: 0};
  var recTimer = null;
  function $(id) { return document.getElementById(id); }

  var send = window.hotlineApi.send;

  function showError(message) {
    $("calltools-error").textContent = message || "";
    $("calltools-error").hidden = !message;
  }

  function networkError(err) {
    if (err.message !== "session") { showError("网络错误，操作可能没有执行，请查看通话状态后重试"); }
  }

  // --- recording ---------------------------------------------------------------------------
  function renderRecording() {
    var state = $("rec-state"), button = $("rec-toggle");
    if (!rec.known) { state.textContent = "—"; button.hidden = true; return; }
    if (!rec.recording) {
      state.textContent = "未录音";
      state.className = "rec-state rec-off";
      button.hidden = true;
      return;
    }
    state.textContent = rec.paused ? "录音已暂停" : "录音中";
    state.className = "rec-state " + (rec.paused ? "rec-paused" : "rec-on");
    button.hidden = false;
    button.textContent = rec.expect !== null ? (rec.expect ? "正在暂停…" : "正在恢复…") : (rec.paused ? "恢复录音" : "暂停录音");
    button.disabled = rec.expect !== null;
  }

  function pollRecording() {
    clearTimeout(recTimer);
    if (!onCall) { return; }
    send("GET", "/recordings/current").then(function (r) {
      if (!r.ok) { showError(r.error.message); return; }
      rec.known = true;
      rec.recording = r.recording;
      rec.paused = r.paused;
      if (rec.expect !== null && (rec.paused === rec.expect || !rec.recording)) { rec.expect = null; }
      if (rec.expect !== null && ++rec.tries > 40) {
        rec.expect = null;
        showError("交换机没有确认录音状态的变化，请重试");
      }
      renderRecording();
    }).catch(networkError).then(function () {
      if (onCall) { recTimer = setTimeout(pollRecording, rec.expect !== null ? 250 : pollMs); }
    });
  }

  $("rec-toggle").addEventListener("click", function () {
    var pause = !rec.paused;
    showError("");
    rec.expect = pause;
    rec.tries = 0;
    renderRecording();
    send("POST", "/recordings/current/" + (pause ? "pause" : "resume")).then(function (r) {
      if (!r.ok) { rec.expect = null; showError(r.error.message); }
      pollRecording();  // the shown state follows the catalogue (Asterisk's MixMonitorMute), not this answer
    }).catch(function (err) { rec.expect = null; renderRecording(); networkError(err); });
  });

  // --- transfers ---------------------------------------------------------------------------
  function busy() {
    return !!transfer && labels.final.indexOf(transfer.state) < 0 &&
      !(transfer.mode === "blind" && transfer.state === "answered");
  }

  function targetLabel(t) {
    return t.kind === "emergency" ? (labels.targets[t.target] || t.target) : "分中心 " + t.target;
  }

  function renderTransfer() {
    var shown = !!transfer;
    $("transfer-box").hidden = !shown;
    Array.prototype.forEach.call(box.querySelectorAll("button.transfer, #sub-transfer"), function (b) {
      b.disabled = busy() || !onCall;
    });
    if (!shown) { return; }
    var modes = transfer.kind === "subcenter" ? labels.subcenter_modes : labels.modes;
    $("transfer-what").textContent = targetLabel(transfer) + " " + (modes[transfer.mode] || transfer.mode);
    var failed = labels.failed.indexOf(transfer.state) >= 0;
    $("transfer-state").textContent = labels.states[transfer.state] || transfer.state;
    $("transfer-state").className = failed ? "error" : "";
    $("transfer-hint").textContent = failed ? (labels.hints[transfer.kind + ":" + transfer.mode] || "") :
      (transfer.mode === "blind" && transfer.state === "answered" ? "已转出，您可以接听下一通来电" : "");
    $("transfer-leave").hidden = transfer.state !== "conference";
  }

  function followTransfer() {
    clearTimeout(transferTimer);
    if (!transfer || !busy() && transfer.state !== "conference") { return; }
    send("GET", "/transfer/" + encodeURIComponent(transfer.id)).then(function (r) {
      if (!r.ok) { showError(r.error.message); return; }
      transfer = r.transfer;
      renderTransfer();
      transferTimer = setTimeout(followTransfer, Math.min(pollMs, 500));
    }).catch(function (err) {
      networkError(err);
      transferTimer = setTimeout(followTransfer, pollMs);
    });
  }

  function started(r) {
    if (!r.ok) { showError(r.error.message); renderTransfer(); return; }
    transfer = r.transfer;
    renderTransfer();
    followTransfer();
  }

  function ticketNumber() {
    return pop && pop.ticket ? pop.ticket.number : null;
  }

  function summary() {
    var content = document.getElementById("t-content");
    var typed = content ? content.value.trim() : "";
    return typed || (pop && pop.ticket && pop.ticket.transcript) || "";
  }

  function start(url, body) {
    showError("");
    Array.prototype.forEach.call(box.querySelectorAll("button.transfer, #sub-transfer"), function (b) {
      b.disabled = true;
    });
    send("POST", url, body).then(started).catch(function (err) { renderTransfer(); networkError(err); });
  }

  box.addEventListener("click", function (event) {
    var button = event.target.closest("button.transfer");
    if (!button) { return; }
    start("/transfer/emergency", {target: button.getAttribute("data-target"), mode: button.getAttribute("data-mode"),
                                  summary: summary(), ticket: ticketNumber()});
  });

  $("sub-transfer").addEventListener("click", function () {
    var line = $("sub-line").value;
    if (!line) { showError("请先选择要转接的分中心"); return; }
    start("/transfer/subcenter", {line: line, mode: $("sub-mode").value, summary: summary(), ticket: ticketNumber()});
  });

  $("transfer-leave").addEventListener("click", function () {
    if (!transfer) { return; }
    showError("");
    $("transfer-leave").disabled = true;
    send("POST", "/transfer/" + encodeURIComponent(transfer.id) + "/leave").then(function (r) {
      $("transfer-leave").disabled = false;
      if (!r.ok) { showError(r.error.message); return; }
      followTransfer();  // handed_over arrives with the agent's ConfbridgeLeave
    }).catch(function (err) { $("transfer-leave").disabled = false; networkError(err); });
  });

  // --- the desk's state drives what is shown ------------------------------------------------
  document.addEventListener("desk-state", function (event) {
    var state = event.detail;
    var nextPop = state.pop || null;
    var wasOnCall = onCall;
    onCall = state.state === "talking" || (!!nextPop && nextPop.state === "talking");
    if (nextPop && transfer && transfer.linkedid !== nextPop.linkedid && !busy()) {
      transfer = null;  // a new call: the previous transfer's outcome is in the ledger
    }
    pop = nextPop;
    box.hidden = !onCall && !transfer;
    if (onCall && !wasOnCall) { rec.known = false; rec.expect = null; pollRecording(); }
    if (!onCall) { clearTimeout(recTimer); rec.known = false; rec.expect = null; }
    renderRecording();
    renderTransfer();
  });

  send("GET", "/agent/subcenters").then(function (r) {
    if (!r.ok) { showError(r.error.message); return; }
    r.subcenters.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.line;
      option.textContent = s.name + "（" + s.line + "）";
      $("sub-line").appendChild(option);
    });
  }).catch(networkError);
}());
