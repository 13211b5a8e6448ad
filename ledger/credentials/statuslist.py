"""W3C Bitstring Status List v1.0: bitstring, random index allocation, entry and list credential.

Index 0 is the left-most (most significant) bit of the first byte. ``encodedList`` is
GZIP (RFC 1952) then multibase base64url without padding (``u`` prefix). Lists hold at
least 131,072 entries (16 KiB) for herd privacy; indexes are allocated at random.
"""

from __future__ import annotations

import gzip
import secrets
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ledger.credentials.dataintegrity import format_created
from ledger.credentials.errors import EncodingError, ProofGenerationError, StatusListError
from ledger.credentials.loader import CREDENTIALS_V2
from ledger.credentials.multibase import decode_base64url, encode_base64url

MIN_SIZE = 131_072
MAX_SIZE = 1 << 27  # 16 MiB uncompressed: bound for decoding untrusted lists
REVOCATION = "revocation"
_GZIP_WBITS = 31


class BitstringStatusList:
    """A mutable bitstring of status bits (1 = status set, e.g. revoked)."""

    def __init__(self, size: int = MIN_SIZE) -> None:
        """Create an all-zero list of ``size`` bits (multiple of 8, >= 131,072)."""
        _check_size(size)
        self._bits = bytearray(size // 8)

    @property
    def size(self) -> int:
        """Number of entries (bits)."""
        return len(self._bits) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise StatusListError(f"status index out of range: {index!r}")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        """Return the bit at ``index``."""
        byte, mask = self._locate(index)
        return bool(self._bits[byte] & mask)

    def set(self, index: int, value: bool = True) -> None:
        """Set (or clear, with ``value=False``) the bit at ``index``."""
        byte, mask = self._locate(index)
        if value:
            self._bits[byte] |= mask
        else:
            self._bits[byte] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        """Return the uncompressed bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """Return the ``encodedList`` value: ``u`` + base64url(GZIP(bitstring)), no padding."""
        return encode_base64url(gzip.compress(self.to_bytes(), compresslevel=9, mtime=0))

    @classmethod
    def from_bytes(cls, data: bytes) -> BitstringStatusList:
        """Build a list from an uncompressed bitstring."""
        status_list = cls(len(data) * 8)
        status_list._bits[:] = data
        return status_list

    @classmethod
    def decode(cls, encoded: str, max_size: int = MAX_SIZE) -> BitstringStatusList:
        """Parse an ``encodedList``; refuse lists under 131,072 or over ``max_size`` bits."""
        try:
            compressed = decode_base64url(encoded)
        except EncodingError as exc:
            raise StatusListError(f"encodedList: {exc}") from exc
        return cls.from_bytes(_gunzip_bounded(compressed, max_size // 8))


def _check_size(size: int) -> None:
    if not isinstance(size, int) or size < MIN_SIZE or size % 8 or size > MAX_SIZE:
        raise StatusListError(
            f"status list size must be a multiple of 8 in [{MIN_SIZE}, {MAX_SIZE}]: {size!r}"
        )


def _gunzip_bounded(data: bytes, max_bytes: int) -> bytes:
    """GZIP-decompress at most ``max_bytes`` (guards against decompression bombs)."""
    inflater = zlib.decompressobj(_GZIP_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListError(f"encodedList is not GZIP: {exc}") from exc
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise StatusListError("decompressed status list exceeds the size limit")
    if not inflater.eof or inflater.unused_data:
        raise StatusListError("truncated GZIP stream or trailing data")
    return out


class RandomIndexAllocator:
    """Hands out unused status indexes chosen uniformly with :mod:`secrets`."""

    _RETRIES = 64

    def __init__(self, size: int = MIN_SIZE, used: Iterable[int] = ()) -> None:
        """Create an allocator over ``[0, size)`` that never returns an index in ``used``."""
        self._size = size
        self._used: set[int] = set()
        for index in used:
            self.reserve(index)

    @property
    def used(self) -> frozenset[int]:
        """Indexes already allocated or reserved."""
        return frozenset(self._used)

    def reserve(self, index: int) -> None:
        """Mark ``index`` as used (e.g. when replaying issued credentials)."""
        if not 0 <= index < self._size:
            raise StatusListError(f"status index out of range: {index!r}")
        self._used.add(index)

    def allocate(self) -> int:
        """Return a fresh random index; raise :class:`StatusListError` when full."""
        if len(self._used) >= self._size:
            raise StatusListError("status list is full")
        for _ in range(self._RETRIES):
            candidate = secrets.randbelow(self._size)
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
        free = [i for i in range(self._size) if i not in self._used]
        candidate = secrets.choice(free)
        self._used.add(candidate)
        return candidate


def status_list_entry(status_list_credential: str, index: int, purpose: str = REVOCATION) -> dict[str, Any]:
    """Return a ``BitstringStatusListEntry`` for a credential's ``credentialStatus``."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(f"invalid status index: {index!r}")
    return {
        "id": f"{status_list_credential}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": status_list_credential,
    }


def status_list_credential(
    credential_id: str,
    issuer: str,
    status_list: BitstringStatusList,
    valid_from: datetime | str,
    *,
    purpose: str = REVOCATION,
    valid_until: datetime | str | None = None,
) -> dict[str, Any]:
    """Return an unsigned ``BitstringStatusListCredential`` (sign it with ``add_proof``)."""
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2],
        "id": credential_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _iso(valid_from),
        "credentialSubject": {
            "id": f"{credential_id}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": status_list.encode(),
        },
    }
    if valid_until is not None:
        credential["validUntil"] = _iso(valid_until)
    return credential


def _iso(value: datetime | str) -> str:
    try:
        return format_created(value)
    except ProofGenerationError as exc:
        raise StatusListError(str(exc)) from exc
