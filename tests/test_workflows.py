"""The GitHub workflows, short of GitHub itself: actionlint passes; their shell and Python steps
run as written (bash -eo pipefail, like a runner) against the emulator; their github-script steps
run under node with a recording stand-in for the GitHub API."""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Mapping, Optional

import pytest
import yaml

from tests.conftest import configure
from tests.harness import ROOT, install_cli
from tests.samples import repository, seed_registry

WORKFLOWS = ROOT / ".github" / "workflows"
NODE = shutil.which("node")
# What actions/github-script does with `script`: the body of an async function of these arguments.
GITHUB_SCRIPT_RUNNER = textwrap.dedent("""\
    const fs = require('fs');
    const state = JSON.parse(process.env.MOCK_STATE);
    const calls = [];
    const record = (name) => async (params) => { calls.push([name, params]); return { data: {} }; };
    const github = {
      paginate: async (method, params) => (await method(params)).data,
      rest: { issues: {
        listComments: async () => ({ data: state.comments || [] }),
        listForRepo: async (p) => ({ data: (state.issues || []).filter((i) => i.state === p.state) }),
        createComment: record('createComment'), updateComment: record('updateComment'),
        create: record('create'), update: record('update'),
      } },
    };
    const context = { repo: { owner: 'acme', repo: 'registry' }, issue: { number: 7 }, runId: 42,
                      serverUrl: 'https://github.example' };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(process.argv[2], 'utf8'))(
      require, github, context, {}).then(() => console.log(JSON.stringify(calls)),
                                          (err) => { console.error(err); process.exit(1); });
""")


