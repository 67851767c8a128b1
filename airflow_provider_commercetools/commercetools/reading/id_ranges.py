"""Id ranges: disjoint parts of a collection's id space, for partitions and concurrent reads.

commercetools ids are random UUIDs (lowercase hex), so ranges of equal width hold about as many
entities each. Boundaries are hex strings; a range is ``lower <= id < upper`` in string order, and a
None bound is open, so a set of ranges built here holds every id (whatever its alphabet) exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.reading.engine import check_keyset_page
from airflow_provider_commercetools.commercetools.reading.predicates import quote_string

#: Boundaries are prefixes of this many hex digits (the first group of a UUID).
_PARTITION_DIGITS = 8
_SPACE = 16**_PARTITION_DIGITS
_HEX = frozenset("0123456789abcdef")
MAX_PARTITIONS = 65_536


@dataclass(frozen=True)
class IdRange:
    """Ids ``lower <= id < upper``; a None bound is open. Part ``index`` of ``count``."""

    index: int
    count: int
    lower: str | None
    upper: str | None

    def predicate(self) -> str | None:
        """The ``where`` predicate of the range (None for the whole collection)."""
        return range_predicate(self.lower, self.upper)

    def contains(self, entity_id: str) -> bool:
        return (self.lower is None or entity_id >= self.lower) and (self.upper is None or entity_id < self.upper)


def range_predicate(lower: str | None, upper: str | None, *, after: str | None = None) -> str | None:
    """``id >= lower`` (or ``id > after``, which replaces it) ``and id < upper``; None when open."""
    parts = []
    if after is not None:
        parts.append(f"id > {quote_string(after)}")
    elif lower is not None:
        parts.append(f"id >= {quote_string(lower)}")
    if upper is not None:
        parts.append(f"id < {quote_string(upper)}")
    return " and ".join(parts) or None


def id_partitions(count: int) -> list[IdRange]:
    """Split the id space into ``count`` disjoint ranges of about equal size.

    The boundaries are hex prefixes; the first range is open below and the last open above.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PARTITIONS:
        raise ConfigurationError(
            "partition count", f"{count!r} is not between 1 and {MAX_PARTITIONS:,}.", "E.g. 8 for 8 mapped tasks."
        )
    bounds: list[str | None] = [None]
    for i in range(1, count):
        bounds.append(f"{i * _SPACE // count:0{_PARTITION_DIGITS}x}".rstrip("0") or "0")
    bounds.append(None)
    return [IdRange(i, count, bounds[i], bounds[i + 1]) for i in range(count)]


def position(bound: str | None, *, upper: bool = False) -> int | None:
    """Where a bound lies in the id space (0 .. 16**8), or None when it is not a hex id prefix."""
    if bound is None:
        return _SPACE if upper else 0
    head = bound[:_PARTITION_DIGITS]
    if not head or not set(head) <= _HEX:
        return None
    return int(head.ljust(_PARTITION_DIGITS, "0"), 16)


def split_point(start: str | None, upper: str | None, *, ahead: int = 0) -> str | None:
    """A boundary strictly between ``start`` and ``upper`` (string order) near the middle, or None.

    ``start`` is where reading would go on (a lower bound or the last id read); ``ahead`` positions
    after it are left out of the halving (what a request in flight will probably cover). None when
    the range is too narrow to split or its bounds are not hex ids (then it is simply read to its end).
    """
    low, high = position(start), position(upper, upper=True)
    if low is None or high is None:
        return None
    if low + ahead < high:
        low += ahead
    middle = (low + high) // 2
    if middle <= low:
        return None
    point = f"{middle:0{_PARTITION_DIGITS}x}"
    if (start is not None and not point > start) or (upper is not None and not point < upper):
        return None
    return point


def split_range(lower: str | None, upper: str | None, parts: int) -> list[tuple[str | None, str | None]]:
    """``[lower, upper)`` as up to ``parts`` adjacent ranges of about equal width (fewer if narrow)."""
    low, high = position(lower), position(upper, upper=True)
    if parts <= 1 or low is None or high is None:
        return [(lower, upper)]
    points: list[str] = []
    for i in range(1, parts):
        point = f"{low + (high - low) * i // parts:0{_PARTITION_DIGITS}x}"
        previous = points[-1] if points else lower
        if (previous is None or point > previous) and (upper is None or point < upper):
            points.append(point)
    bounds: list[str | None] = [lower, *points, upper]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


class IdSpace:
    """The id space as a concurrent read splits it: bounds are hex prefixes, a range continues after an id.

    :class:`~.concurrent.ConcurrentRead` reads ranges of a *key space*: this one (``sort=id asc``) or
    :class:`~.modified_order.ModifiedSpace` (``lastModifiedAt``, then ``id``). Both have these methods.
    """

    name = "id"
    keys: tuple[str, ...] = ("id",)

    def key(self, result: Any) -> str:
        """Where a range stands after ``result`` (the last result read)."""
        return str(result["id"])

    def split(self, lower: str | None, upper: str | None, parts: int) -> list[tuple[str | None, str | None]]:
        return split_range(lower, upper, parts)

    def position(self, bound: str | None, *, upper: bool = False) -> int | None:
        return position(bound, upper=upper)

    def after_position(self, after: Any) -> int | None:
        return position(after)

    def split_point(self, lower: str | None, after: Any, upper: str | None, *, ahead: int = 0) -> str | None:
        return split_point(after if after is not None else lower, upper, ahead=ahead)

    def predicate(self, lower: str | None, upper: str | None, after: Any = None) -> str | None:
        return range_predicate(lower, upper, after=after)

    def kept(self, results: list[Any], upper: str | None) -> int:
        """How many of the (sorted) results lie below ``upper``."""
        if upper is None:
            return len(results)
        return next((i for i, r in enumerate(results) if str(r["id"]) >= upper), len(results))

    def check_page(self, results: list[Any], after: Any, number: int, path: str) -> None:
        """Fail unless the page is sorted by id and continues after ``after``."""
        check_keyset_page(results, after, "asc", number, path)

    def describe_after(self, after: Any) -> str:
        return f"id {after!r}"


ID_SPACE = IdSpace()
