"""MediaPipe's attention face mesh (`face_landmark_with_attention.tflite`) in plain LiteRT, for
bench.eval_pupils only: does its own iris output beat the server's mesh + iris model?

The model holds three MediaPipe custom operators that LiteRT lacks (Landmarks2TransformMatrix,
TransformTensorBilinear, TransformLandmarks, all version 2). Here the graph is cut around them
into two plain models (operators before the first custom one; operators between them and the
outputs), and the custom steps run in numpy in between, written from their published
definitions (mediapipe/util/tflite/operations/*.cc, Apache-2.0):
- a 4x4 matrix from a subset of the mesh points: their box in a frame turned so two chosen
  points are level, scaled by scale_x/y, mapping an output_width x output_height patch to it;
- that patch sampled bilinearly from a feature map (zero outside, half-pixel corrected);
- points of the refined eye/lip patches mapped back with the matrix.

The model is not shipped with Focal nor in ../shared/models. It is read from MediaPipe's PyPI
wheel (`pip download --no-deps mediapipe==0.10.21`, sha256 below), which holds it at
mediapipe/modules/face_landmark/face_landmark_with_attention.tflite, or from the .tflite itself.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
MODEL_SHA256 = "e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4"
MEMBER = "mediapipe/modules/face_landmark/face_landmark_with_attention.tflite"
SIZE = 192

# Feature map -> eye/lip patches, and the points mapped back, by tensor name in the model.
PATCHES = {  # matrix tensor: (points it is made from, patch tensor)
    "landmarks_to_transform_matrix_v2": ("multiply_by_constant", "transform_tensor_bilinear_v2"),
    "landmarks_to_transform_matrix_v2_1": (
        "multiply_by_constant_2",
        "transform_tensor_bilinear_v2_1",
    ),
    "landmarks_to_transform_matrix_v2_2": (
        "multiply_by_constant_4",
        "transform_tensor_bilinear_v2_2",
    ),
}
FEATURES = "p_re_lu_3"
# Iris points (centre first) and the matrix that maps them back; "first" is the eye on the
# crop's left side (the subject's right eye in an unmirrored crop).
IRISES = {
    "first": ("reshape_4", "multiply_by_constant_3"),
    "second": ("reshape_7", "multiply_by_constant_5"),
}


def read_model(path: Path) -> bytes:
    """The model's bytes from the wheel or the .tflite, checked against its sha256."""
    if path.suffix == ".whl":
        if hashlib.sha256(path.read_bytes()).hexdigest() != WHEEL_SHA256:
            raise SystemExit(f"{path}: not the mediapipe 0.10.21 wheel (sha256 differs)")
        with zipfile.ZipFile(path) as wheel:
            content = wheel.read(MEMBER)
    else:
        content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != MODEL_SHA256:
        raise SystemExit(f"{path}: face_landmark_with_attention.tflite's sha256 differs")
    return content


def _cut(content: bytes, keep: list[int]) -> tuple[bytes, list[str], list[str]]:
    """A model of the operators `keep`; its inputs are the non-constant tensors they read and
    nothing of theirs makes, its outputs what they make that other operators or the model's
    outputs read."""
    import flatbuffers  # type: ignore[import-untyped]
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    graph = model.subgraphs[0]
    names = [t.name.decode() for t in graph.tensors]
    kept = set(keep)

    def constant(t: int) -> bool:
        buffer = model.buffers[graph.tensors[t].buffer]
        return (buffer.data is not None and len(buffer.data) > 0) or (buffer.offset or 0) > 1

    made = {t for i in keep for t in graph.operators[i].outputs}
    inputs: list[int] = []
    for i in keep:
        for t in graph.operators[i].inputs:
            if t >= 0 and t not in made and not constant(t) and t not in inputs:
                inputs.append(t)
    read_elsewhere = {
        t for i, op in enumerate(graph.operators) if i not in kept for t in op.inputs
    } | set(graph.outputs)
    outputs = [t for t in sorted(made) if t in read_elsewhere]
    graph.operators = [graph.operators[i] for i in keep]
    graph.inputs, graph.outputs = inputs, outputs
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), [names[t] for t in inputs], [names[t] for t in outputs]


def _custom_ops(content: bytes) -> tuple[list[int], dict[str, dict]]:
    """Indices of the custom operators and each one's options, by its output tensor's name."""
    import flatbuffers.flexbuffers as flex  # type: ignore[import-untyped]
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    graph = model.subgraphs[0]
    custom, options = [], {}
    for i, op in enumerate(graph.operators):
        if model.operatorCodes[op.opcodeIndex].customCode:
            custom.append(i)
            name = graph.tensors[op.outputs[0]].name.decode()
            raw = op.customOptions
            options[name] = flex.Loads(bytes(raw)) if raw is not None and len(raw) else {}
    return custom, options


