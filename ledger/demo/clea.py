"""Demo data for the CléA regime: organisations, juries and candidates' journeys as commands.

:func:`clea_commands` yields JSON-ready command dicts in a valid order (every one accepted by
the rules when recorded on ``recorded_on``), deterministic for a given ``rng`` seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ledger.domain.clea import rules
from ledger.domain.clea.aggregates import candidate_id, certificate_id
from ledger.domain.clea.values import CertificateType, Region
from ledger.reference import clea as ref

Cmd = dict[str, Any]
CLEA, NUM, MGT = CertificateType.CLEA, CertificateType.NUMERIQUE, CertificateType.MANAGEMENT
SETUP_DAY = date(2019, 3, 1)
BRANCH = "IDCC-1486"
REASONS = (
    "fraude à l'évaluation constatée",
    "dossier incomplet découvert après délivrance",
    "erreur d'identité du titulaire",
)


@dataclass(frozen=True)
class _Hab:
    certificate: CertificateType
    campaign: str
    start: date
    end: date
    withdrawn: date | None = None

    def covers(self, day: date) -> bool:
        stop = self.withdrawn or self.end + timedelta(days=1)
        return self.start <= day < stop and day <= self.end


@dataclass
class _Org:
    index: int
    siret: str
    region: Region
    habs: list[_Hab] = field(default_factory=list)

    def ok(self, cert: CertificateType, *days: date) -> bool:
        return all(any(h.certificate is cert and h.covers(d) for h in self.habs) for d in days)


# Evaluator organisations: region, habilitations (certificate, campaign, start, end, withdrawn).
_EVALUATORS: list[tuple[Region, list[tuple[CertificateType, str, date, date, date | None]]]] = [
    (
        Region.ILE_DE_FRANCE,
        [
            (CLEA, "certifpro-2019", date(2019, 7, 10), date(2028, 12, 31), None),
            (NUM, "certifpro-2019", date(2019, 7, 10), date(2028, 12, 31), None),
            (MGT, "certifpro-2024", date(2024, 12, 2), date(2029, 12, 31), None),
        ],
    ),
    (Region.HAUTS_DE_FRANCE, [(CLEA, "certifpro-2019", date(2019, 7, 10), date(2027, 12, 31), None)]),
    (
        Region.OCCITANIE,
        [
            (CLEA, "certifpro-2020", date(2020, 12, 16), date(2028, 12, 31), None),
            (NUM, "certifpro-2020", date(2020, 12, 16), date(2028, 12, 31), None),
        ],
    ),
    (Region.AUVERGNE_RHONE_ALPES, [(CLEA, "certifpro-2023", date(2023, 12, 2), date(2029, 12, 31), None)]),
    (
        Region.NOUVELLE_AQUITAINE,
        [(CLEA, "certifpro-2019", date(2019, 7, 10), date(2027, 12, 31), date(2022, 6, 1))],
    ),
    (
        Region.LA_REUNION,
        [
            (CLEA, "certifpro-2024", date(2024, 12, 2), date(2029, 12, 31), None),
            (NUM, "certifpro-2024", date(2024, 12, 2), date(2029, 12, 31), None),
            (MGT, "certifpro-2024", date(2024, 12, 2), date(2029, 12, 31), None),
        ],
    ),
    (Region.BRETAGNE, [(CLEA, "certifpro-2020", date(2020, 12, 16), date(2028, 12, 31), None)]),
]
_TRAINERS = [
    (Region.ILE_DE_FRANCE, None),
    (Region.OCCITANIE, date(2019, 6, 30)),
    (Region.HAUTS_DE_FRANCE, None),
    (Region.LA_REUNION, None),
]


@dataclass
class _Ctx:
    rng: random.Random
    horizon: date
    evaluators: list[_Org]
    trainers: list[tuple[str, Region]]
    out: list[Cmd] = field(default_factory=list)
    per_candidate: Counter[str] = field(default_factory=Counter)
    """Commands queued per candidate id so far (never cleared with ``out``)."""

    def days(self, start: date, lo: int, hi: int) -> date:
        return start + timedelta(days=self.rng.randint(lo, hi))

    def emit(self, cmd: Cmd) -> bool:
        """Queue a command if it takes effect by the recording date."""
        if date.fromisoformat(cmd["effective_date"]) > self.horizon:
            return False
        self.out.append(cmd)
        candidate = cmd.get("candidate_id")
        if candidate is not None:
            self.per_candidate[candidate] += 1
        return True


def _cmd(command: str, body: str, role: str, actor: str, day: date, **kw: Any) -> Cmd:
    return {
        "command": command,
        "actor_id": actor,
        "actor_role": role,
        "body": body,
        "effective_date": day.isoformat(),
        **kw,
    }


def _certifpro(command: str, day: date, **kw: Any) -> Cmd:
    return _cmd(command, "certifpro", "certifier", "certifpro-agent-1", day, **kw)


def _siret(rng: random.Random) -> str:
    return str(rng.randrange(10**13, 10**14))


def _setup(ctx: _Ctx) -> None:
    for i, (region, habs) in enumerate(_EVALUATORS, 1):
        org = _Org(i, _siret(ctx.rng), region)
        ctx.emit(
            _certifpro(
                "RegisterEvaluatorOrganisation",
                SETUP_DAY,
                siret=org.siret,
                name=f"Organisme évaluateur {i}",
                region=region.value,
            )
        )
        for cert, campaign, start, end, withdrawn in habs:
            if ctx.emit(
                _certifpro(
                    "HabilitateOrganisation",
                    start,
                    siret=org.siret,
                    certificate=cert.value,
                    campaign=campaign,
                    valid_to=end.isoformat(),
                )
            ):
                org.habs.append(_Hab(cert, campaign, start, end))
            if withdrawn and ctx.emit(
                _certifpro(
                    "WithdrawHabilitation",
                    withdrawn,
                    siret=org.siret,
                    certificate=cert.value,
                    reason="manquements au cahier des charges",
                )
            ):
                org.habs[-1] = _Hab(cert, campaign, start, end, withdrawn)
        ctx.evaluators.append(org)
    for j, (region, legacy) in enumerate(_TRAINERS, 1):
        siret = _siret(ctx.rng)
        ctx.emit(
            _certifpro(
                "RegisterTrainingOrganisation",
                SETUP_DAY,
                siret=siret,
                name=f"Organisme de formation {j}",
                region=region.value,
                legacy_habilitation_until=legacy.isoformat() if legacy else None,
            )
        )
        ctx.trainers.append((siret, region))
    ctx.emit(
        _certifpro(
            "RegisterBranchJury",
            SETUP_DAY,
            branch_code=BRANCH,
            name="Jury de branche CPNE 1486",
            awards=[CLEA.value],
        )
    )


def _passed(
    ctx: _Ctx, cert: CertificateType, day: date, acquired: Sequence[str], failed: Sequence[str] = ()
) -> list[str]:
    """Criteria passed: acquired domains meet their thresholds; failed ones miss a sub-domain."""
    spec = ref.version_in_force(cert, day)
    out: list[str] = []
    for dom in spec.domains:
        if dom.code not in acquired and dom.code not in failed:
            continue
        for k, sub in enumerate(dom.sub_domains):
            crits = list(sub.criteria)
            if dom.code in failed and k == 0:
                continue
            drop = ctx.rng.choice(crits)
            kept = [c for c in crits if c != drop]
            ok = rules.sub_domain_meets_threshold(sub, kept).allowed
            out += kept if ok and ctx.rng.random() < 0.4 else crits
    return out


@dataclass
class _Cand:
    ident: UUID
    cert: CertificateType
    org: _Org


def _eval_org(ctx: _Ctx, cand: _Cand, day: date) -> _Org | None:
    if cand.org.ok(cand.cert, day):
        return cand.org
    others = [o for o in ctx.evaluators if o.ok(cand.cert, day)]
    return ctx.rng.choice(others) if others else None


def _prealable(ctx: _Ctx, cand: _Cand, day: date, missing: Sequence[str]) -> bool:
    org = _eval_org(ctx, cand, day)
    if org is None:
        return False
    codes = ref.version_in_force(cand.cert, day).domain_codes()
    acquired = [d for d in codes if d not in missing]
    return ctx.emit(
        _cmd(
            "RecordPriorEvaluation",
            "evaluator_org",
            "evaluator",
            f"evaluateur-{org.index}-1",
            day,
            candidate_id=str(cand.ident),
            evaluator_siret=org.siret,
            evaluator_id=f"evaluateur-{org.index}-1",
            passed=_passed(ctx, cand.cert, day, acquired, missing),
        )
    )


def _training(
    ctx: _Ctx, cand: _Cand, day: date, missing: Sequence[str], complete: bool = True
) -> date | None:
    siret, _ = ctx.rng.choice(ctx.trainers)
    if not ctx.emit(
        _cmd(
            "AssignTrainingPlan",
            "evaluator_org",
            "evaluator",
            f"evaluateur-{cand.org.index}-1",
            day,
            candidate_id=str(cand.ident),
            domains=list(missing),
            training_org_siret=siret,
            planned_hours=ctx.rng.choice([35, 70, 105, 140]),
        )
    ):
        return None
    if not complete:
        return None
    done = ctx.days(day, 30, 150)
    trainer = f"formateur-{siret[-4:]}-{ctx.rng.randint(1, 3)}"
    ok = ctx.emit(
        _cmd(
            "CompleteTraining",
            "training_org",
            "trainer",
            trainer,
            done,
            candidate_id=str(cand.ident),
            training_org_siret=siret,
            trainer_id=trainer,
        )
    )
    return done if ok else None


def _final(ctx: _Ctx, cand: _Cand, day: date, missing: Sequence[str]) -> bool:
    org = _eval_org(ctx, cand, day)
    if org is None:
        return False
    evaluator = f"evaluateur-{org.index}-2"
    return ctx.emit(
        _cmd(
            "RecordFinalEvaluation",
            "evaluator_org",
            "evaluator",
            evaluator,
            day,
            candidate_id=str(cand.ident),
            evaluator_siret=org.siret,
            evaluator_id=evaluator,
            domains=list(missing),
            passed=_passed(ctx, cand.cert, day, missing),
        )
    )


def _submit(ctx: _Ctx, cand: _Cand, day: date, extra: dict[str, str]) -> bool:
    """The candidate's evaluator organisation submits the dossier to the jury that decides it."""
    secretary = f"secretariat-{cand.org.index}"
    return ctx.emit(
        _cmd(
            "SubmitToJury",
            "evaluator_org",
            "secretariat",
            secretary,
            day,
            candidate_id=str(cand.ident),
            evaluator_siret=cand.org.siret,
            **extra,
        )
    )


