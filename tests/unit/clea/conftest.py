"""A CléA world for tests: a Ledger on a fixed clock, organisations and journey helpers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

import pytest

from ledger.adapters.identity import MemoryIdentityStore
from ledger.adapters.store import StoreTarget, iter_notifications, open_store
from ledger.application import FixedClock, Ledger, Outcome, parse_command
from ledger.bootstrap import bootstrap_memory
from ledger.domain.clea.aggregates import Candidate, candidate_id
from ledger.domain.clea.values import CertificateType
from ledger.reference import clea as ref

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
EVAL_A = "11111111100011"  # habilitated CléA + Numérique from 2019-07-10 (certifpro-2019)
EVAL_B = "22222222200022"  # habilitated CléA 2016-2019 (COPANEF legacy)
EVAL_M = "33333333300033"  # habilitated CléA Management from 2024-12-02 (certifpro-2024)
TRAIN = "44444444400044"  # training organisation, no legacy habilitation
TRAIN_LEGACY = "55555555500055"  # training organisation habilitated until 2019-12-31
BRANCH = "IDCC-1517"
NS = UUID("6f1d2c1e-5b0a-4d7e-9a59-6c1b2e3f4a5b")


def ledger_on(target: StoreTarget | None = None, now: datetime = NOW) -> Ledger:
    """A Ledger on SQLite (``target``, benchmarks) or composed in memory, recording at ``now``."""
    if target is None:
        return bootstrap_memory(FixedClock(now)).ledger
    return Ledger(open_store(target), MemoryIdentityStore(), clock=FixedClock(now))


def passed_for(
    cert: CertificateType, domains: Iterable[str], on: date = date(2021, 1, 1), except_: Iterable[str] = ()
) -> list[str]:
    """Every criterion of ``domains`` (in the version in force on ``on``) but ``except_``."""
    spec = ref.version_in_force(cert, on)
    skip = set(except_)
    return [c for d in spec.domains if d.code in set(domains) for c in d.criteria() if c not in skip]


class World:
    """A ledger with organisations set up, and helpers to walk a candidate's journey."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.count = 0

    # ------------------------------------------------------------------ plumbing
    def run(self, raw: dict[str, Any]) -> Outcome:
        return self.ledger.execute(parse_command(raw))

    def stored(self) -> int:
        return sum(1 for _ in iter_notifications(self.ledger.store))

    def candidate(self, ident: UUID) -> Candidate:
        agg: Candidate = self.ledger.store.repository.get(ident)
        return agg

    @staticmethod
    def cmd(command: str, body: str, role: str, actor: str, day: date, **kw: Any) -> dict[str, Any]:
        return {
            "command": command,
            "actor_id": actor,
            "actor_role": role,
            "body": body,
            "effective_date": day.isoformat(),
            **kw,
        }

    def certifpro(self, command: str, day: date, **kw: Any) -> dict[str, Any]:
        return self.cmd(command, "certifpro", "certifier", "certifpro-agent-1", day, **kw)

    def evaluator(self, command: str, day: date, **kw: Any) -> dict[str, Any]:
        return self.cmd(command, "evaluator_org", "evaluator", "eval-1", day, **kw)

    # ------------------------------------------------------------------ organisations
    def setup(self) -> World:
        for siret, region in ((EVAL_A, "ile-de-france"), (EVAL_B, "occitanie"), (EVAL_M, "bretagne")):
            self.run(
                self.certifpro(
                    "RegisterEvaluatorOrganisation",
                    date(2015, 6, 1),
                    siret=siret,
                    name=f"Evaluateur {siret[:3]}",
                    region=region,
                )
            )
        for cert in ("clea", "clea_numerique"):
            self.run(
                self.certifpro(
                    "HabilitateOrganisation",
                    date(2019, 7, 10),
                    siret=EVAL_A,
                    certificate=cert,
                    campaign="certifpro-2019",
                    valid_to="2027-12-31",
                )
            )
        self.run(
            self.certifpro(
                "HabilitateOrganisation",
                date(2016, 1, 1),
                siret=EVAL_B,
                certificate="clea",
                campaign="copanef-2015",
                valid_to="2019-12-31",
            )
        )
        self.run(
            self.certifpro(
                "HabilitateOrganisation",
                date(2024, 12, 2),
                siret=EVAL_M,
                certificate="clea_management",
                campaign="certifpro-2024",
                valid_to="2028-12-31",
            )
        )
        self.run(
            self.certifpro(
                "RegisterTrainingOrganisation",
                date(2015, 6, 1),
                siret=TRAIN,
                name="Formation 444",
                region="ile-de-france",
            )
        )
        self.run(
            self.certifpro(
                "RegisterTrainingOrganisation",
                date(2015, 6, 1),
                siret=TRAIN_LEGACY,
                name="Formation 555",
                region="occitanie",
                legacy_habilitation_until="2019-12-31",
            )
        )
        self.run(
            self.certifpro("RegisterBranchJury", date(2019, 1, 10), branch_code=BRANCH, name="CPNE 1517")
        )
        return self

    # ------------------------------------------------------------------ candidates
    def register(self, cert: str = "clea", day: date = date(2021, 3, 1), siret: str = EVAL_A) -> UUID:
        self.count += 1
        person = uuid5(NS, f"person-{self.count}")
        self.run(
            self.evaluator(
                "RegisterCandidate", day, person_id=str(person), certificate=cert, evaluator_siret=siret
            )
        )
        return candidate_id(person, CertificateType(cert))

    def prealable(
        self,
        cand: UUID,
        passed: list[str],
        day: date = date(2021, 3, 10),
        siret: str = EVAL_A,
        evaluator_id: str = "eval-1",
    ) -> Outcome:
        return self.run(
            self.evaluator(
                "RecordPriorEvaluation",
                day,
                candidate_id=str(cand),
                evaluator_siret=siret,
                evaluator_id=evaluator_id,
                passed=passed,
            )
        )

    def plan(
        self, cand: UUID, domains: list[str], day: date = date(2021, 3, 20), siret: str = TRAIN
    ) -> Outcome:
        return self.run(
            self.evaluator(
                "AssignTrainingPlan",
                day,
                candidate_id=str(cand),
                domains=domains,
                training_org_siret=siret,
                planned_hours=70,
            )
        )

    def train(
        self, cand: UUID, trainer: str = "trainer-1", day: date = date(2021, 6, 30), siret: str = TRAIN
    ) -> Outcome:
        return self.run(
            self.cmd(
                "CompleteTraining",
                "training_org",
                "trainer",
                trainer,
                day,
                candidate_id=str(cand),
                training_org_siret=siret,
                trainer_id=trainer,
            )
        )

    def final(
        self,
        cand: UUID,
        domains: list[str],
        passed: list[str],
        *,
        day: date = date(2021, 7, 15),
        evaluator_id: str = "eval-2",
        siret: str = EVAL_A,
    ) -> Outcome:
        return self.run(
            self.cmd(
                "RecordFinalEvaluation",
                "evaluator_org",
                "evaluator",
                evaluator_id,
                day,
                candidate_id=str(cand),
                evaluator_siret=siret,
                evaluator_id=evaluator_id,
                domains=domains,
                passed=passed,
            )
        )

    def jury_cmd(
        self,
        cand: UUID,
        day: date = date(2021, 7, 30),
        members: list[dict[str, str]] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        members = members or [
            {"person_id": "jury-emp-1", "side": "employer"},
            {"person_id": "jury-sal-1", "side": "employee"},
        ]
        return self.cmd(
            "DecideJury",
            kw.pop("body", "jury_paritaire"),
            "jury_president",
            "jury-emp-1",
            day,
            candidate_id=str(cand),
            members=members,
            **kw,
        )

    def submit_cmd(self, cand: UUID, day: date = date(2021, 7, 30), **kw: Any) -> dict[str, Any]:
        """The candidate's evaluator organisation submits the dossier (to ``branch_code``'s jury)."""
        siret = kw.pop("evaluator_siret", None) or self.candidate(cand).evaluator_siret
        return self.evaluator("SubmitToJury", day, candidate_id=str(cand), evaluator_siret=siret, **kw)

    def submit(self, cand: UUID, day: date = date(2021, 7, 30), **kw: Any) -> Outcome:
        return self.run(self.submit_cmd(cand, day, **kw))

    def jury(self, cand: UUID, day: date = date(2021, 7, 30), submit: bool = True, **kw: Any) -> Outcome:
        """The jury decides; first the dossier is submitted to it, unless ``submit`` is False."""
        if submit:
            branch = kw.get("branch_code") if kw.get("body") == "branch_jury" else None
            self.submit(cand, day, **({"branch_code": branch} if branch else {}))
        return self.run(self.jury_cmd(cand, day, **kw))

    def issue(self, cand: UUID, day: date = date(2021, 8, 2)) -> UUID:
        out = self.run(self.certifpro("IssueCleaCertificate", day, candidate_id=str(cand)))
        assert out.certificate_id is not None
        return out.certificate_id

    def partial(
        self, cert: str = "clea", day: date = date(2021, 3, 10), missing: tuple[str, ...] = ("D6", "D7")
    ) -> UUID:
        """A registered candidate whose préalable misses ``missing``."""
        cand = self.register(cert, day=day)
        spec = ref.version_in_force(CertificateType(cert), day)
        ok = [d for d in spec.domain_codes() if d not in missing]
        self.prealable(cand, passed_for(CertificateType(cert), ok, day), day=day)
        return cand

    def certified(self) -> tuple[UUID, UUID]:
        """A candidate walked from registration to certificate (CléA)."""
        cand = self.partial()
        self.plan(cand, ["D6", "D7"])
        self.train(cand)
        self.final(cand, ["D6", "D7"], passed_for(CertificateType.CLEA, ["D6", "D7"]))
        self.jury(cand)
        return cand, self.issue(cand)


@pytest.fixture
def world() -> World:
    return World(ledger_on()).setup()
