"""The model files the effects need: where they come from, their checksums, and fetching them.

Also the files the Camera page runs in the browser (MediaPipe's tasks-vision script and WASM,
taken from its npm package, and the selfie models): Focal serves them itself, from this folder.

A file only ever appears in the model folder under its final name after its sha256 matched:
downloads and copies go to a temporary file in the same folder (so the final os.replace is an
atomic rename on one filesystem), and any failure removes the temporary file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Literal

FETCH_COMMAND = "python manage.py fetch_models"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ModelFile:
    name: str  # path relative to the model folder (and to a local source folder)
    url: str
    sha256: str
    size: int  # bytes; a download larger than this is cut off as wrong
    # Set when `url` is a gzipped tar archive (an npm package): the file's path inside it.
    member: str = ""
    # Also keep a gzipped copy beside it (NAME.gz), which the static file server sends to
    # browsers that accept it: for the browser's script and WASM files.
    compress: bool = False


DEEPLAB_513 = ModelFile(
    name="deeplabv3_mnv2_pascal_quant.tflite",
    url="https://github.com/google-coral/test_data/raw/master/deeplabv3_mnv2_pascal_quant.tflite",
    sha256="350af47fd346ea6d74b58833a351f583ba860e9806ec5bd292ff8d8f1f249398",
    size=2_193_224,
)
DEEPLAB_257 = ModelFile(
    name="deeplabv3_257_mv_gpu.tflite",
    url="https://storage.googleapis.com/download.tensorflow.org/models/tflite/gpu/deeplabv3_257_mv_gpu.tflite",
    sha256="68a539782c2c6a72f8aac3724600124a85ed977162b44e84cbae5db717c933c6",
    size=2_779_264,
)
# Person-only, refines DeepLab's coarse person edges (see effects.matting). Kept under the same
# relative path as in the shared offline mirror so `source_dir` can be that folder unchanged.
SELFIE = ModelFile(
    name="mediapipe/selfie_segmentation.tflite",
    url="https://storage.googleapis.com/mediapipe-assets/selfie_segmentation.tflite",
    sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    size=249_505,
)
# The selfie model's faster variant for video frames (144x256): the Camera page's preview.
SELFIE_LANDSCAPE = ModelFile(
    name="mediapipe/selfie_segmentation_landscape.tflite",
    url="https://storage.googleapis.com/mediapipe-assets/selfie_segmentation_landscape.tflite",
    sha256="a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
    size=250_145,
)

# Faces (effects.facemodels): BlazeFace short and full range, the 468-point mesh and the iris
# model, MediaPipe's public assets (the same files its 0.10.21 wheel ships).
FACE_DETECTOR_SHORT = ModelFile(
    name="mediapipe/face_detection_short_range.tflite",
    url="https://storage.googleapis.com/mediapipe-assets/face_detection_short_range.tflite",
    sha256="bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    size=229_714,
)
FACE_DETECTOR_FULL = ModelFile(
    name="mediapipe/face_detection_full_range_sparse.tflite",
    url="https://storage.googleapis.com/mediapipe-assets/face_detection_full_range_sparse.tflite",
    sha256="2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    size=676_746,
)
FACE_MESH = ModelFile(
    name="mediapipe/face_landmark.tflite",
    url="https://storage.googleapis.com/mediapipe-assets/face_landmark.tflite",
    sha256="1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    size=1_242_398,
)
IRIS = ModelFile(
    name="mediapipe/iris_landmark.tflite",
    url="https://storage.googleapis.com/mediapipe-assets/iris_landmark.tflite",
    sha256="d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
    size=2_640_568,
)
FACE_FILES: tuple[ModelFile, ...] = (FACE_DETECTOR_SHORT, FACE_DETECTOR_FULL, FACE_MESH, IRIS)

# MediaPipe tasks-vision for the Camera page, pinned: the npm registry never changes a published
# version. Only the SIMD build of the WASM (every current browser has WASM SIMD).
TASKS_VISION_VERSION = "1.1.0"
TASKS_VISION_DIR = f"web/tasks-vision-{TASKS_VISION_VERSION}"
_TASKS_VISION_URL = (
    f"https://registry.npmjs.org/@mediapipe/tasks-vision/-/tasks-vision-{TASKS_VISION_VERSION}.tgz"
)
TASKS_VISION_BUNDLE = ModelFile(
    name=f"{TASKS_VISION_DIR}/vision_bundle.mjs",
    url=_TASKS_VISION_URL,
    member="package/vision_bundle.mjs",
    sha256="9d5fc9ef74b22329cf9aa88dc543956d192b8c254210b187271614713eb5b10c",
    size=156_135,
    compress=True,
)
TASKS_VISION_LOADER = ModelFile(
    name=f"{TASKS_VISION_DIR}/vision_wasm_internal.js",
    url=_TASKS_VISION_URL,
    member="package/wasm/vision_wasm_internal.js",
    sha256="7c652617b5bef832f42878ce8c5f752b0724bca6054e4bc1013a37d4b1949723",
    size=335_393,
    compress=True,
)
TASKS_VISION_WASM = ModelFile(
    name=f"{TASKS_VISION_DIR}/vision_wasm_internal.wasm",
    url=_TASKS_VISION_URL,
    member="package/wasm/vision_wasm_internal.wasm",
    sha256="782eda3ec1f414fdb4f1d66a8b59093eb4d5ab437e06117796abf05962d68eef",
    size=12_997_248,
    compress=True,
)
# What the Camera page needs in the browser (BlazeFace short range for "Hide faces", the same
# file the server's face detection uses).
CAMERA_FILES: tuple[ModelFile, ...] = (
    TASKS_VISION_BUNDLE,
    TASKS_VISION_LOADER,
    TASKS_VISION_WASM,
    SELFIE_LANDSCAPE,
    FACE_DETECTOR_SHORT,
)

# DEEPLAB_257 is only used by bench/ (the "classic recipe" baseline) but is small and public.
# Each file once, in this order.
MANIFEST: tuple[ModelFile, ...] = tuple(
    dict.fromkeys((DEEPLAB_513, SELFIE, DEEPLAB_257, *CAMERA_FILES, *FACE_FILES))
)


class ModelFetchError(Exception):
    """A model file could not be fetched; nothing was left under its name."""


class ModelChecksumError(ModelFetchError):
    def __init__(self, model: ModelFile, actual: str) -> None:
        super().__init__(
            f"{model.name}: sha256 {actual} does not match the expected {model.sha256}; "
            "the file was discarded"
        )
        self.model = model
        self.actual = actual


class ModelsNotInstalled(Exception):
    """Raised by require_models(); `message` is meant for an operator's log or an admin page."""

    def __init__(self, dest: Path, missing: Sequence[ModelFile]) -> None:
        names = ", ".join(m.name for m in missing)
        self.message = f"models not installed in {dest} ({names}): run `{FETCH_COMMAND}`"
        super().__init__(self.message)
        self.missing = list(missing)


