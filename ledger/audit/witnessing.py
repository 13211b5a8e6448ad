"""Getting the log's checkpoints cosigned by witnesses (c2sp.org/tlog-witness, client side).

:func:`cosign_checkpoint` signs (or reuses) the latest checkpoint, submits it to every
witness of the policy that has a URL — ``POST <url>/add-checkpoint`` with the size that
witness last cosigned and the consistency proof from it; on ``409 Conflict`` it resubmits
from the size the witness says it holds — keeps the valid cosignatures returned, stores
the cosigned note (served at ``/log/checkpoint`` and embedded in every proof), and says
whether the policy's quorum is met. Witnesses are contacted in parallel, with keep-alive
connections and a timeout; an unreachable witness or one that refuses (a 422 means it saw
another tree: a fork) is reported, never fatal by itself.

:func:`read_policy` reads a policy file (format: :mod:`ledger.integrity.policy`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import structlog

from ledger.audit.errors import AuditError
from ledger.audit.log import AuditLog
from ledger.integrity import (
    Checkpoint,
    IntegrityError,
    NoteError,
    WitnessPolicy,
    parse_policy,
    parse_vkey,
    verify_checkpoint_policy,
    verify_note,
)
from ledger.integrity.note import note_signature_lines
from ledger.integrity.policy import PolicyWitness
from ledger.integrity.witness import AddCheckpoint, merge_signatures, parse_size_body

__all__ = ["CosignedCheckpoint", "WitnessOutcome", "cosign_checkpoint", "read_policy"]

log = structlog.get_logger("ledger.audit.witnessing")

ROUNDS = 3
"""Submissions per witness at most (the first, then resubmissions after a 409)."""


def read_policy(path: Path) -> WitnessPolicy:
    """Parse the witness policy file at ``path`` (:class:`AuditError` naming what is wrong)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read the witness policy {path}: {exc}") from None
    try:
        return parse_policy(text)
    except IntegrityError as exc:
        raise AuditError(f"witness policy {path}: {exc}") from None


@dataclass
class WitnessOutcome:
    """What one witness answered."""

    name: str
    url: str
    status: str  # cosigned | refused | unreachable
    detail: str = ""
    old_size: int = 0
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form (without the signature lines)."""
        return {"witness": self.name, "url": self.url, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class CosignedCheckpoint:
    """The checkpoint with the cosignatures obtained, and whether the policy is met."""

    note: bytes
    checkpoint: Checkpoint
    outcomes: tuple[WitnessOutcome, ...]
    quorum_met: bool
    detail: str


Post = Callable[[str, bytes], httpx.Response]


def cosign_checkpoint(
    audit: AuditLog, policy: WitnessPolicy, *, timeout: float = 10.0, post: Post | None = None
) -> CosignedCheckpoint:
    """Sign (or reuse) the latest checkpoint, get it cosigned, keep and return the result.

    ``post(url, body)`` sends one request (default: an :mod:`httpx` client with ``timeout``).
    """
    audit.checkpoint()
    served = audit.served_checkpoint()
    if served is None:  # pragma: no cover - checkpoint() always leaves one
        raise AuditError("no checkpoint was signed")
    seq, stored, checkpoint = served
    note = audit.signed_note(seq)
    targets = [w for w in policy.witnesses.values() if w.url]
    with httpx.Client(timeout=timeout, headers={"User-Agent": "ledger-witness-client"}) as client:
        send = post or (lambda url, body: client.post(url, content=body))
        outcomes = _submit_all(audit, targets, note, checkpoint, send)
    lines = [line for outcome in outcomes for line in outcome.lines]
    merged = merge_signatures(stored, lines)
    cosigned = [o.name for o in outcomes if o.status == "cosigned"]
    if lines:
        audit.record_cosignatures(seq, merged, cosigned)
    met, detail = _quorum(merged, policy, audit)
    log.info("audit.witnessed", size=checkpoint.size, cosigned=len(cosigned), quorum_met=met)
    return CosignedCheckpoint(merged, checkpoint, tuple(outcomes), met, detail)


def _quorum(note: bytes, policy: WitnessPolicy, audit: AuditLog) -> tuple[bool, str]:
    try:
        verdict = verify_checkpoint_policy(
            note, policy, log_verifiers=[parse_vkey(k) for k in audit.verifiers()]
        )
    except IntegrityError as exc:
        return False, str(exc)
    return True, f"quorum {verdict.quorum} met by {', '.join(verdict.witnesses) or 'no witness needed'}"


def _submit_all(
    audit: AuditLog, targets: Sequence[PolicyWitness], note: bytes, checkpoint: Checkpoint, send: Post
) -> list[WitnessOutcome]:
    """Submit to every witness in parallel; proofs are computed here, on the log's thread."""
    outcomes = {
        w.name: WitnessOutcome(w.name, str(w.url), "pending", old_size=audit.witness_size(w.verifier.vkey))
        for w in targets
    }
    pending = list(targets)
    for _ in range(ROUNDS):
        bodies = [(w, _request(audit, outcomes[w.name], note, checkpoint)) for w in pending]
        ready = [(w, body) for w, body in bodies if body is not None]
        with ThreadPoolExecutor(max_workers=max(1, len(ready))) as pool:
            answers = list(pool.map(lambda item: _post(send, *item), ready))
        pending = []
        for (witness, _), answer in zip(ready, answers, strict=True):
            outcome = outcomes[witness.name]
            if _settle(outcome, witness, answer, checkpoint):
                pending.append(witness)
            elif outcome.status == "cosigned":
                audit.set_witness_size(witness.verifier.vkey, checkpoint.size)
        if not pending:
            break
    for witness in pending:
        outcomes[witness.name].status = "refused"
        outcomes[witness.name].detail = f"still 409 after {ROUNDS} submissions"
    return list(outcomes.values())


