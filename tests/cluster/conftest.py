"""One cluster for the cluster tests (started once per session, in one pytest-xdist worker: the tests are
one ``xdist_group``), and the fake commercetools projects its connections point at, served by this process
over HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from airflow_provider_commercetools.testing.server import connection_json
from tests.cluster.cluster import Cluster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: starts a real CeleryExecutor cluster (PostgreSQL, Redis, S3, two workers); Airflow 3 only"
    )


@dataclass
class Projects:
    """``source`` (``commercetools_default``: Import API, Messages), ``target`` (``commercetools_target``)
    and ``loss`` (``commercetools_loss``: the worker-loss test's)."""

    source: FakeCommercetools
    imports: FakeImportApi
    messages: FakeMessages
    target: FakeCommercetools
    loss: FakeCommercetools

    def connections(self) -> dict[str, str]:
        return {
            "commercetools_default": connection_json(self.source, import_url=self.imports.url),
            "commercetools_target": connection_json(self.target),
            "commercetools_loss": connection_json(self.loss),
        }


@pytest.fixture(scope="session")
def projects() -> Iterator[Projects]:
    source = FakeCommercetools(project_key="shop-a", scopes=("manage_project:shop-a", "view_messages:shop-a"))
    target = FakeCommercetools(project_key="shop-b", client_id="client-b", client_secret="secret-b")
    loss = FakeCommercetools(project_key="shop-c", client_id="client-c", client_secret="secret-c")
    started: list[FakeCommercetools] = []
    try:
        for fake in (source, target, loss):
            started.append(fake.start())
        # the Import API's operations stay "processing" for a few reads: the triggerer's polls see them finish
        yield Projects(source, FakeImportApi(source, reads_before_processing=3), FakeMessages(source), target, loss)
    finally:
        for fake in started:
            fake.stop()


@pytest.fixture(scope="session")
def cluster(projects: Projects) -> Iterator[Cluster]:
    with Cluster(projects.connections()) as running:
        yield running
