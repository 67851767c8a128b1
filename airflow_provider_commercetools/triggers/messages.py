"""Triggers that wait for commercetools Messages: one for the deferrable sensor, one for AssetWatcher.

* :class:`CommercetoolsMessagesTrigger` fires once, when a Message not delivered yet exists after the
  sensor's cursor; the sensor then reads and hands them on (the event carries only the cursor).
* :class:`CommercetoolsMessagesEventTrigger` (a ``BaseEventTrigger`` on Airflow 3) runs in the triggerer
  for an ``AssetWatcher``: it polls forever and fires an event (a summary: count, types, first and last
  ``createdAt``) for each batch of new Messages, so the asset's DAGs run when Messages arrive. It keeps
  its own cursor in memory, and in the watched asset's state store where Airflow offers one (3.3+),
  so a triggerer restart resumes where it stopped instead of at ``start_from``.

Requests go through the hook's async client (``hook.async_client()``, on httpx), with the connection's
token grant, retry policy and typed errors; the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.common.compat.triggers import BaseEventTrigger
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_commercetools.commercetools.errors import CommercetoolsError
from airflow_provider_commercetools.commercetools.messages import (
    DEFAULT_OVERLAP_SECONDS,
    MESSAGES_PATH,
    Cursor,
    CursorAheadError,
    MessageFilter,
    ahas_new_messages,
    asummarise_new_messages,
    check_cursor_clock,
)
from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

_MODULE = "airflow_provider_commercetools.triggers.messages"
#: The key of the watcher's cursor in the watched asset's state store (Airflow 3.3+).
STATE_KEY = "commercetools_messages_cursor"


#: How to start the deferred sensor's cursor again (the trigger knows only the cursor).
_SENSOR_RESET = (
    "Delete the Variable that holds the sensor's cursor (its cursor_variable) to start again from start_from."
)
#: How to start the AssetWatcher trigger's cursor again.
_WATCHER_RESET = (
    f"Delete the watched asset's state key {STATE_KEY!r} (Airflow 3.3+) to start again from start_from, and "
    "give start_from a time not ahead of the server's ('now' takes the server's time)."
)


@contextlib.asynccontextmanager
async def open_client(commercetools_conn_id: str) -> AsyncIterator[AsyncCommercetoolsClient]:
    """The connection's async client (httpx), from a coroutine: ``await client.request(method, path, query=...)``.

    The hook's async client: the connection's token grant, retry policy, typed errors and server clock.
    """
    hook = CommercetoolsHook(commercetools_conn_id)
    await asyncio.to_thread(lambda: hook.config)  # the connection look-up is synchronous
    async with hook.async_client() as client:
        yield client


class CommercetoolsMessagesTrigger(BaseTrigger):
    """Fire once when a Message not delivered yet exists after ``cursor`` (for the deferrable sensor).

    :param commercetools_conn_id: the Airflow connection.
    :param cursor: the sensor's cursor (JSON form).
    :param message_filter: ``{"types", "resource_types", "where"}``.
    :param overlap: seconds a read goes back before the cursor's last ``createdAt``.
    :param poll_interval: seconds between two looks.
    """

    def __init__(
        self,
        *,
        commercetools_conn_id: str,
        cursor: dict[str, Any],
        message_filter: dict[str, Any],
        overlap: float = DEFAULT_OVERLAP_SECONDS,
        poll_interval: float = 30.0,
    ) -> None:
        super().__init__()
        self.commercetools_conn_id = commercetools_conn_id
        self.cursor = cursor
        self.message_filter = message_filter
        self.overlap = float(overlap)
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{_MODULE}.CommercetoolsMessagesTrigger",
            {
                "commercetools_conn_id": self.commercetools_conn_id,
                "cursor": self.cursor,
                "message_filter": self.message_filter,
                "overlap": self.overlap,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            cursor = Cursor.from_json("cursor", self.cursor)
            message_filter = _filter(self.message_filter)
            async with open_client(self.commercetools_conn_id) as client:
                check_cursor_clock(cursor, await client.server_time(MESSAGES_PATH), _SENSOR_RESET)
                while not await ahas_new_messages(client.request, cursor, message_filter, self.overlap):
                    self.log.debug("No new commercetools Messages; looking again in %s s", self.poll_interval)
                    await asyncio.sleep(self.poll_interval)
        except CommercetoolsError as error:
            yield TriggerEvent({"status": "error", "message": str(error)})
            return
        self.log.info("New commercetools Messages after the cursor (last createdAt %s)", cursor.last_created_at)
        yield TriggerEvent({"status": "found", "cursor": self.cursor})


class CommercetoolsMessagesEventTrigger(BaseEventTrigger):
    """Fire an event for every batch of new commercetools Messages (for ``AssetWatcher``, Airflow 3).

    Keep the arguments constant (e.g. ``start_from="now"``, not a computed timestamp): Airflow
    identifies a watcher's trigger by them, and a changed argument starts a new trigger.

    :param commercetools_conn_id: the Airflow connection (scope ``view_messages``).
    :param message_types: Message types, e.g. ``["OrderCreated"]`` (all when empty).
    :param resource_types: resource type ids, e.g. ``["order"]``.
    :param where: more predicates on the Message (a list is ANDed).
    :param start_from: ``"now"``, ``"earliest"`` or a timestamp: where the first run of the trigger starts.
    :param overlap: seconds a read goes back before the last ``createdAt`` seen.
    :param poll_interval: seconds between two looks.
    :param max_messages: the most Messages one event covers (the rest go into the next event).
    """

    def __init__(
        self,
        *,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        message_types: list[str] | None = None,
        resource_types: list[str] | None = None,
        where: list[str] | None = None,
        start_from: str = "now",
        overlap: float = DEFAULT_OVERLAP_SECONDS,
        poll_interval: float = 30.0,
        max_messages: int = 10_000,
    ) -> None:
        super().__init__()
        self.commercetools_conn_id = commercetools_conn_id
        self.message_types = list(message_types or [])
        self.resource_types = list(resource_types or [])
        self.where = list(where or [])
        self.start_from = start_from
        self.overlap = float(overlap)
        self.poll_interval = float(poll_interval)
        self.max_messages = int(max_messages)
        _filter(self._filter_json())  # bad arguments fail when the DAG is parsed
        Cursor.start(start_from)

    def _filter_json(self) -> dict[str, Any]:
        return {"types": self.message_types, "resource_types": self.resource_types, "where": self.where}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{_MODULE}.CommercetoolsMessagesEventTrigger",
            {
                "commercetools_conn_id": self.commercetools_conn_id,
                "message_types": self.message_types,
                "resource_types": self.resource_types,
                "where": self.where,
                "start_from": self.start_from,
                "overlap": self.overlap,
                "poll_interval": self.poll_interval,
                "max_messages": self.max_messages,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        message_filter = _filter(self._filter_json())
        cursor = await self._load_cursor()
        async with open_client(self.commercetools_conn_id) as client:
            while True:
                try:
                    server_now = await client.server_time(MESSAGES_PATH)  # a request only until one answered
                    cursor = cursor or Cursor.start(self.start_from, now=server_now)
                    check_cursor_clock(cursor, server_now, _WATCHER_RESET)
                    builder, summary = await asummarise_new_messages(
                        client.request, cursor, message_filter, overlap=self.overlap, max_messages=self.max_messages
                    )
                except CursorAheadError:
                    raise  # loudly: the triggerer logs it; polling on would read nothing
                except CommercetoolsError as error:  # the retry policy gave up: try again at the next look
                    self.log.warning("Reading commercetools Messages failed: %s", error)
                    await asyncio.sleep(self.poll_interval)
                    continue
                cursor = builder.next_cursor()
                if summary["count"]:
                    await self._save_cursor(cursor)
                    self.log.info("%d new commercetools Messages: %s", summary["count"], summary["types"])
                    yield TriggerEvent(summary)
                if not builder.more:
                    await asyncio.sleep(self.poll_interval)

    async def _load_cursor(self) -> Cursor | None:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return None
        try:
            raw = await store.aget(STATE_KEY)
            return None if raw is None else Cursor.from_json("asset state", raw)
        except Exception as error:  # no state store for this asset set: keep the cursor in memory
            self.log.info("No asset state for the Messages cursor (%s); starting at %s", error, self.start_from)
            return None

    async def _save_cursor(self, cursor: Cursor) -> None:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return
        try:
            await store.aset(STATE_KEY, cursor.to_json())
        except Exception as error:
            self.log.info("Could not keep the Messages cursor in the asset state (%s); in memory only", error)


def _filter(value: dict[str, Any]) -> MessageFilter:
    return MessageFilter.create(value.get("types"), value.get("resource_types"), value.get("where"))
