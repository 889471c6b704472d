"""What finding faces adds to processing a photo, per 12 MP photo, against the rest of the same
processing in the same run.

    .venv/bin/python -m bench.bench_faces [--runs 7] [--model-dir DIR]

In a temporary data folder (SQLite), four 4032x3024 JPEGs (quality 92) are added as photos:
scikit-image's astronaut filling the frame's height, a group photo of seven small heads (the
engine tests' one, upscaled 3.15x: faces about 130-350 px wide at full size), coffee and the cat
chelsea (no person). Each is processed by gallery.processing.make_renditions, the worker's own
function, which times its phases; "faces" is faces.detection.find_in_decode on the 1280 px
decode the thumbnails use. The baseline is the sum of the other phases (decode, thumbnails,
descriptor, local features). Figures are medians of --runs runs after one warm-up run (which
also loads the models). Target: faces under 40 ms per 12 MP photo.

Both wall-clock and CPU time (time.process_time, all threads of this process) are printed: on a
machine shared with other work the wall-clock figures grow with the load (printed), the CPU
figures much less. CPU of faces: find_in_decode timed again on the same decode; CPU of the rest:
make_renditions' total less that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (4032, 3024)
TARGET_MS = 40.0


def photos() -> dict[str, bytes]:
    import cv2
    import numpy as np

    from tests import images
    from tests.images import group_photo

    width, height = SIZE

    def canvas(rgb: np.ndarray) -> np.ndarray:
        return cv2.resize(rgb, SIZE, interpolation=cv2.INTER_CUBIC)

    portrait = canvas(images.sample("coffee"))
    face = cv2.resize(images.sample("astronaut"), (height, height), interpolation=cv2.INTER_CUBIC)
    left = (width - height) // 2
    portrait[:, left : left + height] = face
    return {
        "astronaut (1 face)": images.encode(portrait, "JPEG", quality=92),
        "group (7 faces)": images.encode(canvas(group_photo()[0]), "JPEG", quality=92),
        "coffee (no face)": images.encode(canvas(images.sample("coffee")), "JPEG", quality=92),
        "chelsea (a cat)": images.encode(canvas(images.sample("chelsea")), "JPEG", quality=92),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "var" / "models")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="focal-bench-faces-"))
    os.environ.update(
        SECRET_KEY="bench-faces",
        FOCAL_DATA_DIR=str(data_dir),
        FOCAL_MODEL_DIR=str(args.model_dir),
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from faces.detection import find_in_decode
    from gallery import actions, files
    from gallery.processing import decode_for_gallery, make_renditions

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="bench-pass-123")
    print(
        f"{args.runs} runs per photo after a warm-up, {SIZE[0]}x{SIZE[1]} JPEG q92, models in "
        f"{args.model_dir}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print()
    print(
        "| photo | faces | faces ms (CPU) | rest ms (CPU) | faces ms (wall) | rest ms (wall) "
        "| faces ÷ rest (CPU) | < 40 ms (CPU) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    median = statistics.median
    for name, jpeg in photos().items():
        upload = SimpleUploadedFile("bench.jpg", jpeg, "image/jpeg")
        photo = actions.add_photo(owner, upload).photo
        rendition = make_renditions(photo)  # warm-up (and the models' first load)
        assert not rendition.faces.error, rendition.faces.error
        preview, _ = decode_for_gallery(files.media_path(str(photo.original.name)))
        faces, rest, faces_cpu, rest_cpu = [], [], [], []
        for _ in range(args.runs):
            started = time.process_time()
            rendition = make_renditions(photo)
            total_cpu = (time.process_time() - started) * 1000
            timings = rendition.timings_ms
            faces.append(timings["faces"])
            rest.append(sum(ms for phase, ms in timings.items() if phase != "faces"))
            started = time.process_time()
            find_in_decode(preview, photo.width, photo.height)
            faces_cpu.append((time.process_time() - started) * 1000)
            rest_cpu.append(total_cpu - faces_cpu[-1])
        cpu = median(faces_cpu)
        verdict = "met" if cpu < TARGET_MS else "missed"
        print(
            f"| {name} | {len(rendition.faces.faces)} | {cpu:.0f} | {median(rest_cpu):.0f} | "
            f"{median(faces):.0f} | {median(rest):.0f} | {cpu / median(rest_cpu):.2f} | "
            f"{verdict} |"
        )


if __name__ == "__main__":
    main()
