"""CommercetoolsImportTrigger: waits in the triggerer until an import container's operations are final.

It polls the container's ImportSummary with async HTTP (``hook.async_client(base="import")``: httpx,
with the sync client's request core, token flow and retry policy) and decides with the same
:meth:`WaitPolicy.decide` as the polling operator: done when no operation is ``processing``,
``waitForMasterVariant`` or ``unresolved``; ``unresolved`` counts as pending until
``unresolved_timeout``; everything ends at ``timeout``. Both are measured from ``started`` (epoch
seconds), so a restarted triggerer keeps the deadlines.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_commercetools.commercetools.imports.api import summary_path
from airflow_provider_commercetools.commercetools.imports.records import WaitPolicy
from airflow_provider_commercetools.commercetools.imports.resources import state_counts


class CommercetoolsImportTrigger(BaseTrigger):
    """Fires once the import container ``container_key`` is done (or a deadline passed).

    The event: ``{"status": "success", "reason": "finished" | "unresolved_timeout" | "timeout",
    "states": {...}, "total": N, "polls": N, "carry": ...}``, or ``{"status": "error", "message": ...}``.

    :param container_key: the import container to watch.
    :param commercetools_conn_id: the connection (its ``import_url`` extra is the Import API).
    :param started: when the wait started (epoch seconds).
    :param timeout: seconds after ``started`` to give up.
    :param unresolved_timeout: seconds after ``started`` after which unresolved operations are final.
    :param poll_interval: seconds between summary reads.
    :param carry: what the deferring task needs back (small JSON), returned in the event.
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
    ) -> None:
        super().__init__()
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
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        policy = WaitPolicy(self.timeout, self.unresolved_timeout, self.poll_interval)
        polls = 0
        try:
            async with await self._client() as client:
                while True:
                    summary = await client.request(
                        "GET", summary_path(self.container_key), correlation_id=f"airflow-trigger-{uuid.uuid4()}"
                    )
                    polls += 1
                    states = state_counts(summary.get("states") if isinstance(summary, dict) else None)
                    reason = policy.decide(states, self.started)
                    if reason is not None:
                        total = summary.get("total") if isinstance(summary, dict) else None
                        self.log.info("Import container %r: %s after %d polls", self.container_key, reason, polls)
                        event = {"status": "success", "reason": reason, "states": states, "total": total}
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
