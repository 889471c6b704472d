// The Camera page: a live preview in which the person stays sharp and the background is
// blurred, replaced or turned grey, computed on this device (MediaPipe's selfie model in
// WebAssembly); the shutter uploads the full-resolution frame and asks the server for the same
// effect. No frame is sent anywhere before the shutter is pressed. With "Hide faces" on, faces
// are blurred in the preview and in the shot before it is uploaded (hidefaces.js).
import * as matte from "./matte.js";
import { FaceTracker, blurFaces, detectFaces, loadFaceDetector } from "./hidefaces.js";

const root = document.getElementById("camera");
const video = document.getElementById("camera-video");
const view = document.getElementById("camera-view");
const fpsLabel = document.getElementById("camera-fps");
const message = document.getElementById("camera-message");
const form = document.getElementById("camera-controls");
const shutter = document.getElementById("camera-shutter");
const switcher = document.getElementById("camera-switch");
const result = document.getElementById("camera-result");
const blurOutput = document.getElementById("camera-blur-value");
const hideFaces = document.getElementById("camera-hide-faces");
const facesNote = document.getElementById("camera-faces-note");
const hint = document.getElementById("camera-hint");
const fallback = document.getElementById("camera-fallback");
const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;

const WORK_WIDTH = 320; // the model sees 256x144; the preview is drawn at twice this
const MAX_BLUR_SIGMA = 0.02; // of the long side at blur 100, as the server's portrait effect
const GUIDE_RADIUS = 3;
const GUIDE_EPS = 1e-3;
const STEEPEN = 2;
const CELL = 8; // work pixels per cell of the subject grid

const state = {
  facing: "user",
  stream: null,
  segmenter: null,
  running: false,
  smoothing: true,
  tap: null,
  chosen: null, // the subject's cells on the grid, last frame
  subjectPoint: null, // a point on the subject, 0..1, for the server
  lastTime: -1,
  background: null, // <img> of the chosen background photo
  faceDetector: null, // MediaPipe FaceDetector, loaded when Hide faces is first turned on
  faceLoading: null, // the promise of that load
  faces: new FaceTracker(),
  faceCanvases: {},
};

const stats = {
  frames: 0, fps: 0, segmentMs: 0, refineMs: 0, composeMs: 0, facesMs: 0, faceBlurMs: 0, faces: 0,
  flicker: 0, flickerFrames: 0,
};
window.focalCamera = {
  stats,
  setSmoothing(on) { state.smoothing = Boolean(on); stats.flicker = 0; stats.flickerFrames = 0; },
};

function show(text) {
  message.textContent = text;
  message.hidden = !text;
}

function canvas(width, height, options) {
  const c = document.createElement("canvas");
  c.width = width; c.height = height;
  return [c, c.getContext("2d", options)];
}

// --- buffers, sized for the stream --------------------------------------------------------
let W = 0, H = 0, buffers = null;

function allocate(width, height) {
  W = WORK_WIDTH;
  H = Math.round((WORK_WIDTH * height) / width / 2) * 2;
  view.width = 2 * W; view.height = 2 * H;
  view.style.setProperty("--camera-aspect", `${width} / ${height}`);
  const n = W * H;
  const [work, workCtx] = canvas(W, H, { willReadFrequently: true });
  const [mask, maskCtx] = canvas(W, H);
  const [person, personCtx] = canvas(2 * W, 2 * H);
  const [small, smallCtx] = canvas(Math.max(1, W / 2), Math.max(1, H / 2));
  const [soft, softCtx] = canvas(Math.max(1, W / 2), Math.max(1, H / 2));
  const grid = { gw: Math.floor(W / CELL), gh: Math.floor(H / CELL) };
  const cells = grid.gw * grid.gh;
  buffers = {
    work, workCtx, mask, maskCtx, person, personCtx, small, smallCtx, soft, softCtx,
    raw: new Float32Array(n), smoothed: new Float32Array(n), previous: new Float32Array(n),
    steep: new Float32Array(n), refined: new Float32Array(n), shown: new Float32Array(n),
    guide: new Float32Array(n), coarse: new Float32Array(cells), labels: new Int32Array(cells),
    gate: new Float32Array(cells), scratch: {}, alpha: maskCtx.createImageData(W, H),
    grid, primed: false,
  };
}

