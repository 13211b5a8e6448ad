"""Named, pure rules of the CléA regime, each citing its source.

Every rule is declared with :func:`~ledger.domain.rules.rule` (so it is in the catalogue)
and returns a :class:`~ledger.domain.rules.Verdict`; the aggregates require it before
recording anything. Rules both regimes share (a body's power, no anticipated decision,
revocations) are in :mod:`ledger.domain.rules`. Sources are the Code du
travail (D6113-30, D6113-31, L6113-8), the arrêté of 19 February 2019 and Certif'Pro / COPANEF
rules as cited in DOMAIN.md §7 ([S22], [S52], [S54], [S58], [S60]).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date

from ledger.domain.clea.values import (
    ACCROCHAGE_FROM,
    ACCROCHAGE_MONTHS,
    RULESET_VERSION,
    TRAINING_HABILITATION_ENDS,
    VALIDITY_YEARS,
    Campaign,
    CertificateType,
    DeadlineKind,
    DomainResult,
    HabilitationWindow,
    JuryMember,
    ReferentialSpec,
    Side,
    SubDomainResult,
    SubDomainSpec,
)
from ledger.domain.kernel import Body
from ledger.domain.rules import Effect, Outcome, P, Refusal, Rule, because, rule

SRC = {
    "D6113-30": "Code du travail D6113-30 I (the seven domains)",
    "D6113-31": "Code du travail D6113-31 (socle and digital module each certified)",
    "L6113-8": "Code du travail L6113-8 (holder data to the SI CPF within 3 months)",
    "ARR-2019": "Arrêté du 19 février 2019 (Certif'Pro manages CléA)",
    "S22": "Certif'Pro candidate journey [S22]",
    "S52": "Branch agreement: branch jury issues CléA [S52]",
    "S54": "COPANEF habilitation and threshold rules from 2018-01-01 [S54][S55]",
    "S58": "Certif'Pro habilitation campaigns [S58][S59]",
    "S60": "No training habilitation from 2019-07-01 [S60]",
    "LEDGER": "ledger rule (corrections point at a decision)",
    "RGPD-17": "RGPD art. 17 (erased candidate)",
}

REGIME = "clea"


def _clea(name: str, source: str, effect: Effect = "refuses") -> Callable[[Callable[P, Outcome]], Rule[P]]:
    return rule(name, source, regime=REGIME, ruleset=RULESET_VERSION, effect=effect)


DOMAIN_COUNTS = {CertificateType.CLEA: 7, CertificateType.NUMERIQUE: 4, CertificateType.MANAGEMENT: 3}

# Which bodies may take which decision.
POWERS: dict[str, tuple[frozenset[Body], str]] = {
    "register_evaluator": (frozenset({Body.CERTIFPRO}), SRC["S58"]),
    "habilitate": (frozenset({Body.CERTIFPRO}), SRC["S58"]),
    "withdraw": (frozenset({Body.CERTIFPRO}), SRC["S58"]),
    "register_training_org": (frozenset({Body.CERTIFPRO, Body.TRAINING_ORG}), SRC["S60"]),
    "register_branch_jury": (frozenset({Body.CERTIFPRO}), SRC["S52"]),
    "register_candidate": (frozenset({Body.EVALUATOR_ORG}), SRC["S22"]),
    "prior_evaluation": (frozenset({Body.EVALUATOR_ORG}), SRC["S22"]),
    "training_plan": (frozenset({Body.EVALUATOR_ORG}), SRC["S22"]),
    "training_completed": (frozenset({Body.TRAINING_ORG}), SRC["S22"]),
    "final_evaluation": (frozenset({Body.EVALUATOR_ORG}), SRC["S22"]),
    "submit_to_jury": (frozenset({Body.EVALUATOR_ORG}), SRC["S22"]),
    "jury": (frozenset({Body.JURY_PARITAIRE, Body.BRANCH_JURY}), SRC["D6113-31"]),
    "issue": (frozenset({Body.CERTIFPRO, Body.BRANCH_JURY}), SRC["ARR-2019"]),
    "accrochage": (frozenset({Body.CERTIFPRO}), SRC["L6113-8"]),
    "revoke_certificate": (frozenset({Body.CERTIFPRO, Body.BRANCH_JURY}), SRC["ARR-2019"]),
    "deadline": (frozenset({Body.CERTIFPRO}), SRC["L6113-8"]),
    "erase": (
        frozenset({Body.CERTIFPRO, Body.EVALUATOR_ORG}),
        "RGPD art. 17 (erasure of personal data; the decisions stay, the identity goes)",
    ),
}


# ----------------------------------------------------------------------------- dates
def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_end(prealable_on: date) -> date:
    """Last day of the 5-year window opened by an évaluation préalable [S22]."""
    return add_months(prealable_on, 12 * VALIDITY_YEARS)


def accrochage_due(issued_on: date) -> date | None:
    """When holder data is due at the SI CPF (L6113-8: 3 months; from 1 July 2021)."""
    return add_months(issued_on, ACCROCHAGE_MONTHS) if issued_on >= ACCROCHAGE_FROM else None


# ----------------------------------------------------------------------------- organisations
@_clea("habilitation_by_certifpro_campaign", SRC["S58"])
def campaign_covers(
    campaign: Campaign | None, certificate: CertificateType, valid_from: date, valid_to: date
) -> Outcome:
    """Grant a habilitation only by a known campaign covering the certificate."""
    if campaign is None:
        return because("unknown Certif'Pro habilitation campaign")
    if certificate not in campaign.certificates:
        return because(
            "campaign {campaign_id} does not cover {certificate}",
            campaign_id=campaign.id,
            certificate=certificate.value,
        )
    if valid_from < campaign.decided_on:
        return because(
            "valid from {valid_from}, before the board decision of campaign {campaign_id} "
            "({campaign_decided_on})",
            valid_from=valid_from,
            campaign_id=campaign.id,
            campaign_decided_on=campaign.decided_on,
        )
    return None if valid_to > valid_from else because("validity ends before it starts")


@_clea("evaluator_habilitated_on_date", f"{SRC['S54']}; {SRC['D6113-31']}")
def habilitated_on(windows: Iterable[HabilitationWindow], certificate: CertificateType, day: date) -> Outcome:
    """Let only an organisation habilitated for the certificate on the date evaluate."""
    ok = any(w.certificate is certificate and w.covers(day) for w in windows)
    return (
        None
        if ok
        else because(
            "the organisation is not habilitated for {certificate} on {day}",
            certificate=certificate.value,
            day=day,
        )
    )


@_clea("withdraw_habilitation_in_force", SRC["S58"])
def withdrawable(windows: Iterable[HabilitationWindow], certificate: CertificateType, day: date) -> Outcome:
    """Withdraw a habilitation only while it is in force."""
    ok = any(w.certificate is certificate and w.covers(day) for w in windows)
    return (
        None
        if ok
        else because(
            "no habilitation for {certificate} in force on {day}", certificate=certificate.value, day=day
        )
    )


@_clea("training_habilitation_before_2019_07_01", SRC["S60"])
def training_org_may_train(legacy_until: date | None, day: date) -> Outcome:
    """Require a training habilitation before 1 July 2019 only."""
    ok = day >= TRAINING_HABILITATION_ENDS or (legacy_until is not None and day <= legacy_until)
    return (
        None
        if ok
        else because("training on {day} needed a CléA habilitation (required until 2019-06-30)", day=day)
    )


@_clea("branch_jury_may_award", SRC["S52"])
def branch_jury_may_award(
    awards: Collection[CertificateType] | None, certificate: CertificateType
) -> Outcome:
    """Let a registered branch jury award only the certificates it may award (CléA)."""
    if awards is None:
        return because("unknown branch jury")
    return (
        None
        if certificate in awards
        else because("this branch jury cannot award {certificate}", certificate=certificate.value)
    )


# ----------------------------------------------------------------------------- evaluation
@_clea("certified_independently", SRC["D6113-31"])
def certified_independently(
    referential: ReferentialSpec, criteria: Iterable[str], domains: Iterable[str]
) -> Outcome:
    """Assess each certificate on its own referential only: no result crosses over."""
    known_domains, known_criteria = set(referential.domain_codes()), referential.criteria()
    foreign = sorted(
        {c for c in criteria if c not in known_criteria} | {d for d in domains if d not in known_domains}
    )
    return (
        None
        if not foreign
        else because(
            "not in the {certificate} referential {referential_version}: {foreign}",
            certificate=referential.certificate.value,
            referential_version=referential.version,
            foreign=", ".join(foreign),
        )
    )


@_clea("sub_domain_meets_threshold", SRC["S54"])
def sub_domain_meets_threshold(spec: SubDomainSpec, passed: Collection[str]) -> Outcome:
    """Acquire a sub-domain when its passed share meets the threshold in force.

    Every mandatory criterion of the version in force must be passed too.
    """
    got = sum(1 for c in spec.criteria if c in passed)
    missing = [c for c in spec.mandatory if c not in passed]
    ok = got >= spec.threshold * len(spec.criteria) - 1e-9 and not missing
    return (
        None
        if ok
        else (
            because(
                "{code}: {got}/{total} passed, threshold {threshold:.0%}, mandatory not passed: {missing}",
                code=spec.code,
                got=got,
                total=len(spec.criteria),
                threshold=spec.threshold,
                missing=", ".join(missing),
            )
            if missing
            else because(
                "{code}: {got}/{total} passed, threshold {threshold:.0%}",
                code=spec.code,
                got=got,
                total=len(spec.criteria),
                threshold=spec.threshold,
            )
        )
    )


def score(
    referential: ReferentialSpec, domains: Sequence[str], passed: Collection[str]
) -> tuple[DomainResult, ...]:
    """Per-criterion results → sub-domain → domain, against the referential version given."""
    out = []
    for code in domains:
        spec = referential.domain(code)
        if spec is None:
            continue
        subs = tuple(
            SubDomainResult(
                code=sd.code,
                passed=tuple(c for c in sd.criteria if c in passed),
                failed=tuple(c for c in sd.criteria if c not in passed),
                threshold=sd.threshold,
                mandatory=sd.mandatory,
                acquired=sub_domain_meets_threshold(sd, passed).allowed,
            )
            for sd in spec.sub_domains
        )
        out.append(DomainResult(code=code, acquired=all(s.acquired for s in subs), sub_domains=subs))
    return tuple(out)


@_clea("referential_has_all_domains", SRC["D6113-30"])
def referential_complete(referential: ReferentialSpec) -> Outcome:
    """Require all domains of the referential (7 CléA, 4 Numérique, 3 Management)."""
    expected = DOMAIN_COUNTS[referential.certificate]
    return (
        None
        if len(referential.domains) == expected
        else because(
            "{referential_version} has {n_referential_domains} domains, {expected} expected",
            referential_version=referential.version,
            n_referential_domains=len(referential.domains),
            expected=expected,
        )
    )


@_clea("new_prealable_only_after_window", SRC["S22"])
def new_prealable_opens_window(current_end: date | None, day: date) -> Outcome:
    """Allow a new évaluation préalable only once the 5-year window has expired."""
    return (
        None
        if (current_end is None or day > current_end)
        else because(
            "the current window runs until {current_end}; no new évaluation préalable yet",
            current_end=current_end,
        )
    )


@_clea("within_five_years_of_prealable", SRC["S22"])
def within_window(prealable_on: date | None, day: date) -> Outcome:
    """Keep training, final evaluation, jury and certificate within 5 years of the préalable."""
    if prealable_on is None:
        return because("no évaluation préalable recorded")
    end = window_end(prealable_on)
    return (
        None
        if day <= end
        else because(
            "the window opened on {prealable_on} closed on {end}; a new évaluation préalable is required",
            prealable_on=prealable_on,
            end=end,
        )
    )


@_clea("evaluator_is_not_trainer", SRC["S22"])
def evaluator_is_not_trainer(evaluators: Collection[str], trainers: Collection[str]) -> Outcome:
    """Refuse the same person as evaluator and trainer (organisations may be shared)."""
    both = sorted(set(evaluators) & set(trainers))
    return (
        None
        if not both
        else because("the same person evaluated and trained the candidate: {both}", both=", ".join(both))
    )


@_clea("plan_targets_missing_domains", SRC["S22"])
def plan_covers_missing(plan: Collection[str], missing: Collection[str]) -> Outcome:
    """Target missing domains only (at least one) in the individual training plan."""
    extra = sorted(set(plan) - set(missing))
    return (
        None
        if (bool(plan) and not extra)
        else (
            because("plan domains not missing: {extra}", extra=", ".join(extra))
            if extra
            else because("the plan names no missing domain")
        )
    )


@_clea("final_evaluation_of_missing_domains", SRC["S22"])
def final_covers_missing(
    domains: Collection[str], criteria: Iterable[str], missing: Collection[str]
) -> Outcome:
    """Assess only domains still missing, and only their criteria, at the évaluation finale."""
    outside = sorted({c.split(".")[0] for c in criteria} - set(domains))
    extra = sorted(set(domains) - set(missing))
    reason = (
        because("already acquired or unknown: {extra}", extra=", ".join(extra))
        if extra
        else because("criteria of domains not evaluated: {outside}", outside=", ".join(outside))
        if outside
        else because("no domain to evaluate")
    )
    return None if (bool(domains) and not extra and not outside) else reason


@_clea("final_evaluation_after_training", SRC["S22"])
def training_done(open_plan: bool, trained_since_plan: bool) -> Outcome:
    """Hold the évaluation finale after the training of the individual plan."""
    return (
        None if (not open_plan or trained_since_plan) else because("the training plan has not been completed")
    )


@_clea("training_follows_plan", SRC["S22"])
def plan_open(has_plan: bool) -> Outcome:
    """Complete training only for an open individual training plan."""
    return None if has_plan else because("no open training plan")


# ----------------------------------------------------------------------------- jury, certificate
@_clea("all_domains_acquired_before_jury", f"{SRC['D6113-30']}; {SRC['S22']}")
def all_domains_acquired(missing: Collection[str], certificate: CertificateType) -> Outcome:
    """Let the jury decide only when every domain of the certificate is acquired."""
    n = DOMAIN_COUNTS[certificate]
    return (
        None
        if not missing
        else because(
            "{n_missing} of {n} domains not acquired: {missing}",
            n_missing=len(missing),
            n=n,
            missing=", ".join(missing),
        )
    )


PARITAIRE = "jury_paritaire"
"""The key of the jury paritaire (Certif'Pro) among the juries a dossier is submitted to."""


def jury_key(body: Body, branch_code: str | None) -> str:
    """The jury a decision speaks for: ``jury_paritaire`` or ``branch_jury:<code>``."""
    return f"branch_jury:{branch_code}" if body is Body.BRANCH_JURY else PARITAIRE


@_clea("submission_by_candidate_evaluator", SRC["S22"])
def submitted_by_candidate_evaluator(deciding_siret: str, candidate_siret: str) -> Outcome:
    """Only the candidate's own evaluator organisation submits the dossier to a jury."""
    # never names the candidate's evaluator organisation: another tenant's data
    return (
        None
        if deciding_siret == candidate_siret
        else because("only the candidate's own evaluator organisation submits the dossier to a jury")
    )


@_clea("dossier_submitted_once", SRC["S22"])
def submission_not_pending(pending: bool, awarded: bool) -> Outcome:
    """Submit a dossier to one jury at a time: not while a submission awaits its decision."""
    if pending:
        return because(
            "the dossier is already submitted to a jury and awaits its decision; "
            "revoke that submission (RevokeCleaDecision) before submitting it elsewhere"
        )
    return None if not awarded else because("a jury already awarded the certificate in this window")


@_clea("jury_decides_submitted_dossier", f"{SRC['S22']}; {SRC['S52']}")
def decided_by_seized_jury(
    seized: str | None, deciding: str, submitted_on: date | None, day: date
) -> Outcome:
    """A jury decides (and a branch jury issues) only on a dossier submitted to it."""
    if seized is None:
        return because("the dossier has not been submitted to a jury (SubmitToJury)")
    if seized != deciding:
        return because("the dossier was not submitted to this jury")
    if submitted_on is not None and day < submitted_on:
        return because(
            "decided on {day}, before the dossier was submitted on {submitted_on}",
            day=day,
            submitted_on=submitted_on,
        )
    return None


@_clea("jury_is_paritaire", SRC["S22"])
def jury_is_paritaire(members: Sequence[JuryMember]) -> Outcome:
    """Require employer and employee representatives in equal numbers (jury paritaire)."""
    employers = sum(1 for m in members if m.side is Side.EMPLOYER)
    employees = sum(1 for m in members if m.side is Side.EMPLOYEE)
    ids = [m.person_id for m in members]
    ok = employers >= 1 and employers == employees and len(set(ids)) == len(ids)
    return (
        None
        if ok
        else because(
            "{employers} employer and {employees} employee representative(s), distinct members in "
            "equal numbers required",
            employers=employers,
            employees=employees,
        )
    )


@_clea("certificate_after_favourable_jury", SRC["D6113-31"])
def jury_awarded(awarded: bool | None) -> Outcome:
    """Issue a certificate only after the jury's favourable decision."""
    return None if bool(awarded) else because("no favourable jury decision in the current window")


@_clea("one_active_certificate", SRC["ARR-2019"])
def no_active_certificate(active: bool) -> Outcome:
    """Allow one active certificate per candidate and certificate type."""
    return None if not active else because("an active certificate already exists; revoke it first")


@_clea("certificate_is_active", SRC["ARR-2019"])
def certificate_exists(found: bool) -> Outcome:
    """Require an issued, unrevoked certificate of the candidate."""
    return None if found else because("no active certificate with that id for this candidate")


@_clea("accrochage_once", SRC["L6113-8"])
def accrochage_once(already: bool) -> Outcome:
    """Report holder data to the SI CPF once per certificate."""
    return None if not already else because("the accrochage of this certificate is already recorded")


@_clea("accrochage_after_issue", SRC["L6113-8"])
def accrochage_after_issue(reported_on: date, issued_on: date) -> Outcome:
    """Holder data is reported to the SI CPF after the certificate is issued."""
    return (
        None
        if reported_on >= issued_on
        else because(
            "reported on {reported_on}, before the issue on {issued_on}",
            reported_on=reported_on,
            issued_on=issued_on,
        )
    )


@_clea("deadline_missed_after_due_date", f"{SRC['L6113-8']} (accrochage); {SRC['S22']} (window)")
def deadline_overdue(kind: DeadlineKind, due_by: date | None, done: bool, day: date, seen: bool) -> Outcome:
    """Record a missed deadline (accrochage, window) once, after it passed undone."""
    source = SRC["L6113-8"] if kind is DeadlineKind.ACCROCHAGE else SRC["S22"]
    ok = due_by is not None and not done and day > due_by and not seen
    if ok:
        return None
    return Refusal(
        because(
            "no overdue {kind} on {day} (due {due_by}, done {done}, already recorded {seen})",
            kind=kind.value,
            day=day,
            due_by=due_by,
            done=done,
            seen=seen,
        ),
        source,
    )


def acquired_map(results: Iterable[DomainResult]) -> Mapping[str, bool]:
    """Domain code → acquired, from computed results."""
    return {r.code: r.acquired for r in results}


# ----------------------------------------------------------------------------- erasure (RGPD)
@_clea("candidate_not_erased", SRC["RGPD-17"])
def candidate_not_erased(erased: bool) -> Outcome:
    """No decision is recorded about a candidate whose identity was erased."""
    return None if not erased else because("the candidate's personal data was erased; no further decision")


@_clea("erasure_by_candidate_evaluator", SRC["RGPD-17"])
def erasure_by_candidate_evaluator(body: Body, deciding_siret: str | None, candidate_siret: str) -> Outcome:
    """An evaluator organisation erases only its own candidates (Certif'Pro erases any)."""
    # never names the candidate's evaluator organisation: another tenant's data
    if body is not Body.EVALUATOR_ORG or deciding_siret == candidate_siret:
        return None
    return because(
        "the candidate is not registered with the evaluator organisation {siret}",
        siret=deciding_siret or "?",
    )


@_clea("erasure_has_reason", SRC["RGPD-17"])
def erasure_has_reason(reason: str | None) -> Outcome:
    """An erasure states its lawful reason."""
    return None if bool(reason and reason.strip()) else because("an erasure needs its lawful reason")
