"""effects.modelstore: verified copies and downloads; nothing unverified is ever left behind.

Downloads use file:// URLs (urllib handles them like http), so no network is needed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from effects.modelstore import (
    FETCH_COMMAND,
    MANIFEST,
    ModelChecksumError,
    ModelFetchError,
    ModelFile,
    ModelsNotInstalled,
    fetch_models,
    missing_models,
    require_models,
)

CONTENT = b"pretend this is a tflite model\n" * 100


def model_file(name: str = "model.tflite", content: bytes = CONTENT, url: str = "") -> ModelFile:
    return ModelFile(
        name=name,
        url=url or "file:///nonexistent/model.tflite",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def files_under(folder: Path) -> list[Path]:
    """Every file below `folder`, hidden temporary files included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    return folder


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "models"


def test_a_correct_copy_from_a_source_folder_is_installed_then_kept(source, dest):
    model = model_file()
    (source / model.name).write_bytes(CONTENT)
    [result] = fetch_models(dest, source, manifest=[model])
    assert result.action == "copied"
    assert result.path == dest / model.name
    assert result.path.read_bytes() == CONTENT
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o644
    assert files_under(dest) == [dest / model.name]  # no temporary file left over

    [again] = fetch_models(dest, source, manifest=[model])
    assert again.action == "kept"
    assert again.path.read_bytes() == CONTENT


def test_a_kept_file_needs_no_source(source, dest):
    model = model_file()
    (source / model.name).write_bytes(CONTENT)
    fetch_models(dest, source, manifest=[model])
    (source / model.name).unlink()
    assert [r.action for r in fetch_models(dest, source, manifest=[model])] == ["kept"]


def test_nested_names_create_their_folder(source, dest):
    model = model_file("mediapipe/selfie.tflite")
    (source / "mediapipe").mkdir()
    (source / model.name).write_bytes(CONTENT)
    [result] = fetch_models(dest, source, manifest=[model])
    assert result.path == dest / "mediapipe" / "selfie.tflite"
    assert result.path.read_bytes() == CONTENT


@pytest.mark.parametrize("name", ["model.tflite", "mediapipe/selfie.tflite"])
def test_a_checksum_mismatch_raises_and_leaves_no_file(source, dest, name):
    model = model_file(name)
    (source / name).parent.mkdir(parents=True, exist_ok=True)
    tampered = CONTENT[:-1] + b"!"  # same size, different bytes
    (source / name).write_bytes(tampered)
    with pytest.raises(ModelChecksumError) as caught:
        fetch_models(dest, source, manifest=[model])
    assert caught.value.model == model
    assert caught.value.actual == hashlib.sha256(tampered).hexdigest()
    assert model.sha256 in str(caught.value) and model.name in str(caught.value)
    assert files_under(dest) == []  # neither the final file nor a .part


def test_a_checksum_mismatch_is_a_fetch_error(source, dest):
    model = model_file()
    (source / model.name).write_bytes(b"x" * 10)
    with pytest.raises(ModelFetchError):
        fetch_models(dest, source, manifest=[model])
    assert files_under(dest) == []


def test_a_file_larger_than_expected_is_cut_off_and_removed(source, dest):
    model = model_file()
    (source / model.name).write_bytes(CONTENT + b"more")
    with pytest.raises(ModelFetchError, match="more than the expected"):
        fetch_models(dest, source, manifest=[model])
    assert files_under(dest) == []


def test_a_missing_source_file_is_an_error_naming_it(source, dest):
    model = model_file()
    with pytest.raises(ModelFetchError) as caught:
        fetch_models(dest, source, manifest=[model])
    assert not isinstance(caught.value, ModelChecksumError)
    assert model.name in str(caught.value) and str(source) in str(caught.value)
    assert files_under(dest) == []


def test_a_wrong_existing_file_is_replaced_by_a_verified_copy(source, dest):
    model = model_file()
    (source / model.name).write_bytes(CONTENT)
    dest.mkdir()
    (dest / model.name).write_bytes(b"corrupt" * 10)
    [result] = fetch_models(dest, source, manifest=[model])
    assert result.action == "copied"
    assert (dest / model.name).read_bytes() == CONTENT


def test_a_failure_stops_at_the_first_bad_model_keeping_earlier_good_ones(source, dest):
    good = model_file("good.tflite")
    bad = model_file("bad.tflite")
    (source / good.name).write_bytes(CONTENT)
    (source / bad.name).write_bytes(b"wrong")
    with pytest.raises(ModelChecksumError):
        fetch_models(dest, source, manifest=[good, bad])
    assert files_under(dest) == [dest / good.name]


def test_a_download_is_verified_and_installed(source, dest):
    (source / "served.tflite").write_bytes(CONTENT)
    model = model_file(url=(source / "served.tflite").as_uri())
    [result] = fetch_models(dest, manifest=[model])
    assert result.action == "downloaded"
    assert result.path.read_bytes() == CONTENT
    assert [r.action for r in fetch_models(dest, manifest=[model])] == ["kept"]


