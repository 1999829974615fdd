"""`nexusctl disk <stack>`: how full is each blob store, and is any over its soft quota?

Reads the stack's connection settings from its config (`pulumi config --show-secrets`), then
Nexus's blob store list (size, blob count, available space, quota) and, for each store with a
soft quota, its quota status. Prints a table on stdout; `--format json` prints the JSON report
alone on stdout and the table on stderr, `--json FILE` also writes it to a file
(nexusctl/report.py). Meant for cron or CI: soft quotas never block writes, so someone has to
look, and the exit code says when.

Exit codes: 0 every blob store is within its quota; 3 at least one is over its soft quota (the
table marks it and shows Nexus's message); 1 the report could not be made (no such stack,
config unreadable, Nexus unreachable); 2 usage error.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from components.client import NexusClient, NexusError
from components.kinds.blob_stores import LIST_PATH, quota_status_path

from . import engine, report
from .engine import StackError

EXIT_OK, EXIT_ERROR, EXIT_OVER_QUOTA = 0, 1, 3
UNLIMITED = 2**63 - 1  # what S3 stores report as available space
QUOTA_LABELS = {"spaceUsedQuota": "used ≤", "spaceRemainingQuota": "free ≥"}


def connect(stack: str, env: Mapping[str, str], values: Mapping[str, Any]) -> NexusClient:
    """A client for the stack's Nexus (the admin password only ever lives in this process)."""
    return NexusClient(engine.nexus_connection(stack, env, values))


def size(value: Optional[int]) -> str:
    """Decimal units, as the Nexus UI shows them."""
    if value is None:
        return "-"
    if value >= UNLIMITED:
        return "unlimited"
    if value < 1000:
        return f"{value} B"
    amount = float(value)
    for unit in ("KB", "MB", "GB", "TB"):
        amount /= 1000
        if amount < 1000:
            return f"{amount:.2f} {unit}"
    return f"{amount / 1000:.2f} PB"


def collect(client: NexusClient) -> list[dict[str, Any]]:
    """Every blob store with its usage and, when it has a soft quota, Nexus's verdict."""
    stores = []
    for store in client.get_json(LIST_PATH) or []:
        entry = {k: store.get(k) for k in ("name", "type", "blobCount", "totalSizeInBytes",
                                           "availableSpaceInBytes", "softQuota")}
        entry["unavailable"] = bool(store.get("unavailable", False))
        entry["quotaStatus"] = None
        if store.get("softQuota"):
            status = client.get_json(quota_status_path(store["name"])) or {}
            entry["quotaStatus"] = {"isViolation": bool(status.get("isViolation")),
                                    "message": status.get("message", "")}
        stores.append(entry)
    return sorted(stores, key=lambda s: str(s["name"]).lower())


def over_quota(stores: list[dict[str, Any]]) -> list[str]:
    return [s["name"] for s in stores if (s["quotaStatus"] or {}).get("isViolation")]


def table(stack: str, stores: list[dict[str, Any]]) -> str:
    rows = [("BLOB STORE", "TYPE", "BLOBS", "SIZE", "AVAILABLE", "SOFT QUOTA", "STATUS")]
    for store in stores:
        quota = store["softQuota"] or {}
        status = ("OVER QUOTA" if (store["quotaStatus"] or {}).get("isViolation")
                  else "unavailable" if store["unavailable"] else "ok")
        rows.append((str(store["name"]), str(store["type"]), str(store["blobCount"]),
                     size(store["totalSizeInBytes"]), size(store["availableSpaceInBytes"]),
                     f"{QUOTA_LABELS.get(quota.get('type'), quota.get('type'))} {size(quota.get('limit'))}"
                     if quota else "-", status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 2 or i == 6 else cell.rjust(widths[i])
                       for i, cell in enumerate(row)).rstrip() for row in rows]
    over = over_quota(stores)
    for store in stores:
        if store["name"] in over:
            lines.append(f"  {store['name']}: {store['quotaStatus']['message']}")
    lines.append(f"\n{len(stores)} blob stores in stack '{stack}'; "
                 + (f"{len(over)} over quota: {', '.join(over)}" if over else "none over quota"))
    return "\n".join(lines)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "disk", help="blob store usage and soft quotas (exit 0 ok, 3 over quota, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    report.add_options(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    try:
        env, values = engine.deployed_stack(args.stack)
        stores = collect(connect(args.stack, env, values))
    except (StackError, NexusError) as exc:
        return out.failed(args.stack, f"disk: {exc}", EXIT_ERROR)
    over = over_quota(stores)
    out.say(table(args.stack, stores))
    out.report({"stack": args.stack, "status": "overQuota" if over else "ok", "nexusUrl": values["nexus"]["url"],
                "checkedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "overQuota": over, "blobStores": stores})
    return EXIT_OVER_QUOTA if over else EXIT_OK
