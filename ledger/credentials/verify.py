"""The full offline verifier of ledger credentials: proofs, issuer, dates, status, recording.

A verifier holding only the issuer's public material (a *trust bundle*: the root DID with
its credential keys, and the integrity log's C2SP verifier keys; ``GET /keys`` serves it,
``ledger credential keys show --out`` writes it) checks, with no network:

1. **both proofs**: one ``eddsa-jcs-2022`` and one ``eddsa-rdfc-2022`` proof, each valid
   under a trusted key of the ledger, by a verification method controlled by the credential's
   issuer (``<issuer DID>#<multikey>``; credentials of the first release, signed by
   ``<root>#<multikey>``, are accepted too);
2. **issuer**: ``issuer.id`` is the root DID or lies under it (``<root>:…``);
3. **dates**: ``validFrom`` ≤ now (≤ ``validUntil`` when present);
4. **status**: with a status list credential (signed by the same keys and issued by the
   credential's issuer, matching the entry's URL and purpose), the certificate's bit (set ⇒
   revoked);
5. **recording**: the ``evidence`` entry's tlog-proof opens with a log verifier key and proves
   that the stated leaf hash is in the log at the stated position (first-release credentials:
   the embedded log entry, which must name the certificate).

Cheap checks run first (structure, issuer, dates, the ``eddsa-jcs-2022`` proof, recording,
status) and the ``eddsa-rdfc-2022`` proof, whose RDF canonicalisation costs most, last: it is
skipped (with a warning) when the credential has already failed, since it could not make it
valid. The verdict of a status list credential is cached by its digest
(:class:`StatusListVerdicts`).

Verdicts and CLI exit codes: ``valid`` 0, ``revoked`` 3, ``invalid`` (tampered, malformed,
not yet valid or expired, bad recording proof) 4, ``unknown_issuer`` (no trusted key, or an
issuer outside the trusted root) 5, ``status_unknown`` 6: everything else verified but the
revocation status could not be checked (no status list at hand, or one that does not
verify) — never ``valid`` without a status check, unless the caller opts out explicitly
(``require_status=False``: the verdict is then ``valid`` with a warning). A recording check
that cannot be made (no log keys) adds a warning.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from ledger.credentials.dataintegrity import (
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    Failure,
    ProofResult,
    verify_proofs,
)
from ledger.credentials.errors import CanonicalizationError, CredentialError, StatusListError
from ledger.credentials.keys import KeyResolver, PublicKey
from ledger.credentials.loader import CanonicalizationLimits, check_json_limits
from ledger.credentials.statuslist import BitstringStatusList

VALID, REVOKED, INVALID, UNKNOWN_ISSUER = "valid", "revoked", "invalid", "unknown_issuer"
STATUS_UNKNOWN = "status_unknown"
EXIT_CODES = {VALID: 0, REVOKED: 3, INVALID: 4, UNKNOWN_ISSUER: 5, STATUS_UNKNOWN: 6}
"""Exit code of ``ledger credential verify`` per verdict."""

REQUIRED_SUITES = (EDDSA_JCS_2022, EDDSA_RDFC_2022)
COMPILED_LIMITS = CanonicalizationLimits(compiled=True)
"""The ledger's verifier parses its known context lists against the compiled context: a signature
that does not match that way is checked again against the full contexts before it is called bad."""
RECORDING_GENRE = "c2sp.org/tlog-proof@v1"


def is_under(root: str, did: str) -> bool:
    """Whether ``did`` is ``root`` or a DID under it (``<root>:…``)."""
    return did == root or did.startswith(root + ":")


class TrustError(CredentialError):
    """A trust bundle or DID document cannot be read."""


@dataclass(frozen=True)
class TrustStore:
    """What the verifier trusts: the root DID, its credential keys, the log's vkeys."""

    issuer_did: str
    keys: tuple[PublicKey, ...]
    log_verifiers: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> TrustStore:
        """Read a trust bundle (``GET /keys``) or a bare DID document."""
        try:
            did_doc = doc.get("didDocument", doc) if "didDocument" in doc else doc
            if did_doc is None and isinstance(doc.get("issuer"), str):  # no credential key yet
                return cls(str(doc["issuer"]), (), tuple(str(v) for v in doc.get("logVerifiers", [])))
            if did_doc is None:
                raise TrustError("the trust bundle has no DID document (no credential keys)")
            root = str(did_doc["id"])
            keys = tuple(
                PublicKey.from_multibase(m["publicKeyMultibase"])
                for m in did_doc.get("verificationMethod", [])
            )
            vkeys = tuple(str(v) for v in doc.get("logVerifiers", []))
        except (KeyError, TypeError, AttributeError, CredentialError) as exc:
            raise TrustError(f"not a trust bundle or DID document: {exc}") from exc
        return cls(root, keys, vkeys)

    def resolver(self, issuer: str | None) -> KeyResolver:
        """Trusted keys by verification method, for a document issued by ``issuer``.

        A method resolves when its key is trusted and its controller is the issuer (a DID
        under the root), or the root itself (credentials of the first release).
        """
        by_multibase = {k.multibase: k for k in self.keys}
        allowed = {self.issuer_did}
        if issuer is not None and is_under(self.issuer_did, issuer):
            allowed.add(issuer)

        def resolve(method: str) -> PublicKey | None:
            controller, _, fragment = method.partition("#")
            return by_multibase.get(fragment) if controller in allowed else None

        return resolve

    @classmethod
    def from_file(cls, path: Path) -> TrustStore:
        """Read a trust bundle file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise TrustError(f"cannot read keys file {path}: {exc.strerror or exc}") from exc
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise TrustError(f"keys file {path} is not JSON: {exc}") from exc
        if not isinstance(doc, Mapping):
            raise TrustError(f"keys file {path} is not a JSON object")
        return cls.from_document(doc)


@dataclass
class CredentialVerdict:
    """The outcome of verifying one credential, with its reasons and what was checked."""

    verdict: str = VALID
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    _RANK: ClassVar[dict[str, int]] = {VALID: 0, STATUS_UNKNOWN: 1, REVOKED: 2, INVALID: 3, UNKNOWN_ISSUER: 4}

    def fail(self, verdict: str, check: str, reason: str) -> None:
        """Record a failed check; the worst verdict wins."""
        self.checks[check] = "failed"
        if reason not in self.reasons:
            self.reasons.append(reason)
        if self._RANK[verdict] > self._RANK[self.verdict]:
            self.verdict = verdict

    @property
    def exit_code(self) -> int:
        """The CLI exit code of this verdict."""
        return EXIT_CODES[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (served by ``POST /verify``)."""
        return {
            "verdict": self.verdict,
            "reasons": self.reasons,
            "warnings": self.warnings,
            "checks": self.checks,
            "credential": self.summary,
        }


