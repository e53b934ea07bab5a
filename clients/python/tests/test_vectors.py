"""The SDK's codec against the node's: every vector of Tests/vectors/client.json (written by
Tests/AgoraClientTests/ClientVectorTests.swift) must come out byte for byte — payloads, signed
transactions and their IDs, derived IDs, address text both ways, key files, the artifact request
header and the validator-key rotation proof."""
import pytest

from agora_client import InvalidAddress, Key, bech32m, payloads, request_header
from agora_client.transaction import derived_id, rotation_proof, sign_transaction


def test_every_payload_kind_has_a_vector(vectors):
    assert {t["kind"] for t in vectors["transactions"]} == set(payloads.TAGS)


def test_payloads_encode_to_the_nodes_bytes(vectors):
    for t in vectors["transactions"]:
        got = payloads.ENCODERS[t["kind"]](**t["args"]).hex()
        assert got == t["payload"], t["kind"]


def test_signed_transactions_and_ids_match(vectors):
    key = Key.from_seed(bytes.fromhex(vectors["signer"]["seed"]))
    assert key.public_key.hex() == vectors["signer"]["publicKey"]
    assert key.address == vectors["signer"]["address"]
    for t in vectors["transactions"]:
        payload = payloads.ENCODERS[t["kind"]](**t["args"])
        tx = sign_transaction(key, vectors["chainID"], t["nonce"], t["fee"], t["expiresAt"], payload)
        assert tx.bytes.hex() == t["tx"], t["kind"]
        assert tx.id == t["id"], t["kind"]
        assert (t["fee"] == 0) == (t["kind"] in payloads.FEE_EXEMPT)


def test_derived_ids_match(vectors):
    for v in vectors["ids"]:
        assert derived_id(v["kind"], v["address"], v["nonce"]) == v["id"], v["kind"]


def test_addresses_round_trip(vectors):
    for a in vectors["addresses"]:
        raw = bytes.fromhex(a["bytes"])
        assert bech32m.encode(raw) == a["text"]
        assert bech32m.decode(a["text"]) == raw
        assert bech32m.decode(a["text"].upper()) == raw
        if "publicKey" in a:
            from agora_client import address_of
            assert address_of(bytes.fromhex(a["publicKey"])) == a["text"]


def test_invalid_addresses_are_refused_for_the_nodes_reason(vectors):
    assert vectors["invalidAddresses"]
    for a in vectors["invalidAddresses"]:
        assert a["error"] != "accepted", a
        with pytest.raises(InvalidAddress) as e:
            bech32m.decode(a["text"])
        assert e.value.reason == a["error"], a["text"]


def test_key_files_open_and_reseal_identically(vectors):
    for v in vectors["keyFiles"]:
        key = Key.from_key_file(v["file"], v["password"])
        assert key.seed().hex() == v["seed"]
        enc = v["file"].get("encryption")
        if enc is None:
            assert key.key_file(v["file"]["name"]) == v["file"]
        else:
            again = key.key_file(v["file"]["name"], v["password"], scrypt=(enc["n"], enc["r"], enc["p"]),
                                 salt=bytes.fromhex(enc["salt"]), nonce=bytes.fromhex(enc["nonce"]))
            assert again == v["file"]


def test_artifact_request_header_matches(vectors):
    a = vectors["artifactRequest"]
    key = Key.from_seed(bytes.fromhex(vectors["signer"]["seed"]))
    assert request_header(key, a["action"], a["chainID"], a["sha256"], a["size"], a["timestampMs"]) == a["header"]


def test_rotation_proof_matches(vectors):
    r = vectors["rotationProof"]
    new = Key.from_seed(bytes.fromhex(r["newSeed"]))
    assert rotation_proof(new, r["chainID"], bytes.fromhex(r["oldKey"])).hex() == r["proof"]
