"""Fair work: how much one user may have waiting for the workers.

Uploads wait to be processed, effects to be rendered. Past FOCAL_MAX_QUEUED_UPLOADS photos or
FOCAL_MAX_QUEUED_RENDERS variants of theirs still pending or processing, a user's next request
for more is refused with 429 and Retry-After; what is already queued goes on. The counts come
from the rows, so every web process agrees, and they are taken with the user's row locked, so
two requests of one user at once cannot both slip under the limit.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from focal.usererror import UserError

UPLOAD_RETRY_AFTER = 5  # seconds: processing a photo takes a fraction of a second
RENDER_RETRY_AFTER = 15  # seconds: a render takes from a fraction of a second to about ten


class TooMuchQueued(UserError):
    status = 429
    code = "too_many_queued"


def lock_user(user_id: int) -> None:
    """Serialise one user's requests that queue work, until the transaction ends."""
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    list(get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk"))


def check_queued(queued: int, limit: int, *, what: str, retry_after: int) -> None:
    """Refuse more work when `queued` (the user's unfinished jobs) has reached `limit`."""
    if queued >= limit:
        raise TooMuchQueued(
            f"Too many of your {what} are waiting for the server (at most {limit} at once); "
            f"try again in {retry_after} seconds.",
            retry_after=retry_after,
        )
