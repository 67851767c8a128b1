"""CommercetoolsImportOperator: bulk writes through the commercetools Import API, with a result per resource.

It renders its parameters, sends the items through the commercetools layer's ``Importer``, waits
(polling, or deferred to the triggerer) and reports through the shared results model (``commercetools.results``:
the publisher's records, report and files).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator, Context, conf

from airflow_provider_commercetools.commercetools.checks import check_choice, check_conn_id, check_count, is_static
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import check_location
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.importer import Importer
from airflow_provider_commercetools.commercetools.imports.items import PreparedItem, load_items
from airflow_provider_commercetools.commercetools.imports.journal import journal_for
from airflow_provider_commercetools.commercetools.imports.records import NOT_WAITED, ImportFailedError, WaitPolicy
from airflow_provider_commercetools.commercetools.imports.resources import (
    DEFAULT_CONTAINER_TTL,
    MAX_RESOURCES_PER_REQUEST,
    check_container_key,
    check_ttl,
    container_key_for,
    get_resource_type,
)
from airflow_provider_commercetools.commercetools.imports.verify import READ_BACK, verifiable, verify
from airflow_provider_commercetools.commercetools.results.records import SUCCEEDED, ItemResult
from airflow_provider_commercetools.commercetools.results.redaction import check_redact_fields
from airflow_provider_commercetools.commercetools.transport.client import POOL_SIZE
from airflow_provider_commercetools.commercetools.writing import ON_ERROR
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

MAX_FAILURES_IN_ERROR = 20
#: Failed or unsent items whose errors a deferred wait carries through the trigger; more: poll instead.
MAX_CARRIED = 1000


class ImportPartlyAppliedError(ImportFailedError, AirflowFailException):
    """Order patches failed after others were applied: not retried by Airflow (a patch adds again)."""


class CommercetoolsImportOperator(BaseOperator):
    """Import resources in bulk through the commercetools Import API and report each one's final state.

    The items are sent as import requests of 20 resources (``max_workers`` requests at once) into the
    import container ``container_key``: by default one stable container per DAG, task and resource
    type, reused run after run (created when missing, with a ``retentionPolicy`` of ``container_ttl``).
    commercetools then imports them asynchronously: each resource becomes an ImportOperation whose
    state goes from ``processing`` to ``imported``, ``validationFailed``, ``rejected``..., or
    ``unresolved`` while a resource it references by key (a category, a product type) does not exist
    yet. The run keeps the id of every operation it created (in a journal: Airflow 3.3+'s task state
    store, else a file beside ``output_path``, else XCom), so its results are told apart from earlier
    runs' in the same container, and a retry after a lost worker reconnects to them instead of sending
    the items again.

    **Waiting.** With ``wait`` (default) the task waits until this run's operations are final, at most
    ``timeout`` seconds, reading them with exact state-filtered queries (the container's summary is
    eventually consistent: only logged). An ``unresolved`` one counts as pending until
    ``unresolved_timeout``, then as failed (with its unresolved references); a ``waitForMasterVariant``
    one until ``master_variant_timeout``, then the wait ends with it pending and its record names the
    product whose master variant is missing. ``deferrable=True`` waits in the triggerer
    (:class:`~airflow_provider_commercetools.triggers.imports.CommercetoolsImportTrigger`, async HTTP)
    until nothing in the container is processing, then settles this run's operations on the worker;
    without it the task polls every ``poll_interval`` seconds. ``wait=False`` returns once every
    request is sent: records are ``pending`` (use
    :class:`~airflow_provider_commercetools.sensors.imports.CommercetoolsImportSensor` to wait later).

    **Items** as the publisher takes them: a list (XCom, XComArg, a template rendering to a JSON list),
    the path or URL of a JSON Lines file, a subscriber's ``{"path": ...}`` result, or a failures or
    results file of an earlier import (failed, pending and not-sent records are imported again with
    their item, imported ones are skipped). An item is an import resource of ``resource_type``
    (e.g. a ``ProductImport``: ``{"key", "name", "slug", "productType": {"typeId", "key"}, ...}``),
    identified by its ``key`` (``orderNumber`` for orders and order patches, ``productVariant.key``
    for product variant patches).

    **Results**, one record per item in the publisher's (shared) format: ``{"index", "status", "request",
    "key", "state", "operation_id", "resource_version", "errors", "unresolved_references", "error",
    "item"}``; ``status`` is ``succeeded`` (imported), ``failed`` (a final failed state, unresolved
    past ``unresolved_timeout``, an invalid item, or a failed import request), ``pending`` (not final
    when the task stopped waiting), ``not_sent`` or ``skipped``. With ``output_path`` every record is
    written there and the failed, not-sent (and, after a wait, pending) ones to the failures file
    beside it (``results.jsonl`` -> ``results.failures.jsonl``), with their items: **to finish an
    import, run again with ``items`` set to the failures file** (resources are keyed, so importing one
    again updates it, never doubles it; only ``rejected`` is worth sending again as it is: commercetools
    retries the other states itself, and ``validationFailed`` needs the item fixed). Orders are
    create-only in the spec: a lost order import request is never re-sent.
    XCom gets the counts per status and per state (``states``),
    ``container_key`` and ``requests``, with ``output_path`` and ``failures_path``, or without them the
    first 200 failures.

    **Errors.** ``on_error="fail"``: after a failed import request no more are sent, and the task fails
    if any resource failed; ``"continue"``: everything is sent, then the task fails; ``"skip"``: the
    task succeeds and reports the failures.

    :param commercetools_conn_id: the connection; the Import API's URL is its ``import_url`` extra.
    :param resource_type: an Import API resource type: ``product``, ``category``, ``price``... (or its
        path segment, ``products``). (templated)
    :param items: the resources (see above). (templated)
    :param container_key: the import container (default: ``<dag_id>-<task_id>-<resource_type>``). (templated)
    :param container_ttl: the ``timeToLive`` of a container this task creates, ``1h`` to ``30d``
        (default ``30d``; None: the API's 72 hours). An existing container keeps its own.
    :param wait: wait for every operation to be final (default True).
    :param timeout: seconds to wait at most (default 3600).
    :param unresolved_timeout: seconds an unresolved operation counts as pending (default 600).
    :param master_variant_timeout: seconds a ``waitForMasterVariant`` operation counts as pending (default 60).
    :param poll_interval: seconds between summary reads (default 5).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param max_workers: import requests in flight at once (1 to 64, default 8).
    :param on_error: ``fail`` (default), ``continue`` or ``skip``.
    :param output_path: JSON Lines results file, local path or ObjectStoragePath URL. (templated)
    :param verify: after the wait, read the imported resources back by key (batches of 100) and report the
        missing and mismatched ones as failed (``VerifyMissing``, ``VerifyMismatch``); default False.
    :param redact_fields: field names kept out of the results besides commercetools' secret fields (a
        ``CustomerImport``'s ``password``...), as the publisher's ``redact_fields``.
    """

    template_fields: Sequence[str] = ("resource_type", "items", "container_key", "output_path")
    template_fields_renderers = {"items": "json"}
    ui_color = "#dcebf0"

    def __init__(
        self,
        *,
        resource_type: str,
        items: Any,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        container_key: str | None = None,
        container_ttl: str | None = DEFAULT_CONTAINER_TTL,
        wait: bool = True,
        timeout: float = 3600.0,
        unresolved_timeout: float = 600.0,
        master_variant_timeout: float = 60.0,
        poll_interval: float = 5.0,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        max_workers: int = 8,
        on_error: str = "fail",
        output_path: str | None = None,
        redact_fields: list[str] | tuple[str, ...] | None = None,
        verify: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_conn_id(commercetools_conn_id)
        if is_static(resource_type):
            get_resource_type(resource_type)
        if container_key is not None and is_static(container_key):
            check_container_key(container_key)
        self.commercetools_conn_id = commercetools_conn_id
        self.resource_type = resource_type
        self.items = items
        self.container_key = container_key
        self.container_ttl = check_ttl(container_ttl)
        self.wait = bool(wait)
        self.policy = WaitPolicy.create(timeout, unresolved_timeout, poll_interval, master_variant_timeout)
        self.deferrable = bool(deferrable)
        self.max_workers = check_count("max_workers", max_workers, 1, POOL_SIZE)
        self.on_error = check_choice("on_error", on_error, ON_ERROR)
        self.output_path = output_path
        self.redact_fields = check_redact_fields(redact_fields)
        self.verify = bool(verify)
        if self.verify and is_static(resource_type) and not verifiable(get_resource_type(resource_type)):
            raise ConfigurationError(
                "verify",
                f"{resource_type!r} resources cannot be read back by key from the HTTP API.",
                f"Set verify=False, or verify one of: {', '.join(READ_BACK)}.",
            )
        self._importer: Importer | None = None

    @cached_property
    def hook(self) -> CommercetoolsHook:
        return CommercetoolsHook(self.commercetools_conn_id)

    # -- execute -------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        importer, prepared, decided, output = self._setup(context)
        importer.api.ensure_container(importer.container_key, importer.resource_type, self.container_ttl)
        started = time.time()
        known = importer.start_journal(journal_for(context, output, self.task_id), prepared, started)
        self.log.info(
            "Importing %d %s resources into container %r (%d import requests, max_workers=%d)",
            len(prepared),
            importer.resource_type.name,
            importer.container_key,
            -(-len(prepared) // MAX_RESOURCES_PER_REQUEST),
            self.max_workers,
        )
        records = decided + importer.send(prepared, known)
        if not self.wait or not prepared:
            return self._finish(records, NOT_WAITED if not self.wait else "finished", importer, output, started)
        carry = importer.carry(records, started)
        unfinished = len(carry["failures"]) + len(carry["not_sent"])
        if self.deferrable and unfinished > MAX_CARRIED:
            self.log.warning("%d items failed or were not sent: waiting here, not deferred", unfinished)
        elif self.deferrable and importer.journal.name == "none":
            self.log.warning("No place to keep this run's operation ids across a deferral: waiting here")
        elif self.deferrable:
            from airflow_provider_commercetools.triggers.imports import CommercetoolsImportTrigger

            self.defer(
                trigger=CommercetoolsImportTrigger(
                    container_key=importer.container_key,
                    commercetools_conn_id=self.commercetools_conn_id,
                    started=started,
                    timeout=self.policy.timeout,
                    unresolved_timeout=self.policy.unresolved_timeout,
                    poll_interval=self.policy.poll_interval,
                    carry=carry,
                    master_variant_timeout=self.policy.master_variant_timeout,
                    states=["processing"],  # this run's unresolved ones are settled on the worker
                ),
                method_name="execute_complete",
            )
        reason, _states = importer.wait(self.policy, started)
        importer.collect(records, reason)
        self._verify(importer, records)
        return self._finish(records, reason, importer, output, started)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the trigger: rebuild the records (operation ids from the journal), settle this
        run's operations exactly (waiting on here if some are still open), report.

        What the worker knew before deferring (failed requests, items not sent) comes back in the
        event (the trigger carries it), not in ``next_kwargs``.
        """
        if not event or event.get("status") == "error":
            raise ImportFailedError(
                f"waiting for import container {self.container_key!r} failed: {(event or {}).get('message')}",
                {"event": event},
            )
        importer, prepared, decided, output = self._setup(context)
        carried = event.get("carry") or {}
        records = importer.restore(prepared, decided, carried, journal_for(context, output, self.task_id))
        started = float(carried.get("started") or time.time())
        reason, _counts = importer.wait(self.policy, started)
        importer.collect(records, reason)
        self._verify(importer, records)
        return self._finish(records, reason, importer, output, started, deferred=True)

    def on_kill(self) -> None:
        if self._importer is not None:
            self._importer.stop()

    # -- steps ---------------------------------------------------------------------------------

    def _verify(self, importer: Importer, records: list[ItemResult]) -> None:
        if not self.verify:
            return
        if not verifiable(importer.resource_type):
            self.log.warning("verify: %s resources cannot be read back by key: not verified", self.resource_type)
            return
        counts = verify(self.hook.client, importer.resource_type, records)
        self.log.info("Verified by reading back: %s", counts)

    def _setup(self, context: Context) -> tuple[Importer, list[PreparedItem], list[ItemResult], str | None]:
        """Check every rendered parameter, read and validate the items (before any request)."""
        resource_type = get_resource_type(self.resource_type)
        if self.container_key in (None, ""):  # stable: one per DAG, task and resource type, reused by every run
            self.container_key = container_key_for(self.dag_id, self.task_id, resource_type.name)
        container_key = check_container_key(self.container_key)
        output = None if self.output_path in (None, "") else check_location("output_path", self.output_path)
        items, from_file = load_items(self.items)
        importer = Importer(
            ImportApi(self.hook.import_client, logger=self.log),
            resource_type,
            container_key,
            max_workers=self.max_workers,
            stop_on_failure=self.on_error == "fail",
            redact_fields=self.redact_fields,
            logger=self.log,
        )
        self._importer = importer
        prepared, decided = importer.prepare(items, strict=self.on_error == "fail" and not from_file)
        return importer, prepared, decided, output

    def _finish(
        self,
        records: list[ItemResult],
        reason: str,
        importer: Importer,
        output: str | None,
        started: float,
        *,
        deferred: bool = False,
    ) -> dict[str, Any]:
        """Write the results; the summary for XCom, or the error that fails the task (with the summary in it)."""
        report, summary, where = importer.report(records, reason, started, output, deferred=deferred)
        self.log.info("Imported %s (wait: %s); states: %s", report.describe(), reason, summary["states"])
        if report.fails_task(self.on_error):
            message = report.failure_message(limit=MAX_FAILURES_IN_ERROR, where=where)
            if not importer.resource_type.idempotent and report.counts[SUCCEEDED]:
                raise ImportPartlyAppliedError(
                    message + " Not retried automatically: patches would apply twice.", summary
                )
            raise ImportFailedError(message, summary)  # the journal stays: a retry sends only what was never created
        importer.clear_journal()  # done: a later run (or a cleared task) sends afresh
        return summary
