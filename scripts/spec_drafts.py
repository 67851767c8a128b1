"""Read the required top-level properties of each resource's draft from the commercetools API spec (RAML).

    python scripts/spec_drafts.py PATH/TO/commercetools-api-reference           # compare
    python scripts/spec_drafts.py PATH/TO/commercetools-api-reference --write   # regenerate

reads ``api-specs/api/types/<dir>/<Res>Draft.raml`` at the checkout's HEAD (a bare mirror works):
a property whose name does not end in ``?`` (and has no ``required: false``) is required. The names
are compared with ``airflow_provider_commercetools/testing/fake/spec_drafts.json`` (what the fake's
``POST /{projectKey}/{resource}`` requires), printing each resource with ``ok`` or ``DIFF``; exits 1 if
any differs. ``--write`` rewrites the JSON's ``resources``. Only names are taken: no spec text is copied.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from spec_actions import RESOURCES as ACTION_RESOURCES
from spec_actions import _load, compare_or_write

JSON = Path(__file__).resolve().parents[1] / "airflow_provider_commercetools" / "testing" / "fake" / "spec_drafts.json"

#: the fake's resource path -> (folder under api-specs/api/types, draft type); the resources of
#: spec_actions.py with their ``<Res>Draft`` (InventoryEntryDraft for inventory), and custom objects
RESOURCES: dict[str, tuple[str, str]] = {
    **{
        resource: (folder, ("InventoryEntry" if resource == "inventory" else shape) + "Draft")
        for resource, (folder, _update, shape) in ACTION_RESOURCES.items()
        if resource not in ("orders", "products")
    },
    "products": ("product", "ProductDraft"),
    # POST /orders creates an order from a cart (OrderFromCartDraft), which the fake does not model;
    # orders are created with an OrderImportDraft at /orders/import (deprecated in the spec)
    "orders": ("order", "OrderImportDraft"),
    "custom-objects": ("custom-object", "CustomObjectDraft"),
}


def _required(properties: dict[str, Any] | None) -> list[str]:
    names = []
    for name, spec in (properties or {}).items():
        if name.endswith("?") or (isinstance(spec, dict) and spec.get("required") is False):
            continue
        names.append(name)
    return names


def from_raml(root: Path) -> dict[str, Any]:
    """resource -> {"draft": the RAML file, "required": its required property names}."""
    found: dict[str, Any] = {}
    for resource, (folder, draft) in sorted(RESOURCES.items()):
        path = f"api-specs/api/types/{folder}/{draft}.raml"
        raml = _load(root, path)
        assert raml.get("type") == "object", (path, raml.get("type"))  # no inherited properties
        found[resource] = {"draft": path, "required": _required(raml.get("properties"))}
    return found


def main(argv: list[str]) -> int:
    return compare_or_write(argv, JSON, from_raml, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
