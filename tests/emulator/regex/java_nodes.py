"""The part of java.util.regex.Pattern's node graph that compiling depends on: how long a match of
a subtree can be (TreeInfo, each node's study()). Pattern refuses a look-behind whose body has no
obvious maximum length, and chooses between a counted group and a loop by whether the group's
body is deterministic, which decides that in turn. Nothing here matches text.

Lengths are Java ints: they wrap around on overflow exactly as Pattern's arithmetic does (a
greedy `x*` adds Integer.MAX_VALUE to the maximum without invalidating it).
"""
from __future__ import annotations

from typing import Optional

MAX_REPS = 0x7FFFFFFF
LAZY, GREEDY, POSSESSIVE, INDEPENDENT = "LAZY", "GREEDY", "POSSESSIVE", "INDEPENDENT"


def i32(value: int) -> int:
    """Java int arithmetic: wrap to 32 bits, signed."""
    return (value + 2**31) % 2**32 - 2**31


class TreeInfo:
    def __init__(self) -> None:
        self.min_length = 0
        self.max_length = 0
        self.max_valid = True
        self.deterministic = True

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


class Node:
    """A node whose match has no length of its own (anchors, bounds, look-arounds, group ends)."""

    def __init__(self) -> None:
        self.next: Optional[Node] = ACCEPT

    def study(self, info: TreeInfo) -> bool:
        if self.next is not None:
            return self.next.study(info)
        return info.deterministic


ACCEPT: Node = Node.__new__(Node)
ACCEPT.next = None


class CharProperty(Node):
    """One character (a literal, a class, `.`, `\\d`...)."""

    def study(self, info: TreeInfo) -> bool:
        info.min_length = i32(info.min_length + 1)
        info.max_length = i32(info.max_length + 1)
        return super().study(info)


class Slice(Node):
    def __init__(self, length: int) -> None:
        super().__init__()
        self.length = length

    def study(self, info: TreeInfo) -> bool:
        info.min_length = i32(info.min_length + self.length)
        info.max_length = i32(info.max_length + self.length)
        return super().study(info)


class LineEnding(Node):  # \R: one or two characters
    def study(self, info: TreeInfo) -> bool:
        info.min_length = i32(info.min_length + 1)
        info.max_length = i32(info.max_length + 2)
        return super().study(info)


class Grapheme(Node):
    """\\X, and a class under CANON_EQ (NFCCharProperty): at least one character, no maximum
    added, not deterministic."""

    def study(self, info: TreeInfo) -> bool:
        info.min_length = i32(info.min_length + 1)
        info.deterministic = False
        return super().study(info)


class BackRef(Node):
    def study(self, info: TreeInfo) -> bool:
        info.max_valid = False
        return super().study(info)


class Ques(Node):
    def __init__(self, atom: Node, kind: str) -> None:
        super().__init__()
        self.atom, self.kind = atom, kind

    def study(self, info: TreeInfo) -> bool:
        if self.kind != INDEPENDENT:
            min_length = info.min_length
            self.atom.study(info)
            info.min_length = min_length
            info.deterministic = False
        else:
            self.atom.study(info)
        return super().study(info)


class CharPropertyGreedy(Node):
    def __init__(self, cmin: int) -> None:
        super().__init__()
        self.cmin = cmin

    def study(self, info: TreeInfo) -> bool:
        info.min_length = i32(info.min_length + self.cmin)
        if info.max_valid:
            info.max_length = i32(info.max_length + MAX_REPS)
        info.deterministic = False
        return super().study(info)


class Curly(Node):
    """A counted repetition; GroupCurly (a deterministic group's) studies the same way."""

    def __init__(self, atom: Node, cmin: int, cmax: int, kind: str) -> None:
        super().__init__()
        self.atom, self.cmin, self.cmax, self.kind = atom, cmin, cmax, kind

    def study(self, info: TreeInfo) -> bool:
        min_length, max_length = info.min_length, info.max_length
        max_valid, deterministic = info.max_valid, info.deterministic
        info.reset()
        self.atom.study(info)
        total = i32(info.min_length * self.cmin + min_length)
        info.min_length = 0xFFFFFFF if total < min_length else total
        if max_valid and info.max_valid:
            total = i32(info.max_length * self.cmax + max_length)
            info.max_length = total
            if total < max_length:
                info.max_valid = False
        else:
            info.max_valid = False
        if info.deterministic and self.cmin == self.cmax:
            info.deterministic = deterministic
        else:
            info.deterministic = False
        return super().study(info)


class BranchConn(Node):
    def study(self, info: TreeInfo) -> bool:
        return info.deterministic


class Branch(Node):
    def __init__(self, first: Optional[Node], second: Optional[Node], conn: BranchConn) -> None:
        super().__init__()
        self.atoms: list[Optional[Node]] = [first, second]
        self.conn = conn

    def study(self, info: TreeInfo) -> bool:
        min_length, max_length, max_valid = info.min_length, info.max_length, info.max_valid
        shortest, longest = 2**31 - 1, -1
        for atom in self.atoms:
            info.reset()
            if atom is not None:
                atom.study(info)
            shortest = min(shortest, info.min_length)
            longest = max(longest, info.max_length)
            max_valid = max_valid and info.max_valid
        min_length, max_length = i32(min_length + shortest), i32(max_length + longest)
        info.reset()
        if self.conn.next is not None:
            self.conn.next.study(info)
        info.min_length = i32(info.min_length + min_length)
        info.max_length = i32(info.max_length + max_length)
        info.max_valid = info.max_valid and max_valid
        info.deterministic = False
        return False


class Loop(Node):
    """A non-deterministic group's repetition (Prolog + Loop): no maximum, not deterministic."""

    def study(self, info: TreeInfo) -> bool:
        info.max_valid = False
        info.deterministic = False
        return False
