"""Which values commercetools keeps unique: the fake's one table of uniqueness rules, each with its source.

Every rule names the resource, the field as a ``DuplicateField`` error reports it, how values are
compared, the scope they are unique in, and the spec file (``api-specs/api/types/...`` of
commercetools/commercetools-api-reference commit 5867aa22abcab5a521bd5bf0bd3b332c5ad763ae) or docs page
that says so. ``tests/testing/test_fake_uniqueness.py`` checks each rule's ``spec`` against the RAML
descriptions as the platform SDK vendors them (its generated ``.d.ts`` doc comments).

Two kinds of rule:

- *field* rules: one top-level field (or a composite of fields) whose string value is unique in the
  resource; the :class:`~.store.Collection` keeps one index per rule (also used to look entities up
  by ``key`` / ``orderNumber`` / ``container`` + ``key``);
- *derived* rules: values found inside the entity (a slug per locale, the SKUs of all variants, a
  Customer's email per Store); their :data:`Claim` s go into one index per collection, so a write is
  checked in O(values it holds), whatever the collection's size.

Where the spec is silent the fake takes the stricter reading and ``docs/testing.md`` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SPEC_COMMIT = "5867aa22abcab5a521bd5bf0bd3b332c5ad763ae"

#: a claim's kinds: OWN a value only this entity may hold (checked, then indexed); CHECK a value the entity
#: may not share with another one (checked only); MARK a value the entity holds that others CHECK
#: (indexed with every holder); SELF a value the entity itself holds twice where it must be unique
OWN, CHECK, MARK, SELF = 0, 1, 2, 3

#: ``(kind, field, value, key)``: ``field`` / ``value`` as ``DuplicateField`` reports them, ``key`` the
#: normalised index key (tagged with its rule and scope)
Claim = tuple[int, str, Any, Any]


@dataclass(frozen=True)
class Rule:
    """One uniqueness rule of commercetools, as the fake enforces it."""

    resource: str
    field: str
    scope: str
    compared: str
    source: str
    #: ``(models .d.ts module, interface, property or None for the interface's own comment, phrase)``:
    #: the spec text that states the rule (the test finds ``phrase`` in that doc comment)
    spec: tuple[str, str, str | None, str]
    #: a field rule: the top-level fields (several: a composite)
    fields: tuple[str, ...] = ()
    #: a derived rule: the entity's claims
    claims: Callable[[Mapping[str, Any]], Iterator[Claim]] | None = None


# ------------------------------------------------------------------------------------------ derived rules
def _projections(entity: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The product data a Product holds: ``masterData.current`` and ``.staged`` (every product in the fake
    is a Product: product_shape.py)."""
    master = entity.get("masterData")
    if isinstance(master, Mapping):
        return [p for p in (master.get("current"), master.get("staged")) if isinstance(p, Mapping)]
    return []


