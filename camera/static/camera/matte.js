// The Camera page's per-frame mask work: pure functions on typed arrays (no DOM), so each step
// can be measured and tested on its own. Masks are Float32Array in [0, 1], row-major, w x h.

// Temporal smoothing: an exponential moving average whose weight grows with the change, so a
// still edge stops flickering while a moving arm is followed at once.
export const SMOOTH_BASE = 0.25; // weight of the new frame where nothing changed
export const SMOOTH_GAIN = 2.5; // extra weight per unit of change (0.3 change: weight 1)

export function smooth(previous, next, out) {
  for (let i = 0; i < next.length; i++) {
    const change = Math.abs(next[i] - previous[i]);
    const weight = Math.min(1, SMOOTH_BASE + SMOOTH_GAIN * change);
    out[i] = previous[i] + weight * (next[i] - previous[i]);
  }
  return out;
}

// Grey levels in [0, 1] from RGBA bytes.
export function grey(rgba, out) {
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = (0.299 * rgba[j] + 0.587 * rgba[j + 1] + 0.114 * rgba[j + 2]) / 255;
  }
  return out;
}

// Mean over a (2r+1)^2 window, clamped at the borders (running sums: cost independent of r).
export function boxMean(src, w, h, r, out, tmp) {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let sum = 0;
    for (let x = -r; x <= r; x++) sum += src[row + Math.min(w - 1, Math.max(0, x))];
    for (let x = 0; x < w; x++) {
      tmp[row + x] = sum;
      sum += src[row + Math.min(w - 1, x + r + 1)] - src[row + Math.max(0, x - r)];
    }
  }
  const norm = 1 / ((2 * r + 1) * (2 * r + 1));
  for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let y = -r; y <= r; y++) sum += tmp[Math.min(h - 1, Math.max(0, y)) * w + x];
    for (let y = 0; y < h; y++) {
      out[y * w + x] = sum * norm;
      sum += tmp[Math.min(h - 1, y + r + 1) * w + x] - tmp[Math.max(0, y - r) * w + x];
    }
  }
  return out;
}

// A grey-guide guided filter (He et al.): the mask's edge moves to where the frame has one.
// `scratch` is an object of reusable Float32Arrays (made on first use).
export function guidedFilter(guide, mask, w, h, r, eps, out, scratch) {
  const n = w * h;
  for (const name of ["mi", "mp", "ip", "ii", "a", "b", "tmp", "prod"]) {
    if (!scratch[name] || scratch[name].length !== n) scratch[name] = new Float32Array(n);
  }
  const { mi, mp, ip, ii, a, b, tmp, prod } = scratch;
  boxMean(guide, w, h, r, mi, tmp);
  boxMean(mask, w, h, r, mp, tmp);
  for (let i = 0; i < n; i++) prod[i] = guide[i] * mask[i];
  boxMean(prod, w, h, r, ip, tmp);
  for (let i = 0; i < n; i++) prod[i] = guide[i] * guide[i];
  boxMean(prod, w, h, r, ii, tmp);
  for (let i = 0; i < n; i++) {
    const variance = ii[i] - mi[i] * mi[i];
    a[i] = (ip[i] - mi[i] * mp[i]) / (variance + eps);
    b[i] = mp[i] - a[i] * mi[i];
  }
  boxMean(a, w, h, r, ip, tmp);
  boxMean(b, w, h, r, ii, tmp);
  for (let i = 0; i < n; i++) out[i] = Math.min(1, Math.max(0, ip[i] * guide[i] + ii[i]));
  return out;
}

// Steeper ramp around 0.5 (as the server's matte does before its guided filter).
export function steepen(mask, gain, out) {
  for (let i = 0; i < mask.length; i++) out[i] = Math.min(1, Math.max(0, (mask[i] - 0.5) * gain + 0.5));
  return out;
}

// Mean of each cell x cell block: a coarse grid for choosing the subject.
export function coarse(mask, w, h, cell, out) {
  const gw = Math.floor(w / cell), gh = Math.floor(h / cell);
  out.fill(0);
  for (let y = 0; y < gh * cell; y++) {
    const gy = Math.floor(y / cell) * gw;
    for (let x = 0; x < gw * cell; x++) out[gy + Math.floor(x / cell)] += mask[y * w + x];
  }
  const norm = 1 / (cell * cell);
  for (let i = 0; i < gw * gh; i++) out[i] *= norm;
  return { gw, gh };
}