# ---------------------------------------------------------------------------- proofs
def _proof_reason(result: ProofResult) -> str:
    suite = result.cryptosuite or f"proof #{result.index}"
    detail = f": {result.detail}" if result.detail else ""
    return f"{suite} proof {result.reason}{detail}"


def check_proofs(
    document: Mapping[str, Any], trust: TrustStore, verdict: CredentialVerdict, check: str = "proofs"
) -> None:
    """Require a verified eddsa-jcs-2022 AND eddsa-rdfc-2022 proof by trusted keys."""
    results = verify_proofs(
        document,
        trust.resolver(_issuer_id(document)),
        expected_proof_purpose="assertionMethod",
        limits=COMPILED_LIMITS,
    )
    _judge(results, verdict, check)
    _require_suites(results, verdict, check, REQUIRED_SUITES)
    verdict.checks.setdefault(check, "ok")


def _judge(results: list[ProofResult], verdict: CredentialVerdict, check: str) -> None:
    """Record every failed proof (an unknown key makes the issuer unknown)."""
    for result in results:
        if result.verified:
            continue
        unknown = result.reason is Failure.UNKNOWN_KEY
        verdict.fail(
            UNKNOWN_ISSUER if unknown else INVALID,
            check,
            f"{check}: "
            + (
                f"signed by an unknown key {result.verification_method}" if unknown else _proof_reason(result)
            ),
        )


def _require_suites(
    results: list[ProofResult],
    verdict: CredentialVerdict,
    check: str,
    suites: tuple[str, ...],
    present: frozenset[str] = frozenset(),
) -> None:
    """Each suite must have a verified proof (or a failed or unchecked one, already reported)."""
    seen = {r.cryptosuite for r in results} | present
    for suite in suites:
        if suite not in seen:
            verdict.fail(INVALID, check, f"{check}: no {suite} proof (both suites are required)")


