"""CommercetoolsDeletionsOperator: export the deletions of a window (read from the Messages) as JSON Lines.

A ``lastModifiedAt`` export cannot see deleted entities; this task writes them beside it, so a
warehouse copy can drop them (see :mod:`airflow_provider_commercetools.commercetools.messages.deletions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowSkipException, Context

from airflow_provider_commercetools.commercetools.checks import check_choice, check_conn_id
from airflow_provider_commercetools.commercetools.messages.deletions import (
    check_deletions,
    deletion_message_type,
    write_deletions,
)
from airflow_provider_commercetools.commercetools.messages.reader import MessagesDisabledError, check_messages_enabled
from airflow_provider_commercetools.commercetools.reading.settle import (
    check_settle,
)
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.settle import SettleMixin


class CommercetoolsDeletionsOperator(SettleMixin):
    """Write the deletions of ``entity`` with ``createdAt`` in ``[modified_since, modified_until)``.

    Each line: ``{"id", "typeId", "version", "deletedAt", "messageId", "type", "key"/"orderNumber"/...}``
    (the deleted entity's id, its last version, when, and its user-provided identifiers). XCom gets
    ``{"path", "count"}``. Use the same window (and ``settle``) as the export of the changed entities:
    both read a window only once commercetools' clock is past its end plus ``settle``, so for every
    interval the pair (changed, deleted) is complete for writes visible within ``settle`` of their stamp.

    :param commercetools_conn_id: the Airflow connection (scope ``view_messages``).
    :param entity: ``products``, ``orders``, ``customers``, ``inventory``... (one with a deletion Message
        type; categories have none, and fail with what to do instead). (templated)
    :param modified_since: start of the window, inclusive, e.g. ``{{ data_interval_start }}``. (templated)
    :param modified_until: end of the window, exclusive, e.g. ``{{ data_interval_end }}``. (templated)
    :param output_path: the JSON Lines file (local path or ObjectStoragePath URL). (templated)
    :param settle: read the window only once commercetools' clock (its ``Date`` header) is past
        ``modified_until`` + this (seconds or a timedelta, default 120 s): Messages too are stamped on
        distributed nodes and show in queries late. Waits as CommercetoolsSubscriberOperator does. (templated)
    :param deferrable: wait longer than ``longest_sleep`` in the triggerer instead of failing.
    :param longest_sleep: the longest wait the task sleeps in its worker slot (seconds, default 300;
        0 defers or fails on any wait), as CommercetoolsSubscriberOperator.
    :param check_enabled: first check that the project stores Messages.
    :param when_messages_disabled: ``fail`` (default) or ``skip`` (the task ends as skipped, saying why)
        when the project stores no Messages, so no deletions can be read. (templated)
    """

    template_fields: Sequence[str] = (
        "entity",
        "modified_since",
        "modified_until",
        "output_path",
        "when_messages_disabled",
        "settle",
    )
    ui_color = "#e4f0e8"

    def __init__(
        self,
        *,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        entity: str,
        modified_since: Any,
        modified_until: Any,
        output_path: str,
        check_enabled: bool = True,
        when_messages_disabled: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.commercetools_conn_id = check_conn_id(commercetools_conn_id)
        self.entity = entity
        self.modified_since = modified_since
        self.modified_until = modified_until
        self.output_path = output_path
        self.check_enabled = bool(check_enabled)
        self.when_messages_disabled = when_messages_disabled
        if isinstance(entity, str) and "{{" not in entity:
            deletion_message_type(entity)

    @cached_property
    def hook(self) -> CommercetoolsHook:
        return CommercetoolsHook(self.commercetools_conn_id)

    def execute(self, context: Context) -> Any:
        entity, since, until, output = check_deletions(
            self.entity, self.modified_since, self.modified_until, self.output_path
        )
        when_disabled = check_choice("when_messages_disabled", self.when_messages_disabled, ("fail", "skip"))
        settle = check_settle(self.settle)
        client = self.hook.client
        request = client.request
        if self.check_enabled:
            try:
                check_messages_enabled(request)
            except MessagesDisabledError as error:
                if when_disabled == "fail":
                    raise
                raise AirflowSkipException(f"No deletions exported: {error}") from None
        # the server's clock: from the answer above, or one cheap read of the Messages
        self.wait_for_window(until, settle, lambda: client.server_time("messages"))
        count = write_deletions(request, entity, since, until, output)
        self.log.info("%d %s deleted in [%s, %s) written to %s", count, entity, since, until, output)
        return {"path": output, "count": count}