// --- the camera ---------------------------------------------------------------------------
async function startCamera() {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    cannotStart("The camera needs a secure connection: open this site over https (or on localhost).");
    return false;
  }
  stopCamera();
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: state.facing, width: { ideal: 1920 }, height: { ideal: 1080 } },
    });
  } catch (error) {
    cannotStart(cameraError(error));
    return false;
  }
  video.srcObject = state.stream;
  await video.play();
  allocate(video.videoWidth, video.videoHeight);
  view.classList.toggle("mirrored", state.facing === "user");
  show("");
  const devices = await navigator.mediaDevices.enumerateDevices();
  switcher.hidden = devices.filter((d) => d.kind === "videoinput").length < 2;
  return true;
}

// No camera: say why, and offer the way that needs none (uploading).
function cannotStart(text) {
  show(text);
  hint.hidden = true;
  fallback.hidden = false;
  fallback.prepend(message);  // the reason and the way without a camera, in one card
  root.classList.add("camera-off");  // camera.css puts away what needs a camera
}

function stopCamera() {
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  state.stream = null;
}

function cameraError(error) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Camera access was refused. To allow it, open this site's settings from the icon at the left of the address bar (a lock or a camera), set Camera to Allow, then reload the page.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found on this device. Connect one, then reload the page.";
    case "NotReadableError":
    case "AbortError":
      return "The camera is in use by another program, or could not be started. Close the other program, then reload the page.";
    default:
      return `The camera could not be started: ${error && error.message ? error.message : error}`;
  }
}

async function loadSegmenter() {
  const lib = root.dataset.lib;
  const { ImageSegmenter } = await import(`${lib}vision_bundle.mjs`);
  return ImageSegmenter.createFromOptions(
    { wasmLoaderPath: `${lib}vision_wasm_internal.js`, wasmBinaryPath: `${lib}vision_wasm_internal.wasm` },
    {
      baseOptions: { modelAssetPath: root.dataset.model, delegate: "CPU" },
      runningMode: "VIDEO",
      outputConfidenceMasks: true,
      outputCategoryMask: false,
    },
  );
}

// --- one frame ----------------------------------------------------------------------------
function frame() {
  if (!state.running) return;
  requestAnimationFrame(frame);
  if (video.readyState < 2 || video.currentTime === state.lastTime || !buffers) return;
  state.lastTime = video.currentTime;
  const b = buffers;
  const t0 = performance.now();
  b.workCtx.drawImage(video, 0, 0, W, H);
  state.segmenter.segmentForVideo(b.work, t0, (output) => {
    b.raw.set(output.confidenceMasks[0].getAsFloat32Array());
  });
  const t1 = performance.now();
  refine(b);
  const t2 = performance.now();
  compose(b);
  const t3 = performance.now();
  hideFacesIn(b, t3);
  count(t1 - t0, t2 - t1, t3 - t2, performance.now() - t3);
}

// Faces found in this frame (at the working size), blurred over the composed preview.
function hideFacesIn(b, now) {
  if (!hideFaces.checked || !state.faceDetector) return;
  const boxes = state.faces.update(detectFaces(state.faceDetector, b.work, now), now);
  const t = performance.now();
  blurFaces(view.getContext("2d"), boxes, state.faceCanvases);
  stats.faces = boxes.length;
  stats.faceBlurMs += 0.05 * (performance.now() - t - stats.faceBlurMs);
}

