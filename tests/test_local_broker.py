"""The filesystem broker of `make run` hands every message over whole, even to a worker that
polls while it is being written (kombu's own transport loses some: kombu issue #1551)."""

from __future__ import annotations

import threading
from queue import Empty

from kombu import Connection


def test_a_worker_polling_during_writes_gets_every_message_whole(tmp_path):
    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    options = {**folders, "control_folder": str(tmp_path), "store_processed": False}

    def channel():
        connection = Connection(
            "filesystem://", transport="focal.localbroker:Transport", transport_options=options
        )
        return connection.channel()

    sender, receiver = channel(), channel()
    count, received, errors = 600, [], []
    sending = True

    def receive() -> None:
        while True:
            finished = not sending  # read first: an Empty after it means nothing is left
            try:
                received.append(receiver._get("photos")["n"])
            except Empty:
                if finished:
                    return
            except Exception as exc:  # a message read before it was whole
                errors.append(exc)

    thread = threading.Thread(target=receive)
    thread.start()
    for n in range(count):
        sender._put("photos", {"n": n, "body": "x" * 2000})
    sending = False
    thread.join(timeout=60)
    assert errors == [] and sorted(received) == list(range(count))
