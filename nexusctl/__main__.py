"""`python -m nexusctl <command>`: the project's command line.

Every module in this package that defines `register(subparsers)` adds its own command(s); the
registered parser default `run(args) -> int` does the work and gives the exit code.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import nexusctl


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexusctl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(nexusctl.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"nexusctl.{module.name}")
        if hasattr(loaded, "register"):
            loaded.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
