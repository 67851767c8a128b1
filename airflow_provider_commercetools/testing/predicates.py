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

:func:`parse_where` turns a predicate string into an immutable tree (cached); ``bind`` (in
:mod:`.predicate_eval`, which builds on this module) turns a tree plus the request's input variables
into a fast ``Callable[[dict], bool]``.
Standard library only.
"""

from __future__ import annotations

import functools
import re
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
