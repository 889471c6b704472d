"""Quality of the portrait matte against a folder of ground-truth masks.

    .venv/bin/python -m bench.eval_portrait [--dataset DIR] [--model-dir DIR] [--sweep]

The folder holds groundtruth.csv (filename,mask_filename,classes) with masks where 255 is the
subject. For every image we compute the matte exactly as the worker does
(effects.matting.compute_matte) with subject=person and subject=auto, threshold it at 128, and
report mean IoU and boundary F-measure beside the "classic recipe" measured in the same run:
DeepLab's label map (257 or 513 model), subject pixels set to 255, bilinear upscale, threshold.
"before" is the matte without the edge steepening (MATTE_CONTRAST 1, MATTE_CENTRE 0.5), in the
same run.

Rim: the photo composited over a new background (RIM_BACKGROUND, the effects panel's default
colour) with the method's matte, against the same composite with the ground-truth mask: the mean
CIELAB colour difference (delta E 1976) over the pixels within 6 px of the true edge. A grey band
of old background around the subject, or a cut into it, both show here; 0 is a perfect match.

Boundary F: boundaries are the mask minus its 3x3 erosion (the frame edge counts as outside);
a boundary pixel matches when the other mask's boundary lies within a 5x5 disc (2 px).
A contact sheet (photo / matte / portrait for a dozen images) goes to bench/out/.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from effects import compose, matting
from effects.matting import NoSubjectFound, compute_matte
from effects.modelstore import DEEPLAB_257, DEEPLAB_513, require_models
from effects.segmentation import PERSON, TFLiteModel, get_segmenter
from gallery.imaging import load_rgb

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "human_segmentation"
DEFAULT_MODELS = Path(os.environ.get("FOCAL_MODEL_DIR", ROOT / "var" / "models"))
OUT = ROOT / "bench" / "out"
TOLERANCE_DISC = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
RIM_BACKGROUND = (47, 111, 237)  # #2f6fed
RIM_WIDTH = 6  # px either side of the true edge

Masker = Callable[[np.ndarray], np.ndarray]  # RGB image -> uint8 matte (or 0/255 mask)


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    union = np.count_nonzero(pred | truth)
    return 1.0 if union == 0 else np.count_nonzero(pred & truth) / union


def boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    eroded = cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return (m - eroded).astype(bool)


def boundary_f(pred: np.ndarray, truth: np.ndarray) -> float:
    bp, bt = boundary(pred), boundary(truth)
    if not bp.any() or not bt.any():
        return float(bp.any() == bt.any())
    near_truth = cv2.dilate(bt.astype(np.uint8), TOLERANCE_DISC).astype(bool)
    near_pred = cv2.dilate(bp.astype(np.uint8), TOLERANCE_DISC).astype(bool)
    precision = near_truth[bp].mean()
    recall = near_pred[bt].mean()
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def rim(image: np.ndarray, matte: np.ndarray, truth: np.ndarray) -> float:
    """Mean delta E within RIM_WIDTH px of the true edge, our composite against the true one."""
    edge = boundary(truth)
    near = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 5) <= RIM_WIDTH
    ours = compose.replace_background(image, matte, RIM_BACKGROUND)
    true = compose.replace_background(image, truth.astype(np.uint8) * 255, RIM_BACKGROUND)

    def lab(pixels: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(
            pixels[near].reshape(-1, 1, 3).astype(np.float32) / 255, cv2.COLOR_RGB2Lab
        )

    return float(np.linalg.norm(lab(ours) - lab(true), axis=2).mean())


def classic_masker(model: TFLiteModel, size: int, float_input: bool) -> Masker:
    """The textbook recipe: stretch, label map, person -> 255, bilinear upscale."""

    def mask(image: np.ndarray) -> np.ndarray:
        x = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        batch = ((x.astype(np.float32) - 127.5) / 127.5) if float_input else x
        out = model.run(batch[None])
        labels = out.argmax(axis=2) if out.ndim == 3 else out
        person = ((labels == PERSON) * 255).astype(np.uint8)
        height, width = image.shape[:2]
        return cv2.resize(person, (width, height), interpolation=cv2.INTER_LINEAR)

    return mask


def product_masker(model_dir: Path, subject: str, **constants: float) -> Masker:
    """compute_matte as the worker runs it, with effects.matting `constants` set meanwhile."""
    segmenter = get_segmenter(model_dir)

    def mask(image: np.ndarray) -> np.ndarray:
        shipped = {name: getattr(matting, name) for name in constants}
        try:
            for name, value in constants.items():
                setattr(matting, name, value)
            return compute_matte(image, segmenter, subject).alpha
        except NoSubjectFound:
            return np.zeros(image.shape[:2], np.uint8)
        finally:
            for name, value in shipped.items():
                setattr(matting, name, value)

    return mask


def load_rows(dataset: Path) -> list[tuple[Path, Path]]:
    with (dataset / "groundtruth.csv").open(newline="") as f:
        return [(dataset / r["filename"], dataset / r["mask_filename"]) for r in csv.DictReader(f)]


class Scores:
    def __init__(self) -> None:
        self.iou: list[float] = []
        self.bf: list[float] = []
        self.rim: list[float] = []
        self.iou_at: dict[int, list[float]] = {64: [], 192: []}
        self.empty = 0
        self.seconds = 0.0

    def add(self, image: np.ndarray, matte: np.ndarray, truth: np.ndarray, seconds: float) -> None:
        pred = matte >= 128
        self.iou.append(iou(pred, truth))
        self.bf.append(boundary_f(pred, truth))
        self.rim.append(rim(image, matte, truth))
        for level, values in self.iou_at.items():
            values.append(iou(matte >= level, truth))
        self.empty += not pred.any()
        self.seconds += seconds

    def line(self, name: str) -> str:
        values = np.array(self.iou)
        rng = np.random.default_rng(0)
        boot = rng.choice(values, (1000, len(values))).mean(axis=1)
        return (
            f"{name:<24} {values.mean():.4f}  {np.mean(self.bf):.4f}  {np.mean(self.rim):5.2f}  "
            f"{np.median(values):.3f}  {np.percentile(values, 10):.3f}  "
            f"[{np.percentile(boot, 2.5):.3f},{np.percentile(boot, 97.5):.3f}]  "
            f"{np.mean(self.iou_at[64]):.4f}/{np.mean(self.iou_at[192]):.4f}  "
            f"{values[0::2].mean():.3f}/{values[1::2].mean():.3f}  "
            f"{self.empty:>3}  {1000 * self.seconds / len(values):6.1f}"
        )


HEADER = (
    f"{'method':<24} {'IoU':>6}  {'bndF':>6}  {'rim':>5}  {'med':>5}  {'p10':>5}  "
    f"{'IoU 95% CI':>13}  "
    f"{'IoU@64/192':>13}  {'even/odd':>11}  {'0px':>3}  {'ms/img':>6}"
)


def read_mask(path: Path) -> np.ndarray:
    """A ground-truth mask as uint8 (0..255); a missing or unreadable file stops the run."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise SystemExit(f"{path}: cannot read the mask")
    return mask


