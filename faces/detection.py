"""Finding a photo's faces (effects.faces, on the reduced decode processing already made) and
storing them in original pixels.

Re-detection replaces the detected faces and never a person's work: a corrected face keeps its
pupils (the detector's new box, points and mesh are recorded beside them when a new face
overlaps it), and a new face where the owner removed a false one is left out.

Finding faces never fails a photo: an error (models missing, a model that cannot run) is
logged and recorded on the photo's FaceScan with version 0, so `manage.py detect_faces` tries
that photo again; the photo is still made ready.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from effects.faces import FACES_VERSION, FoundFace, find_faces
from faces.models import Face, FaceScan, RemovedFace, Source

log = logging.getLogger(__name__)

SAME_FACE_IOU = 0.3  # boxes overlapping this much are the same face


@dataclass(frozen=True)
class FaceFinding:
    """What the detector said about one photo, in pixels of the original."""

    faces: list[FoundFace]
    ms: float
    error: str = ""


def find_in_decode(rgb: np.ndarray, width: int, height: int) -> FaceFinding:
    """The faces of a reduced decode `rgb` of a `width` x `height` original, in its pixels."""
    started = time.perf_counter()
    try:
        found = find_faces(rgb, Path(settings.FOCAL_MODEL_DIR))
    except Exception as exc:  # noqa: BLE001 - whatever it is, the photo is still ready
        log.warning("finding faces failed: %s: %s", type(exc).__name__, exc)
        ms = (time.perf_counter() - started) * 1000
        return FaceFinding([], ms, f"{type(exc).__name__}: {exc}"[:300])
    ms = (time.perf_counter() - started) * 1000
    factor = max(width, height) / max(rgb.shape[:2])
    return FaceFinding([face.scaled(factor) for face in found], ms)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    overlap = w * h
    return overlap / (aw * ah + bw * bh - overlap)


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def _same_face(found: FoundFace, face: Face) -> float:
    """How surely a stored face is the detected one: its IoU, or (a face added by hand has a
    box guessed from its pupils) enough when both its pupils are inside the detected box."""
    overlap = iou(found.box, face.box)
    if overlap >= SAME_FACE_IOU:
        return overlap
    if _inside(face.left_eye, found.box) and _inside(face.right_eye, found.box):
        return SAME_FACE_IOU
    return 0.0


def _detector_fields(found: FoundFace) -> dict[str, object]:
    x, y, w, h = found.box
    return {
        "x": x,
        "y": y,
        "w": w,
        "h": h,
        "score": found.score,
        "detected_left_x": found.left_eye[0],
        "detected_left_y": found.left_eye[1],
        "detected_right_x": found.right_eye[0],
        "detected_right_y": found.right_eye[1],
        "landmarks": Face.pack_landmarks(found.landmarks),
        "expression": found.expression,
        "version": FACES_VERSION,
    }


def store_faces(photo_id: int, finding: FaceFinding) -> None:
    """Record `finding` as the photo's faces. Called in a transaction with the photo locked."""
    if finding.error:
        FaceScan.objects.update_or_create(
            photo_id=photo_id,
            defaults={"version": 0, "found": 0, "error": finding.error, "ms": round(finding.ms)},
        )
        return
    corrected = list(Face.objects.filter(photo_id=photo_id, source=Source.CORRECTED))
    removed = [r.box for r in RemovedFace.objects.filter(photo_id=photo_id)]
    Face.objects.filter(photo_id=photo_id, source=Source.DETECTED).delete()
    new = []
    for found in finding.faces:
        if any(iou(found.box, box) >= SAME_FACE_IOU for box in removed):
            continue  # the owner said this is not a face
        scores = [(_same_face(found, face), face) for face in corrected]
        best = max(scores, key=lambda pair: pair[0], default=(0.0, None))
        if best[1] is not None and best[0] >= SAME_FACE_IOU:
            face = best[1]
            corrected.remove(face)  # one detection per corrected face
            for name, value in _detector_fields(found).items():
                setattr(face, name, value)
            face.save()  # its pupils (the correction) stay as they are
            continue
        new.append(
            Face(
                photo_id=photo_id,
                left_eye_x=found.left_eye[0],
                left_eye_y=found.left_eye[1],
                right_eye_x=found.right_eye[0],
                right_eye_y=found.right_eye[1],
                source=Source.DETECTED,
                **_detector_fields(found),
            )
        )
    Face.objects.bulk_create(new)
    FaceScan.objects.update_or_create(
        photo_id=photo_id,
        defaults={
            "version": FACES_VERSION,
            "found": len(finding.faces),
            "error": "",
            "ms": round(finding.ms),
        },
    )
