"""The Messages API as a change feed: the public names of the Messages side (``__all__``).

- :mod:`.filters`: :class:`MessageFilter` (Message types, resource type ids, ``where``);
- :mod:`.cursor`: :class:`Cursor` (where a reader stands, kept between runs), :class:`CursorBuilder`
  (the next cursor), :class:`CursorStore` (cursors kept by name, advanced compare-and-set;
  :class:`CursorMovedError`), :func:`check_overlap`, ``DEFAULT_OVERLAP_SECONDS``, ``EARLIEST``;
- :mod:`.paging`: the Messages as strategies of the paging engine: :class:`MessagesPaging`
  (keyset on ``(createdAt, id)``), :class:`NewMessagesPaging` (only what a cursor did not deliver),
  :class:`NewMessageProbe` (whether there is any), :func:`page_query`, ``MESSAGES_PATH``, ``MAX_PAGE_SIZE``;
- :mod:`.reader`: reading them, synchronously (:func:`iter_messages`, :func:`iter_new_messages`,
  :func:`read_new_messages`, :func:`write_new_messages`, :func:`has_new_messages`) and for coroutines
  (:func:`ahas_new_messages`, :func:`asummarise_new_messages`), :class:`MessageBatch`,
  :func:`check_messages_enabled` and :class:`MessagesDisabledError`, :func:`count_types`;
- :mod:`.deletions`: the deletions of a window (:func:`iter_deletions`, :func:`write_deletions`,
  :func:`check_deletions`, :func:`deletion_message_type`, :func:`deletion_record`, ``DELETION_MESSAGE_TYPES``).

Nothing here knows Airflow.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.messages.cursor import (
    DEFAULT_OVERLAP_SECONDS,
    EARLIEST,
    Cursor,
    CursorAheadError,
    CursorBuilder,
    CursorMovedError,
    CursorStore,
    check_cursor_clock,
    check_overlap,
)
from airflow_provider_commercetools.commercetools.messages.deletions import (
    DELETION_MESSAGE_TYPES,
    check_deletions,
    deletion_message_type,
    deletion_record,
    iter_deletions,
    write_deletions,
)
from airflow_provider_commercetools.commercetools.messages.filters import MessageFilter
from airflow_provider_commercetools.commercetools.messages.paging import (
    MAX_PAGE_SIZE,
    MESSAGES_PATH,
    MessagesPaging,
    NewMessageProbe,
    NewMessagesPaging,
    page_query,
)
from airflow_provider_commercetools.commercetools.messages.reader import (
    MessageBatch,
    MessagesDisabledError,
    ahas_new_messages,
    asummarise_new_messages,
    check_messages_enabled,
    count_types,
    has_new_messages,
    iter_messages,
    iter_new_messages,
    read_new_messages,
    write_new_messages,
)

__all__ = [
    "DEFAULT_OVERLAP_SECONDS",
    "DELETION_MESSAGE_TYPES",
    "EARLIEST",
    "MAX_PAGE_SIZE",
    "MESSAGES_PATH",
    "Cursor",
    "CursorAheadError",
    "CursorBuilder",
    "CursorMovedError",
    "CursorStore",
    "MessageBatch",
    "MessageFilter",
    "MessagesDisabledError",
    "MessagesPaging",
    "NewMessageProbe",
    "NewMessagesPaging",
    "ahas_new_messages",
    "asummarise_new_messages",
    "check_cursor_clock",
    "check_deletions",
    "check_messages_enabled",
    "check_overlap",
    "count_types",
    "deletion_message_type",
    "deletion_record",
    "has_new_messages",
    "iter_deletions",
    "iter_messages",
    "iter_new_messages",
    "page_query",
    "read_new_messages",
    "write_deletions",
    "write_new_messages",
]