def _limits_checked_once(document: Mapping[str, Any], prechecked: bool) -> CanonicalizationLimits:
    """:data:`COMPILED_LIMITS` marked checked once ``document`` is within them.

    A document outside them keeps the unmarked limits: each proof then reports it malformed.
    """
    if not prechecked:
        try:
            check_json_limits(document, COMPILED_LIMITS)
        except CanonicalizationError:
            return COMPILED_LIMITS
    return replace(COMPILED_LIMITS, prechecked=True)


class ProofPlan:
    """A credential's proofs verified in two phases: cheap suites first, eddsa-rdfc-2022 last.

    RDF canonicalisation costs most of a verification, so the ``eddsa-rdfc-2022`` proofs of
    a plain proof set are verified only once every cheaper check has passed (a credential
    that is already invalid does not pay for it). Both suites are still required for a
    ``valid`` verdict. Members of a proof set verify independently (Data Integrity §4.2);
    a proof chain (``previousProof``) is verified in one phase.
    """

    def __init__(
        self, document: Mapping[str, Any], trust: TrustStore, limits: CanonicalizationLimits = COMPILED_LIMITS
    ) -> None:
        """Split the proofs of ``document`` (verified within ``limits``)."""
        self.limits = limits
        raw = document.get("proof")
        self.proofs: list[Any] = [] if raw is None else list(raw) if isinstance(raw, list) else [raw]
        self.document = document
        self.resolve = trust.resolver(_issuer_id(document))
        chained = any(isinstance(p, Mapping) and p.get("previousProof") is not None for p in self.proofs)
        costly = [
            i
            for i, p in enumerate(self.proofs)
            if not chained and isinstance(p, Mapping) and p.get("cryptosuite") == EDDSA_RDFC_2022
        ]
        self.cheap = [i for i in range(len(self.proofs)) if i not in costly]
        self.costly = costly
        self.results: list[ProofResult] = []
        self.unchecked: set[str] = set()

    def check_cheap(self, verdict: CredentialVerdict) -> None:
        """Verify every proof but the eddsa-rdfc-2022 ones; require an eddsa-jcs-2022 proof."""
        results = self._verify(self.cheap, self.resolve)
        self.results.extend(results)
        _judge(results, verdict, "proofs")
        _require_suites(results, verdict, "proofs", (EDDSA_JCS_2022,))

    def check_costly(self, verdict: CredentialVerdict) -> None:
        """Verify the eddsa-rdfc-2022 proofs, fully only if the verdict can still be valid."""
        if verdict.verdict in (VALID, REVOKED, STATUS_UNKNOWN):
            results = self._verify(self.costly, self.resolve)
        else:
            results = self._structure_only(verdict)
        self.results.extend(results)
        _judge(results, verdict, "proofs")
        _require_suites(self.results, verdict, "proofs", REQUIRED_SUITES, frozenset(self.unchecked))
        verdict.checks.setdefault("proofs", "ok")

    def _verify(self, indices: list[int], resolve: Any) -> list[ProofResult]:
        if not indices:
            return []
        subset = {**self.document, "proof": [self.proofs[i] for i in indices]}
        found = verify_proofs(subset, resolve, expected_proof_purpose="assertionMethod", limits=self.limits)
        return [replace(r, index=indices[r.index]) for r in found]

    def _structure_only(self, verdict: CredentialVerdict) -> list[ProofResult]:
        """Every check of the rdfc proofs short of canonicalisation (it could only add INVALID)."""
        kept = []
        for result in self._verify(self.costly, lambda _method: None):
            trusted = result.verification_method and self.resolve(result.verification_method)
            if result.reason is Failure.UNKNOWN_KEY and trusted:
                self.unchecked.add(EDDSA_RDFC_2022)
                verdict.warnings.append(
                    f"{EDDSA_RDFC_2022} proof not checked: the credential already failed a cheaper check"
                )
            else:
                kept.append(result)
        return kept


