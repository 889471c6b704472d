"""Effects over a photo and its subject matte. Pure: inputs are never written to.

All functions take an RGB uint8 image (H, W, 3) and a uint8 matte (H, W), 255 = subject,
and return a new uint8 array of the same size (RGBA for cut-outs).
"""

from __future__ import annotations

import cv2
import numpy as np

BOKEH_SHAPES = ("gaussian", "disc")
# Gaussian sigma at blur=100 as a fraction of the long side, so a 1 MP and a 12 MP copy of a
# photo look the same: 2% is 80 px on a 4032 px photo, 23 px on a 1155 px one.
MAX_BLUR_SIGMA = 0.02
# The blur runs on a copy downscaled until the kernel is about this size (sigma in pixels, or
# disc radius for bokeh): a blurred image has no detail left for the full size to show, and a
# 12 MP blur at sigma 80 would cost seconds.
SMALL_SIGMA = 4.0
SMALL_DISC_RADIUS = 10.0
# Background pixels whose (slightly dilated) matte exceeds this are left out of the blur, so
# the subject's colours cannot bleed into the blurred background as a halo.
SUBJECT_CUTOFF = 0.1
_FILL_CONFIDENCE = 0.05  # below this much background weight nearby, use a coarser estimate


def render_portrait(
    image: np.ndarray, alpha: np.ndarray, blur: int = 50, bokeh: str = "gaussian"
) -> np.ndarray:
    """The subject sharp, the background blurred; `blur` from 0 (none) to 100."""
    _check(image, alpha)
    if bokeh not in BOKEH_SHAPES:
        raise ValueError(f"bokeh must be one of {BOKEH_SHAPES}, not {bokeh!r}")
    sigma = blur_sigma(blur, image.shape)
    if sigma < 0.5:
        return image.copy()
    background = blurred_background(image, alpha, sigma, bokeh)
    return composite(image, background, alpha)


def blur_sigma(blur: int, shape: tuple[int, ...]) -> float:
    """Gaussian sigma in pixels for a blur strength 0-100 on an image of `shape`."""
    if not 0 <= blur <= 100:
        raise ValueError("blur must be between 0 and 100")
    return blur / 100 * MAX_BLUR_SIGMA * max(shape[0], shape[1])


def blurred_background(
    image: np.ndarray, alpha: np.ndarray, sigma: float, bokeh: str = "gaussian"
) -> np.ndarray:
    """The background alone, blurred, at full size (uint8 RGB), with the subject filled in.

    Normalised convolution: blur(background * w) / blur(w) with w = 0 on the subject, so each
    output pixel is a weighted mean of background pixels only. Where no background is near
    (inside a large subject) a coarser level of the same estimate fills in.
    """
    height, width = image.shape[:2]
    if bokeh == "disc":
        radius = 2 * sigma  # a uniform disc of radius 2s has the same spread as a Gaussian s
        factor = max(1.0, radius / SMALL_DISC_RADIUS)
    else:
        factor = max(1.0, sigma / SMALL_SIGMA)
    small_size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA).astype(np.float32)
    small_alpha = cv2.resize(alpha, small_size, interpolation=cv2.INTER_AREA)
    # Dilate first: a downscaled pixel next to the subject already mixes in subject colour.
    small_alpha = cv2.dilate(small_alpha, np.ones((3, 3), np.uint8))
    weight = np.clip(1 - small_alpha.astype(np.float32) / (255 * SUBJECT_CUTOFF), 0, 1)
    if bokeh == "disc":
        # Lens blur happens in linear light, which is what makes highlights bloom into discs.
        small = np.square(small * np.float32(1 / 255))
        kernel = _disc(radius / factor)

        def spread(values: np.ndarray) -> np.ndarray:
            return cv2.filter2D(values, -1, kernel, borderType=cv2.BORDER_REFLECT)
    else:
        small_sigma = sigma / factor

        def spread(values: np.ndarray) -> np.ndarray:
            return cv2.GaussianBlur(values, (0, 0), small_sigma, borderType=cv2.BORDER_REFLECT)

    numerator = spread(small * weight[..., None])
    denominator = spread(weight)
    background = _normalise(numerator, denominator)
    if bokeh == "disc":
        background = np.sqrt(np.clip(background, 0, 1)) * 255
    small_out = np.clip(background + 0.5, 0, 255).astype(np.uint8)
    if small_size == (width, height):
        return small_out
    return cv2.resize(small_out, (width, height), interpolation=cv2.INTER_LINEAR)


def replace_background(
    image: np.ndarray, alpha: np.ndarray, background: np.ndarray | tuple[int, int, int]
) -> np.ndarray:
    """The subject over a solid colour (an (r, g, b) tuple) or another photo (RGB uint8 array).

    A photo is scaled to cover the frame and centre-cropped, never stretched.
    """
    _check(image, alpha)
    height, width = image.shape[:2]
    if isinstance(background, tuple):
        fill = np.empty_like(image)
        fill[:] = np.array(background, dtype=np.uint8)
    else:
        fill = cover(background, height, width)
    return composite(image, fill, alpha)


def colour_pop(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The subject in colour, the background in greyscale."""
    _check(image, alpha)
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return composite(image, grey, alpha)


def cutout(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGBA with the matte as (straight, not premultiplied) alpha."""
    _check(image, alpha)
    return np.dstack([image, alpha])


def composite(foreground: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """alpha * foreground + (1 - alpha) * background, in one vectorised OpenCV pass.

    Where alpha is 255 the result is the foreground exactly (weights 1 and 0).
    """
    weight = alpha.astype(np.float32) * np.float32(1 / 255)
    return cv2.blendLinear(foreground, background, weight, 1 - weight)


def cover(photo: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale `photo` to cover height x width (keeping its aspect ratio), then centre-crop."""
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise ValueError("a background photo must be an RGB uint8 array")
    source_height, source_width = photo.shape[:2]
    scale = max(height / source_height, width / source_width)
    new_width = max(width, round(source_width * scale))
    new_height = max(height, round(source_height * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(photo, (new_width, new_height), interpolation=interpolation)
    top = (new_height - height) // 2
    left = (new_width - width) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def _normalise(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, with a push-pull fill where the denominator is tiny."""
    estimate = numerator / np.maximum(denominator, 1e-6)[..., None]
    if denominator.min() >= _FILL_CONFIDENCE or min(denominator.shape) <= 2:
        return estimate
    height, width = denominator.shape
    coarse = _normalise(cv2.pyrDown(numerator), cv2.pyrDown(denominator))
    coarse = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    trust = np.clip(denominator / _FILL_CONFIDENCE, 0, 1)[..., None]
    return trust * estimate + (1 - trust) * coarse


def _disc(radius: float) -> np.ndarray:
    """A normalised, anti-aliased disc kernel."""
    size = 2 * int(np.ceil(radius)) + 1
    centre = size // 2
    ys, xs = np.mgrid[:size, :size] - centre
    kernel = np.clip(radius + 0.5 - np.hypot(xs, ys), 0, 1).astype(np.float32)
    return kernel / kernel.sum()


def _check(image: np.ndarray, alpha: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("expected an RGB uint8 image")
    if alpha.dtype != np.uint8 or alpha.shape != image.shape[:2]:
        raise ValueError("expected a uint8 matte of the image's height and width")
