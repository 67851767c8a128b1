"""A fake commercetools HTTP API (auth + project API) for tests, demos and benchmarks.

Standard library only. It serves real HTTP/1.1 with keep-alive on ``127.0.0.1`` (a free port), one
thread per connection, so a pooled ``requests.Session`` used from many threads behaves as against
the real API. Behaviour follows the commercetools HTTP API: client-credentials token grant with
scopes, bearer tokens that expire and can be revoked, generic resources with create / read / query /
update / delete, optimistic concurrency (409 ``ConcurrentModification``), ``DuplicateField`` on keys,
query predicates, sorting, limit / offset caps, custom objects, in-store scoping, and injectable
faults (429, 5xx, HTML proxy pages, dropped connections before or after a write, slow answers,
garbage bodies).

The parts live in ``testing/fake/``, composed by the facade ``commercetools`` (:class:`FakeCommercetools`):
``http`` (answers and error bodies), ``faults``, ``listener`` and ``core`` (the shared HTTP core:
listeners, request log, faults, latency), ``store`` (entities, indexes, seeding) with
``update_actions`` (the spec's update actions per resource, ``spec_actions.json``, applied by the
handlers in ``action_handlers``, ``definition_actions`` and ``product_actions`` or refused),
``auth`` (token grants, scopes), ``project_api`` (the project API) with
``listing`` (queries of collections), ``import_api`` (the Import API) and ``messages`` (Messages
from the fake's own writes). Other APIs plug in with :meth:`FakeCommercetools.mount` (same address),
:meth:`FakeCommercetools.listen` (an address of their own, like the Import API's host) and
:meth:`FakeCommercetools.on_write` (told of every write); :attr:`FakeCommercetools.page_encoder`
encodes the pages of query results, :meth:`FakeCommercetools.on_request` sees every request first.

Usage::

    with FakeCommercetools() as ct:
        ct.add_many("products", ({"key": f"p{i}"} for i in range(1000)))
        ct.inject("503", times=2, path_prefix=f"/{ct.project_key}/products")
        ...  # point the client at ct.url (auth and API share this address)
"""

from __future__ import annotations

from airflow_provider_commercetools.testing.fake.commercetools import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.faults import FAULT_KINDS
from airflow_provider_commercetools.testing.fake.http import RecordedRequest

__all__ = ["FAULT_KINDS", "FakeCommercetools", "RecordedRequest", "connection_json"]
