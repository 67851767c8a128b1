"""Secrets kept out of results: the fields commercetools treats as secret, and any the user lists, are redacted
in every record (its item copy, its answer) before it reaches a file, XCom or a log line; and their values are
cut out of the texts of the record (error messages, notes, the Import API's errors) that may echo them.

The secret fields, from the API reference (commercetools/commercetools-api-reference, ``api-specs/api/types``):
a Customer's ``password`` (``customer/CustomerDraft.raml``: "Provide the Customer's password in plain
text"; also ``MyCustomerDraft``, ``CustomerSignin`` and the Import API's ``CustomerImport``),
``currentPassword`` and ``newPassword`` (``CustomerChangePassword``, ``CustomerResetPassword``),
``tokenValue`` (``CustomerResetPassword``, ``CustomerEmailVerify``) and the ``value`` of a
``CustomerToken`` (``customer/CustomerToken.raml``: the password-reset and email-verification tokens);
the credentials of Subscription and Extension destinations (``accessKey``, ``accessSecret``:
``subscription/SqsDestination.raml``, ``extension/AWSLambdaDestination.raml``; ``apiSecret``:
``ConfluentCloudDestination``; ``connectionString``: ``AzureServiceBusDestination``; ``headerValue``:
``extension/AuthorizationHeaderAuthentication.raml``; the ``key`` of ``AzureFunctionsAuthentication``,
all "partially hidden on retrieval for security reasons"); an API client's ``secret``
(``api-client/ApiClient.raml``: "only shown once").

A record's item is what a re-run sends again: a redacted item given back as an item (a failures file)
is refused before any request, naming the field (:meth:`Redactor.check_item`), never sent with the
placeholder as its value.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.results.records import ItemResult
from airflow_provider_commercetools.commercetools.transport.safety import REDACTED

#: Fields whose values are secret wherever they appear (see the module docstring for the sources).
SECRET_FIELDS = frozenset(
    {
        "password",
        "currentPassword",
        "newPassword",
        "tokenValue",
        "accessKey",
        "accessSecret",
        "apiSecret",
        "connectionString",
        "headerValue",
        "secret",
    }
)
#: Values shorter than this are replaced in a record's fields but not cut out of its texts (a 1-3
#: character value would cut every such word out of a message).
MIN_SCRUBBED_LENGTH = 4


def _secret_in(name: str, parent: Mapping[str, Any], fields: frozenset[str]) -> bool:
    """Whether ``parent[name]`` is secret: a listed field, a CustomerToken's ``value``, an Azure Functions key."""
    if name in fields:
        return True
    if name == "value":
        return "customerId" in parent and "expiresAt" in parent  # a CustomerToken
    return name == "key" and parent.get("type") == "AzureFunctions"


def check_redact_fields(value: Any) -> tuple[str, ...]:
    """``redact_fields``: field names (a list of strings, or one string), checked before any request."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple | set | frozenset) or not all(
        isinstance(n, str) and n.strip() for n in names
    ):
        raise ConfigurationError(
            "redact_fields",
            f"{value!r} is not a list of field names.",
            "E.g. redact_fields=['ssn', 'dateOfBirth']: fields of the items, at any depth, kept out of the results.",
        )
    return tuple(n.strip() for n in names)


class Redactor:
    """Redacts one writer's records: :data:`SECRET_FIELDS` plus ``extra_fields`` (the user's ``redact_fields``)."""

    def __init__(self, extra_fields: Iterable[str] = ()) -> None:
        self.fields = SECRET_FIELDS | frozenset(extra_fields)

    def redact(self, value: Any, found: set[str] | None = None) -> Any:
        """A copy of ``value`` with every secret field's value replaced; the secret strings go into ``found``."""
        if isinstance(value, Mapping):
            copy: dict[Any, Any] = {}
            for name, inner in value.items():
                if isinstance(name, str) and _secret_in(name, value, self.fields) and inner not in (None, REDACTED):
                    if found is not None:
                        _strings(inner, found)
                    copy[name] = REDACTED
                else:
                    copy[name] = self.redact(inner, found)
            return copy
        if isinstance(value, list | tuple):
            return [self.redact(inner, found) for inner in value]
        return value

    def secrets(self, value: Any) -> set[str]:
        """The secret strings in ``value`` (an item), to cut out of texts that may echo them."""
        found: set[str] = set()
        self.redact(value, found)
        return found

    def result(self, result: ItemResult, also: Iterable[str] = ()) -> ItemResult:
        """``result`` with its item and answer redacted and its texts without the secrets (of its item, and
        ``also``: e.g. the other items of the same Import API request); the result itself if nothing is secret."""
        found: set[str] = set(also)
        item = self.redact(result.item, found)
        response = self.redact(result.response, found)
        if not found and item == result.item and response == result.response:
            return result
        return dataclasses.replace(
            result,
            item=scrub(item, found),  # a secret copied into another field (a note) goes too
            response=scrub(response, found),
            error=scrub(result.error, found),
            note=scrub(result.note, found),
            errors=scrub(result.errors, found),
            unresolved_references=scrub(result.unresolved_references, found),
        )

    def check_item(self, label: str, item: Any) -> None:
        """Refuse an item of an earlier run's record whose secret fields were redacted: sending it would set
        the placeholder as the value."""
        path = _redacted_path(item, self.fields, label)
        if path is not None:
            raise ConfigurationError(
                path,
                f"was redacted in the earlier run's record ({REDACTED!r}), so this item cannot be sent again from it.",
                "Send it again from its source (the original items, with the secret), not from the results or "
                "failures file.",
            )


def scrub(value: Any, secrets: set[str]) -> Any:
    """``value`` (a text, or JSON-like data) with every occurrence of the secrets replaced."""
    wanted = [s for s in secrets if len(s) >= MIN_SCRUBBED_LENGTH]
    if not wanted:
        return value
    forms = sorted({form for s in wanted for form in (s, json.dumps(s)[1:-1])}, key=len, reverse=True)
    return _scrub(value, forms)


def _scrub(value: Any, forms: list[str]) -> Any:
    if isinstance(value, str):
        for form in forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {name: _scrub(inner, forms) for name, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(inner, forms) for inner in value]
    return value


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, Mapping):
        for inner in value.values():
            _strings(inner, found)
    elif isinstance(value, list | tuple):
        for inner in value:
            _strings(inner, found)
    elif value is not None and not isinstance(value, bool):
        found.add(str(value))


def _redacted_path(value: Any, fields: frozenset[str], path: str) -> str | None:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            here = f"{path}.{name}" if path else str(name)
            if inner == REDACTED and isinstance(name, str) and _secret_in(name, value, fields):
                return here
            found = _redacted_path(inner, fields, here)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for number, inner in enumerate(value):
            found = _redacted_path(inner, fields, f"{path}[{number}]")
            if found is not None:
                return found
    return None
