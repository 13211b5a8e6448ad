"""Command scenarios for the CléA rule table's cases (issue 18: every case through the console script).

As :mod:`tests.e2e.law_scenarios` does for the CPU: one builder per refusing CléA rule turns a
:class:`~ledger.domain.catalogue.Case` into ``(setup, target)`` on a store holding the
organisations of :data:`BASE` (evaluators habilitated by real campaigns of the reference data,
training organisations, a branch jury). Each case gets its own candidate (its person id derived
from the case id) and, where the case is about an organisation, its own evaluator organisation.
The table's synthetic values are the shipped referential's own: the CléA sub-domain D1.2 has four
criteria at 75 %, D1.1 a mandatory criterion, the 2019 campaign was decided on 9 July 2019.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from datetime import date
from typing import Any

from ledger.domain.catalogue import Case
from ledger.domain.clea.aggregates import candidate_id, certificate_id
from ledger.domain.clea.values import CertificateType
from ledger.reference import clea as ref

Cmd = dict[str, Any]
Scenario = tuple[list[Cmd], Cmd]
ROLE = {
    "certifpro": "certifier",
    "evaluator_org": "evaluator",
    "training_org": "trainer",
    "jury_paritaire": "jury_president",
    "branch_jury": "jury_president",
}
EVAL_A = "11111111100011"  # CléA + Numérique by certifpro-2019, 2019-07-10 .. 2027-12-31
EVAL_B = "22222222200022"  # CléA by copanef-2015, 2016-01-01 .. 2019-12-31
TRAIN, TRAIN_LEGACY = "44444444400044", "55555555500055"  # the latter habilitated until 2019-12-31
BRANCH = "IDCC-1517"
OTHER_BRANCH = "IDCC-0016"
PAIR = [{"person_id": "jury-emp-1", "side": "employer"}, {"person_id": "jury-sal-1", "side": "employee"}]


def cmd(command: str, body: str, when: date | str, **fields: Any) -> Cmd:
    """A raw CléA command."""
    return {
        "command": command,
        "actor_id": f"{body}-1",
        "actor_role": ROLE[body],
        "body": body,
        "effective_date": str(when),
        **fields,
    }


def _org(siret: str, region: str, name: str, command: str = "RegisterEvaluatorOrganisation", **f: Any) -> Cmd:
    return cmd(command, "certifpro", "2015-06-01", siret=siret, name=name, region=region, **f)


def _habilitate(siret: str, cert: str, campaign: str, when: date | str, valid_to: date | str) -> Cmd:
    return cmd(
        "HabilitateOrganisation",
        "certifpro",
        when,
        siret=siret,
        certificate=cert,
        campaign=campaign,
        valid_to=str(valid_to),
    )


BASE: list[Cmd] = [
    _org(EVAL_A, "ile-de-france", "Evaluateur A"),
    _org(EVAL_B, "occitanie", "Evaluateur B"),
    _habilitate(EVAL_A, "clea", "certifpro-2019", "2019-07-10", "2027-12-31"),
    _habilitate(EVAL_A, "clea_numerique", "certifpro-2019", "2019-07-10", "2027-12-31"),
    _habilitate(EVAL_B, "clea", "copanef-2015", "2016-01-01", "2019-12-31"),
    _org(TRAIN, "ile-de-france", "Formation", "RegisterTrainingOrganisation"),
    _org(
        TRAIN_LEGACY,
        "occitanie",
        "Formation habilitée",
        "RegisterTrainingOrganisation",
        legacy_habilitation_until="2019-12-31",
    ),
    cmd("RegisterBranchJury", "certifpro", "2019-01-10", branch_code=BRANCH, name="CPNE 1517"),
    cmd("RegisterBranchJury", "certifpro", "2019-01-10", branch_code=OTHER_BRANCH, name="CPNE 16"),
]


def siret_of(c: Case) -> str:
    """An evaluator organisation of the case's own (14 digits, stable)."""
    return f"9{zlib.crc32(c.id.encode()):013d}"


