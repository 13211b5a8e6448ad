"""Legal bases in the reader's language.

A rule's article is stored and returned (JSON, API problems) exactly as the rule declares it:
the act's reference, sometimes with an English gloss (``art. 5 §1, §2 (a decision concerns an
admitted pupil)``). A person reads it with its glosses translated, fragment by fragment; the
references themselves (``AGCF-2018-08-29 art. 5 §1``, ``[S22]``) never change.
"""

from __future__ import annotations

from ledger.i18n import N_, _, current

FRAGMENTS = (
    N_("a decision concerns an admitted pupil"),
    N_("duties measured over the school year"),
    N_("where: HTTP API, school roles; the local CLI operator is trusted"),
    N_("CE6P by the conseil de classe; unverified"),
    N_("the jury de qualification issues the CQ"),
    N_("Certif'Pro manages CléA"),
    N_("Branch agreement: branch jury issues CléA"),
    N_("COPANEF habilitation and threshold rules from 2018-01-01"),
    N_("socle and digital module each certified"),
    N_("Certif'Pro candidate journey"),
    N_("Certif'Pro habilitation campaigns"),
    N_("the seven domains"),
    N_("holder data to the SI CPF within 3 months"),
    N_("(window)"),
    N_("(remediation)"),
    N_("a UAA validated during the test of a later UAA"),
    N_("No training habilitation from 2019-07-01"),
    N_("erased learner"),
    N_("erased candidate"),
    N_("erasure of personal data; the decisions stay, the identity goes"),
    N_("ledger rule"),
    N_("corrections give reasons"),
    N_("corrections point at a decision"),
    N_("missed deadlines recorded, never hidden"),
    N_("no anticipated decisions"),
    N_("the deciding body revokes"),
    N_("the article giving the body its power (per decision, see POWERS)"),
)
"""The English glosses of the rules' articles, longest first when applied."""


def article(text: str) -> str:
    """A rule's article for a person: its English glosses translated, its references kept."""
    if current() == "en":
        return text
    for fragment in sorted(FRAGMENTS, key=len, reverse=True):
        if fragment in text:
            text = text.replace(fragment, _(fragment))
    return text
