"""Put the segmentation models in FOCAL_MODEL_DIR, verified by sha256."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from effects.modelstore import MANIFEST, ModelFetchError, fetch_models


class Command(BaseCommand):
    help = (
        "Download the segmentation models from their public URLs (or copy them from --from DIR) "
        "into FOCAL_MODEL_DIR, checking each file's sha256. Files already there and correct "
        "are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            type=Path,
            help="A folder holding the model files under the same names (an offline mirror).",
        )
        parser.add_argument(
            "--dest", type=Path, help="Where to put them (default: FOCAL_MODEL_DIR)."
        )

    def handle(self, *args: Any, source: Path | None, dest: Path | None, **options: Any) -> None:
        target = Path(dest or settings.FOCAL_MODEL_DIR)
        if source is not None and not source.is_dir():
            raise CommandError(f"--from {source}: no such folder")
        try:
            results = fetch_models(target, source)
        except ModelFetchError as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            self.stdout.write(f"{result.action:>10}  {result.path}")
        self.stdout.write(self.style.SUCCESS(f"{len(MANIFEST)} model files ready in {target}"))
