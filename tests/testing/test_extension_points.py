"""The public extension points of the fake: hooks that tests and benchmarks use instead of its internals."""

from __future__ import annotations

import json
from typing import Any

import requests

from airflow_provider_commercetools.testing import FakeCommercetools, FakeImportApi
from airflow_provider_commercetools.testing.fake.http import Response, dumps


def _token(ct: FakeCommercetools) -> str:
    answer = requests.post(
        f"{ct.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(ct.client_id, ct.client_secret)
    )
    return str(answer.json()["access_token"])


def test_page_encoder_encodes_every_page_and_nothing_else() -> None:
    pages: list[dict[str, Any]] = []
    with FakeCommercetools() as ct:
        ct.add_many("products", ({"key": f"p{i}"} for i in range(3)))
        encode = ct.page_encoder

        def recording(page: dict[str, Any]) -> bytes:
            pages.append(page)
            return encode(page)

        ct.page_encoder = recording
        headers = {"Authorization": f"Bearer {_token(ct)}"}
        listed = requests.get(f"{ct.url}/{ct.project_key}/products?limit=2", headers=headers).json()
        one = requests.get(f"{ct.url}/{ct.project_key}/products/key=p0", headers=headers).json()
    assert [p["key"] for p in listed["results"]] == ["p0", "p1"] and listed["total"] == 3
    assert one["key"] == "p0"
    assert [[e["key"] for e in page["results"]] for page in pages] == [["p0", "p1"]]  # the single read is no page


def test_on_request_sees_every_request_before_its_fault() -> None:
    seen: list[tuple[str, str, int]] = []
    with FakeCommercetools() as ct:
        ct.on_request(lambda method, path: seen.append((method, path, sum(ct.faults_injected.values()))))
        ct.inject("503", path_prefix=f"/{ct.project_key}/products")
        headers = {"Authorization": f"Bearer {_token(ct)}"}
        assert requests.get(f"{ct.url}/{ct.project_key}/products", headers=headers).status_code == 503
    assert seen == [("POST", "/oauth/token", 0), ("GET", f"/{ct.project_key}/products", 0)]


def test_on_token_is_told_of_every_granted_token() -> None:
    granted: list[str] = []
    with FakeCommercetools() as ct:
        ct.on_token(granted.append)
        tokens = [_token(ct), _token(ct)]
        assert requests.post(f"{ct.url}/oauth/token", auth=("wrong", "secret")).status_code == 401
    assert granted == tokens and ct.token_grants == 2


def test_a_mounted_api_answers_first_on_every_path_including_the_token_endpoint() -> None:
    def broken_auth(method: str, path: str, query: Any, headers: Any, body: bytes) -> Response | None:
        return Response(200, dumps({"no": "token"})) if path == "/oauth/token" else None

    with FakeCommercetools() as ct:
        ct.mount(broken_auth)
        answer = requests.post(f"{ct.url}/oauth/token", auth=(ct.client_id, ct.client_secret))
        assert answer.json() == {"no": "token"} and ct.token_grants == 0
        assert requests.get(f"{ct.url}/{ct.project_key}/products").status_code == 401  # not mounted: the API


def test_clear_one_resource_keeps_the_others_and_accepted_connections_count_keep_alive() -> None:
    with FakeCommercetools() as ct:
        ct.add("products", {"key": "p"})
        ct.add("categories", {"key": "c"})
        ct.clear("products")
        assert ct.entities("products") == [] and [c["key"] for c in ct.entities("categories")] == ["c"]
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {_token(ct)}"
            for _ in range(3):
                session.get(f"{ct.url}/{ct.project_key}/categories")
        assert ct.accepted_connections == 2  # the token request, then the session's one connection
    assert ct.accepted_connections == 0  # stopped


def test_import_containers_can_be_seeded_and_the_write_path_works_without_a_socket() -> None:
    with FakeCommercetools() as ct:
        imports = FakeImportApi(ct)
        container = imports.add_container("seeded", "category")
        assert container["key"] == "seeded" and container["resourceType"] == "category"
        headers = {"Authorization": f"Bearer {_token(ct)}"}
        listed = requests.get(f"{imports.url}/{ct.project_key}/import-containers", headers=headers).json()
        assert [c["key"] for c in listed["results"]] == ["seeded"]
        created = ct.project_api.create("categories", json.dumps({"key": "c1"}).encode())
        assert created.status == 201 and ct.entities("categories")[0]["key"] == "c1"
