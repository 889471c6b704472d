"""Seconds per portrait variant at 1 MP and 12 MP, beside the classic recipe, in one run.

    .venv/bin/python -m bench.bench_render [--runs N] [--model-dir DIR] [--photo JPG]

A real photo from the shared human_segmentation set is upscaled to a 1 MP and a 12 MP JPEG
(quality 92, written to a temporary folder). Each variant is timed end to end as the worker
does it: decode (gallery.imaging.load_rgb) -> matte (effects.matting.compute_matte, subject
person) -> portrait (effects.compose.render_portrait, blur 50, gaussian) -> JPEG encode
(gallery.imaging.encode_image). Figures are medians of --runs runs after one warm-up run.

The baseline is the classic recipe, timed the same way on the same file: DeepLab 257 label map
(argmax), person -> 255, cv2.resize INTER_LINEAR of that 0/255 mask to full size, a
GaussianBlur of the whole photo at full resolution with the same sigma as ours, and an
np.where composite.

Each (method, size) runs in its own subprocess, so "peak" is that process's clean ru_maxrss
(models, decode and all buffers included).

Then the face effects (gaze, hide_faces) at 12 MP (`--faces-only` for just these): scikit-image's
astronaut upscaled to 3464 x 3464 (12 MP, JPEG quality 92), her face found by effects.faces on
the 512 px original and scaled up, as the worker scales stored faces. Timed: decode, the effect
(effects.pipeline.render), encode; target < 0.3 s for the effect. Baseline in the same run: a
naive face blur (a Gaussian blur of the whole frame at the same sigma, then the same mask).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from effects import compose
from effects.matting import compute_matte
from effects.modelstore import DEEPLAB_257, require_models
from effects.segmentation import PERSON, TFLiteModel, get_segmenter
from gallery.imaging import encode_image, load_rgb

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PHOTO = ROOT.parent / "shared" / "datasets" / "human_segmentation" / "images" / "vs_153.jpg"
DEFAULT_MODELS = Path(os.environ.get("FOCAL_MODEL_DIR", ROOT / "var" / "models"))
SIZES = {"1 MP": (1155, 866), "12 MP": (4032, 3024)}  # width, height (4:3, like the photo)
TARGET_SECONDS = {"1 MP": 0.2, "12 MP": 1.0}
TARGET_PEAK_MB = 1536
BLUR = 50
PHASES = ("decode", "matte", "portrait", "encode")

Phases = dict[str, float]


def ours(model_dir: Path) -> Callable[[bytes], Phases]:
    segmenter = get_segmenter(model_dir)

    def run(data: bytes) -> Phases:
        laps: Phases = {}
        t0 = time.perf_counter()
        image = load_rgb(data)
        t1 = time.perf_counter()
        matte = compute_matte(image, segmenter, "person")
        t2 = time.perf_counter()
        portrait = compose.render_portrait(image, matte.alpha, blur=BLUR, bokeh="gaussian")
        t3 = time.perf_counter()
        encode_image(portrait, "JPEG")
        t4 = time.perf_counter()
        laps.update(decode=t1 - t0, matte=t2 - t1, portrait=t3 - t2, encode=t4 - t3)
        for name, ms in matte.timings_ms.items():
            laps[f"matte.{name}"] = ms / 1000
        return laps

    return run


def classic(model_dir: Path) -> Callable[[bytes], Phases]:
    model = TFLiteModel((model_dir / DEEPLAB_257.name).read_bytes(), 2)
    size = 257

    def run(data: bytes) -> Phases:
        t0 = time.perf_counter()
        image = load_rgb(data)
        t1 = time.perf_counter()
        small = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        batch = (small.astype(np.float32) - 127.5) / 127.5
        labels = model.run(batch[None]).argmax(axis=2)
        person = ((labels == PERSON) * 255).astype(np.uint8)
        height, width = image.shape[:2]
        mask = cv2.resize(person, (width, height), interpolation=cv2.INTER_LINEAR)
        t2 = time.perf_counter()
        sigma = compose.blur_sigma(BLUR, image.shape)
        blurred = cv2.GaussianBlur(image, (0, 0), sigma)
        portrait = np.where(mask[..., None] >= 128, image, blurred)
        t3 = time.perf_counter()
        encode_image(portrait, "JPEG")
        t4 = time.perf_counter()
        return {"decode": t1 - t0, "matte": t2 - t1, "portrait": t3 - t2, "encode": t4 - t3}

    return run


METHODS = {"ours": ours, "classic": classic}


def child(method: str, path: Path, runs: int, model_dir: Path) -> None:
    """Time one method on one file; print a JSON line with medians and the peak RSS."""
    data = path.read_bytes()
    run = METHODS[method](model_dir)
    run(data)  # warm-up: first-call allocations, XNNPACK set-up, page faults
    samples = [run(data) for _ in range(runs)]
    totals = [sum(s[p] for p in PHASES) for s in samples]
    medians = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {
                "phases": medians,
                "total": statistics.median(totals),
                "min": min(totals),
                "max": max(totals),
                "peak_mb": peak_kb / 1024,
            }
        )
    )


def measure(method: str, path: Path, runs: int, model_dir: Path) -> dict:
    command = [sys.executable, "-m", "bench.bench_render", "--child", method, str(path)]
    command += ["--runs", str(runs), "--model-dir", str(model_dir)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{method} on {path.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_inputs(photo: Path, folder: Path) -> dict[str, Path]:
    source = load_rgb(photo)
    paths = {}
    for label, (width, height) in SIZES.items():
        big = cv2.resize(source, (width, height), interpolation=cv2.INTER_CUBIC)
        path = folder / f"{label.replace(' ', '')}.jpg"
        path.write_bytes(encode_image(big, "JPEG", quality=92))
        paths[label] = path
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "JPEG"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--faces-only", action="store_true", help="only the face effects (gaze, hide_faces)"
    )
    args = parser.parse_args(argv)
    if args.faces_only:
        face_effects(args.model_dir, args.runs)
        return
    if args.child:
        child(args.child[0], Path(args.child[1]), args.runs, args.model_dir)
        return
    require_models(args.model_dir)
    print(f"photo {args.photo.name} upscaled; blur {BLUR} gaussian; median of {args.runs} runs")
    print(f"python {sys.version.split()[0]}, opencv {cv2.__version__}, {os.cpu_count()} cpus\n")
    header = (
        f"{'size':<6} {'method':<8} {'decode':>7} {'matte':>7} {'portrait':>8} {'encode':>7} "
        f"{'total s':>8} {'min-max':>11} {'peak MB':>8}  target"
    )
    print(header)
    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-render-") as folder:
        inputs = make_inputs(args.photo, Path(folder))
        for label, path in inputs.items():
            for method in METHODS:
                result = results[label, method] = measure(method, path, args.runs, args.model_dir)
                phases = result["phases"]
                verdict = ""
                if method == "ours":
                    fast = result["total"] < TARGET_SECONDS[label]
                    small = result["peak_mb"] < TARGET_PEAK_MB
                    verdict = (
                        f"< {TARGET_SECONDS[label]} s {'OK' if fast else 'MISSED'}, "
                        f"< {TARGET_PEAK_MB} MB {'OK' if small else 'MISSED'}"
                    )
                print(
                    f"{label:<6} {method:<8} {phases['decode']:7.3f} {phases['matte']:7.3f} "
                    f"{phases['portrait']:8.3f} {phases['encode']:7.3f} {result['total']:8.3f} "
                    f"{result['min']:5.3f}-{result['max']:5.3f} {result['peak_mb']:8.0f}  "
                    + verdict,
                    flush=True,
                )
    print("\nours / classic (time ratio, < 1 is faster):")
    for label in SIZES:
        a, b = results[label, "ours"], results[label, "classic"]
        parts = [f"{p} {a['phases'][p] / b['phases'][p]:.2f}" for p in PHASES]
        print(
            f"  {label:<6} total {a['total'] / b['total']:.2f}  ({', '.join(parts)}); "
            f"peak {a['peak_mb'] / b['peak_mb']:.2f}"
        )
    print("\nmatte breakdown (ours, median s):")
    for label in SIZES:
        phases = results[label, "ours"]["phases"]
        inner = {k.split(".", 1)[1]: v for k, v in phases.items() if k.startswith("matte.")}
        print(f"  {label:<6} " + ", ".join(f"{k} {v:.3f}" for k, v in inner.items()))
    face_effects(args.model_dir, args.runs)


FACE_SPECS = (
    "gaze:direction=left,strength=100",
    "gaze:point=point(0.1,0.2),strength=50",
    "hide_faces:style=blur,faces=all",
    "hide_faces:style=pixelate,faces=all",
    "hide_faces:style=emoji,faces=all",
)
FACE_TARGET_SECONDS = 0.3
FACE_SIDE = 3464  # 12.0 MP, square like the astronaut


def face_effects(model_dir: Path, runs: int) -> None:
    from skimage import data as skimage_data

    from effects import hide_faces
    from effects.faces import find_faces
    from effects.pipeline import render
    from effects.spec import parse_canonical

    small = np.ascontiguousarray(skimage_data.astronaut())
    faces = find_faces(small, model_dir)
    if not faces:
        raise SystemExit("no face found in the astronaut: are the face models installed?")
    found = {1: faces[0].scaled(FACE_SIDE / small.shape[1])}
    big = cv2.resize(small, (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_CUBIC)
    data = encode_image(big, "JPEG", quality=92)
    megapixels = FACE_SIDE**2 / 1e6
    print(f"\nface effects at {FACE_SIDE}x{FACE_SIDE} ({megapixels:.1f} MP), median of {runs}:")
    print(f"{'spec':<40} {'decode':>7} {'effect':>7} {'encode':>7} {'total s':>8}  target")

    def timed(spec_text: str) -> Phases:
        spec = parse_canonical(spec_text)
        t0 = time.perf_counter()
        image = load_rgb(data)
        t1 = time.perf_counter()
        result = render(image, spec, faces=found)
        t2 = time.perf_counter()
        encode_image(result.pixels, "JPEG")
        t3 = time.perf_counter()
        return {"decode": t1 - t0, "effect": t2 - t1, "encode": t3 - t2}

    def naive_blur(image: np.ndarray) -> float:
        t0 = time.perf_counter()
        face = hide_faces.faces_to_hide(found, "all", image.shape)[0]
        blurred = cv2.GaussianBlur(image, (0, 0), hide_faces.BLUR_SIGMA * face.size)
        _, mask = hide_faces.hide(image, [face], "blur")
        weight = mask.astype(np.float32)[..., None] / 255
        (image * (1 - weight) + blurred * weight).astype(np.uint8)
        return time.perf_counter() - t0

    effect_times = {}
    for spec_text in FACE_SPECS:
        timed(spec_text)  # warm-up
        samples = [timed(spec_text) for _ in range(runs)]
        med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
        effect_times[spec_text] = med["effect"]
        verdict = "OK" if med["effect"] < FACE_TARGET_SECONDS else "MISSED"
        print(
            f"{spec_text:<40} {med['decode']:7.3f} {med['effect']:7.3f} {med['encode']:7.3f} "
            f"{sum(med.values()):8.3f}  effect < {FACE_TARGET_SECONDS} s {verdict}",
            flush=True,
        )
    image = load_rgb(data)
    naive = statistics.median(naive_blur(image) for _ in range(max(1, runs)))
    blur = effect_times["hide_faces:style=blur,faces=all"]
    print(
        f"{'baseline: whole-frame blur + mask':<40} {'':>7} {naive:7.3f}"
        f"  (hide_faces blur / baseline: {blur / naive:.2f})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
