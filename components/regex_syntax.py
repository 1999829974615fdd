"""Regular expressions Nexus compiles, checked before any write.

Two syntaxes matter:
* java.util.regex: routing-rule matchers (RoutingRuleStoreImpl.validate refuses what
  Pattern.compile refuses, "Invalid regex: ...") and the cleanup-policy asset regex when the
  cleanup task runs (RegexCleanupEvaluator, datastore Nexus 3.38+: an invalid one fails the
  cleanup of every repository using the policy).
* Lucene's RegExp (5.5, bundled with Elasticsearch 2.4.3): what the REST API checks a
  cleanup policy's criteriaAssetRegex with (RegexCriteriaValidator, 3.19+) — a 400 on create.

Python cannot compile Java regexes, so the Java check is Python's `re` on the pattern with
Java-only syntax (\\p{..}, \\Q..\\E, named groups, back references, inline flags anywhere, ...)
rewritten to Python equivalents, plus the refusals Java makes where Python is lenient (a `{`
that starts no repetition, Python-only group syntax, unclosed nested classes). It refuses only
where both engines agree; anything it cannot judge is left to Nexus. The Lucene check follows
RegExp's grammar with all its optional operators on (as `new RegExp(String)` has them).
"""
from __future__ import annotations

import re
import warnings
from typing import Optional