def transform_matrix(points: np.ndarray, options: dict) -> np.ndarray:
    """Landmarks2TransformMatrix v2: patch pixel (x, y, 0, 1) -> feature-map point."""
    p = points.reshape(-1, 3)[:, :2].astype(np.float64)
    a, b = p[options["left_rotation_idx"]], p[options["right_rotation_idx"]]
    turn = options["target_rotation_radians"] - math.atan2(b[1] - a[1], b[0] - a[0])
    c, s = math.cos(turn), math.sin(turn)
    subset = p[np.asarray(options["subset_idxs"]).ravel()]
    turned = subset @ np.array([[c, s], [-s, c]])
    low, high = turned.min(axis=0), turned.max(axis=0)
    middle = (low + high) / 2
    centre = np.array([[c, -s], [s, c]]).T @ middle  # turned back
    width, height = options["output_width"], options["output_height"]
    sx = options["scale_x"] * (high[0] - low[0]) / width
    sy = options["scale_y"] * (high[1] - low[1]) / height
    linear = np.array([[c, s], [-s, c]]) @ np.diag([sx, sy])  # rotation by -turn, then scale
    matrix = np.eye(4)
    matrix[:2, :2] = linear
    matrix[:2, 3] = centre - linear @ np.array([width / 2, height / 2])
    return matrix.astype(np.float32)


def sample_patch(features: np.ndarray, matrix: np.ndarray, height: int, width: int) -> np.ndarray:
    """TransformTensorBilinear v2: (1, H, W, C) features -> (1, height, width, C) patch."""
    rows, cols, channels = features.shape[1:]
    m = matrix.astype(np.float64)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    tx = m[0, 0] * (xs + 0.5) + m[0, 1] * (ys + 0.5) + m[0, 3] - 0.5
    ty = m[1, 0] * (xs + 0.5) + m[1, 1] * (ys + 0.5) + m[1, 3] - 0.5
    outside = (tx < 0) | (tx > cols - 1) | (ty < 0) | (ty > rows - 1)
    x0, y0 = np.floor(tx).astype(int), np.floor(ty).astype(int)
    fx, fy = (tx - x0)[..., None], (ty - y0)[..., None]
    padded = np.zeros((rows + 2, cols + 2, channels), np.float32)
    padded[1:-1, 1:-1] = features[0]

    def at(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        return padded[np.clip(y + 1, 0, rows + 1), np.clip(x + 1, 0, cols + 1)]

    upper = (1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)
    lower = (1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)
    patch = fy * lower + (1 - fy) * upper
    patch[outside] = 0
    return patch[None].astype(np.float32)


def map_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """TransformLandmarks v2 for 2-D points: (n, 2) patch points -> crop points."""
    p = points.reshape(-1, 2).astype(np.float64)
    return (p @ matrix[:2, :2].T + matrix[:2, 3]).astype(np.float32)


class AttentionMesh:
    """The model as two LiteRT interpreters with the custom steps between them."""

    def __init__(self, content: bytes) -> None:
        from ai_edge_litert.interpreter import Interpreter

        custom, self.options = _custom_ops(content)
        # Before the first custom operator; then up to the last one (what follows it only
        # reshapes the mapped-back points into the outputs).
        between = [i for i in range(custom[0], custom[-1]) if i not in custom]
        self._parts = []
        for keep in (list(range(custom[0])), between):
            part, inputs, outputs = _cut(content, keep)
            interpreter = Interpreter(model_content=part, num_threads=1)
            interpreter.allocate_tensors()
            by_name_in = {d["name"]: d["index"] for d in interpreter.get_input_details()}
            by_name_out = {d["name"]: d["index"] for d in interpreter.get_output_details()}
            self._parts.append((interpreter, by_name_in, by_name_out))

    def irises(self, crop_pixels: np.ndarray) -> dict[str, np.ndarray]:
        """Iris points (5, 2: centre first) of both eyes, in 192x192 crop pixels, from a crop
        in [0, 1] (192, 192, 3) float32: {"first": crop-left eye, "second": crop-right eye}."""
        (first, first_in, first_out), (second, second_in, second_out) = self._parts
        first.set_tensor(next(iter(first_in.values())), crop_pixels[None])
        first.invoke()
        made = {name: first.get_tensor(index) for name, index in first_out.items()}
        for matrix_name, (points_name, patch_name) in PATCHES.items():
            matrix = transform_matrix(made[points_name], self.options[matrix_name])
            made[matrix_name] = matrix[None]
            made[patch_name] = sample_patch(made[FEATURES], matrix, 16, 16)
        for name, index in second_in.items():
            second.set_tensor(index, made[name])
        second.invoke()
        out = {name: second.get_tensor(index) for name, index in second_out.items()}
        return {
            eye: map_points(out[points], out[matrix][0]) for eye, (points, matrix) in IRISES.items()
        }
