"""Issue 15 D2: renaming a repository in config.

Nexus has no rename (PUT with another name: "Renaming a repository is not supported"), and
connector ports and names are unique on the server. `renamedFrom: <old>` makes the stack's
resource of the old name this one (a Pulumi alias) and replaces it with the old repository
deleted first; a group that lists the new name converges in the same `up`. Without it, preview
sees the port held by a repository the config dropped and says what to add.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from components import client
from components.kinds.repositories.docker import DockerProxyProvider
from components.client import NexusError
from tests.conftest import configure
from tests.harness import PROJECT, changed_steps
from tests.samples import repository, seed_registry


def server_repositories(nexus: Any) -> dict[str, dict[str, Any]]:
    found = nexus.rest("GET", "/v1/repositorySettings", nexus.password).json()
    return {r["name"]: r for r in found}


def rename(values: dict[str, Any], old: str, new: str, **extra: Any) -> int:
    """Renames `old` to `new` in config (group members too); the port it keeps."""
    entry = repository(values, old)
    entry.update(name=new, **extra)
    for repo in values["repositories"]:
        if repo["type"] == "group":
            repo["members"] = [new if m == old else m for m in repo["members"]]
    return entry["httpPort"]


@pytest.mark.engine
def test_proxy_rename_with_its_group_member_converges_in_one_up(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()
    before = server_repositories(nexus)["google-hub"]

    port = rename(values, "google-hub", "gcr-hub")
    configure(workspace, nexus, values)
    nexus.clear_log()
    refused = workspace.preview()
    assert refused.code != 0
    assert (f"repositories[1].httpPort: port {port} is held on the server by repository 'google-hub', which this "
            "config does not declare. If 'gcr-hub' is 'google-hub' renamed, add `renamedFrom: google-hub` to "
            "this entry") in refused.output
    assert "Traceback" not in refused.output and nexus.writes() == []

    repository(values, "gcr-hub")["renamedFrom"] = "google-hub"
    configure(workspace, nexus, values)
    steps = {s["urn"].split("::")[-1]: s["op"] for s in changed_steps(workspace.preview_json())}
    assert steps.get("gcr-hub") == "replace" and steps.get("hub-group") == "update", steps
    nexus.clear_log()
    workspace.up()
    # The old repository goes first (its port and name are unique), then the group takes the new one.
    writes = [(w["method"], w["path"]) for w in nexus.writes()]
    assert writes[:3] == [("DELETE", "/service/rest/v1/repositories/google-hub"),
                          ("POST", "/service/rest/v1/repositories/docker/proxy"),
                          ("PUT", "/service/rest/v1/repositories/docker/group/hub-group")], writes
    repos = server_repositories(nexus)
    assert "google-hub" not in repos
    assert repos["gcr-hub"]["docker"]["httpPort"] == port
    assert repos["gcr-hub"]["proxy"] == before["proxy"] and repos["gcr-hub"]["storage"] == before["storage"]
    assert repos["hub-group"]["group"]["memberNames"] == ["docker-hub", "aliyun-hub", "gcr-hub", "ybcard"]
    assert sorted(r["urn"].split("::")[-1] for r in workspace.resources("nexus:DockerProxyRepository")) == [
        "aliyun-hub", "docker-hub", "gcr-hub"]

    assert changed_steps(workspace.preview_json()) == []
    assert workspace.refresh_check().code == 0


@pytest.mark.engine
def test_hosted_rename_needs_protect_false_and_says_the_images_go(workspace, nexus):
    values = seed_registry()
    configure(workspace, nexus, values)
    workspace.up()

    rename(values, "ybcard", "ybcard-v2", renamedFrom="ybcard")
    configure(workspace, nexus, values)
    nexus.clear_log()
    refused = workspace.preview()
    assert refused.code != 0
    assert ("repositories[3].renamedFrom: renaming hosted repository 'ybcard' deletes it with every image in it "
            "and creates 'ybcard-v2' empty: Nexus has no rename. To do that on purpose, set protect: false on "
            "this entry") in refused.output
    assert nexus.writes() == []

    repository(values, "ybcard-v2")["protect"] = False
    configure(workspace, nexus, values)
    workspace.up()
    repos = server_repositories(nexus)
    assert "ybcard" not in repos and repos["ybcard-v2"]["storage"]["writePolicy"] == "ALLOW"
    assert repos["hub-group"]["group"]["memberNames"][-1] == "ybcard-v2"
    assert changed_steps(workspace.preview_json()) == []


def test_a_port_conflict_nexus_reports_at_create_says_to_add_renamed_from(nexus):
    """When preview could not see it (a repository made after the preview), Nexus's answer
    "Port N is already in use by repository X" still ends with what to do."""
    values = seed_registry()
    held = repository(values, "google-hub")
    body = {"name": "google-hub", "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
            "proxy": {"remoteUrl": "https://gcr.io", "contentMaxAge": 1440, "metadataMaxAge": 1440},
            "negativeCache": {"enabled": True, "timeToLive": 1440},
            "httpClient": {"blocked": False, "autoBlock": True},
            "docker": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": held["httpPort"]},
            "dockerProxy": {"indexType": "REGISTRY"}}
    assert nexus.rest("POST", "/v1/repositories/docker/proxy", nexus.password, body).status_code == 201
    client.use_stack_config({f"{PROJECT}:nexus": json.dumps({"url": nexus.url}),
                             f"{PROJECT}:adminPassword": nexus.password})
    provider = DockerProxyProvider()
    spec = provider.check({}, {"name": "gcr-hub", "remoteUrl": "https://gcr.io", "httpPort": held["httpPort"]}).inputs
    with pytest.raises(NexusError) as refused:
        provider.create(spec)
    assert str(refused.value).endswith(
        f"Port {held['httpPort']} is already in use by repository google-hub. If 'gcr-hub' is 'google-hub' "
        "renamed, add `renamedFrom: google-hub` to its entry in repositories (the old one is then deleted "
        "first); otherwise give it another port.")
