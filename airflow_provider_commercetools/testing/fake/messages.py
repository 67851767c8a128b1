"""Messages for the fake: produced from its own writes, stored in its "messages" collection.

Follows the commercetools Messages API (``api-specs/api/resources/messages.raml`` in
commercetools/commercetools-api-reference): every Message has the fields of
``api-specs/api/types/message/Message.raml`` (``id``, ``version`` 1, ``createdAt``,
``lastModifiedAt``, ``sequenceNumber`` counting per resource from 1, ``resource`` as a Reference,
``resourceVersion``, ``type``, ``resourceUserProvidedIdentifiers``) plus the payload of its type:

* a create gives ``<Resource>Created`` (``ProductCreatedMessage.raml``: ``productProjection``;
  ``OrderCreatedMessage.raml``: ``order``; ``CustomerCreatedMessage.raml``: ``customer``;
  ``CategoryCreatedMessage.raml``: ``category``; ``InventoryEntryCreatedMessage.raml``: ``inventoryEntry``);
* a delete gives the deletion type of the resource, where the API has one (``ProductDeletedMessage.raml``:
  ``removedImageUrls``, ``currentProjection``; ``OrderDeletedMessage.raml``: ``order``;
  ``CustomerDeletedMessage.raml``: ``email``; ``InventoryEntryDeletedMessage.raml``: ``sku``); the API
  has no CategoryDeleted Message, so deleting a category gives none here either;
* an update gives the Messages of the fields it changed, for the fields in ``_UPDATE_MESSAGES``
  (``ProductSlugChanged``, ``OrderStateChanged``, ``CustomerEmailChanged``, ``InventoryEntryQuantitySet``...);
  other updates give none (as in the API, where most update actions produce no Message).

The Messages are stored in the fake's ``messages`` collection, so ``GET /{projectKey}/messages``
answers ``where``/``sort``/``limit``/``withTotal`` like any other collection (scope
``view_messages``); writes to ``/messages`` are refused (the API has none). The project's
``messages`` settings are answered at ``GET /{projectKey}`` and changed with the Update Project
action ``changeMessagesConfiguration``. With Messages disabled nothing is stored, so queries answer
200 with no results (the API stores no Messages while the feature is off; *unconfirmed* whether the
real API answers anything else for a disabled project).

For boundary tests: :meth:`FakeMessages.hold` keeps the next Messages invisible (already stamped with
their ``createdAt``) until :meth:`FakeMessages.release`, as when the API makes them visible late;
:meth:`FakeMessages.freeze_clock` gives many Messages one ``createdAt``.

Usage::

    with FakeCommercetools() as ct:
        messages = FakeMessages(ct)          # produce Messages from now on
        ...                                  # writes over HTTP produce Messages
        messages.all()                       # every visible Message, in creation order
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from airflow_provider_commercetools.testing.fake.http import (
    Response,
    bad_request,
    conflict,
    dumps,
    insufficient_scope,
    invalid_json,
    method_not_allowed,
    now_iso,
)
from airflow_provider_commercetools.testing.fake.product_shape import projection
from airflow_provider_commercetools.testing.fake.store import UuidBatch, copy_json, type_id

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing.fake.commercetools import FakeCommercetools

MESSAGES = "messages"

#: resource -> the name its Message types start with
_PREFIX = {
    "products": "Product",
    "categories": "Category",
    "customers": "Customer",
    "orders": "Order",
    "inventory": "InventoryEntry",
    "stores": "Store",
    "standalone-prices": "StandalonePrice",
    "discount-codes": "DiscountCode",
    "cart-discounts": "CartDiscount",
    "product-selections": "ProductSelection",
    "business-units": "BusinessUnit",
    "associate-roles": "AssociateRole",
    "quotes": "Quote",
    "quote-requests": "QuoteRequest",
    "staged-quotes": "StagedQuote",
    "payments": "Payment",
    "reviews": "Review",
}
#: the payload field of a ``<Resource>Created`` Message
_CREATED_FIELD = {"products": "productProjection", "inventory": "inventoryEntry"}
#: resources without a deletion Message in the API (spec: no <Resource>DeletedMessage.raml)
_NO_DELETION = frozenset({"categories", "payments", "reviews"})
_IDENTIFIERS = ("key", "externalId", "orderNumber", "customerNumber", "sku", "slug")

#: resource -> [(field, Message type, payload(new value, old value))] for updates that change the field
_UPDATE_MESSAGES: dict[str, list[tuple[str, str, Callable[[Any, Any], dict[str, Any]]]]] = {
    "products": [("slug", "ProductSlugChanged", lambda new, old: {"slug": new, "oldSlug": old})],
    "categories": [("slug", "CategorySlugChanged", lambda new, old: {"slug": new, "oldSlug": old})],
    "customers": [
        ("email", "CustomerEmailChanged", lambda new, old: {"email": new}),
        ("firstName", "CustomerFirstNameSet", lambda new, old: {"firstName": new}),
        ("lastName", "CustomerLastNameSet", lambda new, old: {"lastName": new}),
    ],
    "orders": [
        ("orderState", "OrderStateChanged", lambda new, old: {"orderState": new, "oldOrderState": old}),
        (
            "paymentState",
            "OrderPaymentStateChanged",
            lambda new, old: {"paymentState": new, "oldPaymentState": old},
        ),
        (
            "shipmentState",
            "OrderShipmentStateChanged",
            lambda new, old: {"shipmentState": new, "oldShipmentState": old},
        ),
    ],
    "inventory": [
        (
            "quantityOnStock",
            "InventoryEntryQuantitySet",
            lambda new, old: {"oldQuantityOnStock": old, "newQuantityOnStock": new},
        )
    ],
}


class FakeMessages:
    """Produces Messages from the writes of ``fake`` and serves the project's Messages settings.

    :param enabled: whether the project stores Messages (``messages.enabled``).
    :param delete_days: ``messages.deleteDaysAfterCreation`` (informational; nothing expires here).
    """

    def __init__(self, fake: FakeCommercetools, *, enabled: bool = True, delete_days: int = 15) -> None:
        self.fake = fake
        self.enabled = enabled
        self.delete_days = delete_days
        self._lock = threading.RLock()
        self._sequence: dict[tuple[str, str], int] = {}
        self._held: list[dict[str, Any]] | None = None
        self._hold_left: int | None = None
        self._clock: Callable[[], str] = now_iso
        self._new_id = UuidBatch().next
        self.project_version = 1
        fake.on_write(self._on_write)
        fake.mount(self._handle)

    # -------------------------------------------------------------------------------- control
    def hold(self, count: int | None = None) -> None:
        """Keep the next ``count`` Messages (None: all from now on) invisible until :meth:`release`.

        They are stamped with their ``createdAt`` when produced, and stored only when released.
        """
        with self._lock:
            if self._held is None:
                self._held = []
            self._hold_left = count

    def release(self) -> list[dict[str, Any]]:
        """Make the held Messages visible (with the ``createdAt`` they were produced with); returns them."""
        with self.fake.lock, self._lock:
            held, self._held = self._held or [], None
            coll = self.fake.store.collection(MESSAGES)
            for message in held:
                coll.insert(message)
            return [copy_json(m) for m in held]

    def freeze_clock(self, created_at: str | None) -> None:
        """Stamp every Message with ``created_at`` (None: the real clock again)."""
        with self._lock:
            self._clock = now_iso if created_at is None else (lambda: created_at)

    def all(self) -> list[dict[str, Any]]:
        """Every visible Message, in the order they were produced."""
        return self.fake.entities(MESSAGES)

    # ------------------------------------------------------------------------------ producing
    def _on_write(self, change: str, resource: str, entity: dict[str, Any], previous: dict[str, Any] | None) -> None:
        if not self.enabled or resource == MESSAGES:
            return
        prefix = _PREFIX.get(resource)
        if prefix is None:
            return
        produced: list[tuple[str, dict[str, Any]]] = []
        if change == "created":
            field = _CREATED_FIELD.get(resource, prefix[:1].lower() + prefix[1:])
            # ProductCreatedMessage.raml: ``productProjection``, "the staged Product Projection"
            created = projection(entity, staged=True) if resource == "products" else copy_json(entity)
            produced.append((f"{prefix}Created", {field: created}))
        elif change == "deleted":
            if resource not in _NO_DELETION:
                produced.append((f"{prefix}Deleted", _deleted_payload(resource, entity)))
        elif previous is not None:
            fields_of = _staged_data if resource == "products" else _same
            now_fields, old_fields = fields_of(entity), fields_of(previous)
            for field, message_type, build in _UPDATE_MESSAGES.get(resource, []):
                new, old = now_fields.get(field), old_fields.get(field)
                if new != old:
                    produced.append((message_type, build(copy_json(new), copy_json(old))))
        for message_type, payload in produced:
            self._store(resource, entity, message_type, payload)

    def _store(self, resource: str, entity: dict[str, Any], message_type: str, payload: dict[str, Any]) -> None:
        with self._lock:
            key = (resource, entity["id"])
            sequence = self._sequence.get(key, 0) + 1
            self._sequence[key] = sequence
            now = self._clock()
            message: dict[str, Any] = {
                "id": self._new_id(),
                "version": 1,
                "createdAt": now,
                "lastModifiedAt": now,
                "sequenceNumber": sequence,
                "resource": {"typeId": type_id(resource), "id": entity["id"]},
                "resourceVersion": entity["version"],
                "type": message_type,
            }
            identifiers: dict[str, Any] = {k: entity[k] for k in _IDENTIFIERS if isinstance(entity.get(k), str)}
            if resource == "products":
                # UserProvidedIdentifiers.raml ``slug``: "the slug in the ``current`` Product Projection"
                master = entity.get("masterData")
                current = master.get("current") if isinstance(master, Mapping) else None
                slug = current.get("slug") if isinstance(current, Mapping) else None
                if isinstance(slug, Mapping):
                    identifiers["slug"] = copy_json(slug)
            if identifiers:
                message["resourceUserProvidedIdentifiers"] = identifiers
            message.update(payload)
            if self._held is not None and (self._hold_left is None or self._hold_left > 0):
                self._held.append(message)
                if self._hold_left is not None:
                    self._hold_left -= 1
                return
        with self.fake.lock:
            self.fake.store.collection(MESSAGES).insert(message)

    # ------------------------------------------------------------------------------- the API
    def _handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Response | None:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        fake = self.fake
        if not parts or parts[0] != fake.project_key:
            return None
        if len(parts) == 1:
            scopes = fake.auth.token_scopes(headers)
            fake.auth.check_scope(scopes, method, None, None)
            if method in ("GET", "HEAD"):
                return Response(200, dumps(self._project()))
            if method == "POST":
                if f"manage_project:{fake.project_key}" not in scopes:
                    raise insufficient_scope(
                        "Insufficient scope. One of the following scopes is missing: manage_project"
                    )
                return Response(200, dumps(self._update_project(body)))
            raise method_not_allowed(method, path)
        if parts[1] == MESSAGES and method not in ("GET", "HEAD"):
            fake.auth.check_scope(fake.auth.token_scopes(headers), "GET", MESSAGES, None)
            raise method_not_allowed(method, path)
        return None

    def _project(self) -> dict[str, Any]:
        project = self.fake.project_api.project()
        project["version"] = self.project_version
        project["messages"] = {"enabled": self.enabled, "deleteDaysAfterCreation": self.delete_days}
        return project

    def _update_project(self, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise invalid_json(f"Malformed JSON: {exc}.") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("actions"), list):
            raise invalid_json("actions: Missing required value.")
        with self._lock:
            if data.get("version") != self.project_version:
                raise conflict(self.fake.project_key, int(data.get("version") or 0), self.project_version)
            for index, action in enumerate(data["actions"]):
                config = action.get("messagesConfiguration") if isinstance(action, Mapping) else None
                if not isinstance(action, Mapping) or action.get("action") != "changeMessagesConfiguration":
                    raise bad_request(
                        "InvalidInput", f"actions[{index}]: this fake models only changeMessagesConfiguration."
                    )
                if not isinstance(config, Mapping) or not isinstance(config.get("enabled"), bool):
                    raise invalid_json(f"actions[{index}].messagesConfiguration.enabled: Missing required value.")
                self.enabled = config["enabled"]
                if isinstance(config.get("deleteDaysAfterCreation"), int):
                    self.delete_days = config["deleteDaysAfterCreation"]
            self.project_version += 1
            return self._project()


def _same(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    return entity


def _staged_data(product: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Product's staged data (``changeSlug`` writes ``staged``: ProductSlugChanged compares it)."""
    master = product.get("masterData")
    staged = master.get("staged") if isinstance(master, Mapping) else None
    return staged if isinstance(staged, Mapping) else {}


def _deleted_payload(resource: str, entity: dict[str, Any]) -> dict[str, Any]:
    if resource == "products":
        # ProductDeletedMessage.raml: ``currentProjection``, the current Product Projection
        return {"removedImageUrls": [], "currentProjection": projection(entity, staged=False)}
    if resource == "orders":
        return {"order": copy_json(entity)}
    if resource == "customers":
        return {"email": entity.get("email")}
    if resource == "inventory":
        payload: dict[str, Any] = {"sku": entity.get("sku")}
        if entity.get("supplyChannel") is not None:
            payload["supplyChannel"] = copy_json(entity["supplyChannel"])
        return payload
    return {}