_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")
_INLINE_FLAGS = re.compile(r"\(\?([idmsuxU]*(?:-[idmsuxU]*)?)([:)])")
_NAMED_GROUP = re.compile(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>")
_SHORTHANDS = "dDsSwW"
_REPEAT_ERRORS = ("nothing to repeat", "multiple repeat")
# Java's look-behind needs a bounded length only, not a fixed one; it lets a group refer to itself.
_UNJUDGED_ERRORS = ("look-behind requires fixed-width pattern", "cannot refer to an open group")
_NOTHING_BEFORE = re.compile(r"(^|[(|*+?]|\(\?(?:[:=!>]|<[=!]|<[a-zA-Z][a-zA-Z0-9]*>))$")
# Java escapes Python lacks, as a Python stand-in of the same kind (a class or one character).
_JAVA_ESCAPES = {"h": r"\s", "H": r"\S", "v": r"\s", "V": r"\S", "R": r"\s", "X": r"\S",
                 "z": r"\Z", "G": "", "e": r"\x1b", "a": r"\x07"}


def java_regex_problem(pattern: str) -> Optional[str]:
    """Why java.util.regex.Pattern.compile would refuse `pattern`, or None."""
    if any("x" in flags.group(1).split("-")[0] for flags in _INLINE_FLAGS.finditer(pattern)):
        return None  # comments mode (?x): '#' starts a comment, which this check does not model
    refusal = _java_only_refusal(pattern)
    if refusal:
        return refusal
    python = _as_python(pattern)
    if python is None:
        return None  # uses syntax this check cannot translate: Nexus judges it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nested-set FutureWarnings: Java's classes are fine
            re.compile(python)
    except re.error as err:
        if err.msg in _UNJUDGED_ERRORS:
            return None
        if python != pattern:
            # Positions moved with the rewrite: only errors about the pattern's shape count.
            return None if err.msg in _REPEAT_ERRORS else str(err.msg)
        if err.msg in _REPEAT_ERRORS and not _java_refuses_repeat(pattern, err.pos or 0):
            return None
        return f"{err.msg} at position {err.pos}"
    return None


def _java_refuses_repeat(pattern: str, pos: int) -> bool:
    """Java quantifies anchors ($*) and stacks a counted repetition on another (a?{2}); it
    refuses a quantifier with nothing before it and a second * + ? on one atom."""
    return pattern[pos] != "{" and bool(_NOTHING_BEFORE.search(pattern[:pos]))


def _java_only_refusal(pattern: str) -> Optional[str]:
    """What Java refuses although Python accepts it."""
    depth, i = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if pattern.startswith("\\Q", i):
                end = pattern.find("\\E", i + 2)
                i = len(pattern) if end < 0 else end + 2
                continue
            if pattern.startswith("0", i + 1) and not pattern[i + 2:i + 3].isdigit():
                return (f"'\\0' at position {i} needs octal digits in Java (\\0nn, Illegal octal escape "
                        "sequence); write \\x00 for a NUL character")
            i += 2
            if pattern[i - 1:i] in tuple("pPNxb") and pattern.startswith("{", i):  # \p{L}, \x{41}, \b{g}
                i = pattern.find("}", i) + 1 or len(pattern)
            continue
        if depth:
            if ch == "[":
                depth += 1
                i += 1 + _literal_close(pattern, i + 1)
                continue
            if ch == "]":
                depth -= 1
        elif ch == "[":
            depth = 1
            i += 1 + _literal_close(pattern, i + 1)
            continue
        elif ch == "{" and not _QUANTIFIER.match(pattern, i):
            return (f"'{{' at position {i} starts no repetition {{n}}, {{n,}} or {{n,m}}: Java refuses "
                    "it (Illegal repetition); write \\{ for a literal brace")
        elif pattern.startswith("(?", i):
            problem = _java_group_problem(pattern, i)
            if problem:
                return problem
        i += 1
    if depth:
        return "unclosed character class: Java's classes nest ([a[b]] is a union), so every '[' needs its ']'"
    return None


def _literal_close(pattern: str, i: int) -> int:
    """Java reads a ']' right after '[' or '[^' as a literal: how many characters to skip."""
    skip = 1 if pattern.startswith("^", i) else 0
    return skip + 1 if pattern.startswith("]", i + skip) else skip


def _java_group_problem(pattern: str, i: int) -> Optional[str]:
    rest = pattern[i + 2:]
    if rest[:1] in (":", "=", "!", ">") or rest[:2] in ("<=", "<!") or _NAMED_GROUP.match(pattern, i):
        return None
    if _INLINE_FLAGS.match(pattern, i):
        return None
    hints = {"P<": "named groups are written (?<name>...) in Java",
             "P=": "back references to a named group are written \\k<name> in Java",
             "#": "Java has no (?#...) comments", "(": "Java has no conditional groups"}
    hint = next((h for prefix, h in hints.items() if rest.startswith(prefix)), "")
    return (f"'(?{rest[:1]}' at position {i} is not Java syntax (Unknown inline modifier)"
            + (f"; {hint}" if hint else ""))


def _as_python(pattern: str) -> Optional[str]:
    """The pattern with Java-only syntax replaced by Python syntax of the same shape; None when
    a construct has no stand-in."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                out.append(re.escape(pattern[i + 2:end]))
                i = end + 2
                continue
            if nxt in "pP":
                braced = re.match(r"\{[^}]*\}", pattern[i + 2:])
                if pattern[i + 2:i + 3] == "{" and not braced:
                    return None
                out.append(r"\w")
                i += 2 + (len(braced.group(0)) if braced else 1)
                if in_class:
                    _escape_dash(pattern, i, out)
                continue
            if nxt == "k" and pattern[i + 2:i + 3] == "<":
                end = pattern.find(">", i)
                if end < 0:
                    return None
                out.append(f"(?P={pattern[i + 3:end]})")
                i = end + 1
                continue
            if nxt == "x" and pattern[i + 2:i + 3] == "{":
                end = pattern.find("}", i)
                out.append(r"\x01")
                i = len(pattern) if end < 0 else end + 1
                continue
            if nxt == "c" and i + 2 < len(pattern):
                out.append(r"\x01")
                i += 3
                continue
            if nxt.isdigit() and nxt != "0" and not in_class:
                i += 2
                while i < len(pattern) and pattern[i].isdigit():
                    i += 1
                out.append(r"\x01")  # Java accepts back references to groups not (yet) defined
                continue
            if nxt in _JAVA_ESCAPES:
                out.append(_JAVA_ESCAPES[nxt])
            else:
                out.append(pattern[i:i + 2])
            i += 2
            if in_class and nxt in _SHORTHANDS:
                _escape_dash(pattern, i, out)
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            skip = _literal_close(pattern, i + 1)
            out.append(pattern[i:i + 1 + skip])
            i += 1 + skip
            continue
        elif pattern.startswith("(?", i):
            flags = _INLINE_FLAGS.match(pattern, i)
            named = _NAMED_GROUP.match(pattern, i)
            if flags:
                out.append("(?:" if flags.group(2) == ":" else "")
                i = flags.end()
                continue
            if named:
                out.append(f"(?P<{named.group(1)}>")
                i = named.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _escape_dash(pattern: str, i: int, out: list[str]) -> None:
    """Java reads '-' after a class shorthand ([\\d-z]) as a literal; Python calls it a bad
    range."""
    if pattern[i:i + 1] == "-" and pattern[i + 1:i + 2] not in ("]", ""):
        out.append("\\")


# --- Lucene RegExp -----------------------------------------------------------------------------
class _LuceneSyntaxError(ValueError):
    pass


class _LuceneParser:
    """Recursive descent over Lucene RegExp's grammar (union | , intersection & , repeat ? * +
    {n,m}, complement ~ , classes [..], . # @ "string" (..) <name> <n-m>, \\ escapes any
    character). Only syntax is checked; the automaton is never built."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def parse(self) -> None:
        if not self.text:
            return
        self.union()
        if self.pos < len(self.text):
            self.fail(f"end-of-string expected at position {self.pos}")

    def fail(self, message: str) -> None:
        raise _LuceneSyntaxError(message)

    def more(self) -> bool:
        return self.pos < len(self.text)

    def peek(self, chars: str) -> bool:
        return self.more() and self.text[self.pos] in chars

    def match(self, ch: str) -> bool:
        if self.more() and self.text[self.pos] == ch:
            self.pos += 1
            return True
        return False

    def next(self) -> str:
        if not self.more():
            self.fail("unexpected end-of-string")
        self.pos += 1
        return self.text[self.pos - 1]

    def union(self) -> None:
        self.intersection()
        if self.match("|"):
            self.union()

    def intersection(self) -> None:
        self.concatenation()
        if self.match("&"):
            self.intersection()

    def concatenation(self) -> None:
        self.repeat()
        if self.more() and not self.peek(")|&"):
            self.concatenation()

    def repeat(self) -> None:
        self.complement()
        while self.peek("?*+{"):
            if self.match("{"):
                self.integer(required=True)
                if self.match(","):
                    self.integer(required=False)
                if not self.match("}"):
                    self.fail(f"expected '}}' at position {self.pos}")
            else:
                self.pos += 1

    def integer(self, required: bool) -> None:
        start = self.pos
        while self.peek("0123456789"):
            self.pos += 1
        if start == self.pos and required:
            self.fail(f"integer expected at position {self.pos}")
        if not _fits_int32(self.text[start:self.pos] or "0"):
            self.fail(f"for input string: \"{self.text[start:self.pos]}\" (a Java int)")

    def complement(self) -> None:
        if self.match("~"):
            self.complement()
        else:
            self.char_class_or_simple()

    def char_class_or_simple(self) -> None:
        if not self.match("["):
            self.simple()
            return
        self.match("^")
        self.char_class()
        while self.more() and not self.peek("]"):
            self.char_class()
        if not self.match("]"):
            self.fail(f"expected ']' at position {self.pos}")

    def char_class(self) -> None:
        low = self.char()
        if self.match("-"):
            high = self.char()
            if ord(low) > ord(high):
                self.fail(f"invalid range: from ({low}) cannot be > to ({high})")

    def char(self) -> str:
        self.match("\\")
        return self.next()

    def simple(self) -> None:
        if self.match(".") or self.match("#") or self.match("@"):
            return
        if self.match('"'):
            while self.more() and not self.peek('"'):
                self.pos += 1
            if not self.match('"'):
                self.fail(f"expected '\"' at position {self.pos}")
        elif self.match("("):
            if self.match(")"):
                return
            self.union()
            if not self.match(")"):
                self.fail(f"expected ')' at position {self.pos}")
        elif self.match("<"):
            start = self.pos
            while self.more() and not self.peek(">"):
                self.pos += 1
            if not self.match(">"):
                self.fail(f"expected '>' at position {self.pos}")
            self.interval(self.text[start:self.pos - 1])
        else:
            self.char()

    def interval(self, text: str) -> None:
        """<identifier> names an automaton; <n-m> is a numeric interval."""
        if "-" not in text:
            return
        low, _, high = text.partition("-")
        if "-" in high or not (_fits_int32(low) and _fits_int32(high)):
            self.fail(f"interval syntax error at position {self.pos - 1}")


def _fits_int32(text: str) -> bool:
    """Integer.parseInt: optional sign, ASCII digits here, at most 2^31 - 1."""
    return bool(re.fullmatch(r"[+-]?[0-9]+", text)) and -2**31 <= int(text) < 2**31


def lucene_regexp_problem(pattern: str) -> Optional[str]:
    """Why Lucene's `new RegExp(pattern)` would refuse `pattern`, or None."""
    try:
        _LuceneParser(pattern).parse()
    except _LuceneSyntaxError as err:
        return str(err)
    return None


def cleanup_regex_problem(pattern: str) -> Optional[str]:
    """A cleanup policy's asset regex: Lucene's syntax at the REST API, Java's when it runs."""
    lucene = lucene_regexp_problem(pattern)
    if lucene:
        return (f"Nexus refuses it ({lucene}): cleanup regexes are checked with Lucene's RegExp "
                'syntax, where " < > ~ & # @ are operators (escape them with \\ to match them '
                "literally)")
    java = java_regex_problem(pattern)
    if java:
        return (f"Java refuses it ({java}): Nexus stores it but every cleanup run of a repository "
                "using this policy fails")
    return None
