"""Reading whole collections: the public names of the read side (``__all__``), from smaller modules.

- :mod:`.engine`: the paging engine: :class:`PagingStrategy` (plans requests, reads pages, no I/O),
  :class:`PageRequest`, the two drivers :func:`drive_pages` and :func:`adrive_pages` (the only
  paging loops), :class:`KeysetStrategy` and :func:`keyset_predicate` (keyset paging on any sort keys),
  :func:`request_sender` / :func:`async_request_sender`;
- :mod:`.pages`: :class:`Page`, :func:`fetch_page` and :func:`decode_page` (one page fetched and decoded),
  :class:`SupportsRequest`;
- :mod:`.paging`: the collection strategies :class:`CollectionPaging`, :class:`KeysetPaging`,
  :class:`OffsetPaging` (registered with :func:`paging_strategy`, chosen by :func:`strategy_for` /
  :func:`choose_strategy`; ``STRATEGIES`` names them), :func:`iter_pages`, :func:`iter_entities`,
  the checks :func:`check_page_size`, :func:`check_max_items`, :func:`check_no_paging_parameters`,
  and ``MAX_PAGE_SIZE``, ``MAX_OFFSET``, ``PAGING_PARAMETERS``, ``Strategy``;
- :mod:`.predicates`: :func:`quote_string`, :func:`as_predicates`, :func:`parse_sort`,
  :func:`format_timestamp`, :func:`to_utc_datetime`, :func:`modified_window`;
- :mod:`.id_ranges`: :class:`IdRange`, :func:`id_partitions`, ``MAX_PARTITIONS``, the id key space;
- :mod:`.modified_order`: windows read in ``(lastModifiedAt, id)`` order: :class:`ModifiedPaging`
  (a registered strategy), its key space of time ranges, :func:`check_order` and ``ORDERS``;
- :mod:`.concurrent`: :class:`ConcurrentRead` (ranges of a key space, ids or a window's time, read
  by several threads with work stealing, each range a keyset strategy of the engine),
  :class:`RangeProgress`, ``MAX_CONCURRENCY``;
- :mod:`.plan`: :func:`plan_read` and :class:`ReadPlan`, a read checked once (what the subscriber
  operator calls), :func:`check_concurrency`, :func:`check_read_arguments`, ``DEFAULT_CONCURRENCY``;
  :mod:`.failure_notes`: what a failed read says (how far, the predicate of the rest);
- :mod:`.request`: the caller's request (``REQUEST_KEYS``): :func:`checked_request`,
  :func:`check_transformer`, :func:`transform_request`.

Nothing here knows Airflow.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.reading.concurrent import (
    MAX_CONCURRENCY,
    ConcurrentRead,
    RangeProgress,
)
from airflow_provider_commercetools.commercetools.reading.engine import (
    KeysetStrategy,
    PageRequest,
    PagingStrategy,
    adrive_pages,
    async_request_sender,
    drive_pages,
    keyset_predicate,
    request_sender,
)
from airflow_provider_commercetools.commercetools.reading.id_ranges import MAX_PARTITIONS, IdRange, id_partitions
from airflow_provider_commercetools.commercetools.reading.modified_order import ORDERS, ModifiedPaging, check_order
from airflow_provider_commercetools.commercetools.reading.pages import Page, SupportsRequest, decode_page, fetch_page
from airflow_provider_commercetools.commercetools.reading.paging import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    PAGING_PARAMETERS,
    CollectionPaging,
    KeysetPaging,
    OffsetPaging,
    Strategy,
    check_max_items,
    check_no_paging_parameters,
    check_page_size,
    choose_strategy,
    iter_entities,
    iter_pages,
    paging_strategy,
    strategy_for,
    strategy_names,
)
from airflow_provider_commercetools.commercetools.reading.plan import (
    DEFAULT_CONCURRENCY,
    ReadPlan,
    check_concurrency,
    check_read_arguments,
    plan_read,
)
from airflow_provider_commercetools.commercetools.reading.predicates import (
    as_predicates,
    format_timestamp,
    modified_window,
    parse_sort,
    quote_string,
    to_utc_datetime,
)
from airflow_provider_commercetools.commercetools.reading.request import (
    REQUEST_KEYS,
    check_transformer,
    checked_request,
    transform_request,
)

STRATEGIES: tuple[str, ...] = strategy_names()

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_CONCURRENCY",
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "MAX_PARTITIONS",
    "ORDERS",
    "PAGING_PARAMETERS",
    "REQUEST_KEYS",
    "STRATEGIES",
    "CollectionPaging",
    "ConcurrentRead",
    "IdRange",
    "KeysetPaging",
    "KeysetStrategy",
    "ModifiedPaging",
    "OffsetPaging",
    "Page",
    "PageRequest",
    "PagingStrategy",
    "RangeProgress",
    "ReadPlan",
    "Strategy",
    "SupportsRequest",
    "adrive_pages",
    "as_predicates",
    "async_request_sender",
    "check_concurrency",
    "check_max_items",
    "check_no_paging_parameters",
    "check_order",
    "check_page_size",
    "check_read_arguments",
    "check_transformer",
    "checked_request",
    "choose_strategy",
    "decode_page",
    "drive_pages",
    "fetch_page",
    "format_timestamp",
    "id_partitions",
    "iter_entities",
    "iter_pages",
    "keyset_predicate",
    "modified_window",
    "paging_strategy",
    "parse_sort",
    "plan_read",
    "quote_string",
    "request_sender",
    "strategy_for",
    "to_utc_datetime",
    "transform_request",
]
