"""`nexusctl disk`: blob store usage and soft quotas, with an exit code cron or CI can alert on."""
from __future__ import annotations

import json
from typing import Any

import pytest

from nexusctl.disk import EXIT_ERROR, EXIT_OK, EXIT_OVER_QUOTA, size, table
from tests.conftest import configure
from tests.harness import install_cli, nexusctl
from tests.samples import seed_registry

GB = 1_000_000_000


def test_sizes_and_table_read_like_the_nexus_ui():
    assert [size(v) for v in (None, 0, 999, 1000, 10_240_000_000, 2**63 - 1)] == \
        ["-", "0 B", "999 B", "1.00 KB", "10.24 GB", "unlimited"]
    stores = [
        {"name": "docker-hub", "type": "File", "blobCount": 12, "totalSizeInBytes": 11 * GB,
         "availableSpaceInBytes": 40 * GB, "unavailable": False,
         "softQuota": {"type": "spaceUsedQuota", "limit": 10 * GB},
         "quotaStatus": {"isViolation": True, "message": "Blob store docker-hub is using 11.00 GB"}},
        {"name": "s3-cache", "type": "S3", "blobCount": 0, "totalSizeInBytes": 0,
         "availableSpaceInBytes": 2**63 - 1, "unavailable": False, "softQuota": None, "quotaStatus": None},
    ]
    lines = table("prod", stores).splitlines()
    assert lines[0].split() == ["BLOB", "STORE", "TYPE", "BLOBS", "SIZE", "AVAILABLE", "SOFT", "QUOTA", "STATUS"]
    assert lines[1].split() == ["docker-hub", "File", "12", "11.00", "GB", "40.00", "GB", "used", "≤", "10.00",
                                "GB", "OVER", "QUOTA"]
    assert lines[2].split() == ["s3-cache", "S3", "0", "0", "B", "unlimited", "-", "ok"]
    assert "  docker-hub: Blob store docker-hub is using 11.00 GB" in lines
    assert lines[-1] == "2 blob stores in stack 'prod'; 1 over quota: docker-hub"


def usage(nexus: Any, name: str, used: int, available: int = 500 * GB) -> None:
    nexus.control("POST", "blobstore-usage", {"name": name, "blobCount": used // 10_000_000,
                                              "totalSizeInBytes": used, "availableSpaceInBytes": available})


@pytest.mark.engine
def test_exit_code_follows_the_quota_state(workspace, nexus, tmp_path):
    values = seed_registry()  # docker-hub: spaceUsedQuota of 10240 MB
    values["blobStores"][1]["softQuota"] = {"type": "spaceRemainingQuota", "limitMb": 20_000}
    configure(workspace, nexus, values)
    workspace.up()
    install_cli(workspace)
    usage(nexus, "docker-hub", 6 * GB)
    usage(nexus, "google-hub", 1 * GB, available=300 * GB)

    within = nexusctl(workspace, "disk", "test", "--format", "json")
    assert within.code == EXIT_OK, within.output
    report = json.loads(within.stdout)  # the JSON alone on stdout, the table on stderr
    assert report["status"] == "ok" and "none over quota" in within.stderr
    assert report["overQuota"] == [] and report["nexusUrl"] == nexus.url
    stores = {s["name"]: s for s in report["blobStores"]}
    assert set(stores) == {"default", "docker-hub", "google-hub", "aliyun-hub", "ybcard"}
    assert stores["docker-hub"]["totalSizeInBytes"] == 6 * GB and stores["docker-hub"]["blobCount"] == 600
    assert stores["docker-hub"]["softQuota"] == {"type": "spaceUsedQuota", "limit": 10_240_000_000}
    assert stores["docker-hub"]["quotaStatus"]["isViolation"] is False
    assert stores["ybcard"]["quotaStatus"] is None
    quota_calls = [r["path"] for r in nexus.requests() if r["path"].endswith("/quota-status")]
    assert sorted(quota_calls) == ["/service/rest/v1/blobstores/docker-hub/quota-status",
                                   "/service/rest/v1/blobstores/google-hub/quota-status"]

    usage(nexus, "docker-hub", 11 * GB)
    usage(nexus, "google-hub", 1 * GB, available=15 * GB)
    over = nexusctl(workspace, "disk", "test", "--json", str(tmp_path / "disk.json"))
    assert over.code == EXIT_OVER_QUOTA, over.output
    assert "OVER QUOTA" in over.stdout and "2 over quota: docker-hub, google-hub" in over.stdout
    assert "docker-hub: Blob store docker-hub is using 11.00 GB space and has a limit of 10.24 GB" in over.stdout
    assert json.loads((tmp_path / "disk.json").read_text())["overQuota"] == ["docker-hub", "google-hub"]
    assert nexus.password not in over.output + (tmp_path / "disk.json").read_text()

    configure(workspace, nexus, values, retries=0, url="http://127.0.0.1:9")
    unreachable = nexusctl(workspace, "disk", "test", "--format", "json")
    assert unreachable.code == EXIT_ERROR and "no answer from http://127.0.0.1:9" in unreachable.stderr
    assert json.loads(unreachable.stdout)["status"] == "error"  # a machine caller still gets one JSON document
