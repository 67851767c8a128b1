"""Reading an answer's body within a bound: decompressed as it arrives, and stopped once it is too large.

Both clients read the raw (still compressed) bytes in chunks of :data:`READ_CHUNK` and feed them to
a :class:`BodyReader`, which inflates them itself (``zlib`` with ``max_length``) and counts the
decompressed bytes against the connection's ``max_response_mb``: a small gzip body that would
inflate to gigabytes stops after the limit plus one chunk, without inflating the rest. The clients
ask only for the encodings it can decode (:data:`ACCEPT_ENCODING`). Nothing here does I/O.
"""

from __future__ import annotations

import zlib

from airflow_provider_commercetools.commercetools.errors import ResponseTooLargeError, TransportError
from airflow_provider_commercetools.commercetools.transport.protocol import Request, request_failed

#: What both clients send as Accept-Encoding: the encodings :class:`BodyReader` decodes.
ACCEPT_ENCODING = "gzip, deflate"
#: Raw bytes read at a time: few reads per page (each read gives up the GIL), a bounded overshoot.
READ_CHUNK = 1024 * 1024
MEGABYTE = 1024 * 1024


def describe_limit(limit: int) -> str:
    return f"{limit / MEGABYTE:g} MB"


def too_large(request: Request, limit: int, status: int, seen: str, received: int = 0) -> ResponseTooLargeError:
    """The error of an answer over the limit: names the request, the limit and how to raise it."""
    return ResponseTooLargeError(
        f"the answer is larger than the {describe_limit(limit)} limit ({seen}); it was not read further",
        limit=limit,
        received=received,
        method=request.method,
        path=request.path,
        status_code=status,
        correlation_id=request.correlation_id,
        hint="Raise the connection extra 'max_response_mb' if such answers are expected, or ask for less "
        "per request (a lower 'limit' per page, fewer expansions)",
    )


class BodyReader:
    """Collects one answer's body from raw chunks, decoding gzip or deflate, up to ``limit`` decoded bytes.

    :param encoding: the answer's Content-Encoding (None or ``identity``: as it comes).
    :param length: the answer's Content-Length: a plain body announced over the limit fails before it is read.
    :raises ResponseTooLargeError: once more than ``limit`` bytes (after decoding) arrived.
    :raises TransportError: the body is not valid gzip/deflate, or has an encoding that was not asked for.
    """

    def __init__(self, request: Request, limit: int, status: int, encoding: str | None, length: str | None) -> None:
        self.request = request
        self.limit = limit
        self.status = status
        self.encoding = (encoding or "identity").strip().lower()
        self.received = 0  # raw bytes
        self.size = 0  # decoded bytes
        self._parts: list[bytes] = []
        self._inflate: zlib._Decompress | None = None
        self._members = 0  # gzip members after the first
        if self.encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS)
        elif self.encoding != "identity":
            raise self._broken(f"the answer has Content-Encoding {self.encoding!r}, which was not asked for")
        announced = _length(length)
        if self._inflate is None and announced is not None and announced > limit:
            raise too_large(request, limit, status, f"Content-Length {announced}")

    def feed(self, data: bytes) -> None:
        """Add raw bytes; decompressed at most up to the limit (plus one byte, to know it is over)."""
        self.received += len(data)
        if self._inflate is None:
            self._add(data)
            return
        try:
            pending = data
            while pending:
                if self._inflate.eof:
                    if self.encoding == "deflate":
                        return  # anything after the deflate stream is ignored
                    self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the next member of the gzip body
                    self._members += 1
                out = self._inflate.decompress(pending, self.limit - self.size + 1)
                self._add(out)
                pending = self._inflate.unused_data if self._inflate.eof else self._inflate.unconsumed_tail
        except zlib.error as error:
            if self._members:
                return  # bytes after a complete gzip member that are not another one: ignored, as urllib3 does
            if self.encoding == "deflate" and self.size == 0 and self.received == len(data):
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
                self.received = 0
                self.feed(data)
                return
            raise self._broken(f"the {self.encoding} body is invalid: {error}") from None

    def finish(self) -> bytes:
        """The whole decoded body."""
        if self._inflate is not None:
            try:
                self._add(self._inflate.flush())
            except zlib.error as error:
                raise self._broken(f"the {self.encoding} body is invalid: {error}") from None
        return b"".join(self._parts)

    def _add(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.size > self.limit:
            self._parts = []
            seen = f"{self.received} bytes received" + (
                f", more than {self.limit} after decompressing" if self._inflate is not None else ""
            )
            raise too_large(self.request, self.limit, self.status, seen, self.received)
        self._parts.append(data)

    def _broken(self, reason: str) -> TransportError:
        return request_failed(self.request, reason)


def _length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
