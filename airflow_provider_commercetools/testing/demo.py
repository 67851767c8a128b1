"""The ``demo`` seed of the local fake: a small, deterministic catalogue with customers and orders.

Product types, categories, products (with variants, prices and SKUs), inventory entries for those
SKUs, customers and their orders. Ids are UUIDs derived from each entity's key and the timestamps
are fixed, so every run serves the same data.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

_NAMESPACE = uuid.UUID("6f1c5a52-3f0e-4c36-9a8e-2f5b1d7c4e90")
_CREATED = "2024-01-15T09:00:00.000Z"

_PRODUCT_TYPES = (("t-shirt", "T-shirt", "Shirts in sizes and colours"), ("mug", "Mug", "Mugs and cups"))
#: (key, English name, parent key)
_CATEGORIES = (("clothing", "Clothing", None), ("shirts", "Shirts", "clothing"), ("kitchen", "Kitchen", None))
#: (key, English name, product type key, category key, price in cents, sizes)
_PRODUCTS = (
    ("basic-tee", "Basic tee", "t-shirt", "shirts", 1999, ("S", "M", "L")),
    ("striped-tee", "Striped tee", "t-shirt", "shirts", 2499, ("M", "L")),
    ("organic-tee", "Organic cotton tee", "t-shirt", "shirts", 2999, ("S", "M")),
    ("logo-mug", "Logo mug", "mug", "kitchen", 1299, ()),
    ("travel-mug", "Travel mug", "mug", "kitchen", 1899, ()),
)
#: (key, email, first name, last name)
_CUSTOMERS = (
    ("ada", "ada@example.com", "Ada", "Lovelace"),
    ("grace", "grace@example.com", "Grace", "Hopper"),
    ("alan", "alan@example.com", "Alan", "Turing"),
)
#: (order number, customer key, [(sku, quantity)], order state)
_ORDERS = (
    ("DEMO-1001", "ada", (("basic-tee-M", 2),), "Complete"),
    ("DEMO-1002", "grace", (("logo-mug", 1), ("striped-tee-L", 1)), "Confirmed"),
    ("DEMO-1003", "ada", (("travel-mug", 3),), "Open"),
)


class Seedable(Protocol):
    """What the demo seed needs of the fake: :meth:`FakeCommercetools.add_many`."""

    def add_many(self, resource: str, entities: Any) -> list[str]: ...


def _id(resource: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{resource}/{key}"))


def _base(resource: str, key: str) -> dict[str, Any]:
    return {"id": _id(resource, key), "createdAt": _CREATED, "key": key}


def _ref(type_id: str, resource: str, key: str) -> dict[str, str]:
    return {"typeId": type_id, "id": _id(resource, key)}


def _money(cents: int) -> dict[str, Any]:
    return {"type": "centPrecision", "currencyCode": "EUR", "centAmount": cents, "fractionDigits": 2}


def _skus(key: str, sizes: tuple[str, ...]) -> list[str]:
    return [f"{key}-{size}" for size in sizes] or [key]


def _product(key: str, name: str, type_key: str, category: str, cents: int, sizes: tuple[str, ...]) -> dict[str, Any]:
    variants = [
        {"id": n, "sku": sku, "prices": [{"id": _id("prices", sku), "value": _money(cents)}], "attributes": []}
        for n, sku in enumerate(_skus(key, sizes), start=1)
    ]
    data = {
        "name": {"en": name},
        "slug": {"en": key},
        "categories": [_ref("category", "categories", category)],
        "masterVariant": variants[0],
        "variants": variants[1:],
        "searchKeywords": {},
        "attributes": [],
    }  # ProductData.raml (``published`` is ProductCatalogData's, below)
    return {
        **_base("products", key),
        "productType": _ref("product-type", "product-types", type_key),
        "masterData": {"current": data, "staged": data, "published": True, "hasStagedChanges": False},
    }


def demo_catalogue() -> dict[str, list[dict[str, Any]]]:
    """The demo entities per resource (the same on every call)."""
    prices = {sku: cents for key, _, _, _, cents, sizes in _PRODUCTS for sku in _skus(key, sizes)}
    orders = []
    for number, customer, lines, state in _ORDERS:
        line_items = [
            {
                "id": _id("line-items", f"{number}/{sku}"),
                "variant": {"sku": sku},
                "quantity": quantity,
                "price": {"value": _money(prices[sku])},
                "totalPrice": _money(prices[sku] * quantity),
            }
            for sku, quantity in lines
        ]
        total = sum(prices[sku] * quantity for sku, quantity in lines)
        orders.append(
            {
                "id": _id("orders", number),
                "createdAt": _CREATED,
                "orderNumber": number,
                "customerId": _id("customers", customer),
                "customerEmail": f"{customer}@example.com",
                "lineItems": line_items,
                "totalPrice": _money(total),
                "orderState": state,
            }
        )
    return {
        "product-types": [
            {**_base("product-types", key), "name": name, "description": text, "attributes": []}
            for key, name, text in _PRODUCT_TYPES
        ],
        "categories": [
            {
                **_base("categories", key),
                "name": {"en": name},
                "slug": {"en": key},
                **({"parent": _ref("category", "categories", parent)} if parent else {}),
            }
            for key, name, parent in _CATEGORIES
        ],
        "products": [_product(*spec) for spec in _PRODUCTS],
        "inventory": [
            {**_base("inventory", sku), "sku": sku, "quantityOnStock": 100, "availableQuantity": 100} for sku in prices
        ],
        "customers": [
            {**_base("customers", key), "email": email, "firstName": first, "lastName": last}
            for key, email, first, last in _CUSTOMERS
        ],
        "orders": orders,
    }


def seed_demo(fake: Seedable) -> dict[str, int]:
    """Store the demo catalogue in ``fake``; returns how many entities of each resource."""
    return {resource: len(fake.add_many(resource, entities)) for resource, entities in demo_catalogue().items()}
