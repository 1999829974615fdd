"""Issue 15 A1-A4, A6 through the real chain: stack YAML -> pulumi CLI -> program -> emulator.
Each bad config fails before any write, and the output names the config path and the fix
(the long table of cases is in test_validation_config.py, in-process)."""
from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import configure
from tests.harness import PROJECT, Result
from tests.samples import repository, seed_registry

pytestmark = pytest.mark.engine


def assert_refused(result: Result, nexus: Any, *expected: str) -> None:
    assert result.code != 0, result.output
    for line in expected:
        assert line in result.output, f"{line!r} not in:\n{result.output}"
    assert "nothing was changed on Nexus" in result.output
    for crash in ("Traceback", "KeyError", "TypeError", "AttributeError"):
        assert crash not in result.output, result.output
    assert nexus.writes() == []


def test_cycles_and_bad_regexes_stop_up_before_any_write(workspace, nexus):
    """A1 + A2: before, `up` created blob stores, a cleanup policy and repositories, then
    failed on "Role 'rb' contained in role 'ra' not found" or on Nexus's field name."""
    values = seed_registry()
    values["cleanupPolicies"].append({"name": "old-tags", "assetRegex": "([a-z"})
    values["routingRules"] = [{"name": "allow-library", "mode": "ALLOW", "matchers": ["^/v2/{name}/.*"]}]
    values["repositories"] += [{"name": "ga", "type": "group", "members": ["gb"]},
                               {"name": "gb", "type": "group", "members": ["gc", "ybcard"]},
                               {"name": "gc", "type": "group", "members": ["ga"]}]
    values["security"] = {"roles": [{"id": "ra", "roles": ["rb"]}, {"id": "rb", "roles": ["ra"]},
                                    {"id": "rc", "roles": ["rd"]}, {"id": "rd", "roles": ["re"]},
                                    {"id": "re", "roles": ["rc"]}]}
    configure(workspace, nexus, values)
    result = workspace.up(check=False)
    assert_refused(
        result, nexus,
        "security.roles[1].roles[0]: roles form a cycle: ra → rb → ra; Nexus refuses a role that contains "
        "itself through other roles. Remove 'ra' from the roles of 'rb'",
        "security.roles[4].roles[0]: roles form a cycle: rc → rd → re → rc",
        "repositories[7].members[0]: groups form a cycle: ga → gb → gc → ga",
        "cleanupPolicies[1].assetRegex: '([a-z' is not a valid regular expression: Nexus refuses it "
        "(expected ']' at position 5)",
        "routingRules[0].matchers[0]: '^/v2/{name}/.*' is not a valid (Java) regular expression",
        "write \\{ for a literal brace")
    assert workspace.resources("nexus:Bootstrap") == []


def _stack_file(workspace: Any, config: Any) -> None:
    """The stack file as a user might leave it: empty (None), or this config with the stack's
    encryption salt."""
    if config is None:
        workspace.stack_file.write_text("")
        return
    doc = yaml.safe_load(workspace.stack_file.read_text()) or {}
    salt = {"encryptionsalt": doc["encryptionsalt"]} if "encryptionsalt" in doc else {}
    workspace.stack_file.write_text(yaml.safe_dump({**salt, "config": config}, sort_keys=False))


def test_bad_shapes_and_numbers_are_reported_first_never_a_traceback(workspace, nexus):
    """A3, A4, A6: wrong shapes never reach the server-facts step (before: KeyError 'url',
    TypeError); numbers beyond what Nexus stores and type errors name path and fix, once."""
    values = seed_registry()
    url = nexus.url
    needs_server = {f"{PROJECT}:retention": [{"repositories": ["docker-hub"], "lastDownloadedDays": 30}]}
    cases: list[tuple[str, Any, list[str]]] = [
        ("empty stack file", None, ["nexus: missing: set at least nexus.url",
                                    "adminPassword: missing: the desired admin password is required "
                                    "(pulumi config set --secret adminPassword <password>)"]),
        ("config: {}", {}, ["nexus: missing: set at least nexus.url (pulumi config set --path nexus.url"]),
        ("nexus as a string", {f"{PROJECT}:nexus": url, **needs_server},
         [f"nexus: must be an object with url, not a string: write `nexus: {{url: {url}}}` "
          f"(pulumi config set --path nexus.url {url})"]),
        ("nexus without url", {f"{PROJECT}:nexus": {"adopt": True}, **needs_server},
         ["nexus: 'url' is a required property (Base URL of Nexus"]),
        ("adminPassword missing", {f"{PROJECT}:nexus": {"url": url}, **needs_server},
         ["adminPassword: missing: the desired admin password is required"]),
    ]
    for name, config, expected in cases:
        _stack_file(workspace, config)
        result = workspace.preview()
        assert_refused(result, nexus, *expected)

    values["blobStores"][0]["softQuota"]["limitMb"] = 10_000_000_000_000  # 10^19 bytes: beyond a long
    values["blobStores"][1]["softQuota"] = 512
    repository(values, "ybcard")["httpPort"] = 70000
    repository(values, "google-hub")["contentMaxAge"] = 2**31
    configure(workspace, nexus, values)
    result = workspace.preview()
    assert_refused(
        result, nexus,
        "blobStores[0].softQuota.limitMb: 10000000000000 is greater than the maximum of 9223372036854",
        "blobStores[1].softQuota: must be an object (fields: limitBytes, limitMb, type), not 512",
        "repositories[3].httpPort: 70000 is greater than the maximum of 65535",
        "repositories[1].contentMaxAge: 2147483648 is greater than the maximum of 2147483647")
    assert "Unevaluated properties" not in result.output and "Allowed here" not in result.output
