"""DAGs of the sync operator's tests: apply, dry run, prune, and plan -> a concurrent edit -> apply the plan."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.errors import NotFoundError
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSyncOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

START = datetime.datetime(2026, 1, 1)
PARAMS = {"resource_type": "categories", "drafts": "/tmp/sync/drafts.jsonl", "output_dir": "/tmp/sync/out"}

with DAG("sync_apply_dag", schedule=None, start_date=START, catchup=False, params=PARAMS):
    CommercetoolsSyncOperator(
        task_id="sync",
        resource_type="{{ params.resource_type }}",
        drafts="{{ params.drafts }}",
        output_path="{{ params.output_dir }}",
        max_workers=2,
        batch_size=3,
    )

with DAG("sync_dry_run_dag", schedule=None, start_date=START, catchup=False, params=PARAMS):
    CommercetoolsSyncOperator(
        task_id="sync",
        resource_type="{{ params.resource_type }}",
        drafts="{{ params.drafts }}",
        output_path="{{ params.output_dir }}",
        dry_run=True,
        prune=True,
        max_deletes=10,
    )

with DAG("sync_prune_dag", schedule=None, start_date=START, catchup=False, params=PARAMS):
    CommercetoolsSyncOperator(
        task_id="sync",
        resource_type="categories",
        drafts="{{ params.drafts }}",
        output_path="{{ params.output_dir }}",
        prune=True,
        max_deletes=2,
    )

with DAG("sync_review_dag", schedule=None, start_date=START, catchup=False, params={**PARAMS, "edit_key": "chg"}):
    plan = CommercetoolsSyncOperator(
        task_id="plan",
        resource_type="categories",
        drafts="{{ params.drafts }}",
        output_path="{{ params.output_dir }}/plan",
        dry_run=True,
    )

    @task
    def someone_edits(params=None) -> int:
        """Another writer changes the category between the plan and its apply: the plan's version is stale (or,
        when it does not exist, creates it: the plan's create meets its key)."""
        client = CommercetoolsHook().client
        key = params["edit_key"]
        try:
            current = client.request("GET", f"categories/key={key}")
        except NotFoundError:
            draft = {"key": key, "name": {"en": "Created elsewhere"}, "slug": {"en": f"{key}-elsewhere"}}
            return int(client.request("POST", "categories", payload=draft)["version"])
        actions = [{"action": "changeName", "name": {"en": "Edited elsewhere"}}]
        body = client.request(
            "POST", f"categories/{current['id']}", payload={"version": current["version"], "actions": actions}
        )
        return int(body["version"])

    apply = CommercetoolsSyncOperator(
        task_id="apply",
        resource_type="categories",
        plan="{{ ti.xcom_pull(task_ids='plan')['plan_path'] }}",
        output_path="{{ params.output_dir }}/apply",
    )
    plan >> someone_edits() >> apply

#: the resource types the conformance test syncs in one DAG run (feeds at <feed_dir>/<type>.jsonl)
CONFORMANCE_TYPES = (
    "categories",
    "customer-groups",
    "channels",
    "tax-categories",
    "zones",
    "states",
    "customers",
    "custom-objects",
    "types",
    "product-types",
    "stores",
    "inventory",
    "products",
)

with DAG(
    "sync_types_dag", schedule=None, start_date=START, catchup=False, params={"feed_dir": "/tmp/sync", "output_dir": ""}
):
    tasks = {
        name: CommercetoolsSyncOperator(
            task_id=name.replace("-", "_"),
            resource_type=name,
            drafts="{{ params.feed_dir }}/" + name + ".jsonl",
            output_path="{{ params.output_dir }}/" + name,
        )
        for name in CONFORMANCE_TYPES
    }
    tasks["product-types"] >> tasks["products"]  # a product references its product type by key

with DAG("sync_by_sku_dag", schedule=None, start_date=START, catchup=False, params=PARAMS):
    CommercetoolsSyncOperator(
        task_id="sync",
        resource_type="products",
        match_by="sku",
        drafts="{{ params.drafts }}",
        output_path="{{ params.output_dir }}",
        on_error="skip",
    )
