"""`nexusctl verify <stack>`: after `pulumi up`, prove the registry works the way clients use it.

Runs the checks of components/verification.py for the stack's config (REST status, every
docker connector's /v2/ challenge, anonymous tokens where anonymous pull is declared, the
reverse proxy host with its TLS certificate) and prints one line per check.

Exit codes: 0 every check passed; 3 at least one check failed (each FAIL line says what is
wrong and what to do); 1 the checks could not run (no such stack, config unreadable);
2 usage error.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from components import verification
from components.config import StackConfig, expanded_values

from . import engine

EXIT_OK, EXIT_ERROR, EXIT_FAILED = 0, 1, 3


class StackError(Exception):
    """The stack or its config cannot be read; the message says what to do."""


def project_name(root: Path = engine.ROOT) -> str:
    """The config namespace: Pulumi prefixes every key with the project name."""
    return str(yaml.safe_load((root / "Pulumi.yaml").read_text())["name"])


def select_stack(stack: str, env: Mapping[str, str]) -> None:
    """Fails unless the stack exists in the backend (never creates one: checking an empty new
    stack would report a clean bill of health for nothing)."""
    done = engine.run(["stack", "select", stack], env=env, capture=True)
    if done.returncode != 0:
        raise StackError(f"no stack '{stack}' in the backend {env.get('PULUMI_BACKEND_URL', '(default)')}: "
                         f"{done.stderr.strip()}. Check PULUMI_BACKEND_URL and the stack name "
                         "(`pulumi stack ls`)")


def stack_values(stack: str, env: Mapping[str, str], show_secrets: bool = False) -> dict[str, Any]:
    """The stack's config as the program sees it, keyed without the project namespace. Secrets
    are left out unless `show_secrets` (then they only ever live in this process's memory)."""
    args = ["config", "--json", "--stack", stack, *(["--show-secrets"] if show_secrets else [])]
    done = engine.run(args, env=env, capture=True)
    if done.returncode != 0:
        raise StackError(f"cannot read the config of stack '{stack}': {done.stderr.strip()} "
                         "(secrets need PULUMI_CONFIG_PASSPHRASE or the stack's secrets provider)")
    prefix = f"{project_name()}:"
    values: dict[str, Any] = {}
    for key, entry in json.loads(done.stdout or "{}").items():
        if not key.startswith(prefix):
            continue
        # Structured values come parsed as objectValue; scalars (the admin password) as value.
        if "objectValue" in entry:
            values[key[len(prefix):]] = entry["objectValue"]
        elif "value" in entry:
            values[key[len(prefix):]] = entry["value"]
    if "nexus" not in values:
        raise StackError(f"stack '{stack}' has no nexus config: pulumi config set --path nexus.url "
                         "http://host:8081 --stack " + stack)
    return values


def default_ca_file(values: Mapping[str, Any]) -> Optional[str]:
    """The CA the reverse proxy bundle was written with (<outputDir>/ca.crt), if it is here."""
    proxy = values.get("reverseProxy") or {}
    if not proxy:
        return None
    candidate = engine.ROOT / proxy.get("outputDir", "reverse-proxy") / "ca.crt"
    return str(candidate) if candidate.exists() else None


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "verify", help="check a deployed stack works for docker clients (exit 0 ok, 3 broken, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    parser.add_argument("--connector-host", help="host of the docker connector ports (default: nexus.url's host)")
    parser.add_argument("--proxy-address", help="address to reach reverseProxy.registryHost on, keeping the name "
                        "for TLS and Host (default: listenAddress, else DNS)")
    parser.add_argument("--ca-file", help="CA bundle for TLS endpoints (default: <reverseProxy.outputDir>/ca.crt "
                        "when present, else the system trust store)")
    parser.add_argument("--no-reverse-proxy", action="store_true",
                        help="skip the checks through the reverse proxy host")
    parser.add_argument("--timeout", type=float, default=verification.DEFAULT_TIMEOUT,
                        help="seconds per HTTP call (default %(default)s)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON ('-' for stdout)")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    env = engine.environment(args.stack)
    try:
        select_stack(args.stack, env)
        # A config key holding any secret (security with its passwords) is only readable whole.
        values = stack_values(args.stack, env, show_secrets=True)
    except StackError as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return EXIT_ERROR
    expanded, _ = expanded_values(StackConfig(values, stack=args.stack))
    options = verification.Options(connector_host=args.connector_host, proxy_address=args.proxy_address,
                                   ca_file=args.ca_file or default_ca_file(values),
                                   reverse_proxy=not args.no_reverse_proxy, timeout=args.timeout)
    checks = verification.run_checks(expanded, options)
    for check in checks:
        print(check)
    broken = verification.failures(checks)
    print(f"\n{len(checks) - len(broken)} of {len(checks)} checks passed"
          + (f"; {len(broken)} failed" if broken else "") + f" (stack '{args.stack}')")
    if args.json:
        report = {"stack": args.stack, "ok": not broken,
                  "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}
        _write_json(args.json, report)
    return EXIT_FAILED if broken else EXIT_OK


def _write_json(target: str, report: Mapping[str, Any]) -> None:
    text = json.dumps(report, indent=2) + "\n"
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text)
