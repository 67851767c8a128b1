"""Equality of drafts and resources (compare.py) and the sync type registry (types.py)."""

from __future__ import annotations

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.writing.compare import sets_equal
from airflow_provider_commercetools.commercetools.writing.sync import (
    SYNC_TYPES,
    differences,
    select_groups,
    sync_type,
    values_equal,
)
from tests.commercetools.writing.sync.model import KeyContext

CAT = {"typeId": "category", "id": "id-1"}
HIGH = {"type": "highPrecision", "currencyCode": "EUR"}
CTX = KeyContext({"category": {"id-1": "k1"}, "type": {"t-1": "tk"}})


@pytest.mark.parametrize(
    ("draft", "current", "equal"),
    [
        pytest.param({"typeId": "category", "key": "k1"}, CAT, True, id="ref-key-vs-id"),
        pytest.param({"typeId": "category", "key": "k2"}, CAT, False, id="ref-other-key"),
        pytest.param(CAT, CAT, True, id="ref-id-vs-id"),
        pytest.param({"typeId": "type", "key": "k1"}, CAT, False, id="ref-other-type"),
        pytest.param(
            {"typeId": "category", "key": "k9"},
            {"typeId": "category", "id": "x", "obj": {"key": "k9"}},
            True,
            id="ref-expanded",
        ),
        pytest.param(
            {"currencyCode": "EUR", "centAmount": 1000},
            {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1000, "fractionDigits": 2},
            True,
            id="money-defaults",
        ),
        pytest.param(
            {"currencyCode": "EUR", "centAmount": 1000},
            {"type": "centPrecision", "currencyCode": "USD", "centAmount": 1000, "fractionDigits": 2},
            False,
            id="money-currency",
        ),
        pytest.param(
            {"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 10001, "fractionDigits": 3},
            {**HIGH, "centAmount": 1000, "preciseAmount": 10001, "fractionDigits": 3},
            True,
            id="money-high-precision",
        ),
        pytest.param(
            {"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 10001, "fractionDigits": 4},
            {**HIGH, "centAmount": 100, "preciseAmount": 10001, "fractionDigits": 3},
            False,
            id="money-high-precision-digits",
        ),
        pytest.param({"en": "a"}, {"en": "a", "de": "b"}, False, id="localized-extra-locale"),
        pytest.param({}, None, True, id="empty-vs-absent"),
        pytest.param([], None, True, id="empty-list-vs-absent"),
        pytest.param("", None, True, id="empty-string-is-no-value"),
        pytest.param(" ", None, False, id="blank-is-a-value"),
        pytest.param(0, None, False, id="zero-is-a-value"),
        pytest.param(False, None, False, id="false-is-a-value"),
        pytest.param("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", True, id="datetime-instant"),
        pytest.param("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00.000Z", True, id="datetime-offset"),
        pytest.param("2026-01-01", "2026-01-01T00:00:00.000Z", False, id="date-is-not-datetime"),
        pytest.param("10:00", "10:00:00.000", True, id="time-of-day"),
        pytest.param("10:00:01", "10:00:00.000", False, id="other-time-of-day"),
        pytest.param("99:00", "99:00:00", False, id="not-a-time-compares-as-text"),
        pytest.param(1, 1.0, True, id="int-float"),
        pytest.param(True, 1, False, id="bool-not-int"),
        pytest.param({"id": "x", "version": 3, "a": 1}, {"a": 1}, True, id="server-fields-ignored"),
    ],
)
def test_values_equal(draft: object, current: object, equal: bool) -> None:
    assert values_equal(draft, current, CTX) is equal


def test_sets_equal_is_a_multiset() -> None:
    assert sets_equal(["a", "b", "a"], ["b", "a", "a"], CTX)
    assert not sets_equal(["a", "a", "b"], ["a", "b", "b"], CTX)
    assert sets_equal([{"typeId": "category", "key": "k1"}], [{"typeId": "category", "id": "id-1"}], CTX)


def test_differences_name_the_paths() -> None:
    draft = {
        "key": "k",
        "name": {"en": "A", "de": "B"},
        "parent": {"typeId": "category", "key": "k1"},
        "custom": {"type": {"typeId": "type", "key": "tk"}, "fields": {"color": "red", "size": 2}},
    }
    current = {
        "id": "x",
        "version": 4,
        "key": "k",
        "name": {"en": "A", "de": "C"},
        "parent": {"typeId": "category", "id": "id-1"},
        "custom": {"type": {"typeId": "type", "id": "t-1"}, "fields": {"color": "blue", "size": 2.0}},
    }
    assert differences(draft, current, CTX) == ["custom.fields.color", "name.de"]
    assert differences(draft, {**current, "name": draft["name"], "custom": draft["custom"]}, CTX) == []


def test_sync_type_unknown_names_the_valid_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"resource_type: 'categorys'.*Did you mean 'categories'.*Give one of"):
        sync_type("categorys")


def test_every_type_is_registered_with_its_entity() -> None:
    from airflow_provider_commercetools.commercetools.entities import ENTITIES

    for name, sync in SYNC_TYPES.items():
        assert sync.name == name
        assert sync.entity in ENTITIES
        assert sync.match
        assert len(set(sync.field_groups)) == len(sync.field_groups)


def test_select_groups_allow_and_deny() -> None:
    sync = sync_type("categories")
    assert select_groups(sync, None) is None
    assert select_groups(sync, ["name", "slug"]) == {"name", "slug"}
    assert select_groups(sync, {"exclude": ["custom"]}) == set(sync.field_groups) - {"custom"}
    with pytest.raises(ConfigurationError, match="sync_fields: 'price' is not a field group"):
        select_groups(sync, ["price"])
    with pytest.raises(ConfigurationError, match="sync_fields"):
        select_groups(sync, {"only": ["name"]})
    with pytest.raises(ConfigurationError, match="sync_fields"):
        select_groups(sync, "name")


def test_options_are_checked_by_name() -> None:
    with pytest.raises(ConfigurationError, match="options: 'staged' is not an option of resource_type 'categories'"):
        sync_type("categories").with_options(staged=False)


def test_key_references_walk_the_whole_draft() -> None:
    from airflow_provider_commercetools.commercetools.writing.compare import key_references

    draft = {
        "parent": {"typeId": "category", "key": "p"},
        "masterVariant": {"attributes": [{"name": "r", "value": [{"typeId": "product", "key": "x"}]}]},
        "custom": {"type": {"typeId": "type", "key": "t"}, "fields": {"ref": {"typeId": "channel", "key": "c"}}},
        "byId": {"typeId": "category", "id": "i"},
    }
    assert sorted(key_references(draft)) == [("category", "p"), ("channel", "c"), ("product", "x"), ("type", "t")]


def test_products_create_body_keys_order_hints_by_category_id() -> None:
    draft = {
        "key": "p",
        "categories": [{"typeId": "category", "key": "k1"}],
        "categoryOrderHints": {"k1": "0.5"},
        "description": None,
    }
    body = sync_type("products").create_body(draft, CTX)
    assert body == {
        "key": "p",
        "categories": [{"typeId": "category", "key": "k1"}],
        "categoryOrderHints": {"id-1": "0.5"},
    }
    plain = {"key": "c", "name": {"en": "C"}, "slug": {"en": "c"}, "parent": None}
    assert sync_type("categories").create_body(plain, CTX) == {"key": "c", "name": {"en": "C"}, "slug": {"en": "c"}}


def test_users_data_has_no_server_fields() -> None:
    from airflow_provider_commercetools.commercetools.writing.compare import data_equal

    assert values_equal({"id": "a", "x": 1}, {"id": "b", "x": 1}, CTX)  # an address's or a price's id
    assert not data_equal({"id": "a", "x": 1}, {"id": "b", "x": 1}, CTX)  # a custom object's value
    assert data_equal({"x": [1, {"y": "2026-01-01T00:00:00Z"}]}, {"x": [1.0, {"y": "2026-01-01T00:00:00.000Z"}]}, CTX)


def test_differences_inside_a_value_see_ids() -> None:
    draft = {"container": "c", "key": "k", "value": {"id": "a", "n": 1}, "version": 1}
    current = {"id": "x", "version": 5, "container": "c", "key": "k", "value": {"id": "b", "n": 1}}
    assert differences(draft, current, CTX) == ["value.id"]
