// dermforge workbench: keyboard-first curation of one seed per page, and the blinded reader
// study. Plain JS, no build step. Every text from the server is set with textContent.
"use strict";

(() => {
  const body = document.body;
  const page = body.dataset.page;
  const $ = (id) => document.getElementById(id);
  const storageKey = page === "study" ? "dermforge.reader" : "dermforge.reviewer";
  const cookieName = page === "study" ? "dermforge_reader" : "dermforge_reviewer";

  // ---- who is working (asked once, kept in localStorage and a cookie) ----
  function readCookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }
  function whoAmI() {
    return localStorage.getItem(storageKey) || readCookie(cookieName) ||
      (page === "study" ? "" : body.dataset.defaultReviewer || "");
  }
  // the reviewer's stated qualification ("" = not stated), remembered like the name
  const qualificationKey = "dermforge.reviewer_qualification";
  const qualificationCookie = "dermforge_reviewer_qualification";
  function myQualification() {
    if (page === "study") return "";
    const stored = localStorage.getItem(qualificationKey);
    return stored !== null ? stored : readCookie(qualificationCookie);
  }
  function remember(name) {
    localStorage.setItem(storageKey, name);
    document.cookie = `${cookieName}=${encodeURIComponent(name)}; path=/; SameSite=Strict; max-age=31536000`;
    $("reviewer-label").textContent = name;
  }
  function rememberQualification(value) {
    localStorage.setItem(qualificationKey, value);
    document.cookie = `${qualificationCookie}=${encodeURIComponent(value)}; path=/; SameSite=Strict; max-age=31536000`;
  }
  let dialogOpen = false;
  function askName(then) {
    const dialog = $("reviewer-dialog");
    const input = $("reviewer-input");
    dialog.hidden = false;
    dialogOpen = true;
    const select = $("qualification-input");
    input.value = whoAmI();
    if (select) select.value = myQualification();
    input.focus();
    $("reviewer-form").onsubmit = (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      remember(name);
      if (select) rememberQualification(select.value);
      dialog.hidden = true;
      dialogOpen = false;
      if (then) then();
    };
  }
  function ensureName(then) {
    const name = whoAmI();
    if (name) {
      remember(name);
      if (then) then();
    } else {
      askName(then);
    }
  }
  $("reviewer-change").addEventListener("click",
    () => askName(page === "study" ? () => window.location.reload() : null));

  function inTextField(target) {
    if (!target) return false;
    if (target.tagName === "TEXTAREA") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type);
  }

  async function send(url, payload) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(payload),
    });
    let data = {};
    try { data = await response.json(); } catch (_) { data = {}; }
    return { response, data };
  }

  function problem(data, response) {
    if (data && data.error) return data.fix ? `${data.error} — ${data.fix}` : data.error;
    if (data && Array.isArray(data.detail)) return data.detail.map((d) => d.msg).join("; ");
    if (data && data.detail) return String(data.detail);
    return `${response.status} ${response.statusText}`;
  }

  // ---- the seed page ----
  function initSeed() {
    let state = JSON.parse($("state").textContent);
    let selected = 0;
    const seen = {};
    const message = (text, kind) => {
      const node = $("message");
      node.textContent = text;
      node.dataset.kind = kind || "info";
    };
    const current = () => state.candidates[selected - 1];

    function markSeen() {
      for (const c of state.candidates) seen[c.candidate_id] = c.history.length;
    }

    function fillPanel(verdict) {
      for (const box of document.querySelectorAll("input[name=reason]")) {
        box.checked = Boolean(verdict && verdict.reason_codes.includes(box.value));
      }
      for (const name of ["photorealism", "consistency"]) {
        const value = verdict && verdict[name] ? String(verdict[name]) : "";
        for (const radio of document.querySelectorAll(`input[name=${name}]`)) {
          radio.checked = radio.value === value;
        }
      }
      $("note").value = verdict ? verdict.note : "";
    }

    function readPanel() {
      const score = (name) => {
        const chosen = document.querySelector(`input[name=${name}]:checked`);
        return chosen && chosen.value ? Number(chosen.value) : null;
      };
      return {
        reason_codes: [...document.querySelectorAll("input[name=reason]:checked")].map((b) => b.value),
        photorealism: score("photorealism"),
        consistency: score("consistency"),
        note: $("note").value,
      };
    }

    function select(number) {
      if (!state.candidates.length) return;
      selected = Math.min(Math.max(number, 1), state.candidates.length);
      for (const card of document.querySelectorAll(".card")) {
        card.classList.toggle("selected", Number(card.dataset.number) === selected);
      }
      $("selected-number").textContent = String(selected);
      document.dispatchEvent(new CustomEvent("dermforge:select", { detail: { number: selected } }));
      // start from this reviewer's own last decision; never inherit another's note or reasons
      const verdict = current().verdict;
      fillPanel(verdict && verdict.reviewer === whoAmI() ? verdict : null);
    }

    function describe(verdict) {
      if (!verdict) return "";
      const parts = [verdict.reviewer];
      if (verdict.reason_codes.length) parts.push(verdict.reason_codes.join(", "));
      if (verdict.photorealism) parts.push(`P${verdict.photorealism}`);
      if (verdict.consistency) parts.push(`C${verdict.consistency}`);
      return parts.join(" · ");
    }

    function render() {
      for (const c of state.candidates) {
        const card = $(`card-${c.number}`);
        if (!card) continue;
        const badge = card.querySelector("[data-field=decision]");
        const auto = Boolean(c.verdict && c.verdict.automatic);
        badge.textContent = !c.verdict ? "not reviewed" :
          (auto ? `${c.verdict.reviewer}: ${c.verdict.decision}` : c.verdict.decision);
        badge.dataset.decision = c.verdict ? c.verdict.decision : "none";
        badge.dataset.auto = auto ? "1" : "0";
        card.querySelector("[data-field=info]").textContent = describe(c.verdict);
        card.querySelector("[data-field=note]").textContent = c.verdict ? c.verdict.note : "";
        const dispute = card.querySelector("[data-field=dispute]");
        const who = Object.entries(c.disputed);
        dispute.hidden = who.length === 0;
        dispute.textContent = who.length ? `disputed: ${who.map(([r, d]) => `${r} ${d}`).join(" · ")}` : "";
      }
      $("accepted-count").textContent = String(state.accepted);
      $("undecided-count").textContent = String(state.undecided);
      const p = state.progress;
      $("progress-text").textContent = `seed ${state.position} of ${state.total} · ` +
        `${p.candidates_by_people}/${p.candidates_total} candidates decided by people · ` +
        (p.candidates_by_policy ? `${p.candidates_by_policy} by the demo policy · ` : "") +
        `${p.seeds_reviewed} of ${p.seeds_total} seeds reviewed by a person`;
      $("progress-bar").max = p.candidates_total;
      $("progress-bar").value = p.candidates_by_people;
    }

    function showChanges(number, entries, note) {
      const box = $("conflict");
      const others = entries.map((e) => `${e.reviewer} → ${e.decision} (${e.decided_at.slice(11, 19)} UTC)`);
      box.textContent = `Candidate ${number} was changed since this page loaded: ${others.join(", ")}. ${note}`;
      box.hidden = false;
      const card = $(`card-${number}`);
      if (card) card.classList.add("changed");
    }

    // Decisions and refreshes run one at a time, in order, so an older answer never
    // overwrites a newer state; each decision is bound to the candidate selected at the key.
    let queue = Promise.resolve();
    const enqueue = (task) => { queue = queue.then(task).catch((e) => message(String(e), "error")); };

    function decide(decision) {
      const me = whoAmI();
      if (!me) { askName(null); return; }
      const number = selected;
      const panel = readPanel();
      enqueue(() => submit(decision, number, panel, me));
    }

    async function submit(decision, number, panel, me) {
      const c = state.candidates[number - 1];
      if (!c) return;
      const already = c.verdict && c.verdict.decision === "accept";
      if (decision === "accept" && !already && state.accepted >= state.keep_per_seed) {
        message(`keep-per-seed rule: at most ${state.keep_per_seed} accepted candidates for this seed; ` +
          "reject or set undecided another one first", "error");
        return;
      }
      const payload = { candidate_id: c.candidate_id, decision, ...panel, reviewer: me,
        reviewer_qualification: myQualification() || null, seen: seen[c.candidate_id] || 0 };
      const { response, data } = await send("/api/verdict", payload);
      if (!response.ok) {
        message(problem(data, response), "error");
        if (response.status === 409) await refresh();
        return;
      }
      if (data.conflict.length) {
        showChanges(c.number, data.conflict,
          `Your decision (${decision}) was recorded after it and now counts: the latest verdict wins.`);
      }
      state = data.state;
      markSeen();
      render();
      message(`candidate ${c.number}: ${decision} recorded as ${me}`, "ok");
      if (state.undecided === 0) message(`seed done: ${state.accepted} accepted — → for the next seed`, "ok");
      if (selected === number && number < state.candidates.length) select(number + 1);
    }

    async function refresh() {
      const response = await fetch(`/api/seed/${encodeURIComponent(state.seed.seed_id)}`,
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const fresh = await response.json();
      const me = whoAmI();
      for (const c of fresh.candidates) {
        const news = c.history.slice(seen[c.candidate_id] || 0).filter((e) => e.reviewer !== me);
        if (news.length) showChanges(c.number, news, "The latest verdict counts.");
      }
      state = fresh;
      markSeen();
      render();
    }

    function go(seedId) {
      if (seedId) window.location.href = `/seed/${encodeURIComponent(seedId)}`;
    }

    document.addEventListener("keydown", (event) => {
      if (dialogOpen || event.ctrlKey || event.metaKey || event.altKey) return;
      if (inTextField(event.target)) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      const key = event.key;
      if (/^[1-9]$/.test(key)) select(Number(key));
      else if (key === "a") decide("accept");
      else if (key === "r") decide("reject");
      else if (key === "u") decide("undecided");
      else if (key === "j") select(selected + 1);
      else if (key === "k") select(selected - 1);
      else if (key === "ArrowRight") go(state.next);
      else if (key === "ArrowLeft") go(state.prev);
      else return;
      event.preventDefault();
    });
    for (const card of document.querySelectorAll(".card")) {
      card.addEventListener("click", () => select(Number(card.dataset.number)));
    }
    for (const button of document.querySelectorAll("[data-decision]")) {
      if (button.tagName === "BUTTON") button.addEventListener("click", () => decide(button.dataset.decision));
    }

    markSeen();
    const firstOpen = state.candidates.find((c) => !c.verdict || c.verdict.decision === "undecided");
    select(firstOpen ? firstOpen.number : 1);
    render();
    const every = Number(body.dataset.pollSeconds) || 0;
    if (every > 0) setInterval(() => enqueue(refresh), every * 1000);
    ensureName(null);
  }

  // ---- the reader study ----
  function initStudy() {
    let item = null;
    const say = (text) => { $("study-message").textContent = text; };
    function show(next) {
      $("study-progress").textContent = `${next.answered} of ${next.total} answered`;
      $("study-bar").max = Math.max(next.total, 1);
      $("study-bar").value = next.answered;
      const image = $("study-image");
      if (next.done) {
        item = null;
        image.hidden = true;
        say("Done — thank you. Every image has an answer.");
        return;
      }
      item = next.item_id;
      image.src = `/study/image/${item}?reader=${encodeURIComponent(whoAmI())}`;
      image.hidden = false;
      say(`image ${next.answered + 1} of ${next.total}`);
    }
    async function load() {
      const response = await fetch(`/api/study/next?reader=${encodeURIComponent(whoAmI())}`,
        { credentials: "same-origin", cache: "no-store" });
      const data = await response.json();
      if (!response.ok) { say(problem(data, response)); return; }
      show(data);
    }
    async function answer(guess) {
      if (!item) return;
      const { response, data } = await send("/api/study/answer",
        { reader: whoAmI(), item_id: item, guess });
      if (!response.ok) { say(problem(data, response)); return; }
      show(data);
    }
    document.addEventListener("keydown", (event) => {
      if (dialogOpen || inTextField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "r") answer("real");
      else if (event.key === "s") answer("synthetic");
      else return;
      event.preventDefault();
    });
    for (const button of document.querySelectorAll("[data-guess]")) {
      button.addEventListener("click", () => answer(button.dataset.guess));
    }
    ensureName(load);
  }

  if (page === "seed") initSeed();
  else if (page === "study") initStudy();
  else ensureName(null);
  body.dataset.ready = "1"; // keyboard handlers are in place
})();
