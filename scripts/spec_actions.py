"""Read the update actions per resource from a checkout of the commercetools API spec (RAML).

    python scripts/spec_actions.py PATH/TO/commercetools-api-reference           # compare
    python scripts/spec_actions.py PATH/TO/commercetools-api-reference --write   # regenerate

reads ``api-specs/api/types/<dir>/`` there: every ``<Res>UpdateAction`` subtype (its
``discriminatorValue`` and property names) and the properties of the resource type, and compares
them with ``airflow_provider_commercetools/testing/fake/spec_actions.json`` (the names the fake
accepts), printing each resource with ``ok`` or the difference; exits 1 if any differs. ``--write``
rewrites the JSON's ``resources`` from the RAML (then review the fake's handlers in
``testing/fake/update_actions.py`` and run tests/testing/test_spec_actions.py). Only names are
taken: no spec text is copied.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

JSON = Path(__file__).resolve().parents[1] / "airflow_provider_commercetools" / "testing" / "fake" / "spec_actions.json"

#: the fake's resource path -> (folder under api-specs/api/types, update action type, resource type)
RESOURCES: dict[str, tuple[str, str, str]] = {
    "associate-roles": ("associate-role", "AssociateRoleUpdateAction", "AssociateRole"),
    "attribute-groups": ("attribute-group", "AttributeGroupUpdateAction", "AttributeGroup"),
    "business-units": ("business-unit", "BusinessUnitUpdateAction", "BusinessUnit"),
    "cart-discounts": ("cart-discount", "CartDiscountUpdateAction", "CartDiscount"),
    "carts": ("cart", "CartUpdateAction", "Cart"),
    "categories": ("category", "CategoryUpdateAction", "Category"),
    "channels": ("channel", "ChannelUpdateAction", "Channel"),
    "customer-groups": ("customer-group", "CustomerGroupUpdateAction", "CustomerGroup"),
    "customers": ("customer", "CustomerUpdateAction", "Customer"),
    "discount-codes": ("discount-code", "DiscountCodeUpdateAction", "DiscountCode"),
    "extensions": ("extension", "ExtensionUpdateAction", "Extension"),
    "inventory": ("inventory", "InventoryEntryUpdateAction", "InventoryEntry"),
    "orders": ("order", "OrderUpdateAction", "Order"),
    "payments": ("payment", "PaymentUpdateAction", "Payment"),
    "product-discounts": ("product-discount", "ProductDiscountUpdateAction", "ProductDiscount"),
    "product-selections": ("product-selection", "ProductSelectionUpdateAction", "ProductSelection"),
    "product-types": ("product-type", "ProductTypeUpdateAction", "ProductType"),
    # the fake stores a product as its draft (no masterData/current/staged): ProductDraft's fields
    "products": ("product", "ProductUpdateAction", "ProductDraft"),
    "reviews": ("review", "ReviewUpdateAction", "Review"),
    "shipping-methods": ("shipping-method", "ShippingMethodUpdateAction", "ShippingMethod"),
    "shopping-lists": ("shopping-list", "ShoppingListUpdateAction", "ShoppingList"),
    "standalone-prices": ("standalone-price", "StandalonePriceUpdateAction", "StandalonePrice"),
    "states": ("state", "StateUpdateAction", "State"),
    "stores": ("store", "StoreUpdateAction", "Store"),
    "subscriptions": ("subscription", "SubscriptionUpdateAction", "Subscription"),
    "tax-categories": ("tax-category", "TaxCategoryUpdateAction", "TaxCategory"),
    "types": ("type", "TypeUpdateAction", "Type"),
    "zones": ("zone", "ZoneUpdateAction", "Zone"),
}


class _Loader(yaml.SafeLoader):
    """YAML with RAML's ``!include`` tags read as plain strings."""


_Loader.add_constructor("!include", lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def _load(root: Path, path: str) -> Any:
    return yaml.load(_git(root, "show", f"HEAD:{path}"), Loader=_Loader)  # a SafeLoader subclass


def _names(properties: dict[str, Any] | None) -> list[str]:
    return [p.rstrip("?") for p in (properties or {}) if p.rstrip("?") != "action"]


def from_raml(root: Path) -> dict[str, Any]:
    """The resources' facts, read from ``root``'s HEAD (a checkout or a bare mirror)."""
    found: dict[str, Any] = {}
    for resource, (folder, union, shape) in sorted(RESOURCES.items()):
        base = f"api-specs/api/types/{folder}"
        files = _git(root, "ls-tree", "-r", "--name-only", "HEAD", base).split()
        actions: dict[str, list[str]] = {}
        deprecated: list[str] = []
        for path in files:
            if not path.endswith("Action.raml") or path.endswith(f"/{union}.raml"):
                continue
            raml = _load(root, path)
            if isinstance(raml, dict) and raml.get("type") == union and "discriminatorValue" in raml:
                actions[raml["discriminatorValue"]] = _names(raml.get("properties"))
                if raml.get("(deprecated)"):
                    deprecated.append(raml["discriminatorValue"])
        fields = _names(_load(root, f"{base}/{shape}.raml").get("properties"))
        found[resource] = {
            "update_action": f"{base}/{union}.raml",
            "shape": f"{base}/{shape}.raml",
            "fields": fields,
            "actions": dict(sorted(actions.items())),
            "deprecated": sorted(deprecated),
        }
    return found


def compare_or_write(argv: list[str], facts_file: Path, read: Callable[[Path], dict[str, Any]], usage: str) -> int:
    """``argv`` = [script, PATH, optional ``--write``]: compare ``facts_file``'s ``resources`` with what ``read``
    finds in the spec checkout at PATH (exit 1 on a difference), or rewrite the file with it and its commit."""
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--write"):
        print(usage)
        return 2
    root = Path(argv[1])
    facts = json.loads(facts_file.read_text(encoding="utf-8")) if facts_file.is_file() else {"resources": {}}
    head = _git(root, "rev-parse", "HEAD").strip()
    print(f"spec at {head}; facts read at {facts.get('commit', '?')}")
    found = read(root)
    if len(argv) == 3:
        facts["commit"] = head
        facts["resources"] = found
        facts_file.write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {facts_file}")
        return 0
    differs = 0
    for resource in sorted(set(found) | set(facts["resources"])):
        same = found.get(resource) == facts["resources"].get(resource)
        differs += not same
        print(f"  {'ok ' if same else 'DIFF'} {resource}")
    return 1 if differs else 0


def main(argv: list[str]) -> int:
    return compare_or_write(argv, JSON, from_raml, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
