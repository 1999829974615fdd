"""The seeds' docker path with a real registry client nobody here wrote: skopeo (containers/image,
the code podman, buildah and CRI-O use) against a stack converged by the real chain.

The seeds' story: a CI robot pushes to the hosted repository, anyone pulls anonymously through
the group (the registry-mirror case the first seed gave up on), a group or a proxy takes no
push, and — the second seed — one TLS host name in nginx serves pull and push, its certificate
chain checked with the stack's generated CA. The image is an OCI layout built here, byte for
byte, so nothing reaches the internet.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.harness import EmulatorProcess, Result, Workspace, temp_dir
from tests.nginx import running_nginx
from tests.samples import free_ports

pytestmark = pytest.mark.engine
SKOPEO = shutil.which("skopeo")
ADMIN_PASSWORD = "Skopeo-Admin-Pw-1"
CI_PASSWORD = "Skopeo-Ci-Pw-1"
HOST = "localhost"


# --- an OCI image, built here -------------------------------------------------------------------
def _blob(root: Path, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def oci_image(root: Path, tag: str, text: str) -> str:
    """An `oci:` directory layout with one image (one layer holding hello.txt); returns the
    layer digest."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
    raw = tar_bytes.getvalue()
    layer = _blob(root, gzip.compress(raw, mtime=0))
    config = _blob(root, json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
    manifest = _blob(root, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}).encode())
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
        "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
    return layer["digest"]


def layer_text(root: Path, tag: str) -> str:
    """hello.txt of the image `tag` in an `oci:` layout (what a pull brought back)."""
    index = json.loads((root / "index.json").read_text())
    entry = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag)
    manifest = json.loads((root / "blobs" / "sha256" / entry["digest"].split(":")[1]).read_bytes())
    layer = (root / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer))) as tar:
        return tar.extractfile("hello.txt").read().decode()


# --- skopeo --------------------------------------------------------------------------------------
class Skopeo:
    """skopeo with its own policy and auth file, never the machine's or the user's."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.policy = home / "policy.json"
        self.policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "REGISTRY_AUTH_FILE": str(home / "auth.json"),
                    "TMPDIR": str(home)}

    def copy(self, source: str, target: str, *options: str) -> Result:
        args = [SKOPEO, "--policy", str(self.policy), "copy", "--retry-times", "0", *options, source, target]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=self.env)
        return Result(args, done.returncode, done.stdout, done.stderr)


@dataclass
class Registry:
    nexus: EmulatorProcess
    ports: dict[str, int]
    bundle: Path
    proxy_port: int
    skopeo: Skopeo
    work: Path

    def image(self, tag: str, text: str) -> tuple[Path, str]:
        root = Path(tempfile.mkdtemp(prefix="oci-", dir=self.work))
        oci_image(root, tag, text)
        return root, f"oci:{root}:{tag}"

    def stored(self, repository: str, name: str) -> bool:
        """Whether a manifest PUT for `name` succeeded on `repository`'s connector."""
        return any(r.get("connector") and r["method"] == "PUT" and r["repository"] == repository
                   and r["path"].startswith(f"/v2/{name}/manifests/") and r["status"] == 201
                   for r in self.nexus.requests())


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One stack for the module: proxy + hosted + group, anonymous pull on the group, a CI
    pusher, TLS and a reverse proxy for one host name; converged once with `pulumi up`."""
    if SKOPEO is None:
        pytest.skip("skopeo is not installed (scripts/system-packages.sh installs it)")
    base = tmp_path_factory.mktemp("skopeo")
    nexus = EmulatorProcess(base / "nexus-data", admin_password=ADMIN_PASSWORD)
    bundle = temp_dir("nexus-bundle-")  # nginx runs as nobody: pytest's directories are private
    try:
        hub, hosted, group, proxy_port = free_ports(4)
        ws = Workspace.create(base)
        ws.configure({
            "nexus": {"url": nexus.url},
            "repositories": [
                {"name": "docker-hub", "type": "proxy", "remoteUrl": "https://registry-1.docker.io",
                 "indexType": "HUB", "httpPort": hub},
                {"name": "ybcard", "type": "hosted", "httpPort": hosted, "writePolicy": "ALLOW"},
                {"name": "hub-group", "type": "group", "httpPort": group, "members": ["docker-hub", "ybcard"]},
            ],
            "security": {"anonymousPull": ["hub-group"], "pushers": {"ci": ["ybcard"]}},
            "tls": {"hostnames": [HOST], "ipAddresses": ["127.0.0.1"]},
            "reverseProxy": {"registryHost": HOST, "pullRepository": "hub-group", "pushRepository": "ybcard",
                             "listenAddress": "127.0.0.1", "listenPort": proxy_port, "outputDir": str(bundle),
                             "tlsCertPath": str(bundle / f"{HOST}.crt"), "tlsKeyPath": str(bundle / f"{HOST}.key")},
        }, {"adminPassword": ADMIN_PASSWORD, "security.passwords.ci": CI_PASSWORD})
        ws.up()
        work = base / "work"
        work.mkdir()
        yield Registry(nexus, {"docker-hub": hub, "ybcard": hosted, "hub-group": group}, bundle, proxy_port,
                       Skopeo(work), work)
    finally:
        nexus.stop()
        shutil.rmtree(bundle, ignore_errors=True)


def direct(registry: Registry, repository: str, name: str) -> str:
    """docker://… on a repository's own connector (plain HTTP, as Nexus's httpPort)."""
    return f"docker://127.0.0.1:{registry.ports[repository]}/{name}"


