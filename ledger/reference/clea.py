"""Loaders for the CléA referentials (CléA, CléA Numérique, CléA Management) and campaigns.

Each certificate's referential is one JSON file under ``data/clea``: domains, sub-domains and
criteria with labels, sources and a ``confirmed`` flag, plus threshold VERSIONS with their
effective dates. The loader validates counts, unique codes and thresholds (0..1), and
selects the version in force on a date. Thresholds are configuration, not code.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ledger.domain.clea.values import (
    Campaign,
    CertificateType,
    DomainSpec,
    ReferentialSpec,
    SubDomainSpec,
)
from ledger.domain.errors import UnknownEntity
from ledger.domain.rules import because
from ledger.reference.errors import ReferenceDataError

FILES = {
    CertificateType.CLEA: "clea.json",
    CertificateType.NUMERIQUE: "clea_numerique.json",
    CertificateType.MANAGEMENT: "clea_management.json",
}


LabelStatus = Literal["found", "PARTIAL", "EN_ONLY", "not-found"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CriterionDoc(_Strict):
    """A criterion: code, label, sources and whether a stored source confirms it."""

    code: str = Field(pattern=r"^[A-Z][0-9]\.[0-9]{1,2}\.[0-9]{1,2}$")
    label: str = Field(min_length=1)
    sources: tuple[str, ...] = ()
    confirmed: bool
    label_status: LabelStatus = "found"
    confidence: str = ""
    note: str = ""


class SubDomainDoc(_Strict):
    """A sub-domain and its criteria."""

    code: str = Field(pattern=r"^[A-Z][0-9]\.[0-9]{1,2}$")
    label: str = Field(min_length=1)
    sources: tuple[str, ...] = ()
    confirmed: bool
    label_status: LabelStatus = "found"
    confidence: str = ""
    note: str = ""
    criteria: tuple[CriterionDoc, ...] = Field(min_length=1)


class DomainDoc(_Strict):
    """A domain (or area) and its sub-domains."""

    code: str = Field(pattern=r"^[A-Z][0-9]$")
    label: str = Field(min_length=1)
    label_en: str | None = None
    sources: tuple[str, ...] = ()
    confirmed: bool
    label_status: LabelStatus = "found"
    confidence: str = ""
    note: str = ""
    sub_domains: tuple[SubDomainDoc, ...] = Field(min_length=1)


class Expected(_Strict):
    """The counts the referential must have."""

    domains: int
    sub_domains: int
    criteria: int
    confirmed: bool
    sources: tuple[str, ...] = ()
    note: str = ""


class VersionDoc(_Strict):
    """A threshold version of a referential, in force from its effective date."""

    version: str = Field(pattern=r"^[a-z]+-v[0-9]{4}[a-z]?$")
    effective_from: date
    confirmed: bool
    sources: tuple[str, ...] = ()
    note: str = ""
    default_threshold: float = Field(ge=0, le=1)
    thresholds: dict[str, float] = Field(default_factory=dict)
    mandatory: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _thresholds_in_range(self) -> VersionDoc:
        bad = {k: v for k, v in self.thresholds.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"thresholds outside 0..1: {bad}")
        return self


class ReferentialDoc(_Strict):
    """One certificate's referential document."""

    certificate: CertificateType
    name: str
    expected: Expected
    confirmation_policy: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    domains: tuple[DomainDoc, ...]
    versions: tuple[VersionDoc, ...] = Field(min_length=1)

    def criteria(self) -> list[CriterionDoc]:
        """Return every criterion, in order."""
        return [c for d in self.domains for s in d.sub_domains for c in s.criteria]

    def sub_domains(self) -> list[SubDomainDoc]:
        """Return every sub-domain, in order."""
        return [s for d in self.domains for s in d.sub_domains]

    def unconfirmed(self) -> list[str]:
        """List every item (domain, sub-domain, criterion, version) not confirmed."""
        items: list[Any] = [*self.domains, *self.sub_domains(), *self.criteria()]
        out = [i.code for i in items if not i.confirmed]
        return out + [v.version for v in self.versions if not v.confirmed]

    def spec(self, version: VersionDoc) -> ReferentialSpec:
        """Build the domain's view of one version: criteria codes and thresholds."""
        return ReferentialSpec(
            certificate=self.certificate,
            version=version.version,
            effective_from=version.effective_from,
            domains=tuple(
                DomainSpec(
                    code=d.code,
                    sub_domains=tuple(
                        SubDomainSpec(
                            code=s.code,
                            criteria=tuple(c.code for c in s.criteria),
                            threshold=version.thresholds.get(s.code, version.default_threshold),
                            mandatory=tuple(version.mandatory.get(s.code, ())),
                        )
                        for s in d.sub_domains
                    ),
                )
                for d in self.domains
            ),
        )


