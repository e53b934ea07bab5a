"""The market's cryptography and its whole sale from Python (docs/market.md), byte-compatible
with the node's `MarketSeal` and `ContentCipher` (Sources/AgoraCore/Ledger/MarketCrypto.swift):

- `seal_content_key` / `open_content_key`: HPKE base mode (`hpke.py`) of the 32-byte content key
  to a purchase's one-time X25519 key, `info` = "agora/market/delivery/v1\\0" ‖ chain ID ‖ 0x00 ‖
  purchase ID, so a box opens for one chain and one purchase only;
- `encrypt_content` / `decrypt_content`: 64 KiB chunks of ChaCha20-Poly1305, nonce = final flag ‖
  0 0 0 ‖ chunk index (u64 big-endian), so reordering and truncation fail;
- `MarketMethods` (mixed into `Node`, named as the MCP tools are): `market_offer` (encrypt,
  upload the ciphertext, commit the offer), `market_buy` (escrow with a fresh one-time key),
  `market_deliver` (seal the content key to the buyer), `market_receive` (wait for the delivery, open it, check it against the offer's commitment — disputing
  on the chain when it is wrong —, download the ciphertext, decrypt it and check the plaintext
  hash). The secrets a sale needs (content key, one-time private key) are returned to the caller,
  who keeps them: the SDK writes no files."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from . import hpke
from .errors import AgoraError, InvalidInput
from .payloads import hex_bytes
from .views import Receipt

INFO_DOMAIN = b"agora/market/delivery/v1\x00"
CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16


class MarketError(AgoraError):
    """A sale cannot go on; the subclasses say why."""


class WrongContentKey(MarketError):
    """The delivered box does not open under the buyer's one-time key, or opens to a key whose
    SHA-256 is not the offer's commitment: the seller cheated (or delivered to another purchase).
    `disputed` is the dispute's receipt when `receive` disputed on the chain, else None."""

    def __init__(self, purchase: str, reason: str, disputed: Receipt | None = None):
        tail = "; dispute committed: price refunded and bond slashed to the buyer" if disputed else ""
        super().__init__(f"purchase {purchase}: seller delivered a wrong key ({reason}){tail}")
        self.purchase = purchase
        self.reason = reason
        self.disputed = disputed


class ContentAuthenticationFailed(MarketError):
    """The encrypted content does not decrypt under the content key: a wrong key, or ciphertext
    that was damaged, reordered or cut. `chunk` is the first chunk that failed (None: truncated)."""

    def __init__(self, message: str, chunk: int | None):
        super().__init__(message)
        self.chunk = chunk


class PlaintextMismatch(MarketError):
    """The decrypted content does not hash to the offer's plaintext SHA-256."""

    def __init__(self, expected: str, found: str):
        super().__init__(f"decrypted content hashes to {found}, the offer promised {expected}")
        self.expected = expected
        self.found = found


class DeliveryTimeout(MarketError):
    def __init__(self, purchase: str, seconds: float, due_at: int):
        super().__init__(f"purchase {purchase}: nothing delivered after {seconds} s (delivery deadline, block time ms: {due_at}; "
                         "the price is refunded on the chain at the deadline)")
        self.purchase = purchase
        self.due_at = due_at


# ---- cryptography -------------------------------------------------------------------------


def delivery_info(chain_id: str, purchase: Any) -> bytes:
    """HPKE `info` of a delivery: binds the box to one chain and one purchase."""
    return INFO_DOMAIN + chain_id.encode() + b"\x00" + hex_bytes(purchase, "purchase")


def key_commitment(content_key: bytes) -> str:
    """SHA-256 of the content key (hex): what an offer commits to."""
    return hashlib.sha256(_content_key(content_key)).hexdigest()


def new_content_key() -> bytes:
    import os
    return os.urandom(32)


def _content_key(k: Any) -> bytes:
    if not isinstance(k, (bytes, bytearray)) or len(k) != 32:
        raise InvalidInput("content_key", f"a content key is 32 bytes, got {len(k) if isinstance(k, (bytes, bytearray)) else type(k).__name__}")
    return bytes(k)


def seal_content_key(content_key: bytes, buyer_key: Any, chain_id: str, purchase: Any,
                     *, ephemeral_private: bytes | None = None) -> tuple[bytes, bytes]:
    """The seller's side: (encapsulated key 32 B, sealed key 48 B) for `deliver_key`."""
    recipient = hex_bytes(buyer_key, "buyer_key")
    return hpke.seal(recipient, delivery_info(chain_id, purchase), _content_key(content_key), ephemeral_private=ephemeral_private)


def open_content_key(encapsulated_key: Any, ciphertext: Any, buyer_secret: bytes, chain_id: str, purchase: Any) -> bytes:
    """The buyer's side: the content key, or `hpke.HPKEOpenFailed` (a wrong key or a tampered box)."""
    box = hex_bytes(ciphertext, "ciphertext", 48)
    return hpke.open_box(bytes(buyer_secret), delivery_info(chain_id, purchase), hex_bytes(encapsulated_key, "encapsulated_key"), box)


def _nonce(index: int, final: bool) -> bytes:
    return bytes([1 if final else 0, 0, 0, 0]) + index.to_bytes(8, "big")


