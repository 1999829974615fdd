"""Docker hosted / proxy / group repositories through the real engine against the emulator."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import configure
from tests.harness import changed_inputs, changed_steps
from tests.samples import repository, seed_registry

pytestmark = pytest.mark.engine


def server_repo(nexus: Any, name: str) -> dict[str, Any]:
    found = [r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json()
             if r["name"] == name]
    assert found, f"repository {name} not on the server"
    return found[0]


def test_up_from_empty_matches_config_and_second_preview_is_empty(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()

    hub = server_repo(nexus, "docker-hub")
    assert hub["format"] == "docker" and hub["type"] == "proxy"
    assert hub["proxy"]["remoteUrl"] == "https://registry-1.docker.io"
    assert hub["dockerProxy"]["indexType"] == "HUB"
    assert hub["storage"]["blobStoreName"] == "docker-hub"
    assert hub["docker"]["httpPort"] == repository(values, "docker-hub")["httpPort"]
    assert hub["docker"]["v1Enabled"] is True
    assert hub["cleanup"]["policyNames"] == ["docker-unused-30d"]
    group = server_repo(nexus, "hub-group")
    assert group["group"]["memberNames"] == ["docker-hub", "aliyun-hub", "google-hub", "ybcard"]
    hosted = server_repo(nexus, "ybcard")
    assert hosted["storage"]["writePolicy"].upper() == "ALLOW"
    stores = {b["name"]: b for b in nexus.rest("GET", "/v1/blobstores", nexus.password).json()}
    assert {"docker-hub", "google-hub", "aliyun-hub", "ybcard"} <= set(stores)
    assert stores["docker-hub"]["softQuota"] == {"type": "spaceUsedQuota", "limit": 10240 * 1_000_000}

    assert changed_steps(workspace.preview_json()) == []
    drift = workspace.refresh_check()
    assert drift.code == 0, drift.output


def test_changed_field_updates_only_that_repository(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()
    repository(values, "google-hub")["contentMaxAge"] = 60
    configure(workspace, nexus, values)

    steps = changed_steps(workspace.preview_json())
    assert [(s["op"], s["urn"].split("::")[-1]) for s in steps] == [("update", "google-hub")]
    assert changed_inputs(steps[0]) == ["contentMaxAge"]
    nexus_log_start = len(nexus.requests()) if not nexus.is_live else 0
    workspace.up()
    assert server_repo(nexus, "google-hub")["proxy"]["contentMaxAge"] == 60
    if not nexus.is_live:
        writes = [r for r in nexus.requests()[nexus_log_start:] if r["method"] != "GET"]
        assert [(w["method"], w["path"]) for w in writes] == [
            ("PUT", "/service/rest/v1/repositories/docker/proxy/google-hub")]


def test_out_of_band_change_is_shown_by_refresh_and_reverted_by_up(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()
    doc = server_repo(nexus, "ybcard")
    body = {k: doc[k] for k in ("name", "online", "storage", "cleanup", "component", "docker")}
    body["online"] = False
    body["docker"]["forceBasicAuth"] = False
    assert nexus.rest("PUT", "/v1/repositories/docker/hosted/ybcard", nexus.password, body).status_code == 204

    drift = workspace.refresh_check()
    assert drift.code != 0
    assert "ybcard" in drift.output and "online" in drift.output and "forceBasicAuth" in drift.output

    preview = workspace.preview("--refresh")
    assert "online" in preview.output and "forceBasicAuth" in preview.output
    workspace.up("--refresh")
    assert server_repo(nexus, "ybcard")["online"] is True
    assert workspace.refresh_check().code == 0


def test_out_of_band_delete_is_recreated(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()
    assert nexus.rest("DELETE", "/v1/repositories/google-hub", nexus.password).status_code == 204

    assert workspace.refresh_check().code != 0
    result = workspace.up("--refresh")
    assert "google-hub" in result.output
    assert server_repo(nexus, "google-hub")["proxy"]["remoteUrl"] == "https://gcr.io"
    # Nexus removed it from the group when it was deleted; the group is put right again.
    assert "google-hub" in server_repo(nexus, "hub-group")["group"]["memberNames"]
    assert workspace.refresh_check().code == 0


def test_existing_repository_is_refused_without_adopt_and_taken_over_with_it(workspace, nexus):
    values = {"repositories": [{"name": "legacy", "type": "hosted", "writePolicy": "ALLOW_ONCE",
                                "v1Enabled": True}]}
    made_by_hand = {"name": "legacy", "online": True,
                    "storage": {"blobStoreName": "default", "strictContentTypeValidation": True,
                                "writePolicy": "ALLOW"},
                    "docker": {"v1Enabled": False, "forceBasicAuth": True}}
    assert nexus.rest("POST", "/v1/repositories/docker/hosted", nexus.password, made_by_hand).status_code == 201

    configure(workspace, nexus, values)
    refused = workspace.up(check=False)
    assert refused.code != 0
    assert "already exists" in refused.output and "adopt" in refused.output

    values["repositories"][0]["adopt"] = True
    configure(workspace, nexus, values)
    workspace.up()
    adopted = server_repo(nexus, "legacy")
    assert adopted["storage"]["writePolicy"].upper() == "ALLOW_ONCE"
    assert adopted["docker"]["v1Enabled"] is True
    assert changed_steps(workspace.preview_json()) == []
    assert workspace.refresh_check().code == 0


def test_hosted_repositories_and_blob_stores_are_protected(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()

    destroyed = workspace.pulumi("destroy", "--yes", "--skip-preview")
    assert destroyed.code != 0 and "protected" in destroyed.output
    names = {r["name"] for r in nexus.rest("GET", "/v1/repositories", nexus.password).json()}
    assert "ybcard" in names
    stores = {b["name"] for b in nexus.rest("GET", "/v1/blobstores", nexus.password).json()}
    assert "ybcard" in stores

    # Removing a hosted repository from config is refused too, until protect is turned off.
    values["repositories"] = [r for r in values["repositories"] if r["name"] != "ybcard"]
    repository(values, "hub-group")["members"].remove("ybcard")
    configure(workspace, nexus, values)
    refused = workspace.up(check=False)
    assert refused.code != 0 and "protected" in refused.output
    assert "ybcard" in {r["name"] for r in nexus.rest("GET", "/v1/repositories", nexus.password).json()}


def test_unprotected_hosted_repository_can_be_removed_explicitly(workspace, nexus):
    values = {"repositories": [{"name": "scratch", "type": "hosted", "protect": False}]}
    configure(workspace, nexus, values)
    workspace.up()
    configure(workspace, nexus, {"repositories": []})
    workspace.up()
    assert "scratch" not in {r["name"] for r in nexus.rest("GET", "/v1/repositories", nexus.password).json()}


def test_blob_store_change_replaces_an_unprotected_repository(workspace, nexus):
    values = {"blobStores": [{"name": "a", "type": "file"}, {"name": "b", "type": "file"}],
              "repositories": [{"name": "cache", "type": "proxy", "remoteUrl": "https://quay.io",
                                "blobStore": "a"}]}
    configure(workspace, nexus, values)
    workspace.up()
    values["repositories"][0]["blobStore"] = "b"
    configure(workspace, nexus, values)
    steps = changed_steps(workspace.preview_json())
    assert {s["op"] for s in steps if s["urn"].endswith("::cache")} >= {"delete-replaced", "create-replacement"} or \
        any(s["op"] == "replace" for s in steps)
    workspace.up()
    assert server_repo(nexus, "cache")["storage"]["blobStoreName"] == "b"
