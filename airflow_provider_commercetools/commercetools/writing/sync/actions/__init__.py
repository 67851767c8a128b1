"""The action builders of the sync, one module per resource type (or a few related ones).

Each module holds a :class:`~..types.SyncType` built from pure functions; ``ALL_TYPES`` lists them
for :data:`~..types.SYNC_TYPES`. Shared parts: :mod:`.fields` (field-to-action tables) and
:mod:`.custom` (custom fields and assets).
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.writing.sync.actions.categories import CATEGORIES
from airflow_provider_commercetools.commercetools.writing.sync.actions.custom_objects import CUSTOM_OBJECTS
from airflow_provider_commercetools.commercetools.writing.sync.actions.customers import CUSTOMERS
from airflow_provider_commercetools.commercetools.writing.sync.actions.definitions import PRODUCT_TYPES, TYPES
from airflow_provider_commercetools.commercetools.writing.sync.actions.inventory import INVENTORY
from airflow_provider_commercetools.commercetools.writing.sync.actions.prices import STANDALONE_PRICES
from airflow_provider_commercetools.commercetools.writing.sync.actions.products import PRODUCTS
from airflow_provider_commercetools.commercetools.writing.sync.actions.reference_data import (
    CHANNELS,
    CUSTOMER_GROUPS,
    STATES,
    STORES,
    TAX_CATEGORIES,
    ZONES,
)

ALL_TYPES = (
    CATEGORIES,
    CUSTOMER_GROUPS,
    CHANNELS,
    TAX_CATEGORIES,
    ZONES,
    STATES,
    TYPES,
    PRODUCT_TYPES,
    CUSTOMERS,
    INVENTORY,
    STANDALONE_PRICES,
    CUSTOM_OBJECTS,
    PRODUCTS,
    STORES,
)
