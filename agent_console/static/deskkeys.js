// 坐席工作台 keyboard shortcuts (listed on the page): Alt+Q 签入全部队列, Alt+1 示闲, Alt+2 示忙, Alt+W 话后处理,
// Alt+C 诉求内容, Alt+G 登记, Alt+J 直接办结, Alt+D 派单, Alt+T 转接. Each presses the visible button, so
// a refusal is explained exactly as for a click; a shift starts and runs without the mouse.
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function press(el) {
    if (!el || el.disabled || el.offsetParent === null) { return false; }
    el.click();
    return true;
  }
  var KEYS = {
    "q": function () {  // every queue not yet joined: the shift starts without Tab-hunting for 签入
      var pressed = false;
      Array.prototype.forEach.call(document.querySelectorAll("#queues button.join"), function (b) {
        pressed = press(b) || pressed;
      });
      return pressed;
    },
    "1": function () { return press($("unpause")); },
    "2": function () { return press(document.querySelector(".pause-reason")); },
    "w": function () { return press($("wrapup")); },
    "c": function () { var c = $("t-content"); if (c && c.offsetParent !== null) { c.focus(); return true; } return false; },
    "g": function () { return press($("t-register")); },
    "j": function () { return press($("t-answer")); },
    "d": function () { return press($("t-dispatch")); },
    "t": function () {
      var first = document.querySelector("#calltools:not([hidden]) button.transfer");
      if (first) { first.focus(); return true; }
      return false;
    }
  };
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = (event.key || "").toLowerCase();
    var code = event.code || "";
    if (/^Key[A-Z]$/.test(code)) { key = code.slice(3).toLowerCase(); }  // Alt changes event.key on some layouts
    else if (/^Digit[0-9]$/.test(code)) { key = code.slice(5); }
    var run = KEYS[key];
    if (run && run()) { event.preventDefault(); }
  });
}());
