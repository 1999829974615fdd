"""Stack configs used by the engine tests: seed 004's registry with free connector ports."""
from __future__ import annotations

import os
import random
import socket
from typing import Any


def _port_range() -> tuple[int, int]:
    """Below Linux's ephemeral range (32768-60999): a port handed out by bind(0) can be taken by
    any outgoing connection's local end before the emulator listens on it. Each pytest-xdist
    worker gets a slice of its own: a port is only checked free, not held, until the emulator
    opens the connector, so two workers drawing from one range could both pick it and one
    test would then talk to the other's connector."""
    low, high = 20000, 32000
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    width = (high - low) // max(count, 1)
    return low + index * width, low + (index + 1) * width


_PORT_RANGE = _port_range()
_HANDED_OUT: set[int] = set()  # never twice in one process: stacks are built from several calls


def free_ports(count: int) -> list[int]:
    """Ports nobody uses now, outside the ephemeral range (the emulator opens docker
    connectors on them, like Nexus does on the ports a repository declares)."""
    ports: list[int] = []
    for port in random.sample(range(*_PORT_RANGE), k=min(count * 20, _PORT_RANGE[1] - _PORT_RANGE[0])):
        if len(ports) == count:
            break
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        _HANDED_OUT.add(port)
    if len(ports) < count:
        raise RuntimeError(f"found only {len(ports)} free ports of {count}")
    return ports


def seed_registry() -> dict[str, Any]:
    """Per-proxy blob stores, Docker Hub / GCR / a mirror, a hosted repo, a group over all."""
    group, hub, gcr, mirror, hosted = free_ports(5)
    return {
        "blobStores": [
            {"name": "docker-hub", "type": "file", "softQuota": {"type": "spaceUsedQuota", "limitMb": 10240}},
            {"name": "google-hub", "type": "file"},
            {"name": "aliyun-hub", "type": "file"},
            {"name": "ybcard", "type": "file"},
        ],
        "cleanupPolicies": [
            {"name": "docker-unused-30d", "format": "docker", "lastDownloadedDays": 30,
             "notes": "cached images nobody pulled for 30 days"},
        ],
        "repositories": [
            {"name": "docker-hub", "type": "proxy", "remoteUrl": "https://registry-1.docker.io",
             "indexType": "HUB", "blobStore": "docker-hub", "httpPort": hub, "v1Enabled": True,
             "cleanupPolicies": ["docker-unused-30d"]},
            {"name": "google-hub", "type": "proxy", "remoteUrl": "https://gcr.io",
             "blobStore": "google-hub", "httpPort": gcr, "cleanupPolicies": ["docker-unused-30d"]},
            {"name": "aliyun-hub", "type": "proxy", "remoteUrl": "https://registry.cn-hangzhou.aliyuncs.com",
             "blobStore": "aliyun-hub", "httpPort": mirror},
            {"name": "ybcard", "type": "hosted", "blobStore": "ybcard", "httpPort": hosted,
             "writePolicy": "ALLOW"},
            {"name": "hub-group", "type": "group", "httpPort": group,
             "members": ["docker-hub", "aliyun-hub", "google-hub", "ybcard"]},
        ],
    }


def repository(values: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in values["repositories"] if r["name"] == name)


# --- every format --------------------------------------------------------------------------
# Test-only signing key material: the emulator stores it and never checks it is a real key.
FAKE_KEYPAIR = "-----BEGIN PGP PRIVATE KEY BLOCK-----\ntest-only\n-----END PGP PRIVATE KEY BLOCK-----"
# The blocks a format and type needs beyond the schema's defaults (fields without a default).
NEEDED_BLOCKS: dict[tuple[str, str], dict[str, Any]] = {
    ("apt", "hosted"): {"apt": {"distribution": "bookworm"},
                        "aptSigning": {"keypair": FAKE_KEYPAIR, "passphrase": "apt-passphrase"}},
    ("apt", "proxy"): {"apt": {"distribution": "bookworm"}},
    ("alpine", "proxy"): {"alpineSigning": {"keypair": FAKE_KEYPAIR}},
    ("alpine", "group"): {"alpineSigning": {"keypair": FAKE_KEYPAIR}},
    ("terraform", "hosted"): {"terraformSigning": {"keypair": FAKE_KEYPAIR}},
}
SIGNING_BLOCKS = ("aptSigning", "yumSigning", "alpineSigning", "terraformSigning")


def format_entry(fmt: str, repo_type: str, name: str, members: tuple[str, ...] = ()) -> dict[str, Any]:
    """A minimal repository entry of one format and type (a group with the given members)."""
    entry: dict[str, Any] = {"name": name, "type": repo_type, "format": fmt}
    if repo_type == "proxy":
        entry["remoteUrl"] = f"https://{fmt}.example.org/"
    if repo_type == "group":
        entry["members"] = list(members)
    entry.update({k: dict(v) for k, v in NEEDED_BLOCKS.get((fmt, repo_type), {}).items()})
    return entry


def every_format(offered: dict[str, list[str]]) -> list[dict[str, Any]]:
    """One repository of every format and type offered (format -> types), docker included
    (on its own connector ports); each group has the format's hosted and proxy ones as members.
    Names are `all-<format>-<type>`: Nexus ships maven-central, nuget-group, ... of its own."""
    repos: list[dict[str, Any]] = []
    for fmt, types in sorted(offered.items()):
        names = {t: f"all-{fmt}-{t}" for t in types}
        for repo_type in types:
            if repo_type == "group":
                continue
            entry = format_entry(fmt, repo_type, names[repo_type])
            if fmt == "docker":
                entry.pop("format")
                entry["httpPort"] = free_ports(1)[0]
            repos.append(entry)
        if "group" in types:
            members = tuple(names[t] for t in ("hosted", "proxy") if t in types)
            entry = format_entry(fmt, "group", names["group"], members)
            if fmt == "docker":
                entry.pop("format")
            repos.append(entry)
    return repos


def secret_paths_of(repos: list[dict[str, Any]]) -> dict[str, str]:
    """`--path` config keys of the signing secrets in a repositories list, with their values."""
    return {f"repositories[{i}].{block}.{field}": value for i, repo in enumerate(repos)
            for block in SIGNING_BLOCKS if block in repo for field, value in repo[block].items()}
