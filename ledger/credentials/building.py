"""What a certificate's credential states, gathered from the events, and the unsigned credential.

The credential is an Open Badges 3.0 ``OpenBadgeCredential`` (1EdTech JSON Schema valid): the
deciding body as issuer (its school or Certif'Pro as ``parentOrg``), the achievement with its
units or domains as results, the EQF level, the holder as an ``IdentityObject`` only
(:mod:`ledger.credentials.holder`: no learner id, no name in clear), the status list entry and
the proof of recording (:mod:`ledger.credentials.recording`), whose terms the ledger's own
context defines, so that the RDF proof covers every field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from ledger.credentials.loader import CREDENTIALS_V2, LEDGER_V1, OPEN_BADGES_V3
from ledger.domain.errors import UnknownEntity


# ---------------------------------------------------------------------------- certificate facts
@dataclass
class CertificateFacts:
    """What a credential states about one certificate, gathered from the events."""

    certificate_id: str
    learner_id: str
    event_id: str
    position: int
    status: str
    effective_date: date
    issuer: dict[str, Any]
    achievement: dict[str, Any]
    results: list[dict[str, Any]]
    title: str
    person_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    revoked_on: str | None = None
    revocation_reason: str | None = None

    @property
    def issuer_id(self) -> str:
        """The DID of the deciding body that issues the credential."""
        return str(self.issuer["id"])


def _iso_day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _body_label(body: str) -> str:
    labels = {
        "jury_qualification": "Jury de qualification",
        "conseil_classe": "Conseil de classe",
        "direction": "Direction",
        "branch_jury": "Jury de branche",
        "certifpro": "Certif'Pro",
        "jury_paritaire": "Jury paritaire",
    }
    return labels.get(body, body.replace("_", " ").capitalize())


def _fase_at(learner: Any, version: int) -> int:
    """The learner's school (FASE) when the event at ``version`` was recorded."""
    fase = int(learner.fase)
    for ver in sorted(learner.log):
        if ver > version:
            break
        ev = learner.log[ver]
        fase = int(getattr(ev, "to_fase", None) or getattr(ev, "fase", None) or fase)
    return fase


def _school_profile(root: str, fase: int) -> dict[str, Any]:
    from ledger.reference import cpu as ref

    school = ref.school(fase)
    return {
        "id": f"{root}:issuers:fase-{fase}",
        "type": ["Profile"],
        "name": school.name,
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": str(fase), "identifierType": "identifier"}
        ],
        "address": {
            "type": ["Address"],
            "addressLocality": school.locality,
            "postalCode": school.postal_code,
            "addressCountryCode": "BE",
        },
    }


def _cpu_facts(store: Any, root: str, learner: Any, ev: Any, position: int, status: str) -> CertificateFacts:
    """The facts of a CPU certificate; its profile is the one the learner was admitted under.

    That is the administration's publication of the version if the store holds it, else the
    shipped reference profile (:func:`ledger.application.profiles.resolve`, as admissions do).
    """
    from ledger.application import profiles
    from ledger.application.queries import replay
    from ledger.reference import cpu as ref

    profile = profiles.resolve(lambda ident: replay(store, ident), ev.profile_version).profile
    option = ref.option(profile.option_code)
    fase = _fase_at(learner, ev.originator_version)
    body = ev.decision.body.value
    school = _school_profile(root, fase)
    issuer = {
        "id": f"{school['id']}:{body}",
        "type": ["Profile"],
        "name": f"{_body_label(body)} — {school['name']}",
        "otherIdentifier": school["otherIdentifier"],
        "parentOrg": school,
    }
    kind = ev.kind.value
    names = {"CQ": "Certificat de qualification", "CE6P": "Certificat d'études de 6e professionnelle"}
    title = f"{names.get(kind, kind)} — {option.name_masculine}"
    achievement_id = f"urn:ledger:achievement:cpu:{kind.lower()}:{profile.version}"
    descriptions = [
        {
            "id": f"{achievement_id}#{u.code}",
            "type": ["ResultDescription"],
            "name": f"{u.code} — {u.title}",
            "resultType": "Status",
        }
        for u in profile.uaa
    ]
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title,
        "humanCode": kind,
        "inLanguage": "fr",
        "fieldOfStudy": option.name_masculine,
        "version": profile.version,
        "description": f"{names.get(kind, kind)} (Fédération Wallonie-Bruxelles, CPU), "
        f"profil de certification {profile.version}.",
        "criteria": {
            "narrative": "Toutes les unités d'acquis d'apprentissage (UAA) du profil "
            "validées, ou décision souveraine motivée du jury de qualification "
            "(AGCF 2018-08-29)."
        },
        "resultDescription": descriptions,
    }
    if profile.eqf_level is not None:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetType": "ext:EQFLevel",
                "targetCode": str(profile.eqf_level),
                "targetName": f"EQF level {profile.eqf_level}",
                "targetFramework": "European Qualifications Framework",
                "targetUrl": "https://europass.europa.eu/en/description-eight-eqf-levels",
            }
        ]
    results = [
        {"type": ["Result"], "resultDescription": f"{achievement_id}#{code}", "status": "Completed"}
        for code in ev.validated_uaa
    ]
    return CertificateFacts(
        str(ev.certificate_id),
        str(learner.id),
        f"{learner.id}/{ev.originator_version}",
        position,
        status,
        ev.decision.effective_date,
        issuer,
        achievement,
        results,
        title,
        extra={"basis": ev.basis.value},
    )


