"""CommercetoolsImportTrigger: waits in the triggerer until an import container's operations are final.

It counts the container's operations in each waiting state with exact state-filtered queries
(``import-operations?state=...&limit=1``: the query's ``total``; never the ImportSummary, whose values
are eventually consistent, so a stale or empty summary cannot end the wait) with async HTTP
(``hook.async_client(base="import")``: httpx, with the sync client's request core, token flow and
retry policy), and decides with the same :meth:`WaitPolicy.decide` as the polling operator: done
when none is in the watched states; ``unresolved`` counts as pending until ``unresolved_timeout``,
``waitForMasterVariant`` until ``master_variant_timeout``; everything ends at ``timeout``. All are
measured from ``started`` (epoch seconds), so a restarted triggerer keeps the deadlines.

The import operator watches ``processing`` only (the container may hold other runs' unresolved
operations for up to 48 hours): the worker then settles this run's operations by id. The sensor
watches all three waiting states of the container.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_commercetools.commercetools.imports.api import container_path, operations_query
from airflow_provider_commercetools.commercetools.imports.records import WaitPolicy
from airflow_provider_commercetools.commercetools.imports.resources import PROCESSING
from airflow_provider_commercetools.commercetools.imports.tracking import WAITING_STATES


class CommercetoolsImportTrigger(BaseTrigger):
    """Fires once the import container ``container_key`` is done (or a deadline passed).

    The event: ``{"status": "success", "reason": "finished" | "unresolved_timeout" | "timeout",
    "states": {...}, "total": N, "polls": N, "carry": ...}``, or ``{"status": "error", "message": ...}``.

    :param container_key: the import container to watch.
    :param commercetools_conn_id: the connection (its ``import_url`` extra is the Import API).
    :param started: when the wait started (epoch seconds).
    :param timeout: seconds after ``started`` to give up.
    :param unresolved_timeout: seconds after ``started`` after which unresolved operations are final.
    :param poll_interval: seconds between polls.
    :param carry: what the deferring task needs back (small JSON), returned in the event.
    :param master_variant_timeout: seconds after ``started`` after which waiting for a master variant is final.
    :param states: the waiting states counted (default all three; the operator: ``processing``).
    """

    def __init__(
        self,
        *,
        container_key: str,
        commercetools_conn_id: str,
        started: float,
        timeout: float,
        unresolved_timeout: float,
        poll_interval: float,
        carry: dict[str, Any] | None = None,
        master_variant_timeout: float | None = None,
        states: list[str] | tuple[str, ...] = WAITING_STATES,
    ) -> None:
        super().__init__()
        master = unresolved_timeout if master_variant_timeout is None else master_variant_timeout
        self.master_variant_timeout = float(master)
        self.states = [s for s in states if s in WAITING_STATES] or [PROCESSING]
        self.container_key = container_key
        self.commercetools_conn_id = commercetools_conn_id
        self.started = float(started)
        self.timeout = float(timeout)
        self.unresolved_timeout = float(unresolved_timeout)
        self.poll_interval = float(poll_interval)
        self.carry = carry

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "container_key": self.container_key,
                "commercetools_conn_id": self.commercetools_conn_id,
                "started": self.started,
                "timeout": self.timeout,
                "unresolved_timeout": self.unresolved_timeout,
                "poll_interval": self.poll_interval,
                "carry": self.carry,
                "master_variant_timeout": self.master_variant_timeout,
                "states": list(self.states),
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        policy = WaitPolicy(self.timeout, self.unresolved_timeout, self.poll_interval, self.master_variant_timeout)
        polls = 0
        path = container_path(self.container_key, "import-operations")
        try:
            async with await self._client() as client:
                while True:
                    states: dict[str, int] = {}
                    for state in self.states:
                        page = await client.request(
                            "GET",
                            path,
                            query=operations_query(0, 1, state),
                            correlation_id=f"airflow-trigger-{uuid.uuid4()}",
                        )
                        total = page.get("total") if isinstance(page, dict) else None
                        states[state] = total if isinstance(total, int) else 1  # unreadable: still waiting
                    polls += 1
                    reason = policy.decide(states, self.started)
                    if reason is not None:
                        self.log.info("Import container %r: %s after %d polls", self.container_key, reason, polls)
                        event = {"status": "success", "reason": reason, "states": states, "total": sum(states.values())}
                        yield TriggerEvent({**event, "polls": polls, "carry": self.carry})
                        return
                    remaining = self.started + self.timeout - time.time()
                    await asyncio.sleep(max(min(self.poll_interval, remaining), 0.0))
        except Exception as error:  # the task gets the reason instead of a trigger that dies silently
            yield TriggerEvent({"status": "error", "message": f"{type(error).__name__}: {error}", "polls": polls})

    async def _client(self) -> Any:
        """The connection's async Import API client (the connection is looked up off the event loop)."""
        from asgiref.sync import sync_to_async

        from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

        hook = CommercetoolsHook(self.commercetools_conn_id)
        return await sync_to_async(hook.async_client)(base="import")
