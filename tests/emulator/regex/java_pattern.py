"""java.util.regex.Pattern.compile's syntax checks (OpenJDK 17), for routing-rule matchers: Nexus's
RoutingRuleStoreImpl.validate compiles each matcher and answers "Invalid regex: " followed by the
PatternSyntaxException's message — the description, " near index N", the pattern, and a caret
under the index.

The parser follows Pattern's own recursive descent step by step (the cursor moves exactly as
Pattern's does, so the reported index is Pattern's): \\Q...\\E quoting is rewritten first, then
alternations, sequences, atoms, groups, quantifiers, escapes (java_escapes.py) and classes
(java_classes.py) are read, inline flags honoured ((?x) comments mode changes the reading).
Groups and repetitions build the nodes whose study() (java_nodes.py) decides the look-behind
and group-repetition checks. A pattern Pattern accepts yields no error; one on which Pattern fails with another
exception than PatternSyntaxException (it happens) raises JavaInternalError.
"""
from __future__ import annotations

from typing import Optional

from . import java_nodes as nodes
from .java_classes import ClassParser
from .java_reader import (CANON_EQ, CASE_INSENSITIVE, COMMENTS, DOTALL, MULTILINE, UNICODE_CASE,
                          UNICODE_CHARACTER_CLASS, UNIX_LINES, JavaInternalError, JavaPatternError,
                          is_digit)

_FLAGS = {"i": CASE_INSENSITIVE, "m": MULTILINE, "s": DOTALL, "d": UNIX_LINES, "u": UNICODE_CASE,
          "c": CANON_EQ, "x": COMMENTS, "U": UNICODE_CHARACTER_CLASS | UNICODE_CASE}


def _flag(ch: int) -> int:
    return _FLAGS.get(chr(ch), 0) if ch < 0x80 else 0


