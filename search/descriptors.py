"""Colour descriptors for similar-image search (pure numpy + OpenCV, no Django).

A photo becomes one float32 vector, L2-normalised, so that FAISS inner product ranks like a
histogram similarity (1 = identical, 0 = no colour in common):

1. Work on a small copy (long side <= 160 px, INTER_AREA): colour statistics need few pixels
   and the averaging removes JPEG and sensor noise.
2. CIELAB (perceptual: equal steps look roughly equally different).
3. Exposure compensation: lightness is stretched so the 2nd..98th percentile of the central
   region spans the full range. Exposure and contrast edits, and photographs of the same
   scene under other light, then share bins. Gain (x2.5) and shift (96/255, and no more than
   the image's own lightness range) are capped so that flat dark and flat bright images stay
   apart: lightness is relative for photos with content, absolute for flat ones.
4. Soft binning (linear interpolation between neighbouring bin centres) on a 4 x 5 x 5 grid
   over L, a, b: a colour near a bin edge does not jump bins after a small shift.
5. Coarse, centre-weighted spatial layout: one whole-image histogram weighted by a Gaussian
   around the centre (where the subject usually is; the sides of a photo are where crops,
   captions and the surroundings of a photographed object are) plus the four quadrants with
   a wider Gaussian. 5 blocks x 100 bins = 500 dimensions.
6. Each block is L1-normalised, raised to the power 0.4 (like Hellinger's square root, it
   keeps large flat areas such as a wall or sky from dominating), L2-normalised and scaled by
   sqrt(block weight). The inner product of two vectors is then the weighted mean of the
   blocks' cosine similarities: in [0, 1] and 1 only for the same colour layout.

The choices and their measured effect are in bench/eval_search.py (run it to reproduce).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Bump whenever the vector for the same image changes: stored vectors must then be recomputed.
DESCRIPTOR_VERSION = 1


@dataclass(frozen=True)
class Config:
    """Every tunable of the descriptor; bench/eval_search.py varies them for sensitivity."""

    work_side: int = 160  # long side of the working copy, px
    bins: tuple[int, int, int] = (4, 5, 5)  # L, a, b
    ab_range: float = 48.0  # a, b outside +-ab_range (uint8 Lab units) go to the edge bins
    sub_levels: int = 4  # counting resolution per bin spacing (see _tables)
    sigma_global: float = 0.15  # Gaussian centre weight, fraction of width/height
    sigma_quadrant: float = 0.3
    global_weight: float = 0.5  # the four quadrants share the rest
    power: float = 0.4
    # Exposure compensation: percentiles of lightness in the central box (fraction of sides).
    centre_box: float = 0.5
    percentiles: tuple[float, float] = (0.02, 0.98)
    max_gain: float = 2.5  # contrast stretch at most x2.5 ...
    max_shift: float = 96.0  # ... and mid-lightness moved by at most 96 of 255
    min_range: float = 8.0  # a flat image is not stretched from noise
    # ... nor moved further than its own lightness range: a flat black image stays black.
    shift_per_range: float = 1.0

    @property
    def n_bins(self) -> int:
        return self.bins[0] * self.bins[1] * self.bins[2]

    @property
    def dim(self) -> int:
        return 5 * self.n_bins


DEFAULT = Config()
DESCRIPTOR_DIM = DEFAULT.dim


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=8)
def _tables(cfg: Config) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per-cfg constants: a and b sub-level lookup tables and the soft-binning matrices.

    Soft (trilinear) binning is done in two steps that need few large temporaries: every
    pixel is counted at a sub-level (sub_levels steps per bin spacing), then each sub-level
    is spread over its two neighbouring bins by a fixed interpolation matrix.
    """
    sub = cfg.sub_levels
    r = cfg.ab_range
    ab = np.clip(np.arange(256) - 128.0, -r, r)
    lut_a, lut_b = (
        np.rint((ab + r) * ((n - 1) * sub / (2 * r))).astype(np.intp) for n in cfg.bins[1:]
    )
    mats = []
    for n in cfg.bins:
        pos = np.arange((n - 1) * sub + 1) / sub  # sub-level position in bin units
        mats.append(np.maximum(0.0, 1 - np.abs(pos[:, None] - np.arange(n)[None, :])))
    return lut_a, lut_b, mats


