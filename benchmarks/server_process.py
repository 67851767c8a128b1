"""The fake commercetools server in a process of its own, driven over a pipe.

Run in-process, the server's threads would share the benchmark's interpreter (and GIL): the client's
cost could not be told from the server's, and the server's memory would count in the client's peak
RSS. Here it runs in a spawned process (a clean interpreter that imports only the fake server), so
the client has one core and the server the other, and the server reports its own CPU time.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing import FakeCommercetools

RESOURCE = "products"


def product_draft(number: int) -> dict[str, Any]:
    """A product-shaped entity of about 1 KB of JSON (name, slug, a variant with prices and attributes)."""
    return {
        "key": f"product-{number:07d}",
        "productType": {"typeId": "product-type", "id": "5e0f2ad8-8a0e-4c3c-b2a2-1a8c7f0e6b41"},
        "name": {"en": f"Organic cotton T-shirt {number}", "de": f"Bio-Baumwoll-T-Shirt {number}"},
        "slug": {"en": f"organic-cotton-t-shirt-{number}", "de": f"bio-baumwoll-t-shirt-{number}"},
        "description": {
            "en": "A soft, breathable T-shirt made of 100% organic cotton. Regular fit, crew neck.",
            "de": "Ein weiches, atmungsaktives T-Shirt aus 100 % Bio-Baumwolle. Normale Passform.",
        },
        "categories": [{"typeId": "category", "id": "0c9b8ef4-3c0b-4a38-9d7c-3fb0a9c5d2e1"}],
        "masterVariant": {
            "id": 1,
            "sku": f"SKU-{number:07d}-M",
            "prices": [
                {"value": {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1999 + number % 500}},
                {"value": {"type": "centPrecision", "currencyCode": "USD", "centAmount": 2199 + number % 500}},
            ],
            "attributes": [
                {"name": "color", "value": {"key": "blue", "label": {"en": "Blue", "de": "Blau"}}},
                {"name": "size", "value": "M"},
                {"name": "material", "value": "cotton"},
            ],
            "images": [{"url": f"https://images.example.com/p/{number}.jpg", "dimensions": {"w": 800, "h": 800}}],
        },
        "variants": [],
        "taxCategory": {"typeId": "tax-category", "id": "8d7b6e2f-1c4a-4b2e-9f0d-6a5c4b3e2d1f"},
        "publish": True,
    }


def entity_size() -> int:
    """Bytes of one seeded entity as the server sends it (with id, version and timestamps)."""
    entity = {"id": "00000000-0000-4000-8000-000000000000", "version": 1, "createdAt": "x" * 24}
    entity["lastModifiedAt"] = "x" * 24
    entity.update(product_draft(1))
    return len(json.dumps(entity, separators=(",", ":")).encode())


@dataclass(frozen=True)
class ServerInfo:
    url: str
    project_key: str
    client_id: str
    client_secret: str
    pid: int

    def connection_json(self) -> str:
        """The Airflow connection (for ``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``)."""
        return json.dumps(
            {
                "conn_type": "commercetools",
                "host": self.url,
                "login": self.client_id,
                "password": self.client_secret,
                "extra": {"project_key": self.project_key, "auth_url": self.url},
            }
        )


@dataclass(frozen=True)
class ServerStats:
    """What the server saw since the last :meth:`ServerProcess.reset`."""

    api_gets: int
    api_posts: int
    token_grants: int
    requests: int
    cpu_seconds: float  # user + system CPU of the whole server process (all handler threads)
    connections: int
    #: the latency the server added to its answers, summed over every request (seconds)
    latency_seconds: float = 0.0


def memoized_pages(encode: Callable[[dict[str, Any]], bytes]) -> Callable[[dict[str, Any]], bytes]:
    """A page encoder that serializes each stored entity once, not once per page: a page then costs a join.

    The fake stores entities immutably (an update replaces the dict), so ``(id, version)`` identifies
    an entity's JSON. Pages keep their exact bytes (``results`` is the last key). Without this the
    server spends about as long encoding a page as the client spends decoding it, which hides the
    client's cost that the export benchmark measures.
    """
    cache: dict[tuple[str, int], bytes] = {}

    def entity_json(entity: dict[str, Any]) -> bytes:
        key = (entity["id"], entity["version"])
        data = cache.get(key)
        if data is None:
            data = cache[key] = encode(entity)
        return data

    def encode_page(page: dict[str, Any]) -> bytes:
        if type(page.get("results")) is list and list(page)[-1] == "results":
            head = encode({k: v for k, v in page.items() if k != "results"})
            return head[:-1] + b',"results":[' + b",".join(map(entity_json, page["results"])) + b"]}"
        return encode(page)

    return encode_page


def skewed_id(number: int, dense_share: float = 0.9) -> str:
    """A UUID-shaped id; ``dense_share`` of them start with "3" (one sixteenth of the id space)."""
    import random
    import uuid

    rng = random.Random(number)
    text = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return ("3" + text[1:]) if rng.random() < dense_share else text


class _Latency:
    """The answer delay: the fake's ``latency`` per request plus ``per_entity`` seconds per entity of a page.

    The fake sleeps its latency itself (outside its lock, every connection has a thread); the extra
    time per entity is slept by the page encoder, after the page is built, also outside the lock.
    Both are summed so that the benchmark can compute its bound from what the server really added.
    """

    def __init__(self, fake: FakeCommercetools, per_entity: float) -> None:
        import threading

        self.fake = fake
        self.per_entity = per_entity
        self.total = 0.0
        self._lock = threading.Lock()
        self._encode = fake.page_encoder
        fake.page_encoder = self.encode_page
        fake.on_request(self.count_request)

    def count_request(self, method: str, path: str) -> None:
        with self._lock:
            self.total += self.fake.latency

    def encode_page(self, page: dict[str, Any]) -> bytes:
        data = self._encode(page)
        extra = self.per_entity * len(page["results"])
        if extra > 0:
            time.sleep(extra)
            with self._lock:
                self.total += extra
        return data


def _serve(conn: Connection, latency: float, fast_pages: bool, per_entity: float = 0.0) -> None:
    from airflow_provider_commercetools.testing import FakeCommercetools

    fake = FakeCommercetools(latency=latency, record_requests=True)
    if fast_pages:
        fake.page_encoder = memoized_pages(fake.page_encoder)
    fake.start()
    delay = _Latency(fake, per_entity)
    conn.send(ServerInfo(fake.url, fake.project_key, fake.client_id, fake.client_secret, os.getpid()))
    cpu_start = time.process_time()
    accepted_start = 0
    api_prefix = f"/{fake.project_key}/"
    while True:
        command, argument = conn.recv()
        if command == "seed":
            fake.clear()
            fake.add_many(RESOURCE, (product_draft(i) for i in range(argument)))
            conn.send(argument)
        elif command == "seed_skewed":  # into its own collection, next to the even one
            count, resource = argument
            fake.clear(resource)
            fake.add_many(resource, ({"id": skewed_id(i), **product_draft(i)} for i in range(count)))
            conn.send(count)
        elif command == "clear":
            fake.clear()
            conn.send(None)
        elif command == "latency":
            fake.latency = float(argument)
            conn.send(None)
        elif command == "reset":
            fake.reset_log()
            delay.total = 0.0
            cpu_start = time.process_time()
            accepted_start = fake.accepted_connections
            conn.send(None)
        elif command == "stats":
            conn.send(
                ServerStats(
                    api_gets=fake.count_requests("GET", api_prefix),
                    api_posts=fake.count_requests("POST", api_prefix),
                    token_grants=fake.token_grants,
                    requests=fake.count_requests(),
                    cpu_seconds=time.process_time() - cpu_start,
                    connections=fake.accepted_connections - accepted_start,
                    latency_seconds=delay.total,
                )
            )
        elif command == "stop":
            fake.stop()
            conn.send(None)
            return


class ServerProcess:
    """``with ServerProcess(latency=0.05) as server:`` a started fake server in another process.

    ``per_entity`` adds that many seconds per entity of a page to each answer (a server time that
    grows with the page size, e.g. 0.0001: 1 ms per 10 entities).
    """

    def __init__(self, *, latency: float = 0.0, fast_pages: bool = True, per_entity: float = 0.0) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, latency, fast_pages, per_entity), name="fake-commercetools", daemon=True
        )
        self._process.start()
        child.close()
        self.info: ServerInfo = self._conn.recv()

    def _call(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def seed(self, count: int) -> None:
        """Replace the collection with ``count`` products."""
        self._call("seed", count)

    def seed_skewed(self, count: int, resource: str = "categories") -> None:
        """Fill ``resource`` with ``count`` product-shaped entities, 90% of them in one sixteenth of the id space.

        Another collection than the products of :meth:`seed`, so that runs on both can alternate.
        """
        self._call("seed_skewed", (count, resource))

    def clear(self) -> None:
        self._call("clear")

    def set_latency(self, seconds: float) -> None:
        """Seconds the server waits before every answer (not serialised: each connection has a thread)."""
        self._call("latency", seconds)

    def reset(self) -> None:
        """Forget the request log and token grants; restart the CPU clock."""
        self._call("reset")

    def stats(self) -> ServerStats:
        stats: ServerStats = self._call("stats")
        return stats

    def stop(self) -> None:
        if self._process.is_alive():
            self._call("stop")
        self._process.join(timeout=10)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
