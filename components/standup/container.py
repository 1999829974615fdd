"""Run `sonatype/nexus3` with pulumi_docker: image, data volume, container and its config files.

Nexus reads `/nexus-data/etc/nexus.properties` (and, with Jetty HTTPS, the keystore and the
password overlay) only at start-up. The files are container `uploads`, which the docker provider
treats as replace-on-change, so a config change recreates the container on the same volume.

The image runs as uid/gid 200. Docker creates missing parent directories of an upload as root,
which would leave `/nexus-data/etc` unwritable for Nexus (log-level overrides live there); a
one-shot "prepare" container therefore creates and chowns those directories first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pulumi
import pulumi_docker as docker

from ..schema import Fragment
from .nexus_properties import (
    DATA_DIR,
    DEFAULT_HTTPS_PORT,
    JETTY_DIR,
    KEYSTORE_PATH,
    KEYSTORE_XML_PATH,
    PROPERTIES_PATH,
    SSL_DIR,
    UI_PORT,
    render_keystore_xml,
    render_nexus_properties,
)
from .tls_material import TlsMaterial

NEXUS_UID = "200"
SCHEMA = Fragment.section("container")  # where the container section's defaults are written
DEFAULT_IMAGE: str = SCHEMA.default("image")
HEALTH_URL = f"http://localhost:{UI_PORT}/service/rest/v1/status/writable"
RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")
_MEMORY = re.compile(r"^[1-9][0-9]*[kKmMgG]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VM_PARAMS = "INSTALL4J_ADD_VM_PARAMS"
# Nexus needs time to close its databases; docker's default 10 s stop ends in SIGKILL.
_STOP_SECONDS = 120
_PREPARE_SCRIPT = (
    f"mkdir -p {SSL_DIR} {JETTY_DIR} && "
    f"chown {NEXUS_UID}:{NEXUS_UID} {DATA_DIR} {DATA_DIR}/etc {SSL_DIR} {JETTY_DIR} && "
    f"chmod 0700 {SSL_DIR}"
)


@dataclass(frozen=True)
class ContainerSettings:
    """The `nexus-registry:container` config section with defaults filled (schemas/container.schema.json)."""

    image: str = DEFAULT_IMAGE
    registry_mirror: str | None = None
    name: str = SCHEMA.default("name")
    volume: str = SCHEMA.default("volume")
    protect_volume: bool = SCHEMA.default("protectVolume")
    heap: str = SCHEMA.default("heap")
    direct_memory: str | None = None
    restart_policy: str = SCHEMA.default("restartPolicy")
    http_port: int = SCHEMA.default("httpPort")
    bind_address: str = SCHEMA.default("bindAddress")
    random_password: bool = SCHEMA.default("randomPassword")
    skip_default_repositories: bool = SCHEMA.default("skipDefaultRepositories")
    nexus_properties: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    wait_timeout: int = SCHEMA.default("waitTimeout")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> "ContainerSettings":
        """Build from the camelCase config dict; absent keys take the schema defaults."""
        cfg = SCHEMA.with_defaults(cfg or {})
        return cls(
            image=cfg["image"],
            registry_mirror=cfg.get("registryMirror"),
            name=cfg["name"],
            volume=cfg["volume"],
            protect_volume=bool(cfg["protectVolume"]),
            heap=cfg["heap"],
            direct_memory=cfg.get("directMemory"),
            restart_policy=cfg["restartPolicy"],
            http_port=int(cfg["httpPort"]),
            bind_address=cfg["bindAddress"],
            random_password=bool(cfg["randomPassword"]),
            skip_default_repositories=bool(cfg["skipDefaultRepositories"]),
            nexus_properties=dict(cfg["nexusProperties"]),
            extra_env=dict(cfg["extraEnv"]),
            wait_timeout=int(cfg["waitTimeout"]),
        )


def image_reference(image: str, registry_mirror: str | None = None) -> str:
    """The image to pull: `image` (which must pin a tag or digest), behind the mirror if one is set.

    A floating tag would let an unrelated `docker pull` upgrade Nexus, and Nexus upgrades migrate
    the database one way, so `latest` and untagged names are refused.
    """
    last = image.rsplit("/", 1)[-1]
    if "@sha256:" not in image and (":" not in last or last.endswith(":latest")):
        raise ValueError(
            f"container.image {image!r} must pin a version, e.g. 'sonatype/nexus3:3.86.2' "
            "(not 'latest'): fix nexus-registry:container.image"
        )
    if not registry_mirror:
        return image
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        raise ValueError(
            f"container.image {image!r} already names a registry; drop nexus-registry:container.registryMirror "
            "or use the image path without its registry"
        )
    return f"{registry_mirror.rstrip('/')}/{image}"


def vm_params(heap: str, direct_memory: str | None = None) -> str:
    """INSTALL4J_ADD_VM_PARAMS: fixed heap (Xms = Xmx), direct memory, Java prefs on the volume.

    Setting the variable replaces the image's default, which also carried the prefs location.
    """
    direct = direct_memory or heap
    for label, value in (("heap", heap), ("directMemory", direct)):
        if not _MEMORY.match(value):
            raise ValueError(f"container.{label} {value!r} must look like '2703m' or '4g': fix nexus-registry:container.{label}")
    return (
        f"-Xms{heap} -Xmx{heap} -XX:MaxDirectMemorySize={direct} "
        f"-Djava.util.prefs.userRoot={DATA_DIR}/javaprefs"
    )


def container_env(settings: ContainerSettings) -> list[str]:
    """The container's environment as `NAME=value` strings, in a stable order."""
    env = [f"{_VM_PARAMS}={vm_params(settings.heap, settings.direct_memory)}"]
    if not settings.random_password:
        env.append("NEXUS_SECURITY_RANDOMPASSWORD=false")
    for name, value in sorted(settings.extra_env.items()):
        if not _ENV_NAME.match(name):
            raise ValueError(f"container.extraEnv name {name!r} is not a valid variable name")
        if name in (_VM_PARAMS, "NEXUS_SECURITY_RANDOMPASSWORD"):
            raise ValueError(
                f"container.extraEnv must not set {name}: use container.heap/directMemory/randomPassword"
            )
        env.append(f"{name}={value}")
    return env


