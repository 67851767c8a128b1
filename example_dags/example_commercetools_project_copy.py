"""Project-to-project copy: the categories of project A created or updated in project B.

1. Both projects' categories are exported (keyset pagination) to JSON Lines files.
2. A ``@task`` plans the changes, matching categories by ``key``: a category missing in B becomes a
   create (parents first, the parent referenced by key); one that differs becomes an update with
   B's current version and only the actions needed; identical ones are left alone.
3. The publisher sends the plan to B with ``on_error="continue"``: every item is sent, each result is
   written to ``results.jsonl`` and the failed ones to ``results.failures.jsonl``, and the task fails
   naming them. Re-running the publisher with ``items`` set to the failures file finishes the job.

Connections: ``commercetools_source`` (project A, ``view_categories``) and ``commercetools_target``
(project B, ``manage_categories``).
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

SOURCE_CONN = "commercetools_source"
TARGET_CONN = "commercetools_target"
COPIED_FIELDS = ("name", "slug", "description", "orderHint", "metaTitle", "metaDescription")
#: update action per field, for categories that exist in both projects
ACTIONS = {
    "name": "changeName",
    "slug": "changeSlug",
    "description": "setDescription",
    "orderHint": "changeOrderHint",
    "metaTitle": "setMetaTitle",
    "metaDescription": "setMetaDescription",
}
WORK_DIR = "{{ params.work_dir }}/{{ run_id | replace(':', '_') }}"


def plan_category_changes(source: list[dict[str, Any]], target: list[dict[str, Any]]) -> dict[str, Any]:
    """Creates (parents first) and updates that make the target's categories match the source's."""
    key_of = {c["id"]: c.get("key") for c in source}
    existing = {c["key"]: c for c in target if c.get("key")}
    target_key_of = {c["id"]: c.get("key") for c in target}
    creates: list[tuple[int, dict[str, Any]]] = []
    updates: list[dict[str, Any]] = []
    without_key: list[str] = []
    for category in source:
        key = category.get("key")
        if not key:
            without_key.append(category["id"])
            continue
        fields = {f: category[f] for f in COPIED_FIELDS if category.get(f) is not None}
        parent_key = key_of.get((category.get("parent") or {}).get("id"))
        parent = {"typeId": "category", "key": parent_key} if parent_key else None
        current = existing.get(key)
        if current is None:
            draft = {"key": key, **fields}
            if parent:
                draft["parent"] = parent
            creates.append((len(category.get("ancestors") or []), {"payload": draft}))
            continue
        actions = [{"action": ACTIONS[f], f: value} for f, value in fields.items() if current.get(f) != value]
        current_parent_key = target_key_of.get((current.get("parent") or {}).get("id"))
        if parent and parent_key != current_parent_key:
            actions.append({"action": "changeParent", "parent": parent})
        if actions:
            updates.append({"path": {"key": key}, "payload": {"version": current["version"], "actions": actions}})
    creates.sort(key=lambda pair: pair[0])
    return {"items": [item for _, item in creates] + updates, "without_key": without_key}


with DAG(
    dag_id="example_commercetools_project_copy",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"work_dir": "/tmp/commercetools/copy"},
    tags=["commercetools", "example"],
    doc_md=__doc__,
):
    read_source = CommercetoolsSubscriberOperator(
        task_id="read_source_categories",
        commercetools_conn_id=SOURCE_CONN,
        entity="categories",
        output_path=WORK_DIR + "/source.jsonl",
    )
    read_target = CommercetoolsSubscriberOperator(
        task_id="read_target_categories",
        commercetools_conn_id=TARGET_CONN,
        entity="categories",
        output_path=WORK_DIR + "/target.jsonl",
    )

    @task
    def plan(source: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
        """Creates and updates for the target (categories are few: the plan travels by XCom)."""
        result = plan_category_changes(
            list(read_json_lines("source", source["path"])), list(read_json_lines("target", target["path"]))
        )
        if result["without_key"]:
            print(
                f"{len(result['without_key'])} source categories have no key and cannot be matched: "
                f"{result['without_key'][:20]}"
            )
        print(f"planned {len(result['items'])} changes")
        return result["items"]

    CommercetoolsPublisherOperator(
        task_id="publish_to_target",
        commercetools_conn_id=TARGET_CONN,
        method="POST",
        entity="categories",
        items=plan(read_source.output, read_target.output),
        on_error="continue",
        max_workers=1,  # creates go parents first
        output_path=WORK_DIR + "/results.jsonl",
    )
