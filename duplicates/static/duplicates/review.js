// The duplicates review page: one group at a time, arrows between groups, and keys for the
// buttons (1-9 choose the photo to keep, K keep it, N not duplicates, U undo). The buttons are
// plain forms; after one is sent the page comes back at the same place in the list.
(() => {
  "use strict";
  const groups = [...document.querySelectorAll("[data-dup-group]")];
  const nav = document.querySelector("[data-dup-nav]");
  const position = document.querySelector("[data-dup-position]");
  const KEY = "focal.duplicates.position";
  let current = 0;

  function markKeeper(group) {
    const checked = group.querySelector("input[name=keeper]:checked");
    group.querySelectorAll(".tile").forEach((tile) => {
      tile.classList.toggle("keeper", !!checked && tile.dataset.photo === checked.value);
    });
  }

  function show(index) {
    if (!groups.length) return;
    current = Math.max(0, Math.min(groups.length - 1, index));
    groups.forEach((group, i) => { group.hidden = i !== current; });
    position.textContent = String(current + 1);
    nav.querySelector("[data-dup-prev]").disabled = current === 0;
    nav.querySelector("[data-dup-next]").disabled = current === groups.length - 1;
    window.Focal?.justify(groups[current]);
    markKeeper(groups[current]);
  }

  function typing(target) {
    return target.closest?.("input[type=text], input[type=search], textarea, select, [contenteditable]");
  }

  function send(form, action) {
    sessionStorage.setItem(KEY, String(current));
    if (action) form.action = action;
    form.requestSubmit();
  }

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    const group = groups[current];
    const form = group?.querySelector("[data-dup-form]");
    const key = event.key.toLowerCase();
    if ((key === "arrowleft" || key === "arrowright") && !event.target.closest?.(".tile")) {
      event.preventDefault();
      show(current + (key === "arrowright" ? 1 : -1));
    } else if (/^[1-9]$/.test(key) && group) {
      const choice = group.querySelector(`[data-dup-number="${key}"]`);
      if (choice) { choice.checked = true; markKeeper(group); }
    } else if (key === "k" && form) {
      event.preventDefault();
      send(form);
    } else if (key === "n" && form) {
      event.preventDefault();
      send(form, form.querySelector("[formaction]").formAction);
    } else if (key === "u") {
      const undo = document.querySelector("form[data-undo]");
      if (undo) { event.preventDefault(); sessionStorage.setItem(KEY, String(current)); undo.requestSubmit(); }
    }
  }

  function setUp() {
    if (groups.length) {
      nav.hidden = false;
      document.querySelector("[data-dup-keys]").hidden = false;
      nav.querySelector("[data-dup-prev]").addEventListener("click", () => show(current - 1));
      nav.querySelector("[data-dup-next]").addEventListener("click", () => show(current + 1));
      for (const group of groups) {
        group.addEventListener("change", () => markKeeper(group));
        group.querySelector("[data-dup-form]").addEventListener("submit", () => {
          sessionStorage.setItem(KEY, String(current));
        });
      }
      const saved = Number(sessionStorage.getItem(KEY) || 0);
      sessionStorage.removeItem(KEY);
      show(Number.isFinite(saved) ? saved : 0);
    }
    document.addEventListener("keydown", onKey);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
