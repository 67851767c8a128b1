"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools import __version__
from airflow_provider_commercetools.connection_form import (
    CONN_TYPE,
    EXTRA_FIELDS,
    HOOK_NAME,
    UI_FIELD_BEHAVIOUR,
)

HOOK_CLASS = "airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook"


def get_provider_info() -> dict[str, Any]:
    behaviour = {
        "hidden-fields": UI_FIELD_BEHAVIOUR["hidden_fields"],
        "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
        "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
    }
    return {
        "package-name": "airflow-provider-commercetools",
        "name": "Commercetools",
        "description": "Export and publish commercetools entities from Apache Airflow.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Commercetools",
                "external-doc-url": "https://docs.commercetools.com/api/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Commercetools",
                "python-modules": ["airflow_provider_commercetools.hooks.commercetools"],
            }
        ],
        "operators": [
            {
                "integration-name": "Commercetools",
                "python-modules": [
                    "airflow_provider_commercetools.operators.commercetools",
                    "airflow_provider_commercetools.operators.deletions",
                    "airflow_provider_commercetools.operators.imports",
                    "airflow_provider_commercetools.operators.sync",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Commercetools",
                "python-modules": [
                    "airflow_provider_commercetools.sensors.messages",
                    "airflow_provider_commercetools.sensors.imports",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "Commercetools",
                "python-modules": [
                    "airflow_provider_commercetools.triggers.messages",
                    "airflow_provider_commercetools.triggers.imports",
                ],
            }
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": HOOK_CLASS,
                "hook-name": HOOK_NAME,
                "ui-field-behaviour": behaviour,
                "conn-fields": EXTRA_FIELDS,
            }
        ],
    }
