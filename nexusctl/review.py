"""`nexusctl review <stack>`: a preview a reviewer can read — only the objects that change, and only
the fields that change, secrets masked (nexusctl/plan.py); the pull-request comment of
.github/workflows/preview.yml.

Runs the project's preview (`nexusctl pulumi <stack> preview`: compared with what Nexus holds now,
`--refresh --run-program`) as `--json`, whose steps carry each resource's inputs before and after.
Output: the human summary on stdout (`--format json`: the JSON report there instead, the summary
on stderr); `--markdown FILE` writes the pull-request comment: a table of the changes, the
engine's warnings, the full diff of every changed object in a collapsed block, and, when the
preview failed, the engine's own words (policy violations included). GitHub takes comments of
up to 65536 characters: the comment is cut where it stays readable — first the full diff, object
by object from the end, then table rows — each time saying how many were left out (the job log
has everything). Exit codes: 0 no changes, 3 changes to review, 1 the preview failed or could
not run, 2 usage (an unknown stack).
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Mapping, Sequence

from . import engine, guard, recovery, report
from .fields import MASK, show
from .plan import SYMBOLS, Change, Field, Review, analyse, headline, notes

EXIT_CLEAN, EXIT_ERROR, EXIT_CHANGES = 0, 1, 3
ENGINE_OUTPUT_LIMIT = 20000  # characters of the engine's own words when the preview failed
DESTRUCTIVE = frozenset({"replace", "delete", "create-replacement", "delete-replaced"})


# --- the human summary ---------------------------------------------------------------------------
def summary(review: Review, full: bool = False) -> str:
    """The review in plain text; `full`: with every field of every changed object after it."""
    lines = [headline(review)]
    if review.status == "error":
        lines += [f"  {e}" for e in review.errors]
        if review.engine_output:
            lines += ["", review.engine_output]
        return "\n".join(lines)
    for change in review.changes:
        lines.append(f"  {SYMBOLS.get(change.op, '?')} {change.type} {change.name}: {change.op}")
        lines += [f"      ({note})" for note in notes(change)]
        if not change.secret_guess:
            lines += [f"      {f.text}" for f in change.fields]
        else:
            lines += [f"      {f.path}: {MASK}" for f in change.fields]
    lines += [f"  warning: {w}" for w in review.warnings]
    if full and review.changes:
        lines += ["", "Full diff (every field of the changed objects; - now, + after `up`):"]
        lines += [_block(c) for c in review.changes]
    return "\n".join(lines)


# --- the pull-request comment ------------------------------------------------------------------
def markdown(review: Review, limit: int = 60000) -> str:
    """The comment body (without the workflow's marker and run link)."""
    head = [f"### {_sentence(headline(review))}", ""]
    if review.status == "error":
        return _failed(review, head, limit)
    if not review.changes:
        return "\n".join(head + _warnings(review)).rstrip() + "\n"
    rows = [_row(c) for c in review.changes]
    blocks = [_block(c) for c in review.changes]
    table_head = ["| Change | Object | What changes |", "|---|---|---|"]
    warnings = _warnings(review)
    fixed = len("\n".join(head + table_head + warnings)) + 400  # the details frame and the notes

    kept_rows = _fitting(rows, limit - fixed)
    body = head + table_head + rows[:kept_rows]
    if kept_rows < len(rows):
        body.append(f"| … | {len(rows) - kept_rows} more objects | listed in the job log |")
    body += [""] + warnings
    room = limit - len("\n".join(body)) - 400
    kept_blocks = _fitting(blocks, room) if kept_rows == len(rows) else 0
    if kept_blocks:
        count = len(review.changes)
        body += ["<details><summary>Full diff: every field of the "
                 f"{count} changed object{'s' if count != 1 else ''} (secrets masked)</summary>", "",
                 "```diff", *blocks[:kept_blocks], "```"]
        if kept_blocks < len(blocks):
            body.append(f"… and {len(blocks) - kept_blocks} more objects: the job log has them (`review --full`).")
        body += ["</details>"]
    elif blocks:
        body.append("_The full diff is too long for a comment: the job log has it (`review --full`)._")
    return "\n".join(body).rstrip() + "\n"


def _sentence(text: str) -> str:
    """The headline with the stack's name as code."""
    return re.sub(r"stack '([^']+)'", lambda m: f"stack {code(m.group(1))}", text, count=1)


def _fitting(parts: list[str], room: int) -> int:
    """How many of the parts (in order) fit in `room` characters."""
    used = 0
    for index, part in enumerate(parts):
        used += len(part) + 1
        if used > room:
            return index
    return len(parts)


def _row(change: Change) -> str:
    op = f"**{change.op}**" if change.op in DESTRUCTIVE else change.op
    lock = " 🔒" if change.protected else ""
    cells = [f"_{cell(n)}_" for n in notes(change)]
    if change.secret_guess:
        cells += [f"{code(f.path)}: {code(MASK)}" for f in change.fields]
    else:
        cells += [_field(f) for f in change.fields]
    if change.op == "create" and not cells:
        cells = ["new"]
    if change.op == "delete" and not change.protected:
        cells.append("removed from Nexus")
    return f"| {op}{lock} | {cell(change.type)} {code(change.name)} | {'<br>'.join(cells) or '—'} |"


def _field(f: Field) -> str:
    """`path`: `before` → `after`, values as code."""
    path, _, rest = f.describe(lambda value: code(show(value))).partition(": ")
    return f"{code(path)}: {rest}"


def _block(change: Change) -> str:
    """One object in a ```diff block: `-` what goes, `+` what comes, the rest as context."""
    lines = [f"@@ {change.op} {change.type} {change.name} @@"]
    for f in change.every_field:
        if change.secret_guess and f.secret:
            lines.append(f"! {f.path}: {MASK} (changed)")
        elif f.before == f.after:
            lines.append(f"  {f.path}: {show(f.before)}")
        else:
            if f.before is not None:
                lines.append(f"- {f.path}: {show(f.before)}")
            if f.after is not None:
                lines.append(f"+ {f.path}: {show(f.after)}")
    return "\n".join(line.replace("```", "'''") for line in lines)


def _warnings(review: Review) -> list[str]:
    if not review.warnings:
        return []
    return ["**Warnings from the preview**", "", *[f"- {cell(w)}" for w in review.warnings], ""]


def _failed(review: Review, head: list[str], limit: int) -> str:
    body = head + [f"- {cell(e)}" for e in review.errors]
    output = review.engine_output
    room = min(ENGINE_OUTPUT_LIMIT, max(limit - len("\n".join(body)) - 400, 0))
    if len(output) > room:
        output = "… (the start is cut; the job log has all of it)\n" + output[-room:]
    if output:
        body += ["", "<details open><summary>The engine's output</summary>", "", "```",
                 output.replace("```", "'''"), "```", "</details>"]
    return "\n".join(body).rstrip() + "\n"


def code(text: str) -> str:
    """Inline code that survives a table cell: backticks fenced, pipes escaped."""
    text = str(text).replace("|", "\\|").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if fence != "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """Plain text in a table cell: pipes escaped, one line, no HTML."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


# --- the command ---------------------------------------------------------------------------------
def run_preview(stack: str, env: Mapping[str, str], policy_packs: Sequence[str],
                policy_configs: Sequence[str]) -> Review:
    """The project's preview of the stack (compared with the server), as a review."""
    flags = [f for pack in policy_packs for f in ("--policy-pack", pack)] + \
        [f for config in policy_configs for f in ("--policy-pack-config", config)]
    args = guard.with_refresh(["preview", *flags])
    done = engine.run([*args, "--json"], stack=stack, env=env, capture=True)
    try:
        plan = json.loads(done.stdout or "{}")
    except ValueError:
        plan = {}
    review = analyse(stack, done.returncode, plan)
    if review.status == "error":
        # The JSON names no policy violation (only "preview failed"): the engine's text does.
        shown_run = engine.run(args, stack=stack, env=env, capture=True)
        review.engine_output = f"{shown_run.stdout}{shown_run.stderr}".strip()
    return review


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "review", help="the changes a preview of the stack would make, for a pull request (exit 0 none, "
                       "3 changes, 1 failed)", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    parser.add_argument("--policy-pack", action="append", default=[], metavar="DIR",
                        help="run the preview with this policy pack (repeatable), e.g. policy")
    parser.add_argument("--policy-pack-config", action="append", default=[], metavar="FILE",
                        help="config of the policy pack of the same position")
    parser.add_argument("--markdown", metavar="FILE", help="write the pull-request comment (Markdown) to FILE")
    parser.add_argument("--full", action="store_true",
                        help="the text report ends with every field of every changed object (the comment's full diff)")
    parser.add_argument("--max-chars", type=int, default=60000,
                        help="the comment's size limit (GitHub takes 65536 characters); the full diff is cut first")
    report.add_options(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    env = engine.environment(args.stack)
    try:
        engine.check_config_size(args.stack)
    except engine.StackError as exc:
        return out.failed(args.stack, f"nexusctl review: {exc}", EXIT_ERROR)
    recovery.recover(args.stack, engine.project_name(), env)
    problem = guard.open_stack(args.stack, env, create=False)
    if problem:
        return out.failed(args.stack, f"nexusctl review: {problem}", guard.EXIT_USAGE)
    review = run_preview(args.stack, env, args.policy_pack, args.policy_pack_config)
    if args.markdown:
        Path(args.markdown).write_text(markdown(review, args.max_chars))
    if review.status == "error":
        out.problem(summary(review))
    else:
        out.say(summary(review, full=args.full))
    out.report(asdict(review))
    return {"clean": EXIT_CLEAN, "changes": EXIT_CHANGES}.get(review.status, EXIT_ERROR)