def _block_weights(cfg: Config) -> FloatArray:
    rest = (1 - cfg.global_weight) / 4
    return np.array([cfg.global_weight, rest, rest, rest, rest], dtype=np.float32)


def _finish(hists: np.ndarray, cfg: Config) -> FloatArray:
    """(5, n_bins) nonnegative block histograms -> the unit vector (see module docstring)."""
    mass = hists.sum(axis=1, keepdims=True)
    # A block with no pixels (an image only a few px wide) is assumed to look like the whole.
    empty = mass[:, 0] <= 0
    if empty.any():
        whole = hists.sum(axis=0)
        hists = np.where(empty[:, None], whole[None, :], hists)
        mass = hists.sum(axis=1, keepdims=True)
    mapped = (hists / np.maximum(mass, 1e-12)) ** cfg.power
    mapped /= np.maximum(np.linalg.norm(mapped, axis=1, keepdims=True), 1e-12)
    vec = (mapped * np.sqrt(_block_weights(cfg))[:, None]).astype(np.float32).ravel()
    return vec / np.float32(max(float(np.linalg.norm(vec)), 1e-12))


def _check_rgb(rgb: object) -> np.ndarray:
    if not isinstance(rgb, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(rgb).__name__}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"expected dtype uint8, got {rgb.dtype}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected shape (height, width, 3), got {rgb.shape}")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError(f"empty image: shape {rgb.shape}")
    return rgb


def _exposure(lightness: np.ndarray, cfg: Config) -> np.ndarray:
    """Stretch uint8 lightness (h, w) from its central-box percentiles; returns float32."""
    h, w = lightness.shape
    my, mx = int(h * (1 - cfg.centre_box) / 2), int(w * (1 - cfg.centre_box) / 2)
    centre = lightness[my : max(h - my, my + 1), mx : max(w - mx, mx + 1)]
    cdf = np.cumsum(np.bincount(centre.ravel(), minlength=256))
    lo = float(np.searchsorted(cdf, cfg.percentiles[0] * cdf[-1]))
    hi = float(np.searchsorted(cdf, cfg.percentiles[1] * cdf[-1]))
    mid = (lo + hi) / 2
    gain = min(255.0 / max(hi - lo, cfg.min_range), cfg.max_gain)
    shift = min(cfg.max_shift, cfg.shift_per_range * (hi - lo))
    target = float(np.clip(127.5, mid - shift, mid + shift))
    return (lightness.astype(np.float32) - mid) * gain + target


# --------------------------------------------------------------------------- public API


def colour_descriptor(rgb: np.ndarray, cfg: Config = DEFAULT) -> FloatArray:
    """Descriptor of an RGB uint8 image (h, w, 3) of any size; float32 (DESCRIPTOR_DIM,), norm 1.

    Meant for the worker's small thumbnail (long side ~320 px); larger input works but wastes
    time in the resize. Raises ValueError for anything but a non-empty (h, w, 3) uint8 array.
    """
    img = _check_rgb(rgb)
    h, w = img.shape[:2]
    scale = cfg.work_side / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
    lab = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2LAB)
    lut_a, lut_b, (mat_l, mat_a, mat_b) = _tables(cfg)
    n_l, n_a, n_b = mat_l.shape[0], mat_a.shape[0], mat_b.shape[0]  # sub-levels per axis
    lightness = np.clip(_exposure(lab[:, :, 0], cfg), 0, 255)
    level_l = np.rint(lightness * ((n_l - 1) / 255)).astype(np.intp)
    colour = (level_l * n_a + lut_a[lab[:, :, 1]]) * n_b + lut_b[lab[:, :, 2]]
    n_colours = n_l * n_a * n_b
    # Centre weights (separable Gaussians over the pixel centres, image centre = 0).
    y = (np.arange(h) + 0.5) / h - 0.5
    x = (np.arange(w) + 0.5) / w - 0.5
    hists = np.empty((5, n_colours))
    g = np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * cfg.sigma_global**2))
    hists[0] = np.bincount(colour.ravel(), weights=g.ravel(), minlength=n_colours)
    g = np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * cfg.sigma_quadrant**2))
    quadrant = 2 * (y >= 0)[:, None] + (x >= 0)[None, :]  # 0 top-left ... 3 bottom-right
    hists[1:] = np.bincount(
        (quadrant * n_colours + colour).ravel(), weights=g.ravel(), minlength=4 * n_colours
    ).reshape(4, n_colours)
    # Sub-levels -> soft bins, one axis at a time.
    soft = hists.reshape(5, n_l, n_a, n_b)
    soft = np.einsum("kxyz,xi->kiyz", soft, mat_l)
    soft = np.einsum("kiyz,yj->kijz", soft, mat_a)
    soft = np.einsum("kijz,zl->kijl", soft, mat_b)
    return _finish(soft.reshape(5, cfg.n_bins), cfg)


