// The labelling page: the user's faces one at a time, zoomed on the face. Click (or tap) the
// subject's left pupil, then the right; or move the cross with the arrow keys and press Space.
// Backspace undoes the last pupil, Enter saves and goes to the next face, Page Up/Down go back
// and forth without saving. Saved through PATCH /api/faces/{id}/ (the face becomes "corrected").
// After the last face the page says so and links back; Page Up (or Previous) returns to it.
(() => {
  "use strict";
  const tool = document.getElementById("label-tool");
  const data = document.getElementById("label-queue");
  if (!tool || !data) return;
  const queue = JSON.parse(data.textContent);
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const view = document.getElementById("label-view");
  const canvas = document.getElementById("label-canvas");
  const image = document.getElementById("label-image");
  const cursor = document.getElementById("label-cursor");
  const progress = document.getElementById("label-progress");
  const photoLink = document.getElementById("label-photo");
  const stepText = document.getElementById("label-step");
  const doneBox = document.getElementById("label-done");
  const faceButtons = ["label-undo", "label-skip", "label-next"].map((id) => document.getElementById(id));
  const SIDES = ["left", "right"];
  const MARGIN = 0.45; // around the face box, as a share of its size

  let index = Math.min(queue.length - 1, Math.max(0, Number(tool.dataset.start) || 0));
  let placed = []; // the pupils clicked for this face: [[x, y], ...] left first
  let cursorAt = [0, 0]; // in original pixels
  let region = null; // the part of the photo shown: { x, y, size, scale }
  let markers = {};
  let busy = false;
  let done = false; // past the last face: the "all done" box shows instead of the face

  function faceUrl(id) { return tool.dataset.faceApi.replace(/\/0\/$/, `/${id}/`); }
  const round = (v) => Math.round(v * 100) / 100;

  // --- showing a face -----------------------------------------------------------------------
  function layout() {
    const face = queue[index];
    const [bx, by, bw, bh] = face.box;
    const size = Math.max(bw, bh) * (1 + 2 * MARGIN);
    const cx = bx + bw / 2, cy = by + bh / 2;
    const viewSize = view.clientWidth;
    const scale = viewSize / size; // screen px per original px
    region = { x: cx - size / 2, y: cy - size / 2, size, scale };
    canvas.style.setProperty("--left", `${-region.x * scale}px`);
    canvas.style.setProperty("--top", `${-region.y * scale}px`);
    canvas.style.setProperty("--w", `${face.width * scale}px`);
    canvas.style.setProperty("--h", `${face.height * scale}px`);
    // The preview is 1280 px at most: a small face in a large photo needs the original.
    const previewScale = Math.min(1, 1280 / Math.max(face.width, face.height));
    const wanted = scale * (window.devicePixelRatio || 1) > previewScale * 1.4 ? face.original : face.preview;
    if (image.dataset.src !== wanted) {
      image.dataset.src = wanted;
      image.src = wanted;
    }
    image.alt = `Face ${index + 1} in ${face.title}`;
    drawMarkers();
  }

  function setPosition(element, [x, y]) {
    const face = queue[index];
    element.style.setProperty("--x", `${(x / face.width) * 100}%`);
    element.style.setProperty("--y", `${(y / face.height) * 100}%`);
  }

  function drawMarkers() {
    const face = queue[index];
    for (const side of SIDES) {
      if (!markers[side]) {
        markers[side] = document.createElement("span");
        markers[side].className = `eye-marker ${side}`;
        markers[side].dataset.label = side === "left" ? "L" : "R";
        markers[side].setAttribute("aria-hidden", "true");
        canvas.append(markers[side]);
      }
      const i = SIDES.indexOf(side);
      const point = placed[i] || face[`${side}_eye`];
      markers[side].classList.toggle("placed", Boolean(placed[i]));
      markers[side].classList.toggle("current", i === placed.length);
      markers[side].dataset.x = String(point[0]);
      setPosition(markers[side], point);
    }
    // The cross: where the next pupil goes, shown in the view's own pixels.
    cursor.hidden = placed.length >= 2;
    cursor.style.setProperty("--cx", `${(cursorAt[0] - region.x) * region.scale}px`);
    cursor.style.setProperty("--cy", `${(cursorAt[1] - region.y) * region.scale}px`);
  }

  function explain(extra = "") {
    const next = placed.length === 0 ? "the left pupil (the subject's own: on your right as you look)"
      : placed.length === 1 ? "the right pupil (on your left as you look)" : null;
    const what = next ? `Click or tap ${next}.` : "Both pupils placed: Enter saves them and shows the next face.";
    stepText.textContent = extra ? `${extra} ${what}` : what;
  }

  function open(newIndex, message = "") {
    showDone(false);
    index = Math.min(queue.length - 1, Math.max(0, newIndex));
    placed = [];
    const face = queue[index];
    cursorAt = [...face.left_eye];
    progress.textContent = `Face ${index + 1} of ${queue.length}${face.source === "corrected" ? " (corrected before)" : ""}`;
    photoLink.href = face.page;
    photoLink.textContent = `Open “${face.title}”`;
    layout();
    explain(message);
  }

  // --- placing pupils -------------------------------------------------------------------------
  function place(point) {
    if (placed.length >= 2 || busy) return;
    const face = queue[index];
    placed.push([Math.min(face.width, Math.max(0, point[0])), Math.min(face.height, Math.max(0, point[1]))]);
    if (placed.length === 1) cursorAt = [...face.right_eye];
    drawMarkers();
    explain();
  }

  function undo() {
    if (!placed.length) { explain("Nothing to undo."); return; }
    const removed = placed.pop();
    cursorAt = removed;
    drawMarkers();
    explain(`${placed.length === 0 ? "Left" : "Right"} pupil taken back.`);
  }

  async function saveAndNext() {
    if (busy) return;
    const face = queue[index];
    const saving = placed.length > 0;
    if (saving) {
      const body = {};
      placed.forEach((point, i) => { body[`${SIDES[i]}_eye`] = point.map(round); });
      busy = true;
      try {
        const response = await fetch(faceUrl(face.id), {
          method: "PATCH",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(body),
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(answer.error?.message || `The server answered ${response.status}.`);
        Object.assign(face, { left_eye: answer.left_eye, right_eye: answer.right_eye, source: answer.source });
      } catch (error) {
        explain(`Not saved: ${error.message}`);
        return;
      } finally {
        busy = false;
      }
    }
    next(saving ? "Saved." : "");
  }

  // The next face, or past the last one the end of the queue.
  function next(message = "") {
    if (index < queue.length - 1) open(index + 1, message);
    else finish(message);
  }

  function showDone(on) {
    done = on;
    view.hidden = on;
    doneBox.hidden = !on;
    for (const button of faceButtons) button.disabled = on;
  }

  function finish(message) {
    placed = [];
    showDone(true);
    const all = queue.length === 1 ? "the only face" : `all ${queue.length} faces`;
    progress.textContent = `Done: ${all}`;
    stepText.textContent = `${message ? `${message} ` : ""}That was the last face: Previous goes back to it.`;
    doneBox.focus({ preventScroll: true });
  }

  // After a button the focus goes back to the face, so Space places a pupil and does not press
  // the button again; at the end it goes to the "all done" box.
  function refocus() {
    (done ? doneBox : view).focus({ preventScroll: true });
  }

  view.addEventListener("click", (event) => {
    if (!region) return;
    const box = canvas.getBoundingClientRect();
    const face = queue[index];
    place([((event.clientX - box.left) / box.width) * face.width, ((event.clientY - box.top) / box.height) * face.height]);
    view.focus({ preventScroll: true });
  });

  function previous() { open(done ? index : index - 1); }
  const buttons = {
    "label-prev": previous,
    "label-skip": () => next(),
    "label-undo": undo,
    "label-next": saveAndNext,
    "label-again": () => open(index),
  };
  for (const [id, action] of Object.entries(buttons)) {
    document.getElementById(id).addEventListener("click", async () => {
      await action();
      refocus();
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const onControl = event.target.closest("a, button, input, select, textarea, summary");
    if (onControl && (event.key === "Enter" || event.key === " ")) return; // the control's own
    if (event.target.closest("input, select, textarea")) return;
    if (done) {
      if (event.key !== "PageUp") return;
      previous();
      view.focus({ preventScroll: true });
      event.preventDefault();
      return;
    }
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      if (placed.length >= 2) return;
      const [dx, dy] = moves[event.key];
      const stepPx = (event.shiftKey ? 10 : 1) / region.scale; // one screen pixel, or ten
      const face = queue[index];
      cursorAt = [
        Math.min(face.width, Math.max(0, cursorAt[0] + dx * stepPx)),
        Math.min(face.height, Math.max(0, cursorAt[1] + dy * stepPx)),
      ];
      drawMarkers();
    } else if (event.key === " ") place(cursorAt);
    else if (event.key === "Backspace") undo();
    else if (event.key === "Enter") saveAndNext();
    else if (event.key === "PageDown") next();
    else if (event.key === "PageUp") previous();
    else return;
    event.preventDefault();
  });

  new ResizeObserver(() => { if (queue.length && !done) layout(); }).observe(view);
  open(index);
  view.focus({ preventScroll: true });
})();
