"""How ``sociable serve`` runs uvicorn: httptools with a 16 KiB cap on the request head.

uvicorn's httptools protocol has no limit on the request line or headers (its h11 protocol
does), so a client without a login could send one endless header line and have the server
buffer it: about 19 MB of memory for a 16 MB line. :class:`CappedHttpToolsProtocol` counts the
bytes of a request head as they arrive and answers 414 (request line) or 431 (headers) and
closes the connection once they pass ``MAX_HEAD``, the cap ``sociable track serve`` uses.

The count is checked after each read, so at most one socket read (256 KiB) beyond the cap is
ever buffered; a complete head is also measured exactly before the app sees it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sociable.track.http1 import MAX_HEAD

_END_OF_HEAD = b"\r\n\r\n"


class _HeadTooLarge(Exception):
    """Raised inside a parser callback to stop the parse; httptools reports it as an error."""


class CappedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing request heads over ``MAX_HEAD`` bytes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False  # a request has begun and its headers are not complete yet
        self._began_here = False  # ... and it began in the read being parsed
        self._head_bytes = 0
        self._refusal: int | None = None

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return
        self._began_here = False
        super().data_received(data)
        if not self._in_head or self._refusal is not None:
            return
        if self._began_here:  # the head is what follows the previous request's end
            cut = data.rfind(_END_OF_HEAD)
            self._head_bytes = len(data) - (cut + len(_END_OF_HEAD) if cut >= 0 else 0)
        else:
            self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD:
            line_only = self._head_bytes - len(self.url) <= 32  # only "METHOD " before the URL
            self._refuse(414 if line_only else 431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._began_here = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if len(self.url) > MAX_HEAD:
            self._refusal = 414
        elif size > MAX_HEAD:
            self._refusal = 431
        if self._refusal is not None:
            raise _HeadTooLarge  # uvicorn answers the parse error with send_400_response
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._refuse(self._refusal)

    def _refuse(self, status: int) -> None:
        self._refusal = status
        text = ("request line too long" if status == 414 else "request headers too large") + "\n"
        phrase = HTTPStatus(status).phrase
        self.transport.write(
            f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"connection: close\r\ncontent-length: {len(text)}\r\n\r\n{text}".encode()
        )
        self.transport.close()


def server_config(app: Any, host: str, port: int, **kwargs: Any) -> uvicorn.Config:
    """The uvicorn configuration ``sociable serve`` runs ``app`` with."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=CappedHttpToolsProtocol,
        **{"log_level": "warning", **kwargs},
    )