function refine(b) {
  if (!b.primed) { b.smoothed.set(b.raw); b.primed = true; }
  else if (state.smoothing) matte.smooth(b.smoothed, b.raw, b.smoothed);
  else b.smoothed.set(b.raw);
  // The subject: the region under a tap, then that region as it moves.
  const { gw, gh } = matte.coarse(b.smoothed, W, H, CELL, b.coarse);
  const found = matte.regions(b.coarse, gw, gh, b.labels);
  const label = matte.chooseRegion(found, b.labels, gw, gh, state.tap, state.chosen);
  state.tap = null;
  b.steep.set(b.smoothed);
  if (label) {
    const chosen = found[label - 1];
    state.chosen = b.labels.map((l) => (l === label ? 1 : 0));
    state.subjectPoint = pointInside(b.labels, label, gw, gh, chosen);
    matte.regionGate(b.labels, label, gw, gh, 2, b.gate);
    matte.applyGate(b.steep, W, H, b.gate, gw, gh);
  } else {
    state.chosen = null;
    state.subjectPoint = null;
    b.steep.fill(0);
  }
  // The edge, snapped to the frame's own edges.
  matte.steepen(b.steep, STEEPEN, b.steep);
  const pixels = b.workCtx.getImageData(0, 0, W, H).data;
  matte.grey(pixels, b.guide);
  matte.guidedFilter(b.guide, b.steep, W, H, GUIDE_RADIUS, GUIDE_EPS, b.refined, b.scratch);
  const data = b.alpha.data;
  for (let i = 0, j = 3; i < b.refined.length; i++, j += 4) data[j] = b.refined[i] * 255;
  b.maskCtx.putImageData(b.alpha, 0, 0);
  if (stats.frames > 0) {
    stats.flicker += matte.meanChange(b.refined, b.shown);
    stats.flickerFrames += 1;
  }
  b.shown.set(b.refined);
}

// The cell of the region nearest its centroid, as a point the server's matte can select.
function pointInside(labels, label, gw, gh, region) {
  let best = -1, bestDistance = Infinity;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== label) continue;
    const d = Math.hypot((i % gw + 0.5) / gw - region.cx, (Math.floor(i / gw) + 0.5) / gh - region.cy);
    if (d < bestDistance) { bestDistance = d; best = i; }
  }
  return { x: ((best % gw) + 0.5) / gw, y: (Math.floor(best / gw) + 0.5) / gh };
}

function effect() {
  return form.elements.effect.value;
}

function compose(b) {
  const out = view.getContext("2d");
  const width = view.width, height = view.height;
  const mode = effect();
  out.save();
  if (mode === "portrait") {
    const blur = Number(form.elements.blur.value);
    const sigma = (blur / 100) * MAX_BLUR_SIGMA * Math.max(width, height);
    // The background alone, blurred at a quarter of the preview's size: the subject is cut out
    // first so its colours do not bleed into the blur as a halo.
    const s = b.smallCtx, sw = b.small.width, sh = b.small.height;
    s.globalCompositeOperation = "copy";
    s.drawImage(b.work, 0, 0, sw, sh);
    s.globalCompositeOperation = "destination-out";
    s.drawImage(b.mask, 0, 0, sw, sh);
    b.softCtx.globalCompositeOperation = "copy";
    b.softCtx.filter = `blur(${(sigma * sw) / width}px)`;
    b.softCtx.drawImage(b.work, 0, 0, sw, sh);
    b.softCtx.globalCompositeOperation = "source-over";
    b.softCtx.drawImage(b.small, 0, 0);
    b.softCtx.filter = "none";
    out.imageSmoothingQuality = "high";
    out.drawImage(b.soft, 0, 0, width, height);
  } else if (mode === "background-color") {
    out.fillStyle = form.elements.color.value;
    out.fillRect(0, 0, width, height);
  } else if (mode === "background-photo" && state.background && state.background.complete) {
    drawCover(out, state.background, width, height);
  } else {
    out.filter = "grayscale(1)";
    out.drawImage(b.work, 0, 0, width, height);
    out.filter = "none";
  }
  // The subject, sharp, over it.
  const p = b.personCtx;
  p.globalCompositeOperation = "copy";
  p.drawImage(b.mask, 0, 0, width, height);
  p.globalCompositeOperation = "source-in";
  p.drawImage(video, 0, 0, width, height);
  out.drawImage(b.person, 0, 0);
  out.restore();
}

function drawCover(ctx, img, width, height) {
  const scale = Math.max(width / img.naturalWidth, height / img.naturalHeight);
  const w = width / scale, h = height / scale;
  ctx.drawImage(img, (img.naturalWidth - w) / 2, (img.naturalHeight - h) / 2, w, h, 0, 0, width, height);
}

let windowStart = performance.now(), windowFrames = 0;
function count(segmentMs, refineMs, composeMs, facesMs) {
  stats.frames += 1;
  windowFrames += 1;
  const k = Math.min(1, 1 / stats.frames) || 0.05;
  const a = Math.max(k, 0.05);
  stats.segmentMs += a * (segmentMs - stats.segmentMs);
  stats.refineMs += a * (refineMs - stats.refineMs);
  stats.composeMs += a * (composeMs - stats.composeMs);
  stats.facesMs += a * (facesMs - stats.facesMs);
  const now = performance.now();
  if (now - windowStart >= 1000) {
    stats.fps = (windowFrames * 1000) / (now - windowStart);
    fpsLabel.textContent = `${Math.round(stats.fps)} fps`;
    windowStart = now; windowFrames = 0;
  }
}

