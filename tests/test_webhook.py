"""Webhooks (capabilities): config checks (unit) and the real engine against the emulator, with
the HMAC secret kept out of state and output."""
from __future__ import annotations

from typing import Any

import pytest

from components.config import validate
from components.stack_config import StackConfig
from tests.conftest import configure
from tests.harness import changed_inputs, changed_steps
from tests.samples import seed_registry

SECRET, ROTATED = "Hook-Hmac-Secret-1", "Hook-Hmac-Secret-2"


def with_webhooks() -> dict[str, Any]:
    values = seed_registry()
    values["webhooks"] = [
        {"name": "audit", "url": "https://hooks.example.org/audit", "events": ["repository", "audit"]},
        {"name": "ybcard-pushes", "url": "https://ci.example.org/hook", "events": ["component"],
         "repository": "ybcard", "notes": "trigger CI on push"},
    ]
    return values


def stored(nexus: Any) -> list[dict[str, Any]]:
    """Capabilities as the emulator keeps them, secrets included."""
    return sorted(nexus.state()["capabilities"].values(), key=lambda c: c["type"])


# --- config checks (unit) -----------------------------------------------------------------------
def test_events_repositories_and_identities_are_checked_before_any_write():
    values = with_webhooks()
    values["nexus"] = {"url": "http://nexus:8081"}
    values["adminPassword"] = "Long-Enough-Pw-1"
    values["webhooks"] += [
        {"name": "assets", "url": "https://hooks.example.org/a", "events": ["asset"]},
        {"name": "ghost", "url": "https://hooks.example.org/g", "events": ["component"], "repository": "ghost"},
        {"name": "again", "url": "https://hooks.example.org/audit", "events": ["audit"]},
        {"name": "AUDIT", "url": "https://hooks.example.org/x", "events": ["audit"], "secret": "plain"},
    ]
    found = {str(p) for p in validate(StackConfig(values, frozenset({"adminPassword"})))}
    expected = [
        "webhooks[2].events: asset cannot be sent by a global webhook (allowed: audit, repository); "
        "set repository for asset or component events",
        "webhooks[3].repository: repository 'ghost' is not declared in repositories",
        "webhooks[4].url: webhooks[0] already sends global events of the same source to "
        "https://hooks.example.org/audit; merge their events",
        "webhooks[5].name: 'AUDIT' is also the name of webhooks[0]; names must be unique",
    ]
    for problem in expected:
        assert problem in found, found
    assert any(p.startswith("webhooks[5].secret: is a secret but is stored in plain text") for p in found)


# --- through the engine -------------------------------------------------------------------------
@pytest.mark.engine
def test_webhooks_converge_and_the_secret_never_reaches_state_or_output(workspace, nexus):
    values = with_webhooks()
    configure(workspace, nexus, values, {"webhooks[0].secret": SECRET})
    outputs = [workspace.preview().output, workspace.up().output]

    audit, repo = stored(nexus)
    assert audit["type"] == "webhook.global" and audit["_properties"] == {
        "names": "audit,repository", "url": "https://hooks.example.org/audit", "secret": SECRET}
    assert audit["_notes"] == "nexus-registry webhook 'audit'" and audit["_enabled"] is True
    assert repo["type"] == "webhook.repository" and repo["_notes"] == "trigger CI on push"
    assert repo["_properties"] == {"repository": "ybcard", "names": "component", "url": "https://ci.example.org/hook"}
    answered = nexus.rest("GET", "/v1/capabilities", nexus.password).json()
    assert SECRET not in str(answered)

    assert changed_steps(workspace.preview_json()) == []
    outputs += [workspace.refresh_check().output, workspace.up("--refresh").output,
                workspace.preview("--refresh").output]
    assert workspace.refresh_check().code == 0
    for text in (*outputs, workspace.state_text()):
        assert SECRET not in text
    secret_field = [r["outputs"]["secret"] for r in workspace.resources("nexus:Webhook")
                    if "secret" in r["outputs"]]
    assert len(secret_field) == 1 and "ciphertext" in secret_field[0]  # kept, encrypted


@pytest.mark.engine
def test_rotation_and_url_changes_update_in_place_and_a_deleted_webhook_comes_back(workspace, nexus):
    values = with_webhooks()
    configure(workspace, nexus, values, {"webhooks[0].secret": SECRET})
    workspace.up()
    audit_id = stored(nexus)[0]["id"]

    # A new secret alone is a change (the engine compares the secret values; JSON shows neither).
    configure(workspace, nexus, values, {"webhooks[0].secret": ROTATED})
    steps = changed_steps(workspace.preview_json())
    assert [(s["op"], s["urn"].split("::")[-1]) for s in steps] == [("update", "webhook-audit")]
    nexus.clear_log()
    output = workspace.up().output
    assert [(w["method"], w["path"]) for w in nexus.writes()] == [("PUT", f"/service/rest/v1/capabilities/{audit_id}")]
    assert stored(nexus)[0]["_properties"]["secret"] == ROTATED
    assert ROTATED not in output + workspace.state_text()

    values["webhooks"][0]["url"] = "https://hooks.example.org/audit-v2"
    configure(workspace, nexus, values, {"webhooks[0].secret": ROTATED})
    steps = changed_steps(workspace.preview_json())
    assert [(s["op"], s["urn"].split("::")[-1]) for s in steps] == [("update", "webhook-audit")]
    assert changed_inputs(steps[0]) == ["url"]
    workspace.up()
    audit = stored(nexus)[0]
    assert audit["id"] == audit_id and audit["_properties"]["url"].endswith("audit-v2")
    assert audit["_properties"]["secret"] == ROTATED

    assert nexus.rest("DELETE", f"/v1/capabilities/{audit_id}", nexus.password).status_code == 204
    drift = workspace.refresh_check()
    assert drift.code != 0 and "webhook-audit" in drift.output
    workspace.up("--refresh")
    again = stored(nexus)[0]
    assert again["id"] != audit_id and again["_properties"]["secret"] == ROTATED
    assert workspace.refresh_check().code == 0


@pytest.mark.engine
@pytest.mark.nexus(version="3.94.0")
def test_an_existing_webhook_is_taken_over_only_with_adopt(workspace, nexus):
    by_hand = {"type": "webhook.global", "enabled": False, "notes": "made in the UI",
               "properties": {"names": "audit", "url": "https://hooks.example.org/audit", "secret": "old"}}
    made = nexus.rest("POST", "/v1/capabilities", nexus.password, by_hand).json()
    values = with_webhooks()
    configure(workspace, nexus, values, {"webhooks[0].secret": SECRET})
    refused = workspace.up(check=False)
    assert refused.code != 0 and "already exists" in refused.output and "adopt" in refused.output

    values["webhooks"][0]["adopt"] = True
    configure(workspace, nexus, values, {"webhooks[0].secret": SECRET})
    workspace.up()
    adopted = next(c for c in stored(nexus) if c["id"] == made["id"])
    assert adopted["_enabled"] is True and adopted["_properties"]["secret"] == SECRET
    assert adopted["_properties"]["names"] == "audit,repository"
    assert len(stored(nexus)) == 2
    assert changed_steps(workspace.preview_json()) == []
