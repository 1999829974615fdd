"""The Nexus client: error shapes, retries, timeouts, server facts and run caches, over real HTTP."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Optional

import pytest

from components.client import Connection, NexusClient, NexusError, NexusUnreachable, parse_server_header
from tests.emulator.server import Emulator, Fault
from tests.emulator.state import NexusState, Options

PASSWORD = "Client-Test-Pw1"


class Canned:
    """A tiny server answering each request with the next canned (status, headers, body)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = canned.answers.pop(0)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.answers.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, body))


@pytest.fixture
def canned() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.server.shutdown()


def start_emulator(**options) -> Emulator:
    emulator = Emulator(NexusState(Options(admin_password=PASSWORD, **options)))
    emulator.serve("127.0.0.1", 0)
    return emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = start_emulator()
    yield emu
    emu.shutdown()


def client_for(url: str, retries: int = 2, timeout: float = 5, version_hint: Optional[str] = None) -> NexusClient:
    return NexusClient(Connection(url, "admin", PASSWORD, version_hint=version_hint, timeout=timeout,
                                  retries=retries))


@pytest.mark.parametrize("status,body,headers,expected,ids", [
    (400, b'[{"id":"PARAMETER name","message":"must not be null"}]', {"Content-Type": "application/json"},
     "PARAMETER name: must not be null", ["PARAMETER name"]),
    (404, b'{"id":"*","message":"\\"Repository not found\\""}', {"Content-Type": "application/json"},
     "Repository not found", ["*"]),
    (400, b"Unknown realmIds: [Nope]", {"Content-Type": "text/plain"}, "Unknown realmIds: [Nope]", []),
    (403, b"", {}, "forbidden: the user lacks the privilege", []),
    (401, b"", {"WWW-Authenticate": 'BASIC realm="Sonatype Nexus Repository Manager"'},
     "authentication failed", []),
    (500, b"ERROR: (ID 5f1c2a3b-1234)", {"Content-Type": "text/plain"},
     "internal server error (ID 5f1c2a3b-1234); the details are only in the Nexus log", []),
    (404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"},
     "HTML page instead of JSON", []),
])
def test_every_error_shape_maps_to_one_exception(canned, status, body, headers, expected, ids):
    canned.answer(status, body, **headers)
    with pytest.raises(NexusError) as caught:
        client_for(canned.url, retries=0).get_json("/v1/anything")
    assert caught.value.status == status
    assert expected in caught.value.message
    assert caught.value.ids == ids
    assert "GET /v1/anything" in str(caught.value)


def test_retries_idempotent_calls_on_503_and_resets(emulator):
    client = client_for(emulator.base_url, retries=3)
    path = "/service/rest/v1/status/check"
    emulator.faults.append(Fault("GET", path, 503, count=2))
    assert client.get_json("/v1/status/check")
    emulator.faults.append(Fault("GET", path, reset=True, count=1))
    assert client.get_json("/v1/status/check")
    statuses = [r["status"] for r in emulator.log.all() if r["path"] == path]
    assert statuses == [503, 503, 200, 0, 200]


def test_post_is_not_retried_after_it_was_sent(emulator):
    emulator.faults.append(Fault("POST", "/service/rest/v1/system/eula", 503, count=1))
    with pytest.raises(NexusError) as caught:
        client_for(emulator.base_url, retries=3).send("POST", "/v1/system/eula", {"accepted": True})
    assert caught.value.status == 503
    assert len([r for r in emulator.log.all() if r["method"] == "POST"]) == 1


def test_timeouts_end_in_a_clear_unreachable_error(emulator):
    emulator.faults.append(Fault("GET", "/service/rest/v1/status/check", delay=1.5, count=5))
    with pytest.raises(NexusUnreachable) as caught:
        client_for(emulator.base_url, retries=1, timeout=0.5).get_json("/v1/status/check")
    assert "no answer from" in caught.value.message and "ReadTimeout" in caught.value.message


def test_connection_refused_is_unreachable():
    with pytest.raises(NexusUnreachable):
        client_for("http://127.0.0.1:9", retries=0, timeout=1).get_json("/v1/status")