function run() {
  if (state.running || !state.segmenter || !state.stream || document.hidden) return;
  state.running = true;
  windowStart = performance.now(); windowFrames = 0;
  requestAnimationFrame(frame);
}

function pause() {
  state.running = false;
}

// --- capture ------------------------------------------------------------------------------
function spec() {
  const subject = state.subjectPoint
    ? { x: round(state.subjectPoint.x), y: round(state.subjectPoint.y) }
    : "auto";
  const mode = effect();
  if (mode === "portrait") return { effect: "portrait", subject, blur: Number(form.elements.blur.value) };
  if (mode === "background-color") return { effect: "background", subject, color: form.elements.color.value };
  if (mode === "background-photo") return { effect: "background", subject, photo: Number(form.elements.photo.value) };
  return { effect: "colorpop", subject };
}

// "30 November 2026, 19:36": the gallery's own format ("j F Y, H:i") in the site's time zone,
// whatever the browser's language.
function siteDate(date) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: root.dataset.timeZone || undefined, day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  for (const { type, value } of format.formatToParts(date)) parts[type] = value;
  return `${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute}`;
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}

async function capture() {
  if (shutter.disabled || !state.stream) return;
  if (hideFaces.checked && !state.faceDetector) return; // never a shot with faces by mistake
  shutter.disabled = true;
  const requested = spec();
  try {
    const [full, ctx] = canvas(video.videoWidth, video.videoHeight);
    ctx.drawImage(video, 0, 0); // the frame at the stream's full resolution
    if (hideFaces.checked) {
      // Faces found in the shot itself, and those of the preview a moment ago (a face the
      // detector misses in this one frame is still hidden).
      const found = detectFaces(state.faceDetector, full, performance.now());
      blurFaces(ctx, [...found, ...state.faces.boxes], {});
    }
    const blob = await new Promise((done) => full.toBlob(done, "image/jpeg", 0.92));
    const stamp = new Date();
    const body = new FormData();
    body.append("image", blob, `camera-${stamp.toISOString().replace(/[:.]/g, "-")}.jpg`);
    body.append("title", `Camera ${siteDate(stamp)}`);
    say("Uploading…");
    const photo = await api(root.dataset.photosApi, { method: "POST", body });
    const variant = await requestEffect(photo.id, requested);
    const page = root.dataset.photoPage.replace("/0/", `/${photo.id}/`);
    say("Saved to your photos. Rendering the effect…", `${page}?variant=${variant.id}#effects`, variant.id);
    follow(variant.id, page, photo.id, requested);
  } catch (error) {
    say(error.message, null, null, "error");
  } finally {
    shutter.disabled = false;
  }
}

function requestEffect(photoId, requested) {
  return api(root.dataset.variantsApi.replace("/0/", `/${photoId}/`), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(requested),
  });
}

async function api(url, options) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "X-CSRFToken": csrf, Accept: "application/json", ...(options.headers || {}) },
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || `The server answered ${response.status}.`);
  return data;
}

// A line under the shutter, with a link to the photo; tone "error" shows it as a problem.
function say(text, link, variantId, tone = "") {
  result.replaceChildren();
  const p = document.createElement("p");
  p.textContent = text;
  if (tone === "error") p.className = "message error camera-error";
  result.append(p);
  if (link) {
    const a = document.createElement("a");
    a.href = link;
    a.className = "button secondary small";
    a.textContent = "Open the photo";
    a.dataset.variant = variantId;
    result.append(a);
  }
}

const NO_SUBJECT = "Saved to your photos without the effect: no person, animal or vehicle was "
  + "recognised in the shot. Take another with the subject nearer the middle of the picture.";

