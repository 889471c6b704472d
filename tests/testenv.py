"""Environment for the test run, loaded with `-p tests.testenv` before Django starts.

pytest-django imports the settings before any conftest, so defaults that the settings read
must be in place this early. Every run gets a fresh data directory (database file, media,
broker folders), so tests never touch ./var; models come from the project's model folder.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("FOCAL_MODEL_DIR", str(ROOT / "var" / "models"))
if "FOCAL_DATA_DIR" not in os.environ:
    _data_dir = tempfile.mkdtemp(prefix="focal-test-")
    os.environ["FOCAL_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