def test_a_tampered_download_raises_and_leaves_no_file(source, dest):
    (source / "served.tflite").write_bytes(CONTENT.upper())
    model = model_file(url=(source / "served.tflite").as_uri())
    with pytest.raises(ModelChecksumError):
        fetch_models(dest, manifest=[model])
    assert files_under(dest) == []


def test_a_failed_download_is_a_fetch_error(dest):
    model = model_file(url=(dest.parent / "nowhere.tflite").as_uri())
    with pytest.raises(ModelFetchError, match="download from"):
        fetch_models(dest, manifest=[model])
    assert files_under(dest) == []


def test_missing_models_checks_presence_and_size(dest):
    model = model_file()
    assert missing_models(dest, [model]) == [model]
    dest.mkdir()
    (dest / model.name).write_bytes(CONTENT[:-1])
    assert missing_models(dest, [model]) == [model]
    (dest / model.name).write_bytes(CONTENT)
    assert missing_models(dest, [model]) == []
    require_models(dest, [model])


def test_require_models_names_the_missing_files_and_the_fix(dest):
    with pytest.raises(ModelsNotInstalled) as caught:
        require_models(dest)
    assert caught.value.missing == list(MANIFEST)
    for model in MANIFEST:
        assert model.name in caught.value.message
    assert FETCH_COMMAND in caught.value.message


def test_the_real_model_files_match_the_manifest(dest):
    """Copy the installed models through fetch_models: every sha256 in MANIFEST must match."""
    model_dir = Path(os.environ["FOCAL_MODEL_DIR"])
    results = fetch_models(dest, model_dir)
    assert [r.action for r in results] == ["copied"] * len(MANIFEST)
    assert missing_models(dest) == []
    for model in MANIFEST:
        assert (dest / model.name).stat().st_size == model.size


def test_a_wrong_existing_file_does_not_survive_a_failed_fetch(source, dest):
    """Same size, wrong bytes: require_models() would accept it, so a failed fetch removes it."""
    model = model_file()
    dest.mkdir()
    (dest / model.name).write_bytes(CONTENT.upper())
    (source / model.name).write_bytes(CONTENT[::-1])
    assert missing_models(dest, [model]) == []  # the size check alone cannot tell
    with pytest.raises(ModelChecksumError):
        fetch_models(dest, source, manifest=[model])
    assert files_under(dest) == []
    assert missing_models(dest, [model]) == [model]


def npm_package(path: Path, files: dict[str, bytes]) -> Path:
    """A gzipped tar like the npm registry's, with `files` under their member names."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def test_files_from_a_package_archive_are_verified_and_gzipped_beside(tmp_path, dest):
    import gzip

    script, wasm = b"export const x = 1;\n" * 50, bytes(range(256)) * 40
    archive = npm_package(
        tmp_path / "lib-1.0.0.tgz", {"package/lib.mjs": script, "package/w.wasm": wasm}
    )
    models = [
        ModelFile("web/lib-1.0.0/lib.mjs", archive.as_uri(), hashlib.sha256(script).hexdigest(),
                  len(script), member="package/lib.mjs", compress=True),
        ModelFile("web/lib-1.0.0/w.wasm", archive.as_uri(), hashlib.sha256(wasm).hexdigest(),
                  len(wasm), member="package/w.wasm", compress=True),
    ]  # fmt: skip
    results = fetch_models(dest, manifest=models)
    assert [r.action for r in results] == ["downloaded", "downloaded"]
    folder = dest / "web/lib-1.0.0"
    assert (folder / "lib.mjs").read_bytes() == script
    assert gzip.decompress((folder / "w.wasm.gz").read_bytes()) == wasm
    assert sorted(p.name for p in folder.iterdir()) == [
        "lib.mjs",
        "lib.mjs.gz",
        "w.wasm",
        "w.wasm.gz",
    ]
    assert [r.action for r in fetch_models(dest, manifest=models)] == ["kept", "kept"]


def test_a_package_file_with_the_wrong_checksum_leaves_nothing(tmp_path, dest):
    archive = npm_package(tmp_path / "lib.tgz", {"package/lib.mjs": b"tampered"})
    model = ModelFile("web/lib.mjs", archive.as_uri(), hashlib.sha256(b"genuine!").hexdigest(),
                      8, member="package/lib.mjs", compress=True)  # fmt: skip
    with pytest.raises(ModelChecksumError):
        fetch_models(dest, manifest=[model])
    assert files_under(dest) == []


def test_a_file_missing_from_the_source_folder_is_downloaded(source, dest, tmp_path):
    archive = npm_package(tmp_path / "lib.tgz", {"package/lib.mjs": CONTENT})
    model = model_file("web/lib.mjs", url=archive.as_uri())
    model = ModelFile(model.name, model.url, model.sha256, model.size, member="package/lib.mjs")
    [result] = fetch_models(dest, source, manifest=[model])
    assert result.action == "downloaded"
    assert (dest / model.name).read_bytes() == CONTENT