// Waits for the effect. When the server's matte finds nothing at the point the preview chose
// (its model differs from the preview's), it is asked once more to choose the subject itself.
async function follow(variantId, page, photoId, requested) {
  const url = root.dataset.variantApi.replace("/0/", `/${variantId}/`);
  for (let i = 0; i < 300; i++) {
    await new Promise((done) => setTimeout(done, 1000));
    let variant;
    try { variant = await api(url, {}); } catch { continue; }
    if (variant.status === "ready") {
      say("Saved to your photos; the effect is ready.", `${page}?variant=${variantId}#effects`, variantId);
      result.querySelector("a").dataset.status = "ready";
      return;
    }
    if (variant.status === "failed") {
      if (variant.error_code === "no_subject" && requested.subject !== "auto") {
        const again = { ...requested, subject: "auto" };
        say("Saved to your photos. Nothing recognised at that spot: choosing the subject automatically…", page);
        let retry;
        try { retry = await requestEffect(photoId, again); } catch (error) {
          say(`Saved to your photos, but the effect could not be asked for again: ${error.message}`, page, null, "error");
          return;
        }
        // The failed try would stay in the photo's effects as an error nobody can act on.
        api(url, { method: "DELETE" }).catch(() => {});
        return follow(retry.id, page, photoId, again);
      }
      const why = variant.error_code === "no_subject" ? NO_SUBJECT
        : `Saved to your photos, but the effect failed: ${variant.error}`;
      say(why, page, variantId, "error");
      return;
    }
  }
}

// --- controls -----------------------------------------------------------------------------
// Hide faces: the detector is loaded the first time it is asked for; until it is ready the
// shutter waits, so that no shot goes out with faces while the switch says they are hidden.
async function toggleHideFaces() {
  facesNote.hidden = !hideFaces.checked;
  if (!hideFaces.checked || state.faceDetector) { shutter.disabled = !state.segmenter; return; }
  shutter.disabled = true;
  show("Loading face detection…");
  state.faceLoading ||= loadFaceDetector(root.dataset.lib, root.dataset.faceModel);
  try {
    state.faceDetector = await state.faceLoading;
    show("");
  } catch (error) {
    state.faceLoading = null;
    hideFaces.checked = false;
    facesNote.hidden = true;
    show(`Face detection could not be loaded, so faces are not hidden: ${error && error.message ? error.message : error}`);
  }
  shutter.disabled = !state.segmenter;
}

function showOptions() {
  const mode = effect();
  for (const option of form.querySelectorAll(".camera-option")) option.hidden = option.dataset.for !== mode;
  if (mode === "background-photo") loadBackground();
}

function loadBackground() {
  const option = form.elements.photo.selectedOptions[0];
  if (!option) return;
  const img = new Image();
  img.src = option.dataset.src;
  state.background = img;
}

form.addEventListener("change", (event) => {
  if (event.target.name === "effect") showOptions();
  if (event.target.name === "photo") loadBackground();
  if (event.target === hideFaces) toggleHideFaces();
});
form.elements.blur.addEventListener("input", () => { blurOutput.value = form.elements.blur.value; });
form.addEventListener("submit", (event) => { event.preventDefault(); capture(); });
document.addEventListener("keydown", (event) => {
  if (event.code !== "Space" || event.repeat) return;
  const target = event.target;
  if (target.closest && target.closest("input, select, textarea, button, a, summary")) return;
  event.preventDefault();
  capture();
});
view.addEventListener("pointerdown", (event) => {
  const box = view.getBoundingClientRect();
  let x = (event.clientX - box.left) / box.width;
  if (view.classList.contains("mirrored")) x = 1 - x;
  state.tap = { x, y: (event.clientY - box.top) / box.height };
});
switcher.addEventListener("click", async () => {
  state.facing = state.facing === "user" ? "environment" : "user";
  pause();
  if (await startCamera()) run();
});
document.addEventListener("visibilitychange", () => {
  if (document.hidden) { pause(); video.pause(); }
  else if (state.stream) { video.play().then(run); }
});

async function main() {
  showOptions();
  show("Starting the camera…");
  if (!(await startCamera())) return;
  show("Loading the portrait model…");
  try {
    state.segmenter = await loadSegmenter();
  } catch (error) {
    show(`The portrait model could not be loaded: ${error && error.message ? error.message : error}`);
    return;
  }
  show("");
  shutter.disabled = false;
  if (hideFaces.checked) await toggleHideFaces(); // kept on by the browser after a reload
  run();
}

main();