def _request(audit: AuditLog, outcome: WitnessOutcome, note: bytes, checkpoint: Checkpoint) -> bytes | None:
    """The add-checkpoint body from the witness's size, or ``None`` (outcome set) if impossible."""
    old = outcome.old_size
    if old > checkpoint.size:
        outcome.status = "refused"
        outcome.detail = (
            f"the witness holds size {old}, beyond this log's {checkpoint.size}: "
            "it saw another (forked or rolled back) tree"
        )
        return None
    proof = audit.consistency_proof(old, checkpoint.size) if 0 < old < checkpoint.size else []
    return AddCheckpoint(old, tuple(proof), note).to_body()


def _post(send: Post, witness: PolicyWitness, body: bytes) -> httpx.Response | str:
    try:
        return send(f"{str(witness.url).rstrip('/')}/add-checkpoint", body)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


def _settle(
    outcome: WitnessOutcome, witness: PolicyWitness, answer: httpx.Response | str, checkpoint: Checkpoint
) -> bool:
    """Record a witness's answer; True when it must be resubmitted (409 with a new size)."""
    if isinstance(answer, str):
        outcome.status, outcome.detail = "unreachable", answer
        return False
    if answer.status_code == 409:
        try:
            known = parse_size_body(answer.content)
        except IntegrityError as exc:
            outcome.status, outcome.detail = "refused", str(exc)
            return False
        retry = known != outcome.old_size
        outcome.old_size = known
        return retry
    if answer.status_code != 200:
        outcome.status = "refused"
        outcome.detail = f"HTTP {answer.status_code}: {answer.text.strip()[:200]}"
        return False
    outcome.lines = _valid_lines(answer.content, witness, checkpoint)
    outcome.status = "cosigned" if outcome.lines else "refused"
    outcome.detail = "" if outcome.lines else "no valid cosignature by the policy's key in the answer"
    return False


def _valid_lines(body: bytes, witness: PolicyWitness, checkpoint: Checkpoint) -> list[str]:
    """The answer's signature lines by this witness's key that verify (others are ignored)."""
    text = checkpoint.to_body()
    try:
        _, lines = note_signature_lines(text.encode("utf-8") + b"\n" + body)
    except NoteError:
        return []
    kept = []
    for line in lines:
        try:
            _, verified = verify_note((text + "\n" + line + "\n").encode("utf-8"), [witness.verifier])
        except IntegrityError:
            continue
        if verified:
            kept.append(line)
    return kept
