"""No size ceiling (issue 14 point 3, issue 15 A5): object lists in side files beside the stack
file, the stack-file size pre-check of the project's commands, the SDK's debug lines kept in
the program. Speed figures come from scripts/benchmark.py (docs/benchmark.md), never from here."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import pulumi.log
import pulumi.runtime.resource
from pulumi.runtime.proto import source_pb2
from components import config, sdk_overhead, stack_files
from components.stack_config import StackConfig
from nexusctl.engine import CONFIG_ENV_LIMIT, StackError, check_config_size, config_env_size
from tests.harness import PROJECT, install_cli, nexusctl

ROOT = Path(__file__).resolve().parent.parent


# --- side files ----------------------------------------------------------------------------------
def project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: nexus-registry\nstackConfigDir: stacks\n")
    folder = tmp_path / "stacks" / "big"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return tmp_path


def loaded(tmp_path: Path, files: dict[str, str], values: dict[str, Any] | None = None) -> StackConfig:
    base = {"nexus": {"url": "http://nexus:8081"}, "adminPassword": "Admin-Pw-12",
            "security": {"passwords": {"robot": "Robot-Pw-12"}}}
    cfg = StackConfig({**base, **(values or {})}, frozenset({"adminPassword", "security"}), "big")
    return config.with_side_files(cfg, project(tmp_path, files))


def messages(cfg: StackConfig) -> list[str]:
    return [str(p) for p in config.validate(cfg)]


def test_side_files_add_to_the_stack_files_lists_in_name_order(tmp_path):
    cfg = loaded(tmp_path, {
        "repositories.yaml": "- {name: team-a, type: hosted}\n",
        "repositories.more.yaml": "- {name: team-b, type: hosted}\n- {name: all, type: group, members: [team-a, team-b, own]}\n",
        "security.users.yaml": "- {userId: robot, roles: [nx-anonymous]}\n",
        "notes.txt": "not YAML: ignored",
    }, {"repositories": [{"name": "own", "type": "hosted"}]})
    assert [r["name"] for r in cfg.values["repositories"]] == ["own", "team-b", "all", "team-a"]
    assert cfg.values["security"]["users"] == [{"userId": "robot", "roles": ["nx-anonymous"]}]
    assert cfg.values["security"]["passwords"] == {"robot": "Robot-Pw-12"}  # the stack file's part stays
    assert messages(cfg) == []


@pytest.mark.parametrize("files,expected", [
    ({"repositories.yaml": "- {name: a, type: hosted}\n- name: b\n  type: hosted\n  blobStore: nowhere\n"},
     "stacks/big/repositories.yaml:4 repositories[1].blobStore: blob store 'nowhere' is not declared"),
    ({"security.users.yaml": "- userId: robot\n  roles: [nx-anonymous]\n  status: sleeping\n"},
     "stacks/big/security.users.yaml:3 security.users[0].status: 'sleeping' is not one of"),
    ({"security.roles.yaml": "- {id: pullers, privileges: [missing-privilege]}\n"},
     "stacks/big/security.roles.yaml:1 security.roles[0].privileges[0]: privilege 'missing-privilege' is not declared"),
    ({"repositories.yaml": "- {name: a, type: hosted\n"},
     "stacks/big/repositories.yaml:2:1: not valid YAML"),
    ({"repositories.yaml": "name: a\ntype: hosted\n"},
     "stacks/big/repositories.yaml:1: must be a YAML list of entries"),
    ({"repos.yaml": "- {name: a, type: hosted}\n"},
     "stacks/big/repos.yaml: unknown side file; its name says which list it holds"),
    ({"repositories.yaml": "- name: mirror\n  type: proxy\n  remoteUrl: https://mirror.example.org\n"
                           "  authentication: {type: username, username: bot, password: in-plain-text}\n"},
     "stacks/big/repositories.yaml:4 repositories[0].authentication.password: is a secret, and side files are "
     "plain text"),
], ids=["cross-reference", "schema", "security-reference", "yaml-syntax", "not-a-list", "unknown-file", "secret"])
def test_problems_in_side_files_name_the_file_and_line(tmp_path, files, expected):
    found = messages(loaded(tmp_path, files))
    assert any(m.startswith(expected) for m in found), found


def test_a_stack_file_list_followed_by_its_side_file_keeps_indexes_straight(tmp_path):
    cfg = loaded(tmp_path, {"repositories.yaml": "- {name: dup, type: hosted}\n",
                            "security.users.yaml": "- {userId: robot, roles: [nx-anonymous]}\n"},
                 {"repositories": [{"name": "dup", "type": "hosted"}]})
    assert messages(cfg) == ["stacks/big/repositories.yaml:1 repositories[1].name: 'dup' duplicates "
                             "repositories[0] ('dup'); names are unique regardless of case"]


def test_split_and_write_give_the_layout_the_loader_reads_back(tmp_path):
    """What `nexusctl adopt` uses for a big Nexus: long lists move to side files, entries that
    need a secret stay in the stack file."""
    values = {"repositories": [{"name": f"r{i}", "type": "hosted"} for i in range(60)]
              + [{"name": "mirror", "type": "proxy", "remoteUrl": "https://x.example.org",
                  "authentication": {"type": "username", "username": "bot"}}],
              "security": {"users": [{"userId": "robot", "roles": []}], "roles": [{"id": f"r{i}"} for i in range(70)]}}
    kept, files = stack_files.split(values, min_entries=50,
                                    stays=lambda _path, entry: "authentication" in entry)
    assert sorted(files) == ["repositories.yaml", "security.roles.yaml"]
    assert kept["repositories"] == [values["repositories"][-1]] and "roles" not in kept["security"]
    folder = project(tmp_path, {}) / "stacks" / "big"
    stack_files.write(folder, files, header="written by nexusctl adopt")
    merged = stack_files.merge(kept, folder)
    assert merged.problems == []
    assert sorted(r["name"] for r in merged.values["repositories"]) == sorted(r["name"] for r in values["repositories"])
    assert merged.values["security"]["roles"] == values["security"]["roles"]
    assert merged.where("repositories[1].name") == "stacks/big/repositories.yaml:2"


# --- the stack file's size -----------------------------------------------------------------------
def stack_file(folder: Path, name: str, config_values: dict[str, Any]) -> None:
    (folder / "stacks").mkdir(parents=True, exist_ok=True)
    (folder / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": {
        f"{PROJECT}:{k}": v for k, v in config_values.items()}}))


def test_an_oversized_value_is_refused_with_its_path_and_the_limit(tmp_path):
    stack_file(tmp_path, "huge", {"nexus": {"url": "http://nexus:8081"},
                                  "cleanupPolicies": [{"name": "p", "lastDownloadedDays": 30, "notes": "n" * 1_048_576}]})
    with pytest.raises(StackError) as refused:
        check_config_size("huge", root=tmp_path)
    message = str(refused.value)
    assert "cleanupPolicies[0].notes: 1,048,578 bytes" in message
    assert f"{CONFIG_ENV_LIMIT:,} bytes" in message and "stacks/huge/<key>.yaml" in message


def test_secrets_count_as_the_plain_text_the_program_gets():
    """A user's password is ~90 characters of ciphertext in the stack file but its own length
    in the environment variable: 1,000 of them still fit."""
    sealed = "v1:6gTmbUUvvBMpCLB5:" + "A" * 44  # 33 bytes sealed: a 17-byte password + the GCM tag
    many = {f"{PROJECT}:security": {"passwords": {f"robot-{i:04d}": {"secure": sealed} for i in range(1000)}}}
    assert config_env_size(many) < CONFIG_ENV_LIMIT
    assert config_env_size(many) < len(json.dumps(many))


def test_the_committed_stacks_are_far_below_the_limit():
    for stack in ("local", "dev", "prod"):
        check_config_size(stack, root=ROOT)


# --- the SDK's per-resource costs --------------------------------------------------------------
def test_sdk_debug_lines_stay_in_the_program_unless_asked_for(monkeypatch):
    for module in sdk_overhead.CHATTY:
        monkeypatch.setattr(module, "log", pulumi.log)
    monkeypatch.setenv(sdk_overhead.SWITCH, "1")
    sdk_overhead.quiet_debug_lines()
    assert pulumi.runtime.resource.log is pulumi.log
    monkeypatch.delenv(sdk_overhead.SWITCH)
    sdk_overhead.quiet_debug_lines()
    shim = pulumi.runtime.resource.log
    assert shim.debug is sdk_overhead._no_debug
    assert (shim.info, shim.warn, shim.error) == (pulumi.log.info, pulumi.log.warn, pulumi.log.error)


class _Base:  # stands for pulumi's Resource, CustomResource and a concrete resource class
    def __init__(self, trace: Any) -> None:
        self.traces = (trace(), sdk_overhead._SDK_STACK_TRACE())


class _Custom(_Base):
    def __init__(self, trace: Any) -> None:
        super().__init__(trace)


class _Concrete(_Custom):
    def __init__(self, trace: Any) -> None:
        super().__init__(trace)


def _declare_in_user_code(depth: int) -> Any:
    return _declare_in_user_code(depth - 1) if depth else _Concrete(sdk_overhead.stack_trace)


@pytest.mark.parametrize("depth", [0, 3])
def test_stack_traces_are_the_sdks_without_reading_source(depth):
    ours, sdk = _declare_in_user_code(depth).traces
    assert len(sdk.frames) > depth
    # The SDK's call sits one line below ours in _Base; everything from user code outward is equal.
    assert list(ours.frames) == list(sdk.frames)


def test_stack_trace_without_three_constructors_is_empty_like_the_sdks():
    assert sdk_overhead.stack_trace() == sdk_overhead._SDK_STACK_TRACE() == source_pb2.StackTrace()


def test_a_stateless_provider_is_pickled_once_per_class():
    from components.kinds.repositories.docker import DockerHostedProvider

    first = sdk_overhead.serialize_provider(DockerHostedProvider())
    assert first == sdk_overhead._SDK_SERIALIZE(DockerHostedProvider())
    assert sdk_overhead.serialize_provider(DockerHostedProvider()) is first
    stateful = DockerHostedProvider()
    stateful.note = "state"  # type: ignore[attr-defined]
    assert sdk_overhead.serialize_provider(stateful) != first


# --- through the real chain ----------------------------------------------------------------------
def big_objects(count: int) -> dict[str, str]:
    """Side files whose config would not fit the environment variable (long descriptions)."""
    filler = "kept long on purpose to make the side files bigger than the stack file may be " * 30
    repos = [{"name": f"team-{i:03d}", "type": "hosted", "protect": False} for i in range(count)]
    roles = [{"id": f"pullers-{i:03d}", "description": f"{i} {filler}"} for i in range(count)]
    return {"repositories.yaml": yaml.safe_dump(repos), "security.roles.yaml": yaml.safe_dump(roles)}


@pytest.mark.engine
def test_objects_in_side_files_beyond_the_environment_limit_converge(workspace, nexus):
    files = big_objects(60)
    assert sum(len(json.dumps(yaml.safe_load(t))) for t in files.values()) > CONFIG_ENV_LIMIT
    folder = workspace.root / "stacks" / workspace.stack
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    workspace.configure({"nexus": {"url": nexus.url}}, {"adminPassword": nexus.password})
    workspace.up()
    assert len([r for r in nexus.state()["roles"] if r.startswith("pullers-")]) == 60
    assert workspace.pulumi("preview", "--expect-no-changes").code == 0
    assert workspace.refresh_check().code == 0

    (folder / "security.roles.yaml").write_text(files["security.roles.yaml"] + "- {id: broken, roles: [nowhere]}\n")
    nexus.clear_log()
    refused = workspace.preview()
    assert refused.code != 0
    assert "stacks/test/security.roles.yaml:" in refused.output and "security.roles[60].roles[0]" in refused.output
    assert nexus.writes() == []


@pytest.mark.engine
def test_the_project_refuses_an_oversized_stack_file_before_pulumi_fails_without_a_path(workspace, nexus):
    install_cli(workspace)
    values = {"nexus": {"url": nexus.url},
              "cleanupPolicies": [{"name": "p", "format": "docker", "lastDownloadedDays": 30, "notes": "n" * 200_000}]}
    workspace.configure(values, {"adminPassword": nexus.password})
    nexus.clear_log()
    raw = workspace.preview()  # what a user meets without the project's commands
    assert raw.code != 0 and "argument list too long" in raw.output
    refused = nexusctl(workspace, "pulumi", workspace.stack, "preview")
    assert refused.code == 1
    assert "cleanupPolicies[0].notes: 200,002 bytes" in refused.stderr and "stacks/test/<key>.yaml" in refused.stderr
    assert "fork/exec" in raw.output and "fork/exec" not in refused.output
    assert [r for r in nexus.requests() if r["path"].startswith("/service/")] == []


def test_users_beyond_the_first_hundred_are_read(tmp_path):
    """Nexus answers at most 100 users unless asked for the default source (nexus-public
    UserApiResource: searches that may reach a remote source are limited); a stack with more
    users must still read every one, or the drift check reports them deleted."""
    from components import client as nexus_client
    from components.kinds.users import UserProvider
    from tests.conftest import ADMIN_PASSWORD
    from tests.harness import EmulatorProcess

    server = EmulatorProcess(tmp_path / "data", admin_password=ADMIN_PASSWORD)
    try:
        for i in range(120):
            made = server.rest("POST", "/v1/security/users", ADMIN_PASSWORD, {
                "userId": f"robot-{i:03d}", "firstName": "r", "lastName": "r", "emailAddress": f"r{i}@example.org",
                "password": "Robot-Pw-1", "status": "active", "roles": ["nx-anonymous"]})
            assert made.status_code == 200, made.text
        assert len(server.rest("GET", "/v1/security/users", ADMIN_PASSWORD).json()) == 100
        client = nexus_client.NexusClient(nexus_client.Connection(server.url, password=ADMIN_PASSWORD))
        assert UserProvider().fetch(client, "robot-119")["userId"] == "robot-119"
    finally:
        server.stop()
