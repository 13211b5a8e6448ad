"""Witness policies: which log keys and which quorum of witness cosignatures a checkpoint needs.

The text format is the one Sigsum, Tessera and torchwood share (torchwood's ``ParsePolicy``:
Sigsum's policy format with signed-note vkeys instead of raw keys)::

    # comments run from '#' to the end of the line; blank lines are ignored
    log      <log vkey> [<url>]                   the log's key; its name is the origin
    witness  <NAME> <cosignature vkey> [<url>]    a witness; <url> is its submission prefix
    group    <NAME> <k>|any|all <MEMBER>...       k of the members (witnesses or groups)
    quorum   <NAME>|none                          the component that must be satisfied

Names are unique across witnesses and groups and must be defined before a group uses
them; ``quorum`` appears exactly once. A checkpoint satisfies the policy when every
``log`` key signed it, its origin is that key's name, and the quorum component is
satisfied by valid Ed25519 ``cosignature/v1`` signatures (c2sp.org/tlog-cosignature).
With no ``log`` line the caller supplies the log keys (one of them must have signed).

:func:`verify_checkpoint_policy` is the one entry point for every verifier of the project
(``ledger audit verify-proof``, credential verification): it raises :class:`QuorumError`
when the quorum is not met and :class:`SignatureError` when a known key's signature is bad.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ledger.integrity.cosignature import CosignatureVerifier, parse_cosignature_vkey
from ledger.integrity.errors import CheckpointError, KeyFormatError, PolicyError, QuorumError
from ledger.integrity.note import Checkpoint, NoteVerifier, Verifier, parse_vkey, verify_note

__all__ = [
    "PolicyGroup",
    "PolicyLog",
    "PolicyVerdict",
    "PolicyWitness",
    "WitnessPolicy",
    "parse_log_list",
    "parse_policy",
    "verify_checkpoint_policy",
]


@dataclass(frozen=True)
class PolicyLog:
    """A ``log`` line: the log's signed-note verifier and optional URL."""

    verifier: Verifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    """A ``witness`` line: local name, cosignature verifier, optional submission prefix."""

    name: str
    verifier: CosignatureVerifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyGroup:
    """A ``group`` line: at least ``threshold`` of ``members`` must be satisfied."""

    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class WitnessPolicy:
    """A parsed policy; ``quorum`` is ``None`` for ``quorum none``."""

    logs: tuple[PolicyLog, ...]
    witnesses: Mapping[str, PolicyWitness]
    groups: Mapping[str, PolicyGroup]
    quorum: str | None

    @property
    def cosigners(self) -> list[CosignatureVerifier]:
        """Every witness's cosignature verifier."""
        return [w.verifier for w in self.witnesses.values()]

    def satisfied(self, component: str | None, cosigned: Iterable[str]) -> bool:
        """Whether witness names ``cosigned`` satisfy ``component`` (``None``: always)."""
        signed = set(cosigned)
        return component is None or self._satisfied(component, signed)

    def _satisfied(self, component: str, signed: set[str]) -> bool:
        if component in self.witnesses:
            return component in signed
        group = self.groups[component]
        met = sum(1 for member in group.members if self._satisfied(member, signed))
        return met >= group.threshold

    def describe(self, component: str | None = None) -> str:
        """A one-line account of what ``component`` (default: the quorum) requires."""
        name = self.quorum if component is None else component
        if name is None:
            return "none"
        if name in self.witnesses:
            return name
        group = self.groups[name]
        inner = ", ".join(self.describe(m) for m in group.members)
        return f"{group.threshold} of [{inner}]"


@dataclass
class _Builder:
    logs: list[PolicyLog] = field(default_factory=list)
    witnesses: dict[str, PolicyWitness] = field(default_factory=dict)
    groups: dict[str, PolicyGroup] = field(default_factory=dict)
    quorum: str | None = None
    quorum_seen: bool = False

    def defined(self, name: str) -> bool:
        return name in self.witnesses or name in self.groups


def _url(fields: list[str], at: int, line: int) -> str | None:
    if len(fields) > at + 1:
        raise PolicyError(f"line {line}: unexpected text after the URL: {' '.join(fields[at + 1 :])!r}")
    return fields[at] if len(fields) > at else None


def _log(b: _Builder, fields: list[str], line: int) -> None:
    if len(fields) < 2:
        raise PolicyError(f"line {line}: 'log' needs a verifier key: log <vkey> [<url>]")
    try:
        verifier = parse_vkey(fields[1])
    except KeyFormatError as exc:
        raise PolicyError(f"line {line}: invalid log vkey: {exc}") from None
    b.logs.append(PolicyLog(verifier, _url(fields, 2, line)))


def _witness(b: _Builder, fields: list[str], line: int) -> None:
    if len(fields) < 3:
        raise PolicyError(f"line {line}: 'witness' needs a name and a key: witness <name> <vkey> [<url>]")
    name = fields[1]
    if b.defined(name):
        raise PolicyError(f"line {line}: {name!r} is already defined")
    try:
        verifier = parse_cosignature_vkey(fields[2])
    except KeyFormatError as exc:
        raise PolicyError(f"line {line}: invalid witness vkey for {name!r}: {exc}") from None
    b.witnesses[name] = PolicyWitness(name, verifier, _url(fields, 3, line))


