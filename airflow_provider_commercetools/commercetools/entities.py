"""The commercetools entities and the shapes of their paths, as one table.

A path is chosen by which path parameters are given: none addresses the collection, ``id`` or
``key`` (or ``order_number`` for orders, ``container`` and ``key`` for custom objects) one entity.
``store_key`` scopes store-aware entities to ``in-store/key={store_key}/``.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from airflow_provider_commercetools.commercetools.errors import ConfigurationError

STORE_KEY = "store_key"

#: path parameters -> (path template, addresses one entity)
Shapes = Mapping[frozenset[str], tuple[str, bool]]
#: a unique value a draft supplies: (draft field, path parameter) pairs, e.g. (("orderNumber", "order_number"),)
UniqueFields = tuple[tuple[str, str], ...]

#: what ``POST`` to the collection does (the write behaviour the publisher builds requests from)
CREATE = "create"
UPSERT = "upsert"


def _standard(
    name: str, *, key: bool = True, extra: Mapping[str, str] | None = None
) -> dict[frozenset[str], tuple[str, bool]]:
    shapes = {frozenset(): (name, False), frozenset({"id"}): (f"{name}/{{id}}", True)}
    if key:
        shapes[frozenset({"key"})] = (f"{name}/key={{key}}", True)
    for param, segment in (extra or {}).items():
        shapes[frozenset({param})] = (f"{name}/{segment}={{{param}}}", True)
    return shapes


@dataclass(frozen=True)
class Entity:
    """One resource of the API: its name in paths and what it supports."""

    name: str
    shapes: Shapes = field(default_factory=dict)
    store_scoped: bool = False
    #: updates and deletes need a version (custom objects do not)
    versioned: bool = True
    read_only: bool = False
    #: ``POST`` to the collection: ``create`` (a draft; a lost answer is not re-sent blindly) or ``upsert``
    #: (the payload carries its own identity, e.g. custom objects' container and key: writing it again is
    #: harmless, and an optional ``version`` guards it)
    post_to_collection: str = CREATE
    #: the unique values a draft supplies, in order of preference, by which a create whose answer was lost
    #: is looked up (each is a path shape of the entity); for an upsert, the fields the payload must have
    lookup_by: tuple[UniqueFields, ...] = ((("key", "key"),),)

    @property
    def path_parameters(self) -> list[str]:
        names = sorted({p for params in self.shapes for p in params})
        return [*names, STORE_KEY] if self.store_scoped else names

    def __post_init__(self) -> None:
        if not self.shapes:
            object.__setattr__(self, "shapes", _standard(self.name))


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("project", shapes={frozenset(): ("", True)}),
        Entity("products"),
        Entity("product-projections", store_scoped=True, read_only=True),
        Entity("product-types"),
        Entity("product-discounts"),
        Entity("product-selections"),
        Entity("product-tailoring"),
        Entity("standalone-prices"),
        Entity("categories"),
        Entity("customers", store_scoped=True),
        Entity("customer-groups"),
        Entity("carts", store_scoped=True),
        Entity("cart-discounts"),
        Entity("discount-codes"),
        Entity(
            "orders",
            shapes=_standard("orders", extra={"order_number": "order-number"}),
            store_scoped=True,
            lookup_by=((("orderNumber", "order_number"),), (("key", "key"),)),
        ),
        Entity("payments"),
        Entity("quotes"),
        Entity("quote-requests"),
        Entity("staged-quotes"),
        Entity("shopping-lists", store_scoped=True),
        Entity("reviews"),
        Entity("inventory"),
        Entity("channels"),
        Entity("stores"),
        Entity("states"),
        Entity("tax-categories"),
        Entity("shipping-methods"),
        Entity("zones"),
        Entity("types"),
        Entity("subscriptions"),
        Entity("extensions"),
        Entity(
            "custom-objects",
            shapes={
                frozenset(): ("custom-objects", False),
                frozenset({"id"}): ("custom-objects/{id}", True),
                frozenset({"container"}): ("custom-objects/{container}", False),
                frozenset({"container", "key"}): ("custom-objects/{container}/{key}", True),
            },
            versioned=False,
            post_to_collection=UPSERT,
            lookup_by=((("container", "container"), ("key", "key")),),
        ),
        Entity("attribute-groups"),
        Entity("associate-roles"),
        Entity("business-units"),
        Entity("messages", shapes=_standard("messages", key=False), read_only=True, lookup_by=()),
        Entity("api-clients", shapes=_standard("api-clients", key=False), lookup_by=()),
    )
}


@dataclass(frozen=True)
class ResolvedPath:
    """A path below the project (``products/key=abc``) and what it addresses."""

    path: str
    single: bool
    entity: Entity | None = None


def get_entity(name: str) -> Entity:
    """Look an entity up by its path name, or fail listing the known names."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError("entity", f"{name!r} is not an entity name.", _known())
    clean = name.strip().strip("/")
    entity = ENTITIES.get(clean) or ENTITIES.get(clean.replace("_", "-").lower())
    if entity is None:
        close = difflib.get_close_matches(clean, ENTITIES, n=1)
        maybe = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError("entity", f"unknown entity {name!r}.{maybe}", _known())
    return entity


