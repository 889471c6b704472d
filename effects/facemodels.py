"""Face model runtime: BlazeFace detectors, the 468-point face mesh and the iris model (LiteRT).

Pure and Django-free; effects.faces builds the face pipeline on top of it. The models are
MediaPipe's (see effects.modelstore); the anchor decoding, the weighted non-maximum suppression
and the rotated crops are our own code following MediaPipe's published graphs:
- detectors: the image scaled into a canvas in [-1, 1], black padding; SSD anchors of fixed
  size on a regular grid (short range: strides 8/16/16/16 with 2 anchors per layer, 896 on its
  128x128 input; full range: stride 4, 1 anchor, 2304 on 192x192); boxes and 6 keypoints (eyes,
  nose, mouth, ears) relative to the anchor centre, in input pixels; weighted NMS at IoU 0.3.
  Short range is fully convolutional, so it also runs on larger canvases (more anchors);
- mesh: a square crop 1.5x the detection box, rotated so the eyes are level, 192x192 in [0, 1];
  468 (x, y, z) points in crop pixels and a face-presence logit;
- iris: a square crop around one eye's corners, rotated level, 64x64 in [0, 1]; trained on one
  eye, so the other eye's crop is mirrored. 71 eye/brow contour points and 5 iris points
  (centre first).

Coordinates are continuous image coordinates: pixel (i, j) covers [i, i+1) x [j, j+1), so its
centre is (i + 0.5, j + 0.5) and scaling a point by f maps it to the same spot in an image f
times larger. cv2 puts pixel centres on integers; `Crop.pixels` converts.

One FaceModels per (model folder, thread count) per process, shared by threads: each model's
invoke runs under its own lock (effects.segmentation.TFLiteModel).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from effects.modelstore import (
    FACE_DETECTOR_FULL,
    FACE_DETECTOR_SHORT,
    FACE_FILES,
    FACE_MESH,
    IRIS,
    ModelFile,
    require_models,
)
from effects.segmentation import TFLiteModel

MESH_SIZE = 192
IRIS_SIZE = 64
NMS_IOU = 0.3
# Detector interpreters kept per canvas shape (each a few MB; photos come in a few shapes).
MAX_DETECTOR_SHAPES = 8
# A landmark model's output coordinate u is the continuous crop coordinate u + this offset
# (0.5 would mean the model puts pixel k's centre at k). 0, MediaPipe's own decoding (x / crop
# size), beat 0.5 in bench/eval_pupils.py: 0.72 vs 0.57 of half A's pupils within 0.05.
MODEL_PIXEL_OFFSET = 0.0


@dataclass(frozen=True)
class DetectorSpec:
    model: ModelFile
    size: int  # the model's own square input
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float
    resizable: bool  # fully convolutional: runs on any canvas whose sides divide by the strides


SHORT_RANGE = DetectorSpec(FACE_DETECTOR_SHORT, 128, (8, 16, 16, 16), 2, 0.5, True)
# The sparse full-range model does not run at other sizes in LiteRT (XNNPACK fails to reshape).
FULL_RANGE = DetectorSpec(FACE_DETECTOR_FULL, 192, (4,), 1, 0.5, False)


@dataclass(frozen=True)
class DetectorPass:
    """One detector run: the image scaled so its long side is `long_side`, on a canvas."""

    spec: DetectorSpec
    long_side: int
    square: bool  # letterbox to a square canvas; else pad each side up to a multiple of `grain`
    grain: int = 32
    min_score: float | None = None  # None: the spec's


@dataclass(frozen=True)
class Detection:
    """A detected face, in image pixels (continuous coordinates)."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float
    # (6, 2): subject's right eye, left eye, nose tip, mouth centre, right ear, left ear
    keypoints: np.ndarray

    def transformed(self, scale: tuple[float, float], shift: tuple[float, float]) -> Detection:
        """The detection in another image: every point p becomes p * scale + shift."""
        sx, sy = scale
        dx, dy = shift
        x0, y0, x1, y1 = self.box
        points = self.keypoints * np.array(scale, np.float32) + np.array(shift, np.float32)
        return Detection(
            box=(x0 * sx + dx, y0 * sy + dy, x1 * sx + dx, y1 * sy + dy),
            score=self.score,
            keypoints=points.astype(np.float32),
        )


