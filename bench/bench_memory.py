"""Peak memory of the web server and the worker for hostile images, alone and three at once.

    .venv/bin/python -m bench.bench_memory [--kinds rgba,onebit,jpeg] [--no-renders]

Starts Focal as `make run` does (tests.localsite: `manage.py serve`, SQLite, the filesystem
broker, default settings: 640 MB budget, worker concurrency = CPU count) in a temporary data
directory, and for each hostile image (tests/hostile.py: a 9999x9999 RGBA PNG of under 1 MB, a
9999x9999 1-bit PNG of 24 KB, a 9999x9999 JPEG of a person) measures, over loopback:

- search: POST /api/search/ (the web server decodes it), one request, then three at once;
- upload: POST /api/photos/ (the web server validates it) until the worker has made it ready;
- render: a portrait of the uploaded photo (the worker decodes and renders it).

For each: the peak RSS of the web process and of the busiest worker process (VmHWM, reset
before each step through /proc/PID/clear_refs), and their RSS after the step, against their
RSS at the start. Baseline in the same run: the peak RSS growth of the first version's search
decode of the same file (its inspect_image, then load_rgb at 1280 px, as they were before the
memory budget), each in a fresh process. Target: no process above 1 GB, and RSS back near
its start afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psutil

from tests import hostile
from tests.http import request
from tests.localsite import LocalSite, local_site

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("FOCAL_MODEL_DIR", str(ROOT / "var" / "models"))
TARGET_MB = 1024
KINDS: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "rgba": ("RGBA PNG 9999x9999", lambda v: hostile.rgba_png(variant=v)),
    "onebit": ("1-bit PNG 9999x9999", lambda v: hostile.one_bit_png(variant=v)),
    "jpeg": ("JPEG 9999x9999 (a person)", lambda v: hostile.large_jpeg(variant=v)),
}


def mb(value: float) -> float:
    return value / 2**20


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@dataclass
class Processes:
    """The web server and the Celery pool processes (looked up again each time: the pool
    replaces a process that died)."""

    site: LocalSite

    @property
    def web(self) -> psutil.Process:
        children = psutil.Process(self.site.process.pid).children()
        return next(p for p in children if "web" in p.cmdline())

    @property
    def workers(self) -> list[psutil.Process]:
        children = psutil.Process(self.site.process.pid).children()
        workers = [p for p in children if "celery" in " ".join(p.cmdline())]
        return [pool for worker in workers for pool in worker.children()]  # every queue's

    def reset_peaks(self) -> None:
        for process in [self.web, *self.workers]:
            Path(f"/proc/{process.pid}/clear_refs").write_text("5")

    def peaks_mb(self) -> tuple[float, float]:
        web = status_kb(self.web.pid, "VmHWM") / 1024
        worker = max(status_kb(p.pid, "VmHWM") for p in self.workers) / 1024
        return web, worker

    def rss_mb(self) -> tuple[float, float]:
        web = mb(self.web.memory_info().rss)
        worker = max(mb(p.memory_info().rss) for p in self.workers)
        return web, worker


def post_json(site: LocalSite, path: str, payload: dict) -> tuple[int, dict]:
    import urllib.request

    req = urllib.request.Request(
        site.url + path,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {site.token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(site: LocalSite, path: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, _, body = request(site.url + path, token=site.token)
        row = json.loads(body)
        if row.get("status") in ("ready", "failed") or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def search(site: LocalSite, data: bytes) -> str:
    status, _, body = request(
        site.url + "/api/search/", token=site.token, files={"image": ("q", data)}
    )
    return str(status) if status == 200 else f"{status} {json.loads(body)['error']['code']}"


def upload(site: LocalSite, data: bytes) -> str:
    status, _, body = request(
        site.url + "/api/photos/", token=site.token, files={"image": ("p", data)}
    )
    if status not in (200, 201):
        return f"upload {status} {json.loads(body)['error']['code']}"
    photo = wait_for(site, f"/api/photos/{json.loads(body)['id']}/")
    return f"{photo['status']}:{photo['id']}" + (f" ({photo['error']})" if photo["error"] else "")


def render(site: LocalSite, photo_id: int) -> str:
    status, body = post_json(site, f"/api/photos/{photo_id}/variants/", {"effect": "portrait"})
    if status not in (200, 202):
        return f"{status} {body['error']['code']}"
    variant = wait_for(site, f"/api/variants/{body['id']}/")
    return variant["status"] + (f" ({variant['error'][:60]})" if variant["error"] else "")


def at_once(calls: list[Callable[[], str]]) -> list[str]:
    results: list[str] = [""] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# The first version's search-by-image decode (inspect_image, then load_rgb at 1280 px), as it
# was before the memory budget: the baseline, run in a fresh process for each image.
FIRST_VERSION_SEARCH = """
import io, resource, sys, cv2, numpy as np
from PIL import Image, ImageOps
Image.MAX_IMAGE_PIXELS = None
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with Image.open(io.BytesIO(data)) as image:
    if image.format == "JPEG":
        image.draft(image.mode, (image.width // 8, image.height // 8))
    image.load()
with Image.open(io.BytesIO(data)) as image:
    if image.format == "JPEG":
        scale = 1280 / max(image.size)
        image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    rgb = np.ascontiguousarray(np.asarray(image))
scale = 1280 / max(rgb.shape[:2])
small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def baseline_peak_mb(data: bytes) -> float:
    """Peak RSS growth of the first version's search decode of `data`, in a fresh process."""
    with tempfile.NamedTemporaryFile(suffix=".img") as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run(
            [sys.executable, "-c", FIRST_VERSION_SEARCH, handle.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--kinds", default="rgba,onebit,jpeg")
    parser.add_argument("--no-renders", action="store_true")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    files = {kind: [KINDS[kind][1](v) for v in range(4)] for kind in kinds}
    baselines = {kind: baseline_peak_mb(files[kind][0]) for kind in kinds}
    rows: list[tuple[str, str, float, float, float, float, str, str]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_site(Path(tmp) / "data", worker_concurrency=os.cpu_count() or 2) as site,
    ):
        processes = Processes(site)
        start_web, start_worker = processes.rss_mb()
        print(f"RSS at start: web {start_web:.0f} MB, worker {start_worker:.0f} MB", flush=True)

        def step(kind: str, what: str, calls: list[Callable[[], str]]) -> list[str]:
            processes.reset_peaks()
            started = time.monotonic()
            results = at_once(calls) if len(calls) > 1 else [calls[0]()]
            elapsed = time.monotonic() - started
            web_peak, worker_peak = processes.peaks_mb()
            time.sleep(1)
            web_after, worker_after = processes.rss_mb()
            outcome = ", ".join(sorted({r.split(":")[0] for r in results}))
            rows.append((KINDS[kind][0], what, web_peak, worker_peak, web_after, worker_after,
                         f"{elapsed:.1f}", outcome))  # fmt: skip
            print(f"{KINDS[kind][0]:<28} {what:<12} web peak {web_peak:6.0f} MB, worker peak "
                  f"{worker_peak:6.0f} MB, after {web_after:4.0f}/{worker_after:4.0f} MB, "
                  f"{elapsed:5.1f} s, {outcome}", flush=True)  # fmt: skip
            return results

        for kind in kinds:
            data = files[kind]
            step(kind, "search", [partial(search, site, data[0])])
            step(kind, "search x3", [partial(search, site, d) for d in data[1:]])
            ids = [step(kind, "upload", [partial(upload, site, data[0])])[0]]
            ids += step(kind, "upload x3", [partial(upload, site, d) for d in data[1:]])
            if args.no_renders:
                continue
            photo_ids = [int(r.split(":")[1].split()[0]) for r in ids if r.startswith("ready")]
            if photo_ids:
                step(kind, "render", [partial(render, site, photo_ids[0])])
                step(kind, "render x3", [partial(render, site, p) for p in photo_ids[1:4]])
        end_web, end_worker = processes.rss_mb()

    print(
        "\n| image | step | web peak MB | worker peak MB | RSS after (web / worker) MB | s |",
        end="",
    )
    print(" outcome |")
    print("|---|---|---:|---:|---:|---:|---|")
    for image, what, web_peak, worker_peak, web_after, worker_after, seconds, outcome in rows:
        print(f"| {image} | {what} | {web_peak:.0f} | {worker_peak:.0f} | "
              f"{web_after:.0f} / {worker_after:.0f} | {seconds} | {outcome} |")  # fmt: skip
    print(f"\nRSS at start: web {start_web:.0f} MB, worker {start_worker:.0f} MB; at the end: web "
          f"{end_web:.0f} MB, worker {end_worker:.0f} MB.")  # fmt: skip
    print("Baseline (the first version's search decode, fresh process, peak growth): " + ", ".join(
        f"{KINDS[k][0]} {baselines[k]:.0f} MB" for k in kinds))  # fmt: skip
    worst = max(max(r[2], r[3]) for r in rows)
    verdict = "met" if worst <= TARGET_MB else "missed"
    print(
        f"Largest process peak {worst:.0f} MB: target (no process above {TARGET_MB} MB) {verdict}."
    )


if __name__ == "__main__":
    main()
