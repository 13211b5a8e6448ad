"""A realistic, rule-abiding synthetic cohort, deterministic for a seed.

CPU learners over three school years (2019-20 to 2021-22) at real Annex II schools and
options with shipped profiles: failures and remediation, spiral validations, C2D years,
réorientations, transfers with on-time, late and missing competence reports, other Art. 5
routes, sovereign jury decisions, CE6P, and a few revocations. Commands are produced as
JSON-ready dicts, sorted by effective date, and recorded through the normal command path,
so every event obeys the rules.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ledger.reference import cpu as ref

FIRST_SY = 2019
GIVEN = [
    "Amine",
    "Léa",
    "Noah",
    "Emma",
    "Lucas",
    "Inès",
    "Louis",
    "Sarah",
    "Adam",
    "Lina",
    "Mehdi",
    "Zoé",
    "Hugo",
    "Chloé",
    "Yanis",
    "Manon",
    "Arthur",
    "Nora",
    "Théo",
    "Jade",
]
FAMILY = [
    "Dubois",
    "Lambert",
    "Martin",
    "Peeters",
    "Janssens",
    "Maes",
    "Leroy",
    "Dupont",
    "El Amrani",
    "Renard",
    "Simon",
    "Laurent",
    "Lejeune",
    "Dumont",
    "Goossens",
    "Claes",
]
SOVEREIGN_WHY = (
    "Le jury constate la maîtrise globale du métier malgré une UAA non validée; "
    "les stages et l'épreuve intégrée le démontrent."
)


@dataclass
class Cmd:
    """A command with its sort key."""

    when: date
    seq: int
    body: dict[str, Any]


@dataclass
class Plan:
    """Everything the generator knows about one learner while planning."""

    ident: UUID
    fase: int
    option: str
    form: str
    profile: ref.Profile
    validated: set[str] = field(default_factory=set)
    passed_on: dict[str, date] = field(default_factory=dict)
    open_remediation: set[str] = field(default_factory=set)
    national_number: str | None = None


class CohortGenerator:
    """Plans commands for options and learners."""

    def __init__(self, rng: random.Random, sites: dict[str, list[int]] | None = None) -> None:
        self.rng = rng
        self.cmds: list[Cmd] = []
        self.seq = 0
        self.sites = sites or self._sites()

    def _sites(self) -> dict[str, list[int]]:
        by_option: dict[str, list[int]] = {}
        schools = sorted(ref.schools().values(), key=lambda s: s.fase)
        for code, versions in sorted(ref.profiles().items()):
            form = versions[0].form
            fitting = [s.fase for s in schools if any(f.form == form for f in s.forms)]
            by_option[code] = self.rng.sample(fitting, k=min(4, len(fitting)))
        return by_option

    def add(self, when: date, **body: Any) -> None:
        """Queue a command dated ``when``."""
        self.seq += 1
        body.setdefault("effective_date", when.isoformat())
        self.cmds.append(Cmd(when, self.seq, body))

    def uuid(self) -> UUID:
        """A random (version 4) id drawn from the seeded generator."""
        return UUID(int=self.rng.getrandbits(128), version=4)

    # ------------------------------------------------------------------ options
    def open_options(self) -> None:
        """Open every demo option at its schools from 2018-19 (Art. 1)."""
        for code, fases in self.sites.items():
            for fase in fases:
                self.add(
                    date(2018, 6, 15),
                    command="OpenOption",
                    actor_id=f"dir-{fase}",
                    actor_role="head_of_school",
                    body="direction",
                    fase=fase,
                    option_code=code,
                    first_school_year=2018,
                )

    # ------------------------------------------------------------------ helpers
    def who(self, plan: Plan, body: str) -> dict[str, Any]:
        """Actor fields for a decision at the learner's school."""
        role = {
            "jury_qualification": "jury_president",
            "jury_delegate": "teacher",
            "conseil_classe": "head_of_school",
            "pedagogical_team": "teacher",
            "direction": "head_of_school",
            "conseil_admission": "head_of_school",
        }[body]
        return {
            "actor_id": f"{role}-{plan.fase}",
            "actor_role": role,
            "body": body,
            "fase": plan.fase,
            "learner_id": str(plan.ident),
        }

    def sit_unit(self, plan: Plan, uaa: str, test_day: date, p_pass: float) -> bool:
        """Authorisation, attempt and (if passed) validation of one UAA."""
        self.add(
            test_day - timedelta(days=7),
            command="AuthoriseTest",
            uaa=uaa,
            representatives_informed=True,
            **self.who(plan, "jury_qualification"),
        )
        passed = self.rng.random() < p_pass
        self.add(
            test_day,
            command="RecordAttempt",
            uaa=uaa,
            passed=passed,
            score=round(self.rng.uniform(60, 95) if passed else self.rng.uniform(20, 49), 1),
            **self.who(plan, "jury_delegate"),
        )
        if passed:
            self.add(
                test_day,
                command="ValidateUnit",
                uaa=uaa,
                via="test",
                delegate="enseignant-uaa",
                **self.who(plan, "jury_delegate"),
            )
            plan.validated.add(uaa)
            plan.passed_on[uaa] = test_day
        return passed

    def school_year_units(self, plan: Plan, sy: int, units: list[str], skill: float) -> None:
        """Sit a year's UAA spread over the year, remediation and a re-sit after failures."""
        first, last = date(sy, 10, 20), date(sy + 1, 5, 10)
        step = (last - first) / max(len(units), 1)
        for i, uaa in enumerate(units):
            day = first + step * i
            if self.sit_unit(plan, uaa, day, skill):
                continue
            self.add(
                day + timedelta(days=3),
                command="AssignRemediation",
                uaa=uaa,
                plan="Remédiation ciblée: 2 périodes par semaine pendant 4 semaines",
                **self.who(plan, "pedagogical_team"),
            )
            plan.open_remediation.add(uaa)
            nxt = units[i + 1] if i + 1 < len(units) else None
            if nxt and self.rng.random() < 0.25:
                continue  # validated spirally during the next UAA's test, see below
            if self.sit_unit(plan, uaa, day + timedelta(days=35), 0.75):
                self.add(
                    day + timedelta(days=35),
                    command="CompleteRemediation",
                    uaa=uaa,
                    **self.who(plan, "pedagogical_team"),
                )
                plan.open_remediation.discard(uaa)
        self._spiral(plan, units)

    def _spiral(self, plan: Plan, units: list[str]) -> None:
        for i, uaa in enumerate(units[:-1]):
            nxt = units[i + 1]
            if uaa in plan.validated or uaa not in plan.open_remediation or nxt not in plan.passed_on:
                continue
            day = plan.passed_on[nxt] + timedelta(days=1)
            self.add(
                day,
                command="ValidateUnit",
                uaa=uaa,
                via="spiral",
                during_test_of=nxt,
                **self.who(plan, "jury_qualification"),
            )
            self.add(day, command="CompleteRemediation", uaa=uaa, **self.who(plan, "pedagogical_team"))
            plan.validated.add(uaa)
            plan.open_remediation.discard(uaa)

    # ------------------------------------------------------------------ learners
    def admit(self, sy: int, year: int, route: str, **extra: Any) -> Plan:
        """Admit a new learner somewhere suitable."""
        p_only = route in {"A5_alternance", "A5_forme3"}
        codes = [
            c
            for c in self.sites
            if (not p_only or ref.profiles()[c][0].form == "P")
            and not (route == "A6_repeat_transformed" and sy == 2020 and c == "couvreur-etancheur")
        ]  # Art. 4 §5
        code = self.rng.choice(codes)
        fase = self.rng.choice(self.sites[code])
        profile = ref.profile_in_force(code, date(sy, 9, 1))
        plan = Plan(self.uuid(), fase, code, profile.form, profile)
        body = (
            "conseil_admission"
            if route.startswith("A5_") and route != "A5_same_option" and "repeat" not in route
            else "direction"
        )
        birth = date(sy - 15 - (year - 4), 1, 1) + timedelta(days=self.rng.randrange(365))
        identity = {
            "given_name": self.rng.choice(GIVEN),
            "family_name": self.rng.choice(FAMILY),
            "birth_date": birth.isoformat(),
            "national_number": f"{birth:%y%m%d}{self.rng.randrange(1000):03d}{self.rng.randrange(100):02d}",
        }
        plan.national_number = identity["national_number"]
        self.add(
            date(sy, 9, 1),
            command="AdmitLearner",
            option_code=code,
            school_year=sy,
            year=year,
            route=route,
            identity=identity,
            learner_id=str(plan.ident),
            actor_id=f"head_of_school-{fase}",
            actor_role="head_of_school",
            body=body,
            fase=fase,
            **extra,
        )
        return plan

    def units(self, plan: Plan, year: int) -> list[str]:
        """The UAA of one year of the learner's profile."""
        return [u.code for u in plan.profile.uaa_of_year(year)]

    def standard_learner(self) -> None:
        """Admitted in 4th in 2019; AOA/AOB, C2D or réorientation; 5th, 6th, CQ."""
        plan = self.admit(FIRST_SY, 4, "A4_standard")
        skill = self.rng.uniform(0.55, 0.97)
        self.school_year_units(plan, FIRST_SY, self.units(plan, 4), skill)
        roll = self.rng.random()
        end4 = date(FIRST_SY + 1, 6, 25)
        if roll < 0.04:
            self.add(
                date(FIRST_SY + 1, 1, 20),
                command="StartReorientationSupport",
                **self.who(plan, "conseil_classe"),
            )
            self.add(
                end4,
                command="IssueAttestation",
                kind="REORIENTATION",
                advice="Réorientation conseillée vers une option du secteur tertiaire",
                **self.who(plan, "conseil_classe"),
            )
            return
        if roll < 0.10:
            self.c2d_year(plan, skill)
            return
        kind = "AOB" if roll < 0.14 else "AOA"
        self.add(end4, command="IssueAttestation", kind=kind, **self.who(plan, "conseil_classe"))
        self.upper_years(plan, FIRST_SY + 1, skill)

    def c2d_year(self, plan: Plan, skill: float) -> None:
        """C2D attestation, PSSA (sometimes late), decision before 15 January."""
        sy = FIRST_SY + 1
        self.add(
            date(FIRST_SY + 1, 6, 25),
            command="IssueAttestation",
            kind="C2D",
            **self.who(plan, "conseil_classe"),
        )
        self.add(date(sy, 9, 1), command="RepeatYear", **self.who(plan, "conseil_classe"))
        pssa_day = date(sy, 10, 25) if self.rng.random() < 0.2 else date(sy, 10, 5)
        self.add(pssa_day, command="WritePssa", **self.who(plan, "conseil_classe"))
        if self.rng.random() < 0.25:
            self.add(
                date(sy + 1, 1, 10),
                command="DecideC2D",
                outcome="reorient",
                advice="Orientation vers une formation en alternance",
                **self.who(plan, "conseil_classe"),
            )
            return
        self.add(
            date(sy + 1, 1, 10), command="DecideC2D", outcome="continue", **self.who(plan, "conseil_classe")
        )
        missing = [u for u in self.units(plan, 4) if u not in plan.validated]
        self.school_year_units(plan, sy, missing, 0.9)
        self.add(
            date(sy + 1, 6, 25), command="IssueAttestation", kind="AOA", **self.who(plan, "conseil_classe")
        )
        self.add(date(sy + 1, 9, 1), command="PromoteLearner", **self.who(plan, "conseil_classe"))
        self.school_year_units(plan, sy + 1, self.units(plan, 5), skill)

    def upper_years(self, plan: Plan, sy5: int, skill: float) -> None:
        """5th (maybe a transfer), 6th, and the certificates."""
        self.add(date(sy5, 9, 1), command="PromoteLearner", **self.who(plan, "conseil_classe"))
        if self.rng.random() < 0.05:
            self.transfer(plan, date(sy5, 9, 20))
        self.school_year_units(plan, sy5, self.units(plan, 5), skill)
        self.maybe_revoke_validation(plan, date(sy5 + 1, 6, 1))
        self.sixth_year(plan, sy5 + 1, skill, self.units(plan, 6))

    def sixth_year(self, plan: Plan, sy6: int, skill: float, units: list[str]) -> None:
        """6th year UAA and the jury's certificate decision."""
        self.add(date(sy6, 9, 1), command="PromoteLearner", **self.who(plan, "conseil_classe"))
        self.school_year_units(plan, sy6, units, skill)
        self.certify(plan, date(sy6 + 1, 6, 28))

    def certify(self, plan: Plan, day: date) -> None:
        """CQ (all validated, or sovereign), CE6P in P, rare revocation."""
        missing = [u for u in plan.profile.uaa_codes() if u not in plan.validated]
        if not missing or (len(missing) == 1 and self.rng.random() < 0.5):
            extra = {"sovereign": True, "justification": SOVEREIGN_WHY} if missing else {}
            self.add(
                day, command="IssueCertificate", kind="CQ", **extra, **self.who(plan, "jury_qualification")
            )
            if self.rng.random() < 0.01:
                self.add(
                    day + timedelta(days=80),
                    command="RevokeCertificate",
                    certificate_ref="CQ",
                    reason="Fraude constatée à l'épreuve de l'UAA",
                    **self.who(plan, "jury_qualification"),
                )
        if plan.form == "P":
            self.add(day, command="IssueCertificate", kind="CE6P", **self.who(plan, "conseil_classe"))

    def maybe_revoke_validation(self, plan: Plan, day: date) -> None:
        """Rarely, a validation encoded by mistake is revoked and recorded again."""
        if not plan.validated or self.rng.random() > 0.02:
            return
        uaa = sorted(plan.validated)[0]
        self.add(
            day,
            command="RevokeDecision",
            revoke_ref=("ValidateUnit", uaa),
            reason="Erreur d'encodage: validation enregistrée sur le mauvais dossier",
            **self.who(plan, "jury_delegate"),
        )
        plan.validated.discard(uaa)

    def transfer(self, plan: Plan, day: date) -> None:
        """Change of school with the competence report on time, late or missing."""
        targets = [f for f in self.sites[plan.option] if f != plan.fase]
        if not targets:
            return
        old = plan.fase
        plan.fase = self.rng.choice(targets)
        self.add(
            day,
            command="TransferLearner",
            national_register_number=plan.national_number,
            **self.who(plan, "direction"),
        )
        roll = self.rng.random()
        sent = {
            "actor_id": f"head_of_school-{old}",
            "actor_role": "head_of_school",
            "body": "conseil_classe",
            "fase": old,
            "learner_id": str(plan.ident),
        }
        if roll < 0.6:
            self.add(day + timedelta(days=10), command="SendCompetenceReport", **sent)
        elif roll < 0.85:
            self.add(day + timedelta(days=30), command="SendCompetenceReport", **sent)
        else:
            self.add(
                day + timedelta(days=40),
                command="GiveFormalNotice",
                actor_id="agers-1",
                actor_role="administration",
                body="administration",
                fase=plan.fase,
                learner_id=str(plan.ident),
            )

    def other_route_learner(self) -> None:
        """Admit by an Art. 5 route other than the 4th year.

        Conseil d'admission, alternance, forme 3, repeaters of the transformed option (with
        jury recognition).
        """
        route = self.rng.choice(
            [
                "A5_admission_other",
                "A5_alternance",
                "A5_forme3",
                "A5_repeat_transformed",
                "A6_repeat_transformed",
            ]
        )
        if route == "A6_repeat_transformed":
            # Art. 6 §1, 5 §3: the 6th year of an option opened in 2018 is organised from 2020.
            sy6 = FIRST_SY + 1
            plan = self.admit(sy6, 6, route)
            self.recognise(plan, self.units(plan, 4) + self.units(plan, 5), date(sy6, 9, 20))
            self.school_year_units(plan, sy6, self.units(plan, 6), 0.85)
            self.certify(plan, date(sy6 + 1, 6, 28))
            return
        if route == "A5_repeat_transformed":
            plan = self.admit(FIRST_SY, 5, route)
            self.recognise(plan, self.units(plan, 4), date(FIRST_SY, 9, 20))
            self.school_year_units(plan, FIRST_SY, self.units(plan, 5), 0.85)
            self.sixth_year(plan, FIRST_SY + 1, 0.85, self.units(plan, 6))
            return
        extras: dict[str, dict[str, Any]] = {
            "A5_admission_other": {"prior_passed_year": self.rng.choice([4, 5, 6])},
            "A5_alternance": {"alternance_attestations": True},
            "A5_forme3": {"holds_forme3_cq": True},
        }
        plan = self.admit(FIRST_SY + 1, 5, route, **extras[route])
        self.school_year_units(plan, FIRST_SY + 1, self.units(plan, 4) + self.units(plan, 5), 0.8)
        self.sixth_year(plan, FIRST_SY + 2, 0.8, self.units(plan, 6))

    def recognise(self, plan: Plan, units: list[str], day: date) -> None:
        """The jury recognises UAA a repeater of the transformed option already masters."""
        for uaa in units:
            if self.rng.random() < 0.85:
                self.add(
                    day,
                    command="ValidateUnit",
                    uaa=uaa,
                    via="jury_recognition",
                    **self.who(plan, "jury_qualification"),
                )
                plan.validated.add(uaa)


