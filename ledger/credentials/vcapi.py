"""The W3C CCG VC API over the ledger's own signing, status-list and verification code.

* ``POST /credentials/verify`` and ``POST /presentations/verify`` — for everyone's systems:
  the VC 2.0 data model's structure, Data Integrity proofs (``eddsa-jcs-2022``,
  ``eddsa-rdfc-2022``) by did:key methods or by this ledger's issuers, validity dates and,
  when ``options.checks`` asks for ``credentialStatus``, the Bitstring Status List entry
  against a list this server publishes. Answers ``200 {"verified": true, …}`` or
  ``400 {"verified": false, "errors": [{"message": …}]}``.
* ``POST /credentials/issue`` — only for a configured conformance issuer (a did:key derived
  from a seed setting): the posted credential is signed with
  :func:`~ledger.credentials.dataintegrity.add_proof` (the code that signs certificates), in
  ``options.cryptosuite`` (``eddsa-rdfc-2022`` by default), and, when asked for with
  ``options.credentialStatus``, gets a ``BitstringStatusListEntry`` in the issuer's own
  status list (the :class:`~ledger.credentials.statusstore.StatusListCache` code). It never
  issues as one of the ledger's bodies.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from ledger.credentials.dataintegrity import (
    CRYPTOSUITES,
    EDDSA_RDFC_2022,
    ProofResult,
    add_proof,
    is_xml_datetime,
    verify_proofs,
)
from ledger.credentials.errors import CredentialError
from ledger.credentials.keys import PublicKey
from ledger.credentials.loader import CREDENTIALS_V2, DATA_INTEGRITY_V2
from ledger.credentials.statuslist import BitstringStatusList, status_list_entry

V1 = "https://www.w3.org/2018/credentials/v1"
CONFORMANCE_LIST = "conformance"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


class Refused(Exception):
    """A request the VC API answers with 400 and this message."""


# ---------------------------------------------------------------------------- data model
def _is_url(value: Any) -> bool:
    return isinstance(value, str) and _URL.match(value) is not None


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_data_model(vc: Any, what: str = "credential") -> None:
    """The VC 2.0 data model rules a verifier must enforce (:class:`Refused` otherwise)."""
    if not isinstance(vc, Mapping):
        raise Refused(f"the {what} is not a JSON object")
    context = vc.get("@context")
    if not isinstance(context, list) or not context or context[0] not in (CREDENTIALS_V2, V1):
        raise Refused(f"the {what}'s first @context must be {CREDENTIALS_V2}")
    if not all(isinstance(c, str | Mapping) for c in context):
        raise Refused("@context items must be URLs or objects")
    expected = "VerifiableCredential" if what == "credential" else "VerifiablePresentation"
    types = vc.get("type")
    if expected not in _types(types) or not all(isinstance(t, str) for t in _types(types)):
        raise Refused(f"type must include {expected}")
    if "id" in vc and not _is_url(vc["id"]):
        raise Refused("id must be a URL")
    _check_mapped_types(context, _types(types))
    if what == "credential":
        _check_credential_fields(vc)
        _check_related_resources(vc.get("relatedResource"))


def _check_mapped_types(context: list[Any], types: list[Any]) -> None:
    """Each type is an absolute URL or a term a context defines (and maps to a URL)."""
    from ledger.credentials.loader import default_loader

    defined: set[str] = set()
    for ctx in context:
        try:
            body = default_loader().inline({"@context": ctx})["@context"]
        except CredentialError:
            raise Refused(f"unknown context {ctx!r} (contexts are never fetched)") from None
        if isinstance(body, Mapping):
            defined.update(k for k in body if not k.startswith("@"))
            if isinstance(body.get("@vocab"), str) and ctx != CREDENTIALS_V2:
                return  # a vocabulary of its own defines every term (the examples context)
    for name in types:
        if isinstance(name, str) and ":" not in name and name not in defined:
            raise Refused(f"type {name} is not defined by the @context")
    for ctx in context:
        if not isinstance(ctx, Mapping):
            continue
        for name in types:
            definition = ctx.get(name)
            target = definition.get("@id") if isinstance(definition, Mapping) else definition
            if name in ctx and not _is_url(target):
                raise Refused(f"type {name} is mapped to {target!r}, not a URL")


def _check_related_resources(related: Any) -> None:
    if related is None:
        return
    items = related if isinstance(related, list) else [related]
    if not all(isinstance(i, Mapping) for i in items):
        raise Refused("relatedResource must be objects")
    ids = [i.get("id") for i in items]
    if not all(_is_url(i) for i in ids) or len(set(ids)) != len(ids):
        raise Refused("each relatedResource needs its own URL id")
    if not all("digestSRI" in i or "digestMultibase" in i for i in items):
        raise Refused("each relatedResource needs a digestSRI or a digestMultibase")


def _check_credential_fields(vc: Mapping[str, Any]) -> None:
    issuer = vc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not _is_url(issuer_id):
        raise Refused("issuer must be a URL or an object whose id is a URL")
    subject = vc.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(s, Mapping) and s for s in subjects):
        raise Refused("credentialSubject must be a non-empty object (or list of objects)")
    for field in ("validFrom", "validUntil"):
        if field in vc and not is_xml_datetime(vc[field]):
            raise Refused(f"{field} must be an XML Schema dateTime")
    _check_typed_objects(vc)
    for field in ("name", "description"):
        value = vc.get(field)
        if field in vc and not isinstance(value, str | Mapping | list):
            raise Refused(f"{field} must be a string or language values")


def _check_typed_objects(vc: Mapping[str, Any]) -> None:
    """``credentialStatus``, ``credentialSchema``, ``evidence``… are objects with a type (and URLs)."""
    for field in ("credentialStatus", "credentialSchema", "evidence", "termsOfUse", "refreshService"):
        for item in _types(vc.get(field, [])):
            if not isinstance(item, Mapping) or "type" not in item:
                raise Refused(f"each {field} must be an object with a type")
    for field in ("credentialStatus", "credentialSchema"):
        for item in _types(vc.get(field, [])):
            if ("id" in item or field == "credentialSchema") and not _is_url(item.get("id")):
                raise Refused(f"{field}.id must be a URL")
    for entry in _status_entries(vc):
        _check_status_entry(entry)


def _status_entries(value: Any) -> list[Mapping[str, Any]]:
    """Every object typed ``BitstringStatusListEntry`` in ``value``, wherever it sits."""
    found: list[Mapping[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if "BitstringStatusListEntry" in _types(item.get("type")):
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _check_status_entry(entry: Mapping[str, Any]) -> None:
    """The fields of a ``BitstringStatusListEntry`` (MALFORMED_VALUE_ERROR otherwise)."""
    index = entry.get("statusListIndex")
    if not isinstance(entry.get("statusPurpose"), str):
        raise Refused("statusPurpose must be a string")
    if not isinstance(index, str) or not index.isdigit():
        raise Refused("statusListIndex must be a base-10 integer string")
    if not _is_url(entry.get("statusListCredential")):
        raise Refused("statusListCredential must be a URL")
    if "statusSize" in entry and (not isinstance(entry["statusSize"], int) or entry["statusSize"] < 1):
        raise Refused("statusSize must be a positive integer")
    if entry.get("id") is not None and entry.get("id") == entry.get("statusListCredential"):
        raise Refused("the entry's id must not be the status list's URL")


DROPPED = "urn:ledger:dropped#"


def check_no_data_loss(document: Mapping[str, Any]) -> None:
    """DATA_LOSS_DETECTION_ERROR: no property may be dropped by JSON-LD processing.

    The document is parsed once more with a last context setting ``@vocab`` to a marker: a
    term no context defines then expands to a marker IRI instead of vanishing. VC 2.0
    documents are left alone (their context maps undefined terms to its issuer-dependent
    vocabulary: nothing is dropped).
    """
    import pyoxigraph as ox

    from ledger.credentials.loader import _oxigraph_quads, default_loader

    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if CREDENTIALS_V2 in contexts:
        return
    probe = {**document, "@context": [*contexts, {"@vocab": DROPPED}]}
    try:
        quads = _oxigraph_quads(probe, default_loader())
    except CredentialError as exc:
        raise Refused(f"JSON-LD: {exc}") from None
    for quad in quads:
        for term in (quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(DROPPED):
                raise Refused(
                    f"DATA_LOSS_DETECTION_ERROR: {term.value[len(DROPPED) :]} is not defined by any @context"
                )


def _check_dates(vc: Mapping[str, Any], now: datetime) -> None:
    def parse(value: str) -> datetime:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    if "validFrom" in vc and parse(vc["validFrom"]) > now:
        raise Refused("the credential is not valid yet (validFrom)")
    if "validUntil" in vc and parse(vc["validUntil"]) < now:
        raise Refused("the credential has expired (validUntil)")


# ---------------------------------------------------------------------------- proofs
def _resolver(service: Any, issuer: str | None) -> Any:
    ours = service.trust().resolver(issuer)

    def resolve(method: str) -> PublicKey | None:
        if method.startswith("did:key:"):
            try:
                return PublicKey.from_did_key(method)
            except CredentialError:
                return None
        return ours(method)  # type: ignore[no-any-return]

    return resolve


def _check_proofs(
    document: Mapping[str, Any], service: Any, purpose: str, options: Mapping[str, Any] | None = None
) -> None:
    if "proof" not in document:
        raise Refused("no proof")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    results = verify_proofs(
        document,
        _resolver(service, issuer_id if isinstance(issuer_id, str) else None),
        expected_proof_purpose=purpose,
    )
    failed = [r for r in results if not r.verified]
    if not results or failed:
        raise Refused("; ".join(_reason(r) for r in failed) or "no proof")
    controller = issuer_id if purpose == "assertionMethod" else document.get("holder")
    if not any(_controlled(proof, controller) for proof in _types(document["proof"])):
        raise Refused("no proof is made with a key its issuer controls")
    for proof in _types(document["proof"]):
        if options:
            for field in ("challenge", "domain"):
                if options.get(field) is not None and proof.get(field) != options[field]:
                    raise Refused(f"the proof's {field} is not the expected one")


def _controlled(proof: Mapping[str, Any], controller: Any) -> bool:
    """Whether a did:key proof's method belongs to ``controller`` (other methods: the resolver decided)."""
    method = str(proof.get("verificationMethod", "")).partition("#")[0]
    if method.startswith("did:key:") and isinstance(controller, str) and controller.startswith("did:"):
        return method == controller.partition("#")[0]
    return True


