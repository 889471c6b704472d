"""Outgoing mail, sent by a background thread after the answer has gone.

A password reset is answered the same way whether or not the address belongs to an account;
sending the mail in the request would make the answer slower (by an SMTP round trip, or a
timeout) exactly when it does, which tells what the page does not. So the request only builds
the message and queues it here; a failure to send is logged, never shown.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)

_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="focal-mail")
_queued: set[Future[None]] = set()
_lock = threading.Lock()


def send_later(message: EmailMessage) -> None:
    """Send `message` from the mail thread (in the order queued)."""
    future = _sender.submit(_send, message)
    with _lock:
        _queued.add(future)
    future.add_done_callback(_forget)


def wait_for_queued_mail(timeout: float = 30) -> None:
    """Block until every message queued so far has been sent or has failed."""
    with _lock:
        pending = set(_queued)
    wait(pending, timeout=timeout)


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:
        logger.exception("Could not send the mail %r to %s", message.subject, message.to)


def _forget(future: Future[None]) -> None:
    with _lock:
        _queued.discard(future)
