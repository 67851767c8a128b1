"""How the fake Import API processes operations: references, the master variant, storing, forced outcomes.

Sources: ``api-specs/import/types/common.raml`` ``ProcessingState`` (the description of each state),
``types/import-request.raml`` (create-only orders) and the docs' processing-state page
(docs.commercetools.com/api/import-export/processing-state). In short:

- ``processing`` -> ``unresolved`` while a KeyReference points to nothing ("The import request
  contains KeyReferences to resources that do not exist"), re-checked whenever the fake processes,
  until the resource appears (imported, or created through the HTTP API), or the operation expires;
- a Product (``product``, or a ``product-draft`` without ``masterVariant``) whose Product Type has a
  required attribute, and which does not exist yet -> ``waitForMasterVariant`` "until another import
  request includes Master Variant data for the Product": a ``product-variant`` import for it; the
  Product is then created with that variant as its master variant, and both become ``imported``;
- all references resolved -> stored in the HTTP API's collection (a Product as commercetools holds it:
  ``product_shape.imported_product``): ``imported`` with
  ``resourceVersion``; a clash with a uniqueness rule of the HTTP API (uniqueness.py: key, slug per
  locale, SKU, email...) -> ``validationFailed`` with ``DuplicateField``; an Order
  whose ``orderNumber`` exists -> ``validationFailed`` with ``DuplicateField`` (the spec says orders
  are "to be created"; what commercetools answers for an existing one is not in the spec: the fake's
  choice, see docs/import-api.md);
- ``rejected`` (an internal error after the retry limit), ``canceled`` and ``partiallyImported``
  ("some actions succeeded but others failed") happen for reasons outside the request: a test
  forces them with ``FakeImportApi.force_outcome``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from airflow_provider_commercetools.testing.fake.http import now_iso
from airflow_provider_commercetools.testing.fake.import_model import (
    CREATE_ONLY,
    TYPES,
    Operation,
    key_references,
    reference_collection,
    with_ids,
)
from airflow_provider_commercetools.testing.fake.product_shape import imported_product
from airflow_provider_commercetools.testing.fake.store import Store, copy_json

#: the states a test may force with ``FakeImportApi.force_outcome``
FORCED_STATES = ("rejected", "canceled", "partiallyImported")
#: the resource types that create a Product, and so may wait for its master variant
_PRODUCTS = ("product", "product-draft")


class ImportProcessing:
    """Processing of a :class:`~.import_api.FakeImportApi`'s operations (its state lives there; lock held)."""

    store: Store
    processing_delay: float
    reads_before_processing: int
    _reads: dict[str, int]
    _processing: dict[str, Operation]
    _unresolved: dict[str, Operation]
    _waiting: dict[str, Operation]
    _outcomes: dict[str, list[tuple[str, list[dict[str, Any]]]]]
    _new_id: Callable[[], str]
    _inserted: dict[str, list[str]]

    def _process(self, now: float) -> None:
        """Process due operations, then retry unresolved ones until nothing changes."""
        due_before = now - self.processing_delay
        for operation_id, operation in list(self._processing.items()):
            if operation.created > due_before:
                continue
            reads = self._reads.get(operation.container, 0) - operation.read_mark
            if self.reads_before_processing and reads <= self.reads_before_processing:
                continue
            del self._processing[operation_id]
            # the state began when the operation was due, not at this (lazy) read, unless reads held it
            at = now if self.reads_before_processing else min(now, operation.created + self.processing_delay)
            self._resolve(operation, at)
        changed = True
        while changed and self._unresolved:
            changed = False
            for operation in list(self._unresolved.values()):
                if self._resolve(operation, now):
                    changed = True
        self._index_inserted()

    def _index_inserted(self) -> None:
        """Add the ids of the entities :meth:`_store` created to their collections' sorted id lists, in one
        sort per collection (one ``insort`` per entity is quadratic for a large container)."""
        inserted, self._inserted = self._inserted, {}
        for name, ids in inserted.items():
            coll = self.store.collection(name)
            if len(ids) > 64:
                coll.ids.extend(ids)
                coll.ids.sort()
            else:
                for entity_id in ids:
                    bisect.insort(coll.ids, entity_id)

    def _resolve(self, operation: Operation, at: float) -> bool:
        """Import the operation's resource if it can be; True when its state changed."""
        missing = []
        ids: dict[int, str] = {}
        found_by_type: dict[str, dict[str, Any]] = {}
        for reference in key_references(operation.resource):
            found = self._find(reference["typeId"], reference["key"])
            if found is None and self._supplies_master_variant(operation, reference, at):
                found = self._find(reference["typeId"], reference["key"])
            if found is None:
                missing.append({"typeId": reference["typeId"], "key": reference["key"]})
            else:
                ids[id(reference)] = found["id"]
                found_by_type[reference["typeId"]] = found
        if operation.resource_type == "order-patch" and self._find("order", operation.resource_key) is None:
            missing.append({"typeId": "order", "key": operation.resource_key})
        if missing:
            if operation.state == "unresolved" and missing == operation.unresolved:
                return False
            operation.unresolved = missing
            if operation.state != "unresolved":
                operation.set_state("unresolved", at)
            self._unresolved[operation.id] = operation
            return True
        self._unresolved.pop(operation.id, None)
        operation.unresolved = []
        if self._needs_master_variant(operation, found_by_type.get("product-type")):
            if operation.state == "waitForMasterVariant":
                return False
            self._waiting[operation.resource_key] = operation
            operation.set_state("waitForMasterVariant", at)
            return True
        forced = self._outcomes.get(operation.resource_key)
        if forced:
            state, errors = forced.pop(0)
            if not forced:
                del self._outcomes[operation.resource_key]
            if state == "partiallyImported":
                self._store(operation, ids)
            operation.errors = errors
            operation.set_state(state, at)
            return True
        error = self._store(operation, ids)
        if error is not None:
            operation.errors = [error]
            operation.set_state("validationFailed", at)
        else:
            operation.set_state("imported", at)
        return True

    def _needs_master_variant(self, operation: Operation, product_type: dict[str, Any] | None) -> bool:
        """``common.raml`` ``waitForMasterVariant``: a new Product without a master variant whose Product
        Type has required attributes."""
        if operation.resource_type not in _PRODUCTS or product_type is None:
            return False
        if operation.resource_type == "product-draft" and operation.resource.get("masterVariant") is not None:
            return False
        if self._find("product", operation.resource_key) is not None:
            return False
        attributes = product_type.get("attributes") or []
        return any(isinstance(a, dict) and a.get("isRequired") for a in attributes)

    def _supplies_master_variant(self, operation: Operation, reference: dict[str, Any], at: float) -> bool:
        """A product-variant import for a Product waiting for its master variant: create the Product with
        this variant as master (its operation becomes ``imported``); True if it did."""
        if operation.resource_type != "product-variant" or reference.get("typeId") != "product":
            return False
        waiting = self._waiting.get(reference["key"])
        if waiting is None or reference is not operation.resource.get("product"):
            return False
        del self._waiting[reference["key"]]
        master = {k: copy_json(v) for k, v in operation.resource.items() if k not in ("product", "isMasterVariant")}
        ids: dict[int, str] = {}
        for ref in key_references(waiting.resource):
            found = self._find(ref["typeId"], ref["key"])
            if found is not None:
                ids[id(ref)] = found["id"]
        error = self._store(waiting, ids, extra={"masterVariant": master})
        if error is not None:
            waiting.errors = [error]
            waiting.set_state("validationFailed", at)
            return False
        waiting.set_state("imported", at)
        return True

    def _find(self, type_id: str, key: str) -> dict[str, Any] | None:
        collection = self.store.get(reference_collection(type_id))
        if collection is None:
            return None
        fields = ("orderNumber",) if type_id == "order" else ("key",)
        return collection.find_unique(fields, (key,))

    def _store(
        self, operation: Operation, ids: dict[int, str], extra: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Create or update the resource in the HTTP API's collection; an error object if it cannot."""
        _segment, _field, key_field, name, _required = TYPES[operation.resource_type]
        coll = self.store.collection(name)
        fields = with_ids(operation.resource, ids)
        if extra:
            fields = {**fields, **extra}
        if operation.resource_type == "product-variant-patch":
            key_field = "key"
            fields = {"key": operation.resource_key, **{k: v for k, v in fields.items() if k != "productVariant"}}
        existing = coll.find_unique((key_field,), (operation.resource_key,))
        if name == "products":  # a Product as commercetools holds it (product_shape.py)
            try:
                fields = imported_product(fields, existing)
            except ValueError as exc:
                return {"code": "InvalidOperation", "message": str(exc)}
        now = now_iso()
        if operation.resource_type in CREATE_ONLY and existing is not None:
            return {
                "code": "DuplicateField",
                "message": f"An order with {key_field} '{operation.resource_key}' exists; orders are only created.",
                "field": key_field,
                "duplicateValue": operation.resource_key,
            }
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
                "duplicateValue": value,
            }
        if existing is None:
            coll.insert(new, sort_later=True)  # its id joins coll.ids in _index_inserted
            self._inserted.setdefault(name, []).append(new["id"])
            self.store.emit("created", name, new, None)
        else:
            coll.replace(existing, new)
            self.store.emit("updated", name, new, existing)
        operation.resource_version = new["version"]
        return None
