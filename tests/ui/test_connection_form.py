"""The connection form's definition (no browser): what Airflow 3 reads from get_provider_info."""

from __future__ import annotations

import re

from airflow_provider_commercetools.commercetools.transport.config import REGIONS as CONFIG_REGIONS
from airflow_provider_commercetools.commercetools.transport.config import region_urls
from airflow_provider_commercetools.connection_form import EXTRA_FIELDS, REGIONS, UI_FIELD_BEHAVIOUR, WHERE


def test_the_region_suggestions_are_the_regions_the_client_accepts():
    assert REGIONS == CONFIG_REGIONS
    assert EXTRA_FIELDS["region"]["schema"]["examples"] == list(CONFIG_REGIONS)
    assert EXTRA_FIELDS["auth_url"]["schema"]["examples"] == [region_urls(r)[1] for r in CONFIG_REGIONS]


def test_placeholders_show_real_patterns():
    placeholders = UI_FIELD_BEHAVIOUR["placeholders"]
    api_url, auth_url = region_urls("europe-west1.gcp")
    assert placeholders["host"] == api_url
    assert placeholders["auth_url"] == auth_url
    assert placeholders["scopes"] == "manage_project:<project key>"
    assert "Developer settings > API clients" in placeholders["login"]
    # Airflow prefixes every placeholder key that is not a connection attribute with
    # extra__<type>__, so one for "description" would never reach the form.
    assert "description" not in placeholders


def test_descriptions_say_where_to_find_the_values():
    assert WHERE == "Merchant Center > Settings > Developer settings > API clients"
    for name in ("project_key", "auth_url", "scopes"):
        assert WHERE in EXTRA_FIELDS[name]["description"], name
    assert "manage_project:<project key>" in EXTRA_FIELDS["scopes"]["description"]
    assert re.search(r"https://auth\.<region>\.commercetools\.com", EXTRA_FIELDS["auth_url"]["description"])
