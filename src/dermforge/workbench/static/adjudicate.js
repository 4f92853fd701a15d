// dermforge workbench, /adjudicate: post an adjudicator's final decision on a disagreement.
// The reviewer is the adjudicator whose token the browser carries; the server attributes it.
"use strict";

(() => {
  for (const item of document.querySelectorAll(".adjudicate-item")) {
    const message = item.querySelector(".message");
    for (const button of item.querySelectorAll("button[data-decision]")) {
      button.addEventListener("click", async () => {
        const payload = { candidate_id: item.dataset.candidate,
                          decision: button.dataset.decision, role: "adjudicator" };
        const response = await fetch("/api/verdict", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
        });
        let data = {};
        try { data = await response.json(); } catch (_) { data = {}; }
        if (response.ok && data.ok) {
          message.dataset.kind = "ok";
          message.textContent = `${payload.decision} recorded (adjudicator ${data.reviewer})`;
          item.dataset.decided = payload.decision;
          for (const b of item.querySelectorAll("button")) b.disabled = true;
        } else {
          message.dataset.kind = "error";
          message.textContent = data.error || data.detail || `${response.status}`;
        }
      });
    }
  }
})();
