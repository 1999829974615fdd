"""`nexusctl email verify <stack> <address>`: does Nexus's mail work? Nexus sends its "Email
configuration verification" message to the address with the settings it holds now (the `email`
section after `pulumi up`), so the whole path is checked: Nexus → SMTP server → mailbox.

A check command, never run by `pulumi up` (a deployment should not send mail). The report says
whether Nexus could hand the mail to the SMTP server and, if not, Nexus's reason; whether it
arrives is for the mailbox to say. `--format json` prints the JSON report alone on stdout.

Exit codes: 0 Nexus sent the mail; 3 Nexus could not send it (the reason is in the report); 1 the
check could not be made (no such stack, Nexus unreachable); 2 usage error.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone

from components.client import NexusClient, NexusError
from components.kinds.email_server import verify

from . import engine, report
from .engine import StackError

EXIT_OK, EXIT_ERROR, EXIT_NOT_SENT = 0, 1, 3


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("email", help="email server checks")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "verify", help="have Nexus send a test mail (exit 0 sent, 3 not sent, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("stack")
    check.add_argument("address", help="where Nexus sends the test mail")
    report.add_options(check)
    check.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    try:
        env, values = engine.deployed_stack(args.stack)
        client = NexusClient(engine.nexus_connection(args.stack, env, values))
        result = verify(client, args.address)
    except (StackError, NexusError) as exc:
        return out.failed(args.stack, f"email verify: {exc}", EXIT_ERROR)
    if result["success"]:
        out.say(f"Nexus sent a test mail to {args.address} (stack '{args.stack}'); check that it arrived.")
    else:
        out.say(f"Nexus could not send a test mail to {args.address} (stack '{args.stack}'): {result['reason']}")
    out.report({"stack": args.stack, "status": "sent" if result["success"] else "notSent",
                "nexusUrl": values["nexus"]["url"], "address": args.address,
                "checkedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"), **result})
    return EXIT_OK if result["success"] else EXIT_NOT_SENT
