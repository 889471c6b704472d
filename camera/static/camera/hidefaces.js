// "Hide faces" on the Camera page: MediaPipe's FaceDetector (BlazeFace short range) finds the
// faces of each processed frame, and each face box, enlarged and with soft edges, is blurred
// over whatever the preview shows. The shutter blurs the full-resolution frame the same way
// before it is encoded, so a photo with faces never leaves the device.

// A face box is enlarged around its centre: BlazeFace's box runs from the brows to the chin,
// so more is added above (forehead, hair) than below.
const GROW_X = 0.3; // of the box's width, on each side
const GROW_TOP = 0.45; // of the box's height
const GROW_BOTTOM = 0.25;
const FEATHER = 0.12; // soft edge: blur of the mask, as a share of the enlarged box's width
// In the reduced copy the largest face is about this many pixels across: nothing that tells
// one face from another survives, whatever the face's size.
const FACE_PIXELS = 7;
const LAYER_REDUCTION = 4;
// A face missed by the detector for a frame or two (a turn of the head, motion blur) keeps its
// last box for this long, so it never flashes into view.
const HOLD_MS = 400;
export const MIN_CONFIDENCE = 0.4;

export async function loadFaceDetector(lib, modelUrl) {
  const { FaceDetector } = await import(`${lib}vision_bundle.mjs`);
  return FaceDetector.createFromOptions(
    { wasmLoaderPath: `${lib}vision_wasm_internal.js`, wasmBinaryPath: `${lib}vision_wasm_internal.wasm` },
    {
      baseOptions: { modelAssetPath: modelUrl, delegate: "CPU" },
      runningMode: "VIDEO",
      minDetectionConfidence: MIN_CONFIDENCE,
    },
  );
}

// Face boxes in `source` (a canvas), as fractions of its size: {x, y, w, h}, not enlarged.
export function detectFaces(detector, source, timestamp) {
  const found = detector.detectForVideo(source, timestamp);
  const width = source.width, height = source.height;
  return found.detections.map(({ boundingBox: b }) => ({
    x: b.originX / width, y: b.originY / height, w: b.width / width, h: b.height / height,
  }));
}

// The boxes to hide in this frame: the new ones, or the last ones while they are recent.
export class FaceTracker {
  constructor() { this.boxes = []; this.seen = -Infinity; }

  update(found, now) {
    if (found.length) { this.boxes = found; this.seen = now; }
    else if (now - this.seen > HOLD_MS) this.boxes = [];
    return this.boxes;
  }
}

// The enlarged box in pixels of a width x height image.
export function enlarged(box, width, height) {
  const x0 = (box.x - GROW_X * box.w) * width, x1 = (box.x + box.w * (1 + GROW_X)) * width;
  const y0 = (box.y - GROW_TOP * box.h) * height, y1 = (box.y + box.h * (1 + GROW_BOTTOM)) * height;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

function scratch(cache, name, width, height) {
  let c = cache[name];
  if (!c) { c = cache[name] = document.createElement("canvas"); }
  if (c.width !== width || c.height !== height) { c.width = width; c.height = height; }
  return c;
}

// Blur every box (fractions of the image) on the canvas of `ctx`, in place: a soft-edged mask
// of the enlarged boxes lets through a copy of the image reduced until the largest face is
// FACE_PIXELS across, scaled back up smoothly. Only the faces' part of the image is touched, and
// the layer drawn over it holds nothing finer than that copy, so it is made at a quarter of the
// size (the mask blurred at full size over the whole frame took 25 ms in software rendering).
export function blurFaces(ctx, boxes, cache = {}) {
  if (!boxes.length) return;
  const { width, height } = ctx.canvas;
  const areas = boxes.map((box) => enlarged(box, width, height));
  // The part of the image to work on: every enlarged box with its feathered edge.
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (const a of areas) {
    const edge = 3 * FEATHER * a.w;
    x0 = Math.min(x0, a.x - edge); y0 = Math.min(y0, a.y - edge);
    x1 = Math.max(x1, a.x + a.w + edge); y1 = Math.max(y1, a.y + a.h + edge);
  }
  x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
  x1 = Math.min(width, Math.ceil(x1)); y1 = Math.min(height, Math.ceil(y1));
  const bw = x1 - x0, bh = y1 - y0;
  if (bw < 1 || bh < 1) return;
  const largest = Math.max(...areas.map((a) => Math.max(a.w, a.h)));
  const scale = Math.min(1 / 8, FACE_PIXELS / largest);
  const tiny = scratch(cache, "tiny", Math.max(1, Math.round(bw * scale)), Math.max(1, Math.round(bh * scale)));
  const t = tiny.getContext("2d");
  t.imageSmoothingEnabled = true;
  t.imageSmoothingQuality = "high";
  t.globalCompositeOperation = "copy";
  t.drawImage(ctx.canvas, x0, y0, bw, bh, 0, 0, tiny.width, tiny.height);

  const k = 1 / LAYER_REDUCTION;
  const lw = Math.max(1, Math.ceil(bw * k)), lh = Math.max(1, Math.ceil(bh * k));
  const layer = scratch(cache, "layer", lw, lh);
  const l = layer.getContext("2d");
  l.globalCompositeOperation = "source-over";
  l.clearRect(0, 0, lw, lh);
  for (const a of areas) {
    // The feather eats into the shape's edge: grown by one sigma, the enlarged box's own edge
    // stays 84% covered, and the face, well inside it, fully.
    const sigma = Math.max(0.5, FEATHER * a.w * k);
    const x = (a.x - x0) * k, y = (a.y - y0) * k, w = a.w * k, h = a.h * k;
    l.filter = `blur(${sigma}px)`;
    l.fillStyle = "#000";
    l.beginPath();
    l.roundRect(x - sigma, y - sigma, w + 2 * sigma, h + 2 * sigma, 0.35 * w);
    l.fill();
  }
  l.filter = "none";
  l.globalCompositeOperation = "source-in";
  l.imageSmoothingEnabled = true;
  l.imageSmoothingQuality = "high";
  l.drawImage(tiny, 0, 0, lw, lh);
  ctx.save();
  ctx.globalCompositeOperation = "source-over";
  ctx.filter = "none";
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(layer, 0, 0, bw * k, bh * k, x0, y0, bw, bh);
  ctx.restore();
}
