// 一键呼叫 on the 回访 and 漏接回拨 pages without leaving the page: the form's action starts the call
// (POST) and, read every second (GET on the same address), shows its progress (agent's phone,
// citizen, talking, ended) until the call is over.
(function () {
  "use strict";
  var ACTIVE = {ringing_agent: true, calling_citizen: true, talking: true};

  function show(row, text, state) {
    var span = row.querySelector('[data-testid="call-state"]');
    span.textContent = text;
    span.setAttribute("data-state", state || "");
  }

  function follow(row) {
    var url = row.querySelector("form.click-to-call").getAttribute("action");
    var timer = window.setInterval(function () {
      window.hotlineApi.send("GET", url).then(function (body) {
        if (!body.ok) { window.clearInterval(timer); return; }
        show(row, body.call.label, body.call.state);
        if (!ACTIVE[body.call.state]) { window.clearInterval(timer); }
      }).catch(function () { window.clearInterval(timer); });
    }, 1000);
  }

  document.querySelectorAll("form.click-to-call").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var row = form.closest("tr");
      window.hotlineApi.send("POST", form.getAttribute("action"), {}).then(function (body) {
        if (!body.ok) { show(row, body.error.message, "error"); return; }
        show(row, body.call.label, body.call.state);
        follow(row);
      });
    });
  });
  document.querySelectorAll('[data-testid="call-state"]').forEach(function (span) {
    if (ACTIVE[span.getAttribute("data-state")]) { follow(span.closest("tr")); }
  });
})();
