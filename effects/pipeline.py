"""The one entry point a worker calls to render an effect variant of a photo."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from effects import compose
from effects.matting import compute_matte
from effects.segmentation import Segmenter
from effects.spec import EffectSpec


@dataclass
class RenderResult:
    pixels: np.ndarray  # RGB uint8, or RGBA for cut-outs
    format: str  # "JPEG" or "PNG": how to encode `pixels`
    matte: np.ndarray  # uint8 (H, W), 255 = subject; store it as an 8-bit PNG
    subject: str  # the VOC class that was used, e.g. "person"
    timings_ms: dict[str, float] = field(default_factory=dict)


def render(
    original: np.ndarray,
    spec: EffectSpec,
    segmenter: Segmenter,
    background: np.ndarray | None = None,
) -> RenderResult:
    """Render `spec` for an RGB uint8 photo. `original` is not modified.

    `background` is the decoded photo for `background:...,photo=<id>` specs (the caller owns
    permission checks and loading). Raises effects.matting.NoSubjectFound (with a `message`
    for the user) when the subject is not in the photo.
    """
    if original.dtype != np.uint8 or original.ndim != 3 or original.shape[2] != 3:
        raise ValueError("expected an RGB uint8 image")
    if spec.effect == "background" and spec.photo is not None and background is None:
        raise ValueError(f"{spec.canonical()} needs the background photo's pixels")
    matte = compute_matte(original, segmenter, spec.subject)
    timings = dict(matte.timings_ms)
    started = time.perf_counter()
    alpha = matte.alpha
    if spec.effect == "portrait":
        pixels = compose.render_portrait(
            original, alpha, blur=spec.blur or 0, bokeh=spec.bokeh or "gaussian"
        )
    elif spec.effect == "background":
        if spec.color is not None:
            pixels = compose.replace_background(
                original, alpha, compose.parse_hex_color(spec.color)
            )
        else:
            assert background is not None
            pixels = compose.replace_background(original, alpha, background)
    elif spec.effect == "colorpop":
        pixels = compose.colour_pop(original, alpha)
    elif spec.effect == "cutout":
        pixels = compose.cutout(original, alpha)
    else:
        raise ValueError(f"unknown effect {spec.effect!r}")
    timings["effect"] = round((time.perf_counter() - started) * 1000, 1)
    return RenderResult(
        pixels=pixels,
        format=spec.output_format,
        matte=alpha,
        subject=matte.class_name,
        timings_ms=timings,
    )