def cpu_commands(rng: random.Random, learners: int) -> list[dict[str, Any]]:
    """The demo's CPU commands, in effective-date order."""
    gen = CohortGenerator(rng)
    gen.open_options()
    for _ in range(learners):
        if gen.rng.random() < 0.12:
            gen.other_route_learner()
        else:
            gen.standard_learner()
    gen.cmds.sort(key=lambda c: (c.when, c.seq))
    return [c.body for c in gen.cmds]


def cpu_chunks(seed: int, learners: int, chunk: int) -> Iterator[list[dict[str, Any]]]:
    """The CPU cohort in chunks of ``chunk`` learners (bounded memory at national scale).

    The first chunk also opens the options; each chunk is in effective-date order.
    """
    sites = CohortGenerator(random.Random(seed)).sites
    done, index = 0, 0
    while done < learners:
        gen = CohortGenerator(random.Random(f"{seed}/{index}"), sites)
        if index == 0:
            gen.open_options()
        size = min(chunk, learners - done)
        for _ in range(size):
            if gen.rng.random() < 0.12:
                gen.other_route_learner()
            else:
                gen.standard_learner()
        gen.cmds.sort(key=lambda c: (c.when, c.seq))
        yield [c.body for c in gen.cmds]
        done, index = done + size, index + 1


