"""`nexusctl adopt`: a Nexus set up by hand like seed 004's (plus anonymous pull, a CI robot, an
S3 store, Docker Hub credentials, a 10 GiB soft quota, tasks and webhooks) becomes a stack that
one `up` takes over unchanged, through the commands adopt prints, run exactly as printed."""
from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import yaml

from components.client import Connection, NexusClient
from nexusctl import adopt
from nexusctl.inventory import Found, Inventory, read_inventory
from tests.conftest import ADMIN_PASSWORD
from tests.harness import ROOT, EmulatorProcess, changed_steps, install_cli, nexusctl
from tests.samples import free_ports

S3_SECRET, HUB_TOKEN, HOOK_KEY = "S3-Secret-Key-1", "Hub-Token-1", "Hook-Key-1"
GIB_10 = 10 * 1024 ** 3  # set in bytes (the UI's GB field, or another tool): 10737.41824 MB


def set_up_by_hand(nexus: Any) -> dict[str, int]:
    """Seed 004's registry made over REST as the UI would, plus security the seed lacked;
    returns the connector ports of the group and the hosted repository."""
    group, hub, gcr, mirror, hosted, team = free_ports(6)

    def call(method: str, path: str, body: Any = None) -> None:
        answer = nexus.rest(method, path, nexus.password, body)
        assert answer.status_code < 300, (method, path, answer.status_code, answer.text)

    for name, quota in (("docker-hub", {"type": "spaceUsedQuota", "limit": 51_200_000_000}), ("google-hub", None),
                        ("aliyun-hub", None), ("ybcard", {"type": "spaceRemainingQuota", "limit": GIB_10})):
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
    call("POST", "/v1/repositories/docker/hosted", {  # a second repository on the 10 GiB store
        "name": "team-images", "online": True,
        "storage": {"blobStoreName": "ybcard", "strictContentTypeValidation": True, "writePolicy": "ALLOW_ONCE"},
        "docker": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": team}})
    call("POST", "/v1/repositories/docker/group", {
        "name": "hub-group", "online": True, "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
        "group": {"memberNames": ["docker-hub", "aliyun-hub", "google-hub", "ybcard", "team-images"]},
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
    automate_by_hand(call)
    return {"hub-group": group, "ybcard": hosted}


def automate_by_hand(call: Any) -> None:
    """Tasks and webhooks as the UI makes them (Nexus 3.94: their definitions can be read back)."""
    def start(hour: int, minute: int, offset: timedelta) -> int:
        return int(datetime(2030, 1, 1, hour, minute, tzinfo=timezone(offset)).timestamp() * 1000)

    call("POST", "/v1/tasks", {
        "type": "repository.docker.gc", "name": "gc ybcard", "enabled": True, "notificationCondition": "FAILURE",
        "frequency": {"schedule": "daily", "startDate": start(2, 30, timedelta(hours=2)), "timeZoneOffset": "+02:00"},
        "properties": {"repositoryName": "ybcard", "deployOffset": "12"}})
    call("POST", "/v1/tasks", {
        "type": "blobstore.compact", "name": "compact ybcard", "enabled": False, "alertEmail": "ops@example.org",
        "notificationCondition": "SUCCESS_FAILURE",
        "frequency": {"schedule": "weekly", "startDate": start(4, 0, timedelta(0)), "timeZoneOffset": "+00:00",
                      "recurringDays": [1, 7]},
        "properties": {"blobstoreName": "ybcard"}})
    call("POST", "/v1/tasks", {
        "type": "repository.docker.upload-purge", "name": "purge uploads", "enabled": True,
        "notificationCondition": "FAILURE", "frequency": {"schedule": "cron", "cronExpression": "0 15 3 ? * SUN"},
        "properties": {"age": "48"}})
    call("POST", "/v1/capabilities", {"type": "webhook.global", "enabled": True, "notes": "ops alerts", "properties": {
        "names": "audit,repository", "url": "https://hooks.example.com/nexus", "secret": HOOK_KEY}})
    call("POST", "/v1/capabilities", {"type": "webhook.repository", "enabled": False, "notes": "", "properties": {
        "repository": "ybcard", "names": "component", "url": "https://ci.example.com/hooks/nexus"}})


def printed_steps(stdout: str) -> list[str]:
    """The command lines after "Next": each is run exactly as printed."""
    lines = stdout.split("\nNext", 1)[1].splitlines()[1:]
    return [line.strip() for line in lines if line.startswith("  ") and not line.strip().startswith("#")]


def run_printed(workspace: Any, line: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], cwd=workspace.root, env=workspace.env, input=stdin, text=True,
                          capture_output=True, timeout=300)


@pytest.mark.engine
@pytest.mark.nexus(version="3.94.0")
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
    # Every format is adopted: Nexus's own maven and nuget repositories too (issue 13).
    assert "left out repository" not in done.stdout
    assert "left out blob store" not in done.stdout and "left out task" not in done.stdout
    written = yaml.safe_load(stack_file.read_text())
    assert written["encryptionsalt"] == salt
    config = {k.split(":", 1)[1]: v for k, v in written["config"].items()}
    assert config["nexus"] == {"url": nexus.url, "adopt": True}
    assert [r["name"] for r in config["repositories"]] == [
        "aliyun-hub", "docker-hub", "google-hub", "hub-group", "maven-central", "maven-public", "maven-releases",
        "maven-snapshots", "nuget-group", "nuget-hosted", "nuget.org-proxy", "team-images", "ybcard"]
    repos = {r["name"]: r for r in config["repositories"]}
    assert {"name": "ybcard", "type": "hosted", "blobStore": "ybcard", "v1Enabled": True,
            "httpPort": repos["ybcard"]["httpPort"]} == repos["ybcard"]
    assert repos["maven-releases"]["format"] == "maven" and repos["maven-releases"]["writePolicy"] == "ALLOW_ONCE"
    assert repos["maven-central"]["maven"] == {"versionPolicy": "RELEASE", "layoutPolicy": "PERMISSIVE",
                                               "contentDisposition": "INLINE"}
    assert repos["nuget-group"] == {"name": "nuget-group", "type": "group", "format": "nuget",
                                    "members": ["nuget-hosted", "nuget.org-proxy"]}
    stores = {b["name"]: b for b in config["blobStores"]}
    assert stores["ybcard"]["softQuota"] == {"type": "spaceRemainingQuota", "limitBytes": GIB_10}
    assert stores["docker-hub"]["softQuota"] == {"type": "spaceUsedQuota", "limitMb": 51200}
    assert config["security"]["realms"] == ["NexusAuthenticatingRealm", "DockerToken"]
    assert config["security"]["anonymous"] == {"enabled": True}
    assert all(u["adopt"] for u in config["security"]["users"])  # users keep their passwords
    tasks = {t["name"]: t for t in config["tasks"]}  # Nexus's own tasks, untouched, are not declared
    assert tasks == {
        "gc ybcard": {"name": "gc ybcard", "type": "repository.docker.gc",
                      "properties": {"repositoryName": "ybcard", "deployOffset": "12"},
                      "schedule": {"type": "daily", "timeZoneOffset": "+02:00", "time": "02:30"}},
        "compact ybcard": {"name": "compact ybcard", "type": "blobstore.compact", "enabled": False,
                           "notificationCondition": "SUCCESS_FAILURE", "alertEmail": "ops@example.org",
                           "properties": {"blobstoreName": "ybcard"},
                           "schedule": {"type": "weekly", "timeZoneOffset": "+00:00", "time": "04:00",
                                        "days": ["SUN", "SAT"]}},
        "purge uploads": {"name": "purge uploads", "type": "repository.docker.upload-purge",
                          "properties": {"age": "48"}, "schedule": {"type": "cron", "cron": "0 15 3 ? * SUN"}}}
    assert config["webhooks"] == [
        {"name": "global-hooks.example.com", "events": ["audit", "repository"], "url": "https://hooks.example.com/nexus",
         "notes": "ops alerts"},
        {"name": "ybcard-ci.example.com", "repository": "ybcard", "events": ["component"],
         "url": "https://ci.example.com/hooks/nexus", "enabled": False, "notes": ""}]

    # Until the secrets Nexus never reveals are set, the stack is refused before anything is sent.
    nexus.clear_log()
    early = workspace.preview()
    assert early.code != 0
    assert "repositories[1].authentication.password" in early.output
    assert nexus.writes() == []

    # Every next step runs exactly as printed, from the project root (no bare `pulumi` on PATH:
    # the engine's own PATH entries are taken away); secret values come on stdin, as from a prompt.
    steps = printed_steps(done.stdout)
    assert all(step.startswith(".venv/bin/python -m nexusctl ") for step in steps), steps
    workspace.env["PATH"] = "/usr/bin:/bin"
    (workspace.root / ".tools").symlink_to(ROOT / ".tools")  # a checkout's toolchain, where engine.py looks
    values = {"adminPassword": nexus.password, "blobStores[4].secretAccessKey": S3_SECRET,
              "repositories[1].authentication.password": HUB_TOKEN, "webhooks[0].secret": HOOK_KEY,
              "webhooks[1].secret": "Repository-Hook-Key"}
    secret_steps = [step for step in steps if " config set --secret " in step]
    assert sorted(next(k for k in values if k in step) for step in secret_steps) == sorted(values)
    for step in secret_steps:
        value = next(v for k, v in values.items() if k in step)
        ran = run_printed(workspace, step, value)
        assert ran.returncode == 0, (step, ran.stdout + ran.stderr)
    assert all(secret not in stack_file.read_text() for secret in values.values())

    before = nexus.state()
    nexus.clear_log()
    up, drift = [step for step in steps if " config set " not in step]
    ran = run_printed(workspace, up)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert nexus.state() == before, "adopting changed the server"
    assert nexus.writes() == [], "adopting an identical Nexus must not write at all"
    adopted = [r for r in workspace.resources() if r["type"].startswith("pulumi-python:dynamic/nexus:")]
    assert len(adopted) >= 25

    # The CI robot still logs in with the password it had: adopted users keep theirs.
    robot = requests.get(f"http://127.0.0.1:{ports['ybcard']}/v2/", auth=("ci", "Ci-Pw-12345"), timeout=5)
    assert robot.status_code == 200
    ran = run_printed(workspace, drift)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    refreshed = workspace.preview_json("--refresh")
    assert [s for s in changed_steps(refreshed) if s["op"] != "refresh"] == []  # refresh steps read, then compare


@pytest.mark.engine
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


# --- what each Nexus version lets adopt read (in-process, one emulator per version) ------------
def inventory_of(emulator: EmulatorProcess) -> dict[tuple[str, str], Found]:
    client = NexusClient(Connection(url=emulator.url, username="admin", password=ADMIN_PASSWORD))
    return {(f.kind, f.name): f for f in read_inventory(client, automation=True).objects
            if f.kind in ("task", "webhook")}


@pytest.mark.parametrize("version", ["3.83.0", "3.86.0", "3.94.0"])
def test_tasks_and_webhooks_are_adopted_as_far_as_the_version_tells_them(tmp_path, version):
    emulator = EmulatorProcess(tmp_path / "nexus-data", version=version, admin_password=ADMIN_PASSWORD)
    try:
        def call(method: str, path: str, body: Any = None) -> Any:
            answer = emulator.rest(method, path, ADMIN_PASSWORD, body)
            assert answer.status_code < 300, (method, path, answer.status_code, answer.text)
            return answer.json() if answer.content else None

        if version != "3.83.0":  # task creation and capabilities need 3.84
            call("POST", "/v1/tasks", {"type": "repository.docker.upload-purge", "name": "purge", "enabled": True,
                                       "notificationCondition": "FAILURE", "frequency": {"schedule": "manual"},
                                       "properties": {"age": "24"}})
            for url, secret in (("https://a.example.com/", "Key-1"), ("https://b.example.com/", None)):
                call("POST", "/v1/capabilities", {"type": "webhook.global", "enabled": True, "notes": "", "properties": {
                    "names": "audit", "url": url, **({"secret": secret} if secret else {})}})
        cleanup = next(t for t in call("GET", "/v1/tasks")["items"] if t["type"] == "repository.cleanup")
        found = inventory_of(emulator)
        if version == "3.94.0":  # a changed Cleanup service is declared; untouched it is not
            assert ("task", "Cleanup service") not in found
            call("PUT", f"/v1/tasks/{cleanup['id']}", {"name": "Cleanup service", "enabled": True,
                                                       "notificationCondition": "FAILURE",
                                                       "frequency": {"schedule": "cron", "cronExpression": "0 0 3 * * ?"}})
            found = inventory_of(emulator)
    finally:
        emulator.stop()
    if version == "3.83.0":
        assert found == {}  # only Nexus's own tasks (no templates to tell them), no capabilities API to ask
        return
    purge, hook_a, hook_b = found[("task", "purge")], found[("webhook", "global-a.example.com")], \
        found[("webhook", "global-b.example.com")]
    if version == "3.86.0":
        assert purge.item is None and "does not answer a task's schedule and settings" in purge.reason
        assert [what for _, what in hook_a.secrets] == ["secret key (HMAC) of the webhook"]  # answered as a placeholder
        assert hook_b.secrets == ()
    else:
        assert purge.item == {"name": "purge", "type": "repository.docker.upload-purge", "properties": {"age": "24"}}
        assert found[("task", "Cleanup service")].item == {
            "name": "Cleanup service", "type": "repository.cleanup", "schedule": {"type": "cron", "cron": "0 0 3 * * ?"}}
        assert not any(name.startswith("Cleanup unused") for _, name in found)  # Nexus's own, not creatable
        assert all("only if it has one" in what for hook in (hook_a, hook_b) for _, what in hook.secrets)
    assert hook_a.item == {"name": "global-a.example.com", "events": ["audit"], "url": "https://a.example.com/",
                           "notes": ""}


def test_a_repository_on_a_blob_store_left_out_is_pointed_out():
    inventory = Inventory(objects=[
        Found("blob store", "azure-store", ("blobStores",), None, "an azure blob store; ..."),
        Found("repository", "images", ("repositories",), {"name": "images", "type": "hosted", "blobStore": "Azure-Store"}),
        Found("repository", "cache", ("repositories",), {"name": "cache", "type": "proxy", "remoteUrl": "https://x"})])
    assert adopt.unreferenced_warnings(inventory) == ["repository images uses blob store Azure-Store, which is left out"]


def test_next_steps_move_another_output_file_and_ask_for_a_passphrase_first(monkeypatch, tmp_path):
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert adopt.passphrase_note("acme", {}).startswith("# first: export PULUMI_CONFIG_PASSPHRASE")  # a comment
    assert adopt.passphrase_note("acme", {"secretsprovider": "awskms://alias/nexus"}) is None
    assert adopt.passphrase_note("local", {}) is None  # the demo passphrase is used for it
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")  # an empty passphrase is a choice too
    assert adopt.passphrase_note("acme", {}) is None
    steps = adopt.next_steps("acme", [("webhooks[0].secret", "key")], password_kept=True,
                             moved_from=tmp_path / "Pulumi.acme.yaml")
    assert [step.split("    #")[0] for step in steps] == [
        f"mv {tmp_path / 'Pulumi.acme.yaml'} stacks/Pulumi.acme.yaml",
        ".venv/bin/python -m nexusctl pulumi acme config set --secret --path 'webhooks[0].secret'",
        ".venv/bin/python -m nexusctl pulumi acme up --yes",
        ".venv/bin/python -m nexusctl drift acme"]
