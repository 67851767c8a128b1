"""Equality of a draft and the resource commercetools holds: what "nothing changed" means.

One comparison for every writer: the sync's action builders (:mod:`.sync.actions`) use these functions,
and so does the publisher when a keyed create is answered ``DuplicateField`` (:mod:`.duplicates`: the
existing resource counts as applied when the sync would send it no update action).

A sync is trusted only when a resource that matches its draft gets no update action. The shapes a
draft and a read resource take for the same value differ, so values are compared after these
normalizations (each one a case commercetools-sync-java's users met, see issue 23):

- a draft's reference is a ResourceIdentifier by key (``{"typeId": "category", "key": "k"}``), the
  resource's a Reference by id (``{"typeId": "category", "id": "..."}``, perhaps expanded with
  ``obj``): equal when they name the same resource (by the key the context knows for the id, or by id);
- money: a draft's ``Money`` (``currencyCode``, ``centAmount``) equals the resource's ``TypedMoney``
  (``type``, ``fractionDigits`` filled in by the API,
  api-specs/api/types/common/CentPrecisionMoney.raml); high-precision money compares
  ``preciseAmount`` and ``fractionDigits``;
- absent, ``null``, ``""``, ``{}`` and ``[]`` are the same "no value" (a LocalizedString without
  locales, a list without entries: commercetools leaves such fields out of what it returns; a
  feed, or the emulator, may write an empty string for a text it has not);
- date-times compare as instants (``2026-01-01T00:00:00Z`` = ``2026-01-01T00:00:00.000Z``), times
  of day alike (``10:00`` = ``10:00:00.000``, the API's form of a ``time`` attribute);
- numbers compare by value (``1`` = ``1.0``);
- server-only fields (``id``, ``version``, timestamps, ``createdBy``...) are never compared.

Order-insensitive sets and API-filled defaults depend on the field: the action builders
(:mod:`.actions`) say which list is a set and which default the API fills in, and use
:func:`values_equal` and :func:`sets_equal` for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, time
from typing import Any, Protocol


class BuildContext(Protocol):
    """What a comparison may ask about other resources (the sync's reference cache, or the publisher's
    look-ups of a duplicate, answer)."""

    def key_of(self, type_id: str, id: str) -> str | None:
        """The key of a referenced resource by id, None if unknown."""

    def id_of(self, type_id: str, key: str) -> str | None:
        """The id of a referenced resource by key, None if missing."""


# Fields commercetools writes itself (BaseResource, api-specs/api/types/common/BaseResource.raml,
# and the CreatedBy/LastModifiedBy of every resource): never part of a desired state.
SERVER_FIELDS = frozenset(
    {
        "id",
        "version",
        "versionModifiedAt",
        "createdAt",
        "lastModifiedAt",
        "createdBy",
        "lastModifiedBy",
        "lastMessageSequenceNumber",
    }
)

_SCALARS = (str, int, float, bool)
_REFERENCE_FIELDS = frozenset({"typeId", "id", "key", "obj"})
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def is_empty(value: Any) -> bool:
    """Absent, ``null``, ``""``, ``{}`` and ``[]``: no value (commercetools leaves such fields out of
    what it returns; feeds and some servers write an empty string for a missing text)."""
    return value is None or (isinstance(value, str | dict | list | tuple) and not value)


def is_reference(value: Any) -> bool:
    """A Reference or ResourceIdentifier: ``typeId`` plus ``id`` and/or ``key`` (and ``obj`` when expanded)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("typeId"), str)
        and ("id" in value or "key" in value)
        and set(value) <= _REFERENCE_FIELDS
    )


def is_money(value: Any) -> bool:
    """Money or TypedMoney (api-specs/api/types/common/Money.raml, TypedMoney.raml)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("currencyCode"), str)
        and ("centAmount" in value or "preciseAmount" in value)
    )


def reference_key(ref: Mapping[str, Any] | None, ctx: BuildContext) -> str | None:
    """The key a reference names: its own ``key``, the expanded object's, or the one the context knows."""
    if not ref:
        return None
    if ref.get("key") is not None:
        return str(ref["key"])
    obj = ref.get("obj")
    if isinstance(obj, Mapping) and obj.get("key") is not None:
        return str(obj["key"])
    if ref.get("id") is not None:
        return ctx.key_of(str(ref.get("typeId")), str(ref["id"]))
    return None


def references_equal(draft: Mapping[str, Any] | None, current: Mapping[str, Any] | None, ctx: BuildContext) -> bool:
    """Whether a draft's reference (by key or id) names the resource a current reference (by id) names."""
    if is_empty(draft) or is_empty(current):
        return is_empty(draft) and is_empty(current)
    assert draft is not None and current is not None
    if draft.get("typeId") != current.get("typeId"):
        return False
    if draft.get("id") is not None and current.get("id") is not None:
        return bool(draft["id"] == current["id"])
    draft_key = reference_key(draft, ctx)
    if draft_key is not None and current.get("id") is not None:
        if reference_key(current, ctx) == draft_key:
            return True
        return ctx.id_of(str(draft["typeId"]), draft_key) == current["id"]
    return draft_key is not None and draft_key == reference_key(current, ctx)


def _fraction_digits(money: Mapping[str, Any]) -> int | None:
    digits = money.get("fractionDigits")
    return int(digits) if digits is not None else None


