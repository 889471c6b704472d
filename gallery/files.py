"""Files under MEDIA_ROOT, written atomically.

All of a photo's files (original, thumbnails, variants, mattes) live in one folder named by the
photo's random key, so deleting a photo is one folder removal and no name comes from a client.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404


def media_path(name: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise ValueError(f"{name!r} is outside the media folder")
    return path


class FolderGone(Exception):
    """A photo's folder disappeared (the photo was deleted) while a job was writing into it."""


def write_atomic(name: str, data: bytes | Iterable[bytes], *, within: str | None = None) -> Path:
    """Write a file so that readers see either nothing or the whole file, never a part.

    With `within` (a photo's folder, for files derived from the photo), that folder must exist:
    a job never makes it again after the photo was deleted, and gets FolderGone instead.
    """
    path = media_path(name)
    if within is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        _make_folders_inside(media_path(within), path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    except FileNotFoundError:
        raise FolderGone(within or name) from None
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes):
                out.write(data)
            else:
                for chunk in data:
                    out.write(chunk)
        os.chmod(tmp, settings.FILE_UPLOAD_PERMISSIONS or 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _make_folders_inside(top: Path, folder: Path) -> None:
    if folder != top and top not in folder.parents:
        raise ValueError(f"{folder} is not inside {top}")
    if not top.is_dir():
        raise FolderGone(str(top))
    for part in reversed([folder, *folder.parents][: len(folder.parts) - len(top.parts)]):
        try:
            part.mkdir(exist_ok=True)  # never parents=True: that would make `top` again
        except FileNotFoundError:
            raise FolderGone(str(top)) from None


def file_response(name: str, content_type: str, *, filename: str, download: bool) -> FileResponse:
    """A media file for a view that has checked permissions; 404 if it is gone from disk.

    URLs carry a version, so browsers may keep the bytes, but only for this user (private).
    """
    try:
        handle = media_path(name).open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=download, filename=filename
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response


def delete_tree(name: str) -> None:
    shutil.rmtree(media_path(name), ignore_errors=True)


def delete_file(name: str) -> None:
    if name:
        media_path(name).unlink(missing_ok=True)
