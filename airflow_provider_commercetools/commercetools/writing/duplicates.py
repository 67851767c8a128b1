"""A keyed create answered ``DuplicateField``: does the existing resource equal the draft?

A re-run (of a failures file, of a whole batch) converges: the resource found by the draft's key is compared
with the draft (:func:`~.compare.differences`); equal, the item counts as applied (note ``already_applied``);
otherwise the create fails, its error naming the key and the field paths that differ. A reference by key in
the draft is checked against the resource's reference by id by reading the referenced resource for its key.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.entities import ENTITIES, resolve_path
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError, RequestError
from airflow_provider_commercetools.commercetools.writing.building import PreparedRequest
from airflow_provider_commercetools.commercetools.writing.compare import differences

#: Differing field paths named in the error of a keyed create whose resource exists and differs.
MAX_PATHS_SHOWN = 20


class Duplicates:
    """Compares existing resources with drafts through ``client`` (thread-safe; keys read once per run)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        #: keys of referenced resources, by (typeId, id)
        self._keys: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def check(self, request: PreparedRequest, error: RequestError, found: Any) -> str:
        """The note of an item whose existing resource ``found`` equals its draft; raises ``error`` with the
        differences otherwise."""
        resource = found.get("customer", found) if isinstance(found, Mapping) else found
        draft = request.payload if isinstance(request.payload, Mapping) else {}
        paths = differences(draft, resource, self.key_of) if isinstance(resource, Mapping) else ["(not an object)"]
        if not paths:
            return (
                f"already_applied: a resource with {request.lookup_by} exists and equals the draft; not created again"
            )
        shown = ", ".join(paths[:MAX_PATHS_SHOWN]) + (
            f" and {len(paths) - MAX_PATHS_SHOWN} more" if len(paths) > MAX_PATHS_SHOWN else ""
        )
        raise error.with_hint(
            f"A resource with {request.lookup_by} exists already and differs from the draft in: {shown}. Update it "
            "(POST with its version and update actions) or change the draft's key; a draft equal to the existing "
            "resource counts as applied"
        )

    def key_of(self, type_id: str, id: str) -> str | None:
        """The key of a referenced resource, read by id (``category`` -> ``GET categories/<id>``), once per
        resource; None when it has none, is not found, or its typeId names no entity of the table."""
        cache_key = (type_id, id)
        with self._lock:
            if cache_key in self._keys:
                return self._keys[cache_key]
        name = type_id[:-1] + "ies" if type_id.endswith("y") else type_id + "s"  # typeId -> the entity's path
        key: str | None = None
        if name in ENTITIES:
            try:
                body = self.client.request("GET", resolve_path(name, {"id": id}).path)
            except (CommercetoolsError, ConfigurationError):
                body = None
            if isinstance(body, Mapping) and isinstance(body.get("key"), str):
                key = body["key"]
        with self._lock:
            self._keys[cache_key] = key
        return key
