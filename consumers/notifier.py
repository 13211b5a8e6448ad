"""The notifier: decisions and deadlines turned into notifications in a durable outbox.

A downstream consumer with its own database. Each notification is a row of
``notifier_outbox`` (a sender delivers and marks it sent; that part is out of scope here),
keyed by ``<event id>:<kind>`` so a replay never notifies twice. Rules:

- a UAA test was authorised → the learner, or their legal representative when a minor;
- a competence report is overdue (its ``due_by`` passed with no report sent, found by
  :meth:`Notifier.tick` against the clock, or a recorded missed deadline) → the administration;
- a CléA certificate was issued → the certifier, for the accrochage (SI CPF) due by its date;
  a missed accrochage deadline → the certifier again;
- a learner's personal data was erased → every undelivered notification addressed to the
  learner or their representatives is dropped (it could only be delivered through the erased
  contacts) and their pending deadlines forgotten;
- a CléA candidate's personal data was erased → the same: every undelivered notification
  addressed to the candidate, and the undelivered accrochage reminders about them (the
  certifier could only act on them with the erased identity), are dropped, their pending
  deadlines forgotten. Notifications already sent stay (they are the sender's record).

Recipients are roles plus the random subject id: no names, no addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

from consumers.runner import Envelope, dumps
from ledger.adapters.follower import Db

OUTBOX_DDL = (
    "CREATE TABLE IF NOT EXISTS notifier_outbox (notification_id TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL, recipient_role TEXT NOT NULL, subject_id TEXT NOT NULL,"
    " due_by TEXT, payload TEXT NOT NULL, source_event TEXT NOT NULL, sent_at TEXT)",
    "CREATE TABLE IF NOT EXISTS notifier_pending (subject_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " due_by TEXT NOT NULL, source_event TEXT NOT NULL, PRIMARY KEY (subject_id, kind))",
)

# Which undelivered notifications the erasure of a learner or a candidate drops (SQL on a row).
ABOUT: dict[str, str] = {
    "learner": "recipient_role IN ('learner', 'legal_representative')",
    "candidate": "recipient_role = 'candidate' OR kind IN ('accrochage_due', 'accrochage_overdue')",
}


class Notifier:
    """An :class:`consumers.runner.EventHandler` writing notifications to an outbox."""

    name = "notifier"

    def __init__(self, today: Callable[[], date] | None = None) -> None:
        self.today = today or (lambda: datetime.now(UTC).date())

    def setup(self, db: Db) -> None:
        """Create the outbox and the pending-deadline tables."""
        for ddl in OUTBOX_DDL:
            db.execute(ddl)

    def handle(self, db: Db, event: Envelope) -> None:
        """Turn one message into notifications or pending deadlines."""
        msg: Any = event.message
        kind = event.type.rsplit(".", 2)[-2]
        if event.type == "be.cpu.learner.test_authorised.v1":
            who = "legal_representative" if msg.learner_is_minor else "learner"
            self._notify(db, event, "test_authorised", who, None, {"uaa": msg.uaa})
        elif event.type == "be.cpu.learner.competence_report_requested.v1":
            db.execute(
                "DELETE FROM notifier_pending WHERE subject_id = ? AND kind = ?",
                (event.subject, "competence_report"),
            )
            db.execute(
                "INSERT INTO notifier_pending (subject_id, kind, due_by, source_event)"
                " VALUES (?, 'competence_report', ?, ?)",
                (event.subject, msg.due_by.isoformat(), event.id),
            )
        elif event.type == "be.cpu.learner.erased.v1":
            self.forget(db, event.subject)
        elif event.type == "fr.clea.candidate.erased.v1":
            self.forget(db, event.subject, "candidate")
        elif event.type == "be.cpu.learner.competence_report_sent.v1":
            db.execute(
                "DELETE FROM notifier_pending WHERE subject_id = ? AND kind = ?",
                (event.subject, "competence_report"),
            )
        elif kind == "deadline_missed" and msg.kind.value == "competence_report":
            self._notify(db, event, "competence_report_overdue", "administration", msg.due_by.isoformat(), {})
        elif event.type == "fr.clea.candidate.certificate_issued.v1" and msg.accrochage_due_by:
            self._notify(
                db,
                event,
                "accrochage_due",
                "certifier",
                msg.accrochage_due_by.isoformat(),
                {"certificate_id": str(msg.certificate_id)},
            )
        elif kind == "deadline_missed" and msg.kind.value == "accrochage":
            self._notify(
                db,
                event,
                "accrochage_overdue",
                "certifier",
                msg.due_by.isoformat(),
                {"certificate_id": str(msg.certificate_id)},
            )

    @staticmethod
    def forget(db: Db, subject: str, person: Literal["learner", "candidate"] = "learner") -> None:
        """Drop the undelivered notifications about an erased learner or candidate (see :data:`ABOUT`)."""
        db.execute(
            f"DELETE FROM notifier_outbox WHERE subject_id = ? AND sent_at IS NULL AND ({ABOUT[person]})",
            (subject,),
        )
        db.execute("DELETE FROM notifier_pending WHERE subject_id = ?", (subject,))

    def tick(self, db: Db) -> None:
        """Notify the administration of every competence report now overdue (once each)."""
        today = self.today().isoformat()
        rows = db.execute(
            "SELECT subject_id, due_by, source_event FROM notifier_pending"
            " WHERE kind = 'competence_report' AND due_by < ?",
            (today,),
        ).fetchall()
        for subject, due_by, source in rows:
            self._insert(
                db,
                f"{source}:competence_report_overdue",
                "competence_report_overdue",
                "administration",
                str(subject),
                str(due_by),
                {},
                str(source),
            )
            db.execute(
                "DELETE FROM notifier_pending WHERE subject_id = ? AND kind = ?",
                (subject, "competence_report"),
            )

    def _notify(
        self, db: Db, event: Envelope, kind: str, recipient: str, due_by: str | None, payload: dict[str, Any]
    ) -> None:
        self._insert(
            db,
            f"{event.id}:{kind}",
            kind,
            recipient,
            event.subject,
            due_by,
            {**payload, "effective_date": event.message.decision.effective_date.isoformat()},
            event.id,
        )

    @staticmethod
    def _insert(
        db: Db,
        ident: str,
        kind: str,
        recipient: str,
        subject: str,
        due_by: str | None,
        payload: dict[str, Any],
        source: str,
    ) -> None:
        if db.execute("SELECT 1 FROM notifier_outbox WHERE notification_id = ?", (ident,)).fetchone():
            return
        db.execute(
            "INSERT INTO notifier_outbox (notification_id, kind, recipient_role, subject_id,"
            " due_by, payload, source_event, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (ident, kind, recipient, subject, due_by, dumps(payload), source),
        )


def outbox_rows(db: Db) -> list[dict[str, Any]]:
    """Every notification in the outbox."""
    cur = db.execute(
        "SELECT notification_id, kind, recipient_role, subject_id, due_by, payload"
        " FROM notifier_outbox ORDER BY notification_id"
    )
    names = ("notification_id", "kind", "recipient_role", "subject_id", "due_by", "payload")
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