def _reason(result: ProofResult) -> str:
    detail = f": {result.detail}" if result.detail else ""
    return f"{result.cryptosuite or 'proof'} {result.reason}{detail}"


# ---------------------------------------------------------------------------- status
def _check_status(vc: Mapping[str, Any], service: Any) -> None:
    for entry in _types(vc.get("credentialStatus", [])):
        if entry.get("type") != "BitstringStatusListEntry":
            continue
        listed = service.status_list_for({"credentialStatus": entry})
        if listed is None:
            raise Refused(f"status list {entry.get('statusListCredential')} cannot be checked")
        try:
            bits = BitstringStatusList.decode(str(listed["credentialSubject"]["encodedList"]))
            if bits.get(int(str(entry.get("statusListIndex")))):
                raise Refused(f"the credential's status is set ({entry.get('statusPurpose')})")
        except (CredentialError, ValueError, KeyError) as exc:
            raise Refused(f"status: {exc}") from None


# ---------------------------------------------------------------------------- operations
def verify_credential_request(service: Any, body: Any) -> dict[str, Any]:
    """``POST /credentials/verify``: the VC API answer (raises :class:`Refused`)."""
    if not isinstance(body, Mapping) or "verifiableCredential" not in body:
        raise Refused("the body needs a verifiableCredential")
    vc = body["verifiableCredential"]
    options = body.get("options") if isinstance(body.get("options"), Mapping) else {}
    checks = ["proof"]
    check_data_model(vc)
    check_no_data_loss({k: v for k, v in vc.items() if k != "proof"})
    _check_proofs(vc, service, "assertionMethod")
    _check_dates(vc, datetime.now(UTC))
    if "credentialStatus" in (options or {}).get("checks", []) or "credentialStatus" in vc:
        _check_status(vc, service)
        checks.append("credentialStatus")
    return {"verified": True, "checks": checks, "warnings": [], "errors": []}


