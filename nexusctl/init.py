"""`nexusctl init [DIR]`: a team's own config repository for the installed package.

A team that `pip install`s nexus-registry keeps only its configuration in its repository: the
Pulumi project file, its stack files, the pinned package, and a three-line program that hands the
stack config to the package (`NexusRegistry.from_stack_config()`; Pulumi needs a program file in
the project, the program itself is the package's). `init` writes that repository:

  Pulumi.yaml                    the project (its name is the config namespace), stacks in stacks/
  __main__.py                    the stack of the stack config, through the package
  requirements.txt               nexus-registry pinned to the version that wrote it
  stacks/Pulumi.<stack>.yaml     a first stack from a template: seed 004's docker registry (a Docker
                                 Hub proxy, a hosted repository, a group), to edit
  .gitignore                     the venv, the local state backend, nexusctl's work files
  .github/workflows/nexus.yml    preview on pull requests, `up` on main, the drift check nightly

It writes nothing when any of these exists already (it names them). Then, in that directory:
`python -m venv .venv && .venv/bin/pip install -r requirements.txt`, set the admin password
(`pulumi config set --secret adminPassword … --stack <stack>`) and run `nexusctl pulumi <stack>
preview`.
"""
from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

import components

# The Pulumi CLI release this version of the package is tested with: the checkout builds it from
# tools/pulumi-cli/go.mod (tests/test_package.py holds the two together).
PULUMI_CLI_VERSION = "3.259.0"
PYTHON_VERSION = "3.11"


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("init", help="write a team's own config repository for the installed package",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", default=".", help="where to write it (default: here)")
    parser.add_argument("--name", help="the Pulumi project name, the config namespace (default: the directory's name)")
    parser.add_argument("--stack", default="prod", help="the first stack (default: prod)")
    parser.add_argument("--nexus-url", default="https://nexus.example.com",
                        help="nexus.url of the first stack (default: https://nexus.example.com)")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    target = Path(args.directory).resolve()
    name = args.name or project_name(target.name)
    problems = [problem for problem in (_name_problem("--name", name), _name_problem("--stack", args.stack)) if problem]
    if problems:
        print("\n".join(f"nexusctl init: {p}" for p in problems), file=sys.stderr)
        return 2
    wanted = files(name, args.stack, args.nexus_url)
    present = sorted(path for path in wanted if (target / path).exists())
    if present:
        print(f"nexusctl init: {target} has {', '.join(present)} already; nothing was written. Run it in an "
              "empty directory (or move those files away).", file=sys.stderr)
        return 1
    for path, text in wanted.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text)
    print(f"Wrote the config repository of project '{name}' in {target}:", file=sys.stderr)
    for path in wanted:
        print(f"  {path}", file=sys.stderr)
    print(textwrap.dedent(f"""
        Next, in {target}:
          python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
          export PULUMI_CONFIG_PASSPHRASE=...   # or PULUMI_BACKEND_URL/your secrets provider
          .venv/bin/nexusctl pulumi --create {args.stack} config set --secret adminPassword <password>
          .venv/bin/nexusctl pulumi {args.stack} preview --diff
        Edit stacks/Pulumi.{args.stack}.yaml; the README of nexus-registry lists every key.""").rstrip(),
          file=sys.stderr)
    return 0


def project_name(directory: str) -> str:
    """A Pulumi project name from a directory name (letters, digits, '-', '_', '.')."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory).strip("-.")
    return cleaned or "nexus"


def _name_problem(option: str, value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value):
        return ""
    return f"{option} {value!r}: use letters, digits, '-', '_' and '.' (it names the project or stack in Pulumi)"


def files(name: str, stack: str, nexus_url: str) -> dict[str, str]:
    """Every file `init` writes, by path."""
    return {
        "Pulumi.yaml": PULUMI_YAML.format(name=name),
        "__main__.py": PROGRAM.format(name=name),
        "requirements.txt": REQUIREMENTS.format(version=components.__version__),
        f"stacks/Pulumi.{stack}.yaml": STACK.format(name=name, stack=stack, url=nexus_url),
        ".gitignore": GITIGNORE,
        ".github/workflows/nexus.yml": WORKFLOW.replace("@STACK@", stack).replace("@PULUMI@", PULUMI_CLI_VERSION)
                                               .replace("@PYTHON@", PYTHON_VERSION),
    }


PULUMI_YAML = """\
name: {name}
description: Our Sonatype Nexus Repository, as code (nexus-registry)
runtime:
  name: python
  options:
    virtualenv: .venv
