"""A fake commercetools HTTP API (auth + project API) for tests, demos and benchmarks.

Standard library only. It serves real HTTP/1.1 with keep-alive on ``127.0.0.1`` (a free port), one
thread per connection, so a pooled ``requests.Session`` used from many threads behaves as against
the real API. Behaviour follows the commercetools HTTP API: client-credentials token grant with
scopes, bearer tokens that expire and can be revoked, generic resources with create / read / query /
update / delete, optimistic concurrency (409 ``ConcurrentModification``), ``DuplicateField`` on keys,
query predicates, sorting, limit / offset caps, custom objects, in-store scoping, and injectable
faults (429, 5xx, HTML proxy pages, dropped connections before or after a write, slow answers,
garbage bodies).

Usage::

    with FakeCommercetools() as ct:
        ct.add_many("products", ({"key": f"p{i}"} for i in range(1000)))
        ct.inject("503", times=2, path_prefix=f"/{ct.project_key}/products")
        ...  # point the client at ct.url (auth and API share this address)
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import json
import os
import random
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from airflow_provider_commercetools.testing.predicates import (
    Compare,
    Literal,
    Node,
    PredicateError,
    Var,
    bind,
    conjuncts,
    parse_where,
)

__all__ = ["FAULT_KINDS", "FakeCommercetools", "RecordedRequest", "connection_json"]

FAULT_KINDS: frozenset[str] = frozenset(
    {"429", "500", "502", "503", "504", "html_502", "drop_before", "drop_after", "slow", "garbage_200"}
)
_STATUS_FAULTS = {
    "429": (429, "TooManyRequests", "Too many requests. Please retry later."),
    "500": (500, "General", "Internal Server Error: the request could not be processed."),
    "502": (502, "General", "Bad Gateway: the service is scaling, please retry."),
    "503": (503, "OverCapacity", "Service Unavailable: the service is over capacity, please retry."),
    "504": (504, "GatewayTimeout", "Gateway Timeout: the request took too long, please retry."),
}
_HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
#: faults only for :meth:`FakeCommercetools.inject`: ``apply_late`` drops the connection unanswered and
#: applies the request ``delay`` seconds later (a server that finishes a write after the client gave up)
_INJECT_ONLY = frozenset({"apply_late"})

JSON_TYPE = "application/json; charset=utf-8"
MAX_LIMIT = 500
MAX_OFFSET = 10_000
MAX_BODY = 16 * 1024 * 1024
_READ_METHODS = frozenset({"GET", "HEAD"})
_SYSTEM_FIELDS = ("id", "version", "createdAt", "lastModifiedAt")

# resource -> the fields (tuples: composite) whose values must be unique within the resource
_UNIQUE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "orders": (("key",), ("orderNumber",)),
    "custom-objects": (("container", "key"),),
}
_DEFAULT_UNIQUE: tuple[tuple[str, ...], ...] = (("key",),)

# resource -> scope family (view_<family>, manage_<family>)
_SCOPE_FAMILY = {
    "product-projections": "products",
    "product-types": "products",
    "inventory": "products",
    "custom-objects": "key_value_documents",
}
# other families that also grant a resource (as in the API reference)
_SCOPE_ALTERNATIVES = {"custom-objects": ("products", "orders", "customers")}

_TYPE_IDS = {
    "inventory": "inventory-entry",
    "custom-objects": "key-value-document",
    "categories": "category",
    "business-units": "business-unit",
}

_SCOPED_PATHS = {"in-store": ("store", "store"), "in-business-unit": ("businessUnit", "business-unit")}


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _uuid4() -> str:
    return str(uuid.uuid4())


_UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


class _UuidBatch:
    """Random (version 4) UUID strings, generated in batches: ~4x faster than str(uuid.uuid4())."""

    def __init__(self, batch: int = 1024) -> None:
        self._batch = batch
        self._pending: list[str] = []

    def next(self) -> str:
        if not self._pending:
            raw = os.urandom(16 * self._batch).hex()
            variant = _UUID_VARIANT
            self._pending = [
                f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant[h[16]]}{h[17:20]}-{h[20:]}"
                for h in (raw[i : i + 32] for i in range(0, len(raw), 32))
            ]
        return self._pending.pop()


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (much faster than copy.deepcopy)."""
    t = type(value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    if t is list:
        return [_copy(v) for v in value]
    return value


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def _type_id(resource: str) -> str:
    if resource in _TYPE_IDS:
        return _TYPE_IDS[resource]
    if resource.endswith("ies"):
        return resource[:-3] + "y"
    return resource[:-1] if resource.endswith("s") else resource


def _error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "errors": [{"code": code, "message": message, **extra}]}


def _oauth_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    body = _error_body(status, code, message)
    body["error"] = code
    body["error_description"] = message
    return body


class _HttpError(Exception):
    """Raised inside request handling: becomes the JSON error answer."""

    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _bad_request(code: str, message: str, **extra: Any) -> _HttpError:
    return _HttpError(400, _error_body(400, code, message, **extra))


def _invalid_json(detail: str) -> _HttpError:
    message = f"Request body does not contain valid JSON. {detail}"
    return _bad_request("InvalidJsonInput", message, detailedErrorMessage=detail)


def _not_found(message: str) -> _HttpError:
    return _HttpError(404, _error_body(404, "ResourceNotFound", message))


def _conflict(entity_id: str, expected: int, actual: int) -> _HttpError:
    message = f"Object {entity_id} has a different version than expected. Expected: {expected} - Actual: {actual}."
    return _HttpError(409, _error_body(409, "ConcurrentModification", message, currentVersion=actual))


def _method_not_allowed(method: str, path: str) -> _HttpError:
    return _HttpError(405, _error_body(405, "MethodNotAllowed", f"The method {method} is not allowed on {path}."))


