"""The provider as Airflow discovers it: entry point, metadata, connection form."""

from __future__ import annotations

from importlib.metadata import distribution, entry_points

import pytest

from airflow_provider_commercetools import __version__
from airflow_provider_commercetools.get_provider_info import get_provider_info
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook


def test_entry_point_is_registered_and_names_the_distribution():
    (entry,) = [
        e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("airflow_provider_commercetools")
    ]
    info = entry.load()()
    assert info["package-name"] == distribution("airflow-provider-commercetools").metadata["Name"]
    assert info["description"]
    assert info["versions"] == [__version__] == [distribution("airflow-provider-commercetools").version]


def test_connection_type_points_at_the_hook():
    (conn,) = get_provider_info()["connection-types"]
    assert conn["connection-type"] == CommercetoolsHook.conn_type == "commercetools"
    module, _, name = conn["hook-class-name"].rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name) is CommercetoolsHook
    assert conn["hook-name"] == "Commercetools"
    assert set(conn["conn-fields"]) == {
        "project_key",
        "auth_url",
        "region",
        "import_url",
        "scopes",
        "log_requests",
        "timeout",
        "max_response_mb",
    }
    assert conn["ui-field-behaviour"]["relabeling"] == {
        "host": "API URL",
        "login": "Client ID",
        "password": "Client Secret",
    }
    assert set(conn["ui-field-behaviour"]["hidden-fields"]) == {"schema", "port"}


def test_airflow_discovers_the_connection_type():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-commercetools" in manager.providers
    assert manager.hooks["commercetools"].hook_class_name.endswith("CommercetoolsHook")


def test_hook_defaults():
    assert CommercetoolsHook.default_conn_name == "commercetools_default"
    assert CommercetoolsHook.conn_name_attr == "commercetools_conn_id"
    assert CommercetoolsHook.get_ui_field_behaviour()["hidden_fields"] == ["schema", "port"]


def test_airflow2_form_widgets():
    pytest.importorskip("flask_appbuilder", reason="Airflow 3 reads the form from get_provider_info")
    widgets = CommercetoolsHook.get_connection_form_widgets()
    assert set(widgets) == {
        "project_key",
        "auth_url",
        "region",
        "import_url",
        "scopes",
        "log_requests",
        "timeout",
        "max_response_mb",
    }


def test_sensor_and_trigger_modules_are_registered_and_import():
    info = get_provider_info()
    kinds = ("operators", "sensors", "triggers")
    modules = [m for kind in kinds for entry in info[kind] for m in entry["python-modules"]]
    assert "airflow_provider_commercetools.sensors.messages" in modules
    assert "airflow_provider_commercetools.triggers.messages" in modules
    assert "airflow_provider_commercetools.operators.sync" in modules
    for module in modules:
        __import__(module)
