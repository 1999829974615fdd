"""Character classes of the java.util.regex.Pattern port (OpenJDK 17): `[...]` with ranges,
nested classes and `&&` intersections, and the Unicode properties, categories, scripts and blocks
`\\p{...}` may name (java.util.regex.CharPredicates, Character.UnicodeScript/UnicodeBlock)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .java_escapes import _PREDICATE, EscapeParser
from .java_reader import CASE_INSENSITIVE, UNICODE_CASE, UNICODE_CHARACTER_CLASS

# CharPredicates: the names forProperty knows (as written), getUnicodePredicate and
# getPosixPredicate (upper-cased).
PROPERTY_NAMES = frozenset(
    "Cn Lu Ll Lt Lm Lo Mn Me Mc Nd Nl No Zs Zl Zp Cc Cf Co Cs Pd Ps Pe Pc Po Sm Sc Sk So Pi Pf "
    "L M N Z C P S LC LD L1 all ASCII Alnum Alpha Blank Cntrl Digit Graph Lower Print Punct Space "
    "Upper XDigit javaLowerCase javaUpperCase javaAlphabetic javaIdeographic javaTitleCase "
    "javaDigit javaDefined javaLetter javaLetterOrDigit javaJavaIdentifierStart "
    "javaJavaIdentifierPart javaUnicodeIdentifierStart javaUnicodeIdentifierPart "
    "javaIdentifierIgnorable javaSpaceChar javaWhitespace javaISOControl javaMirrored".split())
POSIX_NAMES = frozenset("ALPHA LOWER UPPER SPACE PUNCT XDIGIT ALNUM CNTRL DIGIT BLANK GRAPH "
                        "PRINT".split())
UNICODE_NAMES = frozenset("ALPHABETIC ASSIGNED CONTROL HEXDIGIT HEX_DIGIT IDEOGRAPHIC JOINCONTROL "
                          "JOIN_CONTROL LETTER LOWERCASE NONCHARACTERCODEPOINT "
                          "NONCHARACTER_CODE_POINT TITLECASE PUNCTUATION UPPERCASE WHITESPACE "
                          "WHITE_SPACE WORD".split())


@lru_cache(maxsize=1)
def _unicode_names() -> tuple[frozenset[str], frozenset[str]]:
    data = json.loads((Path(__file__).with_name("java17_unicode_names.json")).read_text())
    return frozenset(data["scripts"]), frozenset(data["blocks"])


def _is_script(name: str) -> bool:
    return name.upper() in _unicode_names()[0]


def _is_block(name: str) -> bool:
    return name.upper() in _unicode_names()[1]


class ClassParser(EscapeParser):
    """Classes and properties on top of the escapes."""

    def clazz(self, consume: bool) -> Any:
        """A character class; returns whether it is a predicate (non-None). Consumes the ']'
        when `consume` (not for the right side of `&&` written without brackets)."""
        prev: Any = None
        curr: Any = None
        has_bits = False
        ch = self.next()
        if ch == ord("^") and self.temp[self.cursor - 1] == ord("["):
            ch = self.next()
        while True:
            if ch == ord("["):
                curr = self.clazz(True)
                prev = curr if prev is None else _PREDICATE
                ch = self.peek()
                continue
            if ch == ord("&"):
                ch = self.next()
                if ch == ord("&"):
                    ch = self.next()
                    right: Any = None
                    while ch not in (ord("]"), ord("&")):
                        if ch != ord("["):
                            self.unread()
                        self.clazz(ch == ord("["))
                        right = _PREDICATE
                        ch = self.peek()
                    if has_bits:
                        if prev is None:
                            curr = _PREDICATE
                        prev = _PREDICATE
                        has_bits = False
                    if right is not None:
                        curr = right
                    if prev is None:
                        if right is None:
                            raise self.error("Bad class syntax")
                        prev = right
                    else:
                        prev = _PREDICATE  # prev.and(curr): Java 17 does not check curr
                    continue
                self.unread()
            elif ch == 0 and self.cursor >= self.pattern_length:
                raise self.error("Unclosed character class")
            elif ch == ord("]") and (prev is not None or has_bits):
                if consume:
                    self.next()
                return _PREDICATE
            curr = self.range()
            if curr is None:
                has_bits = True
            else:
                prev = curr if prev is None else _PREDICATE
            ch = self.peek()

    def range(self) -> Any:
        """One class item: a character, a range or a property. None when it went into the
        class's Latin-1 bits (BitClass), a predicate otherwise."""
        ch = self.peek()
        if ch == ord("\\"):
            ch = self.next_escaped()
            if ch in (ord("p"), ord("P")):
                one_letter = True
                if self.next() != ord("{"):
                    self.unread()
                else:
                    one_letter = False
                return self.family(one_letter)
            isrange = self.temp[self.cursor + 1] == ord("-")
            self.unread()
            ch = self.escape(True, True, isrange)
            if ch == -1:
                return self.predicate
        else:
            self.next()
        if ch >= 0:
            if self.peek() == ord("-"):
                end_range = self.temp[self.cursor + 1]
                if end_range == ord("["):
                    return self._bits_or_single(ch)
                if end_range != ord("]"):
                    self.next()
                    m = self.peek()
                    if m == ord("\\"):
                        m = self.escape(True, False, True)
                    else:
                        self.next()
                    if m < ch:
                        raise self.error("Illegal character range")
                    return _PREDICATE
            return self._bits_or_single(ch)
        raise self.error(f"Unexpected character '{chr(ch & 0xFFFF)}'")

    def _bits_or_single(self, ch: int) -> Any:
        folded = (self.has(CASE_INSENSITIVE) and self.has(UNICODE_CASE)
                  and ch in (0xFF, 0xB5, 0x49, 0x69, 0x53, 0x73, 0x4B, 0x6B, 0xC5, 0xE5))
        return None if ch < 256 and not folded else _PREDICATE

    def family(self, single_letter: bool) -> Any:
        """\\p{Name} / \\pL: a property, category, script or block Pattern knows."""
        self.next()
        if single_letter:
            name = chr(self.temp[self.cursor])
            self.read()
        else:
            start = self.cursor
            self.temp[self.pattern_length] = ord("}")
            while self.read() != ord("}"):
                pass
            self.temp[self.pattern_length] = 0
            end = self.cursor
            if end > self.pattern_length:
                raise self.error("Unclosed character family")
            if start + 1 >= end:
                raise self.error("Empty character family")
            name = "".join(map(chr, self.temp[start:end - 1]))
        if "=" in name:
            key, _, value = name.partition("=")
            key = key.lower()
            known = ((key in ("sc", "script") and _is_script(value))
                     or (key in ("blk", "block") and _is_block(value))
                     or (key in ("gc", "general_category") and value in PROPERTY_NAMES))
            if not known:
                raise self.error(f"Unknown Unicode property {{name=<{key}>, value=<{value}>}}")
            return _PREDICATE
        if name.startswith("In"):
            known = _is_block(name[2:])
        elif name.startswith("Is"):
            short = name[2:]
            known = (short.upper() in UNICODE_NAMES or short.upper() in POSIX_NAMES
                     or short in PROPERTY_NAMES or _is_script(short))
        else:
            known = ((self.has(UNICODE_CHARACTER_CLASS) and name.upper() in POSIX_NAMES)
                     or name in PROPERTY_NAMES)
        if not known:
            raise self.error(f"Unknown character property name {{{name}}}")
        return _PREDICATE
