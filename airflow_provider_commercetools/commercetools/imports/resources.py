"""The Import API's resource types, processing states and limits, as data (from the API's spec).

Sources, in the spec repository commercetools/commercetools-api-reference (the folder is
``api-specs/import/`` since 2024; it was ``api-specs/importapi/``): ``types/common.raml``
(``ImportResourceType``, ``ProcessingState``), ``types/import-request.raml`` (one ``*ImportRequest`` per
type, ``maxItems: 20``; ``resources``, or ``patches`` for the two patch types), ``types/import-summary.raml``
(``OperationStates``), ``types/import-container.raml`` (key pattern; ``retentionPolicy``) and the
request paths of ``api.raml``. ``product-tailoring`` (``types/product-tailoring-import.raml``,
``examples/product-tailoring-import-request.json``) and ``variant`` (``types/variant-import.raml``,
``/{projectKey}/variants/import-containers/{importContainerKey}``, Modular Catalog only) are the two
newest types; the ``partiallyImported`` state and the container's ``retentionPolicy`` follow
docs.commercetools.com/api/import-export (import-container, best-practices).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError

#: Resources in one import request (``maxItems: 20`` in import-request.raml).
MAX_RESOURCES_PER_REQUEST = 20

# ProcessingState (common.raml; canceled: examples/import-summary.json; partiallyImported: release notes 2026-03-10)
PROCESSING = "processing"
VALIDATION_FAILED = "validationFailed"
UNRESOLVED = "unresolved"
WAIT_FOR_MASTER_VARIANT = "waitForMasterVariant"
IMPORTED = "imported"
REJECTED = "rejected"
CANCELED = "canceled"
PARTIALLY_IMPORTED = "partiallyImported"
PROCESSING_STATES: tuple[str, ...] = (
    PROCESSING,
    VALIDATION_FAILED,
    UNRESOLVED,
    WAIT_FOR_MASTER_VARIANT,
    IMPORTED,
    REJECTED,
    CANCELED,
    PARTIALLY_IMPORTED,
)
#: States an operation leaves by itself (unresolved: when the referenced resources appear).
PENDING_STATES = frozenset({PROCESSING, UNRESOLVED, WAIT_FOR_MASTER_VARIANT})
#: Final states that mean the resource was not (fully) imported.
FAILED_STATES = frozenset({VALIDATION_FAILED, REJECTED, CANCELED, PARTIALLY_IMPORTED})
FINAL_STATES = frozenset({IMPORTED}) | FAILED_STATES


@dataclass(frozen=True)
class ImportResourceType:
    """One ``ImportResourceType``: its path segment, body field and the field that keys a resource.

    :param idempotent: whether importing the same resource twice leaves the project as importing it
        once. Resources are keyed: a second import of a key is a second operation that updates the
        same resource to the same data. Not so for orders, which the spec only lets the Import API
        create ("OrderImport: to be created", types/order-import.raml; whether a second import of an
        orderNumber fails or is ignored is not documented), nor for order patches
        (``addDeliveries``, ``addReturnInfo`` and ``addParcelToDelivery`` add again): a lost import
        request of those is never re-sent; its records say the outcome is unknown.
    """

    name: str
    segment: str
    body_field: str = "resources"
    key_path: tuple[str, ...] = ("key",)
    idempotent: bool = True

    @property
    def request_path(self) -> str:
        return f"{self.segment}/import-containers/{{container}}"

    def key_of(self, resource: Any) -> str | None:
        """The resource's key (``resourceKey`` of its operation), or None when it has none."""
        value: Any = resource
        for part in self.key_path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value if isinstance(value, str) and value else None

    def describe_key(self) -> str:
        return ".".join(self.key_path)