def demo_commands(seed: int, learners: int, candidates: int, recorded_on: date) -> Iterator[dict[str, Any]]:
    """Every demo command: CPU cohort, then CléA candidates (if that regime is installed)."""
    rng = random.Random(seed)
    yield from cpu_commands(rng, learners)
    if candidates:
        from ledger.demo.clea import clea_commands  # type: ignore[import-not-found,unused-ignore]

        yield from clea_commands(rng, candidates, recorded_on)


def resolve_refs(ledger: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Turn the generator's symbolic references into ids known only at recording time.

    ``certificate_ref`` names the kind of the learner's active certificate to revoke;
    ``revoke_ref`` names (command, UAA) of the validation to revoke.
    """
    if "certificate_ref" not in raw and "revoke_ref" not in raw:
        return raw
    from ledger.domain.cpu.aggregates import Learner
    from ledger.domain.cpu.values import CertificateKind

    body = dict(raw)
    learner = ledger.get(UUID(body["learner_id"]))
    if "certificate_ref" in body:
        cert = learner.active_certificate(CertificateKind(body.pop("certificate_ref")))
        body["certificate_id"] = str(cert.certificate_id) if cert else str(UUID(int=0))
    else:
        _, uaa = body.pop("revoke_ref")
        found = [e for e in learner.of_type(Learner.UnitValidated) if e.uaa == uaa]
        body["target_version"] = found[-1].originator_version if found else 1
        if found:
            body["body"] = found[-1].decision.body.value
    return body
