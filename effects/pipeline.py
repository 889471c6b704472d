"""The one entry point a worker calls to render an effect variant of a photo: it looks the
effect up in the table (effects.registry) and runs its apply function."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from effects.faces import FoundFace
from effects.registry import Inputs
from effects.segmentation import Segmenter
from effects.spec import EffectSpec


@dataclass
class RenderResult:
    pixels: np.ndarray  # RGB uint8, or RGBA for cut-outs
    format: str  # "JPEG" or "PNG": how to encode `pixels`
    matte: np.ndarray  # uint8 (H, W), 255 = where the effect acts (the subject); an 8-bit PNG
    subject: str  # what the render worked on, e.g. the VOC class "person"
    timings_ms: dict[str, float] = field(default_factory=dict)


def render(
    original: np.ndarray,
    spec: EffectSpec,
    segmenter: Segmenter | None = None,
    background: np.ndarray | None = None,
    faces: Mapping[int, FoundFace] | None = None,
) -> RenderResult:
    """Render `spec` for an RGB uint8 photo. `original` is not modified.

    `background` is the decoded photo of a source-photo field, e.g. `background:...,photo=<id>`
    (the caller owns permission checks and loading); `faces` the photo's stored faces by id,
    in the pixels of `original`, for effects that need them. Raises a UserError (such as
    effects.matting.NoSubjectFound or effects.gaze.EyesClosed) when the effect cannot be made
    of this photo.
    """
    if original.dtype != np.uint8 or original.ndim != 3 or original.shape[2] != 3:
        raise ValueError("expected an RGB uint8 image")
    effect = spec.definition
    if spec.source_photos() and background is None:
        raise ValueError(f"{spec.canonical()} needs the background photo's pixels")
    if "segmenter" in effect.needs and segmenter is None:
        raise ValueError(f"{spec.canonical()} needs the segmenter")
    started = time.perf_counter()
    if "faces" in effect.needs and faces is None:
        raise ValueError(f"{spec.canonical()} needs the photo's faces")
    applied = effect.apply(Inputs(original, segmenter, background, faces), spec.params)
    timings = applied.timings_ms or {"effect": round((time.perf_counter() - started) * 1000, 1)}
    return RenderResult(
        pixels=applied.pixels,
        format=effect.output_format,
        matte=applied.mask,
        subject=applied.subject,
        timings_ms=timings,
    )
