// The rating grid: arrow keys move between cells and number keys pick a level, the scale
// panel follows the focused cell, phones see one ratee at a time, and leaving with unsaved
// changes asks first. CSP-safe: no inline handlers, loaded with the page's nonce.
(function () {
  "use strict";
  const root = document.querySelector("[data-rate-grid]");
  if (!root) return;
  const table = root.querySelector("[data-grid-table]");
  const form = root.querySelector("[data-rate-form]");
  const panel = root.querySelector("[data-scale-panel]");
  if (!table || !form) return;
  const rows = Array.from(table.querySelectorAll("tbody tr[data-row]"));
  const matrix = rows.map((r) => Array.from(r.querySelectorAll("td.rate-cell, td.rate-comment")));
  let dirty = false;

  // ------------------------------------------------------------ moving between cells

  function target(td) {
    if (!td) return null;
    return (
      td.querySelector("input[type=radio]:checked") ||
      td.querySelector("input:not([type=hidden]):not([disabled]), textarea")
    );
  }

  function position(el) {
    const td = el.closest("td");
    for (let r = 0; r < matrix.length; r++) {
      const c = matrix[r].indexOf(td);
      if (c >= 0) return [r, c];
    }
    return null;
  }

  function move(el, dr, dc) {
    const pos = position(el);
    if (!pos) return false;
    let [r, c] = pos;
    for (;;) {
      r += dr;
      c += dc;
      if (r < 0 || r >= matrix.length || c < 0 || c >= matrix[r].length) return false;
      const next = target(matrix[r][c]);
      if (next) {
        showCard(r);
        next.focus();
        return true;
      }
    }
  }

  function pick(td, key) {
    const radio = td.querySelector('input[type=radio][data-level="' + key + '"]');
    if (!radio) return false;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    if (!move(radio, 0, 1)) radio.focus();
    return true;
  }

  table.addEventListener("keydown", (ev) => {
    const el = ev.target;
    if (!(el instanceof HTMLElement) || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const td = el.closest("td");
    if (!td) return;
    const arrows = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    let handled = false;
    if (el instanceof HTMLInputElement && el.type === "radio") {
      if (/^[0-9]$/.test(ev.key)) {
        handled = pick(td, ev.key);
      } else if (arrows[ev.key]) {
        move(el, arrows[ev.key][0], arrows[ev.key][1]);
        handled = true; // never let the arrows change the chosen level
      }
    } else if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
      const start = el.selectionStart === 0 && el.selectionEnd === 0;
      const end = el.selectionStart === el.value.length;
      const single = el instanceof HTMLInputElement;
      if (ev.key === "ArrowLeft" && start) handled = move(el, 0, -1);
      else if (ev.key === "ArrowRight" && end) handled = move(el, 0, 1);
      else if ((ev.key === "ArrowUp" || ev.key === "ArrowDown") && single)
        handled = move(el, arrows[ev.key][0], 0);
      else if (ev.key === "Enter" && single) {
        move(el, 0, 1);
        handled = true;
      }
    }
    if (handled) ev.preventDefault();
  });

  // ------------------------------------------------------------ the scale panel

  const sections = panel ? Array.from(panel.querySelectorAll("[data-scale-for]")) : [];

  function showScale(itemId, level) {
    if (!sections.length) return;
    sections.forEach((s) => {
      s.hidden = s.getAttribute("data-scale-for") !== String(itemId);
      s.querySelectorAll("[data-scale-level]").forEach((l) => {
        l.classList.toggle("is-current", !s.hidden && l.getAttribute("data-scale-level") === String(level));
      });
    });
  }

  function levelOf(td, el) {
    if (el && el.getAttribute && el.getAttribute("data-level")) return el.getAttribute("data-level");
    const checked = td.querySelector("input[type=radio]:checked");
    if (checked) return checked.value;
    const shown = td.querySelector("[data-value]");
    return shown ? shown.getAttribute("data-value") : "";
  }

  if (sections.length) showScale(sections[0].getAttribute("data-scale-for"), "");

  table.addEventListener("focusin", (ev) => {
    table.querySelectorAll("td.is-focused").forEach((t) => t.classList.remove("is-focused"));
    const td = ev.target instanceof Element ? ev.target.closest("td.rate-cell") : null;
    if (!td) return;
    td.classList.add("is-focused");
    showScale(td.getAttribute("data-item"), levelOf(td, ev.target));
  });
  table.addEventListener("mouseover", (ev) => {
    const label = ev.target instanceof Element ? ev.target.closest("label[data-level]") : null;
    const td = label ? label.closest("td.rate-cell") : null;
    if (td) showScale(td.getAttribute("data-item"), label.getAttribute("data-level"));
  });
  root.addEventListener("click", (ev) => {
    const btn = ev.target instanceof Element ? ev.target.closest("[data-scale-show]") : null;
    if (btn) showScale(btn.getAttribute("data-scale-show"), "");
  });

  // ------------------------------------------------------------ progress and unsaved changes

  const counter = root.querySelector("[data-complete-count]");
  const template = root.getAttribute("data-complete-text") || "{done} / {total}";

  function complete(row) {
    if (row.hasAttribute("data-readonly")) return true;
    return Array.from(row.querySelectorAll("td.rate-cell")).every((td) => {
      const text = td.querySelector("input.rate-number");
      return text ? text.value.trim() !== "" : !!td.querySelector("input[type=radio]:checked");
    });
  }

  function refresh() {
    let done = 0;
    rows.forEach((r) => {
      const ok = complete(r);
      r.classList.toggle("is-complete", ok);
      if (ok) done += 1;
    });
    if (counter) {
      counter.textContent = template
        .replace("{done}", String(done))
        .replace("{total}", String(rows.length));
    }
  }

  form.addEventListener("change", (ev) => {
    dirty = true;
    const td = ev.target instanceof Element ? ev.target.closest("td.rate-cell") : null;
    if (td) {
      td.classList.remove("is-missing");
      showScale(td.getAttribute("data-item"), levelOf(td, null));
    }
    refresh();
  });
  form.addEventListener("input", () => {
    dirty = true;
  });
  form.addEventListener("submit", () => {
    dirty = false;
  });
  window.addEventListener("beforeunload", (ev) => {
    if (dirty) ev.preventDefault();
  });
  refresh();

  // ------------------------------------------------------------ one card at a time on phones

  const nav = root.querySelector("[data-card-nav]");
  const narrow = window.matchMedia("(max-width: 767.98px)");
  let current = 0;

  function showCard(i) {
    if (!table.classList.contains("card-mode") || !rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, k) => r.classList.toggle("is-current", k === current));
    const count = nav && nav.querySelector("[data-card-count]");
    if (count) count.textContent = current + 1 + " / " + rows.length;
    const prev = nav && nav.querySelector("[data-card-prev]");
    const next = nav && nav.querySelector("[data-card-next]");
    if (prev) prev.disabled = current === 0;
    if (next) next.disabled = current === rows.length - 1;
  }

  function firstToShow() {
    const failed = rows.findIndex((r) => r.classList.contains("has-error"));
    if (failed >= 0) return failed;
    const open = rows.findIndex((r) => !r.hasAttribute("data-readonly") && !complete(r));
    return open >= 0 ? open : 0;
  }

  function applyMode() {
    const cards = narrow.matches && rows.length > 1;
    table.classList.toggle("card-mode", cards);
    if (nav) nav.hidden = !cards;
    if (cards) showCard(firstToShow());
  }

  if (nav) {
    nav.addEventListener("click", (ev) => {
      const el = ev.target instanceof Element ? ev.target : null;
      if (!el) return;
      if (el.closest("[data-card-prev]")) showCard(current - 1);
      else if (el.closest("[data-card-next]")) showCard(current + 1);
      else return;
      table.scrollIntoView({ block: "start" });
    });
  }
  narrow.addEventListener("change", applyMode);
  applyMode();
})();
