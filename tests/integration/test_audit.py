"""The integrity log on real stores: proofs after a demo, checkpoints, rotation, live mode."""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger.adapters.keys import KeyStoreError, LogKeyStore
from ledger.adapters.store import StoreTarget, iter_notifications
from ledger.application import Ledger, parse_command
from ledger.application.queries import EventFilter, certificates, events
from ledger.audit.errors import AuditError
from ledger.audit.log import (
    AuditLog,
    canonical_reference,
    leaf_bytes,
    leaf_record,
    verify_consistency_between,
    verify_event_proof,
)
from ledger.demo.cpu import demo_commands, resolve_refs
from ledger.integrity import Checkpoint, IntegrityError, open_checkpoint, parse_vkey
from tests.builders import admit, open_option
from tests.procs import at_once


def audit_log(ledger: Ledger, location: str, keys: Path) -> AuditLog:
    """An audit log with its own key directory."""
    return AuditLog(StoreTarget.parse(location), ledger.store, keys=LogKeyStore(keys))


@pytest.fixture
def audit(ledger: Ledger, store_location: str, tmp_path: Path) -> Iterator[AuditLog]:
    """An integrity log on each backend, with one signing key."""
    log = audit_log(ledger, store_location, tmp_path / "keys")
    log.keys.generate("test.example/log")
    yield log
    log.close()


def record_demo(ledger: Ledger, learners: int = 12, candidates: int = 3) -> None:
    """A small realistic cohort through the normal command path."""
    raw = demo_commands(7, learners, candidates, date(2026, 11, 1))
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=200)


def test_proofs_from_the_stored_log_verify_for_random_positions(ledger: Ledger, audit: AuditLog) -> None:
    """After a demo, proofs of random positions verify offline and name the stored event."""
    record_demo(ledger)
    size = audit.sync()
    head = ledger.store.recorder.max_notification_id()
    assert size == head and size > 100
    stored = {row["position"]: row for row in events(ledger.store, EventFilter())}
    for position in random.Random(3).sample(range(size), 25):
        proven = verify_event_proof(audit.inclusion_proof(position), audit.verifiers(), origin=audit.origin)
        assert proven.position == position
        assert proven.event_id == stored[position]["event_id"]
        assert proven.tree_size == size
    assert audit.verify().ok


def test_leaves_are_rfc8785_canonical(ledger: Ledger, audit: AuditLog) -> None:
    """The fast leaf encoding equals the reference JCS encoder on every stored event."""
    record_demo(ledger, learners=4, candidates=2)
    for n in iter_notifications(ledger.store):
        record = leaf_record(n.id - 1, n.originator_id, n.originator_version, n.topic, n.state)
        assert leaf_bytes(record) == canonical_reference(record)
        extra = {"leaf": record, "state": base64.b64encode(n.state).decode()}
        assert leaf_bytes(extra) == canonical_reference(extra)
    odd = {"v": 1, "topic": 'é\u2028"\\\x01/', "position": 2**53 - 1}
    assert leaf_bytes(odd) == canonical_reference(odd)


def test_proof_fails_with_another_key_or_an_edited_extra(audit: AuditLog, ledger: Ledger) -> None:
    """A proof does not verify with a foreign key, nor once its event data is altered."""
    open_option(ledger)
    admit(ledger)
    proof = audit.inclusion_proof(1)
    other = LogKeyStore(Path(str(audit.keys.directory) + "-other")).generate("test.example/log")
    with pytest.raises(IntegrityError):
        verify_event_proof(proof, [other.vkey])
    head, extra_line, rest = proof.partition("\nindex ")
    forged = head.replace(head[-8:], "AAAAAAAA") + extra_line + rest
    with pytest.raises((IntegrityError, AuditError)):
        verify_event_proof(forged, audit.verifiers())


