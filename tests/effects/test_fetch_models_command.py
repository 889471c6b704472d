"""`manage.py fetch_models`: copies from a folder (or downloads), verifying every checksum."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from effects.modelstore import MANIFEST


def mirror_of_the_real_models(folder: Path) -> Path:
    for model in MANIFEST:
        target = folder / model.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(settings.FOCAL_MODEL_DIR) / model.name, target)
    return folder


def test_it_copies_and_verifies_every_model(tmp_path, capsys):
    source = mirror_of_the_real_models(tmp_path / "mirror")
    dest = tmp_path / "models"
    call_command("fetch_models", "--from", str(source), "--dest", str(dest))
    for model in MANIFEST:
        assert hashlib.sha256((dest / model.name).read_bytes()).hexdigest() == model.sha256
    call_command("fetch_models", "--from", str(source), "--dest", str(dest))
    assert capsys.readouterr().out.count("kept") == len(MANIFEST)


def test_a_checksum_mismatch_is_an_error_and_leaves_no_file(tmp_path):
    source = mirror_of_the_real_models(tmp_path / "mirror")
    damaged = source / MANIFEST[0].name
    data = bytearray(damaged.read_bytes())
    data[1000] ^= 0xFF  # same size, different bytes
    damaged.write_bytes(bytes(data))
    dest = tmp_path / "models"
    with pytest.raises(CommandError, match="does not match"):
        call_command("fetch_models", "--from", str(source), "--dest", str(dest))
    assert not any(p.is_file() for p in dest.rglob("*"))


def test_a_missing_source_folder_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        call_command("fetch_models", "--from", str(tmp_path / "nowhere"))