def _group(b: _Builder, fields: list[str], line: int) -> None:
    if len(fields) < 4:
        raise PolicyError(
            f"line {line}: 'group' needs a name, a threshold and members: "
            "group <name> <k>|any|all <member>..."
        )
    name, threshold, members = fields[1], fields[2], tuple(fields[3:])
    if b.defined(name):
        raise PolicyError(f"line {line}: {name!r} is already defined")
    for member in members:
        if not b.defined(member):
            raise PolicyError(f"line {line}: group {name!r} uses {member!r}, which is not defined above")
    if len(set(members)) != len(members):
        raise PolicyError(f"line {line}: group {name!r} lists a member twice")
    b.groups[name] = PolicyGroup(name, _threshold(threshold, len(members), line), members)


def _threshold(text: str, members: int, line: int) -> int:
    if text == "any":
        return 1
    if text == "all":
        return members
    if not text.isdigit() or not 1 <= int(text) <= members:
        raise PolicyError(
            f"line {line}: group threshold {text!r} must be any, all or a number from 1 to {members}"
        )
    return int(text)


def _quorum(b: _Builder, fields: list[str], line: int) -> None:
    if len(fields) != 2:
        raise PolicyError(f"line {line}: 'quorum' takes one name: quorum <name>|none")
    if b.quorum_seen:
        raise PolicyError(f"line {line}: a second 'quorum' line")
    if fields[1] != "none" and not b.defined(fields[1]):
        raise PolicyError(f"line {line}: quorum {fields[1]!r} is not defined above")
    b.quorum_seen = True
    b.quorum = None if fields[1] == "none" else fields[1]


_KEYWORDS = {"log": _log, "witness": _witness, "group": _group, "quorum": _quorum}


def parse_policy(text: str) -> WitnessPolicy:
    """Parse a witness policy text; raises :class:`PolicyError` naming the line at fault."""
    builder = _Builder()
    for number, raw in enumerate(text.split("\n"), start=1):
        fields = raw.partition("#")[0].split()
        if not fields:
            continue
        handler = _KEYWORDS.get(fields[0])
        if handler is None:
            raise PolicyError(f"line {number}: unknown keyword {fields[0]!r} (log, witness, group, quorum)")
        handler(builder, fields, number)
    if not builder.quorum_seen:
        raise PolicyError("the policy has no 'quorum' line")
    return WitnessPolicy(tuple(builder.logs), dict(builder.witnesses), dict(builder.groups), builder.quorum)


@dataclass(frozen=True)
class PolicyVerdict:
    """A checkpoint that meets a policy: the log keys and the witnesses that signed it."""

    checkpoint: Checkpoint
    log_signers: tuple[str, ...]
    witnesses: tuple[str, ...]
    quorum: str


def _log_signers(
    policy: WitnessPolicy, logs: list[Verifier], verified: tuple[NoteVerifier, ...], checkpoint: Checkpoint
) -> tuple[str, ...]:
    signed = [v for v in logs if v in verified]
    if policy.logs:
        missing = [v.vkey for v in logs if v not in verified]
        if missing:
            raise QuorumError(f"the log key {missing[0].split('+')[0]} did not sign the checkpoint")
        wrong = [v.name for v in logs if v.name != checkpoint.origin]
        if wrong:
            raise QuorumError(
                f"checkpoint origin {checkpoint.origin!r} is not the log key's name {wrong[0]!r}"
            )
    elif not signed:
        raise QuorumError("no trusted log key signed the checkpoint")
    return tuple(v.name for v in signed)


def verify_checkpoint_policy(
    note: bytes, policy: WitnessPolicy, *, log_verifiers: Iterable[Verifier] = (), origin: str | None = None
) -> PolicyVerdict:
    """Verify a (co)signed checkpoint note against ``policy``; return who signed it.

    The log keys are the policy's ``log`` lines, or ``log_verifiers`` when it has none.
    Raises :class:`PolicyError` (no log key at all), :class:`SignatureError` (a known key's
    signature is invalid), :class:`CheckpointError` (malformed body or origin differing
    from ``origin``) or :class:`QuorumError` (a log key or the witness quorum is missing).
    """
    logs = [entry.verifier for entry in policy.logs] or list(log_verifiers)
    if not logs:
        raise PolicyError("no log key: the policy has no 'log' line and none was given")
    text, verified = verify_note(note, [*logs, *policy.cosigners])
    checkpoint = Checkpoint.parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"unexpected checkpoint origin {checkpoint.origin!r}")
    signers = _log_signers(policy, logs, verified, checkpoint)
    cosigned = tuple(w.name for w in policy.witnesses.values() if w.verifier in verified)
    if not policy.satisfied(policy.quorum, cosigned):
        got = ", ".join(cosigned) or "no witness"
        raise QuorumError(f"witness quorum not met: need {policy.describe()}, cosigned by {got}")
    return PolicyVerdict(checkpoint, signers, cosigned, policy.describe())


def parse_log_list(text: str) -> dict[str, list[Verifier]]:
    """The logs a witness accepts: ``log <vkey> [<url>]`` lines (comments and blanks allowed).

    Returns the trusted keys by origin (a log key's name is its origin, as in witness
    policies; several keys may share one origin during a rotation). Any other keyword is a
    :class:`PolicyError`.
    """
    builder = _Builder()
    for number, raw in enumerate(text.split("\n"), start=1):
        fields = raw.partition("#")[0].split()
        if not fields:
            continue
        if fields[0] != "log":
            raise PolicyError(f"line {number}: a log list has only 'log <vkey> [<url>]' lines")
        _log(builder, fields, number)
    logs: dict[str, list[Verifier]] = {}
    for entry in builder.logs:
        logs.setdefault(entry.verifier.name, []).append(entry.verifier)
    return logs
