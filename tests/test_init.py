"""`nexusctl init` (nexusctl/init.py): a team's config repository that holds only its project,
stack files and the pinned package. The engine run of what it writes is in tests/test_package.py
(with the installed package)."""
from __future__ import annotations

import re
import subprocess

import pytest
import yaml

import components
from components.config import validate
from components.stack_config import StackConfig
from nexusctl import init
from nexusctl.__main__ import main
from tests.harness import ROOT


def test_init_writes_the_repository_and_its_first_stack_passes_the_checks(tmp_path):
    assert main(["init", str(tmp_path / "acme nexus!"), "--stack", "prod", "--nexus-url", "http://nexus:8081"]) == 0
    repo = tmp_path / "acme nexus!"
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()) == [
        ".github/workflows/nexus.yml", ".gitignore", "Pulumi.yaml", "__main__.py", "requirements.txt",
        "stacks/Pulumi.prod.yaml"]
    project = yaml.safe_load((repo / "Pulumi.yaml").read_text())
    assert project["name"] == "acme-nexus" and project["stackConfigDir"] == "stacks"
    assert f"nexus-registry=={components.__version__}" in (repo / "requirements.txt").read_text()
    config = yaml.safe_load((repo / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    values = {key.split(":", 1)[1]: value for key, value in config.items()}
    assert all(key.startswith("acme-nexus:") for key in config) and values["nexus"]["url"] == "http://nexus:8081"
    problems = validate(StackConfig({**values, "adminPassword": "set-with-secret"}, frozenset({"adminPassword"}), "prod"))
    assert problems == []
    compile((repo / "__main__.py").read_text(), "__main__.py", "exec")


def test_init_writes_nothing_where_a_file_exists(tmp_path, capsys):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text("config: {}\n")
    assert main(["init", str(tmp_path)]) == 1
    assert "has stacks/Pulumi.prod.yaml already; nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["Pulumi.prod.yaml", "stacks"]


@pytest.mark.parametrize("args", [["--stack", "prod/eu"], ["--name", "-x y"]])
def test_init_refuses_names_pulumi_cannot_take(tmp_path, args):
    assert main(["init", str(tmp_path), *args]) == 2
    assert list(tmp_path.iterdir()) == []


def test_the_workflow_pins_the_cli_the_checkout_builds_and_passes_actionlint(tmp_path):
    go_mod = (ROOT / "tools" / "pulumi-cli" / "go.mod").read_text()
    assert re.search(rf"github.com/pulumi/pulumi/pkg/v3 v{re.escape(init.PULUMI_CLI_VERSION)}\n", go_mod)
    workflow = tmp_path / "nexus.yml"
    workflow.write_text(init.files("acme", "prod", "http://n")[".github/workflows/nexus.yml"])
    actionlint = ROOT / ".tools" / "bin" / "actionlint"
    if not actionlint.exists():
        pytest.skip("actionlint is not built (scripts/toolchain-extras.sh)")
    done = subprocess.run([str(actionlint), "-shellcheck=", "-pyflakes=", str(workflow)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
