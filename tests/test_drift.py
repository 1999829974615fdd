"""`nexusctl drift`: a refresh preview against the emulator, its exit codes, its summary and JSON."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from nexusctl import drift
from tests.conftest import configure
from tests.harness import install_cli, nexusctl
from tests.samples import seed_registry

CI_PASSWORD = "Ci-Robot-Pw-42"
HUB_TOKEN = "Hub-Token-Secret-9"


def registry() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["repositories"][0]["authentication"] = {"type": "username", "username": "hub-bot"}
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}
    return values


def deploy(workspace, nexus, **nexus_settings: Any) -> dict[str, Any]:
    values = registry()
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD,
                                         "repositories[0].authentication.password": HUB_TOKEN}, **nexus_settings)
    workspace.up()
    return values


def put_repository(nexus, kind: str, name: str, change: Any) -> None:
    doc = next(r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json() if r["name"] == name)
    change(doc)
    assert nexus.rest("PUT", f"/v1/repositories/docker/{kind}/{name}", nexus.password, doc).status_code == 204


@pytest.mark.engine
def test_clean_stack_exits_0_and_writes_nothing(workspace, nexus, tmp_path):
    install_cli(workspace)
    deploy(workspace, nexus)
    state = workspace.state_text()
    nexus.clear_log()
    done = nexusctl(workspace, "drift", "test", "--json", str(tmp_path / "drift.json"))
    assert done.code == drift.EXIT_CLEAN, done.output
    assert "No drift in stack 'test'" in done.stdout
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["status"] == "clean" and report["drift"] == [] and report["checked"] >= 15
    assert nexus.writes() == []  # a refresh preview reads Nexus only...
    assert workspace.state_text() == state  # ...and leaves the state alone
    # One status probe, then the refresh reads through the list endpoints: the count stays flat.
    assert len(nexus.requests()) <= 16, [r["path"] for r in nexus.requests()]

    for spelling in (["--format", "json"], ["--json", "-"]):  # JSON alone on stdout, the summary on stderr
        as_json = nexusctl(workspace, "drift", "test", *spelling)
        assert as_json.code == drift.EXIT_CLEAN and json.loads(as_json.stdout) == report
        assert "No drift in stack 'test'" in as_json.stderr


@pytest.mark.engine
def test_drift_names_each_object_and_field_masks_secrets_and_exits_3(workspace, nexus, tmp_path):
    install_cli(workspace)
    deploy(workspace, nexus)
    put_repository(nexus, "hosted", "ybcard", lambda d: d.update(online=False))

    def new_credentials(doc: dict[str, Any]) -> None:
        doc["httpClient"]["authentication"].update(username="someone-else", password="Typed-By-Hand-1")
        doc["negativeCache"]["timeToLive"] = 5

    put_repository(nexus, "proxy", "docker-hub", new_credentials)
    assert nexus.rest("DELETE", "/v1/repositories/aliyun-hub", nexus.password).status_code == 204
    role = nexus.rest("GET", "/v1/security/roles/docker-pushers-ci", nexus.password).json()
    role["privileges"].append("nx-all")
    assert nexus.rest("PUT", "/v1/security/roles/docker-pushers-ci", nexus.password, role).status_code == 204

    done = nexusctl(workspace, "drift", "test", "--json", str(tmp_path / "drift.json"))
    assert done.code == drift.EXIT_DRIFT, done.output
    up = "`make up STACK=test`"
    for line in (f"DockerHostedRepository ybcard: changed on the server; {up} sets it to the config again",
                 "online: true → false",
                 "DockerProxyRepository docker-hub", 'authentication.username: "hub-bot" → "someone-else"',
                 "negativeCache.timeToLive: 1440 → 5",
                 f"DockerProxyRepository aliyun-hub: deleted on the server; {up} creates it again",
                 "DockerGroupRepository hub-group", "Role role-docker-pushers-ci",
                 'privileges[1]: (absent) → "nx-all"',
                 "a plain `pulumi up` without --refresh would change nothing"):
        assert line in done.stdout, f"{line!r} missing from:\n{done.stdout}"
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["status"] == "drift"
    changed = {d["name"]: d for d in report["drift"]}
    assert set(changed) == {"ybcard", "docker-hub", "aliyun-hub", "hub-group", "role-docker-pushers-ci"}
    assert changed["aliyun-hub"]["change"] == "deleted"
    assert {"path": "online", "state": True, "server": False} in changed["ybcard"]["fields"]
    everything = done.output + (tmp_path / "drift.json").read_text()
    for secret in (HUB_TOKEN, "Typed-By-Hand-1", CI_PASSWORD, nexus.password):
        assert secret not in everything

    # What the summary promises is what happens: a plain `pulumi up` changes nothing, the
    # project's own `up` (it refreshes first) puts every object back, and the check is clean.
    nexus.clear_log()
    assert workspace.up().code == 0 and nexus.writes() == []
    assert nexusctl(workspace, "drift", "test").code == drift.EXIT_DRIFT
    restored = nexusctl(workspace, "pulumi", "test", "up", "--yes")
    assert restored.code == 0, restored.output
    assert {w["path"] for w in nexus.writes()} >= {"/service/rest/v1/repositories/docker/proxy",
                                                   "/service/rest/v1/repositories/docker/hosted/ybcard"}
    again = nexusctl(workspace, "drift", "test")
    assert again.code == drift.EXIT_CLEAN, again.output


@pytest.mark.engine
def test_a_failed_check_is_an_error_never_clean(workspace, nexus, tmp_path):
    if nexus.is_live:
        pytest.skip("stops the Nexus")
    install_cli(workspace)
    missing = nexusctl(workspace, "drift", "no-such-stack")
    assert missing.code == drift.EXIT_ERROR and "no stack 'no-such-stack'" in missing.stderr
    never_deployed = nexusctl(workspace, "drift", "test")
    assert never_deployed.code == drift.EXIT_ERROR and "never deployed" in never_deployed.stderr

    deploy(workspace, nexus, retries=0, timeoutSeconds=2)
    nexus.stop()
    unreachable = nexusctl(workspace, "drift", "test", "--json", str(tmp_path / "drift.json"))
    assert unreachable.code == drift.EXIT_ERROR, unreachable.output
    assert "Drift check of stack 'test' failed" in unreachable.stderr and "no answer from" in unreachable.stderr
    assert json.loads((tmp_path / "drift.json").read_text())["status"] == "error"


@pytest.mark.engine
def test_a_stack_whose_first_up_failed_is_never_clean(workspace, nexus):
    """Its state holds the TLS material only: with Nexus down the check is an error (it used
    to report "all 1 resources match"), and with Nexus up it says there is nothing to compare."""
    if nexus.is_live:
        pytest.skip("stops the Nexus")
    install_cli(workspace)
    values = {**registry(), "tls": {"hostnames": ["nexus.example.test"]}}
    configure(workspace, nexus, values, {"security.passwords.ci": CI_PASSWORD,
                                         "repositories[0].authentication.password": HUB_TOKEN},
              retries=0, timeoutSeconds=2)
    for method in ("POST", "PUT"):  # every write fails, the TLS material (no Nexus call) is made
        nexus.fault(method=method, path="/service/rest/*", status=500, count=1000)
    assert workspace.up(check=False).code != 0
    kinds = {r["type"].rsplit(":", 1)[-1] for r in workspace.resources()}
    assert "TlsMaterial" in kinds and kinds <= {"Stack", "NexusRegistry", "pulumi-python", "TlsMaterial", "Bootstrap"}, kinds

    empty = nexusctl(workspace, "drift", "test", "--format", "json")
    assert empty.code == drift.EXIT_ERROR, empty.output
    assert json.loads(empty.stdout)["status"] == "empty"
    assert "has no Nexus objects in its state" in empty.stderr and "make up STACK=test" in empty.stderr

    nexus.stop()
    down = nexusctl(workspace, "drift", "test", "--format", "json")
    assert down.code == drift.EXIT_ERROR, down.output
    assert json.loads(down.stdout)["status"] == "error" and f"no answer from {nexus.url}" in down.stderr


# The engine's diff text for a refresh preview (CLI v3.259, `--diff --color never`), trimmed.
DIFF = """\
Previewing refresh (prod):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:prod::nexus-registry::pulumi:pulumi:Stack::nexus-registry-prod]
    ~ pulumi-python:dynamic/nexus:DockerProxyRepository: (update)
        [id=docker-hub]
        [urn=urn:pulumi:prod::nexus-registry::pulumi-python:dynamic/nexus:DockerProxyRepository::docker-hub]
        adopt                      : false
      ~ authentication             : {
            password: [secret]
            type    : "username"
          ~ username: "hub-bot" => "other"
        }
        cleanupPolicies            : [
            [0]: "docker-unused-30d"
        ]
      ~ connection                 : {
          - timeout: 60
          + retries: 2
        }
      + routingRule                : "library-only"
      - negativeCache              : {
          - enabled   : true
          - timeToLive: 1440
        }
        online                     : true
    - pulumi-python:dynamic/nexus:DockerProxyRepository: (delete)
        [id=google-hub]
        [urn=urn:pulumi:prod::nexus-registry::pulumi-python:dynamic/nexus:DockerProxyRepository::google-hub]
        --outputs:--
      - adopt                      : false
      - name                       : "google-hub"
    ~ pulumi-python:dynamic/nexus:S3BlobStore: (update) 🔒
        [id=archive]
        [urn=urn:pulumi:prod::nexus-registry::pulumi-python:dynamic/nexus:S3BlobStore::archive]
      ~ secretAccessKey: "plain-by-mistake" => "other"
      ~ members        : [
            [0]: "docker-hub"
          ~ [1]: "google-hub" => "ybcard"
          - [2]: "ybcard"
        ]
