"""Publishing batches to commercetools: items become validated requests, sent concurrently, one result each.

It knows nothing of Airflow: ``CommercetoolsPublisherOperator`` renders its parameters, hands them to
:class:`Publisher` and writes the results.

**Items.** An item is a dict ``{"path": {...}, "query": {...}, "payload": ...}`` (each key optional) whose
keys are merged over the defaults (item keys win; ``path`` and ``query`` key by key, a dict
``payload`` key by key, any other payload replaces the default). A dict with none of those three keys
is taken as the payload itself (an entity or draft, e.g. a line written by the subscriber). A result
record written by a previous run (``{"index", "status", "item", ...}``) stands for its original
item: failed and not-sent records are sent again, succeeded ones are skipped.

**What a request does** follows commercetools: ``POST`` to a collection creates (the payload is the
draft); ``POST`` to one entity (``path`` with ``id``, ``key``...) updates with
``{"version", "actions"}``; ``DELETE`` to one entity sends ``version`` as a query parameter (taken
from ``query`` or from the payload's ``version``); ``GET`` and ``HEAD`` read. Custom objects are
written by ``POST custom-objects`` with ``{container, key, value}`` (an upsert).

**Results.** Every item ends as ``succeeded``, ``failed`` (with its error and original item),
``not_sent`` (``on_error="fail"`` stopped the batch before it) or ``skipped`` (a record that had
succeeded in an earlier run). They are produced in input order, streaming, with at most a few
requests per worker in flight.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_commercetools.commercetools.checks import (
    check_choice,
    check_count,
    check_mapping,
    check_payload,
    check_query,
    check_target,
    short,
)
from airflow_provider_commercetools.commercetools.entities import Entity, get_entity, resolve_path
from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    CommercetoolsError,
    ConcurrentModificationError,
    ConfigurationError,
    NotFoundError,
    OutcomeUnknownError,
    RequestError,
    RetriesExhaustedError,
)

log = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("POST", "DELETE", "GET", "HEAD")
READ_METHODS = frozenset({"GET", "HEAD"})
#: ``fail``: a 409 fails the item; ``retry``: re-send with the current version; ``latest``: like
#: ``retry``, and updates / deletes given without a version read the current one first.
ON_CONFLICT: tuple[str, ...] = ("fail", "retry", "latest")
#: ``fail``: stop at the first failed item; ``continue``: publish all, then fail; ``skip``: publish all, succeed.
ON_ERROR: tuple[str, ...] = ("fail", "continue", "skip")

SUCCEEDED = "succeeded"
FAILED = "failed"
NOT_SENT = "not_sent"
SKIPPED = "skipped"
STATUSES: tuple[str, ...] = (SUCCEEDED, FAILED, NOT_SENT, SKIPPED)
#: Statuses whose records carry the original item, to be sent again.
TO_RESEND = frozenset({FAILED, NOT_SENT})

ITEM_KEYS = frozenset({"path", "query", "payload"})
RESULT_KEYS = frozenset(
    {"index", "status", "request", "response", "error", "item", "recovered", "conflict_retries", "note"}
)
#: A create whose response was lost is sent again at most this often, each time only after a
#: look-up by its key found nothing.
MAX_CREATE_RESENDS = 2
#: Fields of a response kept in a result (never the whole entity).
SUMMARY_FIELDS = ("id", "version", "key", "container", "orderNumber")

# what a request does
READ = "read"
CREATE = "create"
UPSERT = "upsert"  # custom objects: POST custom-objects with {container, key, value}
UPDATE = "update"
DELETE = "delete"
WRITE = "write"  # a POST to a raw endpoint that is not an update


class Sender(Protocol):
    """What the publisher needs of a client: :meth:`CommercetoolsClient.request`."""

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        payload: Any = None,
        idempotent: bool | None = None,
    ) -> Any: ...


# -- parameters ----------------------------------------------------------------------------------


def check_method(method: Any) -> str:
    if isinstance(method, str) and method.strip().upper() in METHODS:
        return method.strip().upper()
    raise ConfigurationError(
        "method",
        f"unknown method {short(method)}.",
        f"Use one of {', '.join(METHODS)} (POST creates or updates, DELETE deletes, GET/HEAD read).",
    )


def _version(parameter: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ConfigurationError(parameter, f"{short(value)} is not a version number.", "Give the entity's version.")


@dataclass(frozen=True)
class PublishDefaults:
    """The operator-level request: method, target, and default path / query / payload for every item."""

    method: str
    entity: Entity | None
    endpoint: str | None
    path: dict[str, Any]
    query: dict[str, Any]
    payload: Any

    @classmethod
    def create(
        cls,
        *,
        method: Any = "POST",
        entity: Any = None,
        endpoint: Any = None,
        path: Any = None,
        query: Any = None,
        payload: Any = None,
    ) -> PublishDefaults:
        """Validate rendered parameters (native values), naming the parameter in every error."""
        method = check_method(method)
        entity, endpoint = check_target(entity, endpoint)
        spec = get_entity(entity) if entity is not None else None
        if spec is not None and spec.read_only and method not in READ_METHODS:
            raise ConfigurationError("method", f"{spec.name} is read-only: {method} is not possible.", "Use GET.")
        check_payload("payload", payload)
        return cls(
            method=method,
            entity=spec,
            endpoint=endpoint,
            path=check_mapping("path", path),
            query=check_query("query", query),
            payload=payload,
        )

    @property
    def target(self) -> str:
        return self.entity.name if self.entity else str(self.endpoint)


def failures_location(output_path: str) -> str:
    """Where the failed items go, beside ``output_path``: ``results.jsonl`` -> ``results.failures.jsonl``."""
    head, sep, name = output_path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in ("jsonl", "ndjson", "json"):
        return f"{head}{sep}{stem}.failures.{extension}"
    return f"{head}{sep}{name}.failures.jsonl"


@dataclass(frozen=True)
class UnreadableItem:
    """An input line that could not be read as JSON: it becomes a failed item, the rest goes on."""

    text: str
    problem: str


# -- requests and results ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedRequest:
    """One item turned into a request, validated, not yet sent."""

    index: int
    item: Any
    method: str
    operation: str
    path: str
    query: dict[str, Any]
    payload: Any
    #: for updates and deletes: the version to send first (None: read it first, "latest" mode)
    version: int | None = None
    #: where the version goes: "payload" (updates, upserts), "query" (deletes) or None
    version_in: str | None = None
    #: for creates: the path reading the entity by the unique value the draft supplies, and its description
    lookup_path: str | None = None
    lookup_by: str = ""

    @property
    def describe(self) -> str:
        return f"{self.method} {self.path}"

    def body(self, version: int | None) -> tuple[dict[str, Any], Any]:
        """The query and payload to send with ``version``."""
        if version is None or self.version_in is None:
            return self.query, self.payload
        if self.version_in == "query":
            return {**self.query, "version": version}, self.payload
        return self.query, {**self.payload, "version": version}


def describe_error(error: BaseException) -> dict[str, Any]:
    """What a result says about an error: type, HTTP status, codes, message, correlation id."""
    summary: dict[str, Any] = {"type": type(error).__name__}
    if isinstance(error, RequestError):
        summary.update(status=error.status_code, codes=list(error.codes))
    if isinstance(error, ConfigurationError):
        summary["parameter"] = error.parameter
    if isinstance(error, RetriesExhaustedError):
        summary["attempts"] = error.attempts
    summary["message"] = str(error) or repr(error)
    if isinstance(error, RequestError):
        summary["correlation_id"] = error.correlation_id
    return summary


def summarise_response(body: Any, method: str) -> dict[str, Any]:
    """The identifying fields of a response (id, version, key...), never the whole entity."""
    if method == "HEAD":
        return {"exists": bool(body)}
    if isinstance(body, dict) and len(body) == 1:
        (only,) = body.values()  # customers answer {"customer": {...}}
        if isinstance(only, dict) and "id" in only:
            body = only
    if not isinstance(body, dict):
        return {}
    if isinstance(body.get("results"), list):
        return {k: body[k] for k in ("count", "total", "offset") if k in body}
    return {k: body[k] for k in SUMMARY_FIELDS if k in body and not isinstance(body[k], dict | list)}


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return {"unserialisable": short(value)}
    return value


@dataclass
class ItemResult:
    """What became of one item."""

    index: int
    status: str
    request: str
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    item: Any = None
    recovered: bool = False
    conflict_retries: int = 0
    note: str = ""
    #: the exception behind a failure (not part of the record)
    cause: BaseException | None = field(default=None, repr=False, compare=False)

    def to_record(self, *, with_item: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; failed and not-sent records carry the original item (to send again)."""
        record: dict[str, Any] = {"index": self.index, "status": self.status, "request": self.request}
        if self.response is not None:
            record["response"] = self.response
        if self.error is not None:
            record["error"] = self.error
        if self.recovered:
            record["recovered"] = True
        if self.conflict_retries:
            record["conflict_retries"] = self.conflict_retries
        if self.note:
            record["note"] = self.note
        if with_item and self.status in TO_RESEND:
            record["item"] = _json_safe(self.item)
        return record


