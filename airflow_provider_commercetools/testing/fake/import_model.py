"""The fake Import API's model: resource types, validation, operations (see ``import_api.py`` for the sources)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.testing.fake.http import bad_request, invalid_json, now_iso

MAX_RESOURCES = 20
MAX_LIMIT = 500

# resource type -> (path segment, body field, key field, HTTP API collection it is stored in, required fields)
TYPES: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "category": ("categories", "resources", "key", "categories", ("key", "name", "slug")),
    "customer": ("customers", "resources", "key", "customers", ("key", "email")),
    "discount-code": ("discount-codes", "resources", "key", "discount-codes", ("key", "code", "cartDiscounts")),
    "inventory": ("inventories", "resources", "key", "inventory", ("key", "sku", "quantityOnStock")),
    "order": ("orders", "resources", "orderNumber", "orders", ("orderNumber", "totalPrice")),
    "order-patch": ("order-patches", "patches", "orderNumber", "orders", ("orderNumber", "fields")),
    "price": ("prices", "resources", "key", "prices", ("key", "value", "productVariant", "product")),
    "product": ("products", "resources", "key", "products", ("key", "name", "slug", "productType")),
    "product-draft": ("product-drafts", "resources", "key", "products", ("key", "name", "slug", "productType")),
    "product-type": ("product-types", "resources", "key", "product-types", ("key", "name", "description")),
    "product-variant": ("product-variants", "resources", "key", "product-variants", ("key", "product")),
    "product-variant-patch": ("product-variant-patches", "patches", "", "product-variants", ("productVariant",)),
    "standalone-price": ("standalone-prices", "resources", "key", "standalone-prices", ("key", "sku", "value")),
    "type": ("types", "resources", "key", "types", ("key", "name", "resourceTypeIds")),
    "product-selection": ("product-selections", "resources", "key", "product-selections", ("key", "name")),
    "business-unit": ("business-units", "resources", "key", "business-units", ("key", "unitType", "name")),
}
BY_SEGMENT = {spec[0]: name for name, spec in TYPES.items()}
_LOCALIZED = ("name", "slug", "description")
# KeyReference typeId -> HTTP API collection (and the field holding the key)
_REFERENCE_COLLECTIONS = {
    "category": "categories",
    "product-type": "product-types",
    "product": "products",
    "customer": "customers",
    "customer-group": "customer-groups",
    "channel": "channels",
    "tax-category": "tax-categories",
    "state": "states",
    "type": "types",
    "price": "prices",
    "product-variant": "product-variants",
    "cart-discount": "cart-discounts",
    "discount-code": "discount-codes",
    "shipping-method": "shipping-methods",
    "store": "stores",
    "business-unit": "business-units",
    "product-selection": "product-selections",
    "order": "orders",
}


def reference_collection(type_id: str) -> str:
    """The HTTP API collection a KeyReference's ``typeId`` points into."""
    return _REFERENCE_COLLECTIONS.get(type_id, f"{type_id}s")


STATES = ("processing", "validationFailed", "unresolved", "waitForMasterVariant", "imported", "rejected", "canceled")