PLAIN_PUSH = ("--dest-tls-verify=false",)
PLAIN_PULL = ("--src-tls-verify=false",)


# --- on the connectors ----------------------------------------------------------------------------
def test_the_ci_pusher_pushes_to_hosted_and_anyone_pulls_through_the_group(registry):
    _, image = registry.image("1.0", "built by CI")
    pushed = registry.skopeo.copy(image, direct(registry, "ybcard", "team/app:1.0"), *PLAIN_PUSH,
                                  "--dest-creds", f"ci:{CI_PASSWORD}")
    assert pushed.code == 0, pushed.output
    assert registry.stored("ybcard", "team/app")

    pulled = registry.work / "pulled"
    anonymous = registry.skopeo.copy(direct(registry, "hub-group", "team/app:1.0"), f"oci:{pulled}:1.0",
                                     *PLAIN_PULL, "--src-no-creds")
    assert anonymous.code == 0, anonymous.output
    assert layer_text(pulled, "1.0") == "built by CI"
    served = [r for r in registry.nexus.requests() if r.get("connector") and r["repository"] == "hub-group"
              and r["method"] == "GET" and "/blobs/" in r["path"]]
    assert served and all(r["status"] == 200 for r in served)


@pytest.mark.parametrize("target,credentials,refusal", [
    # The pusher may not even read the group: its first blob check is refused.
    ("hub-group", ("--dest-creds", f"ci:{CI_PASSWORD}"), "failed to read from destination repository"),
    # Admin may read it, but a Community Edition group has no write handler: Jetty's HTML 404
    # (dockerd, in the first seed: "invalid character '<' looking for beginning of value").
    ("hub-group", ("--dest-creds", f"admin:{ADMIN_PASSWORD}"), "statuscode: 404, <!doctype html>"),
    ("docker-hub", ("--dest-creds", f"admin:{ADMIN_PASSWORD}"), "unsupported"),  # a proxy takes no upload
    ("ybcard", ("--dest-no-creds",), "authentication required"),  # anonymous may pull the group, never push
])
def test_pushes_the_registry_must_refuse(registry, target, credentials, refusal):
    _, image = registry.image("9.9", f"refused on {target}")
    name = f"refused/{target}-{credentials[-1].split(':')[0].lstrip('-')}"
    result = registry.skopeo.copy(image, direct(registry, target, f"{name}:9.9"), *PLAIN_PUSH, *credentials)
    assert result.code != 0
    assert refusal in result.output.lower(), result.output
    assert all(r["status"] >= 400 for r in registry.nexus.requests() if r.get("connector")
               and r["method"] == "PUT" and r["path"].startswith(f"/v2/{name}/manifests/")), "no manifest stored"


# --- through the one-host nginx front --------------------------------------------------------------
@pytest.fixture(scope="module")
def front(registry) -> Iterator[Path]:
    """nginx with the generated config; a certs.d-style directory holding the stack's CA."""
    prefix = temp_dir("nexus-nginx-")
    certs = registry.work / "certs.d"
    certs.mkdir()
    shutil.copy(registry.bundle / "ca.crt", certs / "ca.crt")
    try:
        with running_nginx(prefix, registry.bundle / "nexus-registry.conf", registry.proxy_port):
            yield certs
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def through(registry: Registry, name: str) -> str:
    return f"docker://{HOST}:{registry.proxy_port}/{name}"


@pytest.mark.parametrize("user,password", [("ci", CI_PASSWORD), ("admin", ADMIN_PASSWORD)])
def test_one_host_name_takes_pushes_from_the_least_privileged_pusher_and_serves_anonymous_pulls(
        registry, front, user, password):
    """The CI pusher holds privileges on the hosted repository only. Its blob existence checks
    (HEAD /v2/<name>/blobs/<digest>) must reach the hosted repository, not the group."""
    _, image = registry.image("2.0", f"pushed by {user} through nginx")
    name = f"front/{user}-app"
    registry.nexus.clear_log()
    pushed = registry.skopeo.copy(image, through(registry, f"{name}:2.0"), "--dest-cert-dir", str(front),
                                  "--dest-creds", f"{user}:{password}")
    assert pushed.code == 0, pushed.output
    checks = [r for r in registry.nexus.requests() if r.get("connector") and r["method"] == "HEAD"
              and "/blobs/" in r["path"]]
    assert checks and {r["repository"] for r in checks} == {"ybcard"}

    pulled = registry.work / f"front-{user}"
    anonymous = registry.skopeo.copy(through(registry, f"{name}:2.0"), f"oci:{pulled}:2.0",
                                     "--src-cert-dir", str(front), "--src-no-creds")
    assert anonymous.code == 0, anonymous.output
    assert layer_text(pulled, "2.0") == f"pushed by {user} through nginx"


def test_the_front_certificate_is_checked(registry, front):
    """Without the stack's CA the chain does not verify: TLS really is checked."""
    _, image = registry.image("3.0", "never sent")
    untrusted = registry.skopeo.copy(image, through(registry, "front/untrusted:3.0"),
                                     "--dest-creds", f"ci:{CI_PASSWORD}")
    assert untrusted.code != 0
    assert "certificate signed by unknown authority" in untrusted.output
