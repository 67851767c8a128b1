"""Calls to the Import API: containers, import requests, operations and summaries (paged).

Endpoints as in the spec's ``api-specs/import/api.raml`` (commercetools/commercetools-api-reference)
and docs.commercetools.com/api/import-export: ``import-containers`` (create, get by key),
``{segment}/import-containers/{key}`` (POST an ``ImportRequest``, answered by an ``ImportResponse``
whose ``operationStatus`` lists one ``ImportOperationStatus`` per resource, in order),
``import-containers/{key}/import-operations`` (``limit``/``offset``/``sort``/``state``/``resourceKey``/
``debug``, an ``ImportOperationPagedResponse``: types/import-operation.raml; ``limit`` at most 500 and
``offset`` at most 10,000), ``import-operations/{id}`` (one operation) and
``import-containers/{key}/import-summaries`` (an ``ImportSummary``: types/import-summary.raml, whose
values are eventually consistent: a hint, never the reason a wait ends).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    ConcurrentModificationError,
    ConfigurationError,
    NotFoundError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.imports.resources import (
    MAX_RESOURCES_PER_REQUEST,
    ImportResourceType,
    check_container_key,
    retention_policy,
)
from airflow_provider_commercetools.commercetools.reading import (
    PageRequest,
    PagingStrategy,
    drive_pages,
    request_sender,
)
from airflow_provider_commercetools.commercetools.transport.safety import one_line, redact

# The same client protocol as the publisher: CommercetoolsClient.request, here on the import URL.
from airflow_provider_commercetools.commercetools.writing.sending import Sender

log = logging.getLogger(__name__)

#: Operations read per page (``limit``: at most 500).
OPERATIONS_PAGE_SIZE = 500
#: The highest ``offset`` the Import API takes on queries (import-operation.raml: ``maximum: 10000``).
MAX_OFFSET = 10_000
#: What a project holds at most (docs: import-container, "1 000 Import Containers ... per Project").
MAX_CONTAINERS = 1000


def container_path(container_key: str, *rest: str) -> str:
    return "/".join(("import-containers", quote(container_key, safe=""), *rest))


def summary_path(container_key: str) -> str:
    return container_path(container_key, "import-summaries")


def operations_query(offset: int, limit: int, state: str | None = None, order: str = "asc") -> dict[str, Any]:
    if offset > MAX_OFFSET:
        raise ValueError(f"the Import API takes offsets up to {MAX_OFFSET}, not {offset}")
    query: dict[str, Any] = {"limit": limit, "offset": offset, "sort": f"createdAt {order}", "debug": True}
    if state is not None:
        query["state"] = state
    return query


class ImportApi:
    """The Import API of one project, through a client whose base URL is the import URL."""

    def __init__(self, client: Sender, *, logger: logging.Logger | Any = None) -> None:
        self.client = client
        self.log = logger or log

    def ensure_container(
        self, key: str, resource_type: ImportResourceType | None = None, ttl: str | None = None
    ) -> dict[str, Any]:
        """Get the container ``key``, creating it when missing (reused by key, whatever its resource type),
        with a ``retentionPolicy`` of ``ttl`` (None: none, the API's 72 hours). One create at most."""
        key = check_container_key(key)
        try:
            found = self._get_container(key)
        except NotFoundError:
            pass
        else:
            other = found.get("resourceType")
            if resource_type is not None and other not in (None, resource_type.name):
                raise ConfigurationError(
                    "container_key",
                    f"the import container {key!r} exists for {other} resources, not {resource_type.name}.",
                    "Use another container key (a container may be restricted to one resource type).",
                )
            return found
        draft: dict[str, Any] = {"key": key}
        if resource_type is not None:
            draft["resourceType"] = resource_type.name
        policy = retention_policy(ttl)
        if policy is not None:
            draft["retentionPolicy"] = policy
        try:
            # Keyed: a re-sent create can at worst meet the container it created (handled below).
            created = self.client.request("POST", "import-containers", payload=draft, idempotent=True)
        except (BadRequestError, ConcurrentModificationError) as error:
            exists = "DuplicateField" in error.codes or error.status_code == 409
            if not exists:
                raise ConfigurationError(
                    "container_key",
                    f"commercetools refused to create the import container {key!r}: {one_line(redact(str(error)))}",
                    f"A project holds at most {MAX_CONTAINERS} import containers: delete unused ones, or "
                    "reuse one (leave container_key unset: the default is one per DAG, task and resource type).",
                ) from error
            return self._get_container(key)  # created meanwhile (a concurrent task, or a re-sent create)
        self.log.info("Created import container %r (time to live: %s)", key, ttl or "72h, the API's default")
        return created if isinstance(created, dict) else {"key": key}

    def _get_container(self, key: str) -> dict[str, Any]:
        found = self.client.request("GET", container_path(key))
        return found if isinstance(found, dict) else {"key": key}

    def send(self, resource_type: ImportResourceType, container_key: str, resources: list[Any]) -> list[dict[str, Any]]:
        """POST one import request; returns its ``operationStatus`` (one per resource, in order)."""
        if not 1 <= len(resources) <= MAX_RESOURCES_PER_REQUEST:
            raise ValueError(f"an import request carries 1 to {MAX_RESOURCES_PER_REQUEST} resources")
        path = f"{resource_type.segment}/import-containers/{quote(container_key, safe='')}"
        body = {"type": resource_type.name, resource_type.body_field: resources}
        answer = self.client.request("POST", path, payload=body, idempotent=resource_type.idempotent)
        statuses = answer.get("operationStatus") if isinstance(answer, dict) else None
        if not isinstance(statuses, list) or len(statuses) != len(resources):
            raise UnexpectedResponseError(
                f"the ImportResponse has {len(statuses) if isinstance(statuses, list) else 'no'} operationStatus "
                f"entries for {len(resources)} resources",
                method="POST",
                path=path,
                status_code=201,
                hint="Check that the connection's import_url points to the Import API",
            )
        return [s if isinstance(s, dict) else {} for s in statuses]

    def summary(self, container_key: str) -> dict[str, Any]:
        """The container's ``ImportSummary`` (``states`` and ``total``), calculated on demand by the API."""
        answer = self.client.request("GET", summary_path(container_key))
        return answer if isinstance(answer, dict) else {}

    def operation(self, operation_id: str) -> dict[str, Any] | None:
        """One ImportOperation by id (``import-operations/{id}``), None when it no longer exists (48 h)."""
        try:
            found = self.client.request("GET", "import-operations/" + quote(operation_id, safe=""))
        except NotFoundError:
            return None
        return found if isinstance(found, dict) else None

    def operations_page(
        self, container_key: str, *, state: str, offset: int = 0, order: str = "asc", limit: int = OPERATIONS_PAGE_SIZE
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the container's operations in ``state``: its operations and the query's ``total``."""
        path = container_path(container_key, "import-operations")
        body = self.client.request("GET", path, query=operations_query(offset, limit, state, order))
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise UnexpectedResponseError(
                "the import operations page has no results", method="GET", path=path, status_code=200
            )
        operations = [r for r in results if isinstance(r, dict)]
        total = body.get("total")
        return operations, total if isinstance(total, int) and not isinstance(total, bool) else len(operations)

    def iter_operations(
        self,
        container_key: str,
        *,
        state: str | None = None,
        page_size: int = OPERATIONS_PAGE_SIZE,
        offset: int = 0,
    ) -> Iterator[dict[str, Any]]:
        """Every operation of the container (optionally in one state), oldest first, page by page."""
        paging = OperationsPaging(container_key, state=state, page_size=page_size, offset=offset)
        for operations in drive_pages(request_sender(self.client.request), paging):
            yield from operations

    def read_operations(
        self, container_key: str, *, max_workers: int = 8, page_size: int = OPERATIONS_PAGE_SIZE
    ) -> list[dict[str, Any]]:
        """Every operation of the container, oldest first: the first page gives the total, the other
        pages are read ``max_workers`` at a time (offsets are stable: new operations come last)."""
        send = request_sender(self.client.request)

        def send_at_once(requests: Sequence[PageRequest]) -> list[tuple[Any, list[str] | None]]:
            with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(requests)))) as pool:
                return list(pool.map(send, requests))

        paging = OperationsPaging(container_key, page_size=page_size, at_once=True)
        return [operation for page in drive_pages(send, paging, send_many=send_at_once) for operation in page]


class OperationsPaging(PagingStrategy[list[dict[str, Any]]]):
    """The operations of a container, oldest first, by offset: a strategy of the paging engine.

    Each page moves the offset on by what it held; the read ends at a short page, or at the page's
    ``total``. With ``at_once``, the first page's ``total`` plans the offsets of every other page in
    one batch (the driver may send them at once); if the batch's last page is full, more operations
    arrived meanwhile and pages follow one by one from there.
    """

    def __init__(
        self,
        container_key: str,
        *,
        state: str | None = None,
        page_size: int = OPERATIONS_PAGE_SIZE,
        offset: int = 0,
        at_once: bool = False,
    ) -> None:
        self.path = container_path(container_key, "import-operations")
        self.state = state
        self.page_size = page_size
        self.offset = offset
        self.at_once = at_once
        #: "first", "planning" (after the first page, at_once), "batch" (after the planned pages), "one by one"
        self.phase = "first"
        self.last_count = 0
        self.total: int | None = None

    def request(self, offset: int) -> PageRequest:
        return PageRequest(self.path, operations_query(offset, self.page_size, self.state))

    def next_requests(self) -> list[PageRequest]:
        phase, self.phase = self.phase, "one by one"
        if phase == "first":
            self.phase = "planning" if self.at_once else "one by one"
            return [self.request(self.offset)]
        if phase == "planning" and self.last_count >= self.page_size and self.total is not None:
            offsets = range(self.page_size, self.total, self.page_size)
            if offsets:
                self.phase = "batch"
                return [self.request(offset) for offset in offsets]
            phase = "batch"  # no other page to plan: go on as after a batch
        if phase == "batch":
            return [self.request(self.offset)] if self.last_count == self.page_size else []
        if self.last_count < self.page_size or (
            phase == "one by one" and self.total is not None and self.offset >= self.total
        ):
            return []
        return [self.request(self.offset)]

    def read_page(self, body: Any, texts: list[str] | None) -> list[dict[str, Any]]:
        """One ``ImportOperationPagedResponse``: its operations (its total is kept, None when absent)."""
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise UnexpectedResponseError(
                "the import operations page has no results", method="GET", path=self.path, status_code=200
            )
        total = body.get("total")
        self.total = total if isinstance(total, int) else None
        operations = [r for r in results if isinstance(r, dict)]
        self.offset += len(operations)
        self.last_count = len(operations)
        return operations