def check_referential(doc: ReferentialDoc) -> None:
    """Refuse a referential whose counts, codes, nesting or version keys are wrong."""
    name = doc.certificate.value
    counts = (len(doc.domains), len(doc.sub_domains()), len(doc.criteria()))
    want = (doc.expected.domains, doc.expected.sub_domains, doc.expected.criteria)
    if counts != want:
        raise ReferenceDataError(f"{name}: (domains, sub-domains, criteria) = {counts}, expected {want}")
    codes = [d.code for d in doc.domains] + [s.code for s in doc.sub_domains()]
    codes += [c.code for c in doc.criteria()]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ReferenceDataError(f"{name}: duplicate codes {', '.join(dupes)}")
    for d in doc.domains:
        for s in d.sub_domains:
            _check_nesting(name, d.code, s)
    _check_versions(doc)


def _check_nesting(name: str, domain: str, sub: SubDomainDoc) -> None:
    if not sub.code.startswith(f"{domain}."):
        raise ReferenceDataError(f"{name}: sub-domain {sub.code} is not under {domain}")
    stray = [c.code for c in sub.criteria if not c.code.startswith(f"{sub.code}.")]
    if stray:
        raise ReferenceDataError(f"{name}: criteria {', '.join(stray)} are not under {sub.code}")


def _check_versions(doc: ReferentialDoc) -> None:
    name = doc.certificate.value
    dates = [v.effective_from for v in doc.versions]
    if dates != sorted(set(dates)):
        raise ReferenceDataError(f"{name}: versions must have distinct, increasing effective dates")
    subs = {s.code: s for s in doc.sub_domains()}
    for v in doc.versions:
        unknown = sorted((set(v.thresholds) | set(v.mandatory)) - set(subs))
        if unknown:
            raise ReferenceDataError(f"{name} {v.version}: unknown sub-domains {', '.join(unknown)}")
        for code, crits in v.mandatory.items():
            bad = sorted(set(crits) - {c.code for c in subs[code].criteria})
            if bad:
                raise ReferenceDataError(f"{name} {v.version}: mandatory {', '.join(bad)} not in {code}")


def parse_referential(raw: dict[str, Any], source: str = "<referential>") -> ReferentialDoc:
    """Validate one referential document (schema, counts, codes, thresholds)."""
    try:
        doc = ReferentialDoc.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ReferenceDataError(f"{source}: {err['msg']} at {err['loc']}") from exc
    check_referential(doc)
    return doc


def _data_dir() -> Path:
    return Path(str(resources.files("ledger.reference") / "data" / "clea"))


@cache
def referential(certificate: CertificateType) -> ReferentialDoc:
    """Load the shipped referential of a certificate."""
    path = _data_dir() / FILES[certificate]
    return parse_referential(json.loads(path.read_text(encoding="utf-8")), path.name)


def version_in_force(certificate: CertificateType, on: date) -> ReferentialSpec:
    """Select the referential version in force on ``on`` (latest effective by then)."""
    doc = referential(certificate)
    versions = [v for v in doc.versions if v.effective_from <= on]
    if not versions:
        raise UnknownEntity(
            "CléA referential version in force",
            because("{certificate} on {day}", certificate=certificate.value, day=on),
        )
    return doc.spec(versions[-1])


def version(name: str) -> ReferentialSpec:
    """Return the referential version with that exact name (e.g. ``clea-v2018``)."""
    for cert in CertificateType:
        doc = referential(cert)
        for v in doc.versions:
            if v.version == name:
                return doc.spec(v)
    raise UnknownEntity("CléA referential version", name)


@cache
def campaigns() -> dict[str, Campaign]:
    """Load the habilitation campaigns by id (COPANEF legacy, then Certif'Pro)."""
    raw = json.loads((_data_dir() / "campaigns.json").read_text(encoding="utf-8"))
    out: dict[str, Campaign] = {}
    for row in raw["campaigns"]:
        camp = Campaign(
            id=row["id"],
            decided_on=date.fromisoformat(row["decided_on"]),
            certificates=tuple(CertificateType(c) for c in row["certificates"]),
        )
        if camp.id in out:
            raise ReferenceDataError(f"campaigns.json: duplicate campaign {camp.id}")
        out[camp.id] = camp
    return out


def campaign(campaign_id: str) -> Campaign | None:
    """Return the campaign with that id, if known."""
    return campaigns().get(campaign_id)


def domain_label(certificate: CertificateType, code: str) -> str:
    """Return the label of a domain, for presentation."""
    found = next((d for d in referential(certificate).domains if d.code == code), None)
    return found.label if found else code


def marked_label(certificate: CertificateType, code: str) -> str:
    """A domain, sub-domain or criterion label as shown to users: unconfirmed ones say so."""
    doc = referential(certificate)
    items: list[Any] = [*doc.domains, *doc.sub_domains(), *doc.criteria()]
    found = next((i for i in items if i.code == code), None)
    if found is None:
        raise UnknownEntity("CléA referential item", f"{certificate.value} {code}")
    if found.confirmed:
        return str(found.label)
    return f"{found.label} [unconfirmed: {found.confidence or 'no source'}, {found.label_status}]"
