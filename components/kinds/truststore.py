"""The SSL trust store (`truststore`; `/v1/security/ssl/truststore`): certificates Nexus trusts
for outbound TLS, e.g. a registry behind a private CA that a proxy repository reaches.

Nexus knows a certificate by its fingerprint (SHA-1 of the DER, `AB:CD:…`), so that is the
resource id; a certificate already in the store is the same certificate and is taken over
without a write. An entry gives the PEM, the stack's own CA (`fromStack`), or a server to fetch
the certificate from through Nexus (`/v1/security/ssl?host=&port=`). A fetched certificate is
never trusted silently: the config names the fingerprint it expects, the preview reads what the
server presents now and refuses a mismatch, naming the fingerprint found, and the create checks
again before it adds the certificate. Drift is a certificate removed behind the stack's back
(the next `up` adds it again).
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional
from urllib.parse import quote, urlencode

import pulumi
from pulumi.dynamic import CreateResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from .. import client as nexus
from ..client import NexusClient, NexusError, ServerInfo
from ..kind import Context, Found, Kind, Resources, after
from ..problems import Problem, ServerFacts, Values, duplicate_name_problems
from ..provider import NexusProvider, Spec, compact, find_by, strip_provider
from ..resource import NexusResource
from ..schema import Fragment

SCHEMA = Fragment.beside(__file__)
LIST_PATH = "/v1/security/ssl/truststore"
REMOTE_PATH = "/v1/security/ssl"
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


def fingerprint_of(pem: Any) -> Optional[str]:
    """SHA-1 fingerprint of the first certificate in `pem` (None: unknown yet, or not a certificate)."""
    found = PEM_CERTIFICATE.search(pem) if isinstance(pem, str) else None
    if found is None:
        return None
    try:
        certificate = x509.load_pem_x509_certificate(found.group(0).encode())
    except ValueError:
        return None
    digest = certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Nexus's id scheme
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def certificate_path(fingerprint: str) -> str:
    return f"{LIST_PATH}/{quote(fingerprint, safe='')}"


def remote_certificate(client: NexusClient, fetch: Mapping[str, Any]) -> dict[str, Any]:
    """The certificate a server presents now, as Nexus reads it (trusting nothing)."""
    query = urlencode({"host": fetch["host"], "port": int(fetch.get("port", 443))})  # the engine's numbers are floats
    return client.get_json(f"{REMOTE_PATH}?{query}") or {}


def describe(doc: Mapping[str, Any]) -> str:
    return (f"{doc.get('fingerprint')} (subject CN={doc.get('subjectCommonName')}, "
            f"issuer CN={doc.get('issuerCommonName')})")


class TrustedCertificateProvider(NexusProvider):
    kind = "trusted certificate"
    resource_type = "nexus:TrustedCertificate"
    replace_on = ("fingerprint",)  # another certificate is another object
    control = ("adopt", "name", "pem", "fromStack", "fetch")  # how the certificate is given, not Nexus fields
    keyed_by_name = False

    def object_id(self, spec: Mapping[str, Any]) -> str:
        return str(spec.get("fingerprint", ""))

    def normalize(self, spec: Spec) -> Spec:
        spec = SCHEMA.with_defaults(spec)
        given = spec.get("fingerprint")
        return compact({
            "name": spec["name"], "pem": spec.get("pem"), "fromStack": spec.get("fromStack"),
            "fetch": {**spec["fetch"], "port": int(spec["fetch"]["port"])} if spec.get("fetch") else None,
            # From the PEM when it is known (a stack CA is unknown in a first preview).
            "fingerprint": fingerprint_of(spec.get("pem")) or (given.upper() if given else None),
            "expected": given.upper() if given and spec.get("pem") else None,
            "adopt": bool(spec.get("adopt")),
        })

    def problems(self, spec: Spec) -> list[tuple[str, str]]:
        if spec.get("expected") and spec["expected"] != spec.get("fingerprint"):
            return [("fingerprint", f"the PEM's fingerprint is {spec['fingerprint']}, not {spec['expected']}")]
        return []

    @property
    def engine_fields(self) -> tuple[str, ...]:
        return (*super().engine_fields, "expected")

    def fetch(self, client: NexusClient, object_id: str) -> Optional[dict[str, Any]]:
        return find_by(client.cached_list("truststore", LIST_PATH), "fingerprint", object_id.upper(), ignore_case=True)

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        return {"fingerprint": str(doc.get("fingerprint", "")).upper()}

    def create_remote(self, client: NexusClient, spec: Spec) -> None:
        pem = spec.get("pem")
        if spec.get("fetch"):
            found = remote_certificate(client, spec["fetch"])
            if str(found.get("fingerprint", "")).upper() != spec["fingerprint"]:
                raise NexusError("GET", REMOTE_PATH, 0, (
                    f"{spec['fetch']['host']}:{int(spec['fetch'].get('port', 443))} now presents {describe(found)}, "
                    f"not {spec['fingerprint']}: not trusted. Check the server; if the new certificate is "
                    "right, put its fingerprint in the config"))
            pem = found["pem"]
        client.request("POST", LIST_PATH, text_body=pem, ok=(200, 201))
        client.invalidate("truststore")

    def create(self, props: dict[str, Any]) -> CreateResult:
        """A certificate already in the store is this one (same fingerprint): taken over."""
        client = nexus.for_run()
        spec = dict(props)
        if self.fetch(client, self.object_id(spec)) is not None:
            pulumi.log.info(f"certificate {self.object_id(spec)} is already trusted by Nexus: taken over")
            return CreateResult(self.object_id(spec), strip_provider(spec))
        return super().create(props)

    def update_remote(self, client: NexusClient, spec: Spec, previous: Spec) -> None:
        """Only how the certificate is given changed (the fingerprint is the same): nothing to write."""

    def delete_remote(self, client: NexusClient, spec: Spec) -> None:
        client.send("DELETE", certificate_path(spec["fingerprint"]), invalidates=("truststore",))


class TrustedCertificate(NexusResource, provider=TrustedCertificateProvider):
    """A certificate in Nexus's trust store."""


