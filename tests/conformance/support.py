"""Helpers of the conformance tests: the connection JSON, plain HTTP checks, a request recorder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from emulator import Emulator

CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
#: The project holding the large collection (read only).
EXPORT_PROJECT = "conformance-export"
EXPORT_COUNT = 20_000


def connection_json(emu: Emulator, project_key: str, **extra: Any) -> str:
    """The Airflow connection (JSON) for ``project_key`` on the emulator."""
    return json.dumps(
        {
            "conn_type": "commercetools",
            "host": emu.url,
            "login": emu.client_id,
            "password": emu.client_secret,
            "extra": {"project_key": project_key, "auth_url": emu.url, **extra},
        }
    )


class RawApi:
    """Plain HTTP to one project of the emulator, to check what the provider did (or set things up)."""

    def __init__(self, emu: Emulator, project_key: str) -> None:
        self.base = f"{emu.url}/{project_key}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {emu.token()}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}/{path}".rstrip("/"), timeout=30, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        response = self.call("GET", path, params=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def status(self, path: str) -> int:
        return self.call("GET", path).status_code

    def post(self, path: str, body: Any) -> Any:
        response = self.call("POST", path, json=body)
        assert response.status_code in (200, 201), f"POST {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every entity of a collection (keyset on id, independent of the provider's paging)."""
        entities: list[dict[str, Any]] = []
        wheres = [params.pop("where")] if "where" in params else []
        while True:
            where = wheres + ([f'id > "{entities[-1]["id"]}"'] if entities else [])
            page = self.get(path, sort="id asc", limit=500, where=where, **params)["results"]
            entities.extend(page)
            if len(page) < 500:
                return entities


@dataclass
class Project:
    """A fresh project on the session's emulator, with the Airflow connection pointing at it."""

    emu: Emulator
    key: str
    api: RawApi = field(init=False)

    def __post_init__(self) -> None:
        self.api = RawApi(self.emu, self.key)

    def seed(self, type_id: str, resources: Any, mode: str = "create") -> list[str]:
        return self.emu.seed(type_id, resources, mode, project_key=self.key)


class RequestLog:
    """The URLs a client sent (a ``requests`` response hook on its session)."""

    def __init__(self) -> None:
        self.responses: list[requests.Response] = []

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.responses.append(response)
        return response

    def queries(self, path_suffix: str) -> list[dict[str, list[str]]]:
        found = []
        for response in self.responses:
            url = urlsplit(response.request.url or "")
            if url.path.endswith(path_suffix):
                found.append(parse_qs(url.query))
        return found


def record_requests(client: Any) -> RequestLog:
    """Record every response the provider's client receives."""
    log = RequestLog()
    client.session.hooks["response"].append(log)
    return log