def step(workflow: str, job: str, name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return next(s for s in doc["jobs"][job]["steps"] if s.get("name") == name)


def run_step(workflow: str, job: str, name: str, cwd: Path, env: Mapping[str, str],
             summary: Optional[Path] = None) -> tuple[int, dict[str, str], str]:
    """A `run:` step as a runner runs it, with the step's literal env values (the test gives the
    `${{ }}` ones); returns its exit code, its outputs and its output. `summary`: the file the step
    appends its job summary to (GITHUB_STEP_SUMMARY)."""
    definition = step(workflow, job, name)
    literal = {k: str(v) for k, v in (definition.get("env") or {}).items() if "${{" not in str(v)}
    with tempfile.TemporaryDirectory(prefix="runner-") as runner:  # the runner's files, not the checkout's
        outputs, script = Path(runner) / "github-output", Path(runner) / "step.sh"
        summary = summary or Path(runner) / "step-summary"
        outputs.write_text("")
        script.write_text(definition["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                              env={**env, **literal, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
                              capture_output=True, text=True, timeout=600)
        found = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done.returncode, found, done.stdout + done.stderr


def github_script(workflow: str, job: str, name: str, cwd: Path, env: Mapping[str, str],
                  state: Optional[dict[str, Any]] = None) -> list[list[Any]]:
    """A github-script step under node; returns the GitHub API calls it made."""
    if NODE is None:
        pytest.skip("node is not installed")
    with tempfile.TemporaryDirectory(prefix="runner-") as runner:
        script, harness = Path(runner) / "script.js", Path(runner) / "runner.js"
        script.write_text(step(workflow, job, name)["with"]["script"])
        harness.write_text(GITHUB_SCRIPT_RUNNER)
        done = subprocess.run([NODE, str(harness), str(script)], cwd=cwd, capture_output=True, text=True,
                              env={**env, "MOCK_STATE": json.dumps(state or {})}, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_actionlint_passes():
    actionlint = ROOT / ".tools" / "bin" / "actionlint"
    if not actionlint.exists():
        pytest.skip("actionlint is not built (scripts/toolchain-extras.sh)")
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {"preview.yml", "drift.yml", "deploy.yml"} <= {f.name for f in files}
    done = subprocess.run([str(actionlint), *map(str, files)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("changes, expected", [
    pytest.param({"stacks/Pulumi.prod.yaml": "changed"}, ["prod"], id="one stack file"),
    pytest.param({"stacks/Pulumi.new.yaml": "added"}, ["new"], id="a new stack"),
    pytest.param({"components/blob_store.py": "changed"}, ["prod", "staging"], id="code: every stack"),
    pytest.param({"policy/__main__.py": "changed", "stacks/Pulumi.prod.yaml": "x"}, ["prod", "staging"],
                 id="policy pack: every stack"),
    pytest.param({"docs/ci.md": "changed", "tests/test_x.py": "changed", "README.md": "x"}, [], id="docs and tests"),
    pytest.param({"stacks/Pulumi.local.yaml": "changed", "stacks/Pulumi.dev.yaml": "x"}, [],
                 id="developer-machine stacks"),
])
def test_the_preview_runs_for_the_affected_stacks_only(tmp_path, changes: dict[str, str], expected: list[str]):
    repo = tmp_path / "repo"
    for path in ("stacks/Pulumi.prod.yaml", "stacks/Pulumi.staging.yaml", "stacks/Pulumi.local.yaml",
                 "stacks/Pulumi.dev.yaml", "components/blob_store.py", "policy/__main__.py", "docs/ci.md",
                 "README.md"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("base\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD")
    for path, text in changes.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "change")
    code, outputs, log = run_step("preview.yml", "stacks", "Find affected stacks", repo,
                                  {"PATH": "/usr/bin:/bin", "BASE_SHA": base})
    assert code == 0, log
    assert json.loads(outputs["stacks"]) == expected


def test_the_drift_check_covers_every_shared_stack_of_this_repository():
    code, outputs, log = run_step("drift.yml", "stacks", "List stacks", ROOT, {"PATH": "/usr/bin:/bin"})
    assert code == 0, log
    shared = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert json.loads(outputs["stacks"]) == [s for s in shared if s not in ("local", "dev")]


def compliant_registry() -> dict[str, Any]:
    values = copy.deepcopy(seed_registry())
    for repo in values["repositories"]:
        if repo["type"] == "proxy":
            repo["cleanupPolicies"] = ["docker-unused-30d"]
    return values


@pytest.mark.engine
def test_the_preview_step_and_its_pull_request_comment(workspace, nexus, tmp_path):
    install_cli(workspace)
    values = compliant_registry()
    repository(values, "aliyun-hub")["cleanupPolicies"] = []  # the guardrails must stop this
    configure(workspace, nexus, values)
    env = {**workspace.env, "STACK": "test"}
    summary = tmp_path / "summary.md"
    code, outputs, log = run_step("preview.yml", "preview", "Preview with the guardrail policy pack", workspace.root,
                                  env, summary)
    assert code == 0, log  # the step records the result; a later step fails the job
    assert outputs["code"] == "1" and "[mandatory]  proxy-needs-cleanup-policy" in log
    assert (workspace.root / "preview-test.txt").read_text() in log
    assert summary.read_text() == (workspace.root / "review-test.md").read_text()  # the job summary too

    calls = github_script("preview.yml", "preview", "Comment the preview on the pull request", workspace.root,
                          {**env, "CODE": outputs["code"]})
    assert [c[0] for c in calls] == ["createComment"]
    body = calls[0][1]["body"]
    assert body.startswith("<!-- nexus-registry-preview:test -->\n### Preview of stack `test` failed")
    assert "docker proxy 'aliyun-hub' has no cleanup policy" in body and nexus.password not in body
    assert body.rstrip().endswith("its log has every field of every changed object")
    # The next push updates the same comment instead of adding one.
    again = github_script("preview.yml", "preview", "Comment the preview on the pull request", workspace.root,
                          {**env, "CODE": "0"}, {"comments": [{"id": 99, "body": body}, {"id": 5, "body": "LGTM"}]})
    assert [(c[0], c[1]["comment_id"]) for c in again] == [("updateComment", 99)]
    failing = run_step("preview.yml", "preview", "Fail when the preview failed", workspace.root,
                       {**env, "CODE": outputs["code"]})
    assert failing[0] != 0
    assert [code for code in ("0", "1", "2", "3") if preview_fails_the_job(code)] == ["1", "2"]


def preview_fails_the_job(code: str) -> bool:
    """The `if:` of the step that fails the job, for the preview step's exit code."""
    condition = step("preview.yml", "preview", "Fail when the preview failed")["if"]
    assert re.fullmatch(r"steps\.preview\.outputs\.code != '\d' && steps\.preview\.outputs\.code != '\d'", condition)
    return all(code != excluded for excluded in re.findall(r"'(\d)'", condition))


def test_the_comment_without_a_review_shows_what_nexusctl_said(tmp_path):
    """nexusctl stopped before any preview (here: an unknown stack, exit 2): no review file."""
    (tmp_path / "preview-nope.txt").write_text("nexusctl review: no stack 'nope': … Known stacks: prod\n")
    calls = github_script("preview.yml", "preview", "Comment the preview on the pull request", tmp_path,
                          {"PATH": "/usr/bin:/bin", "STACK": "nope", "CODE": "2"})
    body = calls[0][1]["body"]
    assert body.startswith("<!-- nexus-registry-preview:nope -->\n### Preview of stack `nope` could not run (exit 2)")
    assert "no stack 'nope'" in body


def test_the_workflows_install_the_cli_the_project_pins():
    """The official pulumi/actions installs the release the CLI is built from here (tools/pulumi-cli/go.mod,
    scripts/toolchain.sh), read from go.mod by a step, so the pin lives in one place."""
    pinned = re.search(r"^cli_version=v(\S+)$", (ROOT / "scripts" / "toolchain.sh").read_text(), re.M).group(1)
    for workflow in ("preview.yml", "drift.yml", "deploy.yml"):
        job = {"preview.yml": "preview", "drift.yml": "drift", "deploy.yml": "deploy"}[workflow]
        code, outputs, log = run_step(workflow, job, "The Pulumi CLI version the project pins (tools/pulumi-cli/go.mod)",
                                      ROOT, {"PATH": "/usr/bin:/bin"})
        assert code == 0 and outputs == {"version": pinned}, log
        install = step(workflow, job, "Install that release of the official Pulumi CLI")
        assert install["uses"] == "pulumi/actions@v6"
        assert install["with"] == {"pulumi-version": "${{ steps.cli.outputs.version }}"}  # install only, no command
        text = (WORKFLOWS / workflow).read_text()
        assert "setup-go" not in text and "NEXUS_RAC_BUILD_PULUMI" not in text and "make setup" not in text


@pytest.mark.engine
def test_the_deploy_steps_then_a_drift_issue_opened_updated_and_closed(workspace, nexus):
    install_cli(workspace)
    values = compliant_registry()
    values["security"] = {"anonymousPull": ["hub-group"]}
    configure(workspace, nexus, values)
    env = {**workspace.env, "STACK": "test"}
    for name in ("Deploy with the guardrail policy pack", "Verify the docker path", "No drift right after the deployment"):
        code, _, log = run_step("deploy.yml", "deploy", name, workspace.root, env)
        assert code == 0, f"{name}:\n{log}"
    assert json.loads((workspace.root / "verify-test.json").read_text())["ok"] is True

    doc = next(r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json() if r["name"] == "ybcard")
    doc["online"] = False
    assert nexus.rest("PUT", "/v1/repositories/docker/hosted/ybcard", nexus.password, doc).status_code == 204
    code, outputs, log = run_step("drift.yml", "drift", "Drift check", workspace.root, env)
    assert code == 0 and outputs["code"] == "3", log
    assert json.loads((workspace.root / "drift-test.json").read_text())["status"] == "drift"

    issue_step = ("drift.yml", "drift", "Open, update or close the drift issue", workspace.root)
    opened = github_script(*issue_step, {**env, "CODE": "3"})
    assert [c[0] for c in opened] == ["create"]
    assert opened[0][1]["title"] == "Drift in stack test" and opened[0][1]["labels"] == ["drift"]
    assert "DockerHostedRepository ybcard" in opened[0][1]["body"] and "online: true → false" in opened[0][1]["body"]
    existing = {"issues": [{"number": 12, "title": "Drift in stack test", "state": "open"},
                           {"number": 13, "title": "Drift in stack prod", "state": "open"}]}
    updated = github_script(*issue_step, {**env, "CODE": "3"}, existing)
    assert [(c[0], c[1]["issue_number"]) for c in updated] == [("createComment", 12)]
    closed = github_script(*issue_step, {**env, "CODE": "0"}, existing)
    assert [(c[0], c[1]["issue_number"]) for c in closed] == [("createComment", 12), ("update", 12)]
    assert closed[1][1]["state"] == "closed"

    # The Deploy workflow puts the server back (its `up` refreshes first), and the check is clean again.
    for name in ("Deploy with the guardrail policy pack", "No drift right after the deployment"):
        code, _, log = run_step("deploy.yml", "deploy", name, workspace.root, env)
        assert code == 0, f"{name}:\n{log}"
    assert next(r for r in nexus.rest("GET", "/v1/repositorySettings", nexus.password).json()
                if r["name"] == "ybcard")["online"] is True

    # The pull-request preview compares with the server too: what was deleted behind the stack's
    # back shows as a create, where a plain preview would say "no changes".
    assert nexus.rest("DELETE", "/v1/repositories/google-hub", nexus.password).status_code == 204
    code, outputs, log = run_step("preview.yml", "preview", "Preview with the guardrail policy pack", workspace.root, env)
    assert code == 0 and outputs["code"] == "3", log  # changes to review
    assert "  + DockerProxyRepository google-hub: create\n      (deleted on the server since the last deployment" in log
    comment = github_script("preview.yml", "preview", "Comment the preview on the pull request", workspace.root,
                            {**env, "CODE": outputs["code"]})[0][1]["body"]
    assert "### Preview of stack `test`: 2 objects change (1 to create, 1 to update)" in comment
    # Nexus took the deleted repository out of the group: the group is written again too.
    group = next(line for line in comment.splitlines() if "`hub-group`" in line)
    assert "repository google-hub is re-created" in group and '`members`: added `"google-hub"`' in group
    assert "| create | DockerProxyRepository `google-hub` | _deleted on the server since the last deployment" in comment
    assert "DeploymentCheck" not in comment and nexus.password not in comment
    assert not preview_fails_the_job(outputs["code"])

    # A check that cannot run (here: a wrong passphrase secret) fails the job; it is never "no drift".
    failed, outputs, log = run_step("drift.yml", "drift", "Drift check", workspace.root,
                                    {**env, "PULUMI_CONFIG_PASSPHRASE": "wrong-passphrase"})
    assert failed != 0 and outputs["code"] == "1" and "incorrect passphrase" in log