# ---------------------------------------------------------------------------- issuer, dates
def _issuer_id(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


def check_issuer(document: Mapping[str, Any], trust: TrustStore, verdict: CredentialVerdict) -> None:
    """The issuer must be the trusted root DID or a profile under it."""
    issuer = _issuer_id(document)
    if issuer is None:
        verdict.fail(INVALID, "issuer", "issuer: missing issuer id")
    elif issuer != trust.issuer_did and not issuer.startswith(trust.issuer_did + ":"):
        verdict.fail(UNKNOWN_ISSUER, "issuer", f"issuer: {issuer} is not under {trust.issuer_did}")
    else:
        verdict.checks["issuer"] = "ok"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def check_dates(
    document: Mapping[str, Any], now: datetime, verdict: CredentialVerdict, check: str = "dates"
) -> None:
    """``validFrom`` must be reached and ``validUntil`` (if any) not passed."""
    start = _parse_time(document.get("validFrom"))
    if start is None:
        verdict.fail(INVALID, check, f"{check}: validFrom missing or not a dateTime")
        return
    if start > now:
        verdict.fail(INVALID, check, f"{check}: not valid before {document['validFrom']}")
        return
    if "validUntil" in document:
        end = _parse_time(document.get("validUntil"))
        if end is None or end < now:
            verdict.fail(INVALID, check, f"{check}: expired or bad validUntil")
            return
    verdict.checks[check] = "ok"


# ---------------------------------------------------------------------------- status
def _status_entry(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    status = document.get("credentialStatus")
    if isinstance(status, list):
        status = next(
            (s for s in status if isinstance(s, Mapping) and s.get("statusPurpose") == "revocation"), None
        )
    return status if isinstance(status, Mapping) else None


def _unchecked(verdict: CredentialVerdict, why: str, require: bool) -> None:
    """The status could not be checked: ``status_unknown`` unless the caller opted out."""
    verdict.checks["status"] = "not checked"
    message = f"revocation status not checked: {why}"
    if require:
        verdict.fail(STATUS_UNKNOWN, "status", message)
        verdict.checks["status"] = "not checked"
    else:
        verdict.warnings.append(message)


def check_status(
    document: Mapping[str, Any],
    status_list: Mapping[str, Any] | None,
    trust: TrustStore,
    now: datetime,
    verdict: CredentialVerdict,
    require: bool = True,
) -> None:
    """Look the credential's bit up in a verified status list credential of the same issuer."""
    entry = _status_entry(document)
    if entry is None:
        verdict.checks["status"] = "none"
        return
    if status_list is None:
        _unchecked(verdict, "no status list at hand", require)
        return
    if status_list.get("id") != entry.get("statusListCredential"):
        verdict.fail(INVALID, "status", "status: the status list is not the one the credential names")
        return
    issuer, list_issuer = _issuer_id(document), _issuer_id(status_list)
    if list_issuer not in {issuer, trust.issuer_did}:  # the root: first-release lists
        verdict.fail(
            INVALID,
            "status",
            f"status: the status list is issued by {list_issuer}, not by the credential's issuer {issuer}",
        )
        return
    inner = STATUS_LIST_VERDICTS.verdict(status_list, trust)
    check_dates(status_list, now, inner, "status list dates")
    if inner.verdict != VALID:
        verdict.warnings.extend(inner.reasons)
        _unchecked(verdict, "the status list did not verify", require)
        return
    _lookup_bit(entry, status_list, verdict)


class StatusListVerdicts:
    """Verdicts of status list credentials (both proofs, issuer), cached by content digest.

    A status list is fetched again and again while it does not change; verifying its two
    proofs each time would dominate a verification. The key is the SHA-256 of the list's
    canonical JSON with the trusted keys, so any change to the list (or to the trust) is
    verified afresh; the very same list object with the very same trust (a server's signed
    list, never mutated) skips even the digest. The time-dependent date check is never cached.
    """

    def __init__(self, size: int = 64) -> None:
        """Keep the ``size`` most recently used verdicts."""
        self.size = size
        self._items: OrderedDict[tuple[str, str, tuple[bytes, ...]], tuple[str, tuple[str, ...]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._same: OrderedDict[int, tuple[Any, TrustStore, str, tuple[str, ...]]] = OrderedDict()
        """By ``id()`` of a server's signed list objects (kept referenced, so ids stay theirs)."""

    def verdict(self, status_list: Mapping[str, Any], trust: TrustStore) -> CredentialVerdict:
        """A fresh :class:`CredentialVerdict` with the proofs and issuer of ``status_list`` checked."""
        same = self._same.get(id(status_list))
        if same is not None and same[0] is status_list and same[1] is trust:  # the same objects again
            return CredentialVerdict(same[2], list(same[3]))
        key = self._key(status_list, trust)
        if key is not None:
            with self._lock:
                found = self._items.get(key)
                if found is not None:
                    self._items.move_to_end(key)
                    return CredentialVerdict(found[0], list(found[1]))
        inner = CredentialVerdict()
        check_proofs(status_list, trust, inner, "status list")
        check_issuer(status_list, trust, inner)
        if key is not None:
            with self._lock:
                self._items[key] = (inner.verdict, tuple(inner.reasons))
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        if isinstance(status_list, dict):  # a server hands the same signed list out again and again
            with self._lock:
                self._same[id(status_list)] = (status_list, trust, inner.verdict, tuple(inner.reasons))
                while len(self._same) > self.size:
                    self._same.popitem(last=False)
        return inner

    @staticmethod
    def _key(status_list: Mapping[str, Any], trust: TrustStore) -> tuple[str, str, tuple[bytes, ...]] | None:
        try:
            text = json.dumps(status_list, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):  # not plain JSON data: verify without caching
            return None
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return digest, trust.issuer_did, tuple(k.raw for k in trust.keys)


STATUS_LIST_VERDICTS = StatusListVerdicts()
"""The process-wide cache of status list verdicts used by :func:`check_status`."""


@functools.lru_cache(maxsize=64)
def _decoded(encoded: str) -> BitstringStatusList:
    """A status list's bits, decompressed once per distinct ``encodedList`` (read only after)."""
    return BitstringStatusList.decode(encoded)


def _lookup_bit(entry: Mapping[str, Any], status_list: Mapping[str, Any], verdict: CredentialVerdict) -> None:
    subject = status_list.get("credentialSubject")
    try:
        if not isinstance(subject, Mapping) or subject.get("statusPurpose") != entry.get("statusPurpose"):
            raise StatusListError("status purpose differs")
        bits = _decoded(str(subject.get("encodedList")))
        revoked = bits.get(int(str(entry.get("statusListIndex"))))
    except (StatusListError, ValueError) as exc:
        verdict.fail(INVALID, "status", f"status: {exc}")
        return
    if revoked:
        verdict.fail(REVOKED, "status", "status: the certificate was revoked")
        verdict.checks["status"] = "revoked"
    else:
        verdict.checks["status"] = "ok"


# ---------------------------------------------------------------------------- recording
def _recording(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    evidence = document.get("evidence")
    items = evidence if isinstance(evidence, list) else [evidence]
    return next((e for e in items if isinstance(e, Mapping) and e.get("genre") == RECORDING_GENRE), None)


def check_recording(document: Mapping[str, Any], trust: TrustStore, verdict: CredentialVerdict) -> None:
    """Verify the embedded proof that the certificate's issuance is in the integrity log."""
    from ledger.audit.errors import AuditError
    from ledger.integrity import IntegrityError

    evidence = _recording(document)
    if evidence is None:
        verdict.checks["recording"] = "not present"
        verdict.warnings.append("no proof of recording in the integrity log")
        return
    if not trust.log_verifiers:
        verdict.checks["recording"] = "not checked"
        verdict.warnings.append("proof of recording not checked: no log verifier key at hand")
        return
    text = str(evidence.get("tlogProof"))
    try:
        if "leafHash" in evidence:
            position, size = _check_leaf(evidence, text, trust)
        else:
            position, size = _check_legacy_recording(document, evidence, text, trust)
    except (IntegrityError, AuditError, ValueError, TypeError) as exc:
        verdict.fail(INVALID, "recording", f"recording: {exc}")
        return
    verdict.checks["recording"] = "ok"
    verdict.summary["recorded_at_position"] = position
    verdict.summary["log_tree_size"] = size


def _check_leaf(evidence: Mapping[str, Any], text: str, trust: TrustStore) -> tuple[int, int]:
    """The leaf hash is in the signed log at ``logPosition`` (raises when it is not)."""
    from ledger.integrity import parse_vkey, verify_tlog_proof

    leaf = bytes.fromhex(str(evidence["leafHash"]))
    verified = verify_tlog_proof(text, [parse_vkey(k) for k in trust.log_verifiers], leaf, leaf_is_hash=True)
    if verified.proof.index != evidence.get("logPosition"):
        raise ValueError("the proof's position differs from logPosition")
    return verified.proof.index, verified.checkpoint.size


def _check_legacy_recording(
    document: Mapping[str, Any], evidence: Mapping[str, Any], text: str, trust: TrustStore
) -> tuple[int, int]:
    """First-release evidence: the logged event itself travels in the proof's ``extra``."""
    from ledger.audit.log import verify_event_proof

    proven = verify_event_proof(text, trust.log_verifiers)
    problem = _recording_mismatch(document, evidence, proven, _logged_state(text))
    if problem:
        raise ValueError(problem)
    return proven.position, proven.tree_size


def _logged_state(text: str) -> bytes:
    """The stored event carried by a verified proof's ``extra`` line."""
    from ledger.integrity import parse_tlog_proof

    extra = parse_tlog_proof(text).extra
    return base64.b64decode(json.loads(extra or b"{}")["state"], validate=True)


def _recording_mismatch(
    document: Mapping[str, Any], evidence: Mapping[str, Any], proven: Any, state: bytes
) -> str | None:
    """Why the proven event is not this credential's issuance (``None`` when it is)."""
    certificate = str(document.get("id", "")).removeprefix("urn:uuid:")
    if proven.position != evidence.get("logPosition"):
        return "the proof's position differs from logPosition"
    if evidence.get("id") != f"urn:ledger:event:{proven.event_id}":
        return "the proven event is not the one the evidence names"
    if not proven.topic.endswith("CertificateIssued"):
        return f"the proven event is a {proven.topic}, not a certificate issuance"
    try:
        logged = json.loads(state)
    except ValueError:
        return "the logged event is not JSON"
    if not isinstance(logged, dict) or logged.get("certificate_id") != certificate:
        return "the logged issuance is for another certificate"
    return None


# ---------------------------------------------------------------------------- summary, entry point
def summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """The minimum a reader needs: certificate, issuer, date, results (no personal data)."""
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = document.get("issuer")
    names = {
        d.get("id"): d.get("name") for d in achievement.get("resultDescription", []) if isinstance(d, Mapping)
    }
    results = [
        names.get(r.get("resultDescription"), r.get("resultDescription"))
        for r in subject.get("result", [])
        if isinstance(r, Mapping)
    ]
    alignment = [a.get("targetName") for a in achievement.get("alignment", []) if isinstance(a, Mapping)]
    return {
        "id": document.get("id"),
        "name": document.get("name"),
        "achievement": achievement.get("name"),
        "issuer": issuer.get("name") if isinstance(issuer, Mapping) else issuer,
        "valid_from": document.get("validFrom"),
        "results": results,
        "levels": alignment,
        "holder_name_hash": any(
            isinstance(i, Mapping) and i.get("identityType") == "name" for i in subject.get("identifier", [])
        ),
        "holder_check": next(
            (
                dict(i)
                for i in subject.get("identifier", [])
                if isinstance(i, Mapping) and str(i.get("identityType", "")).startswith("ext:ledgerHolder.")
            ),
            None,
        ),
    }


def verify_credential(
    document: Any,
    trust: TrustStore,
    status_list: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    *,
    require_status: bool = True,
    prechecked: bool = False,
) -> CredentialVerdict:
    """Verify a credential offline and return the :class:`CredentialVerdict` (never raises on bad input).

    ``prechecked``: the caller already checked the document against the JSON size and depth
    limits of :data:`COMPILED_LIMITS` (a server's bounded parser): they are not walked again.
    Otherwise they are walked once here, for both proof phases.

    Without a usable status list the verdict is ``status_unknown`` (never ``valid``) unless
    ``require_status`` is ``False``.
    """
    verdict = CredentialVerdict()
    if not isinstance(document, Mapping):
        verdict.fail(INVALID, "structure", "structure: the credential is not a JSON object")
        return verdict
    types = document.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        verdict.fail(INVALID, "structure", "structure: not a VerifiableCredential")
        return verdict
    verdict.summary = summary(document)
    moment = now or datetime.now(UTC)
    proofs = ProofPlan(document, trust, _limits_checked_once(document, prechecked))
    check_issuer(document, trust, verdict)
    check_dates(document, moment, verdict)
    proofs.check_cheap(verdict)
    check_recording(document, trust, verdict)
    check_status(document, status_list, trust, moment, verdict, require_status)
    proofs.check_costly(verdict)  # eddsa-rdfc-2022 last: the costliest check
    return verdict