# --- config checks ----------------------------------------------------------------------------
def problems(values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    """Names, PEMs, one entry per certificate, the stack's CA, and each fetched certificate's
    fingerprint as the server presents it now (read through Nexus at preview)."""
    entries = values.get("truststore") or []
    found = duplicate_name_problems("truststore", entries)
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        at = f"truststore[{i}]"
        fingerprint = fingerprint_of(entry.get("pem")) if entry.get("pem") else entry.get("fingerprint")
        if entry.get("pem") and fingerprint is None:
            found.append(Problem(f"{at}.pem", "is not a PEM certificate Nexus can read (-----BEGIN CERTIFICATE----- "
                                              "...); give the certificate, not a key or a request"))
        elif entry.get("pem") and entry.get("fingerprint") and entry["fingerprint"].upper() != fingerprint:
            found.append(Problem(f"{at}.fingerprint", f"the PEM's fingerprint is {fingerprint}, not "
                                 f"{entry['fingerprint'].upper()}: check which certificate you meant"))
        if fingerprint:
            first = seen.setdefault(fingerprint.upper(), i)
            if first != i:
                found.append(Problem(at, f"the same certificate as truststore[{first}] ({fingerprint}); list it once"))
        if entry.get("fromStack") and not (values.get("tls") or {}).get("enabled", values.get("tls") is not None):
            found.append(Problem(f"{at}.fromStack", "this stack has no TLS material (no `tls` section, or it is "
                                                    "disabled): give the CA's pem instead"))
    if server is not None:
        found += _fetched_problems(entries, server)
    return found


def _fetched_problems(entries: list[Mapping[str, Any]], server: ServerFacts) -> list[Problem]:
    client: Optional[NexusClient] = getattr(server, "client", None)
    found = []
    for i, entry in enumerate(entries):
        if not entry.get("fetch") or client is None:
            continue
        where = f"{entry['fetch']['host']}:{entry['fetch'].get('port', 443)}"
        try:
            doc = remote_certificate(client, entry["fetch"])
        except NexusError as err:
            found.append(Problem(f"truststore[{i}].fetch", f"Nexus could not read the certificate of {where} "
                                 f"({err.message}); check host and port, or give the pem"))
            continue
        fingerprint = str(doc.get("fingerprint", "")).upper()
        if fingerprint != entry["fingerprint"].upper():
            found.append(Problem(f"truststore[{i}].fingerprint", f"{where} presents {describe(doc)}, not "
                                 f"{entry['fingerprint'].upper()}: not trusted. If that certificate is right, "
                                 f"set fingerprint: {fingerprint}"))
        else:
            pulumi.log.info(f"truststore[{i}]: {where} presents {describe(doc)}, as the config expects")
    return found


def needs_server(values: Values) -> bool:
    return any(entry.get("fetch") for entry in values.get("truststore") or [])


# --- declaration ------------------------------------------------------------------------------
def declare(ctx: Context) -> Resources:
    out: Resources = {}
    for i, item in enumerate(ctx.cfg.get("truststore", [])):
        spec = ctx.cfg.spec(("truststore", i), item)
        if item.get("fromStack"):
            spec["pem"] = ctx.stack_ca_pem
        out[item["name"].lower()] = TrustedCertificate(f"truststore-{item['name']}", spec, opts=after(ctx.bootstrap))
    return out


# --- adopt ---------------------------------------------------------------------------------------
def inventory(client: NexusClient, info: ServerInfo) -> list[Found]:
    found = []
    taken: set[str] = set()
    for doc in client.get_json(LIST_PATH) or []:
        base = re.sub(r"[^a-zA-Z0-9_.-]+", "-", str(doc.get("subjectCommonName") or "certificate")).strip("-.") or "certificate"
        name = base if base[0].isalnum() else f"cert-{base}"
        while name.lower() in taken:
            name = f"{base}-{len(taken)}"
        taken.add(name.lower())
        entry = {"name": name, "pem": doc.get("pem"), "fingerprint": str(doc.get("fingerprint", "")).upper()}
        found.append(KIND.found(name, entry, certificate_path(str(doc.get("fingerprint")))))
    return found


KIND = Kind(
    name="trusted certificate", slug="certificate", config_path=("truststore",), schema=SCHEMA,
    resource_types=(TrustedCertificate,), declare=declare, problems=problems, inventory=inventory,
    needs_server=needs_server)
