"""One page of a collection: what a paging strategy yields, how it is fetched and decoded."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from airflow_provider_commercetools.commercetools.errors import UnexpectedResponseError
from airflow_provider_commercetools.commercetools.predicates import describe


class SupportsRequest(Protocol):
    """What paging needs of a client: :class:`~.client.CommercetoolsClient` has it."""

    def request(self, method: str, path: str, *, query: Any = None, decode: Any = None) -> Any: ...


@dataclass(frozen=True)
class Page:
    """One page of a collection, as read.

    :param results: the entities of the page.
    :param number: 1 for the first page (of its id range, in a concurrent read).
    :param strategy: ``"keyset"`` or ``"offset"``.
    :param limit: the ``limit`` that was requested (a shorter page is the last one).
    :param offset: the ``offset`` that was requested (0 for keyset pages).
    :param entities_before: how many entities the previous pages held.
    :param elapsed: seconds from the first request to the arrival of this page.
    :param texts: with ``keep_text``, each entity's JSON text as received (one line each), so that
        it can be written out without encoding it again.
    :param range_index: in a concurrent read, the id range the page belongs to (else None).
    """

    results: list[dict[str, Any]]
    number: int
    strategy: str
    limit: int
    offset: int
    entities_before: int
    elapsed: float
    texts: list[str] | None = None
    range_index: int | None = None

    @property
    def count(self) -> int:
        return len(self.results)

    @property
    def entities_so_far(self) -> int:
        """Entities in this page and all the pages before it."""
        return self.entities_before + len(self.results)

    @property
    def entities_per_second(self) -> float:
        return self.entities_so_far / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def last_id(self) -> str | None:
        return str(self.results[-1].get("id")) if self.results else None


def fetch_page(
    client: SupportsRequest,
    path: str,
    query: Mapping[str, Any],
    *,
    keep_text: bool = False,
    keep_results: bool = True,
) -> tuple[dict[str, Any], list[str] | None]:
    """One page: its body, and with ``keep_text`` the JSON text of each result.

    With ``keep_text`` and not ``keep_results``, each result is reduced to ``{"id": ...}`` as soon as
    it is decoded: a writer of the texts needs nothing else, and a page then costs the memory of its
    text, not of its decoded entities (what keeps a concurrent export's memory small).

    :raises UnexpectedResponseError: the answer is not a page whose results are entities (objects).
    """
    texts = None
    if keep_text:
        decode = decode_page if keep_results else decode_page_ids
        body, texts = client.request("GET", path, query=query, decode=decode)
    else:
        body = client.request("GET", path, query=query)
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UnexpectedResponseError(
            f"the answer is not a page of results (got {describe(body)})",
            method="GET",
            path=path,
            hint="This path does not return a paged list: read it without pagination",
        )
    odd = [result for result in body["results"] if not isinstance(result, dict)][:1]
    if odd:
        raise UnexpectedResponseError(
            f"the page's results are not entities: an element is {describe(odd[0])}, not a JSON object",
            method="GET",
            path=path,
            hint="This path does not return a paged list of entities: read it without pagination",
        )
    return body, texts


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def decode_page(text: str) -> tuple[Any, list[str] | None]:
    """Parse a page's JSON like ``json.loads``, keeping the text of each element of ``results``.

    Writing those texts saves encoding every entity again (the largest cost of an export). A text
    is one line: JSON strings cannot hold raw line breaks, so any in the text are whitespace.
    """
    return _decode(text, keep_values=True)


def decode_page_ids(text: str) -> tuple[Any, list[str] | None]:
    """:func:`decode_page`, with each entity of ``results`` reduced to ``{"id": ...}`` once decoded."""
    return _decode(text, keep_values=False)


def _stub(value: Any) -> Any:
    return {"id": value.get("id")} if isinstance(value, dict) else value


def _decode(text: str, *, keep_values: bool) -> tuple[Any, list[str] | None]:

    def skip(index: int) -> int:
        return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]

    try:
        index = skip(0)
        if text[index] != "{":
            return json.loads(text), None
        body: dict[str, Any] = {}
        texts: list[str] | None = None
        index = skip(index + 1)
        while text[index] != "}":
            key, index = _DECODER.raw_decode(text, index)
            if not isinstance(key, str):
                raise ValueError(f"an object key must be a string (at {index})")
            index = skip(index)
            if text[index] != ":":
                raise ValueError(f"':' expected at {index}")
            index = skip(index + 1)
            if key == "results" and text[index] == "[":
                results: list[Any] = []
                texts = []
                index = skip(index + 1)
                while text[index] != "]":
                    start = index
                    value, index = _DECODER.raw_decode(text, index)
                    results.append(value if keep_values else _stub(value))
                    texts.append(text[start:index].replace("\n", " ").replace("\r", " "))
                    index = skip(index)
                    if text[index] == ",":
                        index = skip(index + 1)
                        if text[index] == "]":
                            raise ValueError(f"a value expected at {index}")
                    elif text[index] != "]":
                        raise ValueError(f"',' or ']' expected at {index}")
                body[key] = results
                index += 1
            else:
                body[key], index = _DECODER.raw_decode(text, index)
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
                if text[index] == "}":
                    raise ValueError(f"a key expected at {index}")
            elif text[index] != "}":
                raise ValueError(f"',' or '}}' expected at {index}")
        if skip(index + 1) != len(text):
            raise ValueError(f"extra data after the JSON document at {index + 1}")
        return body, texts
    except IndexError:
        raise ValueError("the JSON document ends too early") from None