@dataclass(frozen=True)
class FetchResult:
    model: ModelFile
    path: Path
    action: Literal["kept", "copied", "downloaded"]


def missing_models(dest: Path, manifest: Iterable[ModelFile] = MANIFEST) -> list[ModelFile]:
    """Models absent from `dest` or of the wrong size (cheap: no hashing, fine at every start)."""
    missing = []
    for model in manifest:
        path = Path(dest) / model.name
        if not path.is_file() or path.stat().st_size != model.size:
            missing.append(model)
    return missing


def require_models(dest: Path, manifest: Iterable[ModelFile] = MANIFEST) -> None:
    missing = missing_models(dest, manifest)
    if missing:
        raise ModelsNotInstalled(Path(dest), missing)


def fetch_models(
    dest: Path,
    source_dir: Path | None = None,
    *,
    manifest: Sequence[ModelFile] = MANIFEST,
    timeout: float = 60.0,
) -> list[FetchResult]:
    """Make every model of `manifest` present and verified in `dest`.

    Files already there with the right sha256 are kept. Others are copied from `source_dir`
    when it has them (an offline mirror with the same relative names), else downloaded from
    their public URL (an archive is downloaded once per call for all its members). Raises
    ModelChecksumError / ModelFetchError on the first failure.
    """
    dest = Path(dest)
    results = []
    with tempfile.TemporaryDirectory(prefix="focal-fetch-") as downloads:
        archives: dict[str, Path] = {}
        for model in manifest:
            target = dest / model.name
            if target.is_file():
                if _sha256_of(target) == model.sha256:
                    _compress(model, target)
                    results.append(FetchResult(model, target, "kept"))
                    continue
                # A wrong file under the final name (truncated, corrupt, an old version) must
                # not survive a failed fetch: require_models() only checks sizes.
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            source = Path(source_dir) / model.name if source_dir is not None else None
            if source is not None and source.is_file():
                with source.open("rb") as stream:
                    _install(stream, model, target)
                action: Literal["copied", "downloaded"] = "copied"
            elif model.member:
                archive = archives.get(model.url)
                if archive is None:
                    archive = archives[model.url] = Path(downloads) / f"{len(archives)}.tgz"
                    _download(model, archive, timeout, source_dir)
                _install_member(archive, model, target)
                action = "downloaded"
            else:
                with _opened(model, timeout, source_dir) as response:
                    _install(response, model, target)
                action = "downloaded"
            _compress(model, target)
            results.append(FetchResult(model, target, action))
    return results


