"""The French CléA regime: habilitated evaluators, candidates, portfolios, juries, certificates.

CléA (socle, 7 domains), CléA Numérique (4 domains) and CléA Management (3 areas) are each
certified on their own versioned referential (Code du travail D6113-30, D6113-31), issued by
Certif'Pro or a branch jury, and reported to the SI CPF within 3 months (L6113-8).
"""
