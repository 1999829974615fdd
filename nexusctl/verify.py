"""`nexusctl verify <stack>`: after `pulumi up`, prove the registry works the way clients use it.

Runs the checks of components/verification.py for the stack's config (REST status, every
docker connector's /v2/ challenge, anonymous tokens where anonymous pull is declared, the
reverse proxy host with its TLS certificate) and prints one line per check.

Output: one line per check on stdout; with `--format json` the JSON report alone on stdout and
the lines on stderr (nexusctl/report.py).

Exit codes: 0 every check passed; 3 at least one check failed (each FAIL line says what is
wrong and what to do); 1 the checks could not run (no such stack, config unreadable);
2 usage error.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Mapping, Optional

from components.config import expanded_values
from components.connection import TrustError, insecure_warning
from components.stack_config import StackConfig
from components.standup import verification
from components.standup.reverse_proxy import bundle_dir

from . import engine, report
from .engine import EXIT_ERROR, EXIT_FOUND as EXIT_FAILED, EXIT_OK, StackError


def default_ca_file(values: Mapping[str, Any], stack: str) -> Optional[str]:
    """The CA the reverse proxy bundle was written with (ca.crt in reverseProxy.outputDir or the
    stack's directory outside the checkout), if it is on this machine."""
    proxy = values.get("reverseProxy") or {}
    if not proxy:
        return None
    directory = bundle_dir(proxy.get("outputDir"), engine.project_name(), stack, engine.ROOT)
    candidate = directory / "ca.crt"
    return str(candidate) if candidate.exists() else None


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "verify", help="check a deployed stack works for docker clients (exit 0 ok, 3 broken, 1 error)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    parser.add_argument("--connector-host", help="host of the docker connector ports (default: nexus.url's host)")
    parser.add_argument("--proxy-address", help="address to reach reverseProxy.registryHost on, keeping the name "
                        "for TLS and Host (default: listenAddress, else DNS)")
    parser.add_argument("--ca-file", help="CA bundle for TLS endpoints (default: ca.crt of the reverse proxy bundle "
                        "when present, else the system trust store)")
    parser.add_argument("--no-reverse-proxy", action="store_true",
                        help="skip the checks through the reverse proxy host")
    parser.add_argument("--timeout", type=float, default=verification.DEFAULT_TIMEOUT,
                        help="seconds per HTTP call (default %(default)s)")
    report.add_options(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    out = report.Reporter(args)
    try:
        # A config key holding any secret (security with its passwords) is only readable whole.
        env, values = engine.deployed_stack(args.stack)
        trust = engine.nexus_connection(args.stack, env, values).trust
        nexus_context = trust.context() if trust.configured else None
    except (StackError, TrustError) as exc:
        return out.failed(args.stack, f"verify: {exc}", EXIT_ERROR)
    if trust.insecure:
        print(f"warning: {insecure_warning(values['nexus']['url'])}", file=sys.stderr)
    expanded, _ = expanded_values(StackConfig(values, stack=args.stack))
    options = verification.Options(connector_host=args.connector_host, proxy_address=args.proxy_address,
                                   ca_file=args.ca_file or default_ca_file(values, args.stack),
                                   nexus_context=nexus_context,
                                   reverse_proxy=not args.no_reverse_proxy, timeout=args.timeout)
    checks = verification.run_checks(expanded, options)
    for check in checks:
        out.say(str(check))
    broken = verification.failures(checks)
    out.say(f"\n{len(checks) - len(broken)} of {len(checks)} checks passed"
            + (f"; {len(broken)} failed" if broken else "") + f" (stack '{args.stack}')")
    out.report({"stack": args.stack, "status": "failed" if broken else "ok", "ok": not broken,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]})
    return EXIT_FAILED if broken else EXIT_OK