def criteria(cert: str, domains: tuple[str, ...] | None = None, on: date = date(2021, 1, 1)) -> list[str]:
    """Every criterion of ``domains`` (all of them by default) of the referential in force."""
    spec = ref.version_in_force(CertificateType(cert), on)
    return [x for d in spec.domains if domains is None or d.code in domains for x in d.criteria()]


class Journey:
    """Commands about the candidate of one case."""

    def __init__(self, c: Case, cert: str = "clea") -> None:
        self.person = str(uuid.uuid5(uuid.NAMESPACE_URL, f"law-clea-cli:{c.id}"))
        self.cert = cert
        self.id = str(candidate_id(uuid.UUID(self.person), CertificateType(cert)))
        self.events = 0

    def __call__(self, command: str, body: str, when: date | str, **f: Any) -> Cmd:
        """A command on this candidate."""
        return cmd(command, body, when, candidate_id=self.id, **f)

    def register(self, when: date | str = "2021-03-01", siret: str = EVAL_A) -> Cmd:
        """Registration by an evaluator organisation."""
        return cmd(
            "RegisterCandidate",
            "evaluator_org",
            when,
            person_id=self.person,
            certificate=self.cert,
            evaluator_siret=siret,
        )

    def prealable(
        self,
        passed: list[str],
        when: date | str = "2021-03-10",
        siret: str = EVAL_A,
        evaluator: str = "eval-1",
    ) -> Cmd:
        """The évaluation préalable."""
        return self(
            "RecordPriorEvaluation",
            "evaluator_org",
            when,
            evaluator_siret=siret,
            evaluator_id=evaluator,
            passed=passed,
        )

    def start(
        self,
        missing: tuple[str, ...] = (),
        when: date | str = "2021-03-10",
        siret: str = EVAL_A,
        evaluator: str = "eval-1",
    ) -> list[Cmd]:
        """Registered and evaluated, every domain acquired but ``missing``."""
        on = date.fromisoformat(str(when))
        spec = ref.version_in_force(CertificateType(self.cert), on)
        kept = tuple(d for d in spec.domain_codes() if d not in missing)
        passed = criteria(self.cert, kept, on)
        return [self.register(when, siret), self.prealable(passed, when, siret, evaluator)]

    def plan(self, domains: tuple[str, ...], when: date | str = "2021-03-20") -> Cmd:
        """A training plan."""
        return self(
            "AssignTrainingPlan",
            "evaluator_org",
            when,
            domains=list(domains),
            training_org_siret=TRAIN,
            planned_hours=70,
        )

    def train(self, when: date | str = "2021-06-30", trainer: str = "trainer-1", siret: str = TRAIN) -> Cmd:
        """The training completed."""
        return self("CompleteTraining", "training_org", when, training_org_siret=siret, trainer_id=trainer)

    def final(self, domains: tuple[str, ...], passed: list[str], when: date | str = "2021-07-15") -> Cmd:
        """The final evaluation."""
        return self(
            "RecordFinalEvaluation",
            "evaluator_org",
            when,
            evaluator_siret=EVAL_A,
            evaluator_id="eval-2",
            domains=list(domains),
            passed=passed,
        )

    def submit(self, when: date | str = "2021-07-30", siret: str = EVAL_A, **f: Any) -> Cmd:
        """The evaluator organisation submits the dossier (to ``branch_code``'s jury, else paritaire)."""
        return self("SubmitToJury", "evaluator_org", when, evaluator_siret=siret, **f)

    def jury(self, when: date | str = "2021-07-30", body: str = "jury_paritaire", **f: Any) -> Cmd:
        """The jury's decision (a paritaire pair unless ``members`` is given)."""
        f.setdefault("members", PAIR)
        return self("DecideJury", body, when, **f)

    def issue(self, when: date | str = "2021-08-02", body: str = "certifpro") -> Cmd:
        """The certificate issued."""
        return self("IssueCleaCertificate", body, when)

    def certified(self, issued: date | str = "2021-08-02") -> tuple[list[Cmd], str]:
        """A candidate with every domain at the préalable, a jury and a certificate; its id."""
        setup = [*self.start(), self.submit(issued), self.jury(issued), self.issue(issued)]
        return setup, str(certificate_id(uuid.UUID(self.id), len(setup)))


