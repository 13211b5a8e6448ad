"""RFC 8785 JSON Canonicalization Scheme via the strict ``rfc8785`` package."""

from __future__ import annotations

from typing import Any

import rfc8785  # type: ignore[import-untyped,unused-ignore]

from ledger.credentials.errors import CanonicalizationError


def canonicalize(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises :class:`CanonicalizationError` for values outside I-JSON (NaN, infinities,
    integers beyond +/-2**53-1, non-string keys, lone surrogates, non-JSON types).
    """
    try:
        return bytes(rfc8785.dumps(obj))
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise CanonicalizationError(f"JCS: {exc}") from exc