@dataclass
class Operation:
    """One import operation: its resource, state, errors and history."""

    id: str
    container: str
    resource_type: str
    resource_key: str
    resource: Any
    created: float
    created_at: str
    state: str = "processing"
    version: int = 1
    errors: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, str]] = field(default_factory=list)
    resource_version: int | None = None
    #: how many reads of its container had happened when it was created
    read_mark: int = 0
    last_modified_at: str = ""
    #: every state the operation has been in, oldest first (for tests)
    history: list[str] = field(default_factory=list)

    def set_state(self, state: str) -> None:
        self.state = state
        self.version += 1
        self.last_modified_at = now_iso()
        self.history.append(state)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "importContainerKey": self.container,
            "resourceKey": self.resource_key,
            "resourceType": self.resource_type,
            "state": self.state,
            "createdAt": self.created_at,
            "lastModifiedAt": self.last_modified_at or self.created_at,
            "expiresAt": _iso(self.created + 48 * 3600),
        }
        if self.errors:
            body["errors"] = self.errors
        if self.unresolved:
            body["unresolvedReferences"] = self.unresolved
        if self.resource_version is not None:
            body["resourceVersion"] = self.resource_version
        return body


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def key_references(value: Any) -> Iterator[dict[str, Any]]:
    """Every KeyReference (``{"typeId", "key"}``) in an import resource."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("typeId"), str) and isinstance(current.get("key"), str):
                yield current
            else:
                stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def with_ids(value: Any, ids: dict[int, str]) -> Any:
    """A copy of the resource whose resolved KeyReferences are ``{"typeId", "id"}`` references."""
    if isinstance(value, dict):
        if id(value) in ids:
            return {"typeId": value["typeId"], "id": ids[id(value)]}
        return {k: with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(v, ids) for v in value]
    return value


def validate(resource: Mapping[str, Any], required: tuple[str, ...]) -> list[dict[str, Any]]:
    """The validation errors of an import resource (as the API reports them on its operation)."""
    errors = []
    for name in required:
        if resource.get(name) is None:
            errors.append(
                {"code": "RequiredField", "message": f"The required field '{name}' is missing.", "field": name}
            )
    for name in _LOCALIZED:
        value = resource.get(name)
        if value is not None and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            message = f"The field '{name}' must be a LocalizedString (an object of language tags to strings)."
            errors.append({"code": "InvalidField", "message": message, "field": name, "invalidValue": value})
    return errors


#: the scope that creates each resource type (and so may send its import requests)
REQUEST_SCOPES = {
    **dict.fromkeys(
        (
            "category",
            "inventory",
            "price",
            "product",
            "product-draft",
            "product-type",
            "product-variant",
            "product-variant-patch",
            "product-selection",
            "standalone-price",
        ),
        "manage_products",
    ),
    "customer": "manage_customers",
    "order": "manage_orders",
    "order-patch": "manage_orders",
    "discount-code": "manage_discount_codes",
    "type": "manage_types",
    "business-unit": "manage_business_units",
}


def json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"null")
    except ValueError as error:
        raise invalid_json(str(error)) from None
    if not isinstance(value, dict):
        raise invalid_json("The body must be a JSON object.")
    return value


def page_params(query: Mapping[str, list[str]]) -> tuple[int, int]:
    values = {}
    for name, default in (("limit", 20), ("offset", 0)):
        raw = (query.get(name) or [str(default)])[-1]
        try:
            values[name] = int(raw)
        except ValueError:
            raise bad_request("InvalidInput", f"Malformed parameter: {name}: '{raw}' is not a valid integer.") from None
        if values[name] < 0:
            raise bad_request("InvalidInput", f"The {name} must not be negative.")
    if values["limit"] > MAX_LIMIT:
        raise bad_request("InvalidInput", f"The limit must not be greater than {MAX_LIMIT}.")
    return values["limit"], values["offset"]


def query_operations(operations: list[Operation], query: Mapping[str, list[str]]) -> dict[str, Any]:
    """The page of ``operations`` a query of a container's import operations answers (filtered, sorted)."""
    limit, offset = page_params(query)
    for name, attribute in (("state", "state"), ("resourceKey", "resource_key")):
        wanted = query.get(name)
        if wanted:
            operations = [o for o in operations if getattr(o, attribute) == wanted[-1]]
    for text in query.get("sort", []):
        field_name, _, direction = text.partition(" ")
        if field_name not in ("createdAt", "lastModifiedAt") or direction.strip().lower() not in (
            "",
            "asc",
            "desc",
        ):
            raise bad_request("InvalidInput", f"Malformed parameter: sort: '{text}'.")
        if direction.strip().lower() == "desc":
            operations = operations[::-1]
    page = operations[offset : offset + limit]
    answer: dict[str, Any] = {
        "limit": limit,
        "offset": offset,
        "count": len(page),
        "total": len(operations),
        "results": [o.to_json() for o in page],
    }
    return answer
