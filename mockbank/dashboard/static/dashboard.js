// mockbank dashboard: the few actions that change the bank, and the live journal.
// Every action calls the control plane (/_mock/*) of this bank, with the control token when there is one.
(function () {
  "use strict";
  const meta = (name) => { const m = document.querySelector(`meta[name="${name}"]`); return m ? m.content : null; };
  const control = meta("mockbank-control");
  const token = meta("mockbank-token");

  function show(text, bad) {
    const box = document.getElementById("message");
    box.textContent = text;
    box.className = bad ? "message error" : "message";
    box.hidden = false;
  }

  async function call(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (token) headers["X-Mockbank-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(control + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message || `${method} ${path} answered ${response.status}`);
    return answer;
  }

  async function act(method, path, body) {
    try {
      await call(method, path, body);
      window.location.reload();
    } catch (error) {
      show(error.message, true);
    }
  }

  const formJson = (form) => Object.fromEntries(new FormData(form).entries());

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.copy) {
      const field = document.getElementById(button.dataset.copy);
      field.select();
      navigator.clipboard.writeText(field.value).then(() => show("copied"), () => { document.execCommand("copy"); show("copied"); });
    } else if (button.dataset.clock) {
      act("POST", "/clock", JSON.parse(button.dataset.clock));
    } else if (button.dataset.action === "step") {
      act("POST", "/progress", { paymentId: button.dataset.paymentId, account: button.dataset.account });
    } else if (button.dataset.action === "progress-all") {
      act("POST", "/progress", {});
    } else if (button.dataset.action === "clear-faults") {
      act("DELETE", "/faults");
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const action = form.dataset.action;
    if (!action) return;  // an ordinary form: a GET filter or the Explain page
    event.preventDefault();
    const values = formJson(form);
    const holder = form.closest("[data-payment-id]");
    const payment = holder ? { paymentId: holder.dataset.paymentId, account: holder.dataset.account } : {};
    if (action === "to-status") {
      act("POST", "/progress", { ...payment, status: Number(values.status) });
    } else if (action === "fail") {
      act("POST", "/progress", { ...payment, status: 32, errors: [{ code: values.code.trim(), text: values.text || "Failed by the bank" }] });
    } else if (action === "set-clock") {
      act("POST", "/clock", { now: values.now });
    } else if (action === "progression") {
      act("POST", "/progression", { mode: values.mode });
    } else if (action === "add-fault") {
      const fault = { path: values.path, count: Number(values.count || 1) };
      if (values.method) fault.method = values.method;
      if (values.status) fault.status = Number(values.status);
      if (Number(values.delayMs)) fault.delayMs = Number(values.delayMs);
      if (values.drop) fault.drop = true;
      act("POST", "/faults", fault);
    }
  });

  // The buttons that need this script are disabled in the page until it runs (a click before would do nothing,
  // or send its form as a plain GET).
  document.querySelectorAll("button[data-script]").forEach((button) => { button.disabled = false; });

  // The Requests page: fetch the rows newer than the newest shown, every two seconds.
  const table = document.getElementById("journal");
  const live = document.getElementById("live");
  if (table && live) {
    let newest = Number(table.dataset.newest);
    const headers = token ? { "X-Mockbank-Token": token } : {};
    setInterval(async () => {
      if (!live.checked || document.hidden) return;
      const url = table.dataset.rows + (table.dataset.rows.includes("?") ? "&" : "?") + "after=" + newest;
      const response = await fetch(url, { headers }).catch(() => null);
      if (!response || !response.ok) return;
      // where the server stopped reading, past the entries the filter passed over
      newest = Math.max(newest, Number(response.headers.get("X-Mockbank-Journal-Newest")) || 0);
      const html = (await response.text()).trim();
      if (!html) return;
      const body = table.tBodies[0];
      body.insertAdjacentHTML("afterbegin", html);
      newest = Math.max(newest, ...Array.from(body.rows, (row) => Number(row.dataset.id)));
      const empty = document.querySelector("p.empty");
      if (empty) empty.remove();
    }, 2000);
  }
})();
