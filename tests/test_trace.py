"""The HTTP trace (components/trace.py): NEXUS_RAC_TRACE / `nexusctl -v` / `make … VERBOSE=1` show
method, URL, status, time and retries of every call to Nexus — from the client in this process, from
the providers of a `pulumi up`, from a nexusctl check and its refresh — never a password, and
nothing at all when the switch is off."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from pulumi.runtime import settings as pulumi_settings

from components import trace
from components.client import Connection, NexusClient, NexusError
from tests.conftest import configure
from tests.emulator.testing import ADMIN_PASSWORD, Emulators, Nexus
from tests.harness import install_make, make, nexusctl

USER_PASSWORD = "Robot-Secret-Pw-71"
LINE = re.compile(r"^nexus-trace: (GET|POST|PUT|DELETE) https?://[\d.]+:\d+/service/rest/[^\s:]+"
                  r"( → \d{3} in \d+ ms| → no answer after \d+ ms: \w+|: retry \d+ after .+| (request|response) body: .+)$")


@pytest.fixture(autouse=True)
def outside_an_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trace lines go to the engine's log inside a Pulumi process, else to stderr. The mock-engine
    tests (test_program_mocks, test_container) leave their mock engine in the SDK's process-wide
    settings, so a later test in the same worker would log to it: these tests run outside one."""
    monkeypatch.setattr(pulumi_settings.SETTINGS, "engine", None)


@pytest.fixture
def emulator(emulators: Emulators) -> Nexus:
    return emulators.get("3.86.2")


def client(nexus: Nexus, url: str = "", retries: int = 2) -> NexusClient:
    return NexusClient(Connection.from_settings({"url": url or nexus.emulator.base_url, "retries": retries},
                                                ADMIN_PASSWORD))


def user(user_id: str) -> dict[str, Any]:
    return {"userId": user_id, "firstName": "r", "lastName": "obot", "emailAddress": f"{user_id}@example.org",
            "password": USER_PASSWORD, "status": "active", "roles": ["nx-anonymous"]}


def traced(captured: str) -> list[str]:
    return [line for line in captured.splitlines() if line.startswith(trace.PREFIX)]


@pytest.mark.parametrize("setting, expected", [("", 0), ("0", 0), ("off", 0), ("1", 1), ("yes", 1), ("2", 2)])
def test_the_switch(monkeypatch, setting: str, expected: int):
    monkeypatch.setenv(trace.SWITCH, setting)
    assert trace.level() == expected


def test_level_1_traces_calls_retries_and_failures_without_secrets(emulator, monkeypatch, capsys):
    monkeypatch.setenv(trace.SWITCH, "1")
    nexus = client(emulator)
    nexus.send("POST", "/v1/security/users", user("robot-1"))
    nexus.request("PUT", "/v1/security/users/robot-1/change-password", text_body=USER_PASSWORD + "x")
    requests.post(f"{emulator.emulator.base_url}/__emulator/faults",
                  json={"method": "GET", "path": "/service/rest/v1/blobstores", "status": 503, "count": 1})
    nexus.get_json("/v1/blobstores")
    with pytest.raises(NexusError):
        client(emulator, url="http://127.0.0.1:9", retries=1).server()
    lines = traced(capsys.readouterr().err)
    assert all(LINE.match(line) for line in lines), lines
    base = emulator.emulator.base_url
    assert f"nexus-trace: POST {base}/service/rest/v1/security/users → 200 in" in "\n".join(lines)
    assert f"nexus-trace: PUT {base}/service/rest/v1/security/users/robot-1/change-password → 204 in" in "\n".join(lines)
    assert [line for line in lines if "blobstores" in line][0] == \
        f"nexus-trace: GET {base}/service/rest/v1/blobstores: retry 1 after status 503"
    assert any(re.match(r"nexus-trace: GET http://127\.0\.0\.1:9/service/rest/v1/status → no answer after \d+ ms: "
                        r"NewConnectionError$", line) for line in lines), lines
    assert not any("body" in line for line in lines)  # bodies only at level 2
    for secret in (USER_PASSWORD, ADMIN_PASSWORD, "Authorization", "Basic "):
        assert secret not in "\n".join(lines)