def _variants(projection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    master = projection.get("masterVariant")
    if isinstance(master, Mapping):
        out.append(master)
    variants = projection.get("variants")
    if isinstance(variants, list):
        out.extend(v for v in variants if isinstance(v, Mapping))
    return out


def _slug_claims(tag: str) -> Callable[[Mapping[str, Any]], Iterator[Claim]]:
    """``slug`` (a LocalizedString): each locale's value unique per locale across the resource."""

    def claims(entity: Mapping[str, Any]) -> Iterator[Claim]:
        seen = set()
        for projection in _projections(entity) if tag == "product" else (entity,):
            slug = projection.get("slug")
            if not isinstance(slug, Mapping):
                continue
            for locale, value in slug.items():
                if type(value) is str and (locale, value) not in seen:
                    seen.add((locale, value))
                    yield OWN, f"slug.{locale}", value, (tag, "slug", locale, value)

    return claims


def _product_sku_claims(entity: Mapping[str, Any]) -> Iterator[Claim]:
    """ProductVariantDraft ``sku``: unique across all variants of all Products (current and staged data of
    one Product may hold the same variant; within one of them a SKU twice is a duplicate)."""
    seen = set()
    for projection in _projections(entity):
        here = set()
        for variant in _variants(projection):
            sku = variant.get("sku")
            if type(sku) is not str:
                continue
            if sku in here:
                yield SELF, "sku", sku, None
            here.add(sku)
            if sku not in seen:
                seen.add(sku)
                yield OWN, "sku", sku, ("sku", sku)


def _variant_key_claims(entity: Mapping[str, Any]) -> Iterator[Claim]:
    """ProductVariantDraft ``key``: unique among the variants of one Product (no index: within the entity)."""
    for projection in _projections(entity):
        here = set()
        for variant in _variants(projection):
            key = variant.get("key")
            if type(key) is not str:
                continue
            if key in here:
                yield SELF, "variants.key", key, None
            here.add(key)


def _ref_ident(ref: Any, first: str = "id") -> str | None:
    """A reference's ``id`` (or ``key``), or ``key`` first (``first="key"``: Stores, which commercetools
    references by key: StoreKeyReference)."""
    if not isinstance(ref, Mapping):
        return None
    ident = ref.get(first, ref.get("key" if first == "id" else "id"))
    return ident if type(ident) is str else None


def _customer_stores(entity: Mapping[str, Any]) -> list[str]:
    """The Stores a Customer is assigned to: ``stores`` (StoreKeyReferences), and the Store of an in-store
    create (the fake notes that as ``store``)."""
    out: list[str] = []
    stores = entity.get("stores")
    if isinstance(stores, list):
        out.extend(s for s in (_ref_ident(r, "key") for r in stores) if s is not None)
    store = _ref_ident(entity.get("store"), "key")
    if store is not None and store not in out:
        out.append(store)
    return out


def _email_claims(entity: Mapping[str, Any]) -> Iterator[Claim]:
    """Customer ``email``, compared lower-cased: a global Customer's (no ``stores``) is unique across the
    Project; a Store-specific Customer's is unique in each of its Stores. A global and a Store-specific
    Customer with one email: the docs are silent, the fake refuses it (the stricter reading)."""
    email = entity.get("email")
    if type(email) is not str:
        return
    folded = email.lower()
    stores = _customer_stores(entity)
    if not stores:
        yield OWN, "email", email, ("email", None, folded)
        yield CHECK, "email", email, ("email*", folded)  # no Store-specific Customer has it
    else:
        yield CHECK, "email", email, ("email", None, folded)  # no global Customer has it
        for store in stores:
            yield OWN, "email", email, ("email", store, folded)
    yield MARK, "email", email, ("email*", folded)


def _inventory_claims(entity: Mapping[str, Any]) -> Iterator[Claim]:
    """InventoryEntry ``sku`` + ``supplyChannel`` (no channel is a value of its own)."""
    sku = entity.get("sku")
    if type(sku) is str:
        yield OWN, "sku", sku, ("inventory", sku, _ref_ident(entity.get("supplyChannel")))


def _payment_claims(entity: Mapping[str, Any]) -> Iterator[Claim]:
    """Payment ``interfaceId`` + ``paymentMethodInfo.paymentInterface``."""
    interface_id = entity.get("interfaceId")
    if type(interface_id) is str:
        info = entity.get("paymentMethodInfo")
        interface = info.get("paymentInterface") if isinstance(info, Mapping) else None
        yield OWN, "interfaceId", interface_id, ("payment", interface_id, interface)


# -------------------------------------------------------------------------------------------- the table
_T = "api-specs/api/types/"

_EMAIL_DOCS = "docs.commercetools.com/api/customers-overview (Customer uniqueness, Email case-insensitivity)"

RULES: tuple[Rule, ...] = (
    # ``key``: "User-defined unique identifier" of every resource with a key (each Draft's ``key``); the
    # default for a resource not named below (the fake serves any resource name)
    Rule(
        "*", "key", "project", "exact", _T + "<resource>/<Resource>Draft.raml key",
        ("product", "ProductDraft", "key", "unique"), fields=("key",),
    ),
    Rule(
        "orders", "orderNumber", "project", "exact", _T + "order/OrderImportDraft.raml orderNumber",
        ("order", "OrderImportDraft", "orderNumber", "unique across a Project"), fields=("orderNumber",),
    ),
    Rule(
        "custom-objects", "key", "container", "exact (container, key)", _T + "custom-object/CustomObjectDraft.raml key",
        ("custom-object", "CustomObjectDraft", "key", "within the defined `container`"), fields=("container", "key"),
    ),
    Rule(
        "customers", "customerNumber", "project", "exact", _T + "customer/CustomerDraft.raml customerNumber",
        ("customer", "CustomerDraft", "customerNumber", "unique"), fields=("customerNumber",),
    ),
    Rule(
        "customers", "email", "project (global Customer), each of its Stores (Store-specific Customer)",
        "lower-cased", _T + "customer/CustomerDraft.raml email; " + _EMAIL_DOCS,
        ("customer", "CustomerDraft", "email", "unique"), claims=_email_claims,
    ),
    Rule(
        "categories", "slug.<locale>", "project, per locale", "exact, per locale",
        _T + "category/CategoryDraft.raml slug",
        ("category", "CategoryDraft", "slug", "must be unique across the [Project]"), claims=_slug_claims("category"),
    ),
    Rule(
        "products", "slug.<locale>", "project, per locale (current and staged data)", "exact, per locale",
        _T + "product/ProductDraft.raml slug",
        ("product", "ProductDraft", "slug", "unique across a Project"), claims=_slug_claims("product"),
    ),
    Rule(
        "products", "sku", "project (all variants of all Products)", "exact",
        _T + "product/ProductVariantDraft.raml sku",
        ("product", "ProductVariantDraft", "sku", "unique"), claims=_product_sku_claims,
    ),
    Rule(
        # the fake Import API's product-variant imports (a collection of their own): SKUs among themselves
        "product-variants", "sku", "the Import API's product-variant imports", "exact",
        _T + "product/ProductVariantDraft.raml sku",
        ("product", "ProductVariantDraft", "sku", "unique"), fields=("sku",),
    ),
    Rule(
        "products", "variants.key", "one Product", "exact", _T + "product/ProductVariantDraft.raml key",
        ("product", "ProductVariantDraft", "key", "unique"), claims=_variant_key_claims,
    ),
    Rule(
        "inventory", "sku", "project, per supply Channel", "exact (sku, supplyChannel)",
        _T + "inventory/updates/InventoryEntrySetSupplyChannelAction.raml",
        ("inventory", "InventoryEntrySetSupplyChannelAction", None, "same `sku` and `supplyChannel`"),
        claims=_inventory_claims,
    ),
    Rule(
        "discount-codes", "code", "project", "exact", _T + "discount-code/DiscountCodeDraft.raml code",
        ("discount-code", "DiscountCodeDraft", "code", "unique"), fields=("code",),
    ),
    Rule(
        "customer-groups", "groupName", "project", "exact", _T + "customer-group/CustomerGroupDraft.raml groupName",
        ("customer-group", "CustomerGroupDraft", "groupName", "Unique value"), fields=("groupName",),
    ),
    Rule(
        "shipping-methods", "name", "project", "exact", _T + "shipping-method/ShippingMethodDraft.raml name",
        ("shipping-method", "ShippingMethodDraft", "name", "Unique name"), fields=("name",),
    ),
    Rule(
        "product-discounts", "sortOrder", "project", "exact",
        _T + "product-discount/ProductDiscountDraft.raml sortOrder",
        ("product-discount", "ProductDiscountDraft", "sortOrder", "must be **unique** among all ProductDiscounts"),
        fields=("sortOrder",),
    ),
    Rule(
        "cart-discounts", "sortOrder", "Cart Discounts (Discount Groups not checked)", "exact",
        _T + "cart-discount/CartDiscountDraft.raml sortOrder",
        ("cart-discount", "CartDiscountDraft", "sortOrder", "unique among all CartDiscounts"), fields=("sortOrder",),
    ),
    Rule(
        "shopping-lists", "slug.<locale>", "project, per locale", "exact, per locale",
        _T + "shopping-list/ShoppingListDraft.raml slug",
        ("shopping-list", "ShoppingListDraft", "slug", "unique across a Project"), claims=_slug_claims("shopping-list"),
    ),
    Rule(
        "reviews", "uniquenessValue", "project", "exact", _T + "review/ReviewDraft.raml uniquenessValue",
        ("review", "ReviewDraft", "uniquenessValue", "must be unique among Reviews"), fields=("uniquenessValue",),
    ),
    Rule(
        "payments", "interfaceId", "project, per payment interface",
        "exact (interfaceId, paymentMethodInfo.paymentInterface)", _T + "payment/PaymentDraft.raml interfaceId",
        ("payment", "PaymentDraft", "interfaceId", "must be unique"), claims=_payment_claims,
    ),
)  # fmt: skip

#: resources whose ``key`` is not unique on its own (custom objects: per container)
_NO_PLAIN_KEY = frozenset({"custom-objects"})


def field_rules(resource: str) -> tuple[tuple[str, ...], ...]:
    """The field rules' fields of ``resource`` (``key`` first: look-ups and errors check it first)."""
    out: list[tuple[str, ...]] = [] if resource in _NO_PLAIN_KEY else [("key",)]
    out.extend(r.fields for r in RULES if r.resource == resource and r.fields and r.fields != ("key",))
    return tuple(out)


def derived_rules(resource: str) -> tuple[Callable[[Mapping[str, Any]], Iterator[Claim]], ...]:
    """The derived rules' claim functions of ``resource``."""
    return tuple(r.claims for r in RULES if r.resource == resource and r.claims is not None)
