"""Stack configs used by the engine tests: seed 004's registry with free connector ports."""
from __future__ import annotations

import socket
from typing import Any


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on now (the emulator opens docker connectors on them)."""
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
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
