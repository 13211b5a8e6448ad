"""The reference package's error tree, written out in one place.

::

    InvalidCommand (ledger.domain.errors)
    └── ReferenceDataError    reference data (a profile, a referential, a campaign list)
                              that is malformed or breaks a rule of its text

A refusal names the file or version, and for a profile the rule and its article.
"""

from __future__ import annotations

from ledger.domain.errors import InvalidCommand


class ReferenceDataError(InvalidCommand):
    """Reference data that is malformed or breaks a rule (e.g. a profile's weeks, Art. 3 §1)."""

    code = "invalid-reference-data"