@contextlib.contextmanager
def _opened(model: ModelFile, timeout: float, source_dir: Path | None) -> Iterator[BinaryIO]:
    try:
        with urllib.request.urlopen(model.url, timeout=timeout) as response:
            yield response
    except OSError as exc:  # URLError, HTTPError and socket timeouts are all OSErrors
        where = f" (and it is not in {source_dir})" if source_dir is not None else ""
        raise ModelFetchError(
            f"{model.name}: download from {model.url} failed{where}: {exc}"
        ) from exc


def _download(model: ModelFile, path: Path, timeout: float, source_dir: Path | None) -> None:
    with _opened(model, timeout, source_dir) as response, path.open("wb") as out:
        shutil.copyfileobj(response, out, _CHUNK)


def _install_member(archive: Path, model: ModelFile, target: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.getmember(model.member)
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is None:
                raise KeyError(model.member)
            with stream:
                _install(stream, model, target)
    except (KeyError, tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, ModelFetchError):
            raise
        raise ModelFetchError(f"{model.name}: not readable from {model.url}: {exc}") from exc


def _compress(model: ModelFile, target: Path) -> None:
    """Write NAME.gz beside a verified file that browsers fetch (kept if already up to date)."""
    if not model.compress:
        return
    packed = target.with_name(target.name + ".gz")
    if packed.is_file() and packed.stat().st_mtime >= target.stat().st_mtime:
        return
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{packed.name}.", suffix=".part")
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
            target.open("rb") as stream,
        ):
            shutil.copyfileobj(stream, out, _CHUNK)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, packed)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _install(stream: IO[bytes], model: ModelFile, target: Path) -> None:
    """Copy `stream` to a temporary file next to `target`, verify it, then rename it into place."""
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(_CHUNK):
                written += len(chunk)
                if written > model.size:
                    raise ModelFetchError(
                        f"{model.name}: more than the expected {model.size} bytes"
                    )
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise ModelChecksumError(model, digest.hexdigest())
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; workers may run as another user
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "DEEPLAB_257",
    "DEEPLAB_513",
    "CAMERA_FILES",
    "FACE_DETECTOR_FULL",
    "FACE_DETECTOR_SHORT",
    "FACE_FILES",
    "FACE_MESH",
    "IRIS",
    "SELFIE_LANDSCAPE",
    "TASKS_VISION_DIR",
    "TASKS_VISION_VERSION",
    "FETCH_COMMAND",
    "MANIFEST",
    "SELFIE",
    "FetchResult",
    "ModelChecksumError",
    "ModelFetchError",
    "ModelFile",
    "ModelsNotInstalled",
    "fetch_models",
    "missing_models",
    "require_models",
]
