"""Escapes of the java.util.regex.Pattern port (OpenJDK 17): what each backslash sequence stands
for (a character, or a node or class predicate), with Pattern's messages and cursor movements."""
from __future__ import annotations

import unicodedata
from typing import Optional

from . import java_nodes as nodes
from .java_reader import MAX_CODE_POINT, PatternReader, is_alnum, is_alpha, is_hex

_PREDICATE = object()  # a non-null CharPredicate: only whether one exists matters here

# Names Python derives for code points UnicodeData lists as ranges; Java names those
# "<BLOCK NAME> <HEX>" instead (Character.getName), which is not modelled here.
_DERIVED_NAMES = ("CJK UNIFIED IDEOGRAPH-", "HANGUL SYLLABLE ", "TANGUT IDEOGRAPH-")


def _character_named(name: str) -> Optional[int]:
    """Character.codePointOf: the code point a Unicode character name (trimmed, ignoring case)
    names, or None."""
    start, end = 0, len(name)
    while start < end and ord(name[start]) <= 0x20:
        start += 1
    while end > start and ord(name[end - 1]) <= 0x20:
        end -= 1
    wanted = name[start:end].upper()
    if wanted.startswith(_DERIVED_NAMES):
        return None
    try:
        found = unicodedata.lookup(wanted)
    except KeyError:
        return None
    return ord(found) if len(found) == 1 and unicodedata.name(found, "") == wanted else None


class EscapeParser(PatternReader):
    """Escapes; java_pattern._Parser provides back references (ref)."""

    def ref(self, number: int) -> nodes.Node:
        raise NotImplementedError

    # --- escapes -----------------------------------------------------------------------------
    def escape(self, inclass: bool, create: bool, isrange: bool) -> int:
        """The character an escape stands for, or -1 when it made a node (`root`) or, in a
        class, a predicate."""
        ch = self.skip()
        c = chr(ch) if ch <= MAX_CODE_POINT else ""
        if c == "0":
            return self.octal()
        if "1" <= c <= "9":
            if inclass:
                raise self.error("Illegal/unsupported escape sequence")
            if create:
                self.root = self.ref(ch - ord("0"))
            return -1
        if c in ("A", "B", "G", "Z", "z"):
            if inclass:
                raise self.error("Illegal/unsupported escape sequence")
            if create:
                self.root = nodes.Node()
            return -1
        if c in ("R", "X"):
            if inclass:
                raise self.error("Illegal/unsupported escape sequence")
            if create:
                self.root = nodes.LineEnding() if c == "R" else nodes.Grapheme()
            return -1
        if c in ("D", "H", "S", "V", "W", "d", "h", "s", "w") or (c == "v" and not isrange):
            if create:
                self.predicate = _PREDICATE
                if not inclass:
                    self.root = nodes.CharProperty()
            return -1
        if c == "v":
            return 0x0B
        if c == "N":
            return self.named_character()
        if c == "b":
            return self._word_boundary(inclass, create)
        if c == "k":
            return self._named_reference(inclass, create)
        simple = {"a": 0x07, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09}
        if c in simple:
            return simple[c]
        if c == "c":
            if self.cursor < self.pattern_length:
                return self.read() ^ 64
            raise self.error("Illegal control escape sequence")
        if c == "u":
            return self.unicode_escape()
        if c == "x":
            return self.hexadecimal()
        if c and (("A" <= c <= "Z") or ("a" <= c <= "z")):
            raise self.error("Illegal/unsupported escape sequence")
        return ch

    def _word_boundary(self, inclass: bool, create: bool) -> int:
        if inclass:
            raise self.error("Illegal/unsupported escape sequence")
        if create:
            if self.peek() == ord("{"):
                if self.skip() == ord("g"):
                    if self.read() == ord("}"):
                        self.root = nodes.Node()  # \b{g}
                        return -1
                    raise self.error("Illegal/unsupported escape sequence")
                self.unread()
                self.unread()
            self.root = nodes.Node()
        return -1

    def _named_reference(self, inclass: bool, create: bool) -> int:
        if inclass:
            raise self.error("Illegal/unsupported escape sequence")
        if self.read() != ord("<"):
            raise self.error("\\k is not followed by '<' for named capturing group")
        name = self.groupname(self.read())
        if name not in self.named_groups:
            raise self.error(f"named capturing group <{name}> does not exist")
        if create:
            self.root = nodes.BackRef()
        return -1

    def groupname(self, ch: int) -> str:
        if not is_alpha(ch):
            raise self.error("capturing group name does not start with a Latin letter")
        name = chr(ch)
        ch = self.read()
        while is_alnum(ch):
            name += chr(ch)
            ch = self.read()
        if ch != ord(">"):
            raise self.error("named capturing group is missing trailing '>'")
        return name

    def octal(self) -> int:
        n = self.read()
        if ord("0") <= n <= ord("7"):
            m = self.read()
            if ord("0") <= m <= ord("7"):
                o = self.read()
                if ord("0") <= o <= ord("7") and n <= ord("3"):
                    return (n - 48) * 64 + (m - 48) * 8 + (o - 48)
                self.unread()
                return (n - 48) * 8 + (m - 48)
            self.unread()
            return n - 48
        raise self.error("Illegal octal escape sequence")

    def hexadecimal(self) -> int:
        n = self.read()
        if is_hex(n):
            m = self.read()
            if is_hex(m):
                return int(chr(n) + chr(m), 16)
        elif n == ord("{") and is_hex(self.peek()):
            value = 0
            n = self.read()
            while is_hex(n):
                value = (value << 4) + int(chr(n), 16)
                if value > MAX_CODE_POINT:
                    raise self.error("Hexadecimal codepoint is too big")
                n = self.read()
            if n != ord("}"):
                raise self.error("Unclosed hexadecimal escape sequence")
            return value
        raise self.error("Illegal hexadecimal escape sequence")

    def _uxxxx(self) -> int:
        value = 0
        for _ in range(4):
            ch = self.read()
            if not is_hex(ch):
                raise self.error("Illegal Unicode escape sequence")
            value = value * 16 + int(chr(ch), 16)
        return value

    def unicode_escape(self) -> int:
        value = self._uxxxx()
        if 0xD800 <= value <= 0xDBFF:  # a high surrogate: \\uD83D\\uDE00 is one code point
            saved = self.cursor
            if self.read() == ord("\\") and self.read() == ord("u"):
                low = self._uxxxx()
                if 0xDC00 <= low <= 0xDFFF:
                    return 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            self.cursor = saved
        return value

    def named_character(self) -> int:
        if self.read() != ord("{"):
            raise self.error("Illegal character name escape sequence")
        start = self.cursor
        while self.read() != ord("}"):
            if self.cursor >= self.pattern_length:
                raise self.error("Unclosed character name escape sequence")
        name = "".join(map(chr, self.temp[start:self.cursor - 1]))
        code_point = _character_named(name)
        if code_point is None:
            raise self.error(f"Unknown character name [{name}]")
        return code_point