// 4-connected regions of grid > 0.5: labels (1..count, 0 = background) and each one's area
// and centroid (in grid cells).
export function regions(grid, gw, gh, labels) {
  labels.fill(0);
  const found = [];
  const stack = [];
  for (let start = 0; start < gw * gh; start++) {
    if (labels[start] || grid[start] <= 0.5) continue;
    const label = found.length + 1;
    let area = 0, sx = 0, sy = 0;
    labels[start] = label;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop();
      const x = i % gw, y = (i - x) / gw;
      area++; sx += x; sy += y;
      for (const j of [x > 0 ? i - 1 : -1, x < gw - 1 ? i + 1 : -1, y > 0 ? i - gw : -1, y < gh - 1 ? i + gw : -1]) {
        if (j >= 0 && !labels[j] && grid[j] > 0.5) { labels[j] = label; stack.push(j); }
      }
    }
    found.push({ label, area, cx: (sx / area + 0.5) / gw, cy: (sy / area + 0.5) / gh });
  }
  return found;
}

// Which region is the subject: the one under a tap; else the one overlapping the subject of
// the previous frame most (following it while it moves); else the largest near the centre.
export function chooseRegion(found, labels, gw, gh, tap, previous) {
  if (!found.length) return 0;
  if (tap) {
    const x = Math.min(gw - 1, Math.floor(tap.x * gw)), y = Math.min(gh - 1, Math.floor(tap.y * gh));
    if (labels[y * gw + x]) return labels[y * gw + x];
    let best = 0, bestDistance = 0.08; // a tap just beside a person still picks them
    for (let i = 0; i < gw * gh; i++) {
      if (!labels[i]) continue;
      const d = Math.hypot((i % gw) / gw - tap.x, Math.floor(i / gw) / gh - tap.y);
      if (d < bestDistance) { bestDistance = d; best = labels[i]; }
    }
    if (best) return best;
  }
  if (previous) {
    const overlap = new Float64Array(found.length + 1);
    for (let i = 0; i < gw * gh; i++) if (previous[i] && labels[i]) overlap[labels[i]]++;
    let best = 0;
    for (let l = 1; l <= found.length; l++) if (overlap[l] > (best ? overlap[best] : 0)) best = l;
    if (best) return best;
  }
  let best = 0, bestScore = 0;
  for (const r of found) {
    const d2 = (r.cx - 0.5) ** 2 + (r.cy - 0.5) ** 2;
    const score = r.area * Math.exp(-d2 / (2 * 0.35 ** 2));
    if (score > bestScore) { bestScore = score; best = r.label; }
  }
  return best;
}

// 1 on the chosen region grown by `grow` cells, 0 elsewhere (grid resolution).
export function regionGate(labels, label, gw, gh, grow, out) {
  out.fill(0);
  for (let i = 0; i < gw * gh; i++) {
    if (labels[i] !== label) continue;
    const x = i % gw, y = (i - x) / gw;
    for (let dy = -grow; dy <= grow; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= gh) continue;
      for (let dx = -grow; dx <= grow; dx++) {
        const xx = x + dx;
        if (xx >= 0 && xx < gw) out[yy * gw + xx] = 1;
      }
    }
  }
  return out;
}

// mask *= gate (grid resolution, read with bilinear interpolation).
export function applyGate(mask, w, h, gate, gw, gh) {
  for (let y = 0; y < h; y++) {
    const gy = Math.min(gh - 1, Math.max(0, (y + 0.5) * gh / h - 0.5));
    const y0 = Math.floor(gy), y1 = Math.min(gh - 1, y0 + 1), fy = gy - y0;
    for (let x = 0; x < w; x++) {
      const gx = Math.min(gw - 1, Math.max(0, (x + 0.5) * gw / w - 0.5));
      const x0 = Math.floor(gx), x1 = Math.min(gw - 1, x0 + 1), fx = gx - x0;
      const top = gate[y0 * gw + x0] * (1 - fx) + gate[y0 * gw + x1] * fx;
      const bottom = gate[y1 * gw + x0] * (1 - fx) + gate[y1 * gw + x1] * fx;
      mask[y * w + x] *= top * (1 - fy) + bottom * fy;
    }
  }
  return mask;
}

// Mean absolute change between two masks: the flicker figure.
export function meanChange(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}
