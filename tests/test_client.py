"""The Nexus client: error shapes, retries, timeouts, server facts and run caches, over real HTTP."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Optional

import pytest

from components.client import Connection, NexusClient, NexusError, NexusUnreachable, parse_server_header
from components.connection import ANCHOR, Trust
from tests.emulator.server import Emulator, Fault, server_tls_context
from tests.emulator.state import NexusState, Options
from tests.pki import Pki, make_pki

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
    assert caught.value.kind == "timeout"
    assert f"no answer from {emulator.base_url} within 0.5 s (after 1 retries)" in caught.value.message


def test_a_post_that_got_no_answer_is_not_said_to_be_retried(emulator):
    """A POST whose connection dropped after it was sent may have been applied: never retried,
    and the message says so instead of "after 3 retries"."""
    emulator.faults.append(Fault("POST", "/service/rest/v1/blobstores/file", reset=True, count=5))
    with pytest.raises(NexusUnreachable) as caught:
        client_for(emulator.base_url, retries=3).send("POST", "/v1/blobstores/file", {"name": "x", "path": "x"})
    assert "a POST is not retried because Nexus may already have applied it" in caught.value.message
    assert "retries" not in caught.value.message
    assert len([r for r in emulator.log.all() if r["method"] == "POST"]) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_refused_is_unreachable_and_named(method):
    """Nothing reached Nexus, so every method is retried, and the message says where it went."""
    started = time.monotonic()
    with pytest.raises(NexusUnreachable) as caught:
        client_for("http://127.0.0.1:9", retries=1, timeout=1).request(method, "/v1/status")
    assert time.monotonic() - started < 5
    assert caught.value.kind == "refused"
    assert "no answer from http://127.0.0.1:9: the connection was refused" in caught.value.message
    assert "(1 retries)" in caught.value.message


def test_a_host_that_does_not_resolve_fails_fast_with_its_name():
    started = time.monotonic()
    with pytest.raises(NexusUnreachable) as caught:
        client_for("http://nexus.invalid:8081", retries=1).get_json("/v1/status")  # RFC 6761: never resolves
    assert time.monotonic() - started < 5
    assert caught.value.kind == "dns"
    assert "no answer from http://nexus.invalid:8081: its host name 'nexus.invalid' does not resolve" \
        in caught.value.message


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


def test_password_and_client_key_are_not_in_repr():
    connection = Connection("http://x", "admin", "secret-pw", trust=Trust(client_key_pem="KEY-TEXT"))
    assert "secret-pw" not in repr(connection) and "KEY-TEXT" not in repr(connection)


# --- HTTPS: the emulator behind TLS with a private CA ----------------------------------------------
@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def https_emulator(pki, request) -> Iterator[Emulator]:
    mutual = getattr(request, "param", False)
    emu = Emulator(NexusState(Options(admin_password=PASSWORD)))
    emu.serve("127.0.0.1", 0, tls=server_tls_context(pki.file("server.crt"), pki.file("server.key"),
                                                     pki.file("ca.pem") if mutual else None))
    yield emu
    emu.shutdown()


def tls_client(url: str, **trust) -> NexusClient:
    return NexusClient(Connection(url, "admin", PASSWORD, retries=2, trust=Trust(**trust)))


def test_https_with_a_private_ca(https_emulator, pki):
    url = https_emulator.base_url
    assert url.startswith("https://")
    with pytest.raises(NexusUnreachable) as caught:
        tls_client(url).get_json("/v1/status/check")
    assert caught.value.kind == "tls"
    assert "certificate verify failed" in caught.value.message
    assert "nexus.tls.caPem" in caught.value.message and "caFromStack" in caught.value.message
    assert [r for r in https_emulator.log.all() if r["path"].endswith("/status/check")] == [], "refused before HTTP"
    assert tls_client(url, ca_pem=pki.ca_pem).get_json("/v1/status/check")
    assert tls_client(url, ca_file=pki.file("ca.pem")).get_json("/v1/status/check")


def test_a_ca_bundle_that_does_not_parse_is_named():
    with pytest.raises(NexusUnreachable) as caught:
        tls_client("https://127.0.0.1:9", ca_pem="-----BEGIN CERTIFICATE-----\nnope\n").get_json("/v1/status")
    assert "nexus.tls.caPem: cannot read the CA bundle" in caught.value.message


def test_insecure_skips_verification_and_warns(https_emulator, capsys):
    assert tls_client(https_emulator.base_url, insecure=True).get_json("/v1/status/check")
    assert "nexus.tls.insecure is on" in capsys.readouterr().err


@pytest.mark.parametrize("https_emulator", [True], indirect=True)
def test_mutual_tls_needs_the_client_certificate(https_emulator, pki):
    url = https_emulator.base_url
    with pytest.raises(NexusUnreachable) as caught:
        tls_client(url, ca_pem=pki.ca_pem).get_json("/v1/status/check")
    assert "it wants a client certificate" in caught.value.message
    assert "nexus.tls.clientCertPem" in caught.value.message
    from_text = tls_client(url, ca_pem=pki.ca_pem, client_cert_pem=pki.client_cert_pem,
                           client_key_pem=pki.client_key_pem)
    assert from_text.get_json("/v1/status/check")
    from_files = tls_client(url, ca_pem=pki.ca_pem, client_cert_file=pki.file("client.crt"),
                            client_key_file=pki.file("client.key"))
    assert from_files.get_json("/v1/status/check")
    with pytest.raises(NexusUnreachable) as caught:
        tls_client(url, ca_pem=pki.ca_pem, client_cert_pem=pki.client_cert_pem,
                   client_key_pem=pki.server_key_pem).get_json("/v1/status/check")
    assert "cannot load the client certificate and key" in caught.value.message
    assert pki.server_key_pem not in caught.value.message


def test_a_refresh_reads_with_the_password_the_bootstrap_found_working(emulator):
    """After `pulumi config set --secret adminPassword NEW`, Nexus still has the old one until
    the bootstrap rotates it: a provider's 401 waits for the bootstrap's verdict and uses it."""
    ANCHOR.reset()
    try:
        configured = Connection(emulator.base_url, "admin", "not-yet-applied", retries=0, follows_bootstrap=True)
        threading.Timer(0.3, ANCHOR.publish_password, (configured, PASSWORD)).start()
        assert NexusClient(configured).get_json("/v1/status/check")
        statuses = [r["status"] for r in emulator.log.all() if r["path"].endswith("/status/check")]
        assert statuses == [401, 200]
        ANCHOR.publish_password(configured, None)  # the bootstrap found no working password
        with pytest.raises(NexusError) as caught:
            NexusClient(configured).get_json("/v1/status/check")
        assert caught.value.status == 401
    finally:
        ANCHOR.reset()


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
