// Approve / reject: post JSON to the cycle API (the workflow's Update) and show its answer.
// The X-WattLedger-Page header is what lets a cookie-authenticated POST through (CSRF guard).
document.addEventListener("DOMContentLoaded", () => {
  const result = document.querySelector("[data-testid=decision-result]");
  for (const form of document.querySelectorAll("form.decision")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { approver: form.dataset.approver };
      body[form.dataset.field] = form.querySelector("textarea").value;
      for (const button of document.querySelectorAll("form.decision button")) button.disabled = true;
      result.textContent = "Sending...";
      result.className = "result";
      try {
        const response = await fetch(form.dataset.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-WattLedger-Page": "1" },
          body: JSON.stringify(body),
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(answer.detail ? JSON.stringify(answer.detail) : response.statusText);
        result.textContent = "Recorded: " + (answer.phase || answer.status || "ok");
        result.className = "result ok";
        setTimeout(() => window.location.reload(), 800);
      } catch (error) {
        result.textContent = "Refused: " + error.message;
        result.className = "result error";
        for (const button of document.querySelectorAll("form.decision button")) button.disabled = false;
      }
    });
  }
});
