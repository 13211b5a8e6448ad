"""Value objects of the CléA regime: certificates, regions, referential versions, results."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.kernel import ActorId

Siret = Annotated[str, Field(pattern=r"^[0-9]{14}$", description="Establishment SIRET (14 digits)")]
BranchCode = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9-]{2,40}$", description="Branch (e.g. IDCC number) of a branch jury")
]
CampaignId = Annotated[str, Field(pattern=r"^[a-z0-9-]{3,60}$")]
DomainCode = Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,2}$")]
SubDomainCode = Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,2}\.[0-9]{1,2}$")]
CriterionCode = Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}$")]
PersonId = ActorId  # evaluators, trainers, jury members: opaque ids, never names
OrgName = Annotated[str, Field(min_length=1, max_length=200)]

RULESET_VERSION = "CLEA-REF-2018"
VALIDITY_YEARS = 5
ACCROCHAGE_MONTHS = 3
ACCROCHAGE_FROM = date(2021, 7, 1)
TRAINING_HABILITATION_ENDS = date(2019, 7, 1)


def ruleset_for(referential_version: str) -> str:
    """Return the rule-set version string of a referential version (``CLEA-REF-<v>``)."""
    return f"CLEA-REF-{referential_version}"


class CertificateType(StrEnum):
    """The three Certif'Pro certificates, each certified on its own referential."""

    CLEA = "clea"
    NUMERIQUE = "clea_numerique"
    MANAGEMENT = "clea_management"


class Region(StrEnum):
    """French administrative regions (since 2016), where an organisation is established."""

    AUVERGNE_RHONE_ALPES = "auvergne-rhone-alpes"
    BOURGOGNE_FRANCHE_COMTE = "bourgogne-franche-comte"
    BRETAGNE = "bretagne"
    CENTRE_VAL_DE_LOIRE = "centre-val-de-loire"
    CORSE = "corse"
    GRAND_EST = "grand-est"
    HAUTS_DE_FRANCE = "hauts-de-france"
    ILE_DE_FRANCE = "ile-de-france"
    NORMANDIE = "normandie"
    NOUVELLE_AQUITAINE = "nouvelle-aquitaine"
    OCCITANIE = "occitanie"
    PAYS_DE_LA_LOIRE = "pays-de-la-loire"
    PROVENCE_ALPES_COTE_D_AZUR = "provence-alpes-cote-d-azur"
    GUADELOUPE = "guadeloupe"
    GUYANE = "guyane"
    MARTINIQUE = "martinique"
    LA_REUNION = "la-reunion"
    MAYOTTE = "mayotte"


class Side(StrEnum):
    """The side a member of a jury paritaire represents."""

    EMPLOYER = "employer"
    EMPLOYEE = "employee"


class Issuer(StrEnum):
    """Who issued a certificate."""

    CERTIFPRO = "certifpro"
    BRANCH_JURY = "branch_jury"


class DeadlineKind(StrEnum):
    """Deadlines the CléA ledger watches."""

    ACCROCHAGE = "accrochage"
    VALIDITY_WINDOW = "validity_window"


class JuryMember(BaseModel):
    """A member of a jury, by opaque id, with the side represented."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: PersonId
    side: Side


class SubDomainSpec(BaseModel):
    """A sub-domain of a referential version: its criteria and pass threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: SubDomainCode
    criteria: tuple[CriterionCode, ...] = Field(min_length=1)
    threshold: float = Field(ge=0, le=1, description="Share of criteria to pass")
    mandatory: tuple[CriterionCode, ...] = ()


class DomainSpec(BaseModel):
    """A domain of a referential version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: DomainCode
    sub_domains: tuple[SubDomainSpec, ...] = Field(min_length=1)

    def criteria(self) -> tuple[str, ...]:
        """Return every criterion code of the domain."""
        return tuple(c for sd in self.sub_domains for c in sd.criteria)


class ReferentialSpec(BaseModel):
    """One version of a certificate's referential, in force from ``effective_from``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate: CertificateType
    version: str = Field(pattern=r"^[a-z]+-v[0-9]{4}[a-z]?$")
    effective_from: date
    domains: tuple[DomainSpec, ...] = Field(min_length=1)

    def domain_codes(self) -> tuple[str, ...]:
        """Return the domain codes in order."""
        return tuple(d.code for d in self.domains)

    def domain(self, code: str) -> DomainSpec | None:
        """Return the domain with that code, if any."""
        return next((d for d in self.domains if d.code == code), None)

    def criteria(self) -> frozenset[str]:
        """Return every criterion code of the referential."""
        return frozenset(c for d in self.domains for c in d.criteria())


class SubDomainResult(BaseModel):
    """A sub-domain's computed result: passed and failed criteria against its threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: SubDomainCode
    passed: tuple[CriterionCode, ...]
    failed: tuple[CriterionCode, ...]
    threshold: float = Field(ge=0, le=1)
    mandatory: tuple[CriterionCode, ...] = ()
    acquired: bool


class DomainResult(BaseModel):
    """A domain's computed result: acquired when every sub-domain is acquired."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: DomainCode
    acquired: bool
    sub_domains: tuple[SubDomainResult, ...]


class HabilitationWindow(BaseModel):
    """A period during which an organisation may evaluate for a certificate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate: CertificateType
    campaign: CampaignId
    valid_from: date
    valid_to: date
    withdrawn_on: date | None = None

    def covers(self, day: date) -> bool:
        """Tell whether the organisation is habilitated on ``day``."""
        end_ok = day <= self.valid_to and (self.withdrawn_on is None or day < self.withdrawn_on)
        return self.valid_from <= day and end_ok


class Campaign(BaseModel):
    """A Certif'Pro habilitation campaign (board decision date, certificates covered)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CampaignId
    decided_on: date
    certificates: tuple[CertificateType, ...]
