"""Frames per second of the Camera page's live preview, and how much its mask flickers.

    .venv/bin/python -m bench.bench_camera [--seconds 8]

Focal is started as `make run` starts it (tests.localsite: gunicorn + worker, SQLite, a fresh
data folder); headless Chromium (Debian's, software rendering, --disable-gpu) opens /camera/
with its fake camera playing a 640x480, 30 fps clip made from scikit-image's `astronaut`:
- moving: the photo moved by a few pixels between frames; the preview's frames per second
  and the milliseconds of each stage (segmentation, mask refinement, compositing);
- moving, Hide faces on: the same clip with faces found (BlazeFace short range) and blurred in
  every frame; fps against the run without it (the baseline) and the milliseconds it adds;
- still: the same frame throughout, with a sensor's noise (4 levels); mask flicker, the mean
  absolute change of the displayed mask between consecutive frames, with the temporal
  smoothing and without it (the baseline, measured in the same run on the same page).
Target: at least 24 fps at 640x480 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.browser import fakecamera
from tests.browser.checks import CHROMIUM
from tests.localsite import ROOT, local_site

PASSWORD = "bench-camera-123"
TARGET_FPS = 24


def measure(page, seconds: float) -> dict[str, float]:
    """Stage times and fps over `seconds`, after the counters are read at the start."""
    before = page.evaluate("() => ({...window.focalCamera.stats})")
    started = time.monotonic()
    time.sleep(seconds)
    after = page.evaluate("() => ({...window.focalCamera.stats})")
    elapsed = time.monotonic() - started
    return {
        "fps": (after["frames"] - before["frames"]) / elapsed,
        "segment": after["segmentMs"],
        "refine": after["refineMs"],
        "compose": after["composeMs"],
        "faces": after["facesMs"],
        "face_blur": after["faceBlurMs"],
        "found": after["faces"],
    }


def flicker(page, smoothing: bool, seconds: float) -> float:
    page.evaluate("(on) => window.focalCamera.setSmoothing(on)", smoothing)
    time.sleep(seconds)
    stats = page.evaluate("() => ({...window.focalCamera.stats})")
    return stats["flicker"] / max(1, stats["flickerFrames"])


def open_camera(playwright, clip: Path, url: str, hide_faces: bool = False):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=fakecamera.camera_args(clip), headless=True
    )
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{url}/accounts/login/?next=/camera/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_function(
        "() => window.focalCamera && window.focalCamera.stats.frames > 30", timeout=120_000
    )
    if hide_faces:
        page.check("#camera-hide-faces")
        page.wait_for_function("() => window.focalCamera.stats.faces > 0", timeout=120_000)
        time.sleep(2)  # the stage times are moving averages
    return browser, page


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-camera-") as folder:
        moving = fakecamera.write_clip(Path(folder) / "moving.y4m", 30)
        still = fakecamera.write_clip(Path(folder) / "still.y4m", 30, still=True, noise=4)
        data_dir = Path(folder) / "data"
        data_dir.mkdir()
        with local_site(data_dir) as site:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
            env.update(FOCAL_DATA_DIR=str(data_dir), SECRET_KEY="local-site-secret")
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "shell", "-c",
                 "from django.contrib.auth.models import User; "
                 f"u = User.objects.get(username='alice'); u.set_password('{PASSWORD}'); u.save()"],
                env=env, cwd=ROOT, check=True,
            )  # fmt: skip
            with sync_playwright() as playwright:
                browser, page = open_camera(playwright, moving, site.url)
                figures = measure(page, args.seconds)
                browser.close()
                browser, page = open_camera(playwright, moving, site.url, hide_faces=True)
                hidden = measure(page, args.seconds)
                browser.close()
                browser, page = open_camera(playwright, still, site.url)
                unsmoothed = flicker(page, False, args.seconds)
                smoothed = flicker(page, True, args.seconds)
                browser.close()
    print(f"Chromium {CHROMIUM}, software rendering, {os.cpu_count()} cpus, clip 640x480 at 30 fps")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")
    verdict = "met" if figures["fps"] >= TARGET_FPS else "MISSED"
    print(
        f"preview: {figures['fps']:.1f} fps (target >= {TARGET_FPS}: {verdict}); per frame "
        f"segmentation {figures['segment']:.1f} ms, refinement {figures['refine']:.1f} ms, "
        f"compositing {figures['compose']:.1f} ms"
    )
    print(
        f"with Hide faces: {hidden['fps']:.1f} fps ({hidden['fps'] / figures['fps']:.2f} of the "
        f"run without; target >= {TARGET_FPS}: {'met' if hidden['fps'] >= TARGET_FPS else 'MISSED'}"
        f"); face detection and blur {hidden['faces']:.1f} ms per frame, of which the blur "
        f"{hidden['face_blur']:.1f} ms ({hidden['found']} face); "
        f"segmentation {hidden['segment']:.1f} ms, refinement {hidden['refine']:.1f} ms, "
        f"compositing {hidden['compose']:.1f} ms"
    )
    print(
        f"mask flicker on a still clip (mean |change| per frame, 0..1): "
        f"without smoothing {unsmoothed:.5f}, with smoothing {smoothed:.5f} "
        f"(ratio {smoothed / unsmoothed if unsmoothed else float('nan'):.2f})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
