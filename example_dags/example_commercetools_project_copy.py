"""Project-to-project copy: project B's categories made to match project A's, with the sync operator.

1. Project A's categories are exported (keyset pagination) to a JSON Lines file.
2. A ``@task`` turns them into drafts, streamed file to file: the copied fields, and the parent by its
   key (B's ids differ from A's). A category without a key cannot be matched and is counted, not copied.
3. ``CommercetoolsSyncOperator`` makes B match the drafts: B's categories are read by key in batches,
   only what differs is sent (a create for a new category, parents first; an update with only the
   changed fields' actions; nothing for an equal one), and ``sync_fields`` limits it to the copied
   fields. ``plan.jsonl`` says per category what was done and why, ``results.jsonl`` what became of
   each write. Run it again: it sends nothing.

Connections: ``commercetools_source`` (project A, ``view_categories``) and ``commercetools_target``
(project B, ``manage_categories``).
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsSubscriberOperator,
    CommercetoolsSyncOperator,
)

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

SOURCE_CONN = "commercetools_source"
TARGET_CONN = "commercetools_target"
COPIED_FIELDS = ("name", "slug", "description", "orderHint", "metaTitle", "metaDescription")
WORK_DIR = "{{ params.work_dir }}/{{ run_id | replace(':', '_') }}"


def category_draft(category: dict[str, Any], key_of: dict[str, str | None]) -> dict[str, Any] | None:
    """The draft of an exported category for another project (None without a key: it cannot be matched)."""
    key = category.get("key")
    if not key:
        return None
    draft = {"key": key, **{f: category[f] for f in COPIED_FIELDS if category.get(f) not in (None, "")}}
    parent_key = key_of.get((category.get("parent") or {}).get("id", ""))
    if parent_key:
        draft["parent"] = {"typeId": "category", "key": parent_key}
    return draft


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

    @task
    def to_drafts(source: dict[str, Any]) -> dict[str, Any]:
        """Drafts for the target, streamed (only the id -> key map of the source is held)."""
        key_of = {c["id"]: c.get("key") for c in read_json_lines("source", source["path"])}
        target = source["path"].replace("source.jsonl", "drafts.jsonl")
        without_key = 0
        with write_json_lines("drafts", target) as writer:
            for category in read_json_lines("source", source["path"]):
                draft = category_draft(category, key_of)
                if draft is None:
                    without_key += 1
                else:
                    writer.write(draft)
        if without_key:
            print(f"{without_key} source categories have no key and cannot be matched: not copied")
        return {"path": target, "count": writer.count}

    CommercetoolsSyncOperator(
        task_id="sync_to_target",
        commercetools_conn_id=TARGET_CONN,
        resource_type="categories",
        drafts=to_drafts(read_source.output),
        sync_fields=[*COPIED_FIELDS, "parent"],
        output_path=WORK_DIR,
    )
