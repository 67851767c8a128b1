from __future__ import annotations

import pytest

from airflow_provider_commercetools.commercetools.entities import ENTITIES, get_entity, resolve_path
from airflow_provider_commercetools.commercetools.errors import ConfigurationError


@pytest.mark.parametrize(
    ("entity", "path", "expected", "single"),
    [
        ("products", None, "products", False),
        ("products", {"id": "abc"}, "products/abc", True),
        ("products", {"key": "a b/c"}, "products/key=a%20b%2Fc", True),
        ("orders", {"order_number": "2026-1"}, "orders/order-number=2026-1", True),
        ("orders", {"store_key": "eu"}, "in-store/key=eu/orders", False),
        ("customers", {"store_key": "eu", "id": "x"}, "in-store/key=eu/customers/x", True),
        ("custom-objects", {"container": "cfg"}, "custom-objects/cfg", False),
        ("custom-objects", {"container": "cfg", "key": "k"}, "custom-objects/cfg/k", True),
        ("project", None, "", True),
        ("product_projections", None, "product-projections", False),
    ],
    ids=[
        "collection",
        "id",
        "key-quoted",
        "order-number",
        "in-store",
        "in-store-id",
        "container",
        "custom-object",
        "project",
        "underscore-name",
    ],
)
def test_resolve_path(entity, path, expected, single):
    resolved = resolve_path(entity, path)
    assert (resolved.path, resolved.single) == (expected, single)


def test_unknown_entity_lists_known_ones_and_suggests():
    with pytest.raises(ConfigurationError) as error:
        get_entity("prodcts")
    text = str(error.value)
    assert error.value.parameter == "entity"
    assert "'products'" in text
    assert all(name in text for name in ENTITIES)
    assert "endpoint" in text


def test_path_that_does_not_address_the_entity():
    with pytest.raises(ConfigurationError) as error:
        resolve_path("custom-objects", {"key": "k"})
    assert error.value.parameter == "path"
    assert "container" in str(error.value)


def test_store_key_on_unscoped_entity():
    with pytest.raises(ConfigurationError, match="store_key"):
        resolve_path("categories", {"store_key": "eu"})


def test_empty_path_value():
    with pytest.raises(ConfigurationError, match=r"path\['id'\]"):
        resolve_path("products", {"id": ""})


def test_endpoint_with_placeholders():
    resolved = resolve_path(endpoint="custom-objects/{container}/{key}", path={"container": "c", "key": "k/1"})
    assert resolved.path == "custom-objects/c/k%2F1"


def test_endpoint_missing_placeholder():
    with pytest.raises(ConfigurationError, match="needs the path parameter 'key'"):
        resolve_path(endpoint="custom-objects/{container}/{key}", path={"container": "c"})


def test_entity_and_endpoint_together():
    with pytest.raises(ConfigurationError, match="endpoint"):
        resolve_path("products", endpoint="products")
