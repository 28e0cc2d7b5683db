// 知识库导入：以 fetch 流式上传（不受表单 1 MiB 限制），结果与逐行错误以纯文本显示。
"use strict";
(function () {
  const form = document.querySelector("form.kb-import-form");
  const out = document.querySelector("[data-testid=kb-import-result]");
  if (!form || !out) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;

  function show(message, problems) {
    out.replaceChildren();
    const p = document.createElement("p");
    p.textContent = message;
    out.appendChild(p);
    if (problems && problems.length) {
      const list = document.createElement("ul");
      list.className = "problems";
      for (const item of problems) {
        const li = document.createElement("li");
        li.textContent = item.line ? `第 ${item.line} 行 ${item.field}：${item.message}` : item.message;
        list.appendChild(li);
      }
      out.appendChild(list);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    show("正在导入，请稍候……");
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRF-Token": token, "Accept": "application/json" },
      });
      const body = await response.json();
      if (body.ok) {
        show(`导入完成：新增 ${body.created} 条，更新 ${body.updated} 条，未变 ${body.unchanged} 条（共 ${body.size} 条）。`);
      } else {
        show(body.error.message, body.error.problems);
      }
    } catch (error) {
      show("导入失败：网络错误或登录已过期，请刷新页面后重试。");
    } finally {
      button.disabled = false;
    }
  });
})();