@dataclass(frozen=True)
class Crop:
    """A square region of the image, turned so that its x axis runs along `axis`.

    `mirrored` crops flip the x axis (the model then sees the mirror image of the region).
    """

    centre: tuple[float, float]
    side: float  # image pixels
    axis: tuple[float, float]  # unit vector: the crop's x direction in the image
    mirrored: bool = False

    def frame(self) -> tuple[np.ndarray, np.ndarray]:
        """The crop's x and y unit vectors in image coordinates."""
        ux, uy = self.axis
        x_axis = np.array([ux, uy])
        y_axis = np.array([-uy, ux])
        return (-x_axis if self.mirrored else x_axis), y_axis

    def to_image(
        self, points: np.ndarray, size: int, offset: float = MODEL_PIXEL_OFFSET
    ) -> np.ndarray:
        """Model outputs (n, 2+) for a size x size input -> image points (n, 2) float32."""
        x_axis, y_axis = self.frame()
        local = (points[:, :2] + (offset - size / 2)) * (self.side / size)
        image = np.asarray(self.centre) + local[:, :1] * x_axis + local[:, 1:2] * y_axis
        return image.astype(np.float32)

    def pixels(
        self, image: np.ndarray, size: int, interpolation: int = cv2.INTER_LINEAR
    ) -> np.ndarray:
        """The crop as a size x size array of the image's dtype (edges replicated), sampled
        with `interpolation` (an OpenCV INTER_ flag)."""
        x_axis, y_axis = self.frame()
        step = self.side / size
        origin = np.zeros(2)
        scale = np.ones(2)
        if step > 2:
            # Bilinear sampling alone would alias: first reduce the crop's surroundings by area
            # to about 1.5 source pixels per model pixel.
            half = self.side * 0.75  # covers the turned square (half diagonal 0.71)
            height, width = image.shape[:2]
            x0 = min(max(0, int(self.centre[0] - half)), width - 1)
            y0 = min(max(0, int(self.centre[1] - half)), height - 1)
            x1 = max(min(width, math.ceil(self.centre[0] + half)), x0 + 1)
            y1 = max(min(height, math.ceil(self.centre[1] + half)), y0 + 1)
            out = (max(1, round((x1 - x0) * 1.5 / step)), max(1, round((y1 - y0) * 1.5 / step)))
            image = cv2.resize(image[y0:y1, x0:x1], out, interpolation=cv2.INTER_AREA)
            origin = np.array([x0, y0], np.float64)
            scale = np.array([out[0] / (x1 - x0), out[1] / (y1 - y0)])
        # Model pixel index m -> image point centre + (m + 0.5 - size/2) * step along the axes
        # -> source pixel index (point - origin) * scale - 0.5.
        linear = np.stack([x_axis, y_axis], axis=1) * step  # columns: image step per m_x, m_y
        shift = np.asarray(self.centre) + linear @ np.full(2, 0.5 - size / 2)
        to_source = np.hstack([linear * scale[:, None], ((shift - origin) * scale - 0.5)[:, None]])
        return cv2.warpAffine(
            image,
            to_source,
            (size, size),
            flags=interpolation | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )


def ssd_anchors(spec: DetectorSpec, height: int, width: int) -> np.ndarray:
    """Anchor centres (n, 2) in canvas pixels, MediaPipe's order (layer groups, rows, columns).

    All anchors have the fixed size 1 (MediaPipe's fixed_anchor_size), so only centres matter.
    """
    centres = []
    i = 0
    strides = spec.strides
    while i < len(strides):
        same = 1
        while i + same < len(strides) and strides[i + same] == strides[i]:
            same += 1
        stride = strides[i]
        y, x = np.mgrid[0 : math.ceil(height / stride), 0 : math.ceil(width / stride)]
        grid = (np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float32) + 0.5) * stride
        centres.append(np.repeat(grid, same * spec.anchors_per_layer, axis=0))
        i += same
    return np.concatenate(centres)


