"""The SDK's market cryptography against the node's (Tests/vectors/market.json, written by
Tests/AgoraClientTests/MarketVectorTests.swift): HPKE reproduces RFC 9180's vector of the
market's suite byte for byte (fixed ephemeral key), opens every box the node sealed to its
content key, and binds `info` to chain and purchase as the node does; the content cipher's
output is the node's byte for byte. A wrong key or a tampered box or ciphertext raises the
SDK's typed exceptions."""
import hashlib
import json
import os

import pytest

from agora_client import ContentAuthenticationFailed, HPKEOpenFailed, InvalidHPKEKey, InvalidInput, hpke, market

from conftest import ROOT

MARKET_VECTORS = os.path.join(ROOT, "Tests", "vectors", "market.json")


@pytest.fixture(scope="module")
def mv():
    with open(MARKET_VECTORS) as f:
        return json.load(f)


def h(s):
    return bytes.fromhex(s)


def test_the_suite_is_the_nodes(mv):
    assert mv["suite"] == {"kem": hpke.KEM_ID, "kdf": hpke.KDF_ID, "aead": hpke.AEAD_ID, "mode": hpke.MODE_BASE}


def test_hpke_reproduces_rfc9180_with_the_fixed_ephemeral_key(mv):
    v = mv["rfc9180"]
    assert hpke.public_key(h(v["skEm"])) == h(v["pkEm"]) and hpke.public_key(h(v["skRm"])) == h(v["pkRm"])
    enc, ct = hpke.seal(h(v["pkRm"]), h(v["info"]), h(v["pt"]), aad=h(v["aad"]), ephemeral_private=h(v["skEm"]))
    assert enc.hex() == v["enc"] and ct.hex() == v["ct"]
    assert hpke.open_box(h(v["skRm"]), h(v["info"]), enc, ct, aad=h(v["aad"])) == h(v["pt"])


def test_boxes_the_node_sealed_open_to_their_content_key(mv):
    assert len(mv["deliveries"]) >= 3
    for d in mv["deliveries"]:
        assert hpke.public_key(h(d["buyerSecret"])).hex() == d["buyerKey"]
        assert market.delivery_info(d["chainID"], d["purchase"]).hex() == d["info"]
        assert market.key_commitment(h(d["contentKey"])) == d["commitment"]
        key = market.open_content_key(d["encapsulatedKey"], d["ciphertext"], h(d["buyerSecret"]), d["chainID"], d["purchase"])
        assert key.hex() == d["contentKey"]


def test_a_box_sealed_here_opens_only_for_its_purchase_and_chain(mv):
    d = mv["deliveries"][0]
    enc, box = market.seal_content_key(h(d["contentKey"]), d["buyerKey"], d["chainID"], d["purchase"])
    assert len(enc) == 32 and len(box) == 48
    assert market.open_content_key(enc, box, h(d["buyerSecret"]), d["chainID"], d["purchase"]).hex() == d["contentKey"]
    with pytest.raises(HPKEOpenFailed):
        market.open_content_key(enc, box, h(d["buyerSecret"]), d["chainID"], "ee" * 32)
    with pytest.raises(HPKEOpenFailed):
        market.open_content_key(enc, box, h(d["buyerSecret"]), "another-chain", d["purchase"])


def test_a_wrong_key_or_a_tampered_box_is_a_typed_error(mv):
    d = mv["deliveries"][0]
    enc, box, secret = h(d["encapsulatedKey"]), h(d["ciphertext"]), h(d["buyerSecret"])
    with pytest.raises(HPKEOpenFailed):
        market.open_content_key(enc, box, bytes(32 * [0x42]), d["chainID"], d["purchase"])
    for i in (0, 31, 47):
        bad = bytearray(box)
        bad[i] ^= 1
        with pytest.raises(HPKEOpenFailed):
            market.open_content_key(enc, bytes(bad), secret, d["chainID"], d["purchase"])
    bad_enc = bytearray(enc)
    bad_enc[5] ^= 0x80
    with pytest.raises(HPKEOpenFailed):
        market.open_content_key(bytes(bad_enc), box, secret, d["chainID"], d["purchase"])
    with pytest.raises(HPKEOpenFailed):  # a low-order point gives the all-zero secret
        market.open_content_key(bytes(32), box, secret, d["chainID"], d["purchase"])
    with pytest.raises(InvalidInput):
        market.open_content_key(enc, box[:40], secret, d["chainID"], d["purchase"])
    with pytest.raises(InvalidHPKEKey):
        market.seal_content_key(h(d["contentKey"]), bytes(32), d["chainID"], d["purchase"])
    with pytest.raises(InvalidInput):
        market.seal_content_key(b"short", d["buyerKey"], d["chainID"], d["purchase"])


def test_the_content_cipher_is_the_nodes_byte_for_byte(mv):
    for c in mv["content"]:
        plain = bytes(i % 251 for i in range(c["plaintextSize"]))
        assert hashlib.sha256(plain).hexdigest() == c["plaintextSHA256"]
        sealed = market.encrypt_content(h(c["contentKey"]), plain)
        assert len(sealed) == c["ciphertextSize"] == market.ciphertext_size(len(plain))
        assert hashlib.sha256(sealed).hexdigest() == c["ciphertextSHA256"], c["plaintextSize"]
        if "ciphertext" in c:
            assert sealed.hex() == c["ciphertext"]
        assert market.decrypt_content(h(c["contentKey"]), sealed) == plain


def test_damaged_reordered_or_cut_content_is_refused(mv):
    c = next(c for c in mv["content"] if c["plaintextSize"] > 2 * market.CHUNK_BYTES)
    key = h(c["contentKey"])
    plain = bytes(i % 251 for i in range(c["plaintextSize"]))
    sealed = market.encrypt_content(key, plain)
    chunk = market.CHUNK_BYTES + market.TAG_BYTES
    flipped = bytearray(sealed)
    flipped[chunk + 10] ^= 1
    with pytest.raises(ContentAuthenticationFailed) as e:
        market.decrypt_content(key, bytes(flipped))
    assert e.value.chunk == 1
    swapped = sealed[chunk:2 * chunk] + sealed[:chunk] + sealed[2 * chunk:]
    with pytest.raises(ContentAuthenticationFailed):
        market.decrypt_content(key, swapped)
    with pytest.raises(ContentAuthenticationFailed):  # cut at a chunk boundary: the last kept chunk is not final
        market.decrypt_content(key, sealed[:2 * chunk])
    with pytest.raises(ContentAuthenticationFailed):
        market.decrypt_content(key, b"")
    with pytest.raises(ContentAuthenticationFailed):
        market.decrypt_content(bytes(32), sealed)