def connector_ports(repositories: Sequence[Mapping[str, Any]]) -> list[int]:
    """Every docker connector port (httpPort and httpsPort) in `nexus-registry:repositories`, sorted."""
    ports = {int(repo[key]) for repo in repositories for key in ("httpPort", "httpsPort") if repo.get(key) is not None}
    return sorted(ports)


class NexusContainer(pulumi.ComponentResource):
    """sonatype/nexus3 with its data volume, config files, ports, health check and restart policy.

    Pass `tls` to turn Jetty HTTPS on: its keystore goes to /nexus-data/etc/ssl/keystore.jks and
    its (secret) password into a Jetty overlay, and `https_port` is published.
    """

    container_id: pulumi.Output[str]
    container_name: pulumi.Output[str]
    volume_name: pulumi.Output[str]
    image_ref: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        settings: ContainerSettings,
        *,
        connector_ports: Sequence[int] = (),
        tls: TlsMaterial | None = None,
        https_port: int = DEFAULT_HTTPS_PORT,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("nexus-registry:stand-up:NexusContainer", name, None, opts)
        if settings.restart_policy not in RESTART_POLICIES:
            raise ValueError(f"container.restartPolicy must be one of {', '.join(RESTART_POLICIES)}")
        ports = _port_list(settings, connector_ports, https_port if tls else None)
        child = pulumi.ResourceOptions(parent=self)

        ref = image_reference(settings.image, settings.registry_mirror)
        image = docker.RemoteImage(f"{name}-image", name=ref, keep_locally=True, opts=child)
        volume = docker.Volume(
            f"{name}-volume",
            name=settings.volume,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect_volume),
        )
        mount = docker.ContainerVolumeArgs(volume_name=volume.name, container_path=DATA_DIR)

        prepare = docker.Container(
            f"{name}-prepare",
            name=f"{settings.name}-prepare",
            image=image.image_id,
            user="0:0",
            entrypoints=["/bin/sh", "-c"],
            command=[_PREPARE_SCRIPT],
            volumes=[mount],
            attach=True,
            must_run=False,
            logs=False,
            opts=child,
        )

        container = docker.Container(
            f"{name}-container",
            name=settings.name,
            image=image.image_id,
            restart=settings.restart_policy,
            envs=container_env(settings),
            ports=[
                docker.ContainerPortArgs(internal=internal, external=external, ip=settings.bind_address)
                for internal, external in ports
            ],
            volumes=[mount],
            uploads=_uploads(settings, tls, https_port),
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD-SHELL", f"curl -fsS -o /dev/null {HEALTH_URL} || exit 1"],
                interval="30s",
                timeout="10s",
                start_period="180s",
                retries=5,
            ),
            ulimits=[docker.ContainerUlimitArgs(name="nofile", soft=65536, hard=65536)],
            stop_timeout=_STOP_SECONDS,
            destroy_grace_seconds=_STOP_SECONDS,
            wait=settings.wait_timeout > 0,
            wait_timeout=settings.wait_timeout or None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[prepare]),
        )

        self.container_id = container.id
        self.container_name = container.name
        self.volume_name = volume.name
        self.image_ref = pulumi.Output.from_input(ref)
        self.register_outputs({
            "containerId": self.container_id,
            "containerName": self.container_name,
            "volumeName": self.volume_name,
            "imageRef": self.image_ref,
        })


def _port_list(settings: ContainerSettings, connectors: Sequence[int], https_port: int | None) -> list[tuple[int, int]]:
    """(container port, host port) pairs: UI, every docker connector, Jetty HTTPS when on."""
    pairs = [(UI_PORT, settings.http_port)]
    seen = {UI_PORT}
    for port in [*sorted(set(connectors)), *([https_port] if https_port else [])]:
        if port in seen:
            raise ValueError(f"port {port} is used twice (UI {UI_PORT}, docker connectors, Jetty HTTPS)")
        seen.add(port)
        pairs.append((port, port))
    return pairs


def _uploads(settings: ContainerSettings, tls: TlsMaterial | None, https_port: int) -> list[docker.ContainerUploadArgs]:
    """Config files written into the volume before Nexus starts, owned by the nexus user."""
    properties = render_nexus_properties(
        jetty_https=tls is not None,
        https_port=https_port,
        skip_default_repositories=settings.skip_default_repositories,
        extra=settings.nexus_properties,
    )
    uploads = [_upload(PROPERTIES_PATH, "0644", content=properties)]
    if tls is not None:
        uploads += [
            _upload(KEYSTORE_PATH, "0600", content_base64=tls.keystore_base64),
            _upload(KEYSTORE_XML_PATH, "0600", content=pulumi.Output.secret(tls.keystore_password.apply(render_keystore_xml))),
        ]
    return uploads


def _upload(path: str, mode: str, **content: Any) -> docker.ContainerUploadArgs:
    return docker.ContainerUploadArgs(file=path, owner=NEXUS_UID, group=NEXUS_UID, permissions=mode, **content)