def test_checkpoint_is_reused_until_the_log_grows_and_extends_the_old_one(
    ledger: Ledger, audit: AuditLog
) -> None:
    """Same size, same key → same checkpoint; after new events, the new one is consistent."""
    open_option(ledger)
    admit(ledger)
    note1, cp1 = audit.checkpoint()
    assert audit.checkpoint()[0] == note1 and cp1.size == 2
    admit(ledger)
    admit(ledger)
    note2, cp2 = audit.checkpoint()
    assert cp2.size == 4 and audit.latest_checkpoint() == (note2, cp2)
    verify_consistency_between(cp1, cp2, audit.consistency_proof(2, 4))
    assert audit.checkpoint_of_size(2) == (note1, cp1)
    opened, _ = open_checkpoint(note2, [parse_vkey(k) for k in audit.verifiers()], origin=audit.origin)
    assert opened == cp2


def test_proofs_follow_the_latest_checkpoint(ledger: Ledger, audit: AuditLog) -> None:
    """A proof is always against the latest checkpoint, also once a newer one is signed."""
    open_option(ledger)
    admit(ledger)
    audit.checkpoint()
    first = verify_event_proof(audit.inclusion_proof(0), audit.verifiers(), origin=audit.origin)
    assert first.tree_size == 2
    admit(ledger)
    admit(ledger)
    audit.checkpoint()
    for position in (0, 3):
        proven = verify_event_proof(audit.inclusion_proof(position), audit.verifiers(), origin=audit.origin)
        assert (proven.position, proven.tree_size) == (position, 4)


def test_rotation_keeps_old_checkpoints_verifiable(ledger: Ledger, audit: AuditLog) -> None:
    """After rotation the new key signs; old checkpoints and proofs verify with the old key."""
    open_option(ledger)
    old_vkey = audit.verifiers()[0]
    old_note, _ = audit.checkpoint()
    old_proof = audit.inclusion_proof(0)
    new = audit.keys.generate("test.example/log")
    assert audit.verifiers() == [new.vkey, old_vkey]
    new_note, cp = audit.checkpoint()
    assert new_note != old_note and cp.size == 1
    open_checkpoint(new_note, [new])
    with pytest.raises(IntegrityError):
        open_checkpoint(old_note, [new])
    open_checkpoint(old_note, [parse_vkey(old_vkey)])
    verify_event_proof(old_proof, [old_vkey])
    assert audit.verify().ok


def test_no_key_is_a_clear_error(ledger: Ledger, store_location: str, tmp_path: Path) -> None:
    """Signing without a key names the command that creates one."""
    open_option(ledger)
    log = audit_log(ledger, store_location, tmp_path / "none")
    with pytest.raises(KeyStoreError, match="ledger keys generate"):
        log.checkpoint()
    log.close()


def test_private_key_is_0600_and_refused_when_readable(tmp_path: Path) -> None:
    """The private key file is 0600 in a 0700 directory; a world-readable key is refused."""
    keys = LogKeyStore(tmp_path / "k")
    keys.generate("n")
    skey = next((tmp_path / "k").glob("*.skey"))
    assert skey.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o700
    skey.chmod(0o644)
    with pytest.raises(KeyStoreError, match="readable"):
        keys.signer()


def test_certificate_chain_proofs(ledger: Ledger, audit: AuditLog) -> None:
    """Every decision behind a certificate is proven, up to its issuance (and revocation)."""
    record_demo(ledger)
    certs = certificates(ledger.store)
    revoked = [c for c in certs if c.status == "revoked"]
    cert = revoked[0] if revoked else certs[0]
    positions = audit.certificate_positions(cert.certificate_id)
    assert cert.position in positions and positions == sorted(positions)
    if revoked:
        assert positions[-1] > cert.position
    for position in positions:
        proven = verify_event_proof(audit.inclusion_proof(position), audit.verifiers())
        assert proven.event_id.startswith(cert.learner_id)


