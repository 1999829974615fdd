"""`python -m nexusctl <command>`: the project's command line.

Every module in this package that defines `register(subparsers)` adds its own command(s); the
registered parser default `run(args) -> int` does the work and gives the exit code.

`-v` / `--verbose` (before or after the command; `-vv` for more) turns on the HTTP trace of every
call to Nexus (components/trace.py): on stderr for the command's own calls, and through
NEXUS_RAC_TRACE for the providers of the pulumi runs it starts, whose trace lines are shown
with pulumi's output (or, when the command reads that output itself, on stderr).
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import components
import nexusctl
from components import trace


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexusctl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbose = {"action": "count", "help": "trace every HTTP call to Nexus (method, URL, status, time, retries; "
                                          f"-vv: with masked JSON bodies); the same as {trace.SWITCH}=1 or 2"}
    parser.add_argument("-v", "--verbose", default=0, **verbose)
    parser.add_argument("--version", action="version", version=version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(nexusctl.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"nexusctl.{module.name}")
        if hasattr(loaded, "register"):
            loaded.register(commands)
    _verbose_after(parser, verbose)
    return parser


def version() -> str:
    """`nexusctl --version`: the package's one version, and which copy of the library runs."""
    where = f"checkout {nexusctl.CHECKOUT}" if nexusctl.IN_CHECKOUT else "installed"
    return f"nexusctl {components.__version__} (nexus-registry, {where})"


def _verbose_after(parser: argparse.ArgumentParser, options: dict[str, str]) -> None:
    """`-v` after a command too (`make drift ARGS=-v` appends it), nested ones included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in set(action.choices.values()):
                command.add_argument("-v", "--verbose", default=argparse.SUPPRESS, **options)
                _verbose_after(command, options)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:  # the providers of every pulumi run started from here inherit it
        os.environ[trace.SWITCH] = str(min(args.verbose, 2))
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
