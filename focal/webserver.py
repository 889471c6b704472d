"""The web server: waitress, configured so slow or hostile clients cannot starve the others.

Why waitress (and not gunicorn's threads, which the first version used): waitress reads every
request (headers and the whole body, spooled to a temporary file past 512 KB) on one event
loop, and only hands a *complete* request to a worker thread. A client that sends half a
header, or half of an upload, and then waits holds a socket and a buffer, never a thread; with
gunicorn's gthread workers each such client held one of the few threads until it gave up, so
16 of them took the site down. Responses go back the same way: a file is streamed by the event
loop (wsgi.file_wrapper), so a slow reader does not hold a thread either. It is pure Python, so
`make run` needs nothing but Python, and the Docker image runs the same server (`manage.py web`)
that the tests exercise.

What waitress refuses itself (a header block over the limit, a body over the limit, malformed
HTTP) is answered here in the API's error format under /api/ and as short text elsewhere;
everything else reaches Django.
"""

from __future__ import annotations

import json
import logging
import signal
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

log = logging.getLogger(__name__)

# Request line plus headers. Browsers stay far below this (cookies are capped at 4 KB each);
# the URL on its own is limited lower, by Django (focal/request_limits.py), with a clearer answer.
MAX_HEADER_BYTES = 64 * 1024
# Seconds without a byte in either direction before an idle or stalled connection is closed.
CHANNEL_TIMEOUT = 60

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is not valid HTTP."),
    413: ("too_large", "The request body is larger than this server accepts."),
    431: ("headers_too_large", "The request line and headers are too long."),
    501: ("not_implemented", "This transfer encoding is not supported."),
    500: ("server_error", "Something went wrong on our side; it has been logged."),
}


@dataclass(frozen=True)
class WebServerConfig:
    host: str
    port: int
    threads: int
    connection_limit: int
    max_body_bytes: int
    behind_proxy: bool = False


class _ErrorTask(ErrorTask):
    """What waitress answers for requests it refuses before Django sees them."""

    def execute(self) -> None:
        error = self.request.error
        code, message = _ERRORS.get(error.code, ("bad_request", "The request was refused."))
        if _request_target(self.request).startswith(b"/api/"):
            body = json.dumps({"error": {"code": code, "message": message}}).encode()
            content_type = "application/json"
        else:
            body = f"{error.code} {error.reason}: {message}\n".encode()
            content_type = "text/plain; charset=utf-8"
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", content_type))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _ErrorTask


def _request_target(request: Any) -> bytes:
    """The target of the request line, also when waitress could not parse the request.

    For an over-long header block waitress parses a stand-in "GET /" request, so the raw bytes
    received so far come first; then the first line, which a malformed request still has.
    """
    for raw in (getattr(request, "header_plus", b""), getattr(request, "first_line", b"")):
        line = bytes(raw or b"").lstrip().split(b"\r\n", 1)[0]
        if line:
            parts = line.split(b" ")
            return parts[1] if len(parts) > 1 else b""
    return str(getattr(request, "path", "") or "").encode()


def run(application: Any, config: WebServerConfig) -> None:
    """Serve `application` until SIGTERM or SIGINT; in-flight requests are not waited for."""
    options: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "threads": config.threads,
        "connection_limit": config.connection_limit,
        "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": config.max_body_bytes,
        "channel_timeout": CHANNEL_TIMEOUT,
        # poll(), unlike select(), is not limited to file descriptors below 1024.
        "asyncore_use_poll": True,
        "ident": "focal",
    }
    # X-Forwarded-* headers reach Django only behind a proxy (FOCAL_BEHIND_PROXY), which reads
    # the scheme and the client's address from them; otherwise waitress removes them, so a
    # client cannot claim to be someone else.
    options["clear_untrusted_proxy_headers"] = not config.behind_proxy
    server = create_server(application, **options)
    server.channel_class = _Channel  # every accepted connection uses our error answers

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "serving on http://%s:%s with %d threads, up to %d connections",
        config.host,
        server.effective_port,
        config.threads,
        config.connection_limit,
    )
    try:
        server.run()
    finally:
        server.close()