D = date.fromisoformat


# ============================================================================ organisations
def habilitation_by_certifpro_campaign(c: Case) -> Scenario:
    a, siret = c.args, siret_of(c)
    campaign = a["campaign"].id if a["campaign"] else "unknown-2019"
    return [_org(siret, "bretagne", "Evaluateur")], _habilitate(
        siret, a["certificate"].value, campaign, a["valid_from"], a["valid_to"]
    )


def _windowed(c: Case, cert: str = "clea") -> list[Cmd]:
    """The case's organisation with the table's window (certifpro-2019, maybe withdrawn)."""
    (window,) = c.args["windows"]
    siret = siret_of(c)
    setup = [
        _org(siret, "bretagne", "Evaluateur"),
        _habilitate(siret, window.certificate.value, window.campaign, window.valid_from, window.valid_to),
    ]
    if window.withdrawn_on:
        setup.append(
            cmd("WithdrawHabilitation", "certifpro", window.withdrawn_on, siret=siret, certificate=cert)
        )
    return setup


def evaluator_habilitated_on_date(c: Case) -> Scenario:
    j = Journey(c, c.args["certificate"].value)
    return _windowed(c), j.register(c.args["day"], siret_of(c))


def withdraw_habilitation_in_force(c: Case) -> Scenario:
    siret, cert = siret_of(c), c.args["certificate"].value
    return _windowed(c), cmd(
        "WithdrawHabilitation", "certifpro", c.args["day"], siret=siret, certificate=cert
    )


def training_habilitation_before_2019_07_01(c: Case) -> Scenario:
    """Training on the day, after a préalable by the COPANEF-habilitated evaluator."""
    j = Journey(c)
    setup = [*j.start(("D6", "D7"), "2019-03-02", EVAL_B), j.plan(("D6", "D7"), "2019-03-20")]
    siret = TRAIN_LEGACY if c.args["legacy_until"] else TRAIN
    return setup, j.train(c.args["day"], siret=siret)


def branch_jury_may_award(c: Case) -> Scenario:
    j = Journey(c, c.args["certificate"].value)
    code = BRANCH if c.args["awards"] else "IDCC-9999"
    submitted = [j.submit(branch_code=code)] if c.allowed else []
    return j.start() + submitted, j.jury(body="branch_jury", branch_code=code)


# ============================================================================ evaluation
def certified_independently(c: Case) -> Scenario:
    j = Journey(c)
    return [j.register()], j.prealable(list(c.args["criteria"]))


def referential_has_all_domains(c: Case) -> Scenario:
    j = Journey(c)
    return [j.register()], j.prealable(criteria("clea", ("D1",)))


def new_prealable_only_after_window(c: Case) -> Scenario:
    j, day, end = Journey(c), c.args["day"], c.args["current_end"]
    if end is None:
        return [j.register(day, EVAL_B)], j.prealable([], day, EVAL_B)
    first = end.replace(year=end.year - 5)
    return [j.register(first, EVAL_B), j.prealable([], first, EVAL_B)], j.prealable([], day)


def within_five_years_of_prealable(c: Case) -> Scenario:
    j, on = Journey(c), c.args["prealable_on"]
    if on is None:
        return [j.register(c.args["day"])], j.plan(("D7",), c.args["day"])
    siret = EVAL_B if on < date(2019, 7, 10) else EVAL_A
    return j.start(("D7",), on, siret), j.plan(("D7",), c.args["day"])


def evaluator_is_not_trainer(c: Case) -> Scenario:
    j = Journey(c)
    (evaluator,), (trainer,) = c.args["evaluators"], c.args["trainers"]
    return [*j.start(("D7",), evaluator=evaluator), j.plan(("D7",))], j.train(trainer=trainer)


def plan_targets_missing_domains(c: Case) -> Scenario:
    j = Journey(c)
    return j.start(tuple(c.args["missing"])), j.plan(tuple(c.args["plan"]))


