"""A small tus 1.0 client over raw HTTP (standard library only) for tests that talk to a real
server process: it can send part of a piece and then drop the connection, as a phone that
loses its signal does."""

from __future__ import annotations

import http.client
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from gallery.tus import format_metadata


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class TusClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.base = urlsplit(base_url)
        self.host, self.port = self.base.hostname or "127.0.0.1", self.base.port or 80
        self.token = token

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=self._headers(headers))
            response = connection.getresponse()
            return Answer(response.status, dict(response.headers), response.read())
        finally:
            connection.close()

    def create(self, length: int, **metadata: str) -> str:
        """A new upload's path (from its Location)."""
        headers = {"Upload-Length": str(length), "Upload-Metadata": format_metadata(metadata)}
        answer = self.request("POST", "/api/uploads/", headers=headers)
        assert answer.status == 201, answer
        return urlsplit(answer.headers["Location"]).path

    def offset(self, path: str) -> int:
        answer = self.request("HEAD", path)
        assert answer.status == 200, answer
        assert answer.headers["Cache-Control"] == "no-store"
        return int(answer.headers["Upload-Offset"])

    def patch(self, path: str, offset: int, piece: bytes) -> Answer:
        headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        return self.request("PATCH", path, piece, headers)

    def patch_and_drop(self, path: str, offset: int, piece: bytes, sent: int) -> None:
        """Start a PATCH of `piece` but close the connection after `sent` of its bytes."""
        headers = self._headers(
            {
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(len(piece)),
            }
        )
        with socket.create_connection((self.host, self.port), timeout=60) as sock:
            head = f"PATCH {path} HTTP/1.1\r\nHost: {self.base.netloc}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            sock.sendall(head.encode() + b"\r\n" + piece[:sent])

    def finish(self, path: str, data: bytes, piece: int, *, patience: float = 30) -> Answer:
        """Ask for the offset and send the rest in pieces. A server still busy with a dropped
        request answers 423 (or 409 once it has recorded it): ask again, as tus clients do."""
        deadline = time.monotonic() + patience
        while True:
            offset = self.offset(path)
            answer = self.patch(path, offset, data[offset : offset + piece])
            if answer.status in (409, 423) and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            assert answer.status == 204, answer
            if int(answer.headers["Upload-Offset"]) == len(data):
                return answer

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Tus-Resumable": "1.0.0", "Authorization": f"Token {self.token}", **(extra or {})}
