"""``verify=True``: after the wait, read the imported resources back by key from the HTTP API and report the
missing and mismatched ones per item.

Keys are read in batches of :data:`BATCH` (``where=key in (...)``, one request each). A resource is
*missing* when its operation said ``imported`` but no resource of its key is read back; *mismatched* when
a field of the item that is plain data (text, numbers, localized strings; not references, which the
Import API turns into ids) differs from the resource's (for products: their staged data). Both make the
record ``failed`` with an error of type ``VerifyMissing`` / ``VerifyMismatch`` naming the fields.
Resource types without a by-key endpoint (embedded prices, product variants, patches) are not verified.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.imports.resources import ImportResourceType
from airflow_provider_commercetools.commercetools.results.records import FAILED, SUCCEEDED, ItemResult
from airflow_provider_commercetools.commercetools.writing.sending import Sender

BATCH = 100
#: resource type -> (HTTP API endpoint, the entity's key field)
READ_BACK: dict[str, tuple[str, str]] = {
    "business-unit": ("business-units", "key"),
    "category": ("categories", "key"),
    "customer": ("customers", "key"),
    "discount-code": ("discount-codes", "key"),
    "inventory": ("inventory", "key"),
    "order": ("orders", "orderNumber"),
    "product": ("products", "key"),
    "product-draft": ("products", "key"),
    "product-selection": ("product-selections", "key"),
    "product-tailoring": ("product-tailoring", "key"),
    "product-type": ("product-types", "key"),
    "standalone-price": ("standalone-prices", "key"),
    "type": ("types", "key"),
}


def verifiable(resource_type: ImportResourceType) -> bool:
    return resource_type.name in READ_BACK


def verify(client: Sender, resource_type: ImportResourceType, records: list[ItemResult]) -> dict[str, int]:
    """Read back the resources of the ``succeeded`` records; mark the missing and mismatched ones failed."""
    endpoint, key_field = READ_BACK[resource_type.name]
    imported = [r for r in records if r.status == SUCCEEDED and r.key]
    counts = {"verified": 0, "missing": 0, "mismatched": 0}
    for start in range(0, len(imported), BATCH):
        batch = imported[start : start + BATCH]
        keys = sorted({str(r.key) for r in batch})
        where = f"{key_field} in ({', '.join(json.dumps(k) for k in keys)})"
        answer = client.request("GET", endpoint, query={"where": where, "limit": 500})
        results = answer.get("results") if isinstance(answer, dict) else None
        found = {e.get(key_field): e for e in results or [] if isinstance(e, dict)}
        for record in batch:
            entity = found.get(record.key)
            if entity is None:
                counts["missing"] += 1
                record.status, record.error = (
                    FAILED,
                    {
                        "type": "VerifyMissing",
                        "codes": [],
                        "message": f"its operation is imported, but no {endpoint} with {key_field} "
                        f"{record.key!r} was read back",
                    },
                )
                continue
            differing = _differing(record.item, entity)
            if differing:
                counts["mismatched"] += 1
                record.status, record.error = (
                    FAILED,
                    {
                        "type": "VerifyMismatch",
                        "codes": [],
                        "message": f"read back, but these fields differ from the item: {', '.join(differing)}",
                    },
                )
            else:
                counts["verified"] += 1
    return counts


def _differing(item: Any, entity: Mapping[str, Any]) -> list[str]:
    if not isinstance(item, Mapping):
        return []
    data = entity
    master = entity.get("masterData")
    if isinstance(master, Mapping) and isinstance(master.get("staged"), Mapping):
        data = master["staged"]
    differing = []
    for name, value in item.items():
        if not _plain(value) or (name not in data and name not in entity):
            continue
        if data.get(name, entity.get(name)) != value:
            differing.append(name)
    return differing


def _plain(value: Any) -> bool:
    """Data the API stores as given: no references (``typeId``), no nested objects of other kinds."""
    if isinstance(value, str | int | float | bool):
        return True
    return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()) and "typeId" not in value
