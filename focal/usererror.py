"""One way to say "the user's request cannot be done": UserError and its subclasses.

A UserError carries a stable machine-readable `code`, a `message` written for the person who
caused it, and the HTTP `status` it maps to. This module imports nothing from Django, so the
pure image and effect code raises it too. It is translated in exactly three places:

- the API: focal.api_errors.exception_handler answers `{"error": {"code", "message"}}`;
- the pages: focal.middleware.UserErrorMiddleware renders the message with the status;
- the job runner: focal.jobs.run_job records the message as the failure reason.

So code raises a UserError (or a subclass) and never catches it just to re-raise it in another
shape. Catch one only to show it in place, e.g. beside the file of a multi-file upload.
"""

from __future__ import annotations


class UserError(Exception):
    """The request cannot be done as asked; `message` says why, for the person who asked."""

    status: int = 400
    code: str = "invalid"
    # Seconds after which the same request may succeed (sent as Retry-After), when known.
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if retry_after is not None:
            self.retry_after = retry_after


class NotSignedIn(UserError):
    status = 401
    code = "not_authenticated"

    def __init__(self, message: str = "Sign in to do this.") -> None:
        super().__init__(message)
