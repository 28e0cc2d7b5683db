// One way for every console page to call the engine: same-origin, CSRF header, JSON both ways,
// back to the login page when the session has ended, a Chinese error when the answer is not JSON.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function send(method, url, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
        throw new Error("session");
      }
      return response.json().catch(function () {
        return {ok: false, error: {message: "服务器返回了无法识别的内容（HTTP " + response.status + "）"}};
      });
    });
  }

  window.hotlineApi = {send: send, csrf: csrf};
})();
