// 知识库参考 in the screen pop: suggestions from the call's transcript, a search box, and
// "插入答复" which puts an answer into the ticket's reply (直接办结). Everything is shown as text.
(function () {
  "use strict";
  var box = document.getElementById("kb");
  if (!box) { return; }
  var suggestedFor = null;   // the transcript the suggestions shown were computed from
  var linkedid = null;
  function $(id) { return document.getElementById(id); }

  var send = window.hotlineApi.send;

  function insert(answer) {
    var reply = $("t-reply");
    reply.value = reply.value.trim() ? reply.value.replace(/\s+$/, "") + "\n" + answer : answer;
    reply.focus();
  }

  function item(hit) {
    var li = document.createElement("li");
    li.setAttribute("data-kb-id", String(hit.id));
    var question = document.createElement("strong");
    question.className = "kb-question";
    question.textContent = hit.question;
    var answer = document.createElement("p");
    answer.className = "kb-answer";
    answer.textContent = hit.answer;
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = hit.department + (hit.valid_to ? " · 有效期至 " + hit.valid_to : "");
    var use = document.createElement("button");
    use.type = "button";
    use.className = "kb-insert";
    use.textContent = "插入答复";
    use.addEventListener("click", function () { insert(hit.answer); });
    li.appendChild(question);
    li.appendChild(answer);
    li.appendChild(meta);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(use);
    return li;
  }

  function fill(list, status, hits, empty) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    hits.forEach(function (hit) { list.appendChild(item(hit)); });
    status.textContent = hits.length ? "" : empty;
  }

  function failed(status) {
    return function (err) {
      if (err.message !== "session") { status.textContent = "网络错误，知识库暂时无法访问"; }
    };
  }

  function suggest(text) {
    suggestedFor = text;
    var status = $("kb-suggest-status");
    status.textContent = "正在根据通话内容查找…";
    send("POST", "/kb/suggest", {text: text, limit: 5}).then(function (r) {
      if (text !== suggestedFor) { return; }  // a newer transcript asked meanwhile
      if (!r.ok) { status.textContent = r.error.message; return; }
      fill($("kb-suggestions"), status, r.suggestions, "通话内容暂无匹配的知识条目，可在下方搜索");
    }).catch(failed(status));
  }

  function search() {
    var q = $("kb-q").value.trim();
    var status = $("kb-search-status");
    if (!q) { status.textContent = "请输入要搜索的关键词"; return; }
    status.textContent = "正在搜索…";
    send("GET", "/kb/search?format=json&limit=5&q=" + encodeURIComponent(q)).then(function (r) {
      if (!r.ok) { status.textContent = r.error.message; return; }
      fill($("kb-results"), status, r.hits, "没有找到相关知识条目");
    }).catch(failed(status));
  }

  $("kb-go").addEventListener("click", search);
  $("kb-q").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); search(); }
  });

  document.addEventListener("desk-state", function (event) {
    var pop = event.detail.pop;
    if (!pop) { return; }
    if (pop.linkedid !== linkedid) {  // a new call: forget the previous one's lists
      linkedid = pop.linkedid;
      suggestedFor = null;
      fill($("kb-suggestions"), $("kb-suggest-status"), [], "");
      fill($("kb-results"), $("kb-search-status"), [], "");
      $("kb-q").value = "";
    }
    var transcript = pop.ticket && pop.ticket.transcript ? pop.ticket.transcript.trim() : "";
    if (!transcript) {
      if (suggestedFor === null) { $("kb-suggest-status").textContent = "暂无通话转写，可在下方搜索知识库"; }
      return;
    }
    if (transcript !== suggestedFor) { suggest(transcript); }
  });
}());
