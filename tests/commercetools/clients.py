"""The sync and the async client behind one small interface, so that one test checks both."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.testing import FakeCommercetools

T = TypeVar("T")
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)


def config_for(server: FakeCommercetools, **overrides: Any) -> ClientConfig:
    fields: dict[str, Any] = {
        "project_key": server.project_key,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "api_url": server.url,
        "auth_url": server.url,
        "retry": FAST,
    }
    fields.update(overrides)
    return ClientConfig.create(**fields)


class SyncSide:
    kind = "sync"

    def __init__(self, config: ClientConfig, **kwargs: Any) -> None:
        self.client = CommercetoolsClient(config, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, **kwargs)

    def server_time(self, path: str) -> Any:
        return self.client.server_time(path)

    def concurrently(self, count: int, method: str, path: str) -> list[Any]:
        """``count`` requests at once (threads), their results or errors."""
        barrier = threading.Barrier(count)
        results: list[Any] = [None] * count

        def work(i: int) -> None:
            barrier.wait()
            try:
                results[i] = self.client.request(method, path)
            except Exception as error:
                results[i] = error

        threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        return results

    @property
    def auth(self) -> Any:
        return self.client.auth

    def close(self) -> None:
        self.client.close()


class AsyncSide:
    """The async client on an event loop in a thread of its own (one loop for the client's life)."""

    kind = "async"

    def __init__(self, config: ClientConfig, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def make() -> AsyncCommercetoolsClient:
            return AsyncCommercetoolsClient(config, **kwargs)

        self.client = self.run(make())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs.pop("decode", None)
        return self.run(self.client.request(method, path, **kwargs))

    def server_time(self, path: str) -> Any:
        return self.run(self.client.server_time(path))

    def concurrently(self, count: int, method: str, path: str) -> list[Any]:
        async def all_at_once() -> list[Any]:
            calls = [self.client.request(method, path) for _ in range(count)]
            return list(await asyncio.gather(*calls, return_exceptions=True))

        return self.run(all_at_once())

    @property
    def auth(self) -> Any:
        return self.client.auth

    def close(self) -> None:
        try:
            self.run(self.client.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


SIDES = {"sync": SyncSide, "async": AsyncSide}