def test_level_2_adds_bodies_with_secrets_masked(emulator, monkeypatch, capsys):
    monkeypatch.setenv(trace.SWITCH, "2")
    nexus = client(emulator)
    nexus.send("POST", "/v1/security/users", user("robot-2"))
    nexus.request("PUT", "/v1/security/users/robot-2/change-password", text_body=USER_PASSWORD + "y")
    lines = traced(capsys.readouterr().err)
    sent = next(line for line in lines if "POST" in line and "request body" in line)
    assert json.loads(sent.split("request body: ", 1)[1])["password"] == "[secret]"
    assert any(line.endswith("request body: (19 characters of text, not shown)") for line in lines), lines
    assert any("response body" in line and '"userId": "robot-2"' in line for line in lines)
    for secret in (USER_PASSWORD, ADMIN_PASSWORD):
        assert secret not in "\n".join(lines)


def test_off_means_no_trace_and_a_plain_session(emulator, monkeypatch, capsys):
    monkeypatch.delenv(trace.SWITCH, raising=False)
    nexus = client(emulator)
    nexus.get_json("/v1/blobstores")
    assert type(nexus.session) is requests.Session
    assert capsys.readouterr().err == ""


def test_masking_and_urls():
    body = {"name": "s3", "bucketConfiguration": {"bucketSecurity": {"accessKeyId": "AKIA", "secretAccessKey": "k",
                                                                   "sessionToken": "t"}},
            "httpClient": {"authentication": {"password": "p", "bearerToken": "b", "username": "u"}}}
    shown = trace.masked(body)
    assert shown["bucketConfiguration"]["bucketSecurity"] == {"accessKeyId": "[secret]",
                                                              "secretAccessKey": "[secret]", "sessionToken": "[secret]"}
    assert shown["httpClient"]["authentication"] == {"password": "[secret]", "bearerToken": "[secret]", "username": "u"}
    assert trace.shown_url("https://admin:pw@nexus.example:8443/service/rest/v1/x?a=1") == \
        "https://nexus.example:8443/service/rest/v1/x?a=1"


@pytest.mark.engine
def test_a_provider_run_a_nexusctl_check_and_make_show_the_trace(workspace, nexus):
    install_make(workspace)
    values = {"blobStores": [{"name": "ybcard", "type": "file"}],
              "repositories": [{"name": "ybcard", "type": "hosted", "blobStore": "ybcard", "writePolicy": "ALLOW"}],
              "security": {"pushers": {"ci": ["ybcard"]}}}
    configure(workspace, nexus, values, {"security.passwords.ci": USER_PASSWORD})

    workspace.env[trace.SWITCH] = "2"  # the providers of a plain `pulumi up`
    done = workspace.up()
    lines = traced_anywhere(done.output)
    assert re.search(rf"nexus-trace: POST {re.escape(nexus.url)}/service/rest/v1/security/users → 200 in \d+ ms",
                     "\n".join(lines)), done.output
    assert any("request body" in line and '"password": "[secret]"' in line for line in lines)
    del workspace.env[trace.SWITCH]

    quiet = nexusctl(workspace, "drift", "test", "--format", "json")
    assert quiet.code == 0 and trace.PREFIX not in quiet.output
    loud = nexusctl(workspace, "drift", "test", "-v", "--format", "json")
    assert loud.code == 0, loud.output
    assert json.loads(loud.stdout)["status"] == "clean"  # stdout stays the JSON alone
    lines = traced(loud.stderr)
    assert f"GET {nexus.url}/service/rest/v1/status →" in "\n".join(lines)  # nexusctl's own probe
    assert f"GET {nexus.url}/service/rest/v1/security/users" in "\n".join(lines)  # the providers' refresh
    assert all(LINE.match(line) for line in lines), lines

    through_make = make(workspace, "drift", "VERBOSE=1")
    assert through_make.code == 0 and f"GET {nexus.url}/service/rest/v1/status →" in through_make.stderr
    assert trace.PREFIX not in make(workspace, "drift").output
    for output in (done.output, loud.output, through_make.output):
        for secret in (USER_PASSWORD, nexus.password):
            assert secret not in output


def traced_anywhere(output: str) -> list[str]:
    """Trace lines as pulumi shows them: after a resource's progress prefix, or in the diagnostics."""
    return [line[line.index(trace.PREFIX):].strip() for line in output.splitlines() if trace.PREFIX in line]
