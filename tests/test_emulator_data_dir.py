"""The emulator's data directory, through its command line (`python -m tests.emulator`): a new
directory is made like Nexus makes /nexus-data, and a write it cannot persist answers 500 the
way Nexus answers a failed database write, instead of dropping the connection."""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.harness import ROOT

PASSWORD = "Admin-Test-Pw-1"
STORE = {"name": "quota-store", "path": "quota-store", "softQuota": None}


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An emulator on a data directory two levels below anything that exists."""
    data_dir = tmp_path / "new" / "nexus-data"
    proc = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--port", "0", "--data-dir", str(data_dir),
                             "--admin-password", PASSWORD], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    found = re.search(r"https?://[\d.]+:\d+", proc.stdout.readline())
    try:
        assert found, proc.stderr.read() if proc.stderr else ""
        yield found.group(0), data_dir
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def test_a_new_data_dir_is_created_and_writes_are_answered_and_kept(started):
    url, data_dir = started
    assert data_dir.is_dir()
    answer = requests.post(f"{url}/service/rest/v1/blobstores/file", json=STORE, auth=("admin", PASSWORD), timeout=10)
    assert answer.status_code == 204, answer.text
    assert "quota-store" in (data_dir / "emulator-state.json").read_text()


def test_a_write_that_cannot_be_persisted_answers_500_not_a_closed_connection(started):
    url, data_dir = started
    shutil.rmtree(data_dir)
    data_dir.write_text("a file where the data directory was: nothing can be written below it")
    answer = requests.post(f"{url}/service/rest/v1/blobstores/file", json=STORE, auth=("admin", PASSWORD), timeout=10)
    assert answer.status_code == 500
    assert answer.text.startswith("ERROR: (ID ")  # Nexus's incident-id body, details in its log
    log = requests.get(f"{url}/__emulator/requests", timeout=10).json()
    assert [e["status"] for e in log if e["method"] == "POST"] == [500]
    reset = requests.post(f"{url}/__emulator/reset", timeout=10)  # the control API answers too
    assert reset.status_code == 500


def test_a_data_dir_that_cannot_be_made_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = subprocess.run([sys.executable, "-m", "tests.emulator", "--port", "0", "--data-dir",
                           str(blocker / "nexus-data")], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "cannot create it" in done.stderr and str(blocker / "nexus-data") in done.stderr
