"""The printable page of a credential: certificate, issuer, results, status, QR code to the verifier."""

from __future__ import annotations

import html
from typing import Any

from ledger.credentials.verify import summary


def qr_svg(data: str) -> str:
    """An SVG QR code of ``data`` (python ``qrcode``, no PIL)."""
    import qrcode  # type: ignore[import-untyped,unused-ignore]
    import qrcode.image.svg  # type: ignore[import-untyped,unused-ignore]

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    text = image.to_string(encoding="unicode")
    return text if isinstance(text, str) else text.decode("utf-8")


def french_date(value: str | None) -> str:
    """``2026-10-01`` → ``1 octobre 2026`` (the input unchanged when it is not a date)."""
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    text = str(value or "")[:10]
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return f"{day} {months[month - 1]} {year}"
    except (ValueError, IndexError):
        return text


def revocation_banner(revocation: dict[str, Any] | None) -> str:
    """The French notice of a revoked certificate (empty when it is not revoked)."""
    if not revocation or revocation.get("status") != "revoked":
        return ""
    esc = html.escape
    reason = revocation.get("reason") or "non précisé"
    return (
        f'<div class="revoked" role="alert"><strong>Certificat révoqué</strong> le '
        f"{esc(french_date(revocation.get('revoked_on')))}. Motif : {esc(str(reason))}. "
        "Ce certificat n'est plus valable.</div>"
    )


def certificate_html(
    credential: dict[str, Any], verify_url: str, revocation: dict[str, Any] | None = None
) -> str:
    """A printable page: the certificate, its issuer, results, a QR code to the verifier.

    ``revocation`` (``{"status", "revoked_on", "reason"}``) marks a revoked certificate as
    revoked, with its date and reason, in French.
    """
    facts = summary(credential)
    esc = html.escape
    results = "".join(f"<li>{esc(str(r))}</li>" for r in facts["results"])
    levels = ", ".join(esc(str(level)) for level in facts["levels"])
    banner = revocation_banner(revocation)
    title = ("RÉVOQUÉ — " if banner else "") + str(facts["name"])
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto;color:#111}}
.qr svg{{width:12rem;height:12rem}} .id{{font-family:monospace;font-size:.8rem;word-break:break-all}}
.revoked{{border:3px solid #b3261e;color:#b3261e;padding:1rem;font-size:1.2rem;margin:1rem 0}}
@media print{{a{{color:#111;text-decoration:none}}}}</style></head>
<body>
{banner}
<h1>{esc(str(facts["name"]))}</h1>
<p>Délivré par <strong>{esc(str(facts["issuer"]))}</strong>
le {esc(french_date(facts["valid_from"]))}.</p>
{f"<p>Niveau : {levels}</p>" if levels else ""}
<h2>Acquis</h2><ul>{results}</ul>
<p>Le titulaire n'est désigné que par une empreinte de son nom, de sa date de naissance et de son
numéro national, à comparer sur la page de vérification avec sa pièce d'identité ; aucune autre
donnée personnelle.</p>
<div class="qr">{qr_svg(verify_url)}</div>
<p>Vérifier : <a href="{esc(verify_url)}">{esc(verify_url)}</a></p>
<p class="id">Numéro du certificat : {esc(str(facts["id"]).removeprefix("urn:uuid:"))}</p>
</body></html>
"""
