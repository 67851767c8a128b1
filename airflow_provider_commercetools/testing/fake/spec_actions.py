"""The spec's update actions per resource, as the fake accepts them (``spec_actions.json`` beside this file).

``spec_actions.json`` names, per resource path the fake serves, the commercetools API's update action
names with their property names and the property names of the resource type, read by
``scripts/spec_actions.py`` from commercetools/commercetools-api-reference (the commit and the RAML
files it names; names only, no spec text). ``tests/testing/test_spec_actions.py`` compares them with
the TypeScript types generated from the same RAML (npm ``@commercetools/platform-sdk``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve()

#: update prefixes whose action writes the one field it names (``setKey`` -> ``key``)
GENERIC_PREFIXES = ("set", "change")


@dataclass(frozen=True)
class ResourceActions:
    """One resource's update actions in the spec."""

    resource: str
    #: the RAML file of the resource's ``<Res>UpdateAction`` type (api-specs/api/types/...)
    update_action: str
    #: the RAML file of the resource type whose fields the actions write
    shape: str
    fields: frozenset[str]
    #: action name -> its properties besides ``action``
    actions: dict[str, tuple[str, ...]]
    deprecated: frozenset[str]

    def generic_field(self, name: str) -> str | None:
        """The field ``name`` writes when it is a plain ``set``/``change`` of one field, else None.

        That is: ``set<X>``/``change<X>`` whose only property is ``x`` (as the spec names it) and the
        resource type has a field ``x``; such an action sets the field to the value (``set`` without
        a value removes it), which is what the spec's action does.
        """
        for prefix in GENERIC_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix):
                rest = name[len(prefix) :]
                target = rest[:1].lower() + rest[1:]
                if target in self.fields and self.actions.get(name) == (target,):
                    return target
        return None


@cache
def load_facts(name: str) -> dict[str, Any]:
    """A facts file read from the spec, beside this module (``spec_actions.json``, ``spec_drafts.json``)."""
    data: dict[str, Any] = json.loads(_HERE.with_name(name).read_text(encoding="utf-8"))
    return data


def _load() -> dict[str, Any]:
    return load_facts("spec_actions.json")


def spec_commit() -> str:
    """The commit of commercetools/commercetools-api-reference the names were read at."""
    return str(_load()["commit"])


@cache
def resource_actions(resource: str) -> ResourceActions | None:
    """The spec's update actions of ``resource`` (a path such as ``categories``), None if not listed."""
    entry = _load()["resources"].get(resource)
    if entry is None:
        return None
    return ResourceActions(
        resource=resource,
        update_action=entry["update_action"],
        shape=entry["shape"],
        fields=frozenset(entry["fields"]),
        actions={name: tuple(props) for name, props in entry["actions"].items()},
        deprecated=frozenset(entry["deprecated"]),
    )


def resources() -> list[str]:
    """The resource paths the spec list covers."""
    return sorted(_load()["resources"])
