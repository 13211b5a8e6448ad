"""W3C Data Integrity proofs with the EdDSA cryptosuites ``eddsa-jcs-2022`` and ``eddsa-rdfc-2022``.

Signing input is ``SHA-256(canonical proof config) || SHA-256(canonical document)``,
signed with Ed25519; ``proofValue`` is multibase base58btc. ``eddsa-jcs-2022`` uses
RFC 8785 JCS and copies the document ``@context`` into the proof;
``eddsa-rdfc-2022`` uses RDFC-1.0 over offline contexts with the document ``@context``
as the proof configuration context (the proof itself carries no ``@context``).

Proof sets and chains follow Data Integrity 1.0 §4.2/§4.5: each new proof secures the
document plus the proofs named by its ``previousProof`` (none for a plain set member),
so the members of a proof set verify independently.
"""

from __future__ import annotations

import copy
import enum
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ledger.credentials.errors import (
    CanonicalizationError,
    EncodingError,
    ProofGenerationError,
)
from ledger.credentials.jcs import canonicalize as jcs_canonicalize
from ledger.credentials.keys import KeyPair, KeyResolver
from ledger.credentials.loader import (
    CREDENTIALS_V2,
    DEFAULT_LIMITS,
    LEDGER_V1,
    OPEN_BADGES_V3,
    CanonicalizationLimits,
    canonicalize_rdf,
    check_json_limits,
)
from ledger.credentials.multibase import decode_base58btc, encode_base58btc

PROOF_TYPE = "DataIntegrityProof"
EDDSA_JCS_2022 = "eddsa-jcs-2022"
EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
CRYPTOSUITES = (EDDSA_JCS_2022, EDDSA_RDFC_2022)
SIGNATURE_LENGTH = 64

_DATETIME = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?"
)


class Failure(enum.StrEnum):
    """Why a proof did not verify."""

    UNKNOWN_KEY = "unknown key"
    BAD_SIGNATURE = "bad signature"
    MALFORMED = "malformed"
    UNSUPPORTED_SUITE = "unsupported suite"
    WRONG_PURPOSE = "wrong proof purpose"
    BROKEN_CHAIN = "previous proof not verified"


@dataclass(frozen=True)
class ProofResult:
    """Verdict for one proof of a document; ``reason`` is ``None`` when verified."""

    index: int
    verified: bool
    reason: Failure | None = None
    detail: str = ""
    proof_id: str | None = None
    cryptosuite: str | None = None
    verification_method: str | None = None


@dataclass(frozen=True)
class HashData:
    """The intermediate values of one proof computation (useful for audits and tests)."""

    canonical_document: bytes
    canonical_proof_config: bytes

    @property
    def document_hash(self) -> bytes:
        """SHA-256 of the canonical document."""
        return hashlib.sha256(self.canonical_document).digest()

    @property
    def proof_config_hash(self) -> bytes:
        """SHA-256 of the canonical proof configuration."""
        return hashlib.sha256(self.canonical_proof_config).digest()

    @property
    def combined(self) -> bytes:
        """``proof_config_hash || document_hash``: the 64 bytes that are signed."""
        return self.proof_config_hash + self.document_hash


class _InvalidProof(Exception):
    """Internal: a proof is invalid; carries the verdict for :class:`ProofResult`."""

    def __init__(self, reason: Failure, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def is_xml_datetime(value: object) -> bool:
    """Return whether ``value`` is an XML Schema 1.1 ``dateTime`` lexical value."""
    return isinstance(value, str) and _DATETIME.fullmatch(value) is not None


def format_created(created: datetime | str) -> str:
    """Return ``created`` as an XML Schema dateTime (UTC ``…Z`` for datetimes)."""
    if isinstance(created, datetime):
        if created.tzinfo is None:
            raise ProofGenerationError("created must be timezone-aware")
        return created.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not is_xml_datetime(created):
        raise ProofGenerationError(f"created is not an XML Schema dateTime: {created!r}")
    return created


def _strip_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in document.items() if key != "proof"}


