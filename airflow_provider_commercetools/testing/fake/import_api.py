"""A fake of the commercetools Import API, served on an address of its own by a :class:`FakeCommercetools`.

It follows the Import API's spec (commercetools/commercetools-api-reference, ``api-specs/importapi``)
and its documentation (docs.commercetools.com/api/import-export):

- containers (``types/import-container.raml``): create by key (2-256 of ``[A-Za-z0-9_-]``), get,
  list, delete; an optional ``resourceType`` restricts what a container takes;
- import requests (``types/import-request.raml``): ``POST /{projectKey}/{segment}/import-containers/{key}``
  with ``{"type", "resources"}`` (``"patches"`` for order and product variant patches), at most 20
  (``maxItems: 20``), answered 201 with an ``ImportResponse`` (one ``ImportOperationStatus`` per
  resource, in order: ``processing``, or ``validationFailed`` with ``RequiredField`` / ``InvalidField``
  errors as in ``examples/import-operation-validation-failed.json``); a malformed request (not JSON,
  wrong ``type``, no resources, more than 20, a container for another resource type) answers 400,
  an unknown resource type 404;
- operations (``types/import-operation.raml``, ``types/common.raml`` ``ProcessingState``) change
  state asynchronously: a ``processing`` operation older than ``processing_delay`` is processed at the
  next read of the Import API (summary or operations: deterministic for tests): its key references
  (``{"typeId", "key"}``, e.g. a product's categories or product type) are looked up in the fake's
  HTTP API; all found, the resource is stored there (created, or updated when its key exists:
  ``resourceVersion`` is the entity's version) and the operation is ``imported``; otherwise it is
  ``unresolved`` with ``unresolvedReferences`` (``examples/import-operation-with-unresolved-references.json``)
  until the referenced resources appear (imported, or created through the HTTP API);
- summaries (``types/import-summary.raml``, ``examples/import-summary.json``): counts per state;
- operations are paged with ``limit`` (at most 500) and ``offset``, filtered by ``state`` and
  ``resourceKey``, sorted by ``createdAt``.

Every request goes through the fake's HTTP core: the same tokens (scopes ``manage_project``, or
``manage_import_containers`` / ``view_import_containers``), faults, latency and request log.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from airflow_provider_commercetools.testing.fake.http import (
    READ_METHODS,
    HttpError,
    Response,
    bad_request,
    dumps,
    error_body,
    insufficient_scope,
    invalid_json,
    method_not_allowed,
    not_found,
    now_iso,
)
from airflow_provider_commercetools.testing.fake.import_model import (
    BY_SEGMENT,
    MAX_RESOURCES,
    REQUEST_SCOPES,
    STATES,
    TYPES,
    Operation,
    json_object,
    key_references,
    page_params,
    query_operations,
    reference_collection,
    validate,
    with_ids,
)
from airflow_provider_commercetools.testing.fake.store import UuidBatch, copy_json

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing.fake.commercetools import FakeCommercetools


class FakeImportApi:
    """The Import API of a :class:`FakeCommercetools`, at an address of its own (:attr:`url`).

    :param fake: the started fake whose tokens, faults, request log and HTTP API collections it uses.
    :param processing_delay: seconds before a new operation may be processed (0: at the next read).
    :param reads_before_processing: reads of its container (summary or operations) that still see a
        new operation ``processing``: a deterministic asynchronous step for tests (0: none).
    :param port: the port of its address (0: a free one).
    """

    def __init__(
        self,
        fake: FakeCommercetools,
        *,
        processing_delay: float = 0.0,
        reads_before_processing: int = 0,
        port: int = 0,
    ) -> None:
        self.fake = fake
        self.processing_delay = float(processing_delay)
        self.reads_before_processing = int(reads_before_processing)
        self._reads: dict[str, int] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self._operations: dict[str, Operation] = {}
        self._by_container: dict[str, list[str]] = {}
        self._processing: dict[str, Operation] = {}
        self._unresolved: dict[str, Operation] = {}
        self._new_id = UuidBatch().next
        self.url = fake.listen(self.handle, port=port)

    # -- for tests -----------------------------------------------------------------------------

    def operations(self, container: str | None = None) -> list[dict[str, Any]]:
        """Every operation (of one container), oldest first, as the API shows them."""
        with self.fake.lock:
            ids = self._by_container.get(container, []) if container else list(self._operations)
            return [self._operations[i].to_json() for i in ids]

    def history(self, operation_id: str) -> list[str]:
        """The states an operation has been in, oldest first."""
        with self.fake.lock:
            return list(self._operations[operation_id].history)

    def add_container(self, key: str, resource_type: str | None = None) -> dict[str, Any]:
        """Create an empty import container without HTTP (seeding; an existing one is replaced)."""
        now = now_iso()
        container: dict[str, Any] = {"key": key, "version": 1, "createdAt": now, "lastModifiedAt": now}
        if resource_type is not None:
            container["resourceType"] = resource_type
        with self.fake.lock:
            self.containers[key] = container
            self._by_container[key] = []
        return container

    def process(self) -> None:
        """Process what is due now (what every read of the Import API does first)."""
        with self.fake.lock:
            self._process()

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
            if rest[0] == "import-containers":
                return self._containers(method, rest[1:], query, body)
            if rest[0] == "import-operations" and len(rest) == 2:
                if method not in READ_METHODS:
                    raise method_not_allowed(method, path)
                self._process()
                operation = self._operations.get(rest[1])
                if operation is None:
                    raise not_found(f"The ImportOperation with ID '{rest[1]}' was not found.")
                return Response(200, dumps(operation.to_json()))
            if len(rest) == 3 and rest[1] == "import-containers" and rest[0] in BY_SEGMENT:
                if method != "POST":
                    raise method_not_allowed(method, path)
                return self._import(BY_SEGMENT[rest[0]], rest[2], body)
        return None

    def _check_scope(self, headers: dict[str, str], method: str, resource_type: str | None = None) -> None:
        """The Import API's scopes (docs.commercetools.com/api/import-export/hosts-and-authorization):
        ``manage_project`` covers everything; ``manage_import_containers`` creates containers;
        ``view_import_containers`` (or manage) reads containers, operations and summaries; an import
        request needs the scope that creates its resource type (e.g. ``manage_products`` for categories)."""
        scopes = self.fake.auth.token_scopes(headers)
        pk = self.fake.project_key
        if resource_type is not None:
            wanted = [f"manage_project:{pk}", f"{REQUEST_SCOPES.get(resource_type, 'manage_project')}:{pk}"]
        else:
            wanted = [f"manage_project:{pk}", f"manage_import_containers:{pk}"]
            if method in READ_METHODS:
                wanted.append(f"view_import_containers:{pk}")
        if not any(s in scopes for s in wanted):
            missing = wanted[1].split(":")[0]
            raise insufficient_scope(f"Insufficient scope. One of the following scopes is missing: {missing}")

    def _containers(self, method: str, rest: list[str], query: dict[str, list[str]], body: bytes) -> Response:
        if not rest:
            if method == "POST":
                return self._create_container(body)
            if method in READ_METHODS:
                containers = list(self.containers.values())
                limit, offset = page_params(query)
                page = containers[offset : offset + limit]
                answer = {
                    "limit": limit,
                    "offset": offset,
                    "count": len(page),
                    "total": len(containers),
                    "results": page,
                }
                return Response(200, dumps(answer))
            raise method_not_allowed(method, "import-containers")
        key = rest[0]
        container = self.containers.get(key)
        if container is None:
            raise not_found(f"The ImportContainer with key '{key}' was not found.")
        if len(rest) == 1:
            if method in READ_METHODS:
                return Response(200, dumps(container))
            if method == "DELETE":
                del self.containers[key]
                for operation_id in self._by_container.pop(key, []):
                    self._operations.pop(operation_id, None)
                    self._processing.pop(operation_id, None)
                    self._unresolved.pop(operation_id, None)
                return Response(200, dumps(container))
            raise method_not_allowed(method, f"import-containers/{key}")
        if len(rest) == 2 and method in READ_METHODS:
            self._reads[key] = self._reads.get(key, 0) + 1
            self._process()
            operations = [self._operations[i] for i in self._by_container.get(key, [])]
            if rest[1] == "import-summaries":
                states = dict.fromkeys(STATES, 0)
                for operation in operations:
                    states[operation.state] = states.get(operation.state, 0) + 1
                return Response(200, dumps({"states": states, "total": len(operations)}))
            if rest[1] == "import-operations":
                return Response(200, dumps(query_operations(operations, query)))
        raise not_found(f"The endpoint 'import-containers/{'/'.join(rest)}' was not found.")

    def _create_container(self, body: bytes) -> Response:
        draft = json_object(body)
        key = draft.get("key")
        if (
            not isinstance(key, str)
            or not 2 <= len(key) <= 256
            or not all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
        ):
            raise bad_request(
                "InvalidInput", f"Invalid key {key!r}: 2 to 256 of a-z, A-Z, 0-9, '_' and '-'.", field="key"
            )
        resource_type = draft.get("resourceType")
        if resource_type is not None and resource_type not in TYPES:
            raise bad_request("InvalidInput", f"Unknown resourceType {resource_type!r}.", field="resourceType")
        if key in self.containers:
            message = f"An ImportContainer with key '{key}' already exists."
            raise HttpError(400, error_body(400, "DuplicateField", message, field="key", duplicateValue=key))
        return Response(201, dumps(self.add_container(key, resource_type)))

    # -- import requests -----------------------------------------------------------------------

    def _import(self, resource_type: str, container_key: str, body: bytes) -> Response:
        container = self.containers.get(container_key)
        if container is None:
            raise not_found(f"The ImportContainer with key '{container_key}' was not found.")
        request = json_object(body)
        _segment, body_field, key_field, _collection, required = TYPES[resource_type]
        if request.get("type") != resource_type:
            raise bad_request(
                "InvalidInput",
                f"The request's type must be '{resource_type}', not {request.get('type')!r}.",
                field="type",
            )
        if container.get("resourceType") not in (None, resource_type):
            raise bad_request(
                "InvalidInput",
                f"The ImportContainer '{container_key}' imports {container['resourceType']}, not {resource_type}.",
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
        now, created_at = time.time(), now_iso()
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
            operation.read_mark = self._reads.get(container_key, 0)
            operation.errors = validate(resource, required)
            if operation.errors:
                operation.set_state("validationFailed")
            else:
                self._processing[operation.id] = operation
            self._operations[operation.id] = operation
            self._by_container[container_key].append(operation.id)
            status: dict[str, Any] = {"operationId": operation.id, "state": operation.state}
            if operation.errors:
                status["errors"] = operation.errors
            statuses.append(status)
        return Response(201, dumps({"operationStatus": statuses}))

    # -- asynchronous processing ---------------------------------------------------------------

    def _process(self) -> None:
        """Process due operations, then retry unresolved ones until nothing changes (lock held)."""
        due_before = time.time() - self.processing_delay
        for operation_id, operation in list(self._processing.items()):
            reads = self._reads.get(operation.container, 0) - operation.read_mark
            if operation.created > due_before or reads <= self.reads_before_processing:
                continue
            del self._processing[operation_id]
            self._resolve(operation)
        changed = True
        while changed and self._unresolved:
            changed = False
            for operation in list(self._unresolved.values()):
                if self._resolve(operation):
                    changed = True

    def _resolve(self, operation: Operation) -> bool:
        """Import the operation's resource if its references exist; True when its state changed."""
        missing = []
        ids: dict[int, str] = {}
        for reference in key_references(operation.resource):
            found = self._find(reference["typeId"], reference["key"])
            if found is None:
                missing.append({"typeId": reference["typeId"], "key": reference["key"]})
            else:
                ids[id(reference)] = found["id"]
        if operation.resource_type == "order-patch" and self._find("order", operation.resource_key) is None:
            missing.append({"typeId": "order", "key": operation.resource_key})
        if missing:
            if operation.state == "unresolved" and missing == operation.unresolved:
                return False
            operation.unresolved = missing
            if operation.state != "unresolved":
                operation.set_state("unresolved")
            self._unresolved[operation.id] = operation
            return True
        self._unresolved.pop(operation.id, None)
        operation.unresolved = []
        error = self._store(operation, ids)
        if error is not None:
            operation.errors = [error]
            operation.set_state("validationFailed")
        else:
            operation.set_state("imported")
        return True

    def _find(self, type_id: str, key: str) -> dict[str, Any] | None:
        collection = self.fake.store.get(reference_collection(type_id))
        if collection is None:
            return None
        fields = ("orderNumber",) if type_id == "order" else ("key",)
        return collection.find_unique(fields, (key,))

    def _store(self, operation: Operation, ids: dict[int, str]) -> dict[str, Any] | None:
        """Create or update the resource in the HTTP API's collection; an error object if it cannot."""
        _segment, _field, key_field, name, _required = TYPES[operation.resource_type]
        coll = self.fake.store.collection(name)
        fields = with_ids(operation.resource, ids)
        if operation.resource_type == "product-variant-patch":
            key_field = "key"
            fields = {"key": operation.resource_key, **{k: v for k, v in fields.items() if k != "productVariant"}}
        existing = coll.find_unique((key_field,), (operation.resource_key,))
        now = now_iso()
        if operation.resource_type == "order-patch":
            assert existing is not None  # resolved above
            new = {**copy_json(existing), "version": existing["version"] + 1, "lastModifiedAt": now}
            new.setdefault("patches", [])
            new["patches"] = [*new["patches"], fields.get("fields")]
        elif existing is None:
            new = {"id": self._new_id(), "version": 1, "createdAt": now, "lastModifiedAt": now, **fields}
        else:
            new = {
                "id": existing["id"],
                "version": existing["version"] + 1,
                "createdAt": existing["createdAt"],
                "lastModifiedAt": now,
                **fields,
            }
        duplicate = coll.duplicate(new, ignore_id=new["id"])
        if duplicate is not None:
            field_name, value, _other = duplicate
            return {
                "code": "DuplicateField",
                "message": f"A duplicate value {value!r} exists for field '{field_name}'.",
                "field": field_name,
            }
        if existing is None:
            coll.insert(new)
            self.fake.store.emit("created", name, new, None)
        else:
            coll.replace(existing, new)
            self.fake.store.emit("updated", name, new, existing)
        operation.resource_version = new["version"]
        return None
