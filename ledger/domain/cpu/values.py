"""Value objects of the CPU regime."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

UaaCode = Annotated[str, Field(pattern=r"^UAA[0-9]{1,2}$")]
Fase = Annotated[int, Field(ge=1, le=999_999)]
SchoolYear = Annotated[int, Field(ge=2012, le=2100, description="Start year: 2019 = 2019-2020")]
StudyYear = Annotated[int, Field(ge=4, le=6)]
OptionCode = Annotated[str, Field(pattern=r"^[a-z0-9-]{2,80}$")]

RULESET_VERSION = "AGCF-2018-08-29@consolidated-2022-09-26;rules-2"
ARRETE = "AGCF-2018-08-29"


class Route(StrEnum):
    """The admission routes of Art. 5."""

    A4_STANDARD = "A4_standard"
    A4_C2D = "A4_C2D"
    A5_SAME_OPTION = "A5_same_option"
    A5_REPEAT_TRANSFORMED = "A5_repeat_transformed"
    A5_ADMISSION_OTHER = "A5_admission_other"
    A5_ALTERNANCE = "A5_alternance"
    A5_FORME3 = "A5_forme3"
    A6_REPEAT_TRANSFORMED = "A6_repeat_transformed"


class Attestation(StrEnum):
    """End-of-4th-year attestations of Art. 4 §1."""

    AOA = "AOA"
    AOB = "AOB"
    REORIENTATION = "REORIENTATION"
    C2D = "C2D"


class ValidationVia(StrEnum):
    """How a UAA was validated."""

    TEST = "test"
    SPIRAL = "spiral"
    JURY_RECOGNITION = "jury_recognition"


class C2DOutcome(StrEnum):
    """The conseil de classe's decision before 15 January for a C2D pupil."""

    CONTINUE = "continue"
    REORIENT = "reorient"


class CertificateKind(StrEnum):
    """Certificates issued at the end of the 3rd degree."""

    CQ = "CQ"
    CE6P = "CE6P"


class CqBasis(StrEnum):
    """Why the jury issued the CQ."""

    ALL_VALIDATED = "all_validated"
    SOVEREIGN = "sovereign"


class DeadlineKind(StrEnum):
    """Deadlines the ledger watches."""

    PSSA = "pssa"
    C2D_DECISION = "c2d_decision"
    COMPETENCE_REPORT = "competence_report"


class AppealOutcome(StrEnum):
    """The outcome of a recours externe (Art. 4 §1, last paragraph; décret Missions ch. X)."""

    CONFIRMED = "confirmed"
    REFORMED = "reformed"
