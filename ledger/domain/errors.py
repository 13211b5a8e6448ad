"""The domain's error tree, written out in one place.

::

    LedgerError                    base of every error the ledger raises on purpose
    ├── RuleViolation              a command refused by a named rule (carries rule + article)
    ├── UnknownEntity              a learner, school, option, certificate… that does not exist
    ├── InvalidCommand             a command that is malformed or inconsistent with itself
    └── ConcurrencyConflict        the aggregate changed under the command; retry it

Every one of them is user-facing: entry points turn them into exit code 2 (CLI) or a 4xx
(HTTP) with the message, and nothing is written.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every deliberate ledger error."""

    code = "ledger-error"

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-friendly description of the error."""
        return {"error": self.code, "message": str(self)}


class RuleViolation(LedgerError):
    """A command refused by a named rule; nothing was written."""

    code = "rule-violation"

    def __init__(self, rule: str, article: str, reason: str) -> None:
        self.rule = rule
        self.article = article
        self.reason = reason
        super().__init__(f"refused by rule {rule} ({article}): {reason}")

    def to_dict(self) -> dict[str, str]:
        """Return the refusal with its rule and article."""
        return {**super().to_dict(), "rule": self.rule, "article": self.article}


class UnknownEntity(LedgerError):
    """A referenced entity does not exist."""

    code = "unknown-entity"

    def __init__(self, kind: str, ident: object) -> None:
        """``kind``: one of :data:`ENTITY_KINDS` (its French label is in ``ledger.i18n.vocabulary``).

        ``ident`` is what the caller asked for, never another record's data; a composite one
        (``7514 on 2020-09-01``) is built with ``because`` so that it reads in French too.
        """
        self.kind = kind
        self.ident = ident
        super().__init__(f"unknown {kind}: {ident}")


# Every ``kind`` an UnknownEntity is raised with (tests/unit/test_entity_kinds.py checks the
# code raises no other, and that each reads in French).
ENTITY_KINDS: frozenset[str] = frozenset(
    {
        "branch jury",
        "candidate",
        "certificate",
        "certificate (in the history read model)",
        "certificate issuance event",
        "certificate number",
        "certification profile",
        "certification profile in force",
        "checkpoint",
        "checkpoint of size",
        "CléA referential item",
        "CléA referential version",
        "CléA referential version in force",
        "evaluator organisation",
        "event",
        "learner",
        "learner or candidate",
        "option",
        "option at school",
        "position",
        "profile",
        "school (FASE)",
        "status list",
        "training organisation",
    }
)


class InvalidCommand(LedgerError):
    """A command is malformed (bad JSON, unknown command, wrong types).

    Its text is English. So that a reader in another language gets the same message, it may
    also carry its parts: ``template`` (a catalogue msgid) with ``params``, or, for a command
    whose fields failed validation, ``command`` and ``fields`` (pydantic's error details: each
    a mapping with ``loc``, ``type``, ``msg`` and ``ctx``). A bulk run's ``line 3: `` put
    before the text later keeps them (``message`` is the text they render).
    """

    code = "invalid-command"

    def __init__(
        self,
        message: str = "",
        *,
        template: str | None = None,
        params: dict[str, object] | None = None,
        command: str | None = None,
        fields: tuple[dict[str, object], ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.template = template
        self.params = params or {}
        self.command = command
        self.fields = fields


class ConcurrencyConflict(LedgerError):
    """The aggregate was changed by someone else meanwhile; the command can be retried."""

    code = "conflict"