Resources:
    ~ 2 to update
    - 1 to delete
    3 changes. 17 unchanged
"""


def test_the_diff_parser_reads_nested_added_removed_and_masks_secret_fields():
    report = drift.analyse("prod", 7, DIFF, f"error: {drift.EXPECTED_CHANGES_ERROR}\n")
    assert report.status == "drift" and report.checked == 19 and report.errors == []
    hub, google, archive = report.drift
    assert (hub.type, hub.name, hub.change) == ("DockerProxyRepository", "docker-hub", "changed")
    assert [(f.path, f.state, f.server) for f in hub.fields] == [
        ("authentication.username", "hub-bot", "other"),
        ("connection.timeout", 60, None), ("connection.retries", None, 2),
        ("routingRule", None, "library-only"),
        ("negativeCache", "{…}", None)]
    assert (google.name, google.change, google.fields) == ("google-hub", "deleted", [])
    assert [(f.path, f.state, f.server) for f in archive.fields] == [
        ("secretAccessKey", "[secret]", "[secret]"),
        ("members[1]", "google-hub", "ybcard"), ("members[2]", "ybcard", None)]
    text = drift.summary(report)
    assert "plain-by-mistake" not in text
    assert "DockerProxyRepository google-hub: deleted on the server; `make up STACK=prod` creates it again" in text
    assert "DockerProxyRepository docker-hub: changed on the server; `make up STACK=prod` sets it to the config " \
           "again\n      authentication.username: \"hub-bot\" → \"other\"" in text


def test_engine_errors_win_over_partial_results():
    report = drift.analyse("prod", 255, DIFF, "error: Preview failed: Nexus answered 0 to GET /v1/status\n"
                                               "error: Preview failed: Nexus answered 0 to GET /v1/status\n")
    assert report.status == "error"
    assert report.errors == ["Preview failed: Nexus answered 0 to GET /v1/status"]


def test_the_diff_parser_reads_the_children_of_a_component_one_level_deeper():
    """Since the stack is one NexusRegistry, the engine prints its resources one level deeper."""
    head, _, rest = DIFF.partition("    ~ pulumi-python")
    body, _, tail = ("    ~ pulumi-python" + rest).partition("Resources:")
    nested = head + "".join("    " + line for line in body.splitlines(keepends=True)) + "Resources:" + tail
    flat, deep = (drift.analyse("prod", 7, text, f"error: {drift.EXPECTED_CHANGES_ERROR}\n") for text in (DIFF, nested))
    assert deep.status == "drift" and deep.drift == flat.drift and len(deep.drift) == 3
