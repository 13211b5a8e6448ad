"""The notifier's rules on a real SQLite outbox: who is told what, once."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from consumers.contract import Contract
from consumers.notifier import Notifier, outbox_rows
from consumers.runner import Envelope
from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget

CONTRACT = Contract()
DECISION = {
    "actor_role": "head_of_school",
    "body": "conseil_classe",
    "effective_date": "2021-09-20",
    "recorded_at": "2021-09-20T10:00:00Z",
    "legal_basis": "AGCF-2018-08-29 art. 9",
    "ruleset_version": "test",
}


def envelope(ce_type: str, subject: uuid.UUID, version: int, **fields: Any) -> Envelope:
    message = CONTRACT.models[ce_type].model_validate(
        {"subject_id": subject, "aggregate_version": version, "decision": DECISION, **fields}
    )
    return Envelope(f"{subject}/{version}", ce_type, str(subject), "", version - 1, version, message)


def test_notifications_go_to_the_right_role_once(tmp_path: Path) -> None:
    """Adult → learner, minor → representative; an unanswered report request → administration once."""
    db = Db(StoreTarget.parse(str(tmp_path / "notes.db")))
    today = [date(2021, 9, 25)]
    notifier = Notifier(today=lambda: today[0])
    adult, minor, moved, answered = (uuid.uuid4() for _ in range(4))
    with db.transaction():
        notifier.setup(db)
        for who, is_minor in ((adult, False), (minor, True)):
            notifier.handle(
                db,
                envelope(
                    "be.cpu.learner.test_authorised.v1",
                    who,
                    2,
                    uaa="UAA1",
                    learner_is_minor=is_minor,
                    representatives_informed=True,
                ),
            )
        for who in (moved, answered):
            notifier.handle(
                db,
                envelope(
                    "be.cpu.learner.competence_report_requested.v1",
                    who,
                    3,
                    from_fase=209,
                    requested_on="2021-09-20",
                    due_by="2021-10-11",
                ),
            )
        notifier.handle(
            db,
            envelope(
                "be.cpu.learner.competence_report_sent.v1",
                answered,
                4,
                from_fase=209,
                sent_on="2021-10-01",
                due_by="2021-10-11",
                late=False,
            ),
        )
        notifier.tick(db)
    assert {r["kind"] for r in outbox_rows(db)} == {"test_authorised"}
    today[0] = date(2021, 10, 12)
    for _ in range(2):
        with db.transaction():
            notifier.tick(db)
    rows = {(r["kind"], r["recipient_role"], r["subject_id"]) for r in outbox_rows(db)}
    assert rows == {
        ("test_authorised", "learner", str(adult)),
        ("test_authorised", "legal_representative", str(minor)),
        ("competence_report_overdue", "administration", str(moved)),
    }
    db.close()


def test_erasure_drops_undelivered_notifications_to_the_learner(tmp_path: Path) -> None:
    """After an erasure message, nothing addressed to the learner or representative is left."""
    db = Db(StoreTarget.parse(str(tmp_path / "notes.db")))
    notifier = Notifier(today=lambda: date(2021, 9, 25))
    erased, other = uuid.uuid4(), uuid.uuid4()
    with db.transaction():
        notifier.setup(db)
        for who in (erased, other):
            notifier.handle(
                db,
                envelope(
                    "be.cpu.learner.test_authorised.v1",
                    who,
                    2,
                    uaa="UAA1",
                    learner_is_minor=True,
                    representatives_informed=True,
                ),
            )
        notifier.handle(db, envelope("be.cpu.learner.erased.v1", erased, 3))
    assert {r["subject_id"] for r in outbox_rows(db)} == {str(other)}
    db.close()


def test_candidate_erasure_drops_undelivered_notifications_about_the_candidate(tmp_path: Path) -> None:
    """After a CléA candidate's erasure message, no undelivered accrochage reminder about them is left.

    Like a learner's: the other candidate's reminder stays, and so does one already sent.
    """
    db = Db(StoreTarget.parse(str(tmp_path / "notes.db")))
    notifier = Notifier(today=lambda: date(2024, 5, 2))
    erased, other, sent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    clea = {**DECISION, "actor_role": "certifier", "body": "certifpro", "legal_basis": "Décret 2019-1119"}
    with db.transaction():
        notifier.setup(db)
        for who in (erased, other, sent):
            issued = envelope(
                "fr.clea.candidate.certificate_issued.v1",
                who,
                5,
                decision=clea,
                certificate_id=uuid.uuid4(),
                certificate="clea",
                issuer="certifpro",
                issued_on="2024-05-01",
                referential_versions=("clea-2018",),
                domains=(),
                accrochage_due_by="2024-06-01",
            )
            notifier.handle(db, issued)
        db.execute("UPDATE notifier_outbox SET sent_at = '2024-05-01' WHERE subject_id = ?", (str(sent),))
        notifier.handle(db, envelope("fr.clea.candidate.erased.v1", erased, 6, decision=clea))
        notifier.handle(db, envelope("fr.clea.candidate.erased.v1", sent, 6, decision=clea))
    rows = outbox_rows(db)
    assert {r["subject_id"] for r in rows} == {str(other), str(sent)}
    assert {r["kind"] for r in rows} == {"accrochage_due"}
    db.close()
