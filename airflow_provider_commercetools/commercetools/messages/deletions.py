"""Deletions of a window, read from the Messages: what a ``lastModifiedAt`` export cannot see.

A deleted entity is simply gone from its collection, so an incremental export of the entities changed
in a window never sees it. commercetools records most deletions as Messages (``ProductDeleted``,
``OrderDeleted``, ``CustomerDeleted``...; each in the spec at
``api-specs/api/types/message/<Type>Message.raml`` of commercetools/commercetools-api-reference), so
the deletions of a window are the deletion Messages with ``createdAt`` in it. Needs the
``view_messages`` scope and Messages enabled in the project. No Airflow here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.checks import optional_text, short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import check_location, write_json_lines_then_move
from airflow_provider_commercetools.commercetools.messages.reader import MAX_PAGE_SIZE, Request, iter_messages
from airflow_provider_commercetools.commercetools.reading import format_timestamp, quote_string, to_utc_datetime

#: The Message types that say an entity was deleted, per resource (each checked in the spec,
#: ``api-specs/api/types/message/<Type>Message.raml``). Categories, payments, customer groups and
#: shopping lists have no deletion Message in the API: their deletions cannot be read from /messages.
DELETION_MESSAGE_TYPES: dict[str, str] = {
    "products": "ProductDeleted",
    "orders": "OrderDeleted",
    "customers": "CustomerDeleted",
    "inventory": "InventoryEntryDeleted",
    "standalone-prices": "StandalonePriceDeleted",
    "stores": "StoreDeleted",
    "discount-codes": "DiscountCodeDeleted",
    "cart-discounts": "CartDiscountDeleted",
    "product-selections": "ProductSelectionDeleted",
    "product-tailoring": "ProductTailoringDeleted",
    "business-units": "BusinessUnitDeleted",
    "associate-roles": "AssociateRoleDeleted",
    "quotes": "QuoteDeleted",
    "quote-requests": "QuoteRequestDeleted",
    "staged-quotes": "StagedQuoteDeleted",
}
_NO_DELETION_MESSAGE = ("categories", "payments", "customer-groups", "shopping-lists")


def deletion_message_type(entity: str) -> str:
    """The Message type of a deletion of ``entity`` (``products`` -> ``ProductDeleted``)."""
    if entity in DELETION_MESSAGE_TYPES:
        return DELETION_MESSAGE_TYPES[entity]
    if entity in _NO_DELETION_MESSAGE:
        raise ConfigurationError(
            "entity",
            f"commercetools produces no Message when {entity} are deleted, so their deletions cannot be "
            "read from /messages.",
            "Compare a full export of the ids instead (CommercetoolsSubscriberOperator with query "
            "{'expand': []} and the id alone), or use a Subscription with change notifications "
            "(ResourceDeleted).",
        )
    raise ConfigurationError(
        "entity",
        f"{short(entity)} has no deletion Message type.",
        f"One of: {', '.join(sorted(DELETION_MESSAGE_TYPES))}.",
    )


def deletion_record(message: Mapping[str, Any]) -> dict[str, Any]:
    """What a warehouse needs of a deletion: the entity's id, type, last version, when, identifiers."""
    resource = message.get("resource") or {}
    record: dict[str, Any] = {
        "id": resource.get("id"),
        "typeId": resource.get("typeId"),
        "version": message.get("resourceVersion"),
        "deletedAt": message.get("createdAt"),
        "messageId": message.get("id"),
        "type": message.get("type"),
    }
    identifiers = message.get("resourceUserProvidedIdentifiers")
    if isinstance(identifiers, Mapping):
        record.update({k: v for k, v in identifiers.items() if k not in record})
    return record


def deletions_where(entity: str, since: Any, until: Any) -> list[str]:
    """The predicates of the deletions of ``entity`` with ``createdAt`` in ``[since, until)``."""
    message_type = deletion_message_type(entity)
    lower = to_utc_datetime("modified_since", since)
    upper = to_utc_datetime("modified_until", until)
    if lower > upper:
        raise ConfigurationError("modified_since / modified_until", "the window starts after it ends.", "Swap them.")
    return [
        f"type = {quote_string(message_type)}",
        f"createdAt >= {quote_string(format_timestamp(lower))}",
        f"createdAt < {quote_string(format_timestamp(upper))}",
    ]


def iter_deletions(
    request: Request, entity: str, since: Any, until: Any, page_size: int = MAX_PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """The deletions of ``entity`` in the window ``[since, until)``, as :func:`deletion_record` dicts.

    Start inclusive, end exclusive (like the modified window of the export), read in ``(createdAt, id)``
    keyset order: consecutive windows give each deletion exactly once.
    """
    for message in iter_messages(request, deletions_where(entity, since, until), page_size):
        yield deletion_record(message)


def check_deletions(entity: Any, since: Any, until: Any, output: Any) -> tuple[str, Any, Any, str]:
    """The entity (one with a deletion Message type), both bounds of the window (a template's empty or
    ``"None"`` bound is missing) and the output location, checked in that order."""
    name = optional_text("entity", entity)
    if name is None:
        raise ConfigurationError("entity", "is missing.", "E.g. 'products'.")
    deletion_message_type(name)
    location = check_location("output_path", output)
    since, until = (None if bound in (None, "", "None") else bound for bound in (since, until))
    if since is None or until is None:
        raise ConfigurationError(
            "modified_since / modified_until", "both bounds are needed.", "E.g. the data interval."
        )
    return name, since, until, location


def write_deletions(request: Request, entity: str, since: Any, until: Any, output: str) -> int:
    """Write the deletions of ``entity`` in ``[since, until)`` to ``output`` as JSON Lines; how many.

    Written beside ``output`` and moved there when complete: a failed or killed export leaves an earlier
    file at ``output`` as it was (see
    :func:`~airflow_provider_commercetools.commercetools.files.write_json_lines_then_move`).
    """
    with write_json_lines_then_move("output_path", output) as writer:
        for record in iter_deletions(request, entity, since, until):
            writer.write(record)
        return writer.count