def _known() -> str:
    return (
        f"Known entities: {', '.join(sorted(ENTITIES))}. "
        "For any other path use endpoint='<path below the project key>'."
    )


def _segment(parameter: str, value: Any) -> str:
    """One path value, URL-quoted; never empty, ``.`` or ``..`` (the HTTP stack would collapse those)."""
    if value is None or isinstance(value, dict | list):
        raise ConfigurationError(f"path[{parameter!r}]", f"{value!r} is not a valid value.", "Give a non-empty string.")
    text = str(value)
    if not text.strip() or text.strip() in (".", ".."):
        raise ConfigurationError(
            f"path[{parameter!r}]",
            f"{value!r} is not a valid value: it would address another path than the entity.",
            "Give a non-empty string other than '.' and '..'.",
        )
    return quote(text, safe="")


_PLACEHOLDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _fill(endpoint: str, params: Mapping[str, Any]) -> str:
    """``endpoint`` with each ``{name}`` replaced by the quoted path value; nothing is evaluated."""
    parts: list[str] = []
    try:
        pieces = list(string.Formatter().parse(endpoint))
    except ValueError as error:
        raise ConfigurationError("endpoint", f"{endpoint!r} has unbalanced braces ({error}).", "Use {name}.") from None
    for literal, name, spec, conversion in pieces:
        parts.append(literal)
        if name is None:
            continue
        if not _PLACEHOLDER.fullmatch(name) or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ConfigurationError(
                "endpoint",
                f"the placeholder {shown} in {endpoint!r} is not a plain name.",
                "Use placeholders like {id} or {container}, filled from 'path' by name.",
            )
        if name not in params:
            raise ConfigurationError(
                "path", f"endpoint {endpoint!r} needs the path parameter {name!r}.", "Add it to 'path'."
            )
        parts.append(_segment(name, params[name]))
    return "".join(parts)


def resolve_path(
    entity: str | None = None, path: Mapping[str, Any] | None = None, *, endpoint: str | None = None
) -> ResolvedPath:
    """Build the path below the project key from an entity and path parameters, or a raw endpoint.

    With ``endpoint``, ``{name}`` placeholders are filled from ``path`` (URL-quoted).
    """
    params = dict(path or {})
    if endpoint is not None:
        if entity:
            raise ConfigurationError("endpoint", "is given together with 'entity'.", "Give one of the two.")
        if not isinstance(endpoint, str):
            raise ConfigurationError("endpoint", f"{endpoint!r} is not a string.", "E.g. 'product-projections/search'.")
        filled = _fill(endpoint, params)
        return ResolvedPath(filled.strip("/"), single=False)
    if entity is None:
        raise ConfigurationError("entity", "is missing.", "Give an entity name (e.g. 'products') or an endpoint.")
    spec = get_entity(entity)
    store_key = params.pop(STORE_KEY, None)
    given = frozenset(k for k, v in params.items())
    shape = spec.shapes.get(given)
    if shape is None:
        options = " or ".join("{" + ", ".join(sorted(p)) + "}" if p else "{}" for p in sorted(spec.shapes, key=len))
        raise ConfigurationError(
            "path",
            f"{sorted(given)} does not address {spec.name}.",
            f"Path parameters for {spec.name}: {options}"
            + (f", each optionally with {STORE_KEY!r}." if spec.store_scoped else "."),
        )
    template, single = shape
    text = _fill(template, params)
    if store_key is not None:
        if not spec.store_scoped:
            raise ConfigurationError(
                f"path[{STORE_KEY!r}]",
                f"{spec.name} cannot be scoped to a store.",
                "Store-scoped entities: " + ", ".join(n for n, e in ENTITIES.items() if e.store_scoped) + ".",
            )
        text = f"in-store/key={_segment(STORE_KEY, store_key)}/{text}"
    return ResolvedPath(text, single=single, entity=spec)