def is_result_record(value: Any) -> bool:
    """Whether ``value`` is a record written by a previous run (and not an item or an entity)."""
    return (
        isinstance(value, Mapping)
        and value.get("status") in STATUSES
        and isinstance(value.get("index"), int)
        and "request" in value
        and set(value) <= RESULT_KEYS
    )


# -- the publisher -------------------------------------------------------------------------------


@dataclass
class _Progress:
    conflict_retries: int = 0
    recovered: bool = False
    note: str = ""


class Publisher:
    """Sends prepared requests through one client from ``max_workers`` threads; yields results in order.

    :param client: the commercetools client (one session and one token shared by every thread).
    :param defaults: the validated operator-level request.
    :param on_conflict: ``fail``, ``retry`` or ``latest`` (see :data:`ON_CONFLICT`).
    :param max_conflict_retries: how often one item is re-sent after a 409.
    :param max_workers: requests in parallel.
    :param stop_on_failure: after the first failure, send nothing more (``on_error="fail"``).
    :param single: the defaults are the only item (no ``items``): errors name the parameters directly.
    :param resend_unknown: re-send failed records of an earlier run whose create had an unknown outcome
        although the draft has no key to look it up by (it may then exist twice).
    """

    def __init__(
        self,
        client: Sender,
        defaults: PublishDefaults,
        *,
        on_conflict: str = "fail",
        max_conflict_retries: int = 3,
        max_workers: int = 1,
        stop_on_failure: bool = True,
        single: bool = False,
        resend_unknown: bool = False,
        logger: logging.Logger | Any = None,
    ) -> None:
        self.client = client
        self.defaults = defaults
        self.on_conflict = check_choice("on_conflict", on_conflict, ON_CONFLICT)
        self.max_conflict_retries = check_count("max_conflict_retries", max_conflict_retries, 0)
        self.max_workers = check_count("max_workers", max_workers, 1)
        self.stop_on_failure = stop_on_failure
        self.single = single
        self.resend_unknown = resend_unknown
        self.log = logger or log
        self._stop = threading.Event()

    def stop(self) -> None:
        """Send nothing more (requests in flight finish); what is left is reported as not sent."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # -- preparing -----------------------------------------------------------------------------

    def prepare(self, index: int, raw: Any) -> PreparedRequest | ItemResult:
        """Validate one item and build its request; an invalid item becomes a failed result."""
        item = raw
        if is_result_record(raw):
            if raw["status"] not in TO_RESEND:
                return ItemResult(
                    index,
                    SKIPPED,
                    str(raw.get("request", "")),
                    response=raw.get("response") if isinstance(raw.get("response"), dict) else None,
                    note="succeeded in an earlier run; not sent again",
                )
            item = raw.get("item")
        try:
            prepared = self._build(index, item)
        except ConfigurationError as error:
            original = item.text if isinstance(item, UnreadableItem) else item
            return ItemResult(
                index, FAILED, self._fallback_describe(), error=describe_error(error), item=original, cause=error
            )
        if (
            is_result_record(raw)
            and (raw.get("error") or {}).get("type") == OutcomeUnknownError.__name__
            and prepared.operation == CREATE
            and prepared.lookup_path is None
            and not self.resend_unknown
        ):
            # Sending it again could create it twice: nothing identifies it to look it up first.
            return ItemResult(
                index,
                FAILED,
                prepared.describe,
                error=raw["error"],
                item=item,
                note=(
                    "not sent again: its outcome was unknown in an earlier run and the draft has no key to check "
                    "it by; check commercetools, then give it a key or set resend_unknown=True"
                ),
            )
        return prepared

    def prepare_all(self, items: Iterable[Any], *, strict: bool | None = None) -> list[PreparedRequest | ItemResult]:
        """Validate every item of an in-memory batch before anything is sent.

        When ``strict`` (default: ``stop_on_failure``) the first invalid item raises its
        :class:`ConfigurationError` (saying how many are invalid), so that nothing at all is sent;
        otherwise invalid items become failed results and the valid ones are sent.
        """
        prepared = [self.prepare(index, raw) for index, raw in enumerate(items)]
        invalid = [p.cause for p in prepared if isinstance(p, ItemResult) and isinstance(p.cause, ConfigurationError)]
        if invalid and (self.stop_on_failure if strict is None else strict):
            first = invalid[0]
            if len(invalid) > 1:
                raise ConfigurationError(
                    first.parameter,
                    f"{first.problem} ({len(invalid)} of {len(prepared)} items are invalid; nothing was sent.)",
                    first.fix or "Fix the items, or set on_error='continue' or 'skip' to send the valid ones.",
                )
            raise first
        return prepared

    def iter_prepared(self, items: Iterable[Any]) -> Iterator[PreparedRequest | ItemResult]:
        """Validate items one by one as they are read (for streamed input)."""
        for index, raw in enumerate(items):
            yield self.prepare(index, raw)

    def _label(self, index: int) -> str:
        return "" if self.single else f"items[{index}]"

    def _fallback_describe(self) -> str:
        return f"{self.defaults.method} {self.defaults.target}"

    def _build(self, index: int, item: Any) -> PreparedRequest:
        d = self.defaults
        label = self._label(index)

        def name(part: str) -> str:
            return f"{label}.{part}" if label else part

        if isinstance(item, UnreadableItem):
            raise ConfigurationError(label or "items", item.problem, "Fix the line and send it again.")
        if not isinstance(item, Mapping):
            raise ConfigurationError(
                label or "items",
                f"must be a dict, got {type(item).__name__} {short(item)}.",
                "Give {'path': {...}, 'query': {...}, 'payload': {...}} (each optional), or the payload itself.",
            )
        if ITEM_KEYS & item.keys():
            unknown = sorted(str(k) for k in item if k not in ITEM_KEYS)
            if unknown:
                raise ConfigurationError(
                    label or "items",
                    f"has keys {unknown} next to {sorted(ITEM_KEYS & item.keys())}.",
                    "An item has only 'path', 'query' and 'payload'; put entity fields inside 'payload'.",
                )
            path = {**d.path, **check_mapping(name("path"), item.get("path"))}
            query = {**d.query, **check_query(name("query"), item.get("query"))}
            given = item.get("payload")
        else:
            path, query = dict(d.path), dict(d.query)
            given = dict(item) if item else None
        if given is None:
            payload = d.payload
        elif isinstance(given, dict) and isinstance(d.payload, dict):
            payload = {**d.payload, **given}
        else:
            payload = given
        check_payload(name("payload"), payload)
        try:
            target = resolve_path(d.entity.name if d.entity else None, path, endpoint=d.endpoint)
        except ConfigurationError as error:
            raise ConfigurationError(name(error.parameter), error.problem, error.fix) from None
        common: dict[str, Any] = {"index": index, "item": item, "method": d.method, "path": target.path}

        if d.method in READ_METHODS:
            if payload is not None:
                raise ConfigurationError(name("payload"), f"a {d.method} request sends no payload.", "Remove it.")
            return PreparedRequest(operation=READ, query=query, payload=None, **common)

        latest = self.on_conflict == "latest"
        if d.method == "DELETE":
            if d.entity is not None and not target.single:
                raise ConfigurationError(
                    name("path"),
                    f"DELETE needs a path that addresses one {d.entity.name} entity, got {sorted(path)}.",
                    "Give {'id': ...} or {'key': ...} in 'path'.",
                )
            if payload is not None and not isinstance(payload, dict):
                raise ConfigurationError(name("payload"), "a DELETE takes at most {'version': N} as payload.")
            from_query = query.pop("version", None)
            version = _version(name("query['version']"), from_query)
            if version is None and payload:
                version = _version(name("payload['version']"), payload.get("version"))
            versioned = d.entity.versioned if d.entity is not None else True
            if version is None and versioned and not latest:
                raise ConfigurationError(
                    name("query"),
                    f"DELETE {target.path} has no version.",
                    "Give query={'version': N} (or the version in the payload), or set on_conflict='latest' "
                    "to delete whatever the current version is.",
                )
            return PreparedRequest(
                operation=DELETE, query=query, payload=None, version=version, version_in="query", **common
            )

        # POST
        if d.entity is not None and d.entity.name == "custom-objects":
            if target.path != "custom-objects":
                raise ConfigurationError(
                    name("path"),
                    "custom objects are written by POST custom-objects with {'container', 'key', 'value'}.",
                    "Leave 'path' empty and put container, key and value in the payload.",
                )
            if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in ("container", "key")):
                raise ConfigurationError(
                    name("payload"), "a custom object needs 'container', 'key' (strings) and 'value'."
                )
            lookup = resolve_path("custom-objects", {"container": payload["container"], "key": payload["key"]})
            version = _version(name("payload['version']"), payload.get("version"))
            return PreparedRequest(
                operation=UPSERT,
                query=query,
                payload={k: v for k, v in payload.items() if k != "version"},
                version=version,
                version_in="payload" if version is not None else None,
                lookup_path=lookup.path,
                lookup_by=f"container {payload['container']!r} and key {payload['key']!r}",
                **common,
            )
        is_update = target.single if d.entity is not None else isinstance(payload, dict) and "actions" in payload
        if is_update:
            if not isinstance(payload, dict) or not isinstance(payload.get("actions"), list):
                raise ConfigurationError(
                    name("payload"),
                    f"POST {target.path} is an update and needs 'actions' (a list), got {short(payload)}.",
                    "Give {'version': N, 'actions': [{'action': ...}]}; to create, leave id/key out of 'path'.",
                )
            version = _version(name("payload['version']"), payload.get("version"))
            if version is None and not latest:
                raise ConfigurationError(
                    name("payload"),
                    f"the update of {target.path} has no 'version'.",
                    "Give the entity's current version, or set on_conflict='latest' to read it first.",
                )
            return PreparedRequest(
                operation=UPDATE,
                query=query,
                payload={k: v for k, v in payload.items() if k != "version"},
                version=version,
                version_in="payload",
                **common,
            )
        if d.entity is None:
            return PreparedRequest(operation=WRITE, query=query, payload=payload, **common)
        if not isinstance(payload, dict):
            raise ConfigurationError(
                name("payload"),
                f"a create (POST {target.path}) needs the draft as a dict, got {short(payload)}.",
            )
        lookup_path, lookup_by = _lookup_by_unique_value(d.entity, path, payload)
        return PreparedRequest(
            operation=CREATE, query=query, payload=payload, lookup_path=lookup_path, lookup_by=lookup_by, **common
        )

    # -- sending -------------------------------------------------------------------------------

    def publish(self, prepared: Iterable[PreparedRequest | ItemResult]) -> Iterator[ItemResult]:
        """Send the requests; yield one result per entry, in input order, as they complete.

        At most ``4 * max_workers`` entries are in flight or waiting to be yielded, so a stream of
        any length runs in constant memory.
        """
        window: deque[Future[ItemResult]] = deque()
        bound = 4 * self.max_workers
        self._stop.clear()
        finished = False
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="commercetools-publish") as pool:
            try:
                for entry in prepared:
                    if isinstance(entry, ItemResult):
                        if entry.status == FAILED and self.stop_on_failure:
                            self._stop.set()
                        window.append(_completed(entry))
                    elif self._stop.is_set():
                        window.append(_completed(self._not_sent(entry)))
                    else:
                        window.append(pool.submit(self._run, entry))
                    while window and (len(window) >= bound or window[0].done()):
                        yield window.popleft().result()
                while window:
                    yield window.popleft().result()
                finished = True
            finally:
                if not finished:  # the consumer went away or failed: start nothing new
                    self._stop.set()
                    for future in window:
                        future.cancel()

    def _not_sent(self, request: PreparedRequest) -> ItemResult:
        return ItemResult(
            request.index,
            NOT_SENT,
            request.describe,
            item=request.item,
            note="not sent: the batch stopped after an earlier failure",
        )

    def _run(self, request: PreparedRequest) -> ItemResult:
        if self._stop.is_set():
            return self._not_sent(request)
        progress = _Progress()
        try:
            body = self._send(request, progress)
        except Exception as error:  # every item ends with a result; the batch goes on or stops by on_error
            if self.stop_on_failure:
                self._stop.set()
            return ItemResult(
                request.index,
                FAILED,
                request.describe,
                error=describe_error(error),
                item=request.item,
                conflict_retries=progress.conflict_retries,
                note=progress.note,
            )
        return ItemResult(
            request.index,
            SUCCEEDED,
            request.describe,
            response=summarise_response(body, request.method),
            recovered=progress.recovered,
            conflict_retries=progress.conflict_retries,
            note=progress.note,
        )

    def _send(self, request: PreparedRequest, progress: _Progress) -> Any:
        if request.operation == READ:
            return self.client.request(request.method, request.path, query=request.query)
        if request.operation in (UPDATE, DELETE) or (request.operation == UPSERT and request.version is not None):
            return self._send_versioned(request, progress)
        if request.operation == UPSERT:
            # Writing the same value again is harmless, so a lost response may be re-sent.
            return self.client.request(
                "POST", request.path, query=request.query, payload=request.payload, idempotent=True
            )
        try:
            return self.client.request(
                "POST", request.path, query=request.query, payload=request.payload, idempotent=False
            )
        except OutcomeUnknownError as lost:
            if request.operation == CREATE and request.lookup_path:
                return self._recover_create(request, lost, progress)
            raise OutcomeUnknownError(
                f"outcome unknown: {lost.message}",
                **lost.context(),
                hint="The draft has no key to check it by, so it was not sent again: check whether the entity "
                "exists before sending this item again (give drafts a 'key' to let the publisher check)",
            ) from lost

    def _send_versioned(self, request: PreparedRequest, progress: _Progress) -> Any:
        version = request.version
        if version is None:
            version = self._current_version(request)
        idempotent = True if request.method == "POST" else None  # the version guards against a double apply
        while True:
            query, payload = request.body(version)
            try:
                return self.client.request(
                    request.method, request.path, query=query, payload=payload, idempotent=idempotent
                )
            except ConcurrentModificationError as conflict:
                if self.on_conflict == "fail":
                    raise
                if progress.conflict_retries >= self.max_conflict_retries:
                    progress.note = (
                        f"still conflicting after {progress.conflict_retries} re-sends with the current version "
                        f"(max_conflict_retries={self.max_conflict_retries})"
                    )
                    raise
                progress.conflict_retries += 1
                current = conflict.current_version
                if current is None:
                    current = self._current_version(request)
                self.log.warning(
                    "items[%d] %s: 409 ConcurrentModification, version %s is not the current one; "
                    "re-sending with version %s (on_conflict=%r, conflict retry %d of %d, correlation id %s)",
                    request.index,
                    request.describe,
                    version,
                    current,
                    self.on_conflict,
                    progress.conflict_retries,
                    self.max_conflict_retries,
                    conflict.correlation_id,
                )
                version = current

    def _current_version(self, request: PreparedRequest) -> int:
        body = self.client.request("GET", request.path)
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            raise OutcomeUnknownError(
                f"GET {request.path} returned no version, so the {request.operation} was not sent",
                method="GET",
                path=request.path,
                hint="Give the version in the item instead of using on_conflict='latest'",
            )
        return version

    def _lookup(self, request: PreparedRequest) -> Any:
        try:
            return self.client.request("GET", str(request.lookup_path))
        except NotFoundError:
            return None

    def _recover_create(self, request: PreparedRequest, lost: OutcomeUnknownError, progress: _Progress) -> Any:
        """The response of a create was lost: look for the entity by its key before sending it again."""
        last: RequestError = lost
        resends = 0
        while True:
            try:
                found = self._lookup(request)
            except CommercetoolsError as error:
                raise OutcomeUnknownError(
                    f"outcome unknown: the response was lost ({last.message}) and looking it up by "
                    f"{request.lookup_by} failed: {error}",
                    method=lost.method,
                    path=lost.path,
                    status_code=lost.status_code,
                    correlation_id=lost.correlation_id,
                    hint=f"Check whether the entity with {request.lookup_by} exists before sending this item again",
                ) from error
            if found is not None:
                progress.recovered = True
                progress.note = (
                    f"the response was lost; an entity with {request.lookup_by} exists, so the create was not "
                    "sent again"
                )
                self.log.warning(
                    "items[%d] %s: the response was lost (correlation id %s); found the entity by %s: recovered, "
                    "not sent again",
                    request.index,
                    request.describe,
                    last.correlation_id,
                    request.lookup_by,
                )
                return found
            if resends >= MAX_CREATE_RESENDS:
                raise OutcomeUnknownError(
                    f"outcome unknown: the response was lost {resends + 1} times ({last.message}) and no entity "
                    f"with {request.lookup_by} was found",
                    method=lost.method,
                    path=lost.path,
                    status_code=last.status_code,
                    codes=last.codes,
                    correlation_id=last.correlation_id,
                    hint=f"Check whether the entity with {request.lookup_by} exists before sending this item again",
                )
            resends += 1
            self.log.warning(
                "items[%d] %s: the response was lost (correlation id %s) and no entity with %s exists; "
                "sending it again (%d of %d)",
                request.index,
                request.describe,
                last.correlation_id,
                request.lookup_by,
                resends,
                MAX_CREATE_RESENDS,
            )
            try:
                body = self.client.request(
                    "POST", request.path, query=request.query, payload=request.payload, idempotent=False
                )
            except OutcomeUnknownError as again:
                last = again
                continue
            except BadRequestError as error:
                if "DuplicateField" not in error.codes:
                    raise
                last = error  # the lost create was applied after all: the next look-up finds it
                continue
            progress.note = (
                f"the response was lost; no entity with {request.lookup_by} existed, so it was sent again "
                f"({resends} time{'s' if resends > 1 else ''})"
            )
            return body


def _completed(result: ItemResult) -> Future[ItemResult]:
    future: Future[ItemResult] = Future()
    future.set_result(result)
    return future


def _lookup_by_unique_value(
    entity: Entity, path: Mapping[str, Any], draft: Mapping[str, Any]
) -> tuple[str | None, str]:
    """The path that reads the entity a draft creates, by a unique value the draft supplies."""
    scope = {k: v for k, v in path.items() if k == "store_key"}
    candidates = [("orderNumber", "order_number"), ("key", "key")] if entity.name == "orders" else [("key", "key")]
    for field_name, parameter in candidates:
        value = draft.get(field_name)
        if isinstance(value, str) and value.strip() and frozenset({parameter}) in entity.shapes:
            try:
                return resolve_path(entity.name, {**scope, parameter: value}).path, f"{field_name} {value!r}"
            except ConfigurationError:
                continue
    return None, ""


# -- the report ----------------------------------------------------------------------------------


@dataclass
class PublishReport:
    """Counts every result; keeps a bounded number of results and failures (for XCom and the error)."""

    max_results: int = 1000
    max_failures: int = 200
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    total: int = 0
    recovered: int = 0
    conflict_retries: int = 0
    #: failed items that may have been applied (their response was lost)
    outcome_unknown: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    results_truncated: bool = False
    failures_truncated: bool = False
    started: float = field(default_factory=time.monotonic)

    def add(self, result: ItemResult) -> None:
        self.total += 1
        self.counts[result.status] += 1
        self.recovered += result.recovered
        self.conflict_retries += result.conflict_retries
        if result.status == FAILED and (result.error or {}).get("type") == OutcomeUnknownError.__name__:
            self.outcome_unknown += 1
        if len(self.results) < self.max_results:
            self.results.append(result.to_record(with_item=False))
        else:
            self.results_truncated = True
        if result.status in TO_RESEND:
            if len(self.failures) < self.max_failures:
                self.failures.append(result.to_record())
            else:
                self.failures_truncated = True

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    @property
    def nothing_applied(self) -> bool:
        """No item was (or may have been) applied: sending the whole batch again doubles nothing."""
        return self.counts[SUCCEEDED] == 0 and self.outcome_unknown == 0

    def counts_summary(self) -> dict[str, int]:
        return {
            "total": self.total,
            **self.counts,
            "recovered": self.recovered,
            "conflict_retries": self.conflict_retries,
        }

    def describe(self) -> str:
        c = self.counts
        text = f"{self.total} items: {c[SUCCEEDED]} succeeded, {c[FAILED]} failed"
        for status in (NOT_SENT, SKIPPED):
            if c[status]:
                text += f", {c[status]} {status.replace('_', ' ')}"
        if self.recovered:
            text += f" ({self.recovered} recovered after a lost response)"
        if self.conflict_retries:
            text += f", {self.conflict_retries} conflict retries"
        return text + f" in {time.monotonic() - self.started:.1f} s"

    def failure_message(self, *, limit: int = 20, where: str = "") -> str:
        """The error of a failed batch: counts, then each failed item's index and error."""
        lines = [f"commercetools publishing failed: {self.describe()}."]
        listed = [f for f in self.failures if f["status"] == FAILED]
        for record in listed[:limit]:
            error = record.get("error") or {}
            lines.append(f"  items[{record['index']}]: {error.get('type', 'Error')}: {error.get('message', '')}")
        more = self.failed - min(len(listed), limit)
        if more > 0:
            lines.append(f"  ... and {more} more failed items.")
        if where:
            lines.append(where)
        return "\n".join(lines)


class PublishFailedError(CommercetoolsError):
    """Items failed (``on_error`` "fail" or "continue"); ``summary`` is what XCom would have held."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(message)