def decode_detections(
    regressors: np.ndarray, logits: np.ndarray, anchors: np.ndarray, min_score: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (n, 4: x0, y0, x1, y1), keypoints (n, 6, 2) and scores, in canvas pixels, of the
    anchors scoring at least min_score. The regressors are canvas pixels from the anchor."""
    scores = 1 / (1 + np.exp(-np.clip(logits[:, 0], -80, 80)))
    keep = scores >= min_score
    raw = regressors[keep]
    centres = anchors[keep]
    cx = raw[:, 0] + centres[:, 0]
    cy = raw[:, 1] + centres[:, 1]
    half_w = raw[:, 2] / 2
    half_h = raw[:, 3] / 2
    boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) + centres[:, None, :]
    return boxes, keypoints, scores[keep]


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted NMS: each kept face is the score-weighted mean of its cluster."""
    order = np.argsort(-scores)
    remaining = list(order)
    kept = []
    while remaining:
        top = remaining[0]
        overlaps = _iou(boxes[top], boxes[remaining])
        cluster = [r for r, o in zip(remaining, overlaps, strict=True) if o > iou]
        cluster = cluster or [top]
        weights = scores[cluster][:, None]
        total = weights.sum()
        box = (boxes[cluster] * weights).sum(axis=0) / total
        points = (keypoints[cluster] * weights[:, :, None]).sum(axis=0) / total
        kept.append((box, points, float(scores[top])))
        chosen = set(cluster)
        remaining = [r for r in remaining if r not in chosen and r != top]
    return kept


def merge_detections(found: list[Detection], iou: float = NMS_IOU) -> list[Detection]:
    """Detections of several passes without duplicates: the best-scoring of overlapping ones."""
    kept: list[Detection] = []
    for detection in sorted(found, key=lambda d: -d.score):
        box = np.array(detection.box)
        if not kept or _iou(box, np.array([k.box for k in kept])).max() <= iou:
            kept.append(detection)
    return kept


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


class FaceModels:
    """The face detectors, the mesh and the iris model, loaded once."""

    def __init__(self, model_dir: Path, *, num_threads: int = 1) -> None:
        require_models(model_dir, FACE_FILES)
        self._dir = model_dir
        self._threads = num_threads
        self._mesh = self._load(FACE_MESH)
        self._iris = self._load(IRIS)
        # One interpreter per (model, canvas shape): resizing one costs tens of ms, and a
        # gallery has few shapes (the canvas sides are rounded up to DetectorPass.grain).
        self._detectors: OrderedDict[tuple[str, int, int], tuple[TFLiteModel, np.ndarray]] = (
            OrderedDict()
        )
        self._detectors_lock = threading.Lock()

    def _load(self, model: ModelFile, shape: tuple[int, ...] | None = None) -> TFLiteModel:
        return TFLiteModel((self._dir / model.name).read_bytes(), self._threads, shape)

    def _detector(
        self, spec: DetectorSpec, height: int, width: int
    ) -> tuple[TFLiteModel, np.ndarray]:
        key = (spec.model.name, height, width)
        with self._detectors_lock:
            found = self._detectors.get(key)
            if found is None:
                shape = None if (height, width) == (spec.size, spec.size) else (1, height, width, 3)
                found = (self._load(spec.model, shape), ssd_anchors(spec, height, width))
                self._detectors[key] = found
                if len(self._detectors) > MAX_DETECTOR_SHAPES:
                    self._detectors.popitem(last=False)  # the least recently used shape
            self._detectors.move_to_end(key)
            return found

    def detect(self, rgb: np.ndarray, run: DetectorPass) -> list[Detection]:
        """Faces in an RGB uint8 image, the image scaled and placed in the middle of a canvas."""
        spec = run.spec
        height, width = rgb.shape[:2]
        scale = run.long_side / max(height, width)
        inner_w = max(1, round(width * scale))
        inner_h = max(1, round(height * scale))
        if run.square or not spec.resizable:
            canvas_h = canvas_w = spec.size if not spec.resizable else run.long_side
        else:
            canvas_h = math.ceil(inner_h / run.grain) * run.grain
            canvas_w = math.ceil(inner_w / run.grain) * run.grain
        model, anchors = self._detector(spec, canvas_h, canvas_w)
        if (inner_w, inner_h) == (width, height):
            small = rgb
        else:
            small = cv2.resize(rgb, (inner_w, inner_h), interpolation=cv2.INTER_AREA)
        left = (canvas_w - inner_w) // 2
        top = (canvas_h - inner_h) // 2
        canvas = np.full((canvas_h, canvas_w, 3), -1, np.float32)  # black, as MediaPipe pads
        inner = canvas[top : top + inner_h, left : left + inner_w]
        np.multiply(small, np.float32(2 / 255), out=inner, casting="unsafe")
        inner -= np.float32(1)
        regressors, logits = model.run_all(canvas[None])
        min_score = spec.min_score if run.min_score is None else run.min_score
        boxes, keypoints, scores = decode_detections(regressors, logits, anchors, min_score)
        to_image = np.array([width / inner_w, height / inner_h])
        shift = np.array([left, top])
        found = []
        for box, points, score in weighted_nms(boxes, keypoints, scores):
            corners = (box.reshape(2, 2) - shift) * to_image
            found.append(
                Detection(
                    box=(
                        float(corners[0, 0]),
                        float(corners[0, 1]),
                        float(corners[1, 0]),
                        float(corners[1, 1]),
                    ),
                    score=score,
                    keypoints=((points - shift) * to_image).astype(np.float32),
                )
            )
        return found

    def mesh(
        self, rgb: np.ndarray, crop: Crop, offset: float = MODEL_PIXEL_OFFSET
    ) -> tuple[np.ndarray, float]:
        """468 mesh points (x, y in image pixels, z in image-pixel scale) and the face score."""
        pixels = crop.pixels(rgb, MESH_SIZE).astype(np.float32) * np.float32(1 / 255)
        points, logit = self._mesh.run_all(pixels[None])
        points = points.reshape(468, 3)
        xy = crop.to_image(points, MESH_SIZE, offset)
        z = points[:, 2:] * np.float32(crop.side / MESH_SIZE)
        score = 1 / (1 + math.exp(-float(np.clip(logit.ravel()[0], -100, 100))))
        return np.hstack([xy, z]), score

    def iris(
        self,
        rgb: np.ndarray,
        crop: Crop,
        offset: float = MODEL_PIXEL_OFFSET,
        interpolation: int = cv2.INTER_LINEAR,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Eye contour (71, 2) and iris (5, 2: centre first) points in image pixels.

        The model knows one eye: pass the other eye's crop with mirrored=True.
        """
        pixels = crop.pixels(rgb, IRIS_SIZE, interpolation)
        pixels = pixels.astype(np.float32) * np.float32(1 / 255)
        contour, iris = self._iris.run_all(pixels[None])
        return (
            crop.to_image(contour.reshape(71, 3), IRIS_SIZE, offset),
            crop.to_image(iris.reshape(5, 3), IRIS_SIZE, offset),
        )


_cache: dict[tuple[Path, int], FaceModels] = {}
_cache_lock = threading.Lock()


def get_face_models(model_dir: Path, *, num_threads: int = 1) -> FaceModels:
    """The process-wide FaceModels for `model_dir` (loaded on first use, then reused)."""
    key = (Path(model_dir).resolve(), num_threads)
    with _cache_lock:
        models = _cache.get(key)
        if models is None:
            models = _cache[key] = FaceModels(key[0], num_threads=num_threads)
        return models
