"""Endpoints a version or edition lacks answer like unknown paths, before any auth check."""
from __future__ import annotations

import pytest
import requests

from tests.emulator.testing import ADMIN, Emulators, Nexus


@pytest.fixture
def old_nexus(emulators: Emulators) -> Nexus:
    return emulators.get("3.68.1", "community")


@pytest.mark.parametrize("path", ["/v1/cleanup-policies", "/v1/security/ssrf-protection", "/v1/system/eula",
                                  "/v1/capabilities"])
@pytest.mark.parametrize("auth", [None, ADMIN], ids=["anonymous", "admin"])
def test_missing_endpoints_are_unknown_paths_with_or_without_credentials(old_nexus, path, auth):
    answer = requests.get(f"{old_nexus.base_url}/service/rest{path}", auth=auth, timeout=5)
    assert answer.status_code == 404


@pytest.mark.parametrize("auth", [None, ADMIN], ids=["anonymous", "admin"])
def test_task_creation_before_its_api_is_405_with_allow(old_nexus, auth):
    answer = requests.post(f"{old_nexus.base_url}/service/rest/v1/tasks", json={}, auth=auth, timeout=5)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "HEAD,GET,OPTIONS"


def test_a_known_endpoint_still_needs_credentials(old_nexus):
    # BlobStoreResource: @RequiresAuthentication @RequiresPermissions("nexus:blobstores:read").
    # (/v1/repositories carries no annotation: it answers what the caller may browse.)
    assert requests.get(f"{old_nexus.base_url}/service/rest/v1/blobstores", timeout=5).status_code == 403
