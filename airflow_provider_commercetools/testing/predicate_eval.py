"""Evaluating parsed commercetools query predicates (see :mod:`.predicates`): :func:`bind` turns a
tree plus the request's input variables into a fast ``Callable[[dict], bool]``. Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from airflow_provider_commercetools.testing.predicates import (
    And,
    Compare,
    Contains,
    Defined,
    Empty,
    In,
    Literal,
    Nested,
    Node,
    Not,
    Operand,
    Or,
    PredicateError,
)

# ---------------------------------------------------------------------------------------- evaluator

_MISSING: Any = object()
Predicate = Callable[[Any], bool]


def _values_at(obj: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """All values reachable by ``path``; arrays on the way (and at the end) fan out."""
    if not path:
        if isinstance(obj, list):
            yield from obj
        else:
            yield obj
        return
    if isinstance(obj, dict):
        child = obj.get(path[0], _MISSING)
        if child is not _MISSING and child is not None:
            yield from _values_at(child, path[1:])
    elif isinstance(obj, list):
        for item in obj:
            yield from _values_at(item, path)


def _raw_at(obj: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` without fanning out arrays at the end (``_MISSING`` if absent)."""
    for part in path:
        if isinstance(obj, dict):
            obj = obj.get(part, _MISSING)
            if obj is _MISSING or obj is None:
                return _MISSING
        else:
            return _MISSING
    return obj


def _is_number(v: Any) -> bool:
    return (type(v) is int) or (type(v) is float)


def _coerce(comparand: Any, actual: Any) -> Any:
    """Input variables arrive as strings: coerce them to the type of the value they are compared with."""
    if isinstance(comparand, str):
        if type(actual) is bool:
            low = comparand.lower()
            if low in ("true", "false"):
                return low == "true"
            return _MISSING
        if _is_number(actual):
            try:
                return float(comparand) if any(c in comparand for c in ".eE") else int(comparand)
            except ValueError:
                return _MISSING
    return comparand


def _compare(actual: Any, op: str, comparand: Any) -> bool:
    ta, tc = type(actual), type(comparand)
    if ta is bool or tc is bool:
        if ta is not tc:
            return False
        if op == "=":
            return bool(actual == comparand)
        if op == "!=":
            return bool(actual != comparand)
        return False
    if (ta is str and tc is str) or (_is_number(actual) and _is_number(comparand)):
        pass
    else:
        return False
    if op == "=":
        return bool(actual == comparand)
    if op == "!=":
        return bool(actual != comparand)
    if op == ">":
        return bool(actual > comparand)
    if op == ">=":
        return bool(actual >= comparand)
    if op == "<":
        return bool(actual < comparand)
    return bool(actual <= comparand)


class _Bound:
    """An operand bound to the request's input variables: a tuple of candidate comparands."""

    __slots__ = ("coerce", "values")

    def __init__(self, values: tuple[Any, ...], coerce: bool) -> None:
        self.values = values
        self.coerce = coerce

    def for_actual(self, actual: Any) -> Iterator[Any]:
        if not self.coerce:
            yield from self.values
            return
        for v in self.values:
            c = _coerce(v, actual)
            if c is not _MISSING:
                yield c


def _bind_operands(operands: Sequence[Operand], variables: Mapping[str, Sequence[str]]) -> _Bound:
    values: list[Any] = []
    coerce = False
    for operand in operands:
        if isinstance(operand, Literal):
            values.append(operand.value)
        else:
            if operand.name not in variables:
                raise PredicateError(f"missing input variable '{operand.name}' (pass var.{operand.name})")
            values.extend(variables[operand.name])
            coerce = True
    return _Bound(tuple(values), coerce)


def bind(node: Node, variables: Mapping[str, Sequence[str]] | None = None) -> Predicate:
    """Compile ``node`` into a predicate over an entity (dict) with input variables substituted.

    ``variables`` maps a variable name to its values (query parameters ``var.<name>`` may repeat).
    Raises :class:`PredicateError` when a variable is missing.
    """
    return _bind(node, variables or {})


