"""Issue 13's "done means", through the real engine: a stack with one repository of every format
and type of 3.94.0 (and, separately, of 3.86.2) converges against the emulator of that release,
a second preview is empty, the drift check is clean, and the same stack against the release
before fails at preview naming what that release lacks — one `up` per release for the whole
stack. The signing keys are Pulumi secrets and never in the state in plain text.

The lifecycle of each format's provider is tested in process (tests/test_formats.py).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.kinds.repositories.formats import api_for, parse_version, spelling
from tests.conftest import ADMIN_PASSWORD, configure
from tests.harness import EmulatorProcess, Workspace, changed_steps
from tests.samples import SIGNING_BLOCKS, every_format, secret_paths_of

pytestmark = pytest.mark.engine
OLDER = {"3.94.0": "3.86.2", "3.86.2": "3.68.1"}


def offered(release: str) -> dict[str, list[str]]:
    api = api_for(parse_version(release))
    return {fmt: api.types_of(fmt) for fmt in api.formats()}


def plain(repos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries without their signing secrets (those are set with --secret --path)."""
    out = copy.deepcopy(repos)
    for repo in out:
        for block in SIGNING_BLOCKS:
            repo.pop(block, None)
    return out


def what_the_older_release_lacks(release: str) -> set[str]:
    """"<format> <type>" of every repository the release offers and the one before does not."""
    now, before = offered(release), offered(OLDER[release])
    return {f"{fmt} {t}" for fmt, types in now.items() for t in types if t not in before.get(fmt, [])}


@pytest.mark.parametrize("release", [pytest.param(r, marks=pytest.mark.nexus(version=r)) for r in ("3.94.0", "3.86.2")])
def test_every_format_and_type_converges_is_clean_and_an_older_release_refuses_it(
        release: str, workspace: Workspace, nexus: Any, tmp_path: Path) -> None:
    repos = every_format(offered(release))
    secrets = secret_paths_of(repos)
    configure(workspace, nexus, {"repositories": plain(repos)}, secrets)

    workspace.up()
    on_server = {r["name"]: r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json()}
    for repo in repos:
        doc = on_server[repo["name"]]
        fmt = repo.get("format", "docker")
        assert (doc["format"], doc["type"]) == ({"maven": "maven2"}.get(fmt, fmt), repo["type"])
        if repo["type"] == "group":
            assert doc["group"]["memberNames"] == repo["members"]
    apt = next(r for r in repos if r.get("format") == "apt" and r["type"] == "hosted")
    # The one signing block Nexus answers (without the passphrase).
    assert on_server[apt["name"]]["aptSigning"]["keypair"] == apt["aptSigning"]["keypair"]

    resources = {r["urn"].split("::")[-1]: r for r in workspace.resources("Repository")}
    for repo in repos:
        fmt = repo.get("format", "docker")
        resource = resources[repo["name"]]
        assert resource["type"].endswith(f"nexus:{spelling(fmt)}{repo['type'].capitalize()}Repository")
        assert bool(resource.get("protect")) is (repo["type"] == "hosted")
    state = workspace.state_text()
    for value in secrets.values():
        assert value.splitlines()[1 if "\n" in value else 0] not in state  # secrets are ciphertext

    assert changed_steps(workspace.preview_json()) == []
    drift = workspace.refresh_check()
    assert drift.code == 0, drift.output

    older = EmulatorProcess(tmp_path / "older" / "nexus-data", version=OLDER[release],
                            admin_password=ADMIN_PASSWORD)
    older.password = ADMIN_PASSWORD  # type: ignore[attr-defined]
    try:
        against_older = Workspace.create(tmp_path / "older", stack="older")
        configure(against_older, older, {"repositories": plain(repos)}, secrets)
        refused = against_older.preview()
        assert refused.code != 0
        assert f"Nexus {OLDER[release]}" in refused.output
        lacking = what_the_older_release_lacks(release)
        assert lacking
        kinds = [f"{r.get('format', 'docker')} {r['type']}" for r in repos]
        for kind in lacking:
            assert f"repositories[{kinds.index(kind)}]" in refused.output, (kind, refused.output[-3000:])
        assert "Traceback" not in refused.output
        assert not [r for r in older.rest("GET", "/v1/repositories", ADMIN_PASSWORD).json()
                    if r["name"] in {repo["name"] for repo in repos}]  # nothing was written
    finally:
        older.stop()
