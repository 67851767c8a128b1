"""Which Messages to read: Message types, resource type ids and ``where`` predicates, checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.checks import parse_json_string, short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.reading import as_predicates, quote_string

_NAME_PATTERNS = {
    "message_types": (re.compile(r"^[A-Z][A-Za-z0-9]*$"), "Message types look like 'OrderCreated'"),
    "resource_types": (re.compile(r"^[a-z][a-z0-9-]*$"), "resource type ids look like 'order' or 'inventory-entry'"),
}


def _names(parameter: str, value: Any) -> tuple[str, ...]:
    """Names from a list, a JSON list string or a comma-separated string; each checked for its shape."""
    value = parse_json_string(parameter, value)
    if value is None or value == "" or value == [] or value == "None":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    pattern, shape = _NAME_PATTERNS[parameter]
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigurationError(
            parameter, f"{short(value)} is not a name or a list of names.", "E.g. ['OrderCreated', 'OrderDeleted']."
        )
    names = [item.strip() for item in items]
    for name in names:
        if not pattern.match(name):
            raise ConfigurationError(
                parameter,
                f"{name!r} is not a valid name ({shape}).",
                "A template renders a list as Python text: end it with '| tojson', set "
                "render_template_as_native_obj=True on the DAG, or give a comma-separated string.",
            )
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class MessageFilter:
    """Which messages to read: Message types, resource type ids (``order``, ``product``...), ``where``."""

    types: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    where: tuple[str, ...] = ()

    @classmethod
    def create(cls, types: Any = None, resource_types: Any = None, where: Any = None) -> MessageFilter:
        return cls(
            _names("message_types", types),
            _names("resource_types", resource_types),
            tuple(as_predicates("where", where)),
        )

    def predicates(self) -> list[str]:
        parts = []
        if self.types:
            parts.append(f"type in ({', '.join(quote_string(t) for t in self.types)})")
        if self.resource_types:
            ids = ", ".join(quote_string(t) for t in self.resource_types)
            parts.append(f"resource(typeId in ({ids}))")
        return parts + [f"({w})" for w in self.where]

    def to_json(self) -> dict[str, list[str]]:
        return {"types": list(self.types), "resource_types": list(self.resource_types), "where": list(self.where)}
