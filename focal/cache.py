"""The database cache, with increments that lose no count when processes race.

Django's DatabaseCache.incr() reads the value, then writes value + delta: two web processes
counting the same failed log-in at once would both write the same number. Here the read and the
write happen in one transaction that holds a lock: SQLite's IMMEDIATE transactions (see
settings) take the write lock at BEGIN, and PostgreSQL takes an advisory lock on the key.
Used for rate-limit counters when there is no Redis (`make run`).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class AtomicDatabaseCache(DatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        db = router.db_for_write(self.cache_model_class)
        with transaction.atomic(using=db):
            connection = connections[db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    lock = self.make_and_validate_key(key, version=version)
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [lock])
            return super().incr(key, delta, version)
