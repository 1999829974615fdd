"""`nexusctl adopt`: a Nexus set up by hand like seed 004's (plus anonymous pull, a CI robot, an
S3 store and Docker Hub credentials) becomes a stack that `pulumi up` takes over unchanged."""
from __future__ import annotations

import shlex
import subprocess
from typing import Any

import pytest
import requests
import yaml

from nexusctl import adopt
from tests.harness import changed_steps, install_cli, nexusctl, pulumi_binary
from tests.samples import free_ports

pytestmark = pytest.mark.engine
S3_SECRET, HUB_TOKEN = "S3-Secret-Key-1", "Hub-Token-1"
# The only successful writes `up` makes while adopting: these providers' create always PUTs the
# whole setting (the same values here), see the report on provider.py.


def set_up_by_hand(nexus: Any) -> dict[str, int]:
    """Seed 004's registry made over REST as the UI would, plus security the seed lacked;
    returns the connector ports of the group and the hosted repository."""
    group, hub, gcr, mirror, hosted = free_ports(5)

    def call(method: str, path: str, body: Any = None) -> None:
        answer = nexus.rest(method, path, nexus.password, body)
        assert answer.status_code < 300, (method, path, answer.status_code, answer.text)

    for name, quota in (("docker-hub", {"type": "spaceUsedQuota", "limit": 51_200_000_000}), ("google-hub", None),
                        ("aliyun-hub", None), ("ybcard", None)):
        call("POST", "/v1/blobstores/file", {"name": name, "path": name, "softQuota": quota})
    call("POST", "/v1/blobstores/s3", {"name": "archive", "softQuota": None, "bucketConfiguration": {
        "bucket": {"region": "eu-west-1", "name": "nexus-archive", "prefix": "", "expiration": 3},
        "bucketSecurity": {"accessKeyId": "AKIAEXAMPLE", "secretAccessKey": S3_SECRET}}})
    call("POST", "/internal/cleanup-policies", {"name": "docker-unused-30d", "format": "docker", "notes": "",
                                                "criteriaLastDownloaded": 30})
    call("POST", "/v1/routing-rules", {"name": "library-only", "description": "official images", "mode": "ALLOW",
                                       "matchers": ["^/v2/library/.*"]})

    def proxy(name: str, remote: str, port: int, index: str, **extra: Any) -> None:
        body = {"name": name, "online": True, "storage": {"blobStoreName": name, "strictContentTypeValidation": True},
                "cleanup": {"policyNames": ["docker-unused-30d"]},
                "proxy": {"remoteUrl": remote, "contentMaxAge": 1440, "metadataMaxAge": 1440},
                "negativeCache": {"enabled": True, "timeToLive": 1440},
                "httpClient": {"blocked": False, "autoBlock": True},
                "docker": {"v1Enabled": True, "forceBasicAuth": True, "httpPort": port},
                "dockerProxy": {"indexType": index}, **extra}
        call("POST", "/v1/repositories/docker/proxy", body)

    proxy("docker-hub", "https://registry-1.docker.io", hub, "HUB", httpClient={
        "blocked": False, "autoBlock": True,
        "authentication": {"type": "username", "username": "hub-bot", "password": HUB_TOKEN}})
    proxy("google-hub", "https://gcr.io", gcr, "REGISTRY", routingRule="library-only")
    proxy("aliyun-hub", "https://registry.cn-hangzhou.aliyuncs.com", mirror, "REGISTRY")
    call("POST", "/v1/repositories/docker/hosted", {
        "name": "ybcard", "online": True,
        "storage": {"blobStoreName": "ybcard", "strictContentTypeValidation": True, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": True, "forceBasicAuth": True, "httpPort": hosted}})
    call("POST", "/v1/repositories/docker/group", {
        "name": "hub-group", "online": True, "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
        "group": {"memberNames": ["docker-hub", "aliyun-hub", "google-hub", "ybcard"]},
        "docker": {"v1Enabled": True, "forceBasicAuth": False, "httpPort": group}})
    call("PUT", "/v1/security/realms/active", ["NexusAuthenticatingRealm", "DockerToken"])
    call("PUT", "/v1/security/anonymous", {"enabled": True, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"})
    call("POST", "/v1/security/content-selectors", {"name": "team-images", "description": "",
                                                     "expression": 'format == "docker" and path =^ "/v2/team/"'})
    call("POST", "/v1/security/privileges/repository-view", {
        "name": "hub-group-pull", "description": "", "format": "docker", "repository": "hub-group",
        "actions": ["READ", "BROWSE"]})
    call("POST", "/v1/security/privileges/repository-content-selector", {
        "name": "team-push", "description": "push team images", "format": "docker", "repository": "ybcard",
        "contentSelector": "team-images", "actions": ["ADD", "EDIT", "READ", "BROWSE"]})
    call("POST", "/v1/security/roles", {"id": "docker-pull", "name": "docker-pull", "description": "",
                                         "privileges": ["hub-group-pull"], "roles": []})
    call("POST", "/v1/security/roles", {"id": "ci-pushers", "name": "CI pushers", "description": "push from CI",
                                         "privileges": ["team-push"], "roles": ["docker-pull"]})
    anonymous = nexus.rest("GET", "/v1/security/users?userId=anonymous", nexus.password).json()[0]
    call("PUT", "/v1/security/users/anonymous", {**anonymous, "roles": ["nx-anonymous", "docker-pull"]})
    call("POST", "/v1/security/users", {"userId": "ci", "firstName": "CI", "lastName": "Robot", "password": "Ci-Pw-12345",
                                         "emailAddress": "ci@example.org", "status": "active", "roles": ["ci-pushers"]})
    return {"hub-group": group, "ybcard": hosted}


def printed_commands(stdout: str) -> list[list[str]]:
    lines = [raw.strip() for raw in stdout.splitlines()]
    return [shlex.split(line.split("#")[0]) for line in lines if line.startswith("pulumi ")]


def test_adopting_a_hand_made_nexus_changes_nothing_and_leaves_no_drift(workspace, nexus):
    ports = set_up_by_hand(nexus)
    install_cli(workspace)
    workspace.env["NEXUS_PASSWORD"] = nexus.password
    stack_file = workspace.stack_file  # `stack init` already wrote its encryption salt there
    salt = yaml.safe_load(stack_file.read_text())["encryptionsalt"]

    refused = nexusctl(workspace, "adopt", "--url", nexus.url, "--stack", "test")
    assert refused.code == adopt.EXIT_ERROR and "pass --force" in refused.stderr
    done = nexusctl(workspace, "adopt", "--url", nexus.url, "--stack", "test", "--force")
    assert done.code == adopt.EXIT_WRITTEN, done.output
    assert "left out repository maven-central: a maven2 proxy repository" in done.stdout
    written = yaml.safe_load(stack_file.read_text())
    assert written["encryptionsalt"] == salt
    config = {k.split(":", 1)[1]: v for k, v in written["config"].items()}
    assert config["nexus"] == {"url": nexus.url, "adopt": True}
    assert [r["name"] for r in config["repositories"]] == ["aliyun-hub", "docker-hub", "google-hub", "hub-group",
                                                            "ybcard"]
    assert {"name": "ybcard", "type": "hosted", "blobStore": "ybcard", "v1Enabled": True,
            "httpPort": config["repositories"][4]["httpPort"]} == config["repositories"][4]
    assert config["security"]["realms"] == ["NexusAuthenticatingRealm", "DockerToken"]
    assert config["security"]["anonymous"] == {"enabled": True}
    assert all(u["adopt"] for u in config["security"]["users"])  # users keep their passwords

    # Until the secrets Nexus never reveals are set, the stack is refused before anything is sent.
    nexus.clear_log()
    early = workspace.preview()
    assert early.code != 0
    assert "repositories[1].authentication.password" in early.output
    assert nexus.writes() == []

    commands = printed_commands(done.stdout)
    values = {"adminPassword": nexus.password, "blobStores[4].secretAccessKey": S3_SECRET,
              "repositories[1].authentication.password": HUB_TOKEN}
    set_commands = [c for c in commands if c[1:3] == ["config", "set"]]
    assert sorted(next(a for a in c if a in values) for c in set_commands) == sorted(values)
    for command in set_commands:  # exactly as printed; the value comes on stdin, as from a prompt
        value = next(v for k, v in values.items() if k in command)
        subprocess.run([pulumi_binary(), *command[1:], "--non-interactive"], cwd=workspace.root, env=workspace.env,
                       input=value, text=True, check=True, capture_output=True)
    assert all(secret not in stack_file.read_text() for secret in values.values())

    before = nexus.state()
    nexus.clear_log()
    workspace.up()
    assert nexus.state() == before, "adopting changed the server"
    assert nexus.writes() == [], "adopting an identical Nexus must not write at all"
    adopted = [r for r in workspace.resources() if r["type"].startswith("pulumi-python:dynamic/nexus:")]
    assert len(adopted) >= 19

    # The CI robot still logs in with the password it had: adopted users keep theirs.
    robot = requests.get(f"http://127.0.0.1:{ports['ybcard']}/v2/", auth=("ci", "Ci-Pw-12345"), timeout=5)
    assert robot.status_code == 200
    refreshed = workspace.preview_json("--refresh")
    assert [s for s in changed_steps(refreshed) if s["op"] != "refresh"] == []  # refresh steps read, then compare
    clean = nexusctl(workspace, "drift", "test")
    assert clean.code == 0, clean.output


def test_adopt_needs_the_password_in_the_environment_and_a_reachable_nexus(workspace, nexus):
    install_cli(workspace)
    workspace.env.pop("NEXUS_PASSWORD", None)
    output = str(workspace.root / "stacks" / "Pulumi.other.yaml")
    no_password = nexusctl(workspace, "adopt", "--url", nexus.url, "--stack", "other", "--output", output)
    assert no_password.code == adopt.EXIT_ERROR and "set NEXUS_PASSWORD" in no_password.stderr
    workspace.env["ADMIN_PW"] = "not-the-password"
    wrong = nexusctl(workspace, "adopt", "--url", nexus.url, "--stack", "other", "--password-env", "ADMIN_PW",
                     "--output", output)
    assert wrong.code == adopt.EXIT_ERROR and "authentication failed" in wrong.stderr
    assert not (workspace.root / "stacks" / "Pulumi.other.yaml").exists()
