"""A camera for headless Chromium: a y4m clip made from scikit-image's public-domain `astronaut`
(Chromium's fake capture device plays it in a loop), and what the browser needs to use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tests import images
from tests.browser.checks import ARGS

WIDTH, HEIGHT = 640, 480
SCALE = 640 / 512  # the 512x512 photo is scaled to 640x640, then its top 80 rows cut off
TOP = 80


def frame(index: int, frames: int, still: bool = False) -> np.ndarray:
    """Frame `index`: the photo moved by up to 6 px sideways and 4 px up and down (RGB)."""
    big = cv2.resize(images.sample("astronaut"), (640, 640), interpolation=cv2.INTER_CUBIC)
    dx = 0 if still else round(6 * np.sin(2 * np.pi * index / frames))
    dy = 0 if still else round(4 * np.cos(2 * np.pi * index / frames))
    shift = np.array([[1, 0, dx], [0, 1, dy - TOP]], dtype=np.float32)
    return cv2.warpAffine(big, shift, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)


def empty_frame(index: int, frames: int, still: bool = False) -> np.ndarray:
    """A bare wall: a soft grey-beige gradient with nobody and nothing in it (RGB)."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    level = 150 + 40 * (xs / WIDTH) + 20 * (ys / HEIGHT)
    return np.clip(np.stack([level + 10, level + 4, level - 8], axis=2), 0, 255).astype(np.uint8)


def write_clip(
    path: Path, frames: int = 30, still: bool = False, noise: float = 0, scene: Any = None
) -> Path:
    """A 30 fps 640x480 YUV4MPEG2 (4:2:0) clip, the format Chromium's fake camera reads.

    `noise`: the standard deviation (in 0..255 levels) of a sensor's noise, new in every frame.
    `scene`: the function drawing a frame (default the moving astronaut, `frame`).
    """
    rng = np.random.default_rng(0)
    draw = scene or frame
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(frames):
            pixels = draw(index, frames, still)
            if noise:
                grain = rng.normal(0, noise, pixels.shape)
                pixels = np.clip(pixels + grain, 0, 255).astype(np.uint8)
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(pixels, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def boxes_in_frame(boxes: tuple[tuple[int, int, int, int], ...], margin: int = 8) -> np.ndarray:
    """Hand-labelled astronaut boxes (tests.images) as a mask on the clip's frames, each box
    shrunk by `margin` px so the clip's motion cannot carry an edge into it."""
    mask = np.zeros((HEIGHT, WIDTH), bool)
    for x0, y0, x1, y1 in boxes:
        left, right = round(x0 * SCALE) + margin, round(x1 * SCALE) - margin
        top, bottom = round(y0 * SCALE) - TOP + margin, round(y1 * SCALE) - TOP - margin
        mask[max(0, top) : max(0, bottom), max(0, left) : right] = True
    return mask


def camera_args(clip: Path, *, allow: bool = True) -> list[str]:
    """Chromium flags: a fake camera playing `clip`; the permission granted, or refused."""
    return [
        *ARGS,
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
        "--use-fake-ui-for-media-stream" if allow else "--deny-permission-prompts",
    ]
