// Finance pages: approve / reject / override post JSON to the cycle API (the workflow's Update, the override
// record); the decision page polls its cycle's small state document and reloads when the cycle moves.
// The X-WattLedger-Page header is what lets a cookie-authenticated POST through (CSRF guard).
const POLL_MS = 2000;
const STILL_STATES = new Set(["completed", "cancelled"]);

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-WattLedger-Page": "1" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail || response.statusText));
  return answer;
}

function setupDecisions() {
  const result = document.querySelector("[data-testid=decision-result]");
  for (const form of document.querySelectorAll("form.decision")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const body = { approver: form.dataset.approver };
      body[form.dataset.field] = form.querySelector("textarea").value;
      for (const button of document.querySelectorAll("form.decision button")) button.disabled = true;
      result.textContent = "Sending...";
      result.className = "result";
      try {
        await postJson(form.dataset.action, body);
        result.textContent = form.dataset.kind === "approve"
          ? "Approved by " + form.dataset.approver + "; waiting for the cycle to move..."
          : "Rejected by " + form.dataset.approver + "; waiting for the cycle to move...";
        result.className = "result ok";
        startPolling(true);
      } catch (error) {
        result.textContent = "Refused: " + error.message;
        result.className = "result error";
        for (const button of document.querySelectorAll("form.decision button.reject")) button.disabled = false;
        const approve = document.querySelector("form.decision button.approve");
        if (approve && !document.querySelector("[data-testid=approve-blocked]")) approve.disabled = false;
      }
    });
  }
}

function setupOverrides() {
  for (const form of document.querySelectorAll("form.override")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        await postJson(form.dataset.action, { finding_code: form.dataset.code, reason: form.querySelector("input").value });
        window.location.reload();
      } catch (error) {
        button.disabled = false;
        form.insertAdjacentHTML("beforeend", '<span class="error"></span>');
        form.lastElementChild.textContent = "Refused: " + error.message;
      }
    });
  }
}

let polling = false;
function startPolling(afterDecision) {
  const marker = document.querySelector("[data-cycle-state]");
  if (!marker || polling) return;
  if (!afterDecision && STILL_STATES.has(marker.dataset.status)) return;
  polling = true;
  const live = document.querySelector("[data-testid=live]");
  const tick = async () => {
    try {
      const response = await fetch(marker.dataset.cycleState, { credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        const moved = state.status !== marker.dataset.status
          || String(state.decision_count) !== marker.dataset.decisionCount
          || String(state.invoice_count) !== marker.dataset.invoiceCount;
        if (moved) { window.location.reload(); return; }
        if (live) live.textContent = "live: " + state.status + (state.status_detail ? " (" + state.status_detail + ")" : "");
      }
    } catch (error) { /* offline for a moment: try again */ }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, afterDecision ? 300 : POLL_MS);
}

// Times are rendered in UTC by the server; the browser shows them in the reader's local time, UTC in the tooltip.
function localTimes() {
  const format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const element of document.querySelectorAll("time[datetime]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    element.title = element.textContent;
    element.textContent = format.format(moment);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  // Each part on its own: a failure in one (say an old browser's Intl) leaves the forms and the polling working.
  for (const part of [setupDecisions, setupOverrides, () => startPolling(false), localTimes]) {
    try { part(); } catch (error) { console.error(error); }
  }
});