def money_equal(draft: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Money as a draft gives it equals the TypedMoney commercetools returns for it.

    A draft without ``type`` is cent precision (api-specs/api/types/common/Money.raml); the
    ``fractionDigits`` the API fills in for a cent-precision amount follow the currency and are not
    part of the amount, so they are compared only when the draft names them.
    """
    if draft.get("currencyCode") != current.get("currencyCode"):
        return False
    draft_type = draft.get("type") or ("highPrecision" if "preciseAmount" in draft else "centPrecision")
    current_type = current.get("type") or ("highPrecision" if "preciseAmount" in current else "centPrecision")
    if draft_type != current_type:
        return False
    if draft_type == "highPrecision":
        return bool(draft.get("preciseAmount") == current.get("preciseAmount")) and _fraction_digits(
            draft
        ) == _fraction_digits(current)
    if draft.get("fractionDigits") is not None and _fraction_digits(draft) != _fraction_digits(current):
        return False
    return bool(draft.get("centAmount") == current.get("centAmount"))


def instant(text: str) -> datetime | None:
    """A date-time string as an instant, None if it is not one."""
    if not _DATETIME.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def values_equal(draft: Any, current: Any, ctx: BuildContext) -> bool:
    """Deep equality of a draft's value and a resource's, with the normalizations of this module.

    Lists compare in order (a builder that knows a list is a set uses :func:`sets_equal`); a dict
    compares every key either side has, server-only fields aside (the ``id`` of an address, an
    asset, a price).
    """
    return _equal(draft, current, ctx, SERVER_FIELDS)


def data_equal(draft: Any, current: Any, ctx: BuildContext) -> bool:
    """:func:`values_equal` for the users' own data (a custom object's value, a custom field's or an
    attribute's value), where a key named ``id`` or ``version`` is data like any other."""
    return _equal(draft, current, ctx, frozenset())


def _equal(draft: Any, current: Any, ctx: BuildContext, ignored: frozenset[str]) -> bool:
    kind = type(draft)
    if kind is type(current) and kind in _SCALARS and draft == current:
        return True  # the common case, first
    if is_empty(draft) or is_empty(current):
        return is_empty(draft) and is_empty(current)
    if is_reference(draft) and is_reference(current):
        return references_equal(draft, current, ctx)
    if is_money(draft) and is_money(current):
        return money_equal(draft, current)
    if isinstance(draft, dict) and isinstance(current, dict):
        keys = (draft.keys() | current.keys()) - ignored
        return all(_equal(draft.get(k), current.get(k), ctx, ignored) for k in keys)
    if isinstance(draft, list | tuple) and isinstance(current, list | tuple):
        pairs = zip(draft, current, strict=False)
        return len(draft) == len(current) and all(_equal(d, c, ctx, ignored) for d, c in pairs)
    if isinstance(draft, bool) or isinstance(current, bool):
        return draft is current
    if isinstance(draft, int | float) and isinstance(current, int | float):
        return draft == current
    if isinstance(draft, str) and isinstance(current, str) and draft != current:
        a, b = instant(draft), instant(current)
        if a is not None and b is not None:
            return a == b
        if _TIME.match(draft) and _TIME.match(current):
            t, u = _time(draft), _time(current)
            return t is not None and t == u
        return False
    return bool(draft == current)


def _time(text: str) -> time | None:
    try:
        return time.fromisoformat(text if text.count(":") == 2 else f"{text}:00")
    except ValueError:
        return None


def sets_equal(
    draft: Sequence[Any] | None,
    current: Sequence[Any] | None,
    ctx: BuildContext,
    equal: Callable[[Any, Any, BuildContext], bool] = values_equal,
) -> bool:
    """Order-insensitive equality of two lists (a multiset: each draft entry matches one current entry)."""
    left, right = list(draft or []), list(current or [])
    if len(left) != len(right):
        return False
    for item in left:
        for index, other in enumerate(right):
            if equal(item, other, ctx):
                del right[index]
                break
        else:
            return False
    return True


def key_references(value: Any) -> Iterator[tuple[str, str]]:
    """Every ``(typeId, key)`` a draft names by key, anywhere in it (attribute values and custom
    fields included): what the reference cache must know before the builders compare the draft."""
    if isinstance(value, Mapping):
        if is_reference(value) and value.get("key") is not None and value.get("id") is None:
            yield str(value["typeId"]), str(value["key"])
            return
        for item in value.values():
            yield from key_references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from key_references(item)


def differences(
    draft: Mapping[str, Any],
    current: Mapping[str, Any],
    ctx: BuildContext,
    path: str = "",
    *,
    sets: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
) -> list[str]:
    """The field paths where a resource differs from what a draft asks for (empty: it matches).

    Only the fields the draft names are looked at (a draft that leaves a field out does not care
    about it here), the resource's server-only fields never, nor the fields in ``skip`` (secrets the API
    stores transformed, such as a customer's ``password``). Nested objects are walked so that the path
    names the differing leaf (``name.de``, ``custom.fields.color``); lists, references and money are
    compared whole with :func:`values_equal`, the lists named in ``sets`` with :func:`sets_equal`; a
    draft's ``false`` equals a field the resource leaves out (an optional flag's default). A
    :class:`SyncType`'s ``build_actions`` is the full desired-state comparison (it also knows sets,
    defaults and what an absent field means); this names what differs.
    """
    found: list[str] = []
    for name in sorted(draft):
        if (name in SERVER_FIELDS and not path) or name in skip:
            continue  # the resource's own; nested, an "id" may be data (a custom object's value)
        want, have = draft[name], current.get(name)
        where = f"{path}.{name}" if path else name
        if (
            isinstance(want, Mapping)
            and isinstance(have, Mapping)
            and not (is_reference(want) or is_money(want))
            and want
            and have
        ):
            found.extend(differences(want, have, ctx, where, sets=sets, skip=skip))
        elif want is False and have is None:
            continue
        elif name in sets and isinstance(want, list) and isinstance(have, list):
            if not sets_equal(want, have, ctx):
                found.append(where)
        elif not values_equal(want, have, ctx):
            found.append(where)
    return found
