"""Products as commercetools holds them: a ProductDraft turned into a Product, and a Product's projections.

Every rule cites commercetools/commercetools-api-reference (``api-specs/api/types/product/...``, spec
commit 5867aa22abcab5a521bd5bf0bd3b332c5ad763ae, as the rest of the fake):

- Product.raml: ``key``, ``productType`` (a ProductTypeReference), ``taxCategory``, ``state`` (References)
  and ``priceMode`` at the top, the product data in ``masterData`` (a ProductCatalogData);
- ProductDraft.raml: ``publish`` ("default: false") sets ``masterData.published``; ``priceMode``
  "default: Embedded"; ``categoryOrderHints`` of a Category not in ``categories`` is an InvalidOperation;
  ``masterVariant`` is "Required if ``variants`` are provided also";
- ProductCatalogData.raml: ``current``, ``staged``, ``published``, ``hasStagedChanges``. The spec does not
  say what ``current`` holds for a Product created unpublished: the fake does what commercetools' emulator
  (@labdigital/commercetools-mock 4.4.0, ``ProductRepository.create``) does: ``current`` and ``staged`` both
  hold the draft's data, ``hasStagedChanges`` false (docs/testing.md says so);
- ProductData.raml: ``name``, ``slug``, ``description``, ``categories``, ``categoryOrderHints``,
  ``metaTitle``/``metaDescription``/``metaKeywords``, ``searchKeywords``, ``masterVariant``, ``variants``,
  ``attributes``; required there (so ``[]``/``{}`` when the draft has none): ``categories``, ``variants``,
  ``searchKeywords``, ``attributes``;
- ProductVariant.raml: ``id`` "A unique, sequential identifier of the Product Variant within the Product"
  (the master 1, the others 2, 3, ... in the draft's order, as the emulator numbers them);
- Price.raml (common): an Embedded Price has an ``id``; its ``value`` is a TypedMoney
  (CentPrecisionMoney.raml: ``type: centPrecision``, ``fractionDigits`` "The number of default fraction
  digits for the given currency"); a HighPrecisionMoneyDraft stays ``highPrecision``.

Fields the spec's ProductDraft does not have are kept at the top of the Product as given (not modelled).
The references in a draft are resolved by key before (references.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_commercetools.testing.fake.store import copy_json

#: ProductDraft fields that go into the product data (ProductData.raml)
DATA_FIELDS = (
    "name",
    "slug",
    "description",
    "categories",
    "categoryOrderHints",
    "metaTitle",
    "metaDescription",
    "metaKeywords",
    "searchKeywords",
    "masterVariant",
    "variants",
    "attributes",
)
_DATA = frozenset(DATA_FIELDS)
#: required in ProductData.raml: the fake fills them when a draft has none
_REQUIRED_DATA: dict[str, Any] = {"categories": [], "variants": [], "searchKeywords": {}, "attributes": []}

#: ISO 4217 currencies without minor unit (0) or with three digits (3); every other has 2
#: (CentPrecisionMoney.raml ``fractionDigits``: "The number of default fraction digits for the given currency")
_FRACTION_DIGITS = {
    **dict.fromkeys(("JPY", "KRW", "ISK", "CLP", "VND", "PYG", "UGX", "XAF", "XOF", "XPF", "VUV", "RWF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def is_product(entity: Mapping[str, Any]) -> bool:
    """Whether ``entity`` has the Product shape (``masterData``)."""
    return isinstance(entity.get("masterData"), Mapping)


def typed_money(value: Any) -> Any:
    """A Money draft as the TypedMoney commercetools stores (left as given when it is not a Money draft)."""
    if not isinstance(value, Mapping) or "type" in value or not isinstance(value.get("currencyCode"), str):
        return copy_json(value)
    money = copy_json(dict(value))
    if "preciseAmount" in money:  # HighPrecisionMoneyDraft.raml
        money["type"] = "highPrecision"
        return money
    money["type"] = "centPrecision"
    money["fractionDigits"] = _FRACTION_DIGITS.get(money["currencyCode"], 2)
    return money


def _price(draft: Any) -> Any:
    """An Embedded Price from a PriceDraft: an ``id``, ``value`` (and tiers' values) as TypedMoney."""
    if not isinstance(draft, Mapping):
        return copy_json(draft)
    price: dict[str, Any] = {"id": str(uuid.uuid4())}
    for k, v in draft.items():
        price[k] = typed_money(v) if k == "value" else copy_json(v)
    if isinstance(price.get("tiers"), list):
        price["tiers"] = [
            {**t, "value": typed_money(t.get("value"))} if isinstance(t, dict) else t for t in price["tiers"]
        ]
    return price


def variant(draft: Any, variant_id: int, copy: Callable[[Any], Any] = copy_json) -> dict[str, Any]:
    """A ProductVariant from a ProductVariantDraft: ``id`` first, Embedded Prices with ids."""
    out: dict[str, Any] = {"id": variant_id}
    if isinstance(draft, Mapping):
        for k, v in draft.items():
            if k == "id":
                continue
            out[k] = [_price(p) for p in v] if k == "prices" and isinstance(v, list) else copy(v)
    return out


def _same(value: Any) -> Any:
    return value


def product_from_draft(draft: Mapping[str, Any], *, copy: bool = True) -> dict[str, Any]:
    """The Product fields (all but the system fields) commercetools makes of a ProductDraft.

    ``copy=False``: the Product shares the draft's values, and ``current`` and ``staged`` are one object
    (for seeding, where the store copies what it stores). Raises ValueError with a message for the 400
    InvalidOperation the draft deserves (ProductDraft.raml).
    """
    copier = copy_json if copy else _same
    variants = draft.get("variants")
    if variants and draft.get("masterVariant") is None:
        raise ValueError("masterVariant is required when variants are given (ProductDraft.raml masterVariant).")
    data: dict[str, Any] = {}
    top: dict[str, Any] = {}
    for k, v in draft.items():
        if k in _DATA:
            data[k] = v
        elif k != "publish":
            top[k] = v
    data = {k: copier(v) for k, v in data.items()}
    for k, default in _REQUIRED_DATA.items():
        data.setdefault(k, copy_json(default))
    data["masterVariant"] = variant(draft.get("masterVariant"), 1, copier)
    if not isinstance(data["variants"], list):
        raise ValueError("variants must be a list of ProductVariantDrafts (ProductDraft.raml variants).")
    data["variants"] = [variant(v, number, copier) for number, v in enumerate(data["variants"], start=2)]
    hints = data.get("categoryOrderHints")
    if isinstance(hints, Mapping):
        ids = {c.get("id") for c in data["categories"] if isinstance(c, Mapping)}
        missing = [category for category in hints if category not in ids]
        if missing:
            raise ValueError(
                f"categoryOrderHints names categories the product is not in: {', '.join(missing)} "
                "(ProductDraft.raml categoryOrderHints)."
            )
    product = {k: copier(v) for k, v in top.items()}
    product.setdefault("priceMode", "Embedded")
    product["masterData"] = {
        "current": data,
        "staged": copy_json(data) if copy else data,
        "published": draft.get("publish") is True,
        "hasStagedChanges": False,
    }
    return product


def projection(product: Mapping[str, Any], *, staged: bool) -> dict[str, Any]:
    """The ProductProjection (ProductProjection.raml) of a Product: its ``staged`` or ``current`` data
    with the Product's own fields, ``published`` and ``hasStagedChanges``."""
    master = product.get("masterData")
    if not isinstance(master, Mapping):
        return copy_json(dict(product))
    out = {k: copy_json(v) for k, v in product.items() if k != "masterData"}
    data = master.get("staged" if staged else "current")
    if isinstance(data, Mapping):
        out.update(copy_json(dict(data)))
    out["published"] = bool(master.get("published"))
    out["hasStagedChanges"] = bool(master.get("hasStagedChanges"))
    return out


def seeded_product(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    """A product seeded without HTTP: kept as given when it is a Product (``masterData``), else turned into
    one as ``POST /products`` turns its draft (its references kept as given: seeding resolves no keys)."""
    if not isinstance(entity, Mapping) or is_product(entity):
        return entity
    return product_from_draft(entity, copy=False)  # the store copies every value it stores


def imported_product(fields: Mapping[str, Any], existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Product fields a ProductImport / ProductDraftImport writes (the Import API's ``product`` and
    ``product-draft`` types; ``api-specs/import/types/product-import.raml`` and ``product-draft-import.raml``,
    formerly under ``api-specs/importapi/``: each field "Maps to ``Product...``"), references already by id.

    A new Product is made as from a ProductDraft (:func:`product_from_draft`). An existing one gets the
    import's data in ``staged``; ``publish`` ("Determines the published status and current/staged projection
    of the Product", details on docs.commercetools.com/import-export/best-practices, which the fake reads
    as): true: ``current`` becomes the new ``staged``, published; false: unpublished, ``current`` kept;
    not given: ``current`` and ``published`` kept. docs/testing.md says this reading is not confirmed.
    """
    if existing is None or not is_product(existing):
        return product_from_draft(fields)
    new = product_from_draft(fields)
    master = existing["masterData"]
    staged = {**copy_json(master.get("staged") or {}), **{k: v for k, v in new["masterData"]["staged"].items()}}
    if "masterVariant" not in fields and "variants" not in fields:  # a ProductImport names no variants
        for k in ("masterVariant", "variants"):
            if k in (master.get("staged") or {}):
                staged[k] = copy_json(master["staged"][k])
    current = copy_json(master.get("current") or {})
    published = bool(master.get("published"))
    if fields.get("publish") is True:
        current, published = copy_json(staged), True
    elif fields.get("publish") is False:
        published = False
    top = {k: v for k, v in new.items() if k != "masterData"}
    top["masterData"] = {
        "current": current,
        "staged": staged,
        "published": published,
        "hasStagedChanges": current != staged,
    }
    return top
