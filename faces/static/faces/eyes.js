// Faces & eyes on the photo viewer (owner only): show the pupils found on each face as markers
// over the photo, move them by dragging, by selecting one and tapping where it belongs, or with
// the arrow keys; add a face the detector missed (tap its left pupil, then its right); remove a
// false one. Every change is saved at once through /api/faces/ and used by every eye effect.
// Markers live inside the viewer's frame, so zoom and pan move them with the photo; --zoom (set
// by viewer.js) keeps them the same size on screen.
(() => {
  "use strict";
  const section = document.getElementById("faces");
  const frame = document.getElementById("frame");
  const stage = document.getElementById("stage");
  const image = document.getElementById("photo-image");
  if (!section || !frame || !stage || !image) return;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  const width = Number(section.dataset.width);
  const height = Number(section.dataset.height);
  const toggle = document.getElementById("eyes-toggle");
  const addButton = document.getElementById("face-add");
  const hint = document.getElementById("eyes-hint");
  const list = document.getElementById("face-list");
  const SIDES = { left: "left", right: "right" };

  const layer = document.createElement("div");
  layer.className = "eyes-layer";
  layer.hidden = true;
  frame.append(layer);

  let faces = [];
  let loaded = false;
  let selected = null; // the marker that a tap on the photo moves
  let adding = null; // while adding a face: { left: [x, y] | null, marker }
  let drag = null;
  let justDragged = false;
  const pendingSaves = new Map(); // marker -> timer (arrow keys save once they stop)

  function faceUrl(id) { return section.dataset.faceApi.replace(/\/0\/$/, `/${id}/`); }

  async function call(url, method = "GET", body = undefined) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrf };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method, credentials: "same-origin", headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error?.message || `The server answered ${response.status}.`);
    return data;
  }

  function say(text) { hint.textContent = text; }

  // --- coordinates ----------------------------------------------------------------------------
  // Points are in pixels of the original; the image's box on screen already includes zoom/pan.
  function toImage(clientX, clientY) {
    const box = image.getBoundingClientRect();
    const x = ((clientX - box.left) / box.width) * width;
    const y = ((clientY - box.top) / box.height) * height;
    return [Math.min(width, Math.max(0, x)), Math.min(height, Math.max(0, y))];
  }
  function onImage(clientX, clientY) {
    const box = image.getBoundingClientRect();
    return clientX >= box.left && clientX <= box.right && clientY >= box.top && clientY <= box.bottom;
  }
  function screenPixel() { return width / image.getBoundingClientRect().width; } // image px per screen px

  function setPosition(element, x, y) {
    element.style.setProperty("--x", `${(x / width) * 100}%`);
    element.style.setProperty("--y", `${(y / height) * 100}%`);
  }

  // --- drawing --------------------------------------------------------------------------------
  function sideName(side) { return side === SIDES.left ? "Left" : "Right"; }

  function markerFor(face, index, side) {
    const marker = document.createElement("button");
    marker.type = "button";
    marker.className = `eye-marker ${side}`;
    marker.dataset.face = String(face.id);
    marker.dataset.side = side;
    marker.dataset.label = side === SIDES.left ? "L" : "R";
    marker.setAttribute("aria-pressed", "false");
    marker.setAttribute("aria-label", `${sideName(side)} eye of face ${index + 1}: drag it, or use the arrow keys`);
    const [x, y] = face[`${side}_eye`];
    marker.dataset.x = String(x);
    marker.dataset.y = String(y);
    setPosition(marker, x, y);
    return marker;
  }

  function render() {
    layer.replaceChildren();
    list.replaceChildren();
    faces.forEach((face, index) => {
      const box = document.createElement("span");
      box.className = `face-box ${face.source}`;
      box.dataset.face = String(face.id);
      box.setAttribute("aria-hidden", "true");
      const [x, y, w, h] = face.box;
      setPosition(box, x, y);
      box.style.setProperty("--w", `${(w / width) * 100}%`);
      box.style.setProperty("--h", `${(h / height) * 100}%`);
      layer.append(box, markerFor(face, index, SIDES.left), markerFor(face, index, SIDES.right));

      const item = document.createElement("li");
      item.dataset.face = String(face.id);
      const what = document.createElement("span");
      what.textContent = `Face ${index + 1}: ${face.expression.replace("_", " ")}, ${face.source === "corrected" ? "corrected" : "as detected"}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link small";
      remove.dataset.remove = String(face.id);
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove face ${index + 1} (not a face)`);
      item.append(what, " ", remove);
      list.append(item);
    });
    if (!faces.length) {
      const item = document.createElement("li");
      item.className = "muted";
      item.textContent = "No faces found. Add one if the detector missed it.";
      list.append(item);
    }
  }

  async function show(on) {
    toggle.setAttribute("aria-pressed", String(on));
    toggle.lastChild.textContent = on ? "Hide eyes" : "Show eyes";
    layer.hidden = !on;
    list.hidden = !on;
    addButton.hidden = !on;
    if (!on) { select(null); stopAdding(); say(""); return; }
    if (!loaded) {
      say("Loading the faces…");
      try {
        faces = (await call(section.dataset.facesApi)).faces;
        loaded = true;
      } catch (error) { say(error.message); return; }
      render();
    }
    // On a phone the panel is below the photo: bring the photo (and its markers) into view.
    const box = image.getBoundingClientRect();
    if (box.bottom < 0 || box.top > innerHeight) stage.scrollIntoView({ behavior: "smooth", block: "start" });
    say(faces.length ? "Drag a pupil to move it, or select it and tap where it belongs." : "");
  }
  toggle.addEventListener("click", () => show(toggle.getAttribute("aria-pressed") !== "true"));

  // --- saving a pupil -------------------------------------------------------------------------
  async function save(marker) {
    const id = Number(marker.dataset.face);
    const side = marker.dataset.side;
    const point = [Number(marker.dataset.x), Number(marker.dataset.y)].map((v) => Math.round(v * 100) / 100);
    const face = faces.find((f) => f.id === id);
    if (!face) return;
    try {
      const updated = await call(faceUrl(id), "PATCH", { [`${side}_eye`]: point });
      Object.assign(face, updated);
      const index = faces.indexOf(face);
      const item = list.querySelector(`li[data-face="${id}"] span`);
      if (item) item.textContent = `Face ${index + 1}: ${face.expression.replace("_", " ")}, corrected`;
      layer.querySelector(`.face-box[data-face="${id}"]`)?.classList.replace("detected", "corrected");
      say(`Saved: the ${side} eye of face ${index + 1}.`);
    } catch (error) {
      const [x, y] = face[`${side}_eye`];
      move(marker, x, y);
      say(`Not saved: ${error.message}`);
    }
  }

  function move(marker, x, y) {
    marker.dataset.x = String(x);
    marker.dataset.y = String(y);
    setPosition(marker, x, y);
  }

  // --- selecting, then tapping the photo ------------------------------------------------------
  function select(marker) {
    if (selected) selected.setAttribute("aria-pressed", "false");
    selected = marker;
    if (marker) {
      marker.setAttribute("aria-pressed", "true");
      const index = faces.findIndex((f) => String(f.id) === marker.dataset.face);
      say(`Tap the photo where the ${marker.dataset.side} pupil of face ${index + 1} is, or move it with the arrow keys (Shift: faster). Esc stops.`);
    }
    stage.classList.toggle("placing", Boolean(selected || adding));
  }

  layer.addEventListener("click", (event) => {
    const marker = event.target.closest(".eye-marker");
    if (!marker || adding) return;
    event.stopPropagation();
    if (justDragged) { justDragged = false; return; }
    select(selected === marker ? null : marker);
  });

  stage.addEventListener("click", (event) => {
    if (!stage.classList.contains("placing")) return;
    if (event.target.closest(".eye-marker, a, button") || !onImage(event.clientX, event.clientY)) return;
    event.preventDefault();
    const [x, y] = toImage(event.clientX, event.clientY);
    if (adding) { addPoint(x, y); return; }
    if (selected) {
      const marker = selected;
      move(marker, x, y);
      select(null);
      save(marker);
      marker.focus({ preventScroll: true });
    }
  });

  // --- dragging ---------------------------------------------------------------------------------
  layer.addEventListener("pointerdown", (event) => {
    const marker = event.target.closest(".eye-marker");
    if (!marker || adding || event.button > 0) return;
    event.preventDefault();
    event.stopPropagation();
    marker.setPointerCapture(event.pointerId);
    marker.focus({ preventScroll: true });
    drag = { marker, id: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
  });
  layer.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 4) return;
    drag.moved = true;
    drag.marker.classList.add("dragging");
    const [x, y] = toImage(event.clientX, event.clientY);
    move(drag.marker, x, y);
  });
  function endDrag(event) {
    if (!drag || event.pointerId !== drag.id) return;
    const { marker, moved } = drag;
    drag = null;
    marker.classList.remove("dragging");
    if (moved) {
      justDragged = true; // the click that follows is not a selection
      setTimeout(() => { justDragged = false; }, 0);
      if (selected) select(null);
      save(marker);
    }
  }
  layer.addEventListener("pointerup", endDrag);
  layer.addEventListener("pointercancel", endDrag);

  // --- the keyboard -----------------------------------------------------------------------------
  layer.addEventListener("keydown", (event) => {
    const marker = event.target.closest(".eye-marker");
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (!marker || !steps[event.key] || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    const [dx, dy] = steps[event.key];
    const stepPx = screenPixel() * (event.shiftKey ? 10 : 1);
    const x = Math.min(width, Math.max(0, Number(marker.dataset.x) + dx * stepPx));
    const y = Math.min(height, Math.max(0, Number(marker.dataset.y) + dy * stepPx));
    move(marker, x, y);
    clearTimeout(pendingSaves.get(marker));
    pendingSaves.set(marker, setTimeout(() => { pendingSaves.delete(marker); save(marker); }, 500));
  });
  // Esc leaves a mode before the viewer sees it (where Esc closes the photo).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !(selected || adding)) return;
    event.preventDefault();
    event.stopPropagation();
    const marker = selected;
    select(null);
    if (adding) { stopAdding(); say("No face added."); } else say("");
    marker?.focus({ preventScroll: true });
  }, true);

  // --- adding a face ------------------------------------------------------------------------------
  function stopAdding() {
    adding?.marker?.remove();
    adding = null;
    addButton.setAttribute("aria-pressed", "false");
    stage.classList.toggle("placing", Boolean(selected));
  }

  async function addPoint(x, y) {
    if (!adding.left) {
      adding.left = [x, y];
      adding.marker = document.createElement("span");
      adding.marker.className = "eye-marker left pending";
      adding.marker.dataset.label = "L";
      adding.marker.setAttribute("aria-hidden", "true");
      setPosition(adding.marker, x, y);
      layer.append(adding.marker);
      say("Now tap the subject's right pupil (on your left as you look at them).");
      return;
    }
    const body = { left_eye: adding.left.map(round), right_eye: [x, y].map(round) };
    stopAdding();
    await create(body);
  }
  const round = (v) => Math.round(v * 100) / 100;

  async function create(body) {
    try {
      const face = await call(section.dataset.facesApi, "POST", body);
      faces.push(face);
      render();
      say(`Face ${faces.length} added.`);
      return face;
    } catch (error) {
      say(`Not added: ${error.message}`);
      return null;
    }
  }

  addButton.addEventListener("click", async (event) => {
    if (adding) { stopAdding(); say("No face added."); return; }
    select(null);
    if (event.detail === 0) {
      // From the keyboard: a face in the middle of what is on screen, its pupils then moved
      // with the arrow keys.
      const box = image.getBoundingClientRect();
      const view = stage.getBoundingClientRect();
      const [cx, cy] = toImage(
        (Math.max(box.left, view.left) + Math.min(box.right, view.right)) / 2,
        (Math.max(box.top, view.top) + Math.min(box.bottom, view.bottom)) / 2,
      );
      const gap = Math.max(4, Math.min(width, height) * 0.05);
      const face = await create({ left_eye: [round(cx + gap / 2), round(cy)], right_eye: [round(cx - gap / 2), round(cy)] });
      if (face) {
        layer.querySelector(`.eye-marker[data-face="${face.id}"]`)?.focus({ preventScroll: true });
        say(`Face ${faces.length} added in the middle: move its pupils with the arrow keys, Tab to the other one.`);
      }
      return;
    }
    adding = { left: null, marker: null };
    addButton.setAttribute("aria-pressed", "true");
    stage.classList.add("placing");
    say("Tap the subject's left pupil (on your right as you look at them). Esc cancels.");
  });

  // --- removing a face ----------------------------------------------------------------------------
  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    const id = Number(button.dataset.remove);
    try {
      await call(faceUrl(id), "DELETE");
    } catch (error) { say(`Not removed: ${error.message}`); return; }
    faces = faces.filter((f) => f.id !== id);
    if (selected?.dataset.face === String(id)) select(null);
    render();
    say("Face removed.");
    toggle.focus({ preventScroll: true });
  });
})();