def verify_presentation_request(service: Any, body: Any) -> dict[str, Any]:
    """``POST /presentations/verify``: the presentation's proof (if any) and every credential in it."""
    if not isinstance(body, Mapping) or "verifiablePresentation" not in body:
        raise Refused("the body needs a verifiablePresentation")
    vp = body["verifiablePresentation"]
    options = body.get("options") if isinstance(body.get("options"), Mapping) else {}
    check_data_model(vp, "presentation")
    if "holder" in vp and not _is_url(vp["holder"]) and not isinstance(vp["holder"], Mapping):
        raise Refused("holder must be a URL")
    checks = []
    if "proof" in vp or (options or {}).get("challenge"):
        _check_proofs(vp, service, "authentication", options)
        checks.append("proof")
    for vc in _types(vp.get("verifiableCredential", [])):
        verify_credential_request(service, {"verifiableCredential": vc})
    return {"verified": True, "checks": checks, "warnings": [], "errors": []}


def issue_request(service: Any, body: Any) -> dict[str, Any]:
    """``POST /credentials/issue`` for the conformance issuer (raises :class:`Refused`)."""
    config = service.config
    if not config.extra_issuers:
        raise Refused("no conformance issuer is configured on this server")
    if not isinstance(body, Mapping) or not isinstance(body.get("credential"), Mapping):
        raise Refused("the body needs a credential")
    credential = dict(body["credential"])
    options: Mapping[str, Any] = body["options"] if isinstance(body.get("options"), Mapping) else {}
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id not in config.extra_issuers:
        raise Refused(f"this server does not issue as {issuer_id!r}")
    credential.pop("proof", None)
    if "credentialStatus" in options or options.get("credentialStatus"):
        credential["credentialStatus"] = _status_entry(service, options.get("credentialStatus"))
    check_data_model(credential)
    check_no_data_loss(credential)
    contexts = credential["@context"]
    if CREDENTIALS_V2 not in contexts and DATA_INTEGRITY_V2 not in contexts:
        credential["@context"] = [*contexts, DATA_INTEGRITY_V2]  # the proof's terms (VC 1.1)
    suite = options.get("cryptosuite", EDDSA_RDFC_2022)
    if suite not in CRYPTOSUITES:
        raise Refused(f"unsupported cryptosuite {suite!r}")
    key, method = config.signer(issuer_id)
    try:
        signed = add_proof(
            credential,
            key,
            suite,
            datetime.now(UTC),
            verification_method=method,
            proof_id=f"urn:uuid:{uuid.uuid4()}",
        )
    except CredentialError as exc:
        raise Refused(str(exc)) from None
    return {"verifiableCredential": signed}


