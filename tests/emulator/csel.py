"""CSEL, the content selector expression language: the subset Nexus's CselValidator accepts
(sonatype/nexus-public SelectorFactory/CselValidator), parsed for validation and evaluated for
content-selector privileges (which paths of a repository a privilege grants)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class CselError(Exception):
    """An invalid expression; str() is the detail Nexus puts after 'Invalid CSEL: '."""


@dataclass
class _Token:
    kind: str  # ident, string, op, and, or, lparen, rparen, end
    text: str
    column: int  # 1-based


_OPERATORS = ("==", "=~", "=^", "!=", "!")
_IDENTIFIERS = ("format", "path")
_COORDINATE_FIELDS = ("groupId", "artifactId", "version", "extension", "classifier", "id")


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(expression):
        ch = expression[i]
        if ch.isspace():
            i += 1
            continue
        column = i + 1
        if ch in "\"'":
            end = expression.find(ch, i + 1)
            if end < 0:
                raise CselError(f"tokenization error in '{expression[i:]}' at line 1 column "
                                f"{len(expression) + 1}")
            tokens.append(_Token("string", expression[i + 1:end], column))
            i = end + 1
        elif ch == "(":
            tokens.append(_Token("lparen", ch, column))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, column))
            i += 1
        elif expression.startswith(("&&", "||"), i):
            tokens.append(_Token("and" if ch == "&" else "or", expression[i:i + 2], column))
            i += 2
        elif any(expression.startswith(op, i) for op in _OPERATORS):
            op = next(op for op in _OPERATORS if expression.startswith(op, i))
            tokens.append(_Token("op", op, column))
            i += len(op)
        elif ch.isalpha() or ch == "_":
            match = re.match(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", expression[i:])
            assert match is not None
            word = match.group(0)
            kind = {"and": "and", "or": "or"}.get(word, "ident")
            tokens.append(_Token(kind, word, column))
            i += len(word)
        else:
            raise CselError(f"tokenization error in '{expression[i:]}' at line 1 column {column}")
    tokens.append(_Token("end", "", len(expression) + 1))
    return tokens


class _CselParser:
    """Recursive descent over `a == "x" and (b =~ "y" or b =^ "z")`: the subset CselValidator
    accepts (identifiers format, path, coordinate.*; operators ==, =~, =^; and/or; parens)."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.pos = 0

    def parse(self) -> Any:
        if self.tokens[0].kind == "end":
            raise CselError("parse error in '' at line 1 column 1")
        tree = self._or()
        if self._peek().kind != "end":
            self._fail(self._peek())
        return tree

    def _peek(self) -> _Token:
        return self.tokens[self.pos]

    def _next(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _fail(self, token: _Token) -> None:
        raise CselError(f"parse error in '{token.text}' at line 1 column {token.column}")

    def _or(self) -> Any:
        left = self._and()
        while self._peek().kind == "or":
            self._next()
            left = ("or", left, self._and())
        return left

    def _and(self) -> Any:
        left = self._term()
        while self._peek().kind == "and":
            self._next()
            left = ("and", left, self._term())
        return left

    def _term(self) -> Any:
        token = self._next()
        if token.kind == "lparen":
            inner = self._or()
            if self._next().kind != "rparen":
                self._fail(self.tokens[self.pos - 1])
            return inner
        if token.kind == "op" and token.text == "!":
            self._unsupported(token)
        if token.kind != "ident":
            self._fail(token)
        self._identifier(token)
        op = self._next()
        if op.kind != "op":
            self._fail(op)
        if op.text not in ("==", "=~", "=^"):
            self._unsupported(op)
        value = self._next()
        if value.kind != "string":
            self._fail(value)
        return (op.text, token.text, value.text)

    def _identifier(self, token: _Token) -> None:
        if "." in token.text:
            parent, _, child = token.text.partition(".")
            if parent != "coordinate" or child not in _COORDINATE_FIELDS:
                raise CselError(
                    f"'Invalid identifier={token.text}, expected one of [coordinate]."
                    f"[{', '.join(_COORDINATE_FIELDS)}]' at line 1 column {token.column}")
        elif token.text not in _IDENTIFIERS:
            raise CselError(f"'Invalid identifier={token.text}, expected one of "
                            f"[{', '.join(_IDENTIFIERS)}]' at line 1 column {token.column}")

    def _unsupported(self, token: _Token) -> None:
        raise CselError(f"Expression not supported in CSEL selector in '{self.expression}' at "
                        f"line 1 column {token.column}")


def parse_csel(expression: str) -> Any:
    return _CselParser(expression).parse()


def evaluate_csel(expression: str, values: dict[str, str]) -> bool:
    """Evaluates a (valid) expression against asset values such as format and path."""
    def walk(node: Any) -> bool:
        op = node[0]
        if op == "and":
            return walk(node[1]) and walk(node[2])
        if op == "or":
            return walk(node[1]) or walk(node[2])
        actual = values.get(node[1], "")
        if op == "==":
            return actual == node[2]
        if op == "=^":
            return actual.startswith(node[2])
        try:
            return re.fullmatch(node[2], actual) is not None
        except re.error:
            return False
    return walk(parse_csel(expression))