class _Parser(ClassParser):
    """Pattern.compile's recursive descent: expr -> sequence -> atom / group0 -> closure."""

    def compile(self) -> None:
        self.expr(nodes.Node())
        if self.pattern_length != self.cursor:
            if self.peek() == ord(")"):
                raise self.error("Unmatched closing ')'")
            raise self.error("Unexpected internal error")

    # --- alternation and sequence ------------------------------------------------------------
    def expr(self, end: nodes.Node) -> nodes.Node:
        prev: Optional[nodes.Node] = None
        first_tail: Optional[nodes.Node] = None
        branch: Optional[nodes.Branch] = None
        conn: Optional[nodes.BranchConn] = None
        while True:
            node: Optional[nodes.Node] = self.sequence(end)
            node_tail = self.root
            if prev is None:
                prev, first_tail = node, node_tail
            else:
                if conn is None:
                    conn = nodes.BranchConn()
                    conn.next = end
                if node is end:
                    node = None
                else:
                    node_tail.next = conn  # type: ignore[union-attr]
                if prev is branch and branch is not None:
                    branch.atoms.append(node)
                else:
                    if prev is end:
                        prev = None
                    else:
                        first_tail.next = conn  # type: ignore[union-attr]
                    prev = branch = nodes.Branch(prev, node, conn)
            if self.peek() != ord("|"):
                return prev  # type: ignore[return-value]
            self.next()

    def sequence(self, end: nodes.Node) -> nodes.Node:
        head: Optional[nodes.Node] = None
        tail: Optional[nodes.Node] = None
        while True:
            ch = self.peek()
            if ch == ord("("):
                node = self.group0()
                if node is None:
                    continue
                if head is None:
                    head = node
                else:
                    tail.next = node  # type: ignore[union-attr]
                tail = self.root
                continue
            if ch == ord("["):
                self.clazz(True)
                node = nodes.Grapheme() if self.has(CANON_EQ) else nodes.CharProperty()
            elif ch == ord("\\"):
                ch = self.next_escaped()
                if ch in (ord("p"), ord("P")):
                    one_letter = True
                    if self.next() != ord("{"):
                        self.unread()
                    else:
                        one_letter = False
                    self.family(one_letter)
                    node = nodes.Grapheme() if self.has(CANON_EQ) else nodes.CharProperty()
                else:
                    self.unread()
                    node = self.atom()
            elif ch in (ord("^"), ord("$")):
                self.next()
                node = nodes.Node()
            elif ch == ord("."):
                self.next()
                node = nodes.CharProperty()
            elif ch in (ord("|"), ord(")")):
                break
            elif ch in (ord("]"), ord("}")):
                node = self.atom()
            elif ch in (ord("?"), ord("*"), ord("+")):
                self.next()
                raise self.error(f"Dangling meta character '{chr(ch)}'")
            elif ch == 0 and self.cursor >= self.pattern_length:
                break
            else:
                node = self.atom()
            node = self.closure(node)
            if head is None:
                head = tail = node
            else:
                tail.next = node  # type: ignore[union-attr]
                tail = node
        if head is None:
            return end
        tail.next = end  # type: ignore[union-attr]
        self.root = tail
        return head

    def atom(self) -> nodes.Node:
        first, prev = 0, -1
        ch = self.peek()
        while True:
            if ch in (ord("*"), ord("+"), ord("?"), ord("{")):
                if first > 1:
                    self.cursor = prev  # unwind one character: the quantifier takes it
                    first -= 1
                break
            if ch in (ord("$"), ord("."), ord("^"), ord("("), ord("["), ord("|"), ord(")")):
                break
            if ch == ord("\\"):
                ch = self.next_escaped()
                if ch in (ord("p"), ord("P")):
                    if first > 0:  # a slice is waiting; the property comes next
                        self.unread()
                        break
                    if self.next() != ord("{"):
                        self.unread()
                        self.family(True)
                    else:
                        self.family(False)
                    return nodes.Grapheme() if self.has(CANON_EQ) else nodes.CharProperty()
                self.unread()
                prev = self.cursor
                ch = self.escape(False, first == 0, False)
                if ch >= 0:
                    first += 1
                    ch = self.peek()
                    continue
                if first == 0:
                    return self.root  # type: ignore[return-value]
                self.cursor = prev
                break
            if ch == 0 and self.cursor >= self.pattern_length:
                break
            prev = self.cursor
            first += 1
            ch = self.next()
        return nodes.CharProperty() if first == 1 else nodes.Slice(first)

    def ref(self, number: int) -> nodes.Node:
        """A back reference takes as many digits as name existing groups."""
        while is_digit(self.peek()):
            longer = number * 10 + self.peek() - ord("0")
            if self.capturing_group_count - 1 < longer:
                break
            number = longer
            self.read()
        return nodes.BackRef()

    # --- quantifiers ---------------------------------------------------------------------------
    def qtype(self) -> str:
        ch = self.next()
        if ch == ord("?"):
            self.next()
            return nodes.LAZY
        if ch == ord("+"):
            self.next()
            return nodes.POSSESSIVE
        return nodes.GREEDY

    def curly(self, prev: nodes.Node, cmin: int) -> nodes.Node:
        kind = self.qtype()
        if kind == nodes.GREEDY and type(prev) is nodes.CharProperty:
            return nodes.CharPropertyGreedy(cmin)
        return nodes.Curly(prev, cmin, nodes.MAX_REPS, kind)

    def closure(self, prev: nodes.Node) -> nodes.Node:
        ch = self.peek()
        if ch == ord("?"):
            return nodes.Ques(prev, self.qtype())
        if ch == ord("*"):
            return self.curly(prev, 0)
        if ch == ord("+"):
            return self.curly(prev, 1)
        if ch != ord("{"):
            return prev
        ch = self.skip()
        if not is_digit(ch):
            raise self.error("Illegal repetition")
        cmin = 0
        while True:
            cmin = cmin * 10 + ch - ord("0")
            if cmin > nodes.MAX_REPS:
                raise self.error("Illegal repetition range")
            ch = self.read()
            if not is_digit(ch):
                break
        cmax = cmin
        if ch == ord(","):
            ch = self.read()
            if ch == ord("}"):
                self.unread()
                return self.curly(prev, cmin)
            cmax = 0
            while is_digit(ch):
                cmax = cmax * 10 + ch - ord("0")
                if cmax > nodes.MAX_REPS:
                    raise self.error("Illegal repetition range")
                ch = self.read()
        if ch != ord("}"):
            raise self.error("Unclosed counted closure")
        if cmax < cmin:
            raise self.error("Illegal repetition range")
        self.unread()
        if cmin == 0 and cmax == 1:
            return nodes.Ques(prev, self.qtype())
        return nodes.Curly(prev, cmin, cmax, self.qtype())

    # --- groups ------------------------------------------------------------------------------
    def create_group(self, anonymous: bool) -> nodes.Node:
        if not anonymous:
            self.capturing_group_count += 1
        head, self.root = nodes.Node(), nodes.Node()
        return head

    def group_body(self, anonymous: bool) -> tuple[nodes.Node, nodes.Node]:
        head = self.create_group(anonymous)
        tail = self.root
        head.next = self.expr(tail)  # type: ignore[arg-type]
        return head, tail  # type: ignore[return-value]

    def group0(self) -> Optional[nodes.Node]:
        saved_flags = self.flags0
        self.root = None
        ch = self.next()
        if ch == ord("?"):
            ch = self.skip()
            if ch == ord(":"):
                head, tail = self.group_body(True)
            elif ch in (ord("="), ord("!")):
                head, _ = self.group_body(True)
                head = tail = nodes.Node()  # Pos / Neg: a zero-length assertion
            elif ch == ord(">"):
                inner, _ = self.group_body(True)
                head = tail = nodes.Ques(inner, nodes.INDEPENDENT)
            elif ch == ord("<"):
                ch = self.read()
                if ch not in (ord("="), ord("!")):
                    name = self.groupname(ch)
                    if name in self.named_groups:
                        raise self.error(f"Named capturing group <{name}> is already defined")
                    head = self.create_group(False)
                    tail = self.root  # type: ignore[assignment]
                    self.named_groups[name] = self.capturing_group_count - 1
                    head.next = self.expr(tail)  # type: ignore[arg-type]
                else:
                    head, tail = self.group_body(True)
                    tail.next = nodes.Node()  # LookBehindEndNode
                    info = nodes.TreeInfo()
                    head.study(info)
                    if not info.max_valid:
                        raise self.error("Look-behind group does not have an obvious maximum length")
                    head = tail = nodes.Node()  # Behind / NotBehind
            elif ch in (ord("$"), ord("@")):
                raise self.error("Unknown group type")
            else:
                self.unread()
                self.add_flags()
                ch = self.read()
                if ch == ord(")"):
                    return None  # inline modifiers only
                if ch != ord(":"):
                    raise self.error("Unknown inline modifier")
                head, tail = self.group_body(True)
        else:
            head, tail = self.group_body(False)
        self.accept(ord(")"), "Unclosed group")
        self.flags0 = saved_flags
        return self.group_closure(head, tail)

    def group_closure(self, head: nodes.Node, tail: nodes.Node) -> nodes.Node:
        node = self.closure(head)
        if node is head:
            self.root = tail
            return node
        if head is tail:  # a zero-length assertion, repeated
            self.root = node
            return node
        if isinstance(node, nodes.Ques):
            if node.kind == nodes.POSSESSIVE:
                self.root = node
                return node
            conn = nodes.BranchConn()
            tail.next = conn
            self.root = conn
            return nodes.Branch(head, None, conn) if node.kind == nodes.GREEDY \
                else nodes.Branch(None, head, conn)
        assert isinstance(node, nodes.Curly)
        if node.kind == nodes.POSSESSIVE:
            self.root = node
            return node
        if head.study(nodes.TreeInfo()):  # deterministic: a counted group
            counted = nodes.Curly(head.next, node.cmin, node.cmax, node.kind)  # type: ignore[arg-type]
            self.root = counted
            return counted
        loop = nodes.Loop()
        tail.next = loop
        self.root = loop
        return loop  # Prolog: studies as its loop

    def add_flags(self) -> None:
        """Inline flags `(?imsduxcU-imsduxcU...`: on, then off after a '-'."""
        ch = self.peek()
        while _flag(ch):
            self.flags0 |= _flag(ch)
            ch = self.next()
        if ch == ord("-"):
            ch = self.next()
            while _flag(ch):
                self.flags0 &= ~_flag(ch)
                ch = self.next()


def java_pattern_error(pattern: str) -> Optional[JavaPatternError]:
    """The PatternSyntaxException Pattern.compile(pattern) throws, or None when it compiles.
    Raises JavaInternalError where Pattern fails otherwise (an index past the pattern's end)."""
    if not pattern:
        return None
    parser = _Parser(pattern)
    try:
        parser.compile()
    except JavaPatternError as err:
        return err
    except IndexError as err:
        raise JavaInternalError("ArrayIndexOutOfBoundsException") from err
    return None
