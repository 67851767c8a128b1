"""CommercetoolsImportTrigger on its own: serialisation, and run() against the fake Import API over real HTTP."""

from __future__ import annotations

import asyncio
import time

from airflow_provider_commercetools.triggers.imports import CommercetoolsImportTrigger

PK = "test-project"


async def first_event(trigger: CommercetoolsImportTrigger) -> dict:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("no event")


def trigger(**overrides) -> CommercetoolsImportTrigger:
    kwargs = {
        "container_key": "watched",
        "commercetools_conn_id": "commercetools_default",
        "started": time.time(),
        "timeout": 30.0,
        "unresolved_timeout": 0.3,
        "poll_interval": 0.02,
        "carry": {"requests": 3},
    }
    return CommercetoolsImportTrigger(**{**kwargs, **overrides})


def test_serialize_round_trips():
    original = trigger()
    classpath, kwargs = original.serialize()
    assert classpath == "airflow_provider_commercetools.triggers.imports.CommercetoolsImportTrigger"
    assert CommercetoolsImportTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_run_polls_through_faults_until_the_container_is_done(commercetools_import_api):
    imports = commercetools_import_api
    ct = imports.fake
    imports.reads_before_processing = 2
    imports.add_container("watched")
    ct.inject("503", times=1, path_prefix=f"/{PK}/import-containers/watched/")
    _import(ct, imports, [{"key": "c1", "name": {"en": "C"}, "slug": {"en": "c1"}}])

    event = asyncio.run(first_event(trigger()))

    assert event["status"] == "success" and event["reason"] == "finished"
    assert event["states"] == {"processing": 0, "unresolved": 0, "waitForMasterVariant": 0}
    assert event["carry"] == {"requests": 3}
    # a poll is one exact state query per waiting state; the fake held the operation processing for 2 reads
    assert event["polls"] == 2 and ct.faults_injected == {"503": 1}  # the 503 was retried, not a poll
    assert [o["state"] for o in imports.operations("watched")] == ["imported"]
    assert not any(r.path.endswith("/import-summaries") for r in ct.requests)


def test_a_summary_that_lags_does_not_end_the_wait(commercetools_import_api):
    imports = commercetools_import_api
    # still processing at the trigger's first poll however late it comes (held for 2 reads, not for a time)
    imports.processing_delay = 0
    imports.reads_before_processing = 2
    imports.summary_delay = 30.0  # the summary shows the container as it was 30 s ago: empty
    imports.add_container("watched")
    _import(imports.fake, imports, [{"key": "c1", "name": {"en": "C"}, "slug": {"en": "c1"}}])
    assert imports.summary("watched")["total"] == 0

    event = asyncio.run(first_event(trigger(states=["processing"])))

    assert event["reason"] == "finished" and event["polls"] > 1
    assert [o["state"] for o in imports.operations("watched")] == ["imported"]


def test_run_reports_unresolved_after_its_timeout_and_errors_as_events(commercetools_import_api):
    imports = commercetools_import_api
    ct = imports.fake
    imports.add_container("watched")
    _import(
        ct,
        imports,
        [{"key": "c2", "name": {"en": "C"}, "slug": {"en": "c2"}, "parent": {"typeId": "category", "key": "p"}}],
    )

    event = asyncio.run(first_event(trigger()))
    assert (event["reason"], event["states"]["unresolved"]) == ("unresolved_timeout", 1)
    # the operator's trigger watches processing only: its own unresolved ones are settled on the worker
    only_processing = asyncio.run(first_event(trigger(states=["processing"], unresolved_timeout=30.0)))
    assert (only_processing["reason"], only_processing["states"]) == ("finished", {"processing": 0})

    missing = asyncio.run(first_event(trigger(container_key="missing")))
    assert missing["status"] == "error" and "ImportContainer with key 'missing'" in missing["message"]


def _token(ct) -> str:
    import base64
    import json
    import urllib.request

    credentials = base64.b64encode(f"{ct.client_id}:{ct.client_secret}".encode()).decode()
    grant = urllib.request.Request(
        f"{ct.url}/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(grant, timeout=10) as answer:
        return "Bearer " + json.load(answer)["access_token"]


def _import(ct, imports, resources: list[dict]) -> None:
    import json

    body = json.dumps({"type": "category", "resources": resources}).encode()
    response = imports.handle(
        "POST", f"/{PK}/categories/import-containers/watched", {}, {"authorization": _token(ct)}, body
    )
    assert response is not None and response.status == 201