def evaluate(rows: list[tuple[Path, Path]], maskers: dict[str, Masker]) -> dict[str, Scores]:
    scores = {name: Scores() for name in maskers}
    for image_path, mask_path in rows:
        image = load_rgb(image_path)
        truth = read_mask(mask_path) > 127
        if truth.shape != image.shape[:2]:
            raise SystemExit(f"{mask_path}: mask size {truth.shape} != image {image.shape[:2]}")
        for name, masker in maskers.items():
            started = time.perf_counter()
            matte = masker(image)
            scores[name].add(image, matte, truth, time.perf_counter() - started)
    return scores


def contact_sheet(rows: list[tuple[Path, Path]], model_dir: Path, path: Path, count: int) -> None:
    """Photo | ground truth | our matte | portrait (blur 60) for `count` evenly spread images."""
    segmenter = get_segmenter(model_dir)
    picks = np.linspace(0, len(rows) - 1, count).round().astype(int)
    tiles = []
    for index in picks:
        image_path, mask_path = rows[index]
        image = load_rgb(image_path)
        truth = read_mask(mask_path)
        try:
            alpha = compute_matte(image, segmenter, "person").alpha
        except NoSubjectFound:
            alpha = np.zeros(image.shape[:2], np.uint8)
        portrait = compose.render_portrait(image, alpha, blur=60)
        grey = [cv2.cvtColor(m, cv2.COLOR_GRAY2RGB) for m in (truth, alpha)]
        row = np.hstack([image, grey[0], grey[1], portrait])
        scale = 240 / row.shape[0]
        tiles.append(cv2.resize(row, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    width = max(t.shape[1] for t in tiles)
    tiles = [np.pad(t, ((0, 4), (0, width - t.shape[1]), (0, 0))) for t in tiles]
    half = (len(tiles) + 1) // 2
    left, right = np.vstack(tiles[:half]), np.vstack(tiles[half:])
    right = np.pad(right, ((0, left.shape[0] - right.shape[0]), (0, 0), (0, 0)))
    sheet = np.hstack([left, np.full((left.shape[0], 8, 3), 255, np.uint8), right])
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


SWEEP: dict[str, list[float]] = {
    "SELFIE_WEIGHT": [0.6, 0.8],
    "GATE_MARGIN": [0.15, 0.4],
    "GUIDE_RADIUS": [0.0025, 0.01],
    "GUIDE_EPS": [1e-4, 1e-2],
    "WORK_SIDE": [384, 512],
    "MATTE_CONTRAST": [1.0, 2.0, 8.0],
    "MATTE_CENTRE": [0.35, 0.45, 0.5],
    "TILE_WEIGHT": [0.0, 0.75],
}


def sweep(rows: list[tuple[Path, Path]], model_dir: Path) -> None:
    """One constant at a time around the shipped values: how sensitive is the result?"""
    print(
        "\nsensitivity (subject=person), shipped values: "
        + ", ".join(f"{k}={getattr(matting, k)}" for k in SWEEP)
    )
    print(HEADER)
    for name, values in SWEEP.items():
        shipped = getattr(matting, name)
        for value in values:
            setattr(matting, name, type(shipped)(value))
            try:
                scores = evaluate(rows, {"p": product_masker(model_dir, "person")})["p"]
            finally:
                setattr(matting, name, shipped)
            print(scores.line(f"{name}={value}"), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--limit", type=int, default=0, help="first N images only")
    parser.add_argument("--sweep", action="store_true", help="also vary the matting constants")
    parser.add_argument("--sheet", type=Path, default=OUT / "portrait_contact_sheet.png")
    args = parser.parse_args(argv)
    require_models(args.model_dir)
    rows = load_rows(args.dataset)[: args.limit or None]
    classic_257 = TFLiteModel((args.model_dir / DEEPLAB_257.name).read_bytes(), 2)
    classic_513 = TFLiteModel((args.model_dir / DEEPLAB_513.name).read_bytes(), 2)
    maskers: dict[str, Masker] = {
        "classic 257 label map": classic_masker(classic_257, 257, float_input=True),
        "classic 513 label map": classic_masker(classic_513, 513, float_input=False),
        "focal before, person": product_masker(
            args.model_dir, "person", MATTE_CONTRAST=1.0, MATTE_CENTRE=0.5
        ),
        "focal subject=person": product_masker(args.model_dir, "person"),
        "focal subject=auto": product_masker(args.model_dir, "auto"),
    }
    print(f"{len(rows)} images from {args.dataset}")
    print(HEADER)
    for name, scores in evaluate(rows, maskers).items():
        print(scores.line(name), flush=True)
    print(
        "IoU/bndF at matte >= 128; rim: mean delta E within 6 px of the true edge on a new "
        "background; 0px = images with an empty mask; ms/img includes models"
    )
    contact_sheet(rows, args.model_dir, args.sheet, 12)
    print(f"contact sheet: {args.sheet}")
    if args.sweep:
        sweep(rows, args.model_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
