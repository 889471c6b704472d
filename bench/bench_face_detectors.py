"""Face detection and the face engine's phases on real people photos at 12 MP; detector choice.

    .venv/bin/python -m bench.bench_face_detectors [--photos N] [--runs N] [--model-dir DIR]

(bench.bench_faces times faces inside the worker's whole processing; this one looks inside
effects.faces and compares detectors.)

Photos: the first N people photos of the shared human_segmentation set, each upscaled (cubic)
to 12 MP (4032x3024, or 3024x4032 when taller than wide) and encoded as JPEG quality 92, plus
a generated 12 MP "group photo" (the test suite's: scikit-image's astronaut pasted 7 times,
heads 5-14% of the width, onto scikit-image's coffee). Per photo, as the worker does it:
the reduced decode the thumbnails use (gallery.imaging.load_rgb, long side 1280, as
gallery.processing does), then `effects.faces.find_faces` on that decode. Figures are medians
over --runs runs after a warm-up run, in CPU time (time.process_time): on a machine shared
with other work, wall-clock time grows with the load, CPU time much less. The decode is the
same-run baseline: faces run on pixels it already made.

Breakdown columns: detection (both passes and any zoomed confirmations) and per face (mesh,
iris, expression) per detection the mesh ran on, timed through the same functions find_faces calls.

Detector choice, same photos: faces confirmed by the mesh (presence score >= MIN_MESH_SCORE)
and detection time for BlazeFace full range on the whole decode letterboxed to 192x192,
short range on it letterboxed to 128x128, and find_faces' detection (short range at 128 and
at long side 384, weak candidates confirmed on zoomed crops).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from effects import faces
from effects.facemodels import FULL_RANGE, Detection, DetectorPass, FaceModels, get_face_models
from gallery.imaging import encode_image, load_rgb
from tests.images import group_photo

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "human_segmentation" / "images"
DEFAULT_MODELS = Path(os.environ.get("FOCAL_MODEL_DIR", ROOT / "var" / "models"))
TARGET_MS = 40.0


PREVIEW_SIDE = 1280  # gallery.processing's reduced decode (importing it needs Django set up)


def decode_for_gallery(data: bytes) -> np.ndarray:
    return load_rgb(data, max_side=PREVIEW_SIDE)


def twelve_mp(rgb: np.ndarray) -> bytes:
    size = (4032, 3024) if rgb.shape[1] >= rgb.shape[0] else (3024, 4032)
    return encode_image(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC), "JPEG", quality=92)


def median_ms(fn: object, runs: int) -> float:
    """Median CPU milliseconds (time.process_time: this process, all threads) of fn()."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        fn()  # type: ignore[operator]
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def confirmed(preview: np.ndarray, models: FaceModels, found: list[Detection]) -> int:
    recipe = faces.DEFAULT_RECIPE
    return sum(faces.face_at(preview, models, d, recipe) is not None for d in found)


def compare_detectors(previews: list[np.ndarray], models: FaceModels, runs: int) -> None:
    options = {
        "full range, 192 whole": lambda p: models.detect(p, DetectorPass(FULL_RANGE, 192, True)),
        "short range, 128 whole": lambda p: models.detect(p, faces.WHOLE_PASS),
        "find_faces (128 + 384 + zoom)": lambda p: faces.detect(p, models),
    }
    print(f"\n{'detector':<31} people photos: faces  ms/photo | group photo: faces  ms")
    for label, detect in options.items():
        found = [confirmed(p, models, detect(p)) for p in previews]
        ms = [median_ms(lambda p=p, d=detect: d(p), runs) for p in previews]
        print(
            f"{label:<31} {sum(found[:-1]):>20} {statistics.median(ms[:-1]):9.1f} |"
            f" {found[-1]:>18} {ms[-1]:4.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODELS)
    args = parser.parse_args()

    models = get_face_models(args.model_dir)
    photos = []
    for path in sorted(DATASET.glob("*.jpg"))[: args.photos]:
        bgr = cv2.imread(str(path))
        if bgr is None:
            raise SystemExit(f"cannot read {path}")
        photos.append((path.name, twelve_mp(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
    group, _ = group_photo()
    photos.append(("generated group", twelve_mp(group)))

    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.runs} runs, CPU ms")
    columns = ("decode", "faces", "n", "detect", "per det.", "ratio")
    print(f"{'photo':<16} " + " ".join(f"{c:>{len(c) + 1}}" for c in columns))
    added = []
    previews = []
    for name, data in photos:
        preview = decode_for_gallery(data)
        previews.append(preview)
        faces.find_faces(preview, args.model_dir)  # warm-up (and any new canvas shape)
        decode = median_ms(lambda data=data: decode_for_gallery(data), args.runs)
        total = median_ms(lambda p=preview: faces.find_faces(p, args.model_dir), args.runs)
        detections = faces.detect(preview, models)
        detect = median_ms(lambda p=preview: faces.detect(p, models), args.runs)
        count = len(faces.find_faces(preview, args.model_dir))
        per_face = (total - detect) / len(detections) if detections else 0.0
        added.append(total)
        print(
            f"{name:<16} {decode:7.1f} {total:6.1f} {count:2d} {detect:7.1f} {per_face:9.1f} "
            f"{total / decode:6.2f}"
        )
    people = added[:-1]
    print(
        f"\npeople photos: faces add median {statistics.median(people):.1f} ms, "
        f"max {max(people):.1f} ms per photo (target < {TARGET_MS:.0f} ms: "
        f"{'met' if statistics.median(people) < TARGET_MS else 'missed'}); "
        f"group photo {added[-1]:.1f} ms"
    )

    compare_detectors(previews, models, args.runs)


if __name__ == "__main__":
    main()