def _status_entry(service: Any, asked: Any) -> dict[str, Any]:
    purpose = "revocation"
    if isinstance(asked, Mapping) and asked.get("statusPurpose") in ("revocation", "suspension"):
        purpose = str(asked["statusPurpose"])
    list_id = f"{CONFORMANCE_LIST}/{purpose}/1"
    with service.issuer() as issuer:
        entry = issuer.status.allocate(f"conformance:{uuid.uuid4()}", list_id, datetime.now(UTC))
    return status_list_entry(service.config.status_list_url(list_id), entry.index, purpose)


# ---------------------------------------------------------------------------- routes
MAX_BODY = 1_048_576


def is_json_media(content_type: str) -> bool:
    """Whether a Content-Type header declares JSON (``application/json`` or ``application/*+json``)."""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json_body(request: Request, parse: Callable[[bytes], Any] | None = None) -> Any:
    """The posted JSON (415 unless declared JSON, 413 over 1 MiB, 400 when not JSON).

    ``application/ld+json`` and ``application/vc+ld+json`` count as JSON; a form, text or a
    missing Content-Type is refused before the body is read (no CSRF-able simple request).
    ``parse`` is the server's bounded JSON parser (depth and value-count limits, 400 problem
    details); without it, the standard parser, with a too-deep document refused as 400.
    """
    if not is_json_media(request.headers.get("content-type", "")):
        raise HTTPException(415, "send the body as Content-Type: application/json")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, "body larger than 1 MiB")
    if parse is not None:
        return parse(body)
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HTTPException(400, f"the body is not JSON: {exc}") from None


def add_vc_api(api: APIRouter, service: Any) -> None:
    """Register the VC API routes on ``api`` (verification always; issuance when configured)."""

    async def answer(operation: Any, request: Request, ok: int) -> JSONResponse:
        body = await read_json_body(request, service.ctx.parse_json)
        try:
            result = await service.run_cpu(operation, service, body)  # CPU-bound: off the loop
        except Refused as exc:
            return JSONResponse({"verified": False, "errors": [{"message": str(exc)}]}, status_code=400)
        return JSONResponse(result, status_code=ok)

    @api.post("/credentials/verify")
    async def credentials_verify(request: Request) -> JSONResponse:
        """VC API: verify a credential (``{"verifiableCredential": …, "options": …}``)."""
        return await answer(verify_credential_request, request, 200)

    @api.post("/presentations/verify")
    async def presentations_verify(request: Request) -> JSONResponse:
        """VC API: verify a presentation and the credentials in it."""
        return await answer(verify_presentation_request, request, 200)

    @api.post("/credentials/issue")
    async def credentials_issue(request: Request) -> JSONResponse:
        """VC API: issue as the configured conformance issuer (did:key)."""
        return await answer(issue_request, request, 201)
