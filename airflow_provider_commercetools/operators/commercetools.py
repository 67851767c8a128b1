"""The commercetools operators, importable from one module (one operator per module behind it).

``from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator``
keeps working; the code lives in :mod:`.subscriber`, :mod:`.publisher` and :mod:`.sync`.
"""

from __future__ import annotations

from airflow_provider_commercetools.operators.publisher import (
    CommercetoolsPublisherOperator,
    PublishPartlyAppliedError,
    PublishStoppedError,
)
from airflow_provider_commercetools.operators.subscriber import CommercetoolsSubscriberOperator, XComLimitError
from airflow_provider_commercetools.operators.sync import CommercetoolsSyncOperator, SyncFailedError

__all__ = [
    "CommercetoolsPublisherOperator",
    "CommercetoolsSubscriberOperator",
    "CommercetoolsSyncOperator",
    "PublishPartlyAppliedError",
    "PublishStoppedError",
    "SyncFailedError",
    "XComLimitError",
]
