"""CommercetoolsMessagesSensor: wait for commercetools Messages after a cursor kept between runs, hand them on.

The reading is :mod:`airflow_provider_commercetools.commercetools.messages` (no Airflow); this module
translates parameters and hands the messages on through XCom or a JSON Lines file; the cursor is kept
in an Airflow Variable (:mod:`.messages_cursor`, with the task that advances it). Waiting is poking
(``mode="poke"``/``"reschedule"``) or deferring to the triggerer (``deferrable=True``,
:class:`~airflow_provider_commercetools.triggers.messages.CommercetoolsMessagesTrigger`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import (
    BaseSensorOperator,
    Context,
    PokeReturnValue,
    conf,
)

from airflow_provider_commercetools.commercetools.checks import check_conn_id, check_count, optional_text
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError
from airflow_provider_commercetools.commercetools.files import check_location
from airflow_provider_commercetools.commercetools.messages import (
    DEFAULT_OVERLAP_SECONDS,
    MESSAGES_PATH,
    Cursor,
    CursorMovedError,
    MessageFilter,
    check_cursor_clock,
    check_messages_enabled,
    check_overlap,
    read_new_messages,
    write_new_messages,
)
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.sensors.messages_cursor import (
    CommitMessagesCursorOperator,
    commit_cursor,
    cursor_variable_name,
    variables,
)

#: Messages handed on through XCom at most (more wait for the next run unless output_path is set).
DEFAULT_MAX_XCOM_ITEMS = 1_000
DEFAULT_MAX_MESSAGES = 100_000

__all__ = [
    "CommercetoolsMessagesSensor",
    "CommitMessagesCursorOperator",
    "CursorMovedError",
    "commit_cursor",
    "cursor_variable_name",
]


class CommercetoolsMessagesSensor(BaseSensorOperator):
    """Wait until commercetools Messages of the given types exist after the cursor, then hand them on.

    Each run reads the Messages after the cursor (``createdAt`` from an overlap before the last one
    delivered, in ``(createdAt, id)`` order, dropping the ids already delivered, so late-visible
    Messages and many Messages with one ``createdAt`` are delivered exactly once) and returns::

        {"count": 3, "messages": [...], "types": {"OrderCreated": 3}, "more": False,
         "cursor": {...next...}, "previous_cursor": {...}, "cursor_variable": "...", "waited": "deferred"}

    (``"path"`` instead of ``"messages"`` with ``output_path``). The cursor is kept in the Airflow
    Variable ``cursor_variable`` (default ``commercetools_messages_cursor__<dag_id>__<task_id>``) and
    advances only when the run succeeds: add ``sensor.commit_task()`` after the tasks that process the
    messages; if one of them fails, the cursor stays and the next run delivers the same messages again
    (at least once). ``auto_commit=True`` advances it when the sensor hands the messages on (at most
    once if a later task fails). Delete the Variable to start again from ``start_from``.

    :param commercetools_conn_id: the Airflow connection (scope ``view_messages``).
    :param message_types: Message types to wait for, e.g. ``["OrderCreated"]`` (all when empty). (templated)
    :param resource_types: resource type ids, e.g. ``["order", "product"]``. (templated)
    :param where: more predicates on the Message (string or list, ANDed). (templated)
    :param start_from: where a new cursor starts: ``"now"`` (default), ``"earliest"`` (every Message
        still kept) or a timestamp. (templated)
    :param cursor: an explicit cursor (dict or JSON) instead of the Variable; nothing is stored. (templated)
    :param cursor_variable: the Variable that keeps the cursor. (templated)
    :param overlap: seconds each read goes back before the last ``createdAt`` delivered; must exceed the
        delay before a Message becomes visible in queries (default 300).
    :param max_messages: the most Messages handed on per run (the rest in the next run).
    :param max_xcom_items: without ``output_path``, the most Messages per run (they go to XCom).
    :param output_path: write the Messages as JSON Lines here (local path or ObjectStoragePath URL). (templated)
    :param auto_commit: advance the stored cursor as soon as the messages are handed on.
    :param check_enabled: first check that the project stores Messages (fails with how to enable them).
    :param deferrable: wait in the triggerer instead of a worker slot.
    """

    template_fields: Sequence[str] = (
        "message_types",
        "resource_types",
        "where",
        "start_from",
        "cursor",
        "cursor_variable",
        "output_path",
    )
    ui_color = "#e4f0e8"

    def __init__(
        self,
        *,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        message_types: list[str] | str | None = None,
        resource_types: list[str] | str | None = None,
        where: list[str] | str | None = None,
        start_from: Any = "now",
        cursor: dict[str, Any] | str | None = None,
        cursor_variable: str | None = None,
        overlap: float = DEFAULT_OVERLAP_SECONDS,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_xcom_items: int = DEFAULT_MAX_XCOM_ITEMS,
        output_path: str | None = None,
        auto_commit: bool = False,
        check_enabled: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poke_interval: float = 30,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.commercetools_conn_id = check_conn_id(commercetools_conn_id)
        self.message_types = message_types
        self.resource_types = resource_types
        self.where = where
        self.start_from = start_from
        self.cursor = cursor
        self.cursor_variable = cursor_variable
        self.overlap = check_overlap(overlap)
        self.max_messages = check_count("max_messages", max_messages, 1)
        self.max_xcom_items = check_count("max_xcom_items", max_xcom_items, 1)
        self.output_path = output_path
        self.auto_commit = bool(auto_commit)
        self.check_enabled = bool(check_enabled)
        self.deferrable = bool(deferrable)

    @cached_property
    def hook(self) -> CommercetoolsHook:
        return CommercetoolsHook(self.commercetools_conn_id)

    # -- parameters ----------------------------------------------------------------------------

    def _filter(self) -> MessageFilter:
        return MessageFilter.create(self.message_types, self.resource_types, self.where)

    def _variable(self) -> str | None:
        if self.cursor not in (None, "", {}):
            return None
        return optional_text("cursor_variable", self.cursor_variable) or cursor_variable_name(self.dag_id, self.task_id)

    def _start_cursor(self) -> Cursor:
        """The cursor this run reads after; a new one is stored at once, so its "now" is kept."""
        if self.cursor not in (None, "", {}):
            return Cursor.from_json("cursor", self.cursor)
        name = self._variable()
        assert name is not None
        cursor, new = variables().start(name, self.start_from, now=self._server_time)
        if new:
            self.log.info("No cursor in Variable %r yet: reading Messages created from %s on", name, cursor.since)
        return cursor

    def _server_time(self) -> dt.datetime:
        """commercetools' time (the ``Date`` of an answer; one cheap read of the Messages if none yet)."""
        return self.hook.client.server_time(MESSAGES_PATH)

    def _reset_hint(self) -> str:
        """How to start the cursor again, for the error of a cursor ahead of commercetools' clock."""
        variable = self._variable()
        if variable is None:
            return "Pass a cursor whose since and last_created_at are not ahead of the server's time."
        return (
            f"Delete the Variable {variable!r} to start again from start_from (start_from='now' takes the "
            "server's time), or set it to a cursor that is not ahead of the server's time."
        )

    def _output(self) -> str | None:
        return None if self.output_path in (None, "") else check_location("output_path", self.output_path)

    # -- waiting -------------------------------------------------------------------------------

    def execute(self, context: Context) -> Any:
        start = self._prepare()
        if not self.deferrable:
            return super().execute(context)
        found = self._deliver(start, context, "immediately")
        if found is not None:
            return found
        from airflow_provider_commercetools.triggers.messages import CommercetoolsMessagesTrigger

        timeout = self.timeout if isinstance(self.timeout, int | float) else float(self.timeout.total_seconds())
        self.defer(
            trigger=CommercetoolsMessagesTrigger(
                commercetools_conn_id=self.commercetools_conn_id,
                cursor=start.to_json(),
                message_filter=self._filter().to_json(),
                overlap=self.overlap,
                poll_interval=float(self.poke_interval),
            ),
            method_name="execute_complete",
            timeout=dt.timedelta(seconds=timeout),
        )

    def _prepare(self) -> Cursor:
        self._filter()  # bad types / where fail before any request
        self._output()
        start = self._start_cursor()
        if self.check_enabled:
            check_messages_enabled(self.hook.client.request)
        return start

    def poke(self, context: Context) -> PokeReturnValue:
        value = self._deliver(self._start_cursor(), context, "poked")
        return PokeReturnValue(is_done=value is not None, xcom_value=value)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        if not event or event.get("status") != "found":
            message = (event or {}).get("message", "no event")
            raise CommercetoolsError(f"Waiting for commercetools Messages failed in the triggerer: {message}")
        value = self._deliver(Cursor.from_json("cursor", event["cursor"]), context, "deferred")
        if value is None:  # found by the trigger, but gone (or delivered by another run) since
            raise CommercetoolsError("The trigger found new Messages, but reading them found none; run again.")
        return value

    # -- handing on ----------------------------------------------------------------------------

    def _deliver(self, cursor: Cursor, context: Context, waited: str) -> dict[str, Any] | None:
        """Read the new messages after ``cursor``; None when there are none, else the XCom value."""
        check_cursor_clock(cursor, self._server_time(), self._reset_hint())
        request = self.hook.client.request
        output = self._output()
        if output is None:
            max_messages = min(self.max_messages, self.max_xcom_items)
            batch = read_new_messages(request, cursor, self._filter(), overlap=self.overlap, max_messages=max_messages)
            value: dict[str, Any] = {"count": batch.count, "messages": batch.messages}
        else:
            batch = write_new_messages(
                request, cursor, self._filter(), output, overlap=self.overlap, max_messages=self.max_messages
            )
            value = {"count": batch.count, "path": output}
        if not batch.count:
            return None
        variable = self._variable()
        value.update(
            types=batch.types,
            more=batch.more,
            cursor=batch.cursor.to_json(),
            previous_cursor=cursor.to_json(),
            cursor_variable=variable,
            waited=waited,
        )
        self.log.info("%s", batch.describe())
        if self.auto_commit and variable is not None:
            commit_cursor(variable, cursor.to_json(), batch.cursor.to_json())
        return value

    def commit_task(self, task_id: str | None = None, **kwargs: Any) -> CommitMessagesCursorOperator:
        """A task that advances the stored cursor; put it after the tasks that process the messages."""
        return CommitMessagesCursorOperator(
            task_id=task_id or f"commit_{self.task_id}", sensor_task_id=self.task_id, dag=self.dag, **kwargs
        )
