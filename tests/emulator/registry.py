"""One request on a docker or OCI repository connector: who the caller is (Basic credentials or
a bearer token of the format's token realm), what they may do, and which registry endpoint
answers — the way Nexus's docker plugin does.

Cases and where they come from:
* forceBasicAuth=false selects bearer-token auth, true selects BASIC (nexus-public PR #31 review:
  "forceBasicAuth=true means use BASIC auth. forceBasicAuth=false means use bearer token auth.");
* bearer tokens need the format's token realm: the Docker Bearer Token Realm (`DockerToken`,
  help.sonatype.com/en/docker-authentication.html) for docker repositories; for OCI repositories
  (3.94) "OCI Bearer Token Realm required if false" (OciAttributes.forceBasicAuth in the 3.94.0
  OpenAPI spec), whose id `OciBearerToken` is what a public 3.94 configuration activates;
* the anonymous bearer token only works with the built-in `anonymous` user (nexus-public#311);
  the token answer carries no expiry (dockerd logs "Increasing token expiration to: 60 seconds")
  and a refused anonymous pull reads "unauthorized: access to the requested resource is not
  authorized" (the seed post's dockerd log);
* a push to a Community Edition group port gets Jetty's HTML 404 (the seed post); Pro writes to
  the group's writableMember (GroupDeployAttributes, in both formats' group requests);
* until the EULA is accepted the registry port answers "You must accept the End User License
  Agreement (EULA)" (juev/registry EULA-ISSUE.md), with 403 (a CE 3.8x troubleshooting note);
* the OCI format serves the distribution-spec 1.1 referrers API, which its cosign enforcement
  reads ("KEYLESS requires a valid cosign signature attached as an OCI referrer for every pull",
  OciCosignConfiguration in the 3.94.0 spec); docker repositories support OCI images 1.0.x only
  (help.sonatype.com docker-registry, "Supporting OCI Images"), which have no referrers.
"""
from __future__ import annotations

import base64
import binascii
import copy
import re
from dataclasses import dataclass
from typing import Any, Optional

from .http import Response
from .permissions import repository_permitted
from .registry_content import NOT_FOUND_HTML, ContentApi, registry_error

BASIC_CHALLENGE = 'BASIC realm="Sonatype Nexus Repository Manager"'
API_VERSION = ("Docker-Distribution-Api-Version", "registry/2.0")
EULA_REFUSAL = "You must accept the End User License Agreement (EULA)"
# The token realm a repository format's bearer tokens need.
TOKEN_REALMS = {"docker": "DockerToken", "oci": "OciBearerToken"}

_UPLOAD = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]*)$")
_BLOB = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")
_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")
_TAGS = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
_REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else None


class _Unauthenticated(Exception):
    """Credentials were sent and are wrong (or the bearer token is no longer valid)."""