def test_server_header_and_version_hint(canned):
    assert parse_server_header("Nexus/3.86.0-01 (COMMUNITY)") == ((3, 86, 0), "community")
    assert parse_server_header("Nexus/3.68.1-02 (OSS)") == ((3, 68, 1), "community")
    assert parse_server_header("Nexus/3.94.0-12 (PRO)") == ((3, 94, 0), "pro")
    assert parse_server_header("nginx/1.22") is None
    canned.answer(200, Server="nginx")
    with pytest.raises(NexusError, match="versionHint"):
        client_for(canned.url).server()
    canned.answer(200, Server="nginx")
    info = client_for(canned.url, version_hint="3.80.1").server()
    assert (info.version, info.edition, info.source) == ((3, 80, 1), "community", "hint")


@pytest.mark.parametrize("version,edition,expected", [
    ("3.86.0", "community", "/internal/cleanup-policies"),
    ("3.86.0", "pro", "/v1/cleanup-policies"),
    ("3.94.0", "pro", "/internal/cleanup-policies"),
])
def test_cleanup_endpoint_is_probed_once(version, edition, expected):
    emu = start_emulator(version=version, edition=edition)
    try:
        client = client_for(emu.base_url)
        assert client.cleanup_policy_base() == expected
        assert client.cleanup_policy_base() == expected
        probes = [r["path"] for r in emu.log.all() if "cleanup-policies" in r["path"]]
        assert probes == [f"/service/rest{expected}"]
        # The probe's answer seeds the policy list: reading it again costs nothing.
        client.cached_list("cleanup-policies", expected)
        assert len([r for r in emu.log.all() if "cleanup-policies" in r["path"]]) == len(probes)
    finally:
        emu.shutdown()


def test_list_cache_is_shared_by_concurrent_readers_and_dropped_by_writes(emulator):
    client = client_for(emulator.base_url)
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.cached_list("stores", "/v1/blobstores")))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert len([r for r in emulator.log.all() if r["path"] == "/service/rest/v1/blobstores"]) == 1
    client.send("POST", "/v1/blobstores/file", {"name": "x", "path": "x"}, invalidates=("stores",))
    names = [b["name"] for b in client.cached_list("stores", "/v1/blobstores")]
    assert "x" in names
    assert len([r for r in emulator.log.all() if r["path"] == "/service/rest/v1/blobstores"]) == 2


def test_integral_floats_go_out_as_integers(emulator):
    """Pulumi hands providers 30.0 for config's 30; Nexus's Long fields need 30."""
    client = client_for(emulator.base_url)
    client.send("POST", "/v1/blobstores/file", {"name": "q", "path": "q",
                                                 "softQuota": {"type": "spaceUsedQuota", "limit": 5000000.0}})
    doc = client.get_json("/v1/blobstores/file/q")
    assert doc["softQuota"]["limit"] == 5000000 and isinstance(doc["softQuota"]["limit"], int)


def test_password_is_not_in_repr():
    assert "secret-pw" not in repr(Connection("http://x", "admin", "secret-pw"))


def test_cleanup_probe_falls_back_when_the_likely_endpoint_is_absent(canned):
    """The edition only orders the probe: a Community server answering on /v1 is still found."""
    canned.answer(200, b"", Server="Nexus/3.90.0-01 (COMMUNITY)")  # GET /v1/status
    canned.answer(404, b"")                                       # /internal/cleanup-policies
    canned.answer(200, b"[]", Content_Type="application/json")    # /v1/cleanup-policies
    assert client_for(canned.url).cleanup_policy_base() == "/v1/cleanup-policies"


def test_concurrent_first_users_share_one_probe(emulator):
    client = client_for(emulator.base_url)
    threads = [threading.Thread(target=client.cleanup_policy_base) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    paths = [r["path"] for r in emulator.log.all()]
    assert paths.count("/service/rest/v1/status") == 1
    assert paths.count("/service/rest/internal/cleanup-policies") == 1
