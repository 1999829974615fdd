"""A preview's plan as a reviewer reads it: the objects that change and, for each, the fields that change.

`preview --json` gives each step's inputs before and after; they are compared field by field
(nexusctl/fields.py), secrets masked. Left out, because a reviewer never needs them: the
deployment check (its inputs mirror other objects' ports and names, so it changes whenever they
do), the instance tokens that make an object re-apply when something it refers to is re-created
(shown as the reason instead), providers and the stack itself.

Secrets: the engine writes `[secret]` for a secret on both sides, so a changed secret cannot be
told from an unchanged one. An update that changes nothing else can only be a secret, and is
shown as one; a secret that changes together with other fields is not singled out (the stack
file's diff in the pull request shows its `secure:` value changed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from components.provider import INSTANCE, PROVIDER_KEY, REFERENCES

from .fields import MASK, leaves, list_change, natural, show, shown

HIDDEN_TYPES = frozenset({"DeploymentCheck"})
HIDDEN_FIELDS = frozenset({PROVIDER_KEY, INSTANCE, REFERENCES})
CHANGING_OPS = ("create", "update", "replace", "delete", "create-replacement", "delete-replaced", "import",
                "discard")
PREVIEW_FAILED = "preview failed"


@dataclass
class Field:
    path: str
    before: Any  # what the stack has now (the server's state after the refresh); None: absent
    after: Any  # what `up` makes of it; None: absent
    secret: bool = False

    @property
    def text(self) -> str:
        return self.describe(show)

    def describe(self, shown_as: Callable[[Any], str]) -> str:
        """`path: before → after`, each value written by `shown_as`."""
        if self.secret and self.before == self.after == MASK:
            return f"{self.path}: {shown_as(MASK)} changed"
        return f"{self.path}: {list_change(self.before, self.after, shown_as)}"


@dataclass
class Change:
    urn: str
    type: str  # e.g. DockerHostedRepository
    name: str
    op: str  # create | update | replace | delete | ...
    fields: list[Field] = field(default_factory=list)  # only what changes
    every_field: list[Field] = field(default_factory=list)  # the whole object, for the full diff
    replaced_for: list[str] = field(default_factory=list)  # fields Nexus cannot change in place
    because: list[str] = field(default_factory=list)  # re-created objects this one refers to
    protected: bool = False  # a hosted repository or blob store: `up` refuses to delete it
    on_server: Optional[str] = None  # "changed" | "deleted": since the last deployment, behind the stack's back
    secret_guess: bool = False  # no visible field changes: one of the secrets did


@dataclass
class Review:
    stack: str
    status: str  # "clean" | "changes" | "error"
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    engine_output: str = ""  # the engine's own words when the preview failed

    @property
    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for change in self.changes:
            counted[change.op] = counted.get(change.op, 0) + 1
        return counted


def analyse(stack: str, code: int, plan: Mapping[str, Any]) -> Review:
    """The review of one `preview --json`."""
    steps = plan.get("steps") or []
    diagnostics = plan.get("diagnostics") or []
    review = Review(stack, "clean")
    review.warnings = _messages(diagnostics, "warning")
    review.errors = [m for m in _messages(diagnostics, "error") if m != PREVIEW_FAILED]
    on_server = _changed_on_server(steps)
    replaced = {s["urn"] for s in steps if s.get("op") == "replace"}
    for step in steps:
        op, urn = step.get("op"), step.get("urn", "")
        kind = _kind(step)
        if op not in CHANGING_OPS or not kind or kind in HIDDEN_TYPES:
            continue
        if op in ("create-replacement", "delete-replaced") and urn in replaced:
            continue
        review.changes.append(_change(step, kind, on_server.get(urn)))
    review.unchanged = _unchanged(steps, plan.get("changeSummary") or {})
    if code != 0 or review.errors:
        review.status = "error"
        if not review.errors:
            review.errors.append(f"pulumi preview exited {code}")
    elif review.changes:
        review.status = "changes"
    return review


def _unchanged(steps: Sequence[Mapping[str, Any]], counts: Mapping[str, int]) -> int:
    """Objects the plan leaves alone: the engine's count (its `same` steps are not all listed)
    less the stack itself and the hidden resources."""
    hidden = {s["urn"] for s in steps if _kind(s) in HIDDEN_TYPES}
    changing_hidden = {s["urn"] for s in steps if s["urn"] in hidden and s.get("op") in CHANGING_OPS}
    same = counts.get("same", 0)
    return max(same - (1 if same else 0) - len(hidden - changing_hidden), 0)


def _kind(step: Mapping[str, Any]) -> Optional[str]:
    """The short type of a Nexus-side resource (None: the stack, a provider)."""
    state = step.get("newState") or step.get("oldState") or {}
    full = state.get("type") or ""
    if not full or full.startswith("pulumi:"):
        return None
    return full.rsplit(":", 1)[-1]


def _change(step: Mapping[str, Any], kind: str, on_server: Optional[str]) -> Change:
    old = (step.get("oldState") or {}).get("inputs") or {}
    new = (step.get("newState") or {}).get("inputs") or {}
    op = step["op"]
    change = Change(step["urn"], kind, step["urn"].rsplit("::", 1)[-1], op,
                    replaced_for=list(step.get("replaceReasons") or []),
                    protected=bool((step.get("oldState") or {}).get("protect")) and op in ("replace", "delete"),
                    on_server=on_server)
    before = dict(leaves({k: v for k, v in old.items() if k not in HIDDEN_FIELDS}))
    after = dict(leaves({k: v for k, v in new.items() if k not in HIDDEN_FIELDS}))
    for path in sorted(set(before) | set(after), key=natural):
        was = shown(path, before.get(path)) if path in before else None
        will = shown(path, after.get(path)) if path in after else None
        change.every_field.append(Field(path, was, will, secret=MASK in (was, will)))
    if op in ("update", "replace"):
        change.fields = [f for f in change.every_field if f.before != f.after]
        change.because = _recreated_references(old.get(REFERENCES) or {}, new.get(REFERENCES) or {})
        secrets = [f for f in change.every_field if f.secret]
        if op == "update" and not change.fields and not change.because and secrets:
            change.secret_guess = True
            change.fields = secrets
    return change


def _recreated_references(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """`repository google-hub` for each object this one refers to that gets a new instance token
    (it is re-created: Nexus dropped this object's reference to it, so this one is written again)."""
    return [label.replace(":", " ", 1) for label in sorted(set(old) & set(new)) if old[label] != new[label]]


def _changed_on_server(steps: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """URNs of the objects the refresh found changed or deleted on the server since the last
    deployment: a refresh step holds what the state recorded, the step that changes the object
    starts from what the server answered (with `--run-program` the refresh step's own new state
    carries no outputs)."""
    recorded = {s["urn"]: _visible((s["oldState"] or {}).get("outputs")) for s in steps
                if s.get("op") == "refresh" and s.get("oldState")}
    found: dict[str, str] = {}
    for step in steps:
        urn, op = step.get("urn"), step.get("op")
        if urn not in recorded or op not in CHANGING_OPS:
            continue
        if op == "create":
            found[urn] = "deleted"
        elif step.get("oldState") and _visible(step["oldState"].get("outputs")) != recorded[urn]:
            found[urn] = "changed"
    return found


def _visible(outputs: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in (outputs or {}).items() if k not in HIDDEN_FIELDS}


def _messages(diagnostics: Sequence[Mapping[str, Any]], severity: str) -> list[str]:
    """The engine's messages of one severity, once each, without their `error: ` prefix."""
    found: dict[str, None] = {}
    for diagnostic in diagnostics:
        if diagnostic.get("severity") == severity:
            text = str(diagnostic.get("message", "")).strip()
            found.setdefault(text.split(": ", 1)[1] if text.startswith(f"{severity}: ") else text, None)
    return list(found)


SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "create-replacement": "+-",
           "delete-replaced": "+-", "import": "=", "discard": "<"}


def headline(review: Review) -> str:
    if review.status == "error":
        return f"Preview of stack '{review.stack}' failed: nothing can be said about its changes"
    if not review.changes:
        return f"Preview of stack '{review.stack}': no changes ({review.unchanged} objects unchanged)"
    counts = ", ".join(f"{n} to {op}" for op, n in review.counts.items())
    total = len(review.changes)
    return (f"Preview of stack '{review.stack}': {total} object{'s' if total != 1 else ''} change ({counts}); "
            f"{review.unchanged} unchanged")


def notes(change: Change) -> list[str]:
    """What a reviewer must know about a change beyond its fields."""
    found = []
    if change.replaced_for:
        found.append(f"re-created: Nexus cannot change {', '.join(change.replaced_for)} in place")
    if change.because:
        found.append(f"written again: {', '.join(change.because)} is re-created, and Nexus dropped the reference")
    if change.on_server == "changed":
        found.append("changed on the server since the last deployment: `up` puts the config back")
    if change.on_server == "deleted":
        found.append("deleted on the server since the last deployment: `up` creates it again")
    if change.protected:
        found.append("holds data: `make up` refuses this before any write (docs/ci.md, \"Deleting data\")")
    if change.secret_guess:
        found.append("a secret changed" if len(change.fields) == 1 else "one or more of these secrets changed")
    return found