class Registry(ContentApi):
    """Answers one request on the connector of one repository."""

    def __init__(self, manager: Any, repo_key: str, port: int, call: Call):
        self.manager = manager
        self.state = manager.state
        self.repo_key = repo_key
        self.port = port
        self.call = call
        self.repo: dict = {}

    @property
    def oci(self) -> bool:
        return self.repo.get("format") == "oci"

    @property
    def attributes(self) -> dict[str, Any]:
        """The repository's connector block (`docker` or `oci`)."""
        return self.repo.get(self.repo.get("format", "docker")) or {}

    @property
    def token_realm(self) -> str:
        return TOKEN_REALMS[self.repo.get("format", "docker")]

    # --- entry -----------------------------------------------------------------------------------
    def answer(self) -> tuple[Response, Optional[str]]:
        """The response and, when the request was refused before reaching the registry, why."""
        with self.state.lock:
            if self.state.eula_pending:
                return Response.text(EULA_REFUSAL, 403), "eula-pending"
            repo = copy.deepcopy(self.state.repositories.get(self.repo_key))
        if repo is None:
            return Response(404), None
        if not repo.get("online", True):
            return registry_error(503, "UNAVAILABLE"), "offline"
        self.repo = repo
        try:
            user = self.authenticate()
        except _Unauthenticated:
            return self.unauthorized(), None
        return self.route(user), None

    def route(self, user: Optional[str]) -> Response:
        call = self.call
        if call.path in ("/v2", "/v2/"):
            if call.method not in ("GET", "HEAD"):
                return registry_error(405, "UNSUPPORTED")
            return Response.json({}) if user else self.unauthorized()
        if call.path == "/v2/token":
            return self.token(user) if call.method in ("GET", "HEAD") else \
                registry_error(405, "UNSUPPORTED")
        if call.path == "/v2/_catalog" and call.method in ("GET", "HEAD"):
            return self.guarded(user, "browse", self.catalog)
        endpoints = [(_UPLOAD, self.upload), (_BLOB, self.blob), (_MANIFEST, self.manifest),
                     (_TAGS, self.tags)]
        if self.oci:
            endpoints.append((_REFERRERS, self.referrers))
        for pattern, handler in endpoints:
            found = pattern.match(call.path)
            if found:
                return handler(user, **found.groupdict())
        return Response(404)

    # --- authentication --------------------------------------------------------------------------
    @property
    def bearer_mode(self) -> bool:
        """forceBasicAuth=false means bearer-token auth (the format's token realm)."""
        return not self.attributes.get("forceBasicAuth", True)

    def authenticate(self) -> Optional[str]:
        header = self.call.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user_id, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise _Unauthenticated()
            with self.state.lock:
                if not self.state.check_password(user_id, password):
                    raise _Unauthenticated()
            return user_id
        if scheme.lower() == "bearer":
            user_id = self.manager.token_user(value.strip(), self.token_realm)
            with self.state.lock:
                valid = (user_id is not None and self.token_realm in self.state.realms_active
                         and self.state.users.get(user_id, {}).get("status") == "active"
                         and (user_id != "anonymous" or self.anonymous_pull_possible()))
            if not valid:
                raise _Unauthenticated()
            return user_id
        return None

    def anonymous_pull_possible(self) -> bool:
        """All of: the format's token realm active, anonymous access on with the built-in
        anonymous user (its bearer token is hard-wired to that user), forceBasicAuth off on this
        repository, and the anonymous user allowed to read it (call with state.lock held)."""
        anonymous = self.state.anonymous
        user = self.state.users.get("anonymous")
        return (self.token_realm in self.state.realms_active and bool(anonymous.get("enabled"))
                and anonymous.get("userId") == "anonymous" and user is not None
                and user.get("status") == "active" and self.bearer_mode
                and repository_permitted(self.state, "anonymous", self.repo, "read"))

    def challenge(self) -> str:
        if not self.bearer_mode:
            return BASIC_CHALLENGE
        host = self.call.headers.get("host") or f"{self.state.options.host}:{self.port}"
        scheme = self.call.headers.get("x-forwarded-proto", "http")
        url = f"{scheme}://{host}/v2/token"
        return f'Bearer realm="{url}",service="{url}"'

    def unauthorized(self) -> Response:
        return registry_error(401, "UNAUTHORIZED", {"WWW-Authenticate": self.challenge()})

    def token(self, user: Optional[str]) -> Response:
        if user is None:
            with self.state.lock:
                possible = self.anonymous_pull_possible()
            if not possible:
                return registry_error(401, "UNAUTHORIZED")
            user = "anonymous"
        # Nexus answers only the token: dockerd logs "Increasing token expiration to: 60 seconds".
        return Response.json({"token": self.manager.issue_token(user, self.token_realm)})

    # --- authorization ---------------------------------------------------------------------------
    def permitted(self, user: Optional[str], action: str) -> Optional[Response]:
        """None when allowed, else the refusal: 401 for an anonymous subject, 403 for a user."""
        with self.state.lock:
            if user is None and self.call.method in ("GET", "HEAD") and \
                    self.anonymous_pull_possible():
                user = "anonymous"
            allowed = user is not None and repository_permitted(
                self.state, user, self.repo, action, self.call.path)
        if allowed:
            return None
        if user is None or user == "anonymous":
            return self.unauthorized()
        return registry_error(403, "DENIED")

    def guarded(self, user: Optional[str], action: str, handler: Any, **kwargs: Any) -> Response:
        refusal = self.permitted(user, action)
        return refusal if refusal is not None else handler(**kwargs)

    def write_target(self, user: Optional[str], action: str) -> str | Response:
        """The key of the hosted repository a write lands in, or the refusal."""
        refusal = self.permitted(user, action)
        if refusal is not None:
            return refusal
        kind = self.repo["type"]
        if kind == "hosted":
            return self.repo_key
        if kind == "group":
            member = (self.repo.get("group") or {}).get("writableMember")
            if self.state.pro and member:
                return str(member).lower()
            return Response(404, NOT_FOUND_HTML.encode(), "text/html")
        return registry_error(405, "UNSUPPORTED")