def _jury_and_certificate(ctx: _Ctx, cand: _Cand, day: date) -> None:
    branch = cand.cert is CLEA and ctx.rng.random() < 0.2
    size = ctx.rng.choice([1, 2])
    region = cand.org.region.value
    members = [
        {"person_id": f"jury-{region}-{side}-{i}", "side": side}
        for i in range(1, size + 1)
        for side in ("employer", "employee")
    ]
    body = "branch_jury" if branch else "jury_paritaire"
    extra = {"branch_code": BRANCH} if branch else {}
    if not _submit(ctx, cand, day, extra):
        return
    if not ctx.emit(
        _cmd(
            "DecideJury",
            body,
            "jury_president",
            members[0]["person_id"],
            day,
            candidate_id=str(cand.ident),
            members=members,
            **extra,
        )
    ):
        return
    issued = ctx.days(day, 1, 10)
    if branch and ctx.rng.random() < 0.5:
        cmd = _cmd(
            "IssueCleaCertificate",
            "branch_jury",
            "jury_president",
            members[0]["person_id"],
            issued,
            candidate_id=str(cand.ident),
            **extra,
        )
    else:
        cmd = _certifpro("IssueCleaCertificate", issued, candidate_id=str(cand.ident))
    if ctx.emit(cmd):
        _after_issue(ctx, cand, issued, _version_cert(ctx, cand))


