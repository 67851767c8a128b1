"""Field-to-action tables: one row per top-level field a single update action sets.

Most fields of most resources map one to one on an update action (``name`` -> ``changeName``,
``description`` -> ``setDescription``); a :class:`Field` row says which, and :func:`field_actions`
turns a table into the actions a draft needs. What a row says:

- ``unset``: a ``set*`` action without its value removes the field, so a draft leaving the field
  out asks for it to be removed; ``change*`` actions cannot remove (the field is required), so a
  draft leaving it out leaves it as it is;
- ``default``: the value commercetools fills in when a draft leaves the field out (compared as if
  the draft had it, so a default the API filled in is no change);
- ``as_set``: the list is order-insensitive (roles, search keywords...);
- ``current``: the resource's name of the field when it is not the draft's (customer groups'
  ``groupName`` is ``name`` once created).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import is_empty, sets_equal, values_equal
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext

_MISSING = object()


@dataclass(frozen=True)
class Field:
    """One field and the update action that sets it (see the module docstring)."""

    name: str
    action: str
    param: str = ""
    group: str = ""
    unset: bool = True
    default: Any = _MISSING
    as_set: bool = False
    current: str = ""

    @property
    def parameter(self) -> str:
        return self.param or self.name

    @property
    def group_name(self) -> str:
        return self.group or self.name


def wanted(groups: frozenset[str] | None, group: str) -> bool:
    """Whether a field group is synced (``groups`` None: all are)."""
    return groups is None or group in groups


def field_equal(row: Field, want: Any, have: Any, ctx: BuildContext) -> bool:
    if row.as_set and isinstance(want, list | tuple) and isinstance(have, list | tuple):
        return sets_equal(want, have, ctx)
    return values_equal(want, have, ctx)


def field_actions(
    rows: Iterable[Field],
    draft: Mapping[str, Any],
    current: Mapping[str, Any],
    ctx: BuildContext,
    groups: frozenset[str] | None,
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The actions of a field table: one per field whose draft value differs from the current one."""
    actions: list[dict[str, Any]] = []
    for row in rows:
        if not wanted(groups, row.group_name):
            continue
        want = draft.get(row.name)
        if is_empty(want):
            if row.default is not _MISSING:
                want = row.default
            elif not row.unset:
                continue
        have = current.get(row.current or row.name)
        if field_equal(row, want, have, ctx):
            continue
        action: dict[str, Any] = {"action": row.action}
        if not is_empty(want) or isinstance(want, bool):
            action[row.parameter] = want
        action.update(extra or {})
        actions.append(action)
    return actions
