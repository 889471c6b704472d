"""Migration tests: move the test database to given migrations and get the models as they were."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]) -> Apps:
    """Migrate to `targets`; the models as the database now has them (other apps at their
    latest migrations)."""
    MigrationExecutor(connection).migrate(targets)
    applied = MigrationExecutor(connection).loader.applied_migrations
    return MigrationExecutor(connection).loader.project_state(list(applied)).apps


def migrate_to_latest() -> None:
    """Every app back at its latest migration (the state the rest of the suite expects)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
