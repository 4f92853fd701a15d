// dermforge workbench: looking closely. On a seed page: the seed with or without the mask tint
// (t), seed and the selected candidate side by side or flickering in one box (f), any image at
// full resolution (z, Z, click), the shortcut help (?), the next undecided seed (n). On the
// index: n opens the next undecided seed, a changed filter applies at once.
// Loaded before workbench.js; plain JS, no inline script or style (the CSP forbids both).
"use strict";

(() => {
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  const FLICKER_MS = 500; // one image, then the other: about 2 changes a second

  function typing(target) {
    if (!target) return false;
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type);
  }
  const nameDialogOpen = () => { const d = $("reviewer-dialog"); return d && !d.hidden; };
  const plainKey = (event) => !(event.ctrlKey || event.metaKey || event.altKey);

  function follow(id) {
    const link = $(id);
    if (link) window.location.href = link.href;
  }

  // ---- the index ----
  function initIndex() {
    const form = $("filters");
    if (form) {
      for (const select of form.querySelectorAll("select, input[type=checkbox]")) {
        select.addEventListener("change", () => form.submit());
      }
    }
    document.addEventListener("keydown", (event) => {
      if (nameDialogOpen() || typing(event.target) || !plainKey(event)) return;
      if (event.key === "n") { event.preventDefault(); follow("next-undecided"); }
    });
  }

  // ---- the seed page ----
  // The seed crop drawn on the canvas, with the mask's regenerated (alpha 0) region tinted
  // and outlined when ``tinted``.
  const loaded = (img) => (img.complete && img.naturalWidth ? Promise.resolve() :
    new Promise((done) => {
      img.addEventListener("load", done, { once: true });
      img.addEventListener("error", done, { once: true });
    }));

  function drawSeed(tinted) {
    const canvas = $("overlay");
    const crop = $("crop-img");
    const mask = $("mask-img");
    if (!canvas || !crop) return Promise.resolve();
    return Promise.all([loaded(crop), mask ? loaded(mask) : Promise.resolve()]).then(() => {
      const w = canvas.width;
      const h = canvas.height;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(crop, 0, 0, w, h);
      if (!tinted || !mask || !mask.naturalWidth) { canvas.dataset.drawn = "crop"; return; }
      const off = document.createElement("canvas");
      off.width = w;
      off.height = h;
      const octx = off.getContext("2d");
      octx.drawImage(mask, 0, 0, w, h);
      const alpha = octx.getImageData(0, 0, w, h).data;
      const picture = ctx.getImageData(0, 0, w, h);
      const px = picture.data;
      const edited = (x, y) => alpha[(y * w + x) * 4 + 3] < 128;
      for (let y = 0; y < h; y += 1) {
        for (let x = 0; x < w; x += 1) {
          const i = (y * w + x) * 4;
          const here = edited(x, y);
          const edge = (x + 1 < w && edited(x + 1, y) !== here) || (y + 1 < h && edited(x, y + 1) !== here);
          if (edge) {
            px[i] = 255; px[i + 1] = 214; px[i + 2] = 0;
          } else if (here) {
            px[i] = px[i] * 0.6 + 230 * 0.4;
            px[i + 1] = px[i + 1] * 0.6;
            px[i + 2] = px[i + 2] * 0.6 + 170 * 0.4;
          }
        }
      }
      ctx.putImageData(picture, 0, 0);
      canvas.dataset.drawn = "overlay";
    });
  }

  function initSeedView() {
    let tinted = true;
    let number = 1;
    let flicker = null;
    let showingSeed = false;
    const compare = $("compare");
    const label = $("compare-label");
    const candidateLayer = $("compare-candidate");
    const seedLayer = $("flicker-seed");

    const cardImage = (n) => { const c = $(`card-${n}`); return c && c.querySelector("img.zoomable"); };

    function showLayer(seed) {
      showingSeed = seed;
      if (seedLayer) seedLayer.classList.toggle("shown", seed);
      candidateLayer.classList.toggle("shown", !seed);
      label.dataset.showing = seed ? "seed" : "candidate";
      label.textContent = seed ? "showing: seed" : `showing: candidate ${number}`;
    }

    function setMode(mode) {
      if (flicker) { clearInterval(flicker); flicker = null; }
      compare.dataset.mode = mode;
      $("mode-side").setAttribute("aria-pressed", String(mode === "side"));
      $("mode-flicker").setAttribute("aria-pressed", String(mode === "flicker"));
      $("compare-seed-box").hidden = mode === "flicker";
      if (mode === "flicker" && seedLayer) {
        showLayer(false);
        flicker = setInterval(() => showLayer(!showingSeed), FLICKER_MS);
      } else {
        showLayer(false);
        label.textContent = `candidate ${number}`;
      }
    }

    document.addEventListener("dermforge:select", (event) => {
      number = event.detail.number;
      const source = cardImage(number);
      if (source) candidateLayer.src = source.src;
      $("compare-number").textContent = String(number);
      if (compare.dataset.mode === "flicker") showLayer(showingSeed);
      else label.textContent = `candidate ${number}`;
    });

    // ---- zoom: one image at full resolution (small ones enlarged by a whole factor) ----
    const zoom = $("zoom");
    const zoomImg = $("zoom-img");
    function openZoom(src, what) {
      if (!src) return;
      zoom.hidden = false;
      zoom.dataset.showing = what;
      $("zoom-label").textContent = `${what} · loading…`;
      zoomImg.removeAttribute("width");
      zoomImg.onload = () => {
        const w = zoomImg.naturalWidth;
        const h = zoomImg.naturalHeight;
        const factor = w < 512 ? Math.max(1, Math.floor(768 / w)) : 1;
        zoomImg.width = w * factor;
        zoomImg.classList.toggle("enlarged", factor > 1);
        $("zoom-label").textContent = `${what} · ${w}×${h} px, full resolution` +
          (factor > 1 ? ` (each pixel shown ×${factor})` : "");
        zoom.dataset.ready = "1";
      };
      zoom.dataset.ready = "0";
      zoomImg.src = src;
    }
    const closeZoom = () => { zoom.hidden = true; zoomImg.removeAttribute("src"); };
    const zoomCandidate = (n) => { const img = cardImage(n); if (img) openZoom(img.src, `candidate ${n}`); };
    const zoomSeed = () => { const crop = $("crop-img"); if (crop) openZoom(crop.src, "seed"); };

    for (const img of document.querySelectorAll("img.zoomable")) {
      img.addEventListener("click", () => zoomCandidate(Number(img.closest(".card").dataset.number)));
    }
    for (const id of ["overlay", "compare-seed", "flicker-seed"]) {
      const node = $(id);
      if (node) node.addEventListener("click", zoomSeed);
    }
    candidateLayer.addEventListener("click", () => zoomCandidate(number));
    $("zoom-close").addEventListener("click", closeZoom);
    zoom.addEventListener("click", (event) => { if (event.target === zoom) closeZoom(); });
    $("zoom-selected").addEventListener("click", () => zoomCandidate(number));

    // ---- tint, modes, help ----
    function toggleTint() {
      tinted = !tinted;
      $("tint-toggle").setAttribute("aria-pressed", String(tinted));
      drawSeed(tinted);
    }
    const help = $("help");
    const toggleHelp = () => { help.hidden = !help.hidden; };
    $("tint-toggle").addEventListener("click", toggleTint);
    $("mode-side").addEventListener("click", () => setMode("side"));
    $("mode-flicker").addEventListener("click", () => setMode("flicker"));
    $("help-open").addEventListener("click", toggleHelp);
    $("help-close").addEventListener("click", toggleHelp);

    // capture phase: runs before the decision keys of workbench.js, and holds them back
    // while the help is open
    document.addEventListener("keydown", (event) => {
      if (nameDialogOpen() || typing(event.target) || !plainKey(event)) return;
      const key = event.key;
      if (!help.hidden) {
        if (key === "?" || key === "Escape") toggleHelp();
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (key === "Escape" && !zoom.hidden) closeZoom();
      else if (key === "z") (zoom.hidden ? zoomCandidate(number) : closeZoom());
      else if (key === "Z") (zoom.hidden ? zoomSeed() : closeZoom());
      else if (key === "f") setMode(compare.dataset.mode === "flicker" ? "side" : "flicker");
      else if (key === "t") toggleTint();
      else if (key === "?") toggleHelp();
      else if (key === "n") follow("next-undecided");
      else return;
      event.preventDefault();
      event.stopImmediatePropagation();
    }, true);

    drawSeed(tinted);
    setMode("side");
  }

  if (body.dataset.page === "seed") initSeedView();
  else if (body.dataset.page === "index") initIndex();
})();
