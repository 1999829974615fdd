"""`python -m nexusctl <command>`; see `python -m nexusctl --help`."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nexusctl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the local stack against a fresh emulator")
    passthrough = commands.add_parser("pulumi", help="run a pulumi command on a stack, offline")
    passthrough.add_argument("stack")
    passthrough.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from . import demo
        return demo.main()
    if args.command == "pulumi":
        from . import engine
        env = engine.environment(args.stack)
        engine.ensure_stack(args.stack, env)
        return engine.run(args.args, stack=args.stack, env=env).returncode
    return 2


if __name__ == "__main__":
    sys.exit(main())