def _bind(node: Node, variables: Mapping[str, Sequence[str]]) -> Predicate:
    if isinstance(node, And):
        parts = tuple(_bind(c, variables) for c in node.children)
        if len(parts) == 2:
            a, b = parts
            return lambda e: a(e) and b(e)
        return lambda e: all(p(e) for p in parts)
    if isinstance(node, Or):
        parts = tuple(_bind(c, variables) for c in node.children)
        return lambda e: any(p(e) for p in parts)
    if isinstance(node, Not):
        inner = _bind(node.inner, variables)
        return lambda e: not inner(e)
    if isinstance(node, Nested):
        inner = _bind(node.inner, variables)
        npath = node.path
        return lambda e: any(inner(v) for v in _values_at(e, npath) if isinstance(v, dict))
    if isinstance(node, Compare):
        return _bind_compare(node, variables)
    if isinstance(node, In):
        bound = _bind_operands(node.operands, variables)
        ipath, negate = node.path, node.negate

        def in_pred(e: Any) -> bool:
            found = False
            any_value = False
            for actual in _values_at(e, ipath):
                any_value = True
                if any(_compare(actual, "=", c) for c in bound.for_actual(actual)):
                    found = True
                    break
            if not any_value:
                return False  # a missing field matches neither "in" nor "not in"
            return not found if negate else found

        return in_pred
    if isinstance(node, Defined):
        dpath, dneg = node.path, node.negate

        def defined_pred(e: Any) -> bool:
            present = _raw_at(e, dpath) is not _MISSING
            return not present if dneg else present

        return defined_pred
    if isinstance(node, Empty):
        epath, eneg = node.path, node.negate

        def empty_pred(e: Any) -> bool:
            raw = _raw_at(e, epath)
            if not isinstance(raw, (list, dict, str)):
                return False
            is_empty = len(raw) == 0
            return not is_empty if eneg else is_empty

        return empty_pred
    if isinstance(node, Contains):
        bound = _bind_operands(node.operands, variables)
        cpath, mode = node.path, node.mode

        def contains_pred(e: Any) -> bool:
            raw = _raw_at(e, cpath)
            if raw is _MISSING:
                return False
            items = raw if isinstance(raw, list) else [raw]

            def has(value: Any) -> bool:
                return any(_compare(item, "=", value) for item in items)

            wanted = [c for item in items[:1] for c in bound.for_actual(item)] if bound.coerce else bound.values
            if not wanted:
                return False
            if mode == "all":
                return all(has(v) for v in wanted)
            return any(has(v) for v in wanted)

        return contains_pred
    raise PredicateError(f"unsupported predicate node {node!r}")  # pragma: no cover


def _bind_compare(node: Compare, variables: Mapping[str, Sequence[str]]) -> Predicate:
    bound = _bind_operands((node.operand,), variables)
    op, path = node.op, node.path
    if not bound.coerce and len(bound.values) == 1 and len(path) == 1:
        # the hot path: a plain top-level field against a literal
        name, comparand = path[0], bound.values[0]
        tc = type(comparand)
        if tc is str:

            def str_pred(e: Any) -> bool:
                actual = e.get(name) if type(e) is dict else None
                if type(actual) is str:
                    if op == ">":
                        return bool(actual > comparand)
                    if op == ">=":
                        return bool(actual >= comparand)
                    if op == "<":
                        return bool(actual < comparand)
                    if op == "<=":
                        return bool(actual <= comparand)
                    if op == "=":
                        return bool(actual == comparand)
                    return bool(actual != comparand)
                if actual is None:
                    return False
                return any(_compare(v, op, comparand) for v in _values_at(actual, ()))

            return str_pred

    def pred(e: Any) -> bool:
        for actual in _values_at(e, path):
            for c in bound.for_actual(actual):
                if _compare(actual, op, c):
                    return True
        return False

    return pred
