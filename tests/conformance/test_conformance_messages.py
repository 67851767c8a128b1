"""Messages against the independent emulator (@labdigital/commercetools-mock 4.4.0).

What the emulator has of Messages: the project's ``messages`` settings (``enabled: false`` by default,
``deleteDaysAfterCreation: 15``) and the Update Project action ``changeMessagesConfiguration``
(spec: ``api-specs/api/types/project/updates/ProjectChangeMessagesConfigurationAction.raml``). It has
no Messages API (``GET /{projectKey}/messages`` answers 404 "Route ... not found") and produces no
Messages, so reading them (cursor, sensor, triggers, deletions) is tested against the project's own
fake only; here: the settings check, enabling, and the incremental export in a project without Messages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from airflow_provider_commercetools.commercetools.errors import NotFoundError
from airflow_provider_commercetools.commercetools.messages.reader import MessagesDisabledError, check_messages_enabled
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from tests.airflow_runner import xcom_result

EXAMPLES = Path(__file__).parents[2] / "example_dags"


def test_the_messages_check_reads_the_emulators_project_settings_and_enabling_works(project):
    hook = CommercetoolsHook()
    with pytest.raises(MessagesDisabledError, match="changeMessagesConfiguration"):
        check_messages_enabled(hook.client.request)
    version = hook.request("GET", endpoint="")["version"]  # "" is the project itself
    action = {
        "action": "changeMessagesConfiguration",
        "messagesConfiguration": {"enabled": True, "deleteDaysAfterCreation": 7},
    }
    updated = hook.request("POST", endpoint="", payload={"version": version, "actions": [action]}, idempotent=True)
    assert updated["messages"] == {"enabled": True, "deleteDaysAfterCreation": 7}
    check_messages_enabled(hook.client.request)  # no error now
    with pytest.raises(NotFoundError):  # the emulator's gap: if this starts passing, test reading here too
        hook.client.request("GET", "messages")


@pytest.mark.parametrize("when_disabled", ["skip", "fail"])
def test_incremental_export_in_a_project_without_messages(project, run_dag, tmp_path, when_disabled):
    now = dt.datetime.now(dt.timezone.utc)
    changed = now - dt.timedelta(hours=1)
    stamp = changed.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    product = {"key": "p1", "version": 1, "createdAt": stamp, "lastModifiedAt": stamp, "masterData": {}}
    project.seed("product", [product], mode="unsafe")
    conf = {  # a window that has settled on the emulator's clock (it ends more than settle = 120 s ago)
        "output_base": str(tmp_path),
        "since": (now - dt.timedelta(hours=2)).isoformat(),
        "until": (now - dt.timedelta(minutes=5)).isoformat(),
        "when_messages_disabled": when_disabled,
    }
    dag_run = run_dag("example_commercetools_incremental_export", folder=EXAMPLES, run_conf=conf)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["export_products"] == "success"
    assert xcom_result(dag_run, "export_products")["count"] == 1
    if when_disabled == "skip":
        assert dag_run.state == "success"
        assert states["export_products_deletions"] == states["export_orders_deletions"] == "skipped"
    else:
        assert dag_run.state == "failed"
        assert states["export_products_deletions"] == states["export_orders_deletions"] == "failed"
