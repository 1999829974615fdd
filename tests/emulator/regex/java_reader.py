"""The reader of the java.util.regex.Pattern port (OpenJDK 17): the pattern as Pattern holds it
(code points, \\Q...\\E quoting rewritten, two zeros at the end), the parser's state, the cursor
primitives (comments mode skips whitespace and #-comments), and PatternSyntaxException."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import java_nodes as nodes

UNIX_LINES, CASE_INSENSITIVE, COMMENTS, MULTILINE, LITERAL = 0x01, 0x02, 0x04, 0x08, 0x10
DOTALL, UNICODE_CASE, CANON_EQ, UNICODE_CHARACTER_CLASS = 0x20, 0x40, 0x80, 0x100
MAX_CODE_POINT = 0x10FFFF


# --- ASCII (java.util.regex.ASCII) --------------------------------------------------------------
def is_alpha(ch: int) -> bool:
    return ch < 0x80 and chr(ch).isalpha()


def is_digit(ch: int) -> bool:
    return ord("0") <= ch <= ord("9")


def is_alnum(ch: int) -> bool:
    return is_alpha(ch) or is_digit(ch)


def is_hex(ch: int) -> bool:
    return is_digit(ch) or ord("a") <= ch <= ord("f") or ord("A") <= ch <= ord("F")


def is_space(ch: int) -> bool:
    return ch in (0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D)


@dataclass
class JavaPatternError(Exception):
    """A PatternSyntaxException: its description, index and pattern."""
    description: str
    index: int
    pattern: str

    def message(self) -> str:
        """PatternSyntaxException.getMessage(), line separators as on Linux."""
        text = self.description + (f" near index {self.index}" if self.index >= 0 else "")
        text += "\n" + self.pattern
        if 0 <= self.index < len(self.pattern.encode("utf-16-le", "surrogatepass")) // 2:
            caret = "".join("\t" if c == "\t" else " " for c in _utf16_prefix(self.pattern, self.index))
            text += "\n" + caret + "^"
        return text


class JavaInternalError(Exception):
    """Pattern.compile failed with something else than a PatternSyntaxException."""


def _utf16_prefix(pattern: str, units: int) -> list[str]:
    """The first `units` UTF-16 code units of `pattern`, one entry each (surrogates as two)."""
    out: list[str] = []
    for char in pattern:
        out.extend([char] * (2 if ord(char) > 0xFFFF else 1))
    return out[:units]


def _code_points(pattern: str) -> list[int]:
    """String.codePointAt over the pattern: paired surrogates make one code point."""
    data = pattern.encode("utf-16-le", "surrogatepass")
    units = [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]
    points: list[int] = []
    i = 0
    while i < len(units):
        high = units[i]
        if 0xD800 <= high <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= units[i + 1] <= 0xDFFF:
            points.append(0x10000 + ((high - 0xD800) << 10) + (units[i + 1] - 0xDC00))
            i += 2
        else:
            points.append(high)
            i += 1
    return points


def _remove_qe_quoting(temp: list[int]) -> list[int]:
    """Pattern.RemoveQEQuoting: \\Q...\\E becomes escaped characters (digits behind \\x3)."""
    length = len(temp)
    i = 0
    while i < length - 1:
        if temp[i] != ord("\\"):
            i += 1
        elif temp[i + 1] != ord("Q"):
            i += 2
        else:
            break
    if i >= length - 1:
        return temp
    out = temp[:i]
    i += 2
    in_quote, begin_quote = True, True
    padded = temp + [0]
    while i < length:
        c = padded[i]
        i += 1
        if c >= 0x80 or is_alpha(c):
            out.append(c)
        elif is_digit(c):
            if begin_quote:
                out.extend([ord("\\"), ord("x"), ord("3")])
            out.append(c)
        elif c != ord("\\"):
            if in_quote:
                out.append(ord("\\"))
            out.append(c)
        elif in_quote:
            if padded[i] == ord("E"):
                i += 1
                in_quote = False
            else:
                out.extend([ord("\\"), ord("\\")])
        else:
            if padded[i] == ord("Q"):
                i += 1
                in_quote, begin_quote = True, True
                continue
            out.append(c)
            if i != length:
                out.append(padded[i])
                i += 1
        begin_quote = False
    return out


class PatternReader:
    """The parser's state and its cursor, as Pattern keeps them while compiling."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        points = _remove_qe_quoting(_code_points(pattern))
        self.pattern_length = len(points)
        self.temp = points + [0, 0]
        self.cursor = 0
        self.flags0 = 0
        self.capturing_group_count = 1
        self.named_groups: dict[str, int] = {}
        self.root: Optional[nodes.Node] = None
        self.predicate: Any = None  # what the last class escape (\\d, \\w...) stood for

    def error(self, description: str) -> JavaPatternError:
        return JavaPatternError(description, self.cursor - 1, self.pattern)

    def has(self, flag: int) -> bool:
        return bool(self.flags0 & flag)

    # --- the cursor --------------------------------------------------------------------------
    def peek(self) -> int:
        ch = self.temp[self.cursor]
        return self._peek_past_whitespace(ch) if self.has(COMMENTS) else ch

    def read(self) -> int:
        ch = self.temp[self.cursor]
        self.cursor += 1
        return self._parse_past_whitespace(ch) if self.has(COMMENTS) else ch

    def read_escaped(self) -> int:
        ch = self.temp[self.cursor]
        self.cursor += 1
        return ch

    def next(self) -> int:
        self.cursor += 1
        ch = self.temp[self.cursor]
        return self._peek_past_whitespace(ch) if self.has(COMMENTS) else ch

    def next_escaped(self) -> int:
        self.cursor += 1
        return self.temp[self.cursor]

    def skip(self) -> int:
        ch = self.temp[self.cursor + 1]
        self.cursor += 2
        return ch

    def unread(self) -> None:
        self.cursor -= 1

    def accept(self, ch: int, message: str) -> None:
        if self.read() != ch:
            raise self.error(message)

    def _line_separator(self, ch: int) -> bool:
        if self.has(UNIX_LINES):
            return ch == 0x0A
        return ch in (0x0A, 0x0D, 0x85) or (ch | 1) == 0x2029

    def _peek_past_whitespace(self, ch: int) -> int:
        while is_space(ch) or ch == ord("#"):
            while is_space(ch):
                self.cursor += 1
                ch = self.temp[self.cursor]
            if ch == ord("#"):
                self.cursor += 1
                ch = self.temp[self.cursor]
                while ch != 0 and not self._line_separator(ch):
                    self.cursor += 1
                    ch = self.temp[self.cursor]
                if ch == 0 and self.cursor > self.pattern_length:
                    self.cursor = self.pattern_length
                    ch = self.temp[self.cursor]
        return ch

    def _parse_past_whitespace(self, ch: int) -> int:
        while is_space(ch) or ch == ord("#"):
            while is_space(ch):
                ch = self.read_escaped()
            if ch == ord("#"):
                ch = self.read_escaped()
                while ch != 0 and not self._line_separator(ch):
                    ch = self.read_escaped()
                if ch == 0 and self.cursor > self.pattern_length:
                    self.cursor = self.pattern_length
                    ch = self.read_escaped()
        return ch
