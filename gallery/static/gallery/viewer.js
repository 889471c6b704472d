// The photo viewer: close (Esc, back), newer/older (arrow keys, swipe), zoom (wheel, pinch,
// double-click or double-tap, + and -), pan while zoomed, the info panel, and a refresh when
// processing finishes. effects.js adds the before/after view and tap-to-choose on the same frame.
(() => {
  "use strict";
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  const stage = document.getElementById("stage");
  const frame = document.getElementById("frame");
  const image = document.getElementById("photo-image");
  const label = document.getElementById("zoom-label");
  const zoomButton = document.getElementById("zoom-toggle");
  const panelButton = document.getElementById("panel-toggle");
  const panel = document.getElementById("viewer-panel");
  const prev = document.getElementById("viewer-prev");
  const next = document.getElementById("viewer-next");
  const close = document.getElementById("viewer-close");
  const wide = window.matchMedia("(min-width: 1000px)");
  const MAX_ZOOM = 8;
  const zoom = { scale: 1, x: 0, y: 0 }; // see "zoom and pan" below

  // --- closing and stepping -------------------------------------------------------------
  // Opened from a grid (site.js remembers where): closing goes back in history, so the grid
  // is where it was; stepping replaces this entry, so Back still closes the viewer.
  const returnTo = sessionStorage.getItem("focal.viewerReturn");
  function closeViewer(event) {
    event?.preventDefault();
    sessionStorage.setItem("focal.viewerLast", viewer.dataset.photo); // site.js focuses its tile
    if (returnTo && history.length > 1) {
      sessionStorage.removeItem("focal.viewerReturn");
      history.back();
    } else {
      location.href = viewer.dataset.back;
    }
  }
  close.addEventListener("click", closeViewer);
  function step(link) {
    if (link) location.replace(link.href);
  }
  for (const link of [prev, next]) {
    link?.addEventListener("click", (event) => { event.preventDefault(); step(link); });
  }

  // --- the info panel -----------------------------------------------------------------------
  function setPanel(open, remember = true) {
    viewer.classList.toggle("with-panel", open);
    panelButton.setAttribute("aria-expanded", String(open));
    if (remember) localStorage.setItem("focal.panel", open ? "open" : "closed");
  }
  if (wide.matches && localStorage.getItem("focal.panel") === "closed") setPanel(false, false);
  panelButton.addEventListener("click", () => {
    if (wide.matches) setPanel(!viewer.classList.contains("with-panel"));
    else panel.scrollIntoView({ behavior: "smooth", block: "start" });
  });

  // --- keyboard -----------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    // Keys typed into a field are the field's; a focused button (Save changes, an effect) keeps
    // only Enter and Space, so Esc and the arrows still close and step after using it.
    if (event.target.closest("input, select, textarea, [contenteditable]:not([contenteditable=false])")) return;
    if (event.target.closest("button, a[href], summary") && (event.key === "Enter" || event.key === " ")) return;
    // Arrows on a tile of the panel's strips move between tiles (site.js).
    if (event.key.startsWith("Arrow") && event.target.closest("[data-tiles]")) return;
    if (event.key === "Escape") {
      if (zoom.scale > 1 && frame) resetZoom(); else closeViewer(event);
    } else if (event.key === "ArrowLeft" && zoom.scale === 1) step(prev);
    else if (event.key === "ArrowRight" && zoom.scale === 1) step(next);
    else if ((event.key === "+" || event.key === "=") && frame) zoomAt(zoom.scale * 1.5);
    else if (event.key === "-" && frame) zoomAt(zoom.scale / 1.5);
    else if (event.key === "0" && frame) resetZoom();
    else if (event.key === "i") panelButton.click();
    else return;
    event.preventDefault();
  });

  // --- processing: refresh when it ends ----------------------------------------------------
  if (["pending", "processing"].includes(viewer.dataset.status)) {
    const tick = async () => {
      try {
        const response = await fetch(viewer.dataset.api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.ok) {
          const photo = await response.json();
          if (photo.status === "ready" || photo.status === "failed") { location.reload(); return; }
          const badge = document.getElementById("status-badge");
          if (badge) badge.textContent = photo.status === "processing" ? "Processing" : "Waiting";
        }
      } catch (_) { /* try again */ }
      setTimeout(tick, 1000);
    };
    setTimeout(tick, 800);
  }

  if (!frame) return;

  // --- zoom and pan ------------------------------------------------------------------------
  // The frame (photo and any overlays) is moved by translate(x, y) scale(s) from its top-left
  // corner: a point p of the frame shows at origin + (x, y) + s * p.
  let original = false;

  function origin() {
    const box = frame.getBoundingClientRect();
    return { left: box.left - zoom.x, top: box.top - zoom.y, width: box.width / zoom.scale, height: box.height / zoom.scale };
  }

  function clampPan() {
    const base = origin();
    const stageBox = stage.getBoundingClientRect();
    const width = base.width * zoom.scale, height = base.height * zoom.scale;
    // Keep the photo covering the stage where it can, and never let it leave entirely.
    const minX = Math.min(stageBox.right - base.left - width, stageBox.left - base.left + (stageBox.width - width) / 2);
    const maxX = Math.max(stageBox.left - base.left, stageBox.left - base.left + (stageBox.width - width) / 2);
    const minY = Math.min(stageBox.bottom - base.top - height, stageBox.top - base.top + (stageBox.height - height) / 2);
    const maxY = Math.max(stageBox.top - base.top, stageBox.top - base.top + (stageBox.height - height) / 2);
    zoom.x = Math.min(maxX, Math.max(minX, zoom.x));
    zoom.y = Math.min(maxY, Math.max(minY, zoom.y));
  }

  function apply() {
    if (zoom.scale <= 1.001) { zoom.scale = 1; zoom.x = 0; zoom.y = 0; } else clampPan();
    frame.style.transform = zoom.scale === 1 ? "" : `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.scale})`;
    frame.style.setProperty("--zoom", String(zoom.scale)); // overlays keep their size (eyes.js)
    stage.classList.toggle("zoomed", zoom.scale > 1);
    label.hidden = zoom.scale === 1;
    label.textContent = `${Math.round(zoom.scale * 100)}%`;
    zoomButton?.setAttribute("aria-pressed", String(zoom.scale > 1));
    // Past the preview's resolution, show the original (once; the box keeps its size).
    const shownWidth = origin().width * zoom.scale * (window.devicePixelRatio || 1);
    if (!original && shownWidth > image.naturalWidth * 1.1 && Number(viewer.dataset.width) > image.naturalWidth) {
      original = true;
      const box = image.getBoundingClientRect();
      image.style.width = `${box.width / zoom.scale}px`;
      image.style.height = `${box.height / zoom.scale}px`;
      image.src = viewer.dataset.original;
    }
  }

  // Zoom to `scale` keeping the point (clientX, clientY) still; the stage's centre by default.
  function zoomAt(scale, clientX, clientY) {
    const stageBox = stage.getBoundingClientRect();
    const cx = clientX ?? stageBox.left + stageBox.width / 2;
    const cy = clientY ?? stageBox.top + stageBox.height / 2;
    const base = origin();
    const px = (cx - base.left - zoom.x) / zoom.scale;
    const py = (cy - base.top - zoom.y) / zoom.scale;
    zoom.scale = Math.min(MAX_ZOOM, Math.max(1, scale));
    zoom.x = cx - base.left - zoom.scale * px;
    zoom.y = cy - base.top - zoom.scale * py;
    apply();
  }

  function resetZoom() { zoomAt(1); }

  zoomButton?.addEventListener("click", () => (zoom.scale > 1 ? resetZoom() : zoomAt(2.5)));
  stage.addEventListener("wheel", (event) => {
    if (stage.classList.contains("tapping")) return;
    event.preventDefault();
    zoomAt(zoom.scale * Math.exp(-event.deltaY * 0.0025), event.clientX, event.clientY);
  }, { passive: false });
  stage.addEventListener("dblclick", (event) => {
    if (stage.classList.contains("tapping") || event.target.closest("a, button, input")) return;
    zoom.scale > 1 ? resetZoom() : zoomAt(2.5, event.clientX, event.clientY);
  });

  // Pointers: one finger (or the mouse) pans when zoomed and swipes when not; two pinch.
  const pointers = new Map();
  let gesture = null;
  let lastTap = 0;
  stage.addEventListener("pointerdown", (event) => {
    if (event.target.closest("a, button, input, .compare-range")) return;
    // effects.js takes the tap (choosing the subject), eyes.js too (placing a pupil).
    if (stage.classList.contains("tapping") || stage.classList.contains("placing")) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    stage.setPointerCapture(event.pointerId);
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      gesture = { kind: "pinch", distance: Math.hypot(a.x - b.x, a.y - b.y), scale: zoom.scale };
    } else if (pointers.size === 1) {
      gesture = { kind: "drag", startX: event.clientX, startY: event.clientY, x: zoom.x, y: zoom.y, at: performance.now() };
    }
  });
  stage.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (gesture?.kind === "pinch" && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      zoomAt(gesture.scale * (distance / gesture.distance), (a.x + b.x) / 2, (a.y + b.y) / 2);
    } else if (gesture?.kind === "drag" && zoom.scale > 1) {
      zoom.x = gesture.x + event.clientX - gesture.startX;
      zoom.y = gesture.y + event.clientY - gesture.startY;
      apply();
    }
  });
  function endPointer(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    if (gesture?.kind === "drag" && pointers.size === 0) {
      const dx = event.clientX - gesture.startX, dy = event.clientY - gesture.startY;
      const quick = performance.now() - gesture.at < 600;
      if (zoom.scale === 1 && quick && Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) {
        step(dx > 0 ? prev : next);
      } else if (event.pointerType === "touch" && Math.hypot(dx, dy) < 10 && !stage.classList.contains("tapping")) {
        // Double tap zooms (touch screens send no dblclick reliably).
        const now = performance.now();
        if (now - lastTap < 300) { zoom.scale > 1 ? resetZoom() : zoomAt(2.5, event.clientX, event.clientY); lastTap = 0; }
        else lastTap = now;
      }
    }
    if (pointers.size < 2 && gesture?.kind === "pinch") gesture = null;
    if (pointers.size === 0) gesture = null;
  }
  stage.addEventListener("pointerup", endPointer);
  stage.addEventListener("pointercancel", endPointer);
  window.addEventListener("resize", () => apply());
})();
