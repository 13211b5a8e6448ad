"""Multibase (base58btc ``z`` and base64url ``u``) and unsigned-varint multicodec helpers."""

from __future__ import annotations

import base64
import binascii

import base58  # type: ignore[import-untyped,unused-ignore]

from ledger.credentials.errors import EncodingError

BASE58BTC_PREFIX = "z"
BASE64URL_PREFIX = "u"


def encode_base58btc(data: bytes) -> str:
    """Return ``data`` as a multibase base58btc string (``z`` prefix)."""
    return BASE58BTC_PREFIX + base58.b58encode(data).decode("ascii")


def decode_base58btc(value: str) -> bytes:
    """Decode a multibase base58btc string; raise :class:`EncodingError` if malformed."""
    if not isinstance(value, str) or not value.startswith(BASE58BTC_PREFIX) or len(value) < 2:
        raise EncodingError("expected a multibase base58btc string starting with 'z'")
    try:
        return bytes(base58.b58decode(value[1:]))
    except ValueError as exc:
        raise EncodingError(f"invalid base58btc: {exc}") from exc


def encode_base64url(data: bytes) -> str:
    """Return ``data`` as multibase base64url without padding (``u`` prefix)."""
    return BASE64URL_PREFIX + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(value: str) -> bytes:
    """Decode a multibase base64url (no padding) string; raise :class:`EncodingError`."""
    if not isinstance(value, str) or not value.startswith(BASE64URL_PREFIX):
        raise EncodingError("expected a multibase base64url string starting with 'u'")
    body = value[1:]
    if "=" in body:
        raise EncodingError("multibase base64url must not be padded")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EncodingError(f"invalid base64url: {exc}") from exc


def b64url_nopad(data: bytes) -> str:
    """Return plain base64url without padding and without multibase prefix (for JWK)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer as an unsigned LEB128 varint (multicodec prefix)."""
    if value < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes) -> tuple[int, int]:
    """Decode an unsigned varint at the start of ``data``; return (value, bytes used)."""
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise EncodingError("truncated or over-long varint")
