// Behaviour shared by every page: justified photo grids, arrow keys between tiles, the account
// menu, and confirmation of destructive forms. Loaded with `defer` on every page.
(() => {
  "use strict";

  // Justified grids: rows of equal height, every photo at its own aspect ratio, uncropped.
  // The server renders a .jgrid as a plain sequence of tiles (data-ar = width / height), with
  // day headings (.day-title) before the first tile of each day. Here the sequence is cut into
  // rows whose height is as close to the target (--row) as the width allows; each row is
  // stretched to the full width, so every tile keeps its aspect ratio exactly. Days share rows
  // (as in Google Photos): a row holding the first photo of a day gets a band above it with
  // the day's heading over that photo. Such a row that begins with more photos of the day
  // before repeats that day's heading at its start (hidden from screen readers, who heard it
  // once), or those photos would seem to belong to the next day. The last row keeps the
  // target height.
  const sequences = new WeakMap();

  function layout(grid) {
    let items = sequences.get(grid);
    if (!items) {
      items = [];
      sequences.set(grid, items);
      remember(items, [...grid.children]);
    }
    const width = grid.clientWidth;
    watchWidth(grid, width);
    if (!items.length) { grid.replaceChildren(); return; }
    if (!width) return;
    grid.dataset.laidOutWidth = width; // tests wait for it to match the grid's width
    const style = getComputedStyle(grid);
    const target = parseFloat(style.getPropertyValue("--row")) || 200;
    const gap = parseFloat(style.getPropertyValue("--tile-gap")) || 4;
    // Where to break the rows: the breaks whose row heights stay closest to the target
    // (least squares over all rows, as a line-breaking algorithm does for text), never a row
    // under 80% of the target unless a single photo is that wide. The last row may stay
    // shorter than the width instead of growing past the target.
    const low = target * 0.8;
    const MAX_PER_ROW = 16;
    const heightOf = (count, ratios) => (width - gap * (count - 1)) / ratios;
    const n = items.length;
    const best = new Array(n + 1).fill(Infinity);
    const cut = new Array(n + 1).fill(0);
    best[0] = 0;
    for (let end = 1; end <= n; end++) {
      let ratios = 0;
      for (let start = end - 1; start >= 0 && end - start <= MAX_PER_ROW; start--) {
        ratios += items[start].ar;
        const count = end - start;
        let height = heightOf(count, ratios);
        if (end === n && height > target) height = target; // the last row is not stretched
        let cost = (height - target) ** 2;
        if (height < low) cost += count > 1 ? 1e9 : 1e6 * (low - height);
        if (best[start] + cost < best[end]) {
          best[end] = best[start] + cost;
          cut[end] = start;
        }
        if (height < low / 2) break; // adding more photos only makes the row lower
      }
    }
    const rows = [];
    for (let end = n; end > 0; end = cut[end]) {
      const members = items.slice(cut[end], end);
      const ratios = members.reduce((total, item) => total + item.ar, 0);
      const height = heightOf(members.length, ratios);
      rows.unshift({ items: members, height: end === n ? Math.min(target, height) : height });
    }

    const fragment = document.createDocumentFragment();
    for (const { items: members, height } of rows) {
      const line = document.createElement("div");
      line.className = "jrow";
      let x = 0;
      const heads = [];
      if (!members[0].heading && members[0].label && members.some((item) => item.heading)) {
        const again = document.createElement("p");
        again.className = "day-title again";
        again.setAttribute("aria-hidden", "true");
        again.textContent = members[0].label;
        if (members[0].tight) again.dataset.tight = members[0].tight;
        heads.push({ heading: again, x: 0 });
        line.append(again);
      }
      for (const { tile, heading, ar } of members) {
        const tileWidth = ar * height;
        tile.style.width = `${tileWidth}px`;
        tile.style.height = `${height}px`;
        if (heading) {
          heads.push({ heading, x });
          line.append(heading); // before its photo, for screen readers
        }
        line.append(tile);
        x += tileWidth + gap;
      }
      heads.forEach(({ heading, x: left }, i) => {
        const room = (i + 1 < heads.length ? heads[i + 1].x : width) - left - 8;
        heading.style.left = `${left}px`;
        heading.style.maxWidth = `${Math.max(room, 24)}px`;
      });
      line.classList.toggle("with-heads", heads.length > 0);
      fragment.append(line);
    }
    grid.replaceChildren(fragment);
    grid.classList.add("laid-out");
    fitHeadings(grid);
  }

  // A day heading that does not fit over its photos ("Tue 24 Nov" over one narrow tile) says
  // "24 Nov" (data-tight) rather than "Tue 24 …": the month is what tells the days apart.
  function fitHeadings(grid) {
    const headings = [...grid.querySelectorAll(".jrow > .day-title[data-tight]")];
    for (const heading of headings) {
      heading.dataset.full ??= heading.textContent;
      heading.textContent = heading.dataset.full;
    }
    const cut = headings.filter((heading) => heading.scrollWidth > heading.clientWidth + 1);
    for (const heading of cut) heading.textContent = heading.dataset.tight;
  }

  // A grid is laid out again when its own width changes: the window was resized, or a
  // column (the photo page's side panel) changed size.
  const widths = new WeakMap();
  let relayout = null;
  const resizes = "ResizeObserver" in window
    ? new ResizeObserver((entries) => {
        for (const { target } of entries) {
          if (target.clientWidth && target.clientWidth !== widths.get(target)) {
            clearTimeout(relayout);
            relayout = setTimeout(() => justify(), 120);
          }
        }
      })
    : null;
  function watchWidth(grid, width) {
    if (!widths.has(grid)) resizes?.observe(grid);
    widths.set(grid, width);
  }

  // Tiles in order, each with the day heading just before it (if any), its day and the
  // day's heading text.
  function remember(items, elements) {
    let heading = null;
    let { day = null, label = null, tight = null } = items.length ? items[items.length - 1] : {};
    for (const element of elements) {
      if (element.classList.contains("day-title")) {
        heading = element;
        day = element.dataset.day;
        label = element.textContent.trim();
        tight = element.dataset.tight;
      } else if (element.classList.contains("tile")) {
        items.push({ tile: element, heading, day, label, tight, ar: Number(element.dataset.ar) || 1 });
        heading = null;
      }
    }
  }

  // Tiles taken out of their grids (trashed, removed from an album): the rows close up.
  function remove(gone) {
    const grids = new Set();
    for (const tile of gone) {
      const grid = tile.closest(".jgrid");
      const items = grid && sequences.get(grid);
      if (items) {
        const index = items.findIndex((item) => item.tile === tile);
        if (index >= 0) {
          const [item] = items.splice(index, 1);
          const next = items[index];
          if (item.heading && next && next.day === item.day && !next.heading) next.heading = item.heading;
          else item.heading?.remove();
        }
        grids.add(grid);
      }
      tile.remove();
    }
    for (const grid of grids) layout(grid);
  }

  function lastDay(grid) {
    const items = sequences.get(grid);
    return items?.length ? items[items.length - 1].day : null;
  }

  function justify(root = document) {
    for (const grid of root.querySelectorAll(".jgrid")) layout(grid);
  }

  // New tiles (and day headings) at the end of a grid that is already laid out.
  function extend(grid, elements) {
    const items = sequences.get(grid);
    if (!items) { grid.append(...elements); layout(grid); return; }
    remember(items, elements);
    layout(grid);
  }

  if (!resizes) {
    let lastWidth = window.innerWidth;
    window.addEventListener("resize", () => {
      if (window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      clearTimeout(relayout);
      relayout = setTimeout(() => justify(), 120);
    });
  }

  // Arrow keys move between tiles: left/right in reading order, up/down to the nearest tile in
  // the row above or below.
  function moveFocus(event) {
    const tile = event.target.closest?.(".tile");
    if (!tile || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const keys = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: "up", ArrowDown: "down" };
    const how = keys[event.key];
    if (how === undefined) return;
    const scope = tile.closest("[data-tiles]") || document;
    const tiles = [...scope.querySelectorAll(".tile")];
    let target = null;
    if (typeof how === "number") {
      target = tiles[tiles.indexOf(tile) + how];
    } else {
      const here = tile.getBoundingClientRect();
      const middle = here.left + here.width / 2;
      let best = Infinity;
      for (const other of tiles) {
        const box = other.getBoundingClientRect();
        const gap = how === "down" ? box.top - here.bottom : here.top - box.bottom;
        if (gap < -2) continue;
        const score = gap * 4 + Math.abs(box.left + box.width / 2 - middle);
        if (score < best) { best = score; target = other; }
      }
    }
    if (target) {
      event.preventDefault();
      target.querySelector(".tile-link").focus();
      target.scrollIntoView({ block: "nearest" });
    }
  }

  // Back from the viewer (Esc, its close button, Back): focus the tile of the photo seen last,
  // not the top of the page, so the keyboard goes on from there. pageshow also fires when
  // the page comes back from the back-forward cache.
  function focusLastViewed() {
    const id = sessionStorage.getItem("focal.viewerLast");
    if (!id) return;
    sessionStorage.removeItem("focal.viewerLast");
    const link = document.querySelector(`.tile[data-photo="${CSS.escape(id)}"] .tile-link`);
    if (!link) return;
    link.focus({ preventScroll: true });
    link.scrollIntoView({ block: "nearest" });
  }

  function setUp() {
    justify();
    focusLastViewed();
    window.addEventListener("pageshow", (event) => { if (event.persisted) focusLastViewed(); });
    document.addEventListener("keydown", moveFocus);
    // Remember where a photo was opened from, so the viewer's close button can go back there.
    document.addEventListener("click", (event) => {
      const tile = event.target.closest?.("a.tile-link");
      if (tile) sessionStorage.setItem("focal.viewerReturn", location.href);
    });
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", (event) => {
        if (!confirm(form.dataset.confirm)) event.preventDefault();
      });
    }
    const menu = document.querySelector(".account-menu");
    if (menu) {
      document.addEventListener("click", (event) => { if (!menu.contains(event.target)) menu.open = false; });
      document.addEventListener("keydown", (event) => { if (event.key === "Escape") menu.open = false; });
    }
  }

  window.Focal = { justify, extend, lastDay, remove };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