def _proof_list(document: Mapping[str, Any]) -> list[Any]:
    proof = document.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def _matching_proofs(all_proofs: Sequence[Any], previous: object) -> list[Any]:
    """Return the proofs named by ``previous`` (str or list); raise KeyError if missing."""
    if previous is None:
        return []
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        raise KeyError("previousProof must be a string or a list of strings")
    by_id = {p.get("id"): p for p in all_proofs if isinstance(p, Mapping)}
    missing = [item for item in wanted if item not in by_id]
    if missing:
        raise KeyError(f"previousProof not found: {', '.join(missing)}")
    return [copy.deepcopy(by_id[item]) for item in wanted]


def _canonical(value: Any, cryptosuite: str, limits: CanonicalizationLimits) -> bytes:
    if cryptosuite == EDDSA_JCS_2022:
        if not limits.prechecked:
            check_json_limits(value, limits)
        return jcs_canonicalize(value)
    return canonicalize_rdf(value, limits).encode("utf-8")


def proof_configuration(document: Mapping[str, Any], proof_options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the proof configuration the create algorithm signs (options + ``@context``)."""
    config = {key: copy.deepcopy(value) for key, value in proof_options.items()}
    config.pop("proofValue", None)
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    elif config.get("cryptosuite") == EDDSA_RDFC_2022:
        raise ProofGenerationError("eddsa-rdfc-2022 needs a document @context")
    return config


_PROOF_TERMS = frozenset(
    {"@context", "type", "id", "cryptosuite", "created", "verificationMethod", "proofPurpose"}
)
_VC2_FIRST = (CREDENTIALS_V2,)
_KNOWN_CONTEXT_LISTS = frozenset(
    {(CREDENTIALS_V2,), (CREDENTIALS_V2, OPEN_BADGES_V3), (CREDENTIALS_V2, OPEN_BADGES_V3, LEDGER_V1)}
)


def _proof_config_for_rdf(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The proof configuration with only the VC 2.0 context when that cannot change its dataset.

    Every term of a plain Data Integrity proof configuration is defined by the VC 2.0 context,
    which is ``@protected``: the Open Badges and ledger contexts after it cannot redefine them,
    so with one of the known context lists the dataset is the same and processing the large
    Open Badges context for it (≈ a third of a verification) is skipped. Any other shape keeps
    its full context. A test compares both forms.
    """
    context = config.get("@context")
    if (
        isinstance(context, list)
        and all(isinstance(c, str) for c in context)
        and tuple(context) in _KNOWN_CONTEXT_LISTS
        and set(config) <= _PROOF_TERMS
        and config.get("type") == PROOF_TYPE
        and all(isinstance(config.get(k, ""), str) for k in _PROOF_TERMS - {"@context"})
    ):
        return {**config, "@context": list(_VC2_FIRST)}
    return config


def hash_data(
    document: Mapping[str, Any],
    proof_config: Mapping[str, Any],
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
) -> HashData:
    """Canonicalise ``document`` (without its own proof) and ``proof_config``.

    ``proof_config`` must already be a full proof configuration (see
    :func:`proof_configuration`); its ``cryptosuite`` selects JCS or RDFC-1.0.
    """
    suite = proof_config.get("cryptosuite")
    if proof_config.get("type") != PROOF_TYPE or suite not in CRYPTOSUITES:
        raise ProofGenerationError(f"unsupported proof type/cryptosuite: {suite!r}")
    config = _proof_config_for_rdf(proof_config) if suite == EDDSA_RDFC_2022 else proof_config
    return HashData(
        canonical_document=_canonical(document, str(suite), limits),
        canonical_proof_config=_canonical(config, str(suite), limits),
    )


def _proof_options(
    key: KeyPair,
    cryptosuite: str,
    *,
    created: datetime | str,
    proof_purpose: str,
    previous_proof: str | Sequence[str] | None,
    verification_method: str | None,
    proof_id: str | None,
) -> dict[str, Any]:
    if cryptosuite not in CRYPTOSUITES:
        raise ProofGenerationError(f"unsupported cryptosuite: {cryptosuite!r}")
    options: dict[str, Any] = {"type": PROOF_TYPE}
    if proof_id is not None:
        options["id"] = proof_id
    options["cryptosuite"] = cryptosuite
    options["created"] = format_created(created)
    options["verificationMethod"] = verification_method or key.public.verification_method()
    options["proofPurpose"] = proof_purpose
    if previous_proof is not None:
        options["previousProof"] = previous_proof if isinstance(previous_proof, str) else list(previous_proof)
    return options


def create_proof(
    document: Mapping[str, Any],
    options: Mapping[str, Any],
    key: KeyPair,
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Return a signed proof over ``document`` (which may carry chained proofs)."""
    config = proof_configuration(document, options)
    data = hash_data(document, config, limits)
    proof = dict(config) if options.get("cryptosuite") == EDDSA_JCS_2022 else dict(options)
    proof["proofValue"] = encode_base58btc(key.sign(data.combined))
    return proof


def add_proof(
    document: Mapping[str, Any],
    key: KeyPair,
    cryptosuite: str,
    created: datetime | str,
    proof_purpose: str = "assertionMethod",
    previous_proof: str | Sequence[str] | None = None,
    *,
    verification_method: str | None = None,
    proof_id: str | None = None,
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Return a copy of ``document`` with one more Data Integrity proof.

    The first proof is stored as an object; further proofs turn ``proof`` into a list
    (a proof set). ``previous_proof`` names earlier proof ids to chain to; those proofs
    are then covered by the new signature. ``verification_method`` defaults to the
    key's did:key verification method. Raises :class:`ProofGenerationError` for bad
    options and :class:`CanonicalizationError` if the document cannot be canonicalised.
    """
    if not isinstance(document, Mapping):
        raise TypeError("document must be a mapping")
    options = _proof_options(
        key,
        cryptosuite,
        created=created,
        proof_purpose=proof_purpose,
        previous_proof=previous_proof,
        verification_method=verification_method,
        proof_id=proof_id,
    )
    existing = _proof_list(document)
    try:
        matching = _matching_proofs(existing, options.get("previousProof"))
    except KeyError as exc:
        raise ProofGenerationError(str(exc.args[0])) from exc
    to_sign = _strip_proof(document)
    if matching:
        to_sign["proof"] = matching
    proof = create_proof(to_sign, options, key, limits)
    output = _strip_proof(document)
    output["proof"] = [*copy.deepcopy(existing), proof] if existing else proof
    return output


def _require_fields(proof: Any) -> Mapping[str, Any]:
    if not isinstance(proof, Mapping):
        raise _InvalidProof(Failure.MALFORMED, "proof is not an object")
    for name in ("type", "verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(name), str):
            raise _InvalidProof(Failure.MALFORMED, f"proof.{name} missing or not a string")
    if proof["type"] != PROOF_TYPE or proof.get("cryptosuite") not in CRYPTOSUITES:
        raise _InvalidProof(Failure.UNSUPPORTED_SUITE, f"{proof['type']}/{proof.get('cryptosuite')!r}")
    if "created" in proof and not is_xml_datetime(proof["created"]):
        raise _InvalidProof(Failure.MALFORMED, "proof.created is not an XML Schema dateTime")
    return proof


def _signature(proof: Mapping[str, Any]) -> bytes:
    try:
        signature = decode_base58btc(proof["proofValue"])
    except EncodingError as exc:
        raise _InvalidProof(Failure.MALFORMED, f"proofValue: {exc}") from exc
    if len(signature) != SIGNATURE_LENGTH:
        raise _InvalidProof(Failure.MALFORMED, "proofValue is not a 64-byte Ed25519 signature")
    return signature


def _verification_inputs(
    unsecured: dict[str, Any], proof: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the suite's verify-time @context rules; return (document, proof config)."""
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    if proof["cryptosuite"] == EDDSA_RDFC_2022:
        if "@context" not in unsecured:
            raise _InvalidProof(Failure.MALFORMED, "document has no @context")
        options["@context"] = unsecured["@context"]
        return unsecured, options
    if "@context" in options:
        doc_ctx, proof_ctx = unsecured.get("@context"), options["@context"]
        doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        proof_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
        if doc_list[: len(proof_list)] != proof_list:
            raise _InvalidProof(Failure.MALFORMED, "document @context does not start with proof's")
        unsecured["@context"] = proof_ctx
    return unsecured, options


def _verify_one(
    base: Mapping[str, Any],
    proof: Any,
    all_proofs: Sequence[Any],
    resolve_key: KeyResolver,
    limits: CanonicalizationLimits,
) -> None:
    """Raise :class:`_InvalidProof` unless ``proof`` verifies over ``base`` (+ chained proofs)."""
    proof = _require_fields(proof)
    signature = _signature(proof)
    try:
        matching = _matching_proofs(all_proofs, proof.get("previousProof"))
    except KeyError as exc:
        raise _InvalidProof(Failure.MALFORMED, str(exc.args[0])) from exc
    key = resolve_key(proof["verificationMethod"])
    if key is None:
        raise _InvalidProof(Failure.UNKNOWN_KEY, proof["verificationMethod"])
    unsecured = dict(base)  # only top-level keys change; canonicalisation never mutates
    if matching:
        unsecured["proof"] = matching
    document, config = _verification_inputs(unsecured, proof)
    try:
        data = hash_data(document, config, limits)
        if not key.verify(signature, data.combined) and limits.compiled:
            # the compiled contexts are a fast path: never call a signature bad on their word
            data = hash_data(document, config, replace(limits, compiled=False))
    except CanonicalizationError as exc:
        raise _InvalidProof(Failure.MALFORMED, f"{type(exc).__name__}: {exc}") from exc
    if not key.verify(signature, data.combined):
        raise _InvalidProof(Failure.BAD_SIGNATURE, "Ed25519 signature does not match")


def _result(index: int, proof: Any, error: _InvalidProof | None) -> ProofResult:
    fields = proof if isinstance(proof, Mapping) else {}

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    return ProofResult(
        index=index,
        verified=error is None,
        reason=None if error is None else error.reason,
        detail="" if error is None else error.detail,
        proof_id=text("id"),
        cryptosuite=text("cryptosuite"),
        verification_method=text("verificationMethod"),
    )


def _check_purpose(proof: Any, expected: str | None) -> None:
    if expected is not None and isinstance(proof, Mapping):
        purpose = proof.get("proofPurpose")
        if purpose != expected:
            raise _InvalidProof(Failure.WRONG_PURPOSE, f"expected {expected!r}, got {purpose!r}")


def _apply_chains(results: list[ProofResult], proofs: Sequence[Any]) -> list[ProofResult]:
    """Fail every verified proof whose ``previousProof`` targets are not all verified."""
    changed = True
    while changed:
        changed = False
        ok_ids = {r.proof_id for r in results if r.verified and r.proof_id is not None}
        for i, (result, proof) in enumerate(zip(results, proofs, strict=True)):
            previous = proof.get("previousProof") if isinstance(proof, Mapping) else None
            wanted = [previous] if isinstance(previous, str) else previous or []
            if result.verified and any(item not in ok_ids for item in wanted):
                results[i] = _result(i, proof, _InvalidProof(Failure.BROKEN_CHAIN, str(previous)))
                changed = True
    return results


def verify_proofs(
    document: Mapping[str, Any],
    resolve_key: KeyResolver,
    *,
    expected_proof_purpose: str | None = None,
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
) -> list[ProofResult]:
    """Verify every proof of ``document``; return one :class:`ProofResult` per proof.

    ``resolve_key`` maps a verification method id to a trusted :class:`PublicKey` or
    ``None`` ("unknown key"). Invalid credentials never raise; an empty list means the
    document has no proof. Raises ``TypeError`` only if ``document`` is not a mapping.
    """
    if not isinstance(document, Mapping):
        raise TypeError("document must be a mapping")
    proofs = _proof_list(document)
    base = {key: value for key, value in document.items() if key != "proof"}
    try:  # the size and depth limits, once for the whole document and its proofs
        check_json_limits(document, limits)
        limits = replace(limits, prechecked=True)
    except CanonicalizationError as exc:
        detail = f"{type(exc).__name__}: {exc}"
        return [_result(i, p, _InvalidProof(Failure.MALFORMED, detail)) for i, p in enumerate(proofs)]
    results: list[ProofResult] = []
    for index, proof in enumerate(proofs):
        try:
            _check_purpose(proof, expected_proof_purpose)
            _verify_one(base, proof, proofs, resolve_key, limits)
        except _InvalidProof as invalid:
            results.append(_result(index, proof, invalid))
        else:
            results.append(_result(index, proof, None))
    return _apply_chains(results, proofs)


def all_verified(results: Sequence[ProofResult]) -> bool:
    """Return ``True`` if there is at least one proof and every proof verified."""
    return bool(results) and all(result.verified for result in results)
