"""`python -m tests.emulator --port PORT [--host H] [--data-dir DIR] [--nexus-version V]
[--edition community|pro] [--admin-password PW] [--skip-default-repositories]
[--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]`

Prints one line with the base URL once it accepts connections, then serves until killed.
Without --admin-password it behaves like a first start: a random admin password in
DIR/admin.password and, on Community Edition 3.77+, the EULA not yet accepted. With
--tls-cert/--tls-key the REST API is served over HTTPS only (like Jetty with jetty-https.xml);
--tls-client-ca also requires a client certificate signed by that CA (mutual TLS).
"""
from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .server import Emulator, server_tls_context
from .state import DEFAULT_VERSION, NexusState, Options, parse_version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", type=Path, help="like /nexus-data (default: a temp dir)")
    parser.add_argument("--nexus-version", default=DEFAULT_VERSION)
    parser.add_argument("--edition", choices=("community", "pro"), default="community")
    parser.add_argument("--admin-password", help="start as an already set-up instance")
    parser.add_argument("--skip-default-repositories", action="store_true",
                        help="like nexus.skipDefaultRepositories=true")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the certificate's PEM private key")
    parser.add_argument("--tls-client-ca", help="require client certificates signed by this PEM CA")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key) or (args.tls_client_ca and not args.tls_cert):
        parser.error("--tls-cert and --tls-key go together; --tls-client-ca needs them")
    try:
        tls = server_tls_context(args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    except (OSError, ValueError) as exc:
        parser.error(f"cannot load the TLS files: {exc}")
    try:
        parse_version(args.nexus_version)
    except ValueError:
        parser.error(f"--nexus-version must look like 3.86.0, got {args.nexus_version!r}")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="nexus-emulator-"))
    try:  # like Nexus with a fresh /nexus-data volume: the directory is made, parents too
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        parser.error(f"--data-dir {data_dir}: cannot create it: {err.strerror}")
    state = NexusState(Options(version=args.nexus_version, edition=args.edition,
                               admin_password=args.admin_password, data_dir=data_dir.resolve(),
                               skip_default_repositories=args.skip_default_repositories,
                               host=args.host))
    emulator = Emulator(state)
    emulator.serve(args.host, args.port, tls=tls)
    print(f"Nexus emulator {state.server_header} ready at {emulator.base_url} "
          f"(data dir {data_dir})", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    emulator.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
