"""Prune: the target resources whose key is absent from the feed, planned as deletes, guarded by ``max_deletes``.

Only with ``prune=True``. Every target resource is read with the keyset paging engine (``sort=id``,
``id > last``: no offset limit), and one is deleted only when it has the fields the sync matches by (a
``key``; sku and supply channel for inventory; container and key for custom objects) and no draft of the
feed has them. A resource without a key is never deleted (it is counted as ``kept_without_key``). When
more than ``max_deletes`` would go, the plan is written without any delete and the sync refuses, saying
how many: nothing at all is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.reading.paging import MAX_PAGE_SIZE, iter_pages
from airflow_provider_commercetools.commercetools.writing.sync.references import ids_referenced

if TYPE_CHECKING:
    from airflow_provider_commercetools.commercetools.writing.sync.plan import Planner


def plan_deletes(planner: Planner, *, start: int) -> tuple[list[dict[str, Any]], ConfigurationError | None]:
    """The delete lines (numbered from ``start``), or none and the refusal when over ``max_deletes``.

    At most ``max_deletes`` lines are held; past that only the count goes on, for the error.
    """
    matcher = planner.matcher
    deletes: list[dict[str, Any]] = []
    total = 0
    for page in iter_pages(planner.client, matcher.entity, page_size=MAX_PAGE_SIZE, strategy="keyset"):
        if matcher.fields[-1:] == ("supplyChannel",):
            planner.context.load_ids(
                ref for resource in page.results for ref in ids_referenced(resource.get("supplyChannel"))
            )
        for resource in page.results:
            identities = matcher.target_identities(resource)
            if not identities:
                planner.summary.kept_without_key += 1
                continue
            if any(identity in planner.seen for identity in identities):
                continue
            total += 1
            if total <= planner.max_deletes:
                deletes.append(
                    {
                        "index": start + len(deletes),
                        "op": "delete",
                        "match": matcher.describe(identities[0]),
                        "why": "absent from feed",
                        "id": resource.get("id"),
                        "version": resource.get("version"),
                        # categories: children are deleted before their parents (deepest first)
                        "depth": len(resource.get("ancestors") or ()),
                    }
                )
    if total > planner.max_deletes:
        refusal = ConfigurationError(
            "max_deletes",
            f"prune would delete {total:,} {planner.sync_type.name} absent from the feed, more than "
            f"max_deletes={planner.max_deletes:,}; nothing was sent (the plan, without deletes, is written).",
            f"Check the feed (an empty or cut-short export deletes everything), then set max_deletes to at least "
            f"{total:,} if these deletes are wanted.",
        )
        return [], refusal
    deletes.sort(key=lambda line: -int(line["depth"]))
    for number, line in enumerate(deletes):
        line["index"] = start + number
    return deletes, None