def colour_query_descriptor(
    colours: Sequence[tuple[int, int, int]],
    weights: Sequence[float] | None = None,
    cfg: Config = DEFAULT,
) -> FloatArray:
    """A vector in the photo space meaning "photos dominated by these 1-3 RGB colours".

    Each colour is soft-assigned in a and b with an extra blur of about one bin, so nearby
    shades match too; lightness is spread over all bins because a photo's lightness is
    stored relative to its own exposure. The same histogram goes into every block: the
    colour may be anywhere in the photo.
    """
    if not 1 <= len(colours) <= 3:
        raise ValueError("give 1 to 3 colours")
    try:
        rgb = np.array(colours, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("colours must be (r, g, b) triples of integers 0-255") from exc
    if (
        rgb.shape != (len(colours), 3)
        or np.any(rgb < 0)
        or np.any(rgb > 255)
        or np.any(rgb != np.round(rgb))
    ):
        raise ValueError("colours must be (r, g, b) triples of integers 0-255")
    if weights is None:
        mix = np.full(len(colours), 1.0 / len(colours))
    else:
        mix = np.asarray(weights, dtype=np.float64)
        if mix.shape != (len(colours),) or np.any(mix < 0) or mix.sum() <= 0:
            raise ValueError("weights must be one nonnegative number per colour, not all zero")
        mix = mix / mix.sum()
    lab = cv2.cvtColor(rgb.astype(np.uint8)[None], cv2.COLOR_RGB2LAB)[0].astype(np.float64)
    n_l, n_a, n_b = cfg.bins
    r = cfg.ab_range
    centres_a, centres_b = np.linspace(-r, r, n_a), np.linspace(-r, r, n_b)
    # Gaussian of one bin spacing: a shade between two bins, or one bin off, still matches.
    spread_a, spread_b = 2 * r / (n_a - 1), 2 * r / (n_b - 1)
    hist = np.zeros((n_a, n_b))
    for (_, a, b), m in zip(lab, mix, strict=True):
        a, b = np.clip(a - 128, -r, r), np.clip(b - 128, -r, r)
        da = np.exp(-((centres_a - a) ** 2) / (2 * spread_a**2))
        db = np.exp(-((centres_b - b) ** 2) / (2 * spread_b**2))
        kernel = np.outer(da, db)
        hist += m * kernel / kernel.sum()
    full = np.broadcast_to(hist, (n_l, n_a, n_b)).ravel()
    return _finish(np.tile(full, (5, 1)), cfg)


def score_from_similarity(sim: float | np.ndarray) -> float | np.ndarray:
    """Inner product of two descriptors -> score in [0, 1], 1 = identical colour layout.

    The vectors are nonnegative and unit-length, so the product is already in [0, 1]; this
    only removes float rounding (and FAISS's approximate-search noise) at the ends.
    """
    if isinstance(sim, np.ndarray):
        return np.clip(sim, 0.0, 1.0)
    return float(min(max(float(sim), 0.0), 1.0))
