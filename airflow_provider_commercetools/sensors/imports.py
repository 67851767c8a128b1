"""CommercetoolsImportSensor: waits until an import container's operations are final (imports started elsewhere)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import (
    AirflowSensorTimeout,
    BaseSensorOperator,
    Context,
    PokeReturnValue,
    conf,
)

from airflow_provider_commercetools.commercetools.checks import check_conn_id, is_static
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.records import TIMEOUT, WaitPolicy
from airflow_provider_commercetools.commercetools.imports.resources import check_container_key
from airflow_provider_commercetools.commercetools.imports.tracking import WAITING_STATES
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook


class CommercetoolsImportSensor(BaseSensorOperator):
    """Wait for the import container ``container_key`` to finish: no operation processing, waiting for
    a master variant, or unresolved.

    ``unresolved`` (and ``waitForMasterVariant``) operations count as pending until ``unresolved_timeout``
    seconds after the sensor started (default: until the sensor's ``timeout``), then as final. Each poke
    counts the container's operations in the three waiting states with exact state-filtered queries
    (three requests; the ImportSummary is eventually consistent, so a stale or empty one never ends the
    wait). With ``deferrable=True`` the wait runs in the triggerer
    (:class:`~airflow_provider_commercetools.triggers.imports.CommercetoolsImportTrigger`). XCom gets
    ``{"container_key", "states", "total", "reason"}`` (``states``: the waiting states' counts when it
    ended); failed operations do not fail the sensor: read the import operator's results.

    :param container_key: the import container. (templated)
    :param commercetools_conn_id: the connection (its ``import_url`` extra is the Import API).
    :param unresolved_timeout: seconds unresolved operations count as pending (default: ``timeout``).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    """

    template_fields: Sequence[str] = ("container_key",)
    ui_color = "#dcebf0"

    def __init__(
        self,
        *,
        container_key: str,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        unresolved_timeout: float | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_conn_id(commercetools_conn_id)
        if is_static(container_key):
            check_container_key(container_key)
        self.container_key = container_key
        self.commercetools_conn_id = commercetools_conn_id
        timeout = self.timeout.total_seconds() if isinstance(self.timeout, timedelta) else float(self.timeout)
        unresolved = timeout if unresolved_timeout is None else unresolved_timeout
        self.policy = WaitPolicy.create(timeout, unresolved, self.poke_interval_seconds(), unresolved)
        self.deferrable = bool(deferrable)
        self._started: float | None = None

    def poke_interval_seconds(self) -> float:
        interval = self.poke_interval
        return interval.total_seconds() if isinstance(interval, timedelta) else float(interval)

    @cached_property
    def hook(self) -> CommercetoolsHook:
        return CommercetoolsHook(self.commercetools_conn_id)

    def _start(self, context: Context) -> float:
        if self._started is None:
            ti = context.get("ti")
            start_date = getattr(ti, "start_date", None)
            self._started = start_date.timestamp() if start_date is not None else time.time()
        return self._started

    def _result(self, states: dict[str, int], total: Any, reason: str) -> dict[str, Any]:
        return {"container_key": self.container_key, "states": states, "total": total, "reason": reason}

    def poke(self, context: Context) -> PokeReturnValue:
        key = check_container_key(self.container_key)
        api = ImportApi(self.hook.import_client, logger=self.log)
        states = {state: api.operations_page(key, state=state, limit=1)[1] for state in WAITING_STATES}
        reason = self.policy.decide(states, self._start(context))
        self.log.info("Import container %r waiting: %s", key, {s: n for s, n in states.items() if n} or "none")
        if reason is None or reason == TIMEOUT:  # the sensor's own timeout applies
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self._result(states, sum(states.values()), reason))

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        started = self._start(context)
        first = self.poke(context)  # done already: no deferral
        if first.is_done:
            return first.xcom_value
        from airflow_provider_commercetools.triggers.imports import CommercetoolsImportTrigger

        self.defer(
            trigger=CommercetoolsImportTrigger(
                container_key=self.container_key,
                commercetools_conn_id=self.commercetools_conn_id,
                started=started,
                timeout=self.policy.timeout,
                unresolved_timeout=self.policy.unresolved_timeout,
                poll_interval=self.policy.poll_interval,
                master_variant_timeout=self.policy.master_variant_timeout,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        if not event or event.get("status") != "success":
            message = (event or {}).get("message", "no event")
            raise CommercetoolsError(f"waiting for import container {self.container_key!r} failed: {message}")
        if event.get("reason") == TIMEOUT:
            raise AirflowSensorTimeout(
                f"import container {self.container_key!r} not finished within {self.policy.timeout:g} s: "
                f"{event.get('states')}"
            )
        result = self._result(dict(event.get("states") or {}), event.get("total"), str(event.get("reason")))
        result["deferred"] = True
        return result
