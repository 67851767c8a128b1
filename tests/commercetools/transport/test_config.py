from __future__ import annotations

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.transport.config import REGIONS, ClientConfig, region_urls

BASE = {"project_key": "shop", "client_id": "id", "client_secret": "s3cr3t"}


def test_region_fills_both_urls():
    config = ClientConfig.create(**BASE, region="europe-west1.gcp")
    assert config.api_url == "https://api.europe-west1.gcp.commercetools.com"
    assert config.auth_url == "https://auth.europe-west1.gcp.commercetools.com"


def test_full_urls_win_over_region():
    config = ClientConfig.create(
        **BASE, region="us-central1.gcp", api_url="http://127.0.0.1:1/", auth_url="http://127.0.0.1:2"
    )
    assert (config.api_url, config.auth_url) == ("http://127.0.0.1:1", "http://127.0.0.1:2")


def test_api_url_and_region_mix():
    config = ClientConfig.create(**BASE, region="eu-central-1.aws", api_url="https://proxy.example")
    assert config.api_url == "https://proxy.example"
    assert config.auth_url == "https://auth.eu-central-1.aws.commercetools.com"


def test_unknown_region_names_the_valid_ones():
    with pytest.raises(ConfigurationError) as error:
        region_urls("europe-west2.gcp")
    assert error.value.parameter == "region"
    for region in REGIONS:
        assert region in str(error.value)


@pytest.mark.parametrize(
    ("missing", "parameter"),
    [("project_key", "project_key"), ("client_id", "client_id"), ("client_secret", "client_secret")],
    ids=["project_key", "client_id", "client_secret"],
)
def test_missing_field_is_named(missing, parameter):
    fields = dict(BASE, region="europe-west1.gcp")
    fields[missing] = None
    with pytest.raises(ConfigurationError) as error:
        ClientConfig.create(**fields)
    assert error.value.parameter == parameter
    assert parameter in str(error.value)


def test_missing_urls_are_named():
    with pytest.raises(ConfigurationError, match="api_url"):
        ClientConfig.create(**BASE)
    with pytest.raises(ConfigurationError, match="auth_url"):
        ClientConfig.create(**BASE, api_url="https://api.example")


def test_bad_url_is_rejected():
    with pytest.raises(ConfigurationError, match=r"api_url.*not an http"):
        ClientConfig.create(**BASE, api_url="api.example", auth_url="https://auth.example")


def test_default_scope_is_manage_project():
    config = ClientConfig.create(**BASE, region="europe-west1.gcp")
    assert config.scopes == ("manage_project:shop",)


@pytest.mark.parametrize(
    "scopes",
    [
        "view_products:shop  view_orders:shop",
        "view_products:shop,view_orders:shop",
        ["view_products:shop", "view_orders:shop"],
    ],
    ids=["spaces", "commas", "list"],
)
def test_scopes_forms(scopes):
    config = ClientConfig.create(**BASE, region="europe-west1.gcp", scopes=scopes)
    assert config.scopes == ("view_products:shop", "view_orders:shop")


@pytest.mark.parametrize(("value", "expected"), [(None, 60.0), ("12.5", 12.5), (3, 3.0)], ids=["default", "str", "int"])
def test_timeout(value, expected):
    assert ClientConfig.create(**BASE, region="europe-west1.gcp", timeout=value).timeout == expected


@pytest.mark.parametrize("value", ["0", "-1", "soon"], ids=["zero", "negative", "text"])
def test_bad_timeout(value):
    with pytest.raises(ConfigurationError, match="timeout"):
        ClientConfig.create(**BASE, region="europe-west1.gcp", timeout=value)


def test_log_requests_parsing():
    assert ClientConfig.create(**BASE, region="europe-west1.gcp", log_requests="true").log_requests is True
    assert ClientConfig.create(**BASE, region="europe-west1.gcp", log_requests="false").log_requests is False
    with pytest.raises(ConfigurationError, match="log_requests"):
        ClientConfig.create(**BASE, region="europe-west1.gcp", log_requests="maybe")


def test_secret_not_in_repr():
    config = ClientConfig.create(**BASE, region="europe-west1.gcp")
    assert "s3cr3t" not in repr(config)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"region": "europe-west1.gcp"}, "https://import.europe-west1.gcp.commercetools.com"),
        (
            {"api_url": "https://api.us-east-2.aws.commercetools.com/", "auth_url": "http://127.0.0.1:1"},
            "https://import.us-east-2.aws.commercetools.com",
        ),
        ({"region": "eu-central-1.aws", "import_url": "https://import.example/"}, "https://import.example"),
        ({"api_url": "http://127.0.0.1:1", "auth_url": "http://127.0.0.1:2"}, None),
        ({"api_url": "https://proxy.example", "region": "eu-central-1.aws"}, None),  # the API URL wins
        ({"api_url": "https://api.sphere.io", "auth_url": "https://auth.sphere.io"}, None),
    ],
    ids=["region", "api-url-shape", "extra", "loopback", "api-url-over-region", "old-host"],
)
def test_import_url(fields, expected):
    assert ClientConfig.create(**BASE, **fields).import_url == expected


def test_import_url_is_checked():
    with pytest.raises(ConfigurationError) as error:
        ClientConfig.create(**BASE, region="europe-west1.gcp", import_url="import.example")
    assert error.value.parameter == "import_url"
