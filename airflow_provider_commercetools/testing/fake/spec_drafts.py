"""The spec's required draft fields per resource (``spec_drafts.json`` beside this file).

``spec_drafts.json`` names, per resource path the fake serves, the required top-level properties of
the resource's draft (``<Res>Draft.raml``), read by ``scripts/spec_drafts.py`` from
commercetools/commercetools-api-reference (names only). ``tests/testing/test_spec_drafts.py``
compares them with the TypeScript types generated from the same RAML (npm ``@commercetools/platform-sdk``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow_provider_commercetools.testing.fake.spec_actions import load_facts


def _load() -> dict[str, Any]:
    return load_facts("spec_drafts.json")


def spec_commit() -> str:
    """The commit of commercetools/commercetools-api-reference the names were read at."""
    return str(_load()["commit"])


@cache
def required_fields(resource: str) -> tuple[str, ...]:
    """The required top-level properties of ``resource``'s draft, in the spec's order (empty if not listed)."""
    entry = _load()["resources"].get(resource)
    return () if entry is None else tuple(entry["required"])


def draft_file(resource: str) -> str | None:
    """The RAML file of ``resource``'s draft type (api-specs/api/types/...), None if not listed."""
    entry = _load()["resources"].get(resource)
    return None if entry is None else str(entry["draft"])


def resources() -> list[str]:
    """The resource paths the list covers."""
    return sorted(_load()["resources"])
