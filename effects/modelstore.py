"""The model files the effects need: where they come from, their checksums, and fetching them.

A file only ever appears in the model folder under its final name after its sha256 matched:
downloads and copies go to a temporary file in the same folder (so the final os.replace is an
atomic rename on one filesystem), and any failure removes the temporary file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

FETCH_COMMAND = "python manage.py fetch_models"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ModelFile:
    name: str  # path relative to the model folder (and to a local source folder)
    url: str
    sha256: str
    size: int  # bytes; a download larger than this is cut off as wrong


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
# DEEPLAB_257 is only used by bench/ (the "classic recipe" baseline) but is small and public.
MANIFEST: tuple[ModelFile, ...] = (DEEPLAB_513, SELFIE, DEEPLAB_257)


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
    when given (an offline mirror with the same relative names), else downloaded from their
    public URL. Raises ModelChecksumError / ModelFetchError on the first failure.
    """
    dest = Path(dest)
    results = []
    for model in manifest:
        target = dest / model.name
        if target.is_file():
            if _sha256_of(target) == model.sha256:
                results.append(FetchResult(model, target, "kept"))
                continue
            # A wrong file under the final name (truncated, corrupt, an old version) must not
            # survive a failed fetch: require_models() only checks sizes.
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if source_dir is not None:
            source = Path(source_dir) / model.name
            if not source.is_file():
                raise ModelFetchError(f"{model.name}: not found in {source_dir}")
            with source.open("rb") as stream:
                _install(stream, model, target)
            results.append(FetchResult(model, target, "copied"))
        else:
            try:
                with urllib.request.urlopen(model.url, timeout=timeout) as response:
                    _install(response, model, target)
            except OSError as exc:  # URLError, HTTPError and socket timeouts are all OSErrors
                raise ModelFetchError(
                    f"{model.name}: download from {model.url} failed: {exc}"
                ) from exc
            results.append(FetchResult(model, target, "downloaded"))
    return results


def _install(stream: BinaryIO, model: ModelFile, target: Path) -> None:
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