def ciphertext_size(plaintext_size: int) -> int:
    return plaintext_size + max(1, -(-plaintext_size // CHUNK_BYTES)) * TAG_BYTES


def encrypt_content(content_key: bytes, plaintext: bytes) -> bytes:
    """The offer's ciphertext: each 64 KiB chunk ‖ tag; an empty plaintext is one empty final chunk."""
    aead = ChaCha20Poly1305(_content_key(content_key))
    data = bytes(plaintext)
    count = max(1, -(-len(data) // CHUNK_BYTES))
    return b"".join(aead.encrypt(_nonce(i, i == count - 1), data[i * CHUNK_BYTES:(i + 1) * CHUNK_BYTES], b"") for i in range(count))


def decrypt_content(content_key: bytes, ciphertext: bytes) -> bytes:
    """The inverse of `encrypt_content`; `ContentAuthenticationFailed` on a wrong key, damage,
    reordering or truncation."""
    aead = ChaCha20Poly1305(_content_key(content_key))
    sealed = CHUNK_BYTES + TAG_BYTES
    data = bytes(ciphertext)
    if not data:
        raise ContentAuthenticationFailed("the ciphertext ends before its final chunk", None)
    count = -(-len(data) // sealed)
    out = []
    for i in range(count):
        piece = data[i * sealed:(i + 1) * sealed]
        if len(piece) < TAG_BYTES:
            raise ContentAuthenticationFailed("the ciphertext ends before its final chunk", None)
        try:
            out.append(aead.decrypt(_nonce(i, i == count - 1), piece, b""))
        except InvalidTag:
            raise ContentAuthenticationFailed(f"chunk {i} does not authenticate under this key (wrong key or damaged ciphertext)", i) from None
    return b"".join(out)


# ---- the sale -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Offered:
    """A committed offer and the content key the seller must keep to deliver."""

    offer_id: str
    content_key: bytes
    receipt: Receipt


@dataclass(frozen=True)
class Bought:
    """A purchase and its one-time X25519 private key, which the buyer must keep to receive
    (and reveals only to dispute)."""

    purchase_id: str
    buyer_secret: bytes
    receipt: Receipt


class MarketMethods:
    def market_offer(self, key, content: bytes, *, title: str, price: int, bond: int = 0, expires_in_ms: int = 86_400_000,
              delivery_window_ms: int = 3_600_000, dispute_window_ms: int = 3_600_000, group: str | None = None,
              royalty: dict | None = None, content_key: bytes | None = None, **opts) -> Offered:
        """Encrypts `content` under a fresh content key, uploads the ciphertext (signed by `key`)
        and commits the offer; waits for the commit unless `wait=False` is passed."""
        if not isinstance(content, (bytes, bytearray)):
            raise InvalidInput("content", "bytes")
        ck = new_content_key() if content_key is None else _content_key(content_key)
        ref = self.upload_artifact(encrypt_content(ck, content), key=key)
        expires = self.status().head_time + int(expires_in_ms)
        opts.setdefault("wait", True)
        r = self.create_offer(key, title, ref.as_dict(), hashlib.sha256(content).hexdigest(), key_commitment(ck), price, bond,
                              expires, delivery_window_ms, dispute_window_ms, group=group, royalty=royalty, **opts)
        return Offered(r.offer_id, ck, r)

    def market_buy(self, key, offer: str, **opts) -> Bought:
        """Escrows the offer's price with a fresh one-time X25519 key; waits unless `wait=False`."""
        secret, public = hpke.new_key_pair()
        opts.setdefault("wait", True)
        r = self.buy_offer(key, offer, public, **opts)
        return Bought(r.purchase_id, secret, r)

    def market_deliver(self, key, purchase: str, content_key: bytes, **opts) -> Receipt:
        """Seals the content key to the purchase's one-time key and sends it; waits unless `wait=False`."""
        p = self.purchase(purchase)
        enc, box = seal_content_key(content_key, p.buyer_key, self.chain_id, purchase)
        opts.setdefault("wait", True)
        return self.deliver_key(key, purchase, enc, box, **opts)

    def market_receive(self, key, purchase: str, buyer_secret: bytes, *, timeout: float = 60.0, dispute: bool = True,
                poll: float = 0.1) -> bytes:
        """Waits for the delivery, opens and checks it, then downloads, decrypts and verifies the
        content. A wrong key raises `WrongContentKey` (after disputing, signed by `key`, unless
        `dispute=False`); bad content `ContentAuthenticationFailed` or `PlaintextMismatch`."""
        p = self._await_delivery(purchase, timeout, poll)
        offer = self.offer(p.offer)
        try:
            ck = open_content_key(p.delivery["encapsulatedKey"], p.delivery["ciphertext"], buyer_secret, self.chain_id, purchase)
            reason = None if hashlib.sha256(ck).hexdigest() == offer.key_commitment else "it does not match the offer's commitment"
        except hpke.HPKEOpenFailed as e:
            reason = f"the box does not open: {e}"
        if reason is not None:
            receipt = self.dispute_purchase(key, purchase, buyer_secret, wait=True) if dispute else None
            raise WrongContentKey(purchase, reason, receipt)
        plain = decrypt_content(ck, self.download_artifact(offer.artifact["sha256"], key=key))
        found = hashlib.sha256(plain).hexdigest()
        if found != offer.plaintext_sha256:
            raise PlaintextMismatch(offer.plaintext_sha256, found)
        return plain

    def _await_delivery(self, purchase: str, timeout: float, poll: float):
        deadline = time.monotonic() + timeout
        while True:
            p = self.purchase(purchase)
            if p.get("delivery"):
                return p
            if p.status != "awaiting_delivery" or time.monotonic() >= deadline:
                raise DeliveryTimeout(purchase, timeout, p.due_at)
            time.sleep(poll)
