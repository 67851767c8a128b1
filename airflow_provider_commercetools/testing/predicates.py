"""A small parser and evaluator for commercetools query predicates (the ``where`` parameter).

Supported syntax (a practical subset of the real predicate language):

* comparisons ``field op value`` with ``op`` one of ``=``, ``!=``, ``<>``, ``>``, ``>=``, ``<``, ``<=``;
* ``field in ("a", "b")``, ``field not in (...)`` (the list may also be a single ``:variable``);
* ``field is defined``, ``field is not defined``, ``field is empty``, ``field is not empty``;
* ``field contains value``, ``field contains any (...)``, ``field contains all (...)``;
* ``and``, ``or``, ``not(...)`` and parentheses;
* values: double-quoted strings (backslash escapes), numbers, ``true``/``false``, ``:variable``;
* fields: plain (``key``), dotted (``masterData.current.name.en``) or nested
  (``masterData(current(name(en = "x")))``). Arrays met on the way match when any element matches.

:func:`parse_where` turns a predicate string into an immutable tree (cached), :func:`bind` turns a
tree plus the request's input variables into a fast ``Callable[[dict], bool]``.
Standard library only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "And",
    "Compare",
    "Contains",
    "Defined",
    "Empty",
    "In",
    "Literal",
    "Nested",
    "Node",
    "Not",
    "Or",
    "PredicateError",
    "Var",
    "bind",
    "conjuncts",
    "parse_where",
]


class PredicateError(ValueError):
    """A predicate could not be parsed or bound; the message is the detail for the 400 answer."""


# --------------------------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Var:
    name: str


Operand = Literal | Var


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    op: str
    operand: Operand


@dataclass(frozen=True)
class In:
    path: tuple[str, ...]
    operands: tuple[Operand, ...]  # a single Var may stand for a whole list
    negate: bool


@dataclass(frozen=True)
class Defined:
    path: tuple[str, ...]
    negate: bool


@dataclass(frozen=True)
class Empty:
    path: tuple[str, ...]
    negate: bool


@dataclass(frozen=True)
class Contains:
    path: tuple[str, ...]
    mode: str  # "one", "any", "all"
    operands: tuple[Operand, ...]


@dataclass(frozen=True)
class Nested:
    path: tuple[str, ...]
    inner: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | In | Defined | Empty | Contains | Nested | And | Or | Not


def conjuncts(node: Node) -> list[Node]:
    """The top-level AND-ed parts of ``node`` (flattened)."""
    if isinstance(node, And):
        out: list[Node] = []
        for child in node.children:
            out.extend(conjuncts(child))
        return out
    return [node]


# ---------------------------------------------------------------------------------------- tokenizer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<var>:[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$\-]*)
  | (?P<op>>=|<=|!=|<>|=|>|<)
  | (?P<punct>[(),.])
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_UNICODE_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, var, ident, op, punct, eof
    text: str
    value: Any
    pos: int


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        esc = m.group(1)
        if len(esc) == 5 and esc[0] == "u":
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, esc)

    return _UNICODE_ESCAPE_RE.sub(repl, body)


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            if text[pos] == '"':
                raise PredicateError(f"unterminated string starting at position {pos}")
            raise PredicateError(f"unexpected character {text[pos]!r} at position {pos}")
        kind = m.lastgroup or ""
        raw = m.group(0)
        if kind == "string":
            tokens.append(_Tok("string", raw, _unescape(raw[1:-1]), pos))
        elif kind == "number":
            value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(_Tok("number", raw, value, pos))
        elif kind == "var":
            tokens.append(_Tok("var", raw, raw[1:], pos))
        elif kind != "ws":
            tokens.append(_Tok(kind, raw, raw, pos))
        pos = m.end()
    tokens.append(_Tok("eof", "", None, n))
    return tokens


# ------------------------------------------------------------------------------------------- parser

_MAX_DEPTH = 64


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    # helpers
    def peek(self, ahead: int = 0) -> _Tok:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> _Tok:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def is_kw(self, word: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "ident" and tok.text.lower() == word

    def is_punct(self, ch: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "punct" and tok.text == ch

    def expect_punct(self, ch: str) -> None:
        tok = self.next()
        if tok.kind != "punct" or tok.text != ch:
            raise PredicateError(f"expected {ch!r} at position {tok.pos}, found {self._describe(tok)}")

    def expect_kw(self, word: str) -> None:
        tok = self.next()
        if tok.kind != "ident" or tok.text.lower() != word:
            raise PredicateError(f"expected '{word}' at position {tok.pos}, found {self._describe(tok)}")

    @staticmethod
    def _describe(tok: _Tok) -> str:
        return "end of input" if tok.kind == "eof" else repr(tok.text)

    # grammar
    def parse(self) -> Node:
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != "eof":
            raise PredicateError(f"unexpected {self._describe(tok)} at position {tok.pos}")
        return node

    def parse_or(self) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise PredicateError("predicate is nested too deeply")
        children = [self.parse_and()]
        while self.is_kw("or"):
            self.next()
            children.append(self.parse_and())
        self.depth -= 1
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while self.is_kw("and"):
            self.next()
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        if self.is_kw("not") and self.is_punct("(", 1):
            self.next()
            self.next()
            inner = self.parse_or()
            self.expect_punct(")")
            return Not(inner)
        if self.is_punct("("):
            self.next()
            inner = self.parse_or()
            self.expect_punct(")")
            return inner
        return self.parse_field()

    def parse_path(self) -> tuple[str, ...]:
        tok = self.next()
        if tok.kind != "ident":
            raise PredicateError(f"expected a field name at position {tok.pos}, found {self._describe(tok)}")
        parts = [tok.text]
        while self.is_punct("."):
            self.next()
            tok = self.next()
            if tok.kind != "ident":
                raise PredicateError(
                    f"expected a field name after '.' at position {tok.pos}, found {self._describe(tok)}"
                )
            parts.append(tok.text)
        return tuple(parts)

    def parse_field(self) -> Node:
        path = self.parse_path()
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "(":
            self.next()
            if self.is_punct(")"):
                raise PredicateError(f"empty nested predicate at position {tok.pos}")
            inner = self.parse_or()
            self.expect_punct(")")
            return Nested(path, inner)
        if tok.kind == "op":
            self.next()
            op = "!=" if tok.text == "<>" else tok.text
            return Compare(path, op, self.parse_value())
        if self.is_kw("in"):
            self.next()
            return In(path, self.parse_list(), False)
        if self.is_kw("not") and self.is_kw("in", 1):
            self.next()
            self.next()
            return In(path, self.parse_list(), True)
        if self.is_kw("is"):
            self.next()
            negate = False
            if self.is_kw("not"):
                self.next()
                negate = True
            if self.is_kw("defined"):
                self.next()
                return Defined(path, negate)
            if self.is_kw("empty"):
                self.next()
                return Empty(path, negate)
            bad = self.peek()
            raise PredicateError(f"expected 'defined' or 'empty' at position {bad.pos}, found {self._describe(bad)}")
        if self.is_kw("contains"):
            self.next()
            if self.is_kw("any") and (self.is_punct("(", 1) or self.peek(1).kind == "var"):
                self.next()
                return Contains(path, "any", self.parse_list())
            if self.is_kw("all") and (self.is_punct("(", 1) or self.peek(1).kind == "var"):
                self.next()
                return Contains(path, "all", self.parse_list())
            return Contains(path, "one", (self.parse_value(),))
        raise PredicateError(
            f"expected an operator after field '{'.'.join(path)}' at position {tok.pos}, found {self._describe(tok)}"
        )

    def parse_value(self) -> Operand:
        tok = self.next()
        if tok.kind in ("string", "number"):
            return Literal(tok.value)
        if tok.kind == "var":
            return Var(tok.value)
        if tok.kind == "ident" and tok.text.lower() in ("true", "false"):
            return Literal(tok.text.lower() == "true")
        raise PredicateError(f"expected a value at position {tok.pos}, found {self._describe(tok)}")

    def parse_list(self) -> tuple[Operand, ...]:
        if self.peek().kind == "var":
            return (Var(self.next().value),)
        self.expect_punct("(")
        values = [self.parse_value()]
        while self.is_punct(","):
            self.next()
            values.append(self.parse_value())
        self.expect_punct(")")
        return tuple(values)


@functools.lru_cache(maxsize=2048)
def parse_where(text: str) -> Node:
    """Parse one predicate string. Raises :class:`PredicateError` (cached per distinct string)."""
    if not text.strip():
        raise PredicateError("empty predicate")
    return _Parser(text).parse()


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