def final_evaluation_of_missing_domains(c: Case) -> Scenario:
    j, a = Journey(c), c.args
    return j.start(tuple(a["missing"])), j.final(tuple(a["domains"]), list(a["criteria"]))


def final_evaluation_after_training(c: Case) -> Scenario:
    j = Journey(c)
    setup = [*j.start(("D7",)), j.plan(("D7",))]
    if c.args["trained_since_plan"]:
        setup.append(j.train())
    return setup, j.final(("D7",), criteria("clea", ("D7",)))


def training_follows_plan(c: Case) -> Scenario:
    j = Journey(c)
    setup = j.start(("D7",))
    return setup + ([j.plan(("D7",))] if c.args["has_plan"] else []), j.train()


def all_domains_acquired_before_jury(c: Case) -> Scenario:
    j = Journey(c)
    submitted = [] if c.args["missing"] else [j.submit()]
    return j.start(tuple(c.args["missing"])) + submitted, j.jury()


def jury_is_paritaire(c: Case) -> Scenario:
    j = Journey(c)
    members = [{"person_id": m.person_id, "side": m.side.value} for m in c.args["members"]]
    return [*j.start(), j.submit()], j.jury(members=members)


# ============================================================================ submission
def _to(key: str | None) -> dict[str, str]:
    """``branch_code`` of a jury key (``branch_jury:<code>``); nothing for the jury paritaire."""
    return {"branch_code": key.split(":", 1)[1]} if key and key.startswith("branch_jury:") else {}


def submission_by_candidate_evaluator(c: Case) -> Scenario:
    j = Journey(c)
    return j.start(), j.submit(siret=c.args["deciding_siret"])


def dossier_submitted_once(c: Case) -> Scenario:
    j, a = Journey(c), c.args
    setup = j.start()
    if a["pending"]:
        setup.append(j.submit())
    elif a["awarded"] or "after" in c.id:
        setup += [j.submit(), j.jury(awarded=a["awarded"])]
    return setup, j.submit("2021-08-01")


def jury_decides_submitted_dossier(c: Case) -> Scenario:
    j, a = Journey(c), c.args
    setup = j.start()
    if a["seized"]:
        setup.append(j.submit(a["submitted_on"], **_to(a["seized"])))
    deciding = _to(a["deciding"])
    body = "branch_jury" if deciding else "jury_paritaire"
    return setup, j.jury(a["day"], body=body, **deciding)


# ============================================================================ certificates
def certificate_after_favourable_jury(c: Case) -> Scenario:
    j, awarded = Journey(c), c.args["awarded"]
    setup = j.start()
    if awarded is not None:
        setup += [j.submit(), j.jury(awarded=awarded)]
    return setup, j.issue()


def one_active_certificate(c: Case) -> Scenario:
    j = Journey(c)
    setup = [*j.start(), j.submit(), j.jury()]
    return setup + ([j.issue()] if c.args["active"] else []), j.issue("2021-08-03")


def certificate_is_active(c: Case) -> Scenario:
    j = Journey(c)
    setup, cert = j.certified()
    if not c.args["found"]:
        cert = str(uuid.uuid5(uuid.NAMESPACE_URL, f"no-such-certificate:{c.id}"))
    return setup, j("RecordAccrochage", "certifpro", "2021-08-10", certificate_id=cert)


def accrochage_once(c: Case) -> Scenario:
    j = Journey(c)
    setup, cert = j.certified()
    report = j("RecordAccrochage", "certifpro", "2021-08-10", certificate_id=cert)
    return setup + ([report] if c.args["already"] else []), report | {"effective_date": "2021-08-11"}


def accrochage_after_issue(c: Case) -> Scenario:
    j = Journey(c)
    setup, cert = j.certified(c.args["issued_on"])
    return setup, j("RecordAccrochage", "certifpro", c.args["reported_on"], certificate_id=cert)


