"""Signed transactions (docs/formats.md, "Transaction"): the body's canonical bytes, the
Ed25519 signature over `"agora/tx/v1\\0" ‖ body`, the transaction ID (SHA-256 of the whole
encoding) and the IDs of what a transaction creates, derived from its sender and nonce — known
before it is sent, so a program can refer to its new group or claim at once."""
from __future__ import annotations

from dataclasses import dataclass

from . import bech32m
from .codec import Writer, sha256, u64_bytes
from .errors import InvalidInput
from .payloads import _amount, _chain_id, uint

SIGNING_DOMAIN = b"agora/tx/v1\x00"
MAX_TRANSACTION_BYTES = 64 * 1024
ROTATE_DOMAIN = b"agora/rotate/v1\x00"


@dataclass(frozen=True)
class SignedTransaction:
    """What `sign_transaction` returns: the exact bytes to submit and their ID."""

    bytes: bytes
    id: str
    nonce: int
    sender: str

    @property
    def hex(self) -> str:
        return self.bytes.hex()


def body_bytes(chain_id: str, sender_public_key: bytes, nonce: int, fee: int, expires_at: int, payload: bytes) -> bytes:
    w = Writer().u8(1).string(_chain_id(chain_id, "chain_id")).fixed(sender_public_key, 32)
    w.u64(uint(nonce, "nonce")).u64(_amount(fee, "fee")).u64(uint(expires_at, "expires_at"))
    return w.done() + payload


def sign_transaction(key, chain_id: str, nonce: int, fee: int, expires_at: int, payload: bytes) -> SignedTransaction:
    """Encodes and signs one transaction with `key` (an `agora_client.Key`)."""
    body = body_bytes(chain_id, key.public_key, nonce, fee, expires_at, payload)
    raw = body + key.sign(SIGNING_DOMAIN + body)
    if len(raw) > MAX_TRANSACTION_BYTES:
        raise InvalidInput("transaction", f"is {len(raw)} bytes; at most {MAX_TRANSACTION_BYTES}")
    return SignedTransaction(raw, sha256(raw).hex(), nonce, key.address)


def rotation_proof(new_key, chain_id: str, old_public_key: bytes) -> bytes:
    """What `rotate_validator_key` carries: the new key's signature over
    `"agora/rotate/v1\\0" ‖ chainID ‖ old key`."""
    return new_key.sign(ROTATE_DOMAIN + Writer().string(_chain_id(chain_id)).done() + old_public_key)


_ID_DOMAINS = {
    "group": b"agora/group/v1\x00", "claim": b"agora/claim/v1\x00", "task": b"agora/task/v1\x00",
    "offer": b"agora/offer/v1\x00", "purchase": b"agora/purchase/v1\x00", "intent": b"agora/intent/v1\x00",
    "settlement": b"agora/settlement/v1\x00",
}


def derived_id(kind: str, sender: str, nonce: int) -> str:
    """The ID of the group, claim, task, offer, purchase, intent or settlement that the
    transaction of `sender` (ag1…) with `nonce` creates."""
    if kind not in _ID_DOMAINS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(_ID_DOMAINS)}")
    return sha256(_ID_DOMAINS[kind], bech32m.decode(sender, "sender"), u64_bytes(nonce)).hex()