stackConfigDir: stacks
"""

PROGRAM = '''\
"""{name}: our Nexus, as code. Everything is in the stack files (stacks/Pulumi.<stack>.yaml); the
program is the nexus-registry package's: it checks the whole config, then converges Nexus to it."""
from nexus_registry import NexusRegistry

NexusRegistry.from_stack_config()
'''

REQUIREMENTS = """\
# The package that runs this repository's stacks. Upgrade it in a pull request: the preview of
# every stack with the new version shows what it would change before anything does.
nexus-registry=={version}
"""

STACK = """\
config:
  # How to reach Nexus. The admin password is a secret, never in this file:
  #   nexusctl pulumi {stack} config set --secret adminPassword <password>
  # (on a fresh Nexus, nexus.bootstrap.initialPasswordFile and acceptEula take it over).
  {name}:nexus:
    url: {url}
  {name}:blobStores:
    # One blob store per cache, so each can be sized and cleaned on its own.
    - {{name: docker-hub, type: file}}
    - {{name: docker-hosted, type: file}}
  {name}:repositories:
    # Pull through Docker Hub, push to a hosted repository, pull both from one group.
    - {{name: docker-hub, type: proxy, remoteUrl: "https://registry-1.docker.io", indexType: HUB, blobStore: docker-hub}}
    - {{name: docker-hosted, type: hosted, blobStore: docker-hosted, httpPort: 8082}}
    - {{name: docker-group, type: group, members: [docker-hosted, docker-hub], blobStore: docker-hub, httpPort: 8083}}
  {name}:security:
    realms: [NexusAuthenticatingRealm, DockerToken]
"""

GITIGNORE = """\
# The package and its dependencies (requirements.txt)
.venv/
__pycache__/
# nexusctl's local state backend and work files (CI and teams use PULUMI_BACKEND_URL)
.state/
.work/
"""

WORKFLOW = """\
# Pull requests: a preview of every stack (compared with the server). Pushes to main: `up`.
# Nightly: the drift check (exit 3 when Nexus was changed behind the stack's back).
# Secrets: PULUMI_BACKEND_URL (the state backend) and PULUMI_CONFIG_PASSPHRASE.
name: Nexus

on:
  pull_request:
  push:
    branches: [main]
  schedule:
    - cron: "17 5 * * *"
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: nexus-${{ github.ref }}
  cancel-in-progress: false

jobs:
  nexus:
    name: ${{ matrix.stack }}
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        stack: [@STACK@] # one entry per stacks/Pulumi.<stack>.yaml
    env:
      PULUMI_BACKEND_URL: ${{ secrets.PULUMI_BACKEND_URL }}
      PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
      PULUMI_SKIP_UPDATE_CHECK: "true"
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "@PYTHON@"
          cache: pip
      - name: The package (requirements.txt)
        run: python -m venv .venv && .venv/bin/pip install -r requirements.txt
      - name: The Pulumi CLI release the package is tested with
        uses: pulumi/actions@v6
        with:
          pulumi-version: "@PULUMI@"
      - name: Preview
        if: github.event_name == 'pull_request'
        run: .venv/bin/nexusctl pulumi "${{ matrix.stack }}" preview --diff
      - name: Deploy
        if: github.event_name == 'push'
        run: .venv/bin/nexusctl pulumi "${{ matrix.stack }}" up --yes --diff
      - name: Drift check
        if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'
        run: .venv/bin/nexusctl drift "${{ matrix.stack }}"
"""
