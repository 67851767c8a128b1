"""A fake of the commercetools Import API, served on an address of its own by a :class:`FakeCommercetools`.

It follows the Import API's spec (commercetools/commercetools-api-reference, ``api-specs/import/``,
read at commit 5867aa22abcab5a521bd5bf0bd3b332c5ad763ae; the folder was ``api-specs/importapi/``
before 2024) and its documentation (docs.commercetools.com/api/import-export); docs/import-api.md
lists what the fake enforces with its source, and where the spec is silent:

- containers (``import_containers.py``): create by key, get, query, update (``PUT``), delete; at
  most 1,000 per project; each expires (72 h, or its ``retentionPolicy``) on the server's clock;
- import requests (``types/import-request.raml``): ``POST /{projectKey}/{segment}/import-containers/{key}``
  for each of the 18 ``ImportResourceType`` values (``import_model.TYPES``), with ``{"type",
  "resources"}`` (``"patches"`` for order and product variant patches), at most 20, answered 201
  with an ``ImportResponse`` (``processing``, or ``validationFailed`` with ``RequiredField`` /
  ``InvalidField`` errors); ``variant`` only when :attr:`FakeImportApi.catalog_model` is ``Modular``;
- operations (``types/import-operation.raml``, ``types/common.raml`` ``ProcessingState``) change
  state asynchronously (``import_processing.py``): ``processing_delay`` seconds after it was created
  (on the server's clock) an operation is processed at the next read of the Import API; operations
  are deleted 48 hours after their creation (docs: import-operation page);
- summaries (``types/import-summary.raml``: "The returned values are eventually consistent",
  ``api.raml``): they lag the operations by :attr:`FakeImportApi.summary_delay` seconds: a summary
  counts the operations as they were that long ago (one created since is not in it yet);
- Query ImportOperations (``api.raml``): ``limit`` (at most 500), ``offset`` (at most 10,000),
  ``sort``, ``resourceKey``, ``state``, ``debug`` (unresolved references only with ``debug=true``);
  any other parameter is refused; operations with equal sort values come in a random order per
  query (:attr:`FakeImportApi.shuffle_ties`); Get ImportOperation by id.

Every request goes through the fake's HTTP core: the same tokens, faults, latency and request log.
Scopes are those of ``api.raml``'s ``secured_by_*`` traits (``import_model.REQUEST_SCOPES``), plus
``manage_project``, which grants everything.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from airflow_provider_commercetools.testing.fake.http import (
    CLOCK,
    READ_METHODS,
    HttpError,
    Response,
    bad_request,
    dumps,
    error_body,
    insufficient_scope,
    invalid_json,
    iso_at,
    method_not_allowed,
    not_found,
)
from airflow_provider_commercetools.testing.fake.import_containers import (
    MAX_CONTAINERS,
    Container,
    check_draft,
    limit_reached,
    update,
)
from airflow_provider_commercetools.testing.fake.import_model import (
    BY_SEGMENT,
    CONTAINER_QUERY_PARAMETERS,
    MAX_RESOURCES,
    MODULAR_ONLY,
    OPERATION_LIFETIME,
    REQUEST_SCOPES,
    TRAIT_SCOPES,
    TYPES,
    Operation,
    check_parameters,
    json_object,
    page_params,
    query_operations,
    summary_at,
    validate,
)
from airflow_provider_commercetools.testing.fake.import_processing import FORCED_STATES, ImportProcessing
from airflow_provider_commercetools.testing.fake.store import UuidBatch, copy_json

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing.fake.commercetools import FakeCommercetools


class FakeImportApi(ImportProcessing):
    """The Import API of a :class:`FakeCommercetools`, at an address of its own (:attr:`url`).

    :param fake: the started fake whose tokens, faults, request log and HTTP API collections it uses.
    :param processing_delay: seconds (server clock) before a new operation may be processed; it is
        processed at the next read of the Import API after that.
    :param summary_delay: seconds an ImportSummary lags the operations (eventually consistent).
    :param reads_before_processing: reads of its container (summary or operations) that still see a
        new operation ``processing``: a deterministic asynchronous step for tests (0: none).
    :param port: the port of its address (0: a free one).

    The knobs are attributes too (settable at any time): :attr:`processing_delay`,
    :attr:`summary_delay`, :attr:`reads_before_processing`, :attr:`max_containers` (1,000),
    :attr:`catalog_model` (``"Classic"``: ``variant`` imports refused; ``"Modular"``),
    :attr:`shuffle_ties` (True: operations of one request come in a random order per query;
    :meth:`seed` restarts that order). Time: the server's clock, ``FakeCommercetools.clock_offset`` moves it (expiry
    of containers and operations, processing) without sleeping.
    """

    def __init__(
        self,
        fake: FakeCommercetools,
        *,
        processing_delay: float = 0.1,
        summary_delay: float = 0.5,
        reads_before_processing: int = 0,
        port: int = 0,
    ) -> None:
        self.fake = fake
        self.store = fake.store
        self.processing_delay = float(processing_delay)
        self.summary_delay = float(summary_delay)
        self.reads_before_processing = int(reads_before_processing)
        self.max_containers = MAX_CONTAINERS
        self.catalog_model = "Classic"
        self.shuffle_ties = True
        self._rng = random.Random(0)
        self._reads: dict[str, int] = {}
        self.containers: dict[str, Container] = {}
        self._operations: dict[str, Operation] = {}
        self._processing: dict[str, Operation] = {}
        self._unresolved: dict[str, Operation] = {}
        self._waiting: dict[str, Operation] = {}
        self._outcomes: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}
        self._inserted: dict[str, list[str]] = {}
        self._new_id = UuidBatch().next
        self.url = fake.listen(self.handle, port=port)

    # -- for tests -----------------------------------------------------------------------------

    def seed(self, value: int) -> None:
        """Start the random order of ties (:attr:`shuffle_ties`) afresh from ``value`` (0 at creation)."""
        with self.fake.lock:
            self._rng = random.Random(value)

    def operations(self, container: str | None = None) -> list[dict[str, Any]]:
        """Every operation (of one container) as it is now, oldest first (unresolved references shown)."""
        with self.fake.lock:
            self._expire(CLOCK.time())
            if container is None:
                ids = list(self._operations)
            else:
                ids = list(self.containers[container].operations) if container in self.containers else []
            return [self._operations[i].to_json() for i in ids]

    def history(self, operation_id: str) -> list[str]:
        """The states an operation has been in, oldest first."""
        with self.fake.lock:
            return list(self._operations[operation_id].history)

    def summary(self, container: str, *, exact: bool = False) -> dict[str, Any]:
        """The container's ImportSummary as the API answers it now (lagging), or ``exact`` (no lag)."""
        with self.fake.lock:
            now = CLOCK.time()
            self._expire(now)
            self._process(now)
            ids = self.containers[container].operations if container in self.containers else {}
            return summary_at([self._operations[i] for i in ids], now if exact else now - self.summary_delay)

    def add_container(
        self, key: str, resource_type: str | None = None, *, retention_policy: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Create an empty import container without HTTP (seeding; an existing one is replaced, its
        operations dropped); the limit of :attr:`max_containers` holds here too (ValueError)."""
        draft: dict[str, Any] = {"key": key, "resourceType": resource_type, "retentionPolicy": retention_policy}
        try:
            key, resource_type, policy, ttl = check_draft(draft)
        except HttpError as error:
            raise ValueError(error.body["message"]) from None
        with self.fake.lock:
            now = CLOCK.time()
            self._expire(now)
            if key in self.containers:
                self._drop(key)
            elif len(self.containers) >= self.max_containers:
                raise ValueError(limit_reached(len(self.containers), self.max_containers).body["message"])
            container = Container(key, now, now + ttl, resource_type, policy)
            self.containers[key] = container
            return container.to_json()

    def force_outcome(
        self, resource_key: str, state: str, *, errors: list[dict[str, Any]] | None = None, times: int = 1
    ) -> None:
        """The next ``times`` operations of ``resource_key`` to be processed end ``state`` (``rejected``,
        ``canceled`` or ``partiallyImported``: states that happen for reasons outside the request, see
        ``import_processing``) instead of being imported; ``errors`` on them (a default per state)."""
        if state not in FORCED_STATES:
            raise ValueError(f"state must be one of {', '.join(FORCED_STATES)}, not {state!r}")
        if errors is None:
            errors = {
                "rejected": [{"code": "Generic", "message": "Internal error; the retry limit was reached."}],
                "canceled": [],
                "partiallyImported": [{"code": "InvalidOperation", "message": "Some of the actions failed."}],
            }[state]
        with self.fake.lock:
            self._outcomes.setdefault(resource_key, []).extend((state, copy_json(errors)) for _ in range(times))

    def process(self) -> None:
        """Process what is due now (what every read of the Import API does first)."""
        with self.fake.lock:
            now = CLOCK.time()
            self._expire(now)
            self._process(now)

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Response | None:
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        if len(parts) < 2 or parts[0] != self.fake.project_key:
            return None
        rest = parts[1:]
        is_request = len(rest) == 3 and rest[1] == "import-containers" and rest[0] in BY_SEGMENT
        self._check_scope(headers, method, BY_SEGMENT[rest[0]] if is_request else None)
        with self.fake.lock:
            now = CLOCK.time()
            self._expire(now)
            if rest[0] == "import-containers":
                return self._containers(method, rest[1:], query, body, now)
            if rest[0] == "import-operations" and len(rest) == 2:
                if method not in READ_METHODS:
                    raise method_not_allowed(method, path)
                self._process(now)
                operation = self._operations.get(rest[1])
                if operation is None:
                    raise not_found(f"The ImportOperation with ID '{rest[1]}' was not found.")
                return Response(200, dumps(operation.to_json()))
            if is_request:
                if method != "POST":
                    raise method_not_allowed(method, path)
                return self._import(BY_SEGMENT[rest[0]], rest[2], body, now)
        return None

    def _check_scope(self, headers: dict[str, str], method: str, resource_type: str | None = None) -> None:
        """The scopes of ``api.raml``'s traits: an import request takes those of its resource type's
        trait (e.g. ``manage_standalone_prices`` for standalone prices); containers, summaries and
        operations ``secured_by_manage_import_containers`` (writes) or ``..._view_...`` (reads);
        ``manage_project`` covers everything (docs.commercetools.com/api/scopes)."""
        scopes = self.fake.auth.token_scopes(headers)
        pk = self.fake.project_key
        if resource_type is not None:
            accepted = REQUEST_SCOPES[resource_type]
        elif method in READ_METHODS:
            accepted = TRAIT_SCOPES["secured_by_view_import_containers"]
        else:
            accepted = TRAIT_SCOPES["secured_by_manage_import_containers"]
        if f"manage_project:{pk}" in scopes or any(f"{s}:{pk}" in scopes for s in accepted):
            return
        names = ", ".join(s for s in accepted if s != "manage_project")
        raise insufficient_scope(f"Insufficient scope. One of the following scopes is missing: {names}")

    def _containers(
        self, method: str, rest: list[str], query: dict[str, list[str]], body: bytes, now: float
    ) -> Response:
        if not rest:
            if method == "POST":
                return self._create_container(body, now)
            if method in READ_METHODS:
                check_parameters(query, CONTAINER_QUERY_PARAMETERS)
                containers = [c.to_json() for c in self.containers.values()]
                limit, offset = page_params(query)
                page = containers[offset : offset + limit]
                answer = {"limit": limit, "offset": offset, "count": len(page), "total": len(containers)}
                return Response(200, dumps({**answer, "results": page}))
            raise method_not_allowed(method, "import-containers")
        key = rest[0]
        container = self.containers.get(key)
        if container is None:
            raise not_found(f"The ImportContainer with key '{key}' was not found.")
        if len(rest) == 1:
            if method in READ_METHODS:
                return Response(200, dumps(container.to_json()))
            if method == "PUT":
                update(container, json_object(body), now)
                return Response(200, dumps(container.to_json()))
            if method == "DELETE":
                self._drop(key)
                return Response(200, dumps(container.to_json()))
            raise method_not_allowed(method, f"import-containers/{key}")
        if len(rest) == 2 and method in READ_METHODS:
            self._reads[key] = self._reads.get(key, 0) + 1
            self._process(now)
            operations = [self._operations[i] for i in container.operations]
            if rest[1] == "import-summaries":
                check_parameters(query, ())
                return Response(200, dumps(summary_at(operations, now - self.summary_delay)))
            if rest[1] == "import-operations":
                rng = self._rng if self.shuffle_ties else None
                return Response(200, dumps(query_operations(operations, query, rng)))
        raise not_found(f"The endpoint 'import-containers/{'/'.join(rest)}' was not found.")

    def _create_container(self, body: bytes, now: float) -> Response:
        key, resource_type, policy, ttl = check_draft(json_object(body))
        if key in self.containers:
            message = f"An ImportContainer with key '{key}' already exists."
            raise HttpError(400, error_body(400, "DuplicateField", message, field="key", duplicateValue=key))
        if len(self.containers) >= self.max_containers:
            raise limit_reached(len(self.containers), self.max_containers)
        container = Container(key, now, now + ttl, resource_type, policy)
        self.containers[key] = container
        return Response(201, dumps(container.to_json()))

    # -- expiry --------------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        """Delete expired containers (with their operations) and operations older than 48 hours."""
        for key in [k for k, c in self.containers.items() if c.expires <= now]:
            self._drop(key)
        while self._operations:
            operation = next(iter(self._operations.values()))  # oldest first
            if operation.created + OPERATION_LIFETIME > now:
                break
            self._forget(operation.id)
            container = self.containers.get(operation.container)
            if container is not None:
                container.operations.pop(operation.id, None)

    def _drop(self, key: str) -> None:
        container = self.containers.pop(key)
        for operation_id in container.operations:
            self._forget(operation_id)
        self._reads.pop(key, None)

    def _forget(self, operation_id: str) -> None:
        operation = self._operations.pop(operation_id, None)
        self._processing.pop(operation_id, None)
        self._unresolved.pop(operation_id, None)
        if operation is not None and self._waiting.get(operation.resource_key) is operation:
            del self._waiting[operation.resource_key]

    # -- import requests -----------------------------------------------------------------------

    def _import(self, resource_type: str, container_key: str, body: bytes, now: float) -> Response:
        container = self.containers.get(container_key)
        if container is None:
            raise not_found(f"The ImportContainer with key '{container_key}' was not found.")
        if resource_type in MODULAR_ONLY and self.catalog_model != "Modular":
            raise bad_request(
                "InvalidOperation",
                f"Importing {resource_type} resources needs a Project whose productCatalogModel is Modular "
                f"(this one's is {self.catalog_model}).",
            )
        request = json_object(body)
        _segment, body_field, key_field, _collection, required = TYPES[resource_type]
        if request.get("type") != resource_type:
            raise bad_request(
                "InvalidInput",
                f"The request's type must be '{resource_type}', not {request.get('type')!r}.",
                field="type",
            )
        if container.resource_type not in (None, resource_type):
            raise bad_request(
                "InvalidInput",
                f"The ImportContainer '{container_key}' imports {container.resource_type}, not {resource_type}.",
            )
        resources = request.get(body_field)
        if not isinstance(resources, list) or not resources:
            raise bad_request("InvalidInput", f"'{body_field}' must be a non-empty array.", field=body_field)
        if len(resources) > MAX_RESOURCES:
            raise bad_request(
                "InvalidInput",
                f"'{body_field}' must not contain more than {MAX_RESOURCES} items; it contains {len(resources)}.",
                field=body_field,
            )
        if not all(isinstance(r, dict) for r in resources):
            raise invalid_json(f"{body_field}: every item must be a JSON object.")
        created_at = iso_at(now)  # the operations of one request share their createdAt
        statuses = []
        for resource in resources:
            if resource_type == "product-variant-patch":
                reference = resource.get("productVariant")
                key = reference.get("key", "") if isinstance(reference, dict) else ""
            else:
                key = resource.get(key_field) if isinstance(resource.get(key_field), str) else ""
            operation = Operation(
                self._new_id(), container_key, resource_type, key, copy_json(resource), now, created_at
            )
            operation.history.append("processing")
            operation.times.append(now)
            operation.read_mark = self._reads.get(container_key, 0)
            operation.errors = validate(resource, required)
            if operation.errors:
                operation.set_state("validationFailed", now)
            else:
                self._processing[operation.id] = operation
            self._operations[operation.id] = operation
            container.operations[operation.id] = None
            status: dict[str, Any] = {"operationId": operation.id, "state": operation.state}
            if operation.errors:
                status["errors"] = operation.errors
            statuses.append(status)
        return Response(201, dumps({"operationStatus": statuses}))