CERTIFPRO = {
    "name": "Certif'Pro — Association nationale pour la certification paritaire "
    "interprofessionnelle et l'évolution professionnelle",
    "addressCountryCode": "FR",
}


def _clea_issuer(root: str, ev: Any) -> dict[str, Any]:
    certifpro = {
        "id": f"{root}:issuers:certifpro",
        "type": ["Profile"],
        "name": CERTIFPRO["name"],
        "address": {"type": ["Address"], "addressCountryCode": "FR"},
    }
    if ev.branch_code is None:
        return certifpro
    return {
        "id": f"{root}:issuers:branch-{ev.branch_code}",
        "type": ["Profile"],
        "name": f"Jury de branche {ev.branch_code}",
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": ev.branch_code, "identifierType": "identifier"}
        ],
        "parentOrg": certifpro,
    }


def _clea_facts(root: str, cand: Any, ev: Any, position: int, status: str) -> CertificateFacts:
    from ledger.reference import clea as ref

    doc = ref.referential(ev.certificate)
    code = ev.certificate.value
    achievement_id = f"urn:ledger:achievement:clea:{code}"
    domains = {d.code: d.label for d in doc.domains}
    achievement = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": doc.name,
        "humanCode": code.replace("_", "-").upper(),
        "inLanguage": "fr",
        "version": ", ".join(ev.referential_versions),
        "description": f"{doc.name} (France, Code du travail D6113-30), délivré par Certif'Pro "
        "ou un jury de branche.",
        "criteria": {
            "narrative": "Tous les domaines du référentiel acquis (évaluation préalable "
            "et finale), décision favorable du jury."
        },
        "resultDescription": [
            {
                "id": f"{achievement_id}#{c}",
                "type": ["ResultDescription"],
                "name": f"{c} — {label}",
                "resultType": "Status",
            }
            for c, label in domains.items()
        ],
    }
    results = [
        {"type": ["Result"], "resultDescription": f"{achievement_id}#{c}", "status": "Completed"}
        for c in ev.domains
    ]
    return CertificateFacts(
        str(ev.certificate_id),
        str(cand.id),
        f"{cand.id}/{ev.originator_version}",
        position,
        status,
        ev.issued_on,
        _clea_issuer(root, ev),
        achievement,
        results,
        doc.name,
        person_id=str(cand.person_id),
    )


def certificate_facts(store: Any, certificate_id: str, root: str, view: Any = None) -> CertificateFacts:
    """Gather the facts of one certificate (CPU or CléA), or :class:`UnknownEntity`.

    ``view`` (a :class:`ledger.application.queries.CertificateView`) answers the certificate's
    row from the log's tail; without one the issuance and revocation events are scanned.
    """
    from ledger.application.queries import certificate
    from ledger.domain.clea.aggregates import Candidate
    from ledger.domain.cpu.aggregates import Learner

    row = certificate(store, certificate_id, view=view)  # UnknownEntity when unknown
    agg: Any = store.repository.get(UUID(row["learner_id"]))
    for ev in agg.log.values():
        if str(getattr(ev, "certificate_id", "")) != certificate_id:
            continue
        if isinstance(ev, Learner.CertificateIssued):
            facts = _cpu_facts(store, root, agg, ev, row["position"], row["status"])
        elif isinstance(ev, Candidate.CertificateIssued):
            facts = _clea_facts(root, agg, ev, row["position"], row["status"])
        else:
            continue
        facts.revoked_on, facts.revocation_reason = row.get("revoked_on"), row.get("revocation_reason")
        return facts
    raise UnknownEntity("certificate issuance event", certificate_id)


def credential_context() -> list[Any]:
    """The ``@context`` of a ledger credential: VC 2.0, Open Badges 3.0.3, the ledger's terms."""
    return [CREDENTIALS_V2, OPEN_BADGES_V3, LEDGER_V1]


def unsigned_credential(
    facts: CertificateFacts,
    number: str,
    status: dict[str, Any] | None,
    identity: dict[str, Any] | None,
    evidence: dict[str, Any] | None,
) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` of a certificate published as ``number``, before its proofs.

    The holder is an ``IdentityObject`` when the identity store knows them, else an opaque
    random subject id: never the learner's id.
    """
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if identity is not None:
        subject["identifier"] = [identity]
    else:
        subject["id"] = f"urn:uuid:{uuid.uuid4()}"
    subject["achievement"] = facts.achievement
    if facts.results:
        subject["result"] = facts.results
    credential: dict[str, Any] = {
        "@context": credential_context(),
        "id": f"urn:uuid:{number}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.title,
        "issuer": facts.issuer,
        "validFrom": _iso_day(facts.effective_date),
        "awardedDate": _iso_day(facts.effective_date),
        "credentialSubject": subject,
    }
    if status is not None:
        credential["credentialStatus"] = status
    if evidence is not None:
        credential["evidence"] = [evidence]
    return credential


def issuers_of(store: Any, root: str) -> list[str]:
    """The DIDs of every issuer (and parent organisation) of the store's certificates."""
    from ledger.application.queries import certificates

    found: set[str] = set()
    for row in certificates(store):
        try:
            facts = certificate_facts(store, row.certificate_id, root)
        except UnknownEntity:
            continue
        found.add(facts.issuer_id)
        parent = facts.issuer.get("parentOrg")
        if isinstance(parent, dict) and isinstance(parent.get("id"), str):
            found.add(parent["id"])
    return sorted(found)
