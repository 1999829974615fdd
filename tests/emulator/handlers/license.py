"""Product licence: `GET/POST/DELETE /v1/system/license`.

Which servers have it: a Pro server always (it runs on a licence); Community Edition from 3.77,
the first release shipped as one distribution that a licence upgrades to Pro; the OSS
distribution before that has no licensing at all (404). Behaviour seen against real servers
(CloudKrafter/nexus-ansible-collection: GET answers 200 or 402, "delete on non-pro version
return HTTP 500 with org.sonatype.licensing.LicensingException: Unable to verify license: There
is no license certificate installed for 'Nexus'.", POST the .lic file as
application/octet-stream -> 200; the sonatyperepo Terraform provider: DELETE -> 204):
* GET answers ApiLicenseDetailsXO while a licence is installed, 402 Payment Required otherwise;
* POST installs the file in the body and answers 200 with its details; an empty body is a 400;
* DELETE answers 204, or 500 with the LicensingException text when none is installed.
A licence installed on Community Edition takes effect after a restart (the ansible collection's
docs); the emulator keeps the edition it was started with.

Sonatype's licence files are signed binaries the emulator cannot verify: it accepts any
non-empty file. The fingerprint is the SHA-1 of the bytes; the other details come from
`key=value` lines (contactName=..., expirationDate=...) when the file is such text - the test
licences are - and are fixed defaults otherwise. maxRepoComponents/maxRepoRequests (3.77+,
the Community Edition usage limits) are null for a Pro licence.
"""
from __future__ import annotations

import hashlib
from typing import Any

from ..http import ApiError, Request, Response
from ..routing import Router
from ..state import NexusState
from ..validation import quoted
from .support import SPEC_3_86, UNIFIED_DISTRIBUTION

DETAIL_FIELDS = ("contactCompany", "contactEmail", "contactName", "effectiveDate",
                 "expirationDate", "features", "licenseType", "licensedUsers")
DEFAULTS = {"contactCompany": "Example Org", "contactEmail": "licensing@example.org",
            "contactName": "Emulated Licensee", "effectiveDate": "2025-01-01T00:00:00.000+00:00",
            "expirationDate": "2099-12-31T00:00:00.000+00:00", "features": "NexusProfessional",
            "licenseType": "Sonatype Nexus Repository Pro", "licensedUsers": "100"}
SEED_LICENCE = b"contactName=Emulated Licensee\nlicenseType=Sonatype Nexus Repository Pro\n"
NOT_INSTALLED = ("org.sonatype.licensing.LicensingException: Unable to verify license: There is "
                 "no license certificate installed for 'Nexus'.")


def register(router: Router, state: NexusState) -> None:
    def has_endpoint(s: NexusState) -> bool:
        return s.pro or s.at_least(UNIFIED_DISTRIBUTION)
    router.add("GET", "/v1/system/license", get_license, available=has_endpoint)
    router.add("POST", "/v1/system/license", install_license, available=has_endpoint,
               consumes="application/octet-stream")
    router.add("DELETE", "/v1/system/license", remove_license, available=has_endpoint)
    state.seeders.append(seed)


def seed(state: NexusState) -> None:
    state.license.clear()
    if state.pro:
        state.license.update(details(SEED_LICENCE))


def details(data: bytes) -> dict[str, Any]:
    values = dict(DEFAULTS)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in DETAIL_FIELDS:
            values[key.strip()] = value.strip()
    values["fingerprint"] = hashlib.sha1(data).hexdigest()  # noqa: S324 - an id, not security
    return values


def _view(state: NexusState) -> dict[str, Any]:
    view = dict(state.license)
    if state.at_least(SPEC_3_86):
        view.update({"maxRepoComponents": None, "maxRepoRequests": None})
    return view


def get_license(state: NexusState, req: Request) -> Response:
    with state.lock:
        if not state.license:
            raise ApiError(402)
        return Response.json(_view(state))


def install_license(state: NexusState, req: Request) -> Response:
    if not req.body:
        raise quoted(400, "A license file is required")
    with state.lock:
        state.license.clear()
        state.license.update(details(req.body))
        return Response.json(_view(state))


def remove_license(state: NexusState, req: Request) -> Response:
    with state.lock:
        if not state.license:
            raise ApiError.plain(500, NOT_INSTALLED)
        state.license.clear()
    return Response.empty(204)
