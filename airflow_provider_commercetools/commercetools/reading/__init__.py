"""Reading whole collections: the names of the read side in one place (they live in smaller modules).

- :mod:`.pages`: :class:`Page`, fetching and decoding one page;
- :mod:`.paging`: the paging strategies (keyset, offset), :func:`iter_pages`, :func:`iter_entities`;
- :mod:`.predicates`: string literals, ``where``/``sort`` values, :func:`modified_window`;
- :mod:`.id_ranges`: :class:`IdRange`, :func:`id_partitions`, splitting id ranges;
- :mod:`.concurrent_reading`: id ranges read by several threads with work stealing;
- :mod:`.reading`: :func:`plan_read`, a read checked once (what the subscriber operator calls).

Nothing here knows Airflow.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.reading.concurrent import (
    MAX_CONCURRENCY,
    ConcurrentRead,
    RangeProgress,
)
from airflow_provider_commercetools.commercetools.reading.id_ranges import MAX_PARTITIONS, IdRange, id_partitions
from airflow_provider_commercetools.commercetools.reading.pages import Page, SupportsRequest, decode_page, fetch_page
from airflow_provider_commercetools.commercetools.reading.paging import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    PAGING_PARAMETERS,
    KeysetPaging,
    OffsetPaging,
    PagingStrategy,
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
from airflow_provider_commercetools.commercetools.reading.plan import ReadPlan, plan_read
from airflow_provider_commercetools.commercetools.reading.predicates import (
    as_predicates,
    format_timestamp,
    modified_window,
    parse_sort,
    quote_string,
    to_utc_datetime,
)

STRATEGIES: tuple[str, ...] = strategy_names()

__all__ = [
    "MAX_CONCURRENCY",
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "MAX_PARTITIONS",
    "PAGING_PARAMETERS",
    "STRATEGIES",
    "ConcurrentRead",
    "IdRange",
    "KeysetPaging",
    "OffsetPaging",
    "Page",
    "PagingStrategy",
    "RangeProgress",
    "ReadPlan",
    "Strategy",
    "SupportsRequest",
    "as_predicates",
    "check_max_items",
    "check_no_paging_parameters",
    "check_page_size",
    "choose_strategy",
    "decode_page",
    "fetch_page",
    "format_timestamp",
    "id_partitions",
    "iter_entities",
    "iter_pages",
    "modified_window",
    "paging_strategy",
    "parse_sort",
    "plan_read",
    "quote_string",
    "strategy_for",
    "to_utc_datetime",
]