def _version_cert(ctx: _Ctx, cand: _Cand) -> UUID:
    """The certificate id the issuance gets (deterministic from the candidate's version)."""
    version = ctx.per_candidate[str(cand.ident)] + 1
    return certificate_id(cand.ident, version)


def _after_issue(ctx: _Ctx, cand: _Cand, issued: date, cert: UUID) -> None:
    due = rules.accrochage_due(issued)
    ids = {"candidate_id": str(cand.ident), "certificate_id": str(cert)}
    u = ctx.rng.random()
    last = issued
    if due is None:
        if u < 0.5:
            last = ctx.days(issued, 5, 60)
            ctx.emit(_certifpro("RecordAccrochage", last, **ids))
    elif u < 0.7:
        last = ctx.days(issued, 5, 80)
        ctx.emit(_certifpro("RecordAccrochage", last, **ids))
    else:
        last = ctx.days(due, 1, 20)
        ctx.emit(_certifpro("RecordCleaDeadlineMissed", last, kind="accrochage", **ids))
        if u < 0.85:
            last = ctx.days(last, 1, 90)
            ctx.emit(_certifpro("RecordAccrochage", last, **ids))
    if ctx.rng.random() < 0.06:
        ctx.emit(
            _certifpro(
                "RevokeCleaCertificate", ctx.days(last, 30, 300), reason=ctx.rng.choice(REASONS), **ids
            )
        )


