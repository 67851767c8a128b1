"""One page of a collection: what a paging strategy yields, how it is fetched and decoded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from airflow_provider_commercetools.commercetools.errors import UnexpectedResponseError
from airflow_provider_commercetools.commercetools.reading.predicates import describe


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

    def progress(self, what: str) -> str:
        """One line for the log: which page of ``what`` was read, how, and how many entities so far."""
        where = "" if self.range_index is None else f", id range {self.range_index + 1}"
        return (
            f"{what}: page {self.number} read ({self.strategy} paging{where}), {self.entities_so_far} entities "
            f"so far, {self.entities_per_second:.0f} entities/s"
        )

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


_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()


class _Id(msgspec.Struct, rename={"last_modified_at": "lastModifiedAt"}):
    """An entity reduced to its id and ``lastModifiedAt`` (the modified order's keyset continues after
    both): decoding skips (and checks) every other field."""

    id: Any = None
    last_modified_at: Any = None


_ID = msgspec.json.Decoder(_Id)


def decode_page(data: bytes | str) -> tuple[Any, list[str] | None]:
    """Parse a page's JSON like ``json.loads``, keeping the text of each element of ``results``.

    Writing those texts saves encoding every entity again (the largest cost of an export). A text
    is one line: JSON strings cannot hold raw line breaks, so any in the text are whitespace.
    """
    return _decode(data, keep_values=True)


def decode_page_ids(data: bytes | str) -> tuple[Any, list[str] | None]:
    """:func:`decode_page`, with each entity of ``results`` reduced to ``{"id": ...}`` (and its
    ``lastModifiedAt``, when it has one).

    The other fields are checked (malformed JSON is refused) but not turned into Python objects.
    """
    return _decode(data, keep_values=False)


def _decode(data: bytes | str, *, keep_values: bool) -> tuple[Any, list[str] | None]:
    """msgspec over the page: the top-level values, and each result's bytes as received (its text)."""
    try:
        try:
            top = _OBJECT.decode(data)
        except msgspec.ValidationError:  # valid or not, it is not an object: no results to keep
            return _ANY.decode(data), None
        body: dict[str, Any] = {}
        texts: list[str] | None = None
        for key, raw in top.items():
            if key != "results":
                body[key] = _ANY.decode(raw)
                continue
            try:
                elements = _ARRAY.decode(raw)
            except msgspec.ValidationError:
                body[key], texts = _ANY.decode(raw), None
                continue
            texts = [_line(element) for element in elements]
            body[key] = _ANY.decode(raw) if keep_values else [_stub(element) for element in elements]
        return body, texts
    except msgspec.DecodeError as error:  # malformed JSON
        raise ValueError(f"the JSON document is malformed: {error}") from None


def _line(raw: msgspec.Raw) -> str:
    text = str(raw, "utf-8")  # type: ignore[call-overload]  # Raw is a buffer of UTF-8
    if "\n" in text or "\r" in text:
        return text.replace("\n", " ").replace("\r", " ")
    return text


def _stub(raw: msgspec.Raw) -> Any:
    try:
        entity = _ID.decode(raw)
    except msgspec.ValidationError:  # not an object: kept whole, for the caller's error
        return _ANY.decode(raw)
    if entity.last_modified_at is None:
        return {"id": entity.id}
    return {"id": entity.id, "lastModifiedAt": entity.last_modified_at}
