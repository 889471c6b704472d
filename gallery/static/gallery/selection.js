// Selecting many photos in a grid: the check button on a tile (or a long press on a phone)
// starts a selection; then a click or tap toggles a photo, Shift+click selects a range, x or
// Space toggles the focused photo and Esc clears. The bar acts on the selection through the
// bulk API: add to an album, who sees them, download as one zip, trash (with Undo), and on
// album and trash pages remove, make cover, restore and delete for good.
(() => {
  "use strict";
  const bar = document.getElementById("selection-bar");
  if (!bar) return;
  const toast = document.getElementById("toast");
  const count = document.getElementById("selection-count");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const selected = new Set();
  let anchor = null; // the tile a Shift+click range starts from
  let pressTimer = null;
  let pressed = null;

  const tiles = () => [...document.querySelectorAll(".tile[data-mine]")];
  const idOf = (tile) => Number(tile.dataset.photo);

  function refresh() {
    count.textContent = String(selected.size);
    bar.hidden = selected.size === 0;
    document.body.classList.toggle("selecting", selected.size > 0);
    for (const tile of tiles()) {
      const on = selected.has(idOf(tile));
      tile.classList.toggle("selected", on);
      tile.querySelector(".tile-check")?.setAttribute("aria-pressed", String(on));
    }
    if (selected.size) toast.hidden = true;
  }

  function toggle(tile, range = false) {
    const all = tiles();
    if (range && anchor && all.includes(anchor)) {
      const [a, b] = [all.indexOf(anchor), all.indexOf(tile)].sort((x, y) => x - y);
      for (const each of all.slice(a, b + 1)) selected.add(idOf(each));
    } else if (selected.has(idOf(tile))) {
      selected.delete(idOf(tile));
    } else {
      selected.add(idOf(tile));
    }
    anchor = tile;
    refresh();
  }

  function clear() {
    selected.clear();
    anchor = null;
    closeMenus();
    refresh();
  }

  // The click that ends a long press must not open the photo or toggle it again (registered
  // first, so it runs before the handler below).
  document.addEventListener("click", (event) => {
    if (pressed && event.target.closest(".tile") === pressed) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
    pressed = null;
  }, true);

  document.addEventListener("click", (event) => {
    const check = event.target.closest(".tile-check");
    const tile = event.target.closest(".tile[data-mine]");
    if (check && tile) {
      event.preventDefault();
      toggle(tile, event.shiftKey);
      return;
    }
    const selectOnly = document.body.classList.contains("select-only"); // the trash
    if (tile && (selected.size > 0 || event.shiftKey || selectOnly) && event.target.closest(".tile-link")) {
      event.preventDefault(); // while selecting, a click selects instead of opening
      toggle(tile, event.shiftKey);
    }
  }, true);

  // A long press on a phone starts (or extends) the selection.
  document.addEventListener("pointerdown", (event) => {
    const tile = event.target.closest(".tile[data-mine]");
    if (!tile || event.pointerType === "mouse") return;
    pressed = null;
    pressTimer = setTimeout(() => { pressed = tile; toggle(tile); navigator.vibrate?.(20); }, 450);
  });
  for (const type of ["pointerup", "pointercancel", "pointermove"]) {
    document.addEventListener(type, (event) => {
      if (type === "pointermove" && Math.abs(event.movementX) + Math.abs(event.movementY) < 6) return;
      clearTimeout(pressTimer);
    });
  }
  document.addEventListener("contextmenu", (event) => {
    if (event.target.closest(".tile[data-mine]") && pressTimer) event.preventDefault();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && selected.size) { clear(); event.preventDefault(); return; }
    const tile = event.target.closest?.(".tile[data-mine]");
    if (!tile || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "x" || (event.key === " " && selected.size)) {
      event.preventDefault();
      toggle(tile, event.shiftKey);
    }
  });

  // --- menus in the bar -------------------------------------------------------------------
  function closeMenus() {
    for (const menu of bar.querySelectorAll(".selection-menu")) menu.hidden = true;
    for (const opener of bar.querySelectorAll("[data-menu]")) opener.setAttribute("aria-expanded", "false");
  }
  bar.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-menu]");
    if (!opener) return;
    const menu = document.getElementById(opener.dataset.menu);
    const open = menu.hidden;
    closeMenus();
    menu.hidden = !open;
    opener.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("click", (event) => { if (!bar.contains(event.target)) closeMenus(); });

  // --- acting on the selection --------------------------------------------------------------
  async function send(url, method, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error?.message || `The request failed (${response.status}).`);
    return data;
  }

  function say(text, undo = null, link = null) {
    toast.replaceChildren(document.createTextNode(text));
    if (undo) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Undo";
      button.addEventListener("click", undo);
      toast.append(button);
    }
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      toast.append(a);
    }
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.hidden = true; }, undo ? 10000 : 6000);
  }

  const plural = (n) => `${n} photo${n === 1 ? "" : "s"}`;

  async function bulk(action, extra = {}) {
    const ids = [...selected];
    const data = await send(bar.dataset.bulk, "POST", { ids, action, ...extra });
    return { ids, done: data.done };
  }

  bar.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button || button.dataset.menu) return;
    try {
      if (button.dataset.select === "clear") { clear(); return; }
      if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
      const action = button.dataset.bulkAction;
      if (action === "trash") {
        const { ids, done } = await bulk("trash", {});
        const gone = tiles().filter((tile) => ids.includes(idOf(tile)));
        window.Focal.remove(gone);
        clear();
        say(`Moved ${plural(done)} to the trash.`, async () => {
          try {
            const back = await send(bar.dataset.bulk, "POST", { ids, action: "restore" });
            sessionStorage.setItem("focal.flash", `Restored ${plural(back.done)} from the trash.`);
            location.reload();
          } catch (error) {
            say(error.message);
          }
        });
      } else if (action === "restore" || action === "delete") {
        const { done } = await bulk(action, {});
        const verb = action === "restore" ? "Restored" : "Deleted for good";
        sessionStorage.setItem("focal.flash", `${verb}: ${plural(done)}.`);
        location.reload();
      } else if (action === "remove_from_album") {
        const { ids, done } = await bulk(action, { album: Number(bar.dataset.album) });
        window.Focal.remove(tiles().filter((tile) => ids.includes(idOf(tile))));
        clear();
        say(`Removed ${plural(done)} from the album.`);
      } else if (button.dataset.visibility) {
        const { done } = await bulk("set_visibility", { visibility: button.dataset.visibility });
        const words = button.dataset.visibility === "private" ? "only you can see" : "everyone will see (after review)";
        sessionStorage.setItem("focal.flash", `${plural(done)} that ${words}.`);
        location.reload();
      } else if (button.dataset.addTo) {
        const { done } = await bulk("add_to_album", { album: Number(button.dataset.addTo) });
        clear();
        say(`Added ${plural(done)} to “${button.textContent}”.`, null, { href: `/albums/${button.dataset.addTo}/`, text: "Open" });
      } else if (button.dataset.newAlbum !== undefined) {
        const title = document.getElementById("new-album-title").value.trim();
        if (!title) { document.getElementById("new-album-title").focus(); return; }
        const album = await send(bar.dataset.albums, "POST", { title, ids: [...selected] });
        clear();
        say(`Made the album “${album.title}” with ${plural(album.count)}.`, null, { href: album.page_url, text: "Open" });
      } else if (button.dataset.cover !== undefined) {
        if (selected.size !== 1) { say("Choose one photo as the cover."); return; }
        await send(bar.dataset.albumApi, "PATCH", { cover: [...selected][0] });
        clear();
        say("That photo is now the album's cover.");
      } else if (button.dataset.downloadSelected !== undefined) {
        location.href = `${bar.dataset.download}?ids=${[...selected].join(",")}`;
      }
    } catch (error) {
      say(error.message);
    }
  });

  const flash = sessionStorage.getItem("focal.flash");
  if (flash) { sessionStorage.removeItem("focal.flash"); say(flash); }
  refresh();
})();