@dataclass
class RecordedRequest:
    """One request the fake received (recorded before it answered)."""

    method: str
    path: str  # as sent, without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # 0 when the connection was dropped without an answer
    fault: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class _InjectedFault:
    kind: str
    times: int
    method: str | None
    path_prefix: str | None
    retry_after: float | None
    delay: float


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    method: str | None
    path_prefix: str | None
    retry_after: float | None
    delay: float


def _fault_matches(method: str, path: str, want_method: str | None, prefix: str | None) -> bool:
    if want_method is not None and want_method.upper() != method:
        return False
    if path.startswith("/oauth") and not (prefix is not None and prefix.startswith("/oauth")):
        return False
    return prefix is None or path.startswith(prefix)


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


class _Collection:
    """One resource's entities: dict id -> entity (creation order), sorted ids, unique indexes.

    Stored entities are never mutated (updates replace them), so a page can be serialized outside
    the lock.
    """

    __slots__ = ("by_id", "ids", "unique")

    def __init__(self, unique_fields: tuple[tuple[str, ...], ...]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        # fields -> index; an index key is the value itself (one field) or a tuple (composite)
        self.unique: dict[tuple[str, ...], dict[Any, str]] = {f: {} for f in unique_fields}

    def unique_keys(self, entity: Mapping[str, Any]) -> list[tuple[tuple[str, ...], dict[Any, str], Any]]:
        """(fields, index, key) for every unique constraint the entity has a value for."""
        out: list[tuple[tuple[str, ...], dict[Any, str], Any]] = []
        for fields, index in self.unique.items():
            if len(fields) == 1:
                key: Any = entity.get(fields[0])
                t = type(key)
                if t is str or t is int:
                    out.append((fields, index, key))
            else:
                key = tuple(entity.get(f) for f in fields)
                if all(type(v) is str or type(v) is int for v in key):
                    out.append((fields, index, key))
        return out

    def duplicate(self, entity: Mapping[str, Any], ignore_id: str | None = None) -> tuple[str, Any, str] | None:
        """(field, value, other id) of the first unique value another entity already has."""
        return self._duplicate(self.unique_keys(entity), ignore_id)

    @staticmethod
    def _duplicate(
        keys: list[tuple[tuple[str, ...], dict[Any, str], Any]], ignore_id: str | None
    ) -> tuple[str, Any, str] | None:
        for fields, index, key in keys:
            other = index.get(key)
            if other is not None and other != ignore_id:
                return ".".join(fields), key[-1] if isinstance(key, tuple) else key, other
        return None

    def index(self, entity: Mapping[str, Any]) -> None:
        entity_id = entity["id"]
        for _, index, key in self.unique_keys(entity):
            index[key] = entity_id

    def unindex(self, entity: Mapping[str, Any]) -> None:
        entity_id = entity["id"]
        for _, index, key in self.unique_keys(entity):
            if index.get(key) == entity_id:
                del index[key]

    def find_unique(self, fields: tuple[str, ...], value: tuple[Any, ...]) -> dict[str, Any] | None:
        index = self.unique.get(fields)
        if index is None:
            return None
        entity_id = index.get(value[0] if len(fields) == 1 else value)
        return None if entity_id is None else self.by_id.get(entity_id)

    def insert(self, entity: dict[str, Any], *, sort_later: bool = False) -> None:
        self.by_id[entity["id"]] = entity
        self.index(entity)
        if not sort_later:
            bisect.insort(self.ids, entity["id"])

    def replace(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.unindex(old)
        self.by_id[new["id"]] = new
        self.index(new)

    def remove(self, entity: dict[str, Any]) -> None:
        self.unindex(entity)
        del self.by_id[entity["id"]]
        pos = bisect.bisect_left(self.ids, entity["id"])
        if pos < len(self.ids) and self.ids[pos] == entity["id"]:
            del self.ids[pos]


def _raw_at(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
        if obj is None:
            return None
    return obj


def _sort_key(value: Any) -> tuple[int, Any]:
    if type(value) is bool:
        return (0, value)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value)


def _sort_entities(items: list[dict[str, Any]], sorts: Sequence[tuple[tuple[str, ...], bool]]) -> list[dict[str, Any]]:
    """Stable multi-key sort; entities missing a field sort last for either direction."""
    for path, desc in reversed(sorts):
        present: list[tuple[tuple[int, Any], dict[str, Any]]] = []
        missing: list[dict[str, Any]] = []
        for entity in items:
            v = _raw_at(entity, path)
            if v is None or isinstance(v, (dict, list)):
                missing.append(entity)
            else:
                present.append((_sort_key(v), entity))
        present.sort(key=itemgetter(0), reverse=desc)
        items = [e for _, e in present] + missing
    return items


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _first_value(action: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in action:
        return True, action[name]
    for k, v in action.items():
        if k != "action":
            return True, v
    return False, None


_INVENTORY_ACTIONS = frozenset({"changeQuantity", "addQuantity", "removeQuantity"})


def _apply_action(entity: dict[str, Any], action: Any, index: int) -> None:
    """Apply one update action generically (mutates ``entity``, a private copy)."""
    if not isinstance(action, dict) or not isinstance(action.get("action"), str) or not action["action"]:
        raise _bad_request("InvalidInput", f"actions[{index}]: an update action needs an 'action' name.")
    name: str = action["action"]
    if name in _INVENTORY_ACTIONS and "quantity" in action:
        # Inventory entries keep their stock in quantityOnStock (and availableQuantity).
        quantity = action["quantity"]
        if not isinstance(quantity, int):
            raise _bad_request("InvalidInput", f"actions[{index}]: '{name}' needs an integer 'quantity'.")
        current = entity.get("quantityOnStock", 0)
        stock = {"changeQuantity": quantity, "addQuantity": current + quantity, "removeQuantity": current - quantity}
        entity["quantityOnStock"] = entity["availableQuantity"] = stock[name]
        return
    if name == "setCustomType":
        if action.get("type") is None:
            entity.pop("custom", None)
        else:
            entity["custom"] = {"type": action["type"], "fields": _copy(action.get("fields") or {})}
        return
    if name == "setCustomField":
        field_name = action.get("name")
        if not isinstance(field_name, str):
            raise _bad_request("InvalidInput", f"actions[{index}]: setCustomField needs a 'name'.")
        custom = entity.setdefault("custom", {"fields": {}})
        fields = custom.setdefault("fields", {})
        if action.get("value") is None:
            fields.pop(field_name, None)
        else:
            fields[field_name] = _copy(action["value"])
        return
    for prefix in ("set", "change", "add", "remove"):
        if name.startswith(prefix) and len(name) > len(prefix):
            target = _lower_camel(name[len(prefix) :])
            break
    else:
        return  # an action this fake does not model (publish, recalculate, ...): accepted, no change
    if target in _SYSTEM_FIELDS:
        raise _bad_request("InvalidOperation", f"actions[{index}]: '{name}' cannot change '{target}'.")
    has_value, value = _first_value(action, target)
    value = _copy(value)
    if prefix == "set":
        if not has_value or value is None:
            entity.pop(target, None)
        else:
            entity[target] = value
    elif prefix == "change":
        if not has_value:
            raise _bad_request("InvalidInput", f"actions[{index}]: '{name}' needs a value for '{target}'.")
        entity[target] = value
    elif prefix == "add":
        current = entity.get(target)
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and (current is None or (isinstance(current, (int, float)) and not isinstance(current, bool))):
            entity[target] = (current or 0) + value
        elif isinstance(current, list):
            current.append(value)
        else:
            plural = entity.setdefault(target + "s", [])
            if isinstance(plural, list):
                plural.append(value)
    else:  # remove
        current = entity.get(target)
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and isinstance(current, (int, float)) and not isinstance(current, bool):
            entity[target] = current - value
        else:
            items = current if isinstance(current, list) else entity.get(target + "s")
            if isinstance(items, list):
                items[:] = [it for it in items if it != value and not (isinstance(it, dict) and it.get("id") == value)]


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _bad_request("InvalidInput", f"Malformed parameter: {name}: '{raw}' is not a valid integer.") from None


def _last(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


@dataclass
class _ListParams:
    limit: int
    offset: int
    with_total: bool
    sorts: list[tuple[tuple[str, ...], bool]]
    where: list[Node]
    variables: dict[str, list[str]]


def _list_params(query: Mapping[str, list[str]]) -> _ListParams:
    raw = _last(query, "limit")
    limit = 20 if raw is None else _parse_int("limit", raw)
    if limit > MAX_LIMIT:
        raise _bad_request("InvalidInput", f"The limit must not be greater than {MAX_LIMIT}.")
    if limit < 0:
        raise _bad_request("InvalidInput", "The limit must not be negative.")
    raw = _last(query, "offset")
    offset = 0 if raw is None else _parse_int("offset", raw)
    if offset > MAX_OFFSET:
        raise _bad_request("InvalidInput", f"The offset must not be greater than {MAX_OFFSET}.")
    if offset < 0:
        raise _bad_request("InvalidInput", "The offset must not be negative.")
    raw = _last(query, "withTotal")
    if raw is None or raw.lower() == "true":
        with_total = True
    elif raw.lower() == "false":
        with_total = False
    else:
        raise _bad_request("InvalidInput", f"Malformed parameter: withTotal: '{raw}' is not a boolean.")
    sorts: list[tuple[tuple[str, ...], bool]] = []
    for text in query.get("sort", []):
        parts = text.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise _bad_request(
                "InvalidInput", f"Malformed parameter: sort: '{text}' (expected 'field asc' or 'field desc')."
            )
        path = tuple(parts[0].split("."))
        if any(not p for p in path):
            raise _bad_request("InvalidInput", f"Malformed parameter: sort: '{text}' has an empty field name.")
        sorts.append((path, len(parts) == 2 and parts[1].lower() == "desc"))
    where: list[Node] = []
    for text in query.get("where", []):
        try:
            where.append(parse_where(text))
        except PredicateError as exc:
            raise _bad_request("InvalidInput", f"Malformed parameter: where: {exc}") from None
    variables = {k[4:]: v for k, v in query.items() if k.startswith("var.") and len(k) > 4}
    return _ListParams(limit, offset, with_total, sorts, where, variables)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, fake: FakeCommercetools) -> None:
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.accepted_connections = 0
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can hang without DNS
        import socketserver

        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeCommercetools/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)
            self.server.accepted_connections += 1

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_GET

    # ------------------------------------------------------------------------------------------
    def _read_body(self) -> bytes | _Response:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                try:
                    size = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    self.close_connection = True
                    return _Response(400, _dumps(_error_body(400, "InvalidInput", "Malformed chunked body.")))
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    return self._too_large()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return _Response(400, _dumps(_error_body(400, "InvalidInput", "Invalid Content-Length.")))
        if length > MAX_BODY:
            self.close_connection = True
            return self._too_large()
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _too_large() -> _Response:
        return _Response(
            413, _dumps(_error_body(413, "ContentTooLarge", "The request body exceeds the limit of 16 MB."))
        )

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: _Response, correlation_id: str, head_only: bool) -> None:
        reason = self.responses.get(response.status, ("",))[0]
        body = b"" if head_only else response.body
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(body)}",
            f"X-Correlation-ID: {correlation_id}",
        ]
        lines.extend(f"{k}: {v}" for k, v in response.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client went away (e.g. its read timeout fired during a slow answer)
            self.close_connection = True

    def _dispatch(self) -> None:
        fake = self.server.fake
        method = self.command.upper()
        split = urlsplit(self.path)
        path = split.path or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body_or_error = self._read_body()
        body = body_or_error if isinstance(body_or_error, bytes) else b""
        correlation_id = headers.get("x-correlation-id") or f"projects-{fake.project_key}-{uuid.uuid4()}"
        head_only = method == "HEAD"

        def record(status: int, fault: str | None) -> None:
            fake._record(RecordedRequest(method, path, query, headers, body, status, fault))

        if isinstance(body_or_error, _Response):
            record(body_or_error.status, None)
            self._send(body_or_error, correlation_id, head_only)
            return

        fault = fake._take_fault(method, path)
        if fault is not None and fault.kind == "apply_late":
            fake._count_fault("apply_late")
            record(0, "apply_late")
            self._drop()
            timer = threading.Timer(fault.delay, fake._handle, (method, path, query, headers, body))
            timer.daemon = True
            timer.start()
            return
        if fault is not None and fault.kind == "drop_before":
            fake._count_fault("drop_before")
            record(0, "drop_before")
            self._drop()
            return
        if fault is not None and (fault.kind in _STATUS_FAULTS or fault.kind in ("html_502", "garbage_200")):
            response = _fault_response(fault)
            fake._count_fault(fault.kind)
            record(response.status, fault.kind)
            fake._sleep(fake.latency)
            self._send(response, correlation_id, head_only)
            return

        response = fake._handle(method, path, query, headers, body)
        if fault is not None and fault.kind == "drop_after":
            fake._count_fault("drop_after")
            record(0, "drop_after")
            self._drop()
            return
        if fault is not None and fault.kind == "slow":
            fake._count_fault("slow")
            record(response.status, "slow")
            fake._sleep(fault.delay)
        else:
            record(response.status, None)
        fake._sleep(fake.latency)
        if fake._stop.is_set():  # stopped while sleeping: do not answer
            self._drop()
            return
        self._send(response, correlation_id, head_only)


def _fault_response(fault: _InjectedFault) -> _Response:
    if fault.kind == "html_502":
        return _Response(502, _HTML_502, "text/html; charset=utf-8")
    if fault.kind == "garbage_200":
        return _Response(200, b"not json", "application/json")
    status, code, message = _STATUS_FAULTS[fault.kind]
    headers: dict[str, str] = {}
    if fault.kind == "429":
        after = 1.0 if fault.retry_after is None else float(fault.retry_after)
        headers["Retry-After"] = str(int(after)) if after == int(after) else repr(after)
    return _Response(status, _dumps(_error_body(status, code, message)), headers=headers)


class FakeCommercetools:
    """An in-process fake of the commercetools auth and project APIs over real HTTP."""

    def __init__(
        self,
        *,
        project_key: str = "test-project",
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        scopes: Sequence[str] | None = None,
        token_lifetime: int = 172800,
        latency: float = 0.0,
        record_requests: bool = True,
    ) -> None:
        """``record_requests=False`` keeps :attr:`requests` empty (saves memory in long benchmarks;
        :meth:`count_requests` then counts nothing)."""
        self.project_key = project_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes: tuple[str, ...] = tuple(scopes) if scopes is not None else (f"manage_project:{project_key}",)
        self.token_lifetime = token_lifetime
        self.latency = float(latency)
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self.token_grants = 0
        self.faults_injected: dict[str, int] = {}
        self._lock = threading.RLock()
        self._collections: dict[str, _Collection] = {}
        self._tokens: dict[str, tuple[float, frozenset[str]]] = {}
        self._faults: list[_InjectedFault] = []
        self._random: _RandomFaults | None = None
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url = ""
        self._created_at = _now_iso()

    # ------------------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the auth URL and the API URL."""
        if not self._url:
            raise RuntimeError("FakeCommercetools is not started; call start() first")
        return self._url

    def start(self) -> FakeCommercetools:
        if self._httpd is not None:
            raise RuntimeError("FakeCommercetools is already started")
        self._stop.clear()
        httpd = _Server(self)
        self._httpd = httpd
        self._url = f"http://127.0.0.1:{httpd.server_port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-commercetools", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stop.set()  # wakes handlers sleeping for latency / slow faults
        httpd.shutdown()
        httpd.server_close()
        with httpd.connections_lock:
            connections = list(httpd.open_connections)
        for conn in connections:  # unblock handler threads waiting on idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None
        self._url = ""

    def __enter__(self) -> FakeCommercetools:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"FakeCommercetools(project_key={self.project_key!r}, url={self._url or 'not started'!r})"

    # -------------------------------------------------------------------------------- seeding
    def _collection(self, resource: str) -> _Collection:
        coll = self._collections.get(resource)
        if coll is None:
            coll = _Collection(_UNIQUE_FIELDS.get(resource, _DEFAULT_UNIQUE))
            self._collections[resource] = coll
        return coll

    @staticmethod
    def _prepare(coll: _Collection, entity: Mapping[str, Any], now: str, new_id: Callable[[], str]) -> dict[str, Any]:
        """A stored copy of a seeded entity, checked for duplicates and indexed (lock held)."""
        if not isinstance(entity, Mapping):
            raise TypeError(f"an entity must be a dict, not {type(entity).__name__}")
        entity_id = entity.get("id")
        if entity_id is None:
            entity_id = new_id()
        elif not isinstance(entity_id, str):
            raise ValueError(f"entity id must be a string: {entity_id!r}")
        if entity_id in coll.by_id:
            raise ValueError(f"an entity with id {entity_id!r} already exists")
        created = entity.get("createdAt", now)
        e: dict[str, Any] = {
            "id": entity_id,
            "version": entity.get("version", 1),
            "createdAt": created,
            "lastModifiedAt": entity.get("lastModifiedAt", created),
        }
        for k, v in entity.items():
            if k not in e:
                t = type(v)
                e[k] = _copy(v) if t is dict or t is list else v
        keys = coll.unique_keys(e)
        if keys:
            dup = coll._duplicate(keys, None)
            if dup is not None:
                raise ValueError(f"duplicate value {dup[1]!r} for unique field {dup[0]!r}")
            for _, index, key in keys:
                index[key] = entity_id
        coll.by_id[entity_id] = e
        return e

    def add(self, resource: str, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``entity`` (no HTTP); fills id, version, createdAt, lastModifiedAt unless given."""
        with self._lock:
            coll = self._collection(resource)
            e = self._prepare(coll, entity, _now_iso(), _uuid4)
            bisect.insort(coll.ids, e["id"])
            return _copy(e)

    def add_many(self, resource: str, entities: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store many entities quickly (50,000 in well under 2 s); returns their ids in order."""
        now = _now_iso()
        added: list[str] = []
        new_id = _UuidBatch().next
        with self._lock:
            coll = self._collection(resource)
            try:
                for entity in entities:
                    added.append(self._prepare(coll, entity, now, new_id)["id"])
            finally:
                if len(added) > 64:
                    coll.ids.extend(added)
                    coll.ids.sort()
                else:
                    for entity_id in added:
                        bisect.insort(coll.ids, entity_id)
        return added

    def entities(self, resource: str) -> list[dict[str, Any]]:
        """Copies of all entities of ``resource``, in creation order."""
        with self._lock:
            coll = self._collections.get(resource)
            return [] if coll is None else [_copy(e) for e in coll.by_id.values()]

    def get_entity(self, resource: str, id: str) -> dict[str, Any] | None:
        with self._lock:
            coll = self._collections.get(resource)
            e = None if coll is None else coll.by_id.get(id)
            return None if e is None else _copy(e)

    def clear(self) -> None:
        """Remove every stored entity (tokens, the request log and faults are kept)."""
        with self._lock:
            self._collections.clear()

    # ------------------------------------------------------------------------------ observing
    def _record(self, rec: RecordedRequest) -> None:
        if not self.record_requests:
            return
        with self._lock:
            self.requests.append(rec)

    def count_requests(self, method: str | None = None, path_prefix: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def reset_log(self) -> None:
        """Forget recorded requests, the token grant count and the served-fault counts."""
        with self._lock:
            self.requests.clear()
            self.token_grants = 0
            self.faults_injected.clear()

    # --------------------------------------------------------------------------------- faults
    def inject(
        self,
        fault: str,
        *,
        times: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests (queued faults apply in order)."""
        if fault not in FAULT_KINDS | _INJECT_ONLY:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULT_KINDS | _INJECT_ONLY))}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(_InjectedFault(fault, times, method, path_prefix, retry_after, delay))

    def set_random_faults(
        self,
        rate: float,
        kinds: Sequence[str],
        seed: int = 0,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Fault each matching request with probability ``rate`` (a kind drawn from ``kinds``).

        Deterministic given ``seed`` and the order of requests. ``rate`` 0 disables.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(sorted(FAULT_KINDS))}")
        with self._lock:
            if rate == 0 or not kinds:
                self._random = None
            else:
                self._random = _RandomFaults(
                    rate, tuple(kinds), random.Random(seed), method, path_prefix, retry_after, delay
                )

    def clear_faults(self) -> None:
        """Drop queued faults and disable random faults."""
        with self._lock:
            self._faults.clear()
            self._random = None

    def _take_fault(self, method: str, path: str) -> _InjectedFault | None:
        with self._lock:
            for i, f in enumerate(self._faults):
                if _fault_matches(method, path, f.method, f.path_prefix):
                    f.times -= 1
                    if f.times <= 0:
                        del self._faults[i]
                    return f
            rnd = self._random
            if (
                rnd is not None
                and _fault_matches(method, path, rnd.method, rnd.path_prefix)
                and rnd.rng.random() < rnd.rate
            ):
                kind = rnd.kinds[rnd.rng.randrange(len(rnd.kinds))]
                return _InjectedFault(kind, 1, None, None, rnd.retry_after, rnd.delay)
        return None

    def _count_fault(self, kind: str) -> None:
        with self._lock:
            self.faults_injected[kind] = self.faults_injected.get(kind, 0) + 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes invalid (401 invalid_token); new grants work."""
        with self._lock:
            self._tokens.clear()

    # ------------------------------------------------------------------------------- handling
    def _handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        try:
            if path == "/oauth/token" or path.startswith("/oauth/"):
                return self._oauth(method, path, query, headers, body)
            return self._api(method, path, query, headers, body)
        except _HttpError as exc:
            return _Response(exc.status, _dumps(exc.body), headers=exc.headers)
        except Exception as exc:  # a bug in the fake: answer like the API would, keep serving
            return _Response(500, _dumps(_error_body(500, "General", f"Fake server error: {exc!r}")))

    # auth ------------------------------------------------------------------------------------
    def _oauth(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        if path.rstrip("/") != "/oauth/token":
            raise _not_found(f"The endpoint '{path}' was not found.")
        if method != "POST":
            raise _method_not_allowed(method, path)
        if not self._client_authenticated(headers.get("authorization", "")):
            message = "Please provide valid client credentials using HTTP Basic Authentication."
            raise _HttpError(
                401, _oauth_error_body(401, "invalid_client", message), {"WWW-Authenticate": 'Basic realm="ct"'}
            )
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        grant_type = (form.get("grant_type") or [""])[-1]
        if grant_type != "client_credentials":
            message = f"Unsupported grant type '{grant_type}': use 'client_credentials'."
            raise _HttpError(400, _oauth_error_body(400, "unsupported_grant_type", message))
        scope_text = (form.get("scope") or query.get("scope") or [""])[-1]
        requested = scope_text.split()
        for scope in requested:
            if scope not in self.scopes:
                raise _HttpError(400, _oauth_error_body(400, "invalid_scope", f"Invalid scope: {scope}"))
        granted = tuple(dict.fromkeys(requested)) if requested else self.scopes
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (time.monotonic() + self.token_lifetime, frozenset(granted))
            self.token_grants += 1
        payload = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": " ".join(granted),
        }
        return _Response(200, _dumps(payload))

    def _client_authenticated(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return False
        if (client_id, secret) == (self.client_id, self.client_secret):
            return True
        return (unquote_plus(client_id), unquote_plus(secret)) == (self.client_id, self.client_secret)

    def _token_scopes(self, headers: Mapping[str, str]) -> frozenset[str]:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            entry = self._tokens.get(token) if scheme.lower() == "bearer" and token else None
            if entry is not None and entry[0] <= time.monotonic():
                del self._tokens[token]
                entry = None
        if entry is None:
            message = "The provided access token is invalid."
            raise _HttpError(401, _oauth_error_body(401, "invalid_token", message), {"WWW-Authenticate": "Bearer"})
        return entry[1]

    def _check_scope(self, scopes: frozenset[str], method: str, resource: str | None, store: str | None) -> None:
        pk = self.project_key
        if f"manage_project:{pk}" in scopes:
            return
        read = method in _READ_METHODS
        if resource is None:
            if any(s.split(":")[1:2] == [pk] for s in scopes):
                return
            missing = "manage_project"
        else:
            family = _SCOPE_FAMILY.get(resource, resource.replace("-", "_"))
            for fam in (family, *_SCOPE_ALTERNATIVES.get(resource, ())):
                perms = (f"manage_{fam}", f"view_{fam}") if read else (f"manage_{fam}",)
                for perm in perms:
                    if f"{perm}:{pk}" in scopes or (store is not None and f"{perm}:{pk}:{store}" in scopes):
                        return
            missing = f"{'view' if read else 'manage'}_{family}"
        message = f"Insufficient scope. One of the following scopes is missing: {missing}"
        raise _HttpError(403, _oauth_error_body(403, "insufficient_scope", message))

    # API -------------------------------------------------------------------------------------
    def _api(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        if not parts:
            raise _not_found(f"The endpoint '{path}' was not found.")
        scopes = self._token_scopes(headers)
        if parts[0] != self.project_key:
            message = (
                f"Insufficient scope. The access token does not grant access to project '{parts[0]}'. "
                f"One of the following scopes is missing: manage_project:{parts[0]}"
            )
            raise _HttpError(403, _oauth_error_body(403, "insufficient_scope", message))
        rest = parts[1:]
        scoped: tuple[str, str, str] | None = None  # (entity field, key, typeId)
        if len(rest) >= 2 and rest[0] in _SCOPED_PATHS and rest[1].startswith("key="):
            field_name, type_id = _SCOPED_PATHS[rest[0]]
            scoped = (field_name, rest[1][4:], type_id)
            rest = rest[2:]
        if not rest:
            if scoped is not None:
                raise _not_found(f"The endpoint '{path}' was not found.")
            self._check_scope(scopes, method, None, None)
            if method not in _READ_METHODS:
                raise _method_not_allowed(method, path)
            return _Response(200, _dumps(self._project()))
        resource = rest[0]
        store = scoped[1] if scoped is not None and scoped[0] == "store" else None
        self._check_scope(scopes, method, resource, store)
        if resource == "custom-objects" and scoped is None:
            return self._custom_objects(method, path, rest[1:], query, body)
        if len(rest) == 1:
            if method in _READ_METHODS:
                return self._list(resource, query, scoped, method == "HEAD")
            if method == "POST":
                return self._create(resource, body, scoped)
            raise _method_not_allowed(method, path)
        if len(rest) == 2:
            if method in _READ_METHODS:
                with self._lock:
                    entity = self._lookup(resource, rest[1], scoped)
                return _Response(200, _dumps(entity))
            if method == "POST":
                return self._update(resource, rest[1], body, scoped)
            if method == "DELETE":
                return self._delete(resource, rest[1], query, scoped)
            raise _method_not_allowed(method, path)
        raise _not_found(f"The endpoint '{path}' was not found.")

    def _project(self) -> dict[str, Any]:
        pk = self.project_key
        return {
            "key": pk,
            "name": f"Test project {pk}",
            "countries": ["DE", "US"],
            "currencies": ["EUR", "USD"],
            "languages": ["en", "de"],
            "createdAt": self._created_at,
            "version": 1,
            "messages": {"enabled": True, "deleteDaysAfterCreation": 15},
        }

    @staticmethod
    def _in_scope(entity: Mapping[str, Any], scoped: tuple[str, str, str] | None) -> bool:
        if scoped is None:
            return True
        ref = entity.get(scoped[0])
        return isinstance(ref, dict) and ref.get("key") == scoped[1]

    def _lookup(self, resource: str, ident: str, scoped: tuple[str, str, str] | None) -> dict[str, Any]:
        """The stored entity for an id / key= / order-number= path segment (call with the lock held)."""
        coll = self._collections.get(resource)
        entity: dict[str, Any] | None = None
        if ident.startswith("key="):
            value = ident[4:]
            if coll is not None:
                entity = coll.find_unique(("key",), (value,))
            missing = f"The Resource with key '{value}' was not found."
        elif resource == "orders" and ident.startswith("order-number="):
            value = ident[len("order-number=") :]
            if coll is not None:
                entity = coll.find_unique(("orderNumber",), (value,))
            missing = f"The Resource with order number '{value}' was not found."
        else:
            if coll is not None:
                entity = coll.by_id.get(ident)
            missing = f"The Resource with ID '{ident}' was not found."
        if entity is None or not self._in_scope(entity, scoped):
            raise _not_found(missing)
        return entity

    @staticmethod
    def _parse_json_object(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, ValueError) as exc:
            raise _invalid_json(f"Malformed JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise _invalid_json("The body must be a JSON object.")
        return data

    @staticmethod
    def _duplicate_error(resource: str, dup: tuple[str, Any, str]) -> _HttpError:
        field_name, value, other = dup
        message = f"A duplicate value '{json.dumps(value)}' exists for field '{field_name}'."
        return _bad_request(
            "DuplicateField",
            message,
            field=field_name,
            duplicateValue=value,
            conflictingResource={"typeId": _type_id(resource), "id": other},
        )

    def _create(self, resource: str, body: bytes, scoped: tuple[str, str, str] | None) -> _Response:
        draft = self._parse_json_object(body)
        now = _now_iso()
        entity: dict[str, Any] = {"id": str(uuid.uuid4()), "version": 1, "createdAt": now, "lastModifiedAt": now}
        for k, v in draft.items():
            if k not in _SYSTEM_FIELDS:
                entity[k] = v
        if scoped is not None:
            entity[scoped[0]] = {"typeId": scoped[2], "key": scoped[1]}
        with self._lock:
            coll = self._collection(resource)
            dup = coll.duplicate(entity)
            if dup is not None:
                raise self._duplicate_error(resource, dup)
            coll.insert(entity)
        payload: Any = {"customer": entity} if resource == "customers" else entity
        return _Response(201, _dumps(payload))

    @staticmethod
    def _expected_version(data: Mapping[str, Any], required: bool = True) -> int | None:
        if "version" not in data or data["version"] is None:
            if required:
                raise _invalid_json("version: Missing required value.")
            return None
        version = data["version"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise _invalid_json(f"version: JSON number expected, got {json.dumps(version)}.")
        return version

    def _update(self, resource: str, ident: str, body: bytes, scoped: tuple[str, str, str] | None) -> _Response:
        data = self._parse_json_object(body)
        version = self._expected_version(data)
        actions = data.get("actions")
        if not isinstance(actions, list):
            if actions is None:
                raise _invalid_json("actions: Missing required value.")
            raise _invalid_json("actions: JSON array expected.")
        with self._lock:
            current = self._lookup(resource, ident, scoped)
            if version != current["version"]:
                raise _conflict(current["id"], version or 0, current["version"])
            new = _copy(current)
            for i, action in enumerate(actions):
                _apply_action(new, action, i)
            new["version"] = current["version"] + 1
            new["lastModifiedAt"] = _now_iso()
            coll = self._collection(resource)
            dup = coll.duplicate(new, ignore_id=new["id"])
            if dup is not None:
                raise self._duplicate_error(resource, dup)
            coll.replace(current, new)
        return _Response(200, _dumps(new))

    def _delete(
        self, resource: str, ident: str, query: Mapping[str, list[str]], scoped: tuple[str, str, str] | None
    ) -> _Response:
        raw = _last(query, "version")
        if raw is None:
            raise _bad_request("InvalidInput", "Missing version")
        version = _parse_int("version", raw)
        with self._lock:
            current = self._lookup(resource, ident, scoped)
            if version != current["version"]:
                raise _conflict(current["id"], version, current["version"])
            self._collection(resource).remove(current)
        return _Response(200, _dumps(current))

    # custom objects ----------------------------------------------------------------------------
    def _custom_objects(
        self, method: str, path: str, rest: list[str], query: dict[str, list[str]], body: bytes
    ) -> _Response:
        resource = "custom-objects"
        if not rest:
            if method in _READ_METHODS:
                return self._list(resource, query, None, method == "HEAD")
            if method == "POST":
                return self._upsert_custom_object(body)
            raise _method_not_allowed(method, path)
        if len(rest) == 1:
            if method in _READ_METHODS:
                container = rest[0]
                extra: Callable[[dict[str, Any]], bool] = lambda e: e.get("container") == container  # noqa: E731
                return self._list(resource, query, None, method == "HEAD", extra)
            raise _method_not_allowed(method, path)
        if len(rest) == 2:
            container, key = rest
            missing = f"The CustomObject with container '{container}' and key '{key}' was not found."
            if method in _READ_METHODS:
                with self._lock:
                    coll = self._collections.get(resource)
                    entity = None if coll is None else coll.find_unique(("container", "key"), (container, key))
                if entity is None:
                    raise _not_found(missing)
                return _Response(200, _dumps(entity))
            if method == "DELETE":
                raw = _last(query, "version")
                version = None if raw is None else _parse_int("version", raw)
                with self._lock:
                    coll = self._collections.get(resource)
                    entity = None if coll is None else coll.find_unique(("container", "key"), (container, key))
                    if entity is None:
                        raise _not_found(missing)
                    if version is not None and version != entity["version"]:
                        raise _conflict(entity["id"], version, entity["version"])
                    self._collection(resource).remove(entity)
                return _Response(200, _dumps(entity))
            raise _method_not_allowed(method, path)
        raise _not_found(f"The endpoint '{path}' was not found.")

    def _upsert_custom_object(self, body: bytes) -> _Response:
        data = self._parse_json_object(body)
        for name in ("container", "key"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise _invalid_json(f"{name}: Missing required value (a non-empty string).")
        if data.get("value") is None:
            raise _invalid_json("value: Missing required value.")
        version = self._expected_version(data, required=False)
        container, key = data["container"], data["key"]
        now = _now_iso()
        with self._lock:
            coll = self._collection("custom-objects")
            current = coll.find_unique(("container", "key"), (container, key))
            if current is None:
                entity: dict[str, Any] = {
                    "id": str(uuid.uuid4()),
                    "version": 1,
                    "createdAt": now,
                    "lastModifiedAt": now,
                    "container": container,
                    "key": key,
                    "value": data["value"],
                }
                coll.insert(entity)
                return _Response(201, _dumps(entity))
            if version is not None and version != current["version"]:
                raise _conflict(current["id"], version, current["version"])
            new = dict(current)
            new["value"] = data["value"]
            new["version"] = current["version"] + 1
            new["lastModifiedAt"] = now
            coll.replace(current, new)
        return _Response(200, _dumps(new))

    # queries -----------------------------------------------------------------------------------
    def _list(
        self,
        resource: str,
        query: dict[str, list[str]],
        scoped: tuple[str, str, str] | None,
        head_only: bool,
        extra: Callable[[dict[str, Any]], bool] | None = None,
    ) -> _Response:
        params = _list_params(query)
        sorts = params.sorts
        id_sort = len(sorts) == 1 and sorts[0][0] == ("id",)
        lo_value: tuple[str, bool] | None = None  # (value, inclusive)
        hi_value: tuple[str, bool] | None = None
        residual: list[Node] = []
        for node in (c for w in params.where for c in conjuncts(w)):
            bound = _id_bound(node, params.variables) if id_sort else None
            if bound is None:
                residual.append(node)
                continue
            op, value = bound
            if op in (">", ">=", "="):
                cand = (value, op != ">")
                if lo_value is None or cand[0] > lo_value[0] or (cand[0] == lo_value[0] and not cand[1]):
                    lo_value = cand
            if op in ("<", "<=", "="):
                cand = (value, op != "<")
                if hi_value is None or cand[0] < hi_value[0] or (cand[0] == hi_value[0] and not cand[1]):
                    hi_value = cand
        try:
            checks = [bind(node, params.variables) for node in residual]
        except PredicateError as exc:
            raise _bad_request("InvalidInput", f"Malformed parameter: where: {exc}") from None
        if scoped is not None:
            field_name, scope_key = scoped[0], scoped[1]

            def in_scope(e: dict[str, Any]) -> bool:
                ref = e.get(field_name)
                return type(ref) is dict and ref.get("key") == scope_key

            checks.append(in_scope)
        if extra is not None:
            checks.insert(0, extra)
        pred: Callable[[dict[str, Any]], bool] | None
        if not checks:
            pred = None
        elif len(checks) == 1:
            pred = checks[0]
        else:
            pred = lambda e: all(c(e) for c in checks)  # noqa: E731

        limit, offset, with_total = params.limit, params.offset, params.with_total
        need = offset + limit
        page: list[dict[str, Any]] = []
        matched = 0
        with self._lock:
            coll = self._collections.get(resource)
            if coll is None:
                pass
            elif id_sort:
                ids, by_id = coll.ids, coll.by_id
                lo = 0
                hi = len(ids)
                if lo_value is not None:
                    lo = (bisect.bisect_left if lo_value[1] else bisect.bisect_right)(ids, lo_value[0])
                if hi_value is not None:
                    hi = (bisect.bisect_right if hi_value[1] else bisect.bisect_left)(ids, hi_value[0])
                positions = range(lo, hi) if not sorts[0][1] else range(hi - 1, lo - 1, -1)
                for i in positions:
                    if matched >= need and not with_total:
                        break
                    e = by_id[ids[i]]
                    if pred is not None and not pred(e):
                        continue
                    matched += 1
                    if offset < matched <= need:
                        page.append(e)
            elif not sorts:
                for e in coll.by_id.values():
                    if matched >= need and not with_total:
                        break
                    if pred is not None and not pred(e):
                        continue
                    matched += 1
                    if offset < matched <= need:
                        page.append(e)
            else:
                items = [e for e in coll.by_id.values() if pred is None or pred(e)]
                matched = len(items)
                page = _sort_entities(items, sorts)[offset:need]
        if head_only:
            return _Response(200 if matched else 404)
        result: dict[str, Any] = {"limit": limit, "offset": offset, "count": len(page)}
        if with_total:
            result["total"] = matched
        result["results"] = page
        return _Response(200, _dumps(result))


def _id_bound(node: Node, variables: Mapping[str, list[str]]) -> tuple[str, str] | None:
    """``(op, value)`` when ``node`` is ``id <op> "<string>"`` usable as a range bound."""
    if not isinstance(node, Compare) or node.path != ("id",) or node.op not in (">", ">=", "<", "<=", "="):
        return None
    operand = node.operand
    if isinstance(operand, Literal):
        value = operand.value
    elif isinstance(operand, Var):
        values = variables.get(operand.name)
        if not values or len(values) != 1:
            return None
        value = values[0]
    else:  # pragma: no cover
        return None
    return (node.op, value) if isinstance(value, str) else None


_CONNECTION_FIELDS = frozenset({"conn_type", "host", "login", "password", "schema", "port", "description"})


def connection_json(server: FakeCommercetools, **extra_overrides: Any) -> str:
    """The Airflow connection (JSON, as for ``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``) for ``server``.

    Keyword arguments override fields: connection fields (``host``, ``login``, ``password``,
    ``conn_type``, ``schema``, ``port``, ``description``) at the top level, anything else inside
    ``extra``; a value of ``None`` removes the field.
    """
    conn: dict[str, Any] = {
        "conn_type": "commercetools",
        "host": server.url,
        "login": server.client_id,
        "password": server.client_secret,
        "extra": {"project_key": server.project_key, "auth_url": server.url},
    }
    for name, value in extra_overrides.items():
        target = conn if name in _CONNECTION_FIELDS else conn["extra"]
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return json.dumps(conn)
