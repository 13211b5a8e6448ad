"""Bitstring Status List v1.0: bit order, encoding, allocator, entry and credential."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.credentials.dataintegrity import add_proof, all_verified, verify_proofs
from ledger.credentials.errors import StatusListError
from ledger.credentials.keys import KeyPair, key_resolver
from ledger.credentials.multibase import decode_base64url, encode_base64url
from ledger.credentials.statuslist import (
    MIN_SIZE,
    BitstringStatusList,
    RandomIndexAllocator,
    status_list_credential,
    status_list_entry,
)

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_spec_example_decodes_to_empty_16k_list() -> None:
    status_list = BitstringStatusList.decode(SPEC_EXAMPLE)
    assert status_list.size == MIN_SIZE
    assert status_list.to_bytes() == bytes(MIN_SIZE // 8)


def test_index_zero_is_leftmost_bit() -> None:
    status_list = BitstringStatusList()
    status_list.set(0)
    status_list.set(7)
    status_list.set(8)
    status_list.set(MIN_SIZE - 1)
    raw = status_list.to_bytes()
    assert raw[0] == 0b1000_0001
    assert raw[1] == 0b1000_0000
    assert raw[-1] == 0b0000_0001
    assert gzip.decompress(decode_base64url(status_list.encode())) == raw


def test_encoding_is_multibase_base64url_gzip() -> None:
    encoded = BitstringStatusList().encode()
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert decode_base64url(encoded)[:2] == b"\x1f\x8b"


@settings(max_examples=25, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_SIZE - 1), max_size=200))
def test_round_trip(indexes: set[int]) -> None:
    status_list = BitstringStatusList()
    for index in indexes:
        status_list.set(index)
    decoded = BitstringStatusList.decode(status_list.encode())
    assert decoded.to_bytes() == status_list.to_bytes()
    assert {i for i in indexes if decoded.get(i)} == indexes
    probe = next(iter(indexes), 5)
    decoded.set(probe, False)
    assert not decoded.get(probe)


@pytest.mark.parametrize("index", [-1, MIN_SIZE, True, 1.5])
def test_index_out_of_range(index: object) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList().get(index)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, 8, MIN_SIZE - 8, MIN_SIZE + 1])
def test_size_rules(size: int) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(size)


def test_decode_rejects_short_bomb_and_garbage() -> None:
    too_short = encode_base64url(gzip.compress(bytes(1024)))
    bomb = encode_base64url(gzip.compress(bytes(64 * 1024 * 1024)))
    for encoded in (too_short, bomb, "uAAAA", "zabc", SPEC_EXAMPLE[:-4]):
        with pytest.raises(StatusListError):
            BitstringStatusList.decode(encoded)


def test_allocator_is_random_and_collision_free() -> None:
    allocator = RandomIndexAllocator(16, used=[3, 4])
    got = [allocator.allocate() for _ in range(14)]
    assert sorted(got) == [i for i in range(16) if i not in (3, 4)]
    with pytest.raises(StatusListError, match="full"):
        allocator.allocate()
    big = RandomIndexAllocator()
    first = [big.allocate() for _ in range(50)]
    assert len(set(first)) == 50
    assert first != sorted(first)
    with pytest.raises(StatusListError):
        RandomIndexAllocator(16, used=[16])


def test_entry_and_signed_credential() -> None:
    url = "https://ledger.example/status/1"
    entry = status_list_entry(url, 94567)
    assert entry == {
        "id": f"{url}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": url,
    }
    status_list = BitstringStatusList()
    status_list.set(94567)
    key = KeyPair.generate()
    credential = status_list_credential(url, key.public.did, status_list, "2025-01-01T00:00:00Z")
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = credential["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert BitstringStatusList.decode(subject["encodedList"]).get(94567)
    signed = add_proof(credential, key, "eddsa-rdfc-2022", "2025-01-01T00:00:00Z")
    assert all_verified(verify_proofs(signed, key_resolver([key.public])))
    with pytest.raises(StatusListError):
        status_list_entry(url, -1)
    with pytest.raises(StatusListError):
        status_list_credential(url, "did:x", status_list, "yesterday")