def test_live_run_logs_new_events_and_checkpoints(
    ledger: Ledger, store_location: str, tmp_path: Path
) -> None:
    """``run`` logs events recorded while it follows and signs checkpoints as the log grows."""
    open_option(ledger)
    LogKeyStore(tmp_path / "keys").generate("test.example/log")
    stop, grew = threading.Event(), threading.Event()
    seen: list[Checkpoint] = []

    def on_checkpoint(_: bytes, cp: Checkpoint) -> None:
        seen.append(cp)
        if cp.size >= 3:
            grew.set()

    def follow() -> None:
        live = audit_log(ledger, store_location, tmp_path / "keys")
        try:
            live.run(stop, every=0.2, poll=0.05, on_checkpoint=on_checkpoint)
        finally:
            live.close()

    worker = threading.Thread(target=follow)
    worker.start()
    try:
        admit(ledger)
        admit(ledger)
        assert grew.wait(30), "the live log never reached the new events"
    finally:
        stop.set()
        worker.join(30)
    assert seen[0].size >= 1 and seen[-1].size == 3


def test_position_beyond_the_log_and_bad_event_ids(ledger: Ledger, audit: AuditLog) -> None:
    """Unknown positions and malformed event ids are user errors, not crashes."""
    open_option(ledger)
    from ledger.domain.errors import InvalidCommand, UnknownEntity

    with pytest.raises(UnknownEntity):
        audit.inclusion_proof(5)
    with pytest.raises(InvalidCommand):
        audit.position_of("not-an-id")
    with pytest.raises(UnknownEntity):
        audit.position_of("6f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c10/1")
    assert isinstance(audit.latest_checkpoint()[1], Checkpoint)


def test_full_verification_streams_across_pages_and_checks_every_checkpoint(
    ledger: Ledger, audit: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in pages of 7 nodes (so every level crosses page boundaries), a log with checkpoints
    at several sizes verifies; an interior node rewritten behind the log's back is named by
    level and index, and only it (the signed roots are recomputed from the leaves)."""
    from ledger.audit import verify as audit_verify

    monkeypatch.setattr(audit_verify, "PAGE", 7)
    open_option(ledger)
    sizes = []
    for _ in range(5):
        for _ in range(13):
            admit(ledger)
        audit.sync()
        sizes.append(audit.checkpoint()[1].size)
    report = audit.verify()
    assert report.ok, report.problems
    assert report.size == sizes[-1] and report.checkpoints_checked == len(sizes)
    audit.db.execute("UPDATE integrity_nodes SET hash = ? WHERE level = 2 AND idx = 3", (b"\x05" * 32,))
    found = audit.verify().problems
    assert [(p.kind, p.position) for p in found] == [("node", 3 << 2)]
    assert "node (2, 3)" in found[0].detail


def test_a_proof_is_checked_against_the_signed_root_before_it_is_handed_out(
    ledger: Ledger, audit: AuditLog
) -> None:
    """A node on the proof's path rewritten behind the log's back (the root's nodes intact):
    ``prove`` refuses with a clear error instead of handing out a proof that cannot verify."""
    open_option(ledger)
    for _ in range(12):
        admit(ledger)
    audit.sync()
    assert audit.checkpoint()[1].size == 13
    verify_event_proof(audit.inclusion_proof(0), audit.verifiers(), origin=audit.origin)
    audit.db.execute("UPDATE integrity_nodes SET hash = ? WHERE level = 1 AND idx = 1", (b"\x09" * 32,))
    with pytest.raises(AuditError, match="does not prove position 0"):
        audit.inclusion_proof(0)
    verify_event_proof(audit.inclusion_proof(12), audit.verifiers(), origin=audit.origin)


def test_checkpoints_signed_at_once_are_one_checkpoint(
    ledger: Ledger, audit: AuditLog, store_location: str, tmp_path: Path
) -> None:
    """Six processes signing a checkpoint of the same log at the same moment (a cron job and
    an inspector): none fails, all return the same signed note, one checkpoint is stored."""
    record_demo(ledger, learners=4, candidates=1)
    size = audit.sync()

    def sign() -> bytes:
        log = audit_log(ledger, store_location, tmp_path / "keys")  # its own connection
        try:
            return log.checkpoint()[0]
        finally:
            log.close()

    notes, errors = at_once(sign, 6)
    assert errors == []
    assert len(set(notes)) == 1 and len(notes) == 6
    assert [r.size for r in audit._checkpoint_rows()].count(size) == 1
