"""CommercetoolsHook against the independent emulator: token grant, test_connection, reads, writes, 409s.

Every check of what was stored goes through plain HTTP (``project.api``), not through the hook.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    ConcurrentModificationError,
    NotFoundError,
)
from airflow_provider_commercetools.commercetools.transport.auth import Token
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from emulator import Emulator, EmulatorError
from tests.conformance.support import CONNECTION_ENV, connection_json, record_requests


def category(key: str, name: str = "") -> dict:
    return {"key": key, "name": {"en": name or key}, "slug": {"en": key}}


def test_a_missing_emulator_install_fails_with_the_npm_ci_instruction(tmp_path: Path) -> None:
    # The conformance fixture turns this error into a test failure (never a skip).
    with pytest.raises(EmulatorError, match=r"run `npm ci --prefix .*` first"):
        Emulator(emulator_dir=tmp_path).start()


# -- the token and test_connection -----------------------------------------------------------------


def test_token_grant_and_test_connection(project) -> None:
    # Emulator gap: client id and secret are never checked (any non-empty pair gets a token), so
    # the real API's 401 invalid_client for a wrong secret cannot be reproduced here.
    hook = CommercetoolsHook()
    ok, message = hook.test_connection()
    assert ok, message
    assert message == (
        f"Connected to commercetools project {project.key!r} ({project.key}), scopes: manage_project:{project.key}"
    )
    # The scope travelled in the form body (the standard grant) and came back as granted.
    assert hook.client.granted_scope == f"manage_project:{project.key}"
    for _ in range(5):
        hook.get("categories", query={"limit": 1})
    assert hook.client.auth.grant_count == 1


def test_the_scopes_of_the_connection_are_asked_for(project, monkeypatch) -> None:
    scopes = f"view_categories:{project.key} manage_orders:{project.key}"
    monkeypatch.setenv(CONNECTION_ENV, connection_json(project.emu, project.key, scopes=scopes))
    hook = CommercetoolsHook()
    assert hook.test_connection()[0]
    assert hook.client.granted_scope == scopes
    # Emulator gap: scopes are not enforced (the real API answers 403 insufficient_scope to a
    # create with view_categories only); so this test can only check what was asked for.


def test_a_rejected_token_is_granted_again_once(project) -> None:
    hook = CommercetoolsHook()
    hook.get("categories")
    # Make the cached token one the emulator never issued: its next answer is a real-shaped
    # 401 invalid_token (the emulator's tokens never expire, so this is how to get one).
    hook.client.auth._token = Token("not-a-token-it-issued", time.monotonic() + 3600, "x")
    log = record_requests(hook.client)
    assert hook.get("categories")["results"] == []
    assert [r.status_code for r in log.responses] == [401, 200, 200]  # the API, the grant, the API again
    assert hook.client.auth.grant_count == 2


# -- reads -----------------------------------------------------------------------------------------


def test_reads_by_key_by_id_and_head(project) -> None:
    (first, _) = project.seed("category", [category("shoes"), category("hats")])
    hook = CommercetoolsHook()
    by_key = hook.get("categories", {"key": "shoes"})
    assert by_key == project.api.get(f"categories/{first}")
    assert hook.get("categories", {"id": first}) == by_key
    assert hook.request("HEAD", "categories", path={"key": "shoes"}) is True

    with pytest.raises(NotFoundError) as missing:
        hook.get("categories", {"key": "nope"})
    assert missing.value.status_code == 404
    assert missing.value.codes == ["ResourceNotFound"]
    assert "The Resource with key 'nope' was not found." in str(missing.value)
    assert "GET /" + project.key + "/categories/key=nope -> HTTP 404 ResourceNotFound" in str(missing.value)
    with pytest.raises(NotFoundError):  # HEAD answers 404 without a body
        hook.request("HEAD", "categories", path={"key": "nope"})


def test_a_page_with_a_where_list_anded(project) -> None:
    project.seed("category", [category(f"k{i}", "red" if i % 2 else "blue") for i in range(10)])
    hook = CommercetoolsHook()
    page = hook.get("categories", query={"where": ['name(en = "red")', 'key in ("k1", "k2", "k3")'], "limit": 5})
    assert sorted(c["key"] for c in page["results"]) == ["k1", "k3"]
    # The launcher's limit patch answers like the real API.
    with pytest.raises(BadRequestError) as too_many:
        hook.get("categories", query={"limit": 501})
    assert too_many.value.codes == ["InvalidInput"]


# -- writes ----------------------------------------------------------------------------------------


def test_create_update_with_versions_and_delete(project) -> None:
    hook = CommercetoolsHook()
    created = hook.create("categories", category("bags", "Bags"))
    assert created["version"] == 1 and created["key"] == "bags"
    entity_id = created["id"]

    updated = hook.update(
        "categories",
        {"id": entity_id},
        created["version"],
        [
            {"action": "changeName", "name": {"en": "Bags & more"}},
            {"action": "setDescription", "description": {"en": "all bags"}},
        ],
    )
    stored = project.api.get(f"categories/{entity_id}")
    # The version is read from the response, never computed (the emulator adds one per action).
    assert updated["version"] == stored["version"] > created["version"]
    assert stored["name"] == {"en": "Bags & more"} and stored["description"] == {"en": "all bags"}

    by_key = hook.update(
        "categories", {"key": "bags"}, updated["version"], [{"action": "changeSlug", "slug": {"en": "b"}}]
    )
    assert by_key["slug"] == {"en": "b"}

    with pytest.raises(ConcurrentModificationError) as stale:
        hook.update(
            "categories", {"id": entity_id}, created["version"], [{"action": "changeName", "name": {"en": "x"}}]
        )
    error = stale.value
    assert error.status_code == 409 and error.codes == ["ConcurrentModification"]
    assert error.current_version == by_key["version"]
    assert f"Expected: {created['version']} - Actual: {by_key['version']}." in str(error)
    assert "on_conflict='retry'" in str(error)  # what to do next
    assert project.api.get(f"categories/{entity_id}")["name"] == {"en": "Bags & more"}

    # A delete at a stale version is refused like the real API does (a launcher patch: the
    # package ignores ?version= on DELETE).
    with pytest.raises(ConcurrentModificationError) as stale_delete:
        hook.delete("categories", {"id": entity_id}, version=created["version"])
    assert stale_delete.value.current_version == by_key["version"]
    assert project.api.status(f"categories/{entity_id}") == 200

    deleted = hook.delete("categories", {"key": "bags"}, version=by_key["version"])
    assert deleted["id"] == entity_id
    assert project.api.status(f"categories/{entity_id}") == 404


def test_customer_creates_answer_with_a_wrapper(project) -> None:
    hook = CommercetoolsHook()
    created = hook.create("customers", {"email": "ada@example.com", "password": "secret", "key": "ada"})
    assert set(created) == {"customer"}  # {"customer": {...}}, as the real API answers
    assert project.api.get("customers/key=ada")["id"] == created["customer"]["id"]
    # DuplicateField is exercised with a customer email: the emulator accepts duplicate keys on
    # most resources (e.g. two categories with one key), where the real API answers 400 DuplicateField.
    with pytest.raises(BadRequestError) as duplicate:
        hook.create("customers", {"email": "ada@example.com", "password": "other"})
    assert duplicate.value.codes == ["DuplicateField"]
    assert duplicate.value.errors[0]["field"] == "email"


def test_custom_objects_upsert_read_by_container_and_key_delete(project) -> None:
    hook = CommercetoolsHook()
    first = hook.create("custom-objects", {"container": "settings", "key": "colours", "value": ["red"]})
    assert first["version"] == 1
    second = hook.create("custom-objects", {"container": "settings", "key": "colours", "value": ["red", "blue"]})
    assert second["id"] == first["id"] and second["version"] > first["version"]  # POST is an upsert

    read = hook.get("custom-objects", {"container": "settings", "key": "colours"})
    assert read["value"] == ["red", "blue"] and read == project.api.get("custom-objects/settings/colours")
    listed = hook.get("custom-objects", {"container": "settings"})
    assert [o["key"] for o in listed["results"]] == ["colours"]

    with pytest.raises(ConcurrentModificationError) as stale:
        hook.create("custom-objects", {"container": "settings", "key": "colours", "value": [], "version": 1})
    assert stale.value.current_version == second["version"]

    hook.delete("custom-objects", {"container": "settings", "key": "colours"})  # no version needed
    assert project.api.status("custom-objects/settings/colours") == 404
    with pytest.raises(NotFoundError):
        hook.get("custom-objects", {"container": "settings", "key": "colours"})


def test_error_bodies_keep_their_details(project) -> None:
    hook = CommercetoolsHook()
    with pytest.raises(BadRequestError) as malformed:
        hook.get("categories", query={"where": "key = "})
    assert malformed.value.codes == ["InvalidInput"]
    # The launcher echoes the X-Correlation-ID sent, like the real API; the error names it.
    assert malformed.value.correlation_id.startswith("airflow-")
    assert malformed.value.correlation_id in str(malformed.value)
    assert json.dumps(malformed.value.errors)  # the raw error objects are kept