def _missing(ctx: _Ctx, cert: CertificateType, day: date) -> list[str]:
    codes = list(ref.version_in_force(cert, day).domain_codes())
    return sorted(ctx.rng.sample(codes, ctx.rng.randint(1, min(3, len(codes) - 1))))


def _journey(ctx: _Ctx, cand: _Cand, start: date, scenario: str) -> None:
    if scenario == "direct":
        if _prealable(ctx, cand, start, ()):
            _jury_and_certificate(ctx, cand, ctx.days(start, 10, 40))
        return
    missing = _missing(ctx, cand.cert, start)
    if not _prealable(ctx, cand, start, missing):
        return
    if scenario == "expired":
        _expired(ctx, cand, start, missing)
        return
    trained = _training(
        ctx, cand, ctx.days(start, 5, 20), missing, complete=scenario == "full" or ctx.rng.random() < 0.5
    )
    if scenario != "full" or trained is None:
        return
    final = ctx.days(trained, 5, 20)
    if _final(ctx, cand, final, missing):
        _jury_and_certificate(ctx, cand, ctx.days(final, 7, 30))


def _expired(ctx: _Ctx, cand: _Cand, start: date, missing: Sequence[str]) -> None:
    if ctx.rng.random() < 0.5:
        _training(ctx, cand, ctx.days(start, 5, 20), missing, complete=False)
    end = rules.window_end(start)
    noticed = ctx.days(end, 1, 60)
    ctx.emit(
        _certifpro("RecordCleaDeadlineMissed", noticed, candidate_id=str(cand.ident), kind="validity_window")
    )
    if ctx.rng.random() < 0.5:
        again = ctx.days(noticed, 1, 60)
        _prealable(ctx, cand, again, _missing(ctx, cand.cert, again))


def _candidate(ctx: _Ctx) -> None:
    rng = ctx.rng
    u = rng.random()
    cert = CLEA if u < 0.6 else NUM if u < 0.85 else MGT
    v = rng.random()
    scenario = "direct" if v < 0.15 else "full" if v < 0.55 else "partial" if v < 0.8 else "expired"
    if scenario == "expired" and cert is MGT:
        cert = CLEA
    first = date(2025, 1, 6) if cert is MGT else date(2019, 9, 2)
    last = date(2021, 6, 30) if scenario == "expired" else ctx.horizon - timedelta(days=60)
    if last <= first:
        return
    start = first + timedelta(days=rng.randint(0, (last - first).days))
    registered = start - timedelta(days=rng.randint(1, 20))
    orgs = [o for o in ctx.evaluators if o.ok(cert, registered, start)]
    if not orgs:
        return
    person = UUID(int=rng.getrandbits(128), version=4)
    org = rng.choice(orgs)
    cand = _Cand(candidate_id(person, cert), cert, org)
    if ctx.emit(
        _cmd(
            "RegisterCandidate",
            "evaluator_org",
            "evaluator",
            f"evaluateur-{org.index}-1",
            registered,
            person_id=str(person),
            certificate=cert.value,
            evaluator_siret=org.siret,
        )
    ):
        _journey(ctx, cand, start, scenario)


def clea_commands(rng: random.Random, candidates: int, recorded_on: date) -> Iterator[Cmd]:
    """Yield CléA demo commands (JSON-ready dicts with ``"command"``) in a valid order.

    Several evaluator organisations across regions (Certif'Pro campaigns 2019/2020/2023/2024,
    one habilitation withdrawn in 2022 and never used afterwards), training organisations, a
    branch jury, and ``candidates`` candidacies for CléA, CléA Numérique and CléA Management:
    direct successes, trainings and final evaluations, partial portfolios, expired 5-year
    windows (some reopened by a new préalable), late or missing accrochage, a few revocations.
    """
    ctx = _Ctx(rng, recorded_on, [], [])
    _setup(ctx)
    for _ in range(candidates):
        _candidate(ctx)
        yield from ctx.out  # one candidate's commands at a time: memory flat in their number
        ctx.out.clear()
    yield from ctx.out
