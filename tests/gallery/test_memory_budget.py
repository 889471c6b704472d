"""Memory has a budget: large decodes and renders share FOCAL_MEMORY_BUDGET_MB across every
process of the machine, hostile tiny files decode at a bounded cost, and renders are capped."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from effects.models import Variant
from effects.rendering import RENDER_MAX_PIXELS, render_variant
from gallery import files, memory
from gallery.imaging import load_rgb
from gallery.memory import UNIT_BYTES, Busy, MemoryBudget, OverBudget
from gallery.models import Photo
from tests import hostile

ROOT = Path(__file__).resolve().parents[2]
MB = 2**20


def budget(tmp_path, megabytes: int) -> MemoryBudget:
    return MemoryBudget(megabytes * MB, tmp_path / "locks")


def test_holds_that_do_not_fit_together_take_turns(tmp_path):
    shared = budget(tmp_path, 64)
    order: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with shared.hold(48 * MB, timeout=5):
            first_holds.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(5)
    with shared.hold(32 * MB, timeout=5):
        order.append("second runs")
    thread.join()
    assert order == ["first done", "second runs"]


def test_small_holds_run_side_by_side(tmp_path):
    shared = budget(tmp_path, 64)
    with shared.hold(16 * MB, timeout=0.1), shared.hold(16 * MB, timeout=0.1):
        pass


def test_a_hold_larger_than_the_budget_is_refused_at_once(tmp_path):
    with pytest.raises(OverBudget) as refused, budget(tmp_path, 64).hold(65 * MB, timeout=5):
        pass
    assert refused.value.status == 413 and "64 MB" in refused.value.message


def test_the_budget_is_shared_with_other_processes_and_survives_their_crash(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time; from pathlib import Path; from gallery.memory import MemoryBudget\n"
            f"b = MemoryBudget({64 * MB}, Path({str(tmp_path / 'locks')!r}))\n"
            f"with b.hold({64 * MB}, timeout=5):\n"
            "    print('holding', flush=True); time.sleep(60)\n"
        )],
        cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
        with pytest.raises(Busy), budget(tmp_path, 64).hold(UNIT_BYTES, timeout=0.3):
            pass
    finally:
        holder.kill()  # SIGKILL: the kernel releases its locks
        holder.wait()
    with budget(tmp_path, 64).hold(64 * MB, timeout=2):
        pass


def peak_rss_mb_of(make_data: str, measured: str) -> float:
    """Run `measured` in a fresh process after `data = make_data`; the peak RSS growth, in MB."""
    program = (
        "import resource, sys\n"
        "from tests import hostile\n"
        "from gallery.imaging import load_rgb\n"
        f"data = {make_data}\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"{measured}\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def test_a_tiny_100_mp_rgba_png_decodes_for_search_in_one_decode_of_memory():
    # The decoded image is 400 MB; converting and reducing it whole took 2.3 GB.
    grown = peak_rss_mb_of("hostile.rgba_png()", "pixels = load_rgb(data, max_side=1280)")
    assert grown < 520, grown


def test_a_tiny_100_mp_one_bit_png_decodes_for_search_in_little_memory():
    grown = peak_rss_mb_of("hostile.one_bit_png()", "pixels = load_rgb(data, max_side=1280)")
    assert grown < 160, grown


def test_reading_the_exif_of_a_100_mp_png_does_not_decode_its_pixels():
    grown = peak_rss_mb_of(
        "hostile.rgba_png()",
        "import io; from gallery.exif import exif_details; exif_details(io.BytesIO(data))",
    )
    assert grown < 50, grown


def test_reduced_decode_of_a_transparent_png_is_white_behind_and_the_right_size():
    rgba = np.zeros((400, 600, 4), np.uint8)
    rgba[:, :300] = (200, 30, 30, 255)  # opaque red left half, transparent right half
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, "PNG")
    pixels = load_rgb(buffer.getvalue(), max_side=150)
    assert pixels.shape == (100, 150, 3)
    assert tuple(pixels[50, 20]) == (200, 30, 30)
    assert tuple(pixels[50, 130]) == (255, 255, 255)


@pytest.fixture
def small_budget(settings):
    settings.FOCAL_MEMORY_BUDGET_MB = 64
    memory.machine_budget.cache_clear()
    yield
    memory.machine_budget.cache_clear()


def rgba_png(side: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", hostile.rgba_png(side), "image/png")


@pytest.mark.django_db
def test_an_upload_over_the_budget_is_refused_with_a_message_and_kept_nowhere(
    api, alice, small_budget, media_snapshot
):
    response = api(alice).post("/api/photos/", {"image": rgba_png(4200)}, format="multipart")
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "too_much_memory" and "64 MB" in error["message"]
    assert not Photo.objects.exists() and media_snapshot() == []


@pytest.mark.django_db
def test_a_search_waits_for_memory_then_says_busy(api, alice, small_budget, monkeypatch):
    monkeypatch.setattr(memory, "WEB_WAIT_SECONDS", 0.3)
    with memory.hold(64 * MB, timeout=1):  # someone else holds the whole budget
        response = api(alice).post("/api/search/", {"image": rgba_png(500)}, format="multipart")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "busy"
    response = api(alice).post("/api/search/", {"image": rgba_png(500)}, format="multipart")
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_render_of_a_photo_over_24_mp_works_on_24_mp(alice, add_photo):
    photo_pixels = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((6600, 4400)))
    buffer = io.BytesIO()
    Image.fromarray(photo_pixels).save(buffer, "JPEG", quality=80)
    photo = add_photo(alice, data=buffer.getvalue())
    variant = Variant.objects.create(
        photo=photo, effect="portrait", spec="portrait:subject=person,blur=50,bokeh=gaussian"
    )
    assert render_variant(variant.pk) == "ready"
    variant.refresh_from_db()
    with Image.open(files.media_path(str(variant.image.name))) as image:
        width, height = image.size
    assert width * height <= RENDER_MAX_PIXELS
    assert width * height > 0.95 * RENDER_MAX_PIXELS and abs(width / height - 1.5) < 0.01