def deadline_missed_after_due_date(c: Case) -> Scenario:
    j, a = Journey(c), c.args
    if a["kind"].value == "accrochage":
        setup, cert = j.certified(a["due_by"].replace(month=a["due_by"].month - 3))
        return setup, j(
            "RecordCleaDeadlineMissed", "certifpro", a["day"], kind="accrochage", certificate_id=cert
        )
    opened = a["due_by"].replace(year=a["due_by"].year - 5)
    setup = [*j.start((), opened, EVAL_B), j.submit(opened, EVAL_B), j.jury(opened), j.issue(opened)]
    return setup, j("RecordCleaDeadlineMissed", "certifpro", a["day"], kind=a["kind"].value)


def _erase(j: Journey, body: str, siret: str | None = EVAL_A, reason: str = "Demande RGPD art. 17") -> Cmd:
    return j("EraseCandidate", body, "2021-04-01", evaluator_siret=siret, reason=reason)


def candidate_not_erased(c: Case) -> Scenario:
    j = Journey(c)
    setup = j.start(("D7",)) + ([_erase(j, "certifpro", None)] if c.args["erased"] else [])
    return setup, j.plan(("D7",), "2021-04-02")


def erasure_by_candidate_evaluator(c: Case) -> Scenario:
    j, a = Journey(c), c.args
    return [j.register()], _erase(j, a["body"].value, a["deciding_siret"])


def erasure_has_reason(c: Case) -> Scenario:
    j = Journey(c)
    return [j.register()], _erase(j, "evaluator_org", reason=c.args["reason"])


def body_has_power(c: Case) -> Scenario:
    j = Journey(c)
    if c.args["action"] == "erase":
        return [j.register()], _erase(j, c.args["body"].value)
    return [*j.start(), j.submit(), j.jury()], j.issue(body=c.args["body"].value)


_CLEA = (
    habilitation_by_certifpro_campaign,
    evaluator_habilitated_on_date,
    withdraw_habilitation_in_force,
    training_habilitation_before_2019_07_01,
    branch_jury_may_award,
    certified_independently,
    referential_has_all_domains,
    new_prealable_only_after_window,
    within_five_years_of_prealable,
    evaluator_is_not_trainer,
    plan_targets_missing_domains,
    final_evaluation_of_missing_domains,
    final_evaluation_after_training,
    training_follows_plan,
    all_domains_acquired_before_jury,
    jury_is_paritaire,
    submission_by_candidate_evaluator,
    dossier_submitted_once,
    jury_decides_submitted_dossier,
    certificate_after_favourable_jury,
    one_active_certificate,
    certificate_is_active,
    accrochage_once,
    accrochage_after_issue,
    deadline_missed_after_due_date,
    candidate_not_erased,
    erasure_by_candidate_evaluator,
    erasure_has_reason,
)
BUILDERS: dict[str, Callable[[Case], Scenario]] = {
    **{f"clea.{f.__name__}": f for f in _CLEA},
    "shared.body_has_power": body_has_power,
}

# Cases no command can reach, with why (their verdict is tested on the pure rule).
UNREACHABLE: dict[str, str] = {
    "clea.referential_has_all_domains:six": (
        "a referential is reference data shipped with the ledger (every shipped version is complete, "
        "tests/unit/clea check them); no command submits one"
    ),
    "clea.plan_targets_missing_domains:empty-plan": (
        "AssignTrainingPlan's schema requires at least one domain: the command is refused as invalid "
        "(exit 2) before the rule"
    ),
    "clea.jury_decides_submitted_dossier:paritaire-legacy-decided": (
        "a jury decision stored before submissions existed: no command records one any more (the "
        "stored case is tested in tests/unit/clea/test_jury_submission.py)"
    ),
    "clea.jury_is_paritaire:empty": (
        "DecideJury's schema requires at least two members: refused as invalid before the rule"
    ),
}
UNREACHABLE_RULES: dict[str, str] = {
    "clea.sub_domain_meets_threshold": (
        "it scores, it never refuses: the préalable and the final evaluation record each sub-domain "
        "as acquired or not (checked through the console script by its own test)"
    ),
}
