"""The commercetools operators: CommercetoolsSubscriberOperator reads, CommercetoolsPublisherOperator writes.

They translate parameters and the task context into calls of the commercetools layer (through
:class:`~airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook`), and results into XCom
or JSON Lines files.
"""

from __future__ import annotations

# --- CommercetoolsSubscriberOperator -----------------------------------------------------------

# --- end of CommercetoolsSubscriberOperator ----------------------------------------------------

# --- CommercetoolsPublisherOperator ------------------------------------------------------------

# --- end of CommercetoolsPublisherOperator -----------------------------------------------------
