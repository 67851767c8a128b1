"""Plain HTTP to a fake project, for the tests of the fake itself: ``requests`` with a bearer token of the
fake's API client, no provider code in between."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_commercetools.testing import FakeCommercetools


class PlainApi:
    """``GET`` / ``POST`` below ``{url}/{project_key}/`` of ``ct``, authorised by one client-credentials grant."""

    def __init__(self, ct: FakeCommercetools) -> None:
        self.base = f"{ct.url}/{ct.project_key}"
        token = requests.post(
            f"{ct.url}/oauth/token",
            auth=(ct.client_id, ct.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=5,
        ).json()["access_token"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.base}/{path}", params=params, timeout=5)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(f"{self.base}/{path}", json=body, timeout=5)
