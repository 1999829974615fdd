"""Where the checking commands (drift, verify, unmanaged, disk) write: the scripting contract.

One spelling for all of them: `--format json` puts the JSON report alone on stdout and every
human line on stderr, so `nexusctl drift prod --format json | jq` never chokes on a summary;
`--format text` (the default) prints the human text on stdout. `--json FILE` also writes the
report to a file in either format (`--json -` is `--format json`, kept for existing scripts).
Problems that stop a command always go to stderr.

Every report carries `stack` and `status` (and `errors` when the command could not do its
job), so a caller can branch on one field whatever the command; the exit code says the same:
0 all good, 3 found something, 1 could not check, 2 usage error.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, TextIO

STDOUT = "-"


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default): the human report on stdout; json: the JSON report alone on stdout, "
                             "the human text on stderr")
    parser.add_argument("--json", metavar="FILE",
                        help="also write the JSON report to FILE ('-' means --format json)")


class Reporter:
    """The streams of one command run, chosen by --format / --json."""

    def __init__(self, args: argparse.Namespace, stdout: Optional[TextIO] = None,
                 stderr: Optional[TextIO] = None) -> None:
        self.json_out = args.format == "json" or args.json == STDOUT
        self.file = None if args.json in (None, STDOUT) else Path(args.json)
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    @property
    def human(self) -> TextIO:
        """The stream for the human report: stdout, unless stdout is reserved for JSON."""
        return self.stderr if self.json_out else self.stdout

    def say(self, text: str = "") -> None:
        print(text, file=self.human, flush=True)

    def problem(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)

    def report(self, document: Mapping[str, Any]) -> None:
        """The machine report: on stdout with --format json, and to the --json file."""
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if self.file is not None:
            self.file.write_text(text)
        if self.json_out:
            self.stdout.write(text)
            self.stdout.flush()

    def failed(self, stack: str, message: str, code: int) -> int:
        """The command could not do its job: the message on stderr, an error report for
        machines (so `--format json` always prints one JSON document), and the exit code."""
        self.problem(message)
        self.report({"stack": stack, "status": "error", "errors": [message]})
        return code
