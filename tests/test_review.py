"""`nexusctl review`: a real preview against the emulator turned into a short table of what changes
(and the full diff, collapsed), secrets masked, the deployment check and the engine's tokens left
out; plus the renderer on hand-made plans (escaping, the comment size limit, secrets)."""
from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from nexusctl import fields, plan, review
from tests.conftest import configure
from tests.harness import install_cli, nexusctl
from tests.samples import repository, seed_registry

CI_PASSWORD, CI_PASSWORD_NEW = "Ci-Robot-Pw-42", "Ci-Robot-Pw-43"
HUB_TOKEN, HUB_TOKEN_NEW = "Hub-Token-Secret-9", "Hub-Token-Secret-10"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def registry() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    values["repositories"][0]["authentication"] = {"type": "username", "username": "hub-bot"}
    values["security"] = {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}}
    return values


def secrets(ci: str, hub: str) -> dict[str, str]:
    return {"security.passwords.ci": ci, "repositories[0].authentication.password": hub}


def table(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Change")]


def row(markdown: str, name: str) -> str:
    found = [line for line in table(markdown) if f"`{name}`" in line]
    assert len(found) == 1, f"one row for {name} expected in:\n{markdown}"
    return found[0]


@pytest.mark.engine
def test_a_preview_becomes_a_short_table_of_what_changes(workspace, nexus, tmp_path):
    install_cli(workspace)
    values = registry()
    configure(workspace, nexus, values, secrets(CI_PASSWORD, HUB_TOKEN))
    workspace.up()
    comment = tmp_path / "review.md"

    clean = nexusctl(workspace, "review", "test", "--markdown", str(comment))
    assert clean.code == review.EXIT_CLEAN, clean.output
    assert "Preview of stack 'test': no changes" in clean.stdout
    assert table(comment.read_text()) == [] and "<details>" not in comment.read_text()

    # Several changes of different kinds, and one made on the server behind the stack's back.
    changed = copy.deepcopy(values)
    hosted = repository(changed, "ybcard")
    hosted.update(writePolicy="ALLOW_ONCE", online=False)  # an update of two fields
    changed["cleanupPolicies"].append({"name": "docker-old-90d", "format": "docker", "lastBlobUpdatedDays": 90})
    changed["repositories"].remove(repository(changed, "aliyun-hub"))  # a delete (a proxy: no data)
    repository(changed, "hub-group")["members"].remove("aliyun-hub")
    repository(changed, "google-hub")["blobStore"] = "docker-hub"  # a replace: Nexus cannot move it
    configure(workspace, nexus, changed, secrets(CI_PASSWORD_NEW, HUB_TOKEN_NEW))  # two secrets change
    policy = next(p for p in nexus.rest("GET", "/internal/cleanup-policies", nexus.password).json()
                  if p["name"] == "docker-unused-30d")
    policy["notes"] = "edited by hand"
    assert nexus.rest("PUT", "/internal/cleanup-policies/docker-unused-30d", nexus.password, policy).status_code == 200
    nexus.clear_log()

    done = nexusctl(workspace, "review", "test", "--markdown", str(comment), "--json", str(tmp_path / "review.json"))
    assert done.code == review.EXIT_CHANGES, done.output
    assert nexus.writes() == []  # a preview
    text = comment.read_text()
    assert text.startswith("### Preview of stack `test`: 8 objects change (1 to create, 5 to update, "
                           "1 to replace, 1 to delete)")
    rows = table(text)
    assert all(len(UNESCAPED_PIPE.findall(line)) == 4 for line in rows), rows  # three cells each
    assert len(rows) == 8 and len(text.split("<details>")[0].splitlines()) == 4 + 8 + 1  # the table alone

    ybcard = row(text, "ybcard")
    assert ybcard.startswith("| update | DockerHostedRepository")
    assert '`online`: `true` → `false`' in ybcard and '`writePolicy`: `"ALLOW"` → `"ALLOW_ONCE"`' in ybcard
    assert ybcard.count("<br>") == 1  # only the two fields that change
    assert row(text, "docker-old-90d").startswith("| create | CleanupPolicy")
    google = row(text, "google-hub")
    assert google.startswith("| **replace** | DockerProxyRepository") and "cannot change blobStore in place" in google
    assert '`blobStore`: `"google-hub"` → `"docker-hub"`' in google
    assert row(text, "aliyun-hub").startswith("| **delete** | DockerProxyRepository")
    group = row(text, "hub-group")
    assert '`members`: removed `"aliyun-hub"`' in group and "repository google-hub is re-created" in group
    assert "a secret changed" in row(text, "user-ci") and "`password`: `[secret]`" in row(text, "user-ci")
    assert "`authentication.password`: `[secret]`" in row(text, "docker-hub")
    assert [line for line in rows if "changed on the server" in line] == [row(text, "docker-unused-30d")]
    drifted = row(text, "docker-unused-30d")
    assert "changed on the server since the last deployment" in drifted
    assert '`notes`: `"edited by hand"` → `"cached images nobody pulled for 30 days"`' in drifted
    # The engine's internals never show as a change: the deployment check, tokens, the provider.
    for internal in ("DeploymentCheck", "deployment-check", "instance", "references", "__provider"):
        assert internal not in text, internal

    full = text.split("<details>", 1)[1]
    assert full.rstrip().endswith("```\n</details>")
    assert "@@ update DockerHostedRepository ybcard @@\n  adopt: false\n  blobStore: \"ybcard\"" in full
    assert "- online: true\n+ online: false" in full and "! password: [secret] (changed)" in full

    report = json.loads((tmp_path / "review.json").read_text())
    assert report["status"] == "changes" and {c["name"]: c["op"] for c in report["changes"]} == {
        "docker-old-90d": "create", "ybcard": "update", "google-hub": "replace", "aliyun-hub": "delete",
        "hub-group": "update", "user-ci": "update", "docker-hub": "update", "docker-unused-30d": "update"}
    everything = done.output + text + json.dumps(report)
    for secret in (CI_PASSWORD, CI_PASSWORD_NEW, HUB_TOKEN, HUB_TOKEN_NEW, nexus.password):
        assert secret not in everything

    # The text report says the same for the job log; --format json keeps stdout for the JSON.
    assert "  ~ DockerHostedRepository ybcard: update\n      online: true → false" in done.stdout
    as_json = nexusctl(workspace, "review", "test", "--format", "json")
    assert as_json.code == review.EXIT_CHANGES and json.loads(as_json.stdout)["status"] == "changes"
    assert "Preview of stack 'test'" in as_json.stderr

    unknown = nexusctl(workspace, "review", "no-such-stack")
    assert unknown.code == 2 and "no stack 'no-such-stack'" in unknown.stderr


# --- the renderer on hand-made plans --------------------------------------------------------------
def step(op: str, name: str, kind: str = "DockerProxyRepository", old: Any = None, new: Any = None,
         **extra: Any) -> dict[str, Any]:
    urn = f"urn:pulumi:prod::nexus-registry::pulumi-python:dynamic/nexus:{kind}::{name}"
    state = lambda inputs: None if inputs is None else {  # noqa: E731
        "type": f"pulumi-python:dynamic/nexus:{kind}", "inputs": {"__provider": "[secret]", **inputs},
        "outputs": {"__provider": "[secret]", **inputs}, **extra}
    return {"op": op, "urn": urn, "oldState": state(old), "newState": state(new)}


def test_secrets_are_masked_and_a_secret_only_update_is_named():
    cipher = {fields.SECRET_SIGNATURE_KEY: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}
    steps = [
        step("update", "hub", old={"authentication": {"password": "[secret]", "username": "a"}, "online": True},
             new={"authentication": {"password": "[secret]", "username": "b"}, "online": True}),
        step("update", "robot", kind="User", old={"password": "[secret]", "roles": ["x"]},
             new={"password": "[secret]", "roles": ["x"]}),
        step("update", "s3", kind="BlobStore", old={"bucket": {"secretAccessKey": cipher}, "name": "s3"},
             new={"bucket": {"secretAccessKey": "plain-by-mistake"}, "name": "s3"}),
    ]
    result = plan.analyse("prod", 0, {"steps": steps})
    hub, robot, s3 = result.changes
    assert [f.text for f in hub.fields] == ['authentication.username: "a" → "b"'] and not hub.secret_guess
    assert robot.secret_guess and [f.path for f in robot.fields] == ["password"]
    assert s3.secret_guess and [f.path for f in s3.fields] == ["bucket.secretAccessKey"]  # masked both sides
    rendered = review.markdown(result) + review.summary(result, full=True)
    assert "plain-by-mistake" not in rendered and "v1:abc" not in rendered


def test_the_comment_stays_within_githubs_limit_and_says_what_it_left_out():
    steps = [step("create", f"team-{i:04}", new={"name": f"team-{i:04}", "httpPort": 20000 + i,
                                                 "remoteUrl": "https://registry-1.docker.io"}) for i in range(3000)]
    result = plan.analyse("prod", 0, {"steps": steps, "changeSummary": {"create": 3000, "same": 1}})
    text = review.markdown(result, limit=60000)
    assert len(text) <= 60000
    assert "| … | " in text and "more objects | listed in the job log |" in text
    assert "The full diff is too long for a comment" in text
    fewer = plan.analyse("prod", 0, {"steps": steps[:40]})
    cut = review.markdown(fewer, limit=6500)
    assert len(cut) <= 6500 and len(table(cut)) == 40
    assert "more objects: the job log has them" in cut and cut.rstrip().endswith("</details>")
    assert cut.count("```") % 2 == 0


def test_table_cells_survive_pipes_backticks_and_protected_deletes():
    steps = [step("update", "odd", old={"remoteUrl": "https://a|b"}, new={"remoteUrl": "https://`c`|d"}),
             step("delete", "data", kind="DockerHostedRepository", old={"name": "data"}, protect=True),
             step("update", "group", kind="DockerGroupRepository", old={"members": ["a", "b", "c"]},
                  new={"members": ["c", "b", "a", "d"]})]
    text = review.markdown(plan.analyse("prod", 0, {"steps": steps}))
    assert all(len(UNESCAPED_PIPE.findall(line)) == 4 for line in table(text)), text
    assert "``" in row(text, "odd")
    assert row(text, "data").startswith("| **delete** 🔒 |") and "`make up` refuses this" in row(text, "data")
    assert 'added `"d"`; order `["a", "b", "c"]` → `["c", "b", "a", "d"]`' in row(text, "group")


def test_a_failed_preview_shows_the_engines_words():
    failed = plan.analyse("prod", 255, {"steps": [], "diagnostics": [
        {"severity": "error", "message": "error: preview failed\n"},
        {"severity": "warning", "message": "warning: Nexus is slow\n"}]})
    failed.engine_output = "Policies:\n    [mandatory]  proxy-needs-cleanup-policy  ```x```"
    text = review.markdown(failed)
    assert text.startswith("### Preview of stack `prod` failed")
    assert "- pulumi preview exited 255" in text and "[mandatory]  proxy-needs-cleanup-policy  '''x'''" in text
    assert text.count("```") == 2