RESOURCE_TYPES: dict[str, ImportResourceType] = {
    t.name: t
    for t in (
        ImportResourceType("category", "categories"),
        ImportResourceType("customer", "customers"),
        ImportResourceType("discount-code", "discount-codes"),
        ImportResourceType("inventory", "inventories"),
        ImportResourceType("order", "orders", key_path=("orderNumber",), idempotent=False),
        ImportResourceType("order-patch", "order-patches", "patches", ("orderNumber",), idempotent=False),
        ImportResourceType("price", "prices"),
        ImportResourceType("product", "products"),
        ImportResourceType("product-draft", "product-drafts"),
        ImportResourceType("product-type", "product-types"),
        ImportResourceType("product-variant", "product-variants"),
        ImportResourceType("product-variant-patch", "product-variant-patches", "patches", ("productVariant", "key")),
        ImportResourceType("standalone-price", "standalone-prices"),
        ImportResourceType("type", "types"),
        ImportResourceType("product-selection", "product-selections"),
        ImportResourceType("business-unit", "business-units"),
        ImportResourceType("product-tailoring", "product-tailorings"),
        ImportResourceType("variant", "variants"),
    )
}
_BY_SEGMENT = {t.segment: t for t in RESOURCE_TYPES.values()}

#: The scope an import request of each type needs (``api.raml``: the ``secured_by_*`` trait of its POST;
#: ``manage_project`` grants them all); the rest need ``manage_products``.
REQUEST_SCOPES: dict[str, str] = {
    "business-unit": "manage_business_units",
    "customer": "manage_customers",
    "discount-code": "manage_discount_codes",
    "order": "manage_orders",
    "order-patch": "manage_orders",
    "product-selection": "manage_product_selections",
    "standalone-price": "manage_standalone_prices",
    "type": "manage_types",
}


def request_scope(resource_type: ImportResourceType) -> str:
    return REQUEST_SCOPES.get(resource_type.name, "manage_products")


def get_resource_type(value: Any, parameter: str = "resource_type") -> ImportResourceType:
    """The resource type named by its ``ImportResourceType`` (``product``) or path segment (``products``)."""
    if isinstance(value, str):
        name = value.strip()
        found = RESOURCE_TYPES.get(name) or _BY_SEGMENT.get(name)
        if found is not None:
            return found
    raise ConfigurationError(
        parameter,
        f"{short(value)} is not an Import API resource type.",
        f"Use one of: {', '.join(RESOURCE_TYPES)}.",
    )


def check_container_key(value: Any, parameter: str = "container_key") -> str:
    """A container key as the spec allows it: 2 to 256 of a-z, A-Z, 0-9, ``_`` and ``-`` (import-container.raml)."""
    text = value.strip() if isinstance(value, str) else ""
    if 2 <= len(text) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in text):
        return text
    raise ConfigurationError(
        parameter,
        f"{short(value)} is not an import container key.",
        "Use 2 to 256 letters, digits, '_' or '-' (e.g. 'catalogue-{{ ds_nodash }}').",
    )


#: The container's time to live when this provider creates it (``TimeToLiveRetentionPolicy``: 1h to 30d).
DEFAULT_CONTAINER_TTL = "30d"


def check_ttl(value: Any, parameter: str = "container_ttl") -> str | None:
    """A container ``timeToLive`` the API accepts (``<n>h`` or ``<n>d``, 1h to 30d), or None (72 h default)."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    number, unit = text[:-1], text[-1:]
    hours = int(number) * (24 if unit == "d" else 1) if number.isdigit() and unit in ("h", "d") else 0
    if 1 <= hours <= 30 * 24:
        return text
    raise ConfigurationError(
        parameter,
        f"{short(value)} is not an import container time to live.",
        "Use hours or days from '1h' to '30d' (e.g. '30d'), or None for the API's default of 72 hours.",
    )


def retention_policy(ttl: str | None) -> dict[str, Any] | None:
    """The ``retentionPolicy`` of an ImportContainerDraft for ``ttl`` (None: no policy, 72 h)."""
    return None if ttl is None else {"strategy": "ttl", "config": {"timeToLive": ttl}}


def container_key_for(*parts: str) -> str:
    """A valid container key made of ``parts`` (other characters become ``-``), at most 256 long: a longer
    one keeps its first 243 characters and a hash of the whole (so two long keys stay apart)."""
    text = "-".join(p for p in parts if p)
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "-" for c in text).strip("-")
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    cleaned = cleaned or "airflow-import"
    if len(cleaned) <= 256:
        return cleaned
    return cleaned[:243] + "-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def state_counts(states: Mapping[str, Any] | None) -> dict[str, int]:
    """Every processing state with its count (0 when absent), from an ``OperationStates`` object."""
    counts = dict.fromkeys(PROCESSING_STATES, 0)
    for name, value in (states or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            counts[name] = value
    return counts
