"""Lucene's RegExp grammar (lucene-core 5.5, the Lucene of the Elasticsearch 2.4 that Nexus bundled;
`new RegExp(s)` enables every optional operator), parsed only to find what its constructor
refuses and with which IllegalArgumentException message. Nexus's RegexCriteriaValidator checks a
cleanup policy's asset regex this way and reports "Invalid regular expression pattern: " + it.

    union    ::= inter ( '|' union )?
    inter    ::= concat ( '&' inter )?
    concat   ::= repeat concat?            (up to end, ')' or '|', or '&')
    repeat   ::= compl ( '?' | '*' | '+' | '{' n ( ',' m? )? '}' )*
    compl    ::= '~' compl | charclass
    charclass::= '[' '^'? ( char ( '-' char )? )+ ']' | simple
    simple   ::= '.' | '#' | '@' | '"' ... '"' | '(' ')' | '(' union ')' | '<' ... '>' | char
    char     ::= '\\'? any

Positions are Java string indexes (UTF-16 code units), as Lucene reports them.
"""
from __future__ import annotations

import unicodedata
from typing import Optional

INT_MAX = 2**31 - 1


class LuceneSyntaxError(Exception):
    """What RegExp's constructor throws; str() is the exception's message."""


class _Parser:
    def __init__(self, pattern: str) -> None:
        data = pattern.encode("utf-16-le", errors="surrogatepass")
        self.units = [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]
        self.pos = 0

    # --- the reader (RegExp.peek/match/more/next, by code point) --------------------------------
    def more(self) -> bool:
        return self.pos < len(self.units)

    def _code_point(self) -> tuple[int, int]:
        high = self.units[self.pos]
        if 0xD800 <= high <= 0xDBFF and self.pos + 1 < len(self.units):
            low = self.units[self.pos + 1]
            if 0xDC00 <= low <= 0xDFFF:
                return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00), 2
        return high, 1

    def peek(self, chars: str) -> bool:
        return self.more() and chr(self._code_point()[0]) in chars

    def match(self, char: str) -> bool:
        if self.more() and self._code_point()[0] == ord(char):
            self.pos += 1
            return True
        return False

    def next(self) -> int:
        if not self.more():
            raise LuceneSyntaxError("unexpected end-of-string")
        code, width = self._code_point()
        self.pos += width
        return code

    def text(self, start: int, end: int) -> str:
        data = b"".join(u.to_bytes(2, "little") for u in self.units[start:end])
        return data.decode("utf-16-le", errors="surrogatepass")

    # --- the grammar -------------------------------------------------------------------------
    def parse(self) -> None:
        if not self.units:
            return  # the empty string is the empty language's string
        self.union()
        if self.more():
            raise LuceneSyntaxError(f"end-of-string expected at position {self.pos}")

    def union(self) -> None:
        self.inter()
        while self.match("|"):
            self.inter()

    def inter(self) -> None:
        self.concat()
        while self.match("&"):
            self.concat()

    def concat(self) -> None:
        self.repeat()
        while self.more() and not self.peek(")|") and not self.peek("&"):
            self.repeat()

    def repeat(self) -> None:
        self.complement()
        while self.peek("?*+{"):
            if self.match("?") or self.match("*") or self.match("+"):
                continue
            self.match("{")
            self.integer("integer expected at position {}")
            if self.match(","):
                if self.peek("0123456789"):
                    self.integer("")
            if not self.match("}"):
                raise LuceneSyntaxError(f"expected '}}' at position {self.pos}")

    def integer(self, missing: str) -> None:
        """Digits for Integer.parseInt: none is RegExp's error, too many a NumberFormatException
        (an IllegalArgumentException too, so Nexus reports its message)."""
        start = self.pos
        while self.peek("0123456789"):
            self.next()
        if start == self.pos:
            raise LuceneSyntaxError(missing.format(self.pos))
        digits = self.text(start, self.pos)
        if int(digits) > INT_MAX:
            raise LuceneSyntaxError(f'For input string: "{digits}"')

    def complement(self) -> None:
        while self.match("~"):
            pass
        self.char_class()

    def char_class(self) -> None:
        if not self.match("["):
            self.simple()
            return
        self.match("^")
        self.class_item()
        while self.more() and not self.peek("]"):
            self.class_item()
        if not self.match("]"):
            raise LuceneSyntaxError(f"expected ']' at position {self.pos}")

    def class_item(self) -> None:
        low = self.char()
        if self.match("-"):
            high = self.char()
            if low > high:
                raise LuceneSyntaxError(f"invalid range: from ({low}) cannot be > to ({high})")

    def simple(self) -> None:
        if self.match(".") or self.match("#") or self.match("@"):
            return
        if self.match('"'):
            while self.more() and not self.peek('"'):
                self.next()
            if not self.match('"'):
                raise LuceneSyntaxError(f"expected '\"' at position {self.pos}")
            return
        if self.match("("):
            if self.match(")"):
                return
            self.union()
            if not self.match(")"):
                raise LuceneSyntaxError(f"expected ')' at position {self.pos}")
            return
        if self.match("<"):
            self.angle()
            return
        self.char()

    def angle(self) -> None:
        """`<name>` names an automaton (accepted when parsing); `<min-max>` is a numeric
        interval whose bounds Integer.parseInt must read."""
        start = self.pos
        while self.more() and not self.peek(">"):
            self.next()
        if not self.match(">"):
            raise LuceneSyntaxError(f"expected '>' at position {self.pos}")
        body = self.text(start, self.pos - 1)
        dash = body.find("-")
        if dash == -1:
            return
        bad = LuceneSyntaxError(f"interval syntax error at position {self.pos - 1}")
        if dash == 0 or dash == len(body) - 1 or dash != body.rfind("-"):
            raise bad
        if not (_java_int(body[:dash]) and _java_int(body[dash + 1:])):
            raise bad

    def char(self) -> int:
        self.match("\\")
        return self.next()


def _java_int(text: str) -> bool:
    """Whether Integer.parseInt reads `text`: an optional sign, then decimal digits of any
    script (Character.digit), within an int."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not all(unicodedata.decimal(c, None) is not None for c in digits):
        return False
    value = int("".join(str(unicodedata.decimal(c)) for c in digits))
    return value <= (INT_MAX + 1 if text.startswith("-") else INT_MAX)


def lucene_regexp_error(pattern: str) -> Optional[str]:
    """The message `new RegExp(pattern)` throws, or None when Lucene parses it."""
    try:
        _Parser(pattern).parse()
    except LuceneSyntaxError as err:
        return str(err)
    return None
