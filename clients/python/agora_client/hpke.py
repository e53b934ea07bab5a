"""HPKE (RFC 9180) in base mode for the one suite the market uses: DHKEM(X25519, HKDF-SHA256)
(KEM 0x0020), HKDF-SHA256 (KDF 0x0001), ChaCha20-Poly1305 (AEAD 0x0003) — what the node's
`MarketSeal` gets from swift-crypto as `.Curve25519_SHA256_ChachaPoly`. Single-shot only
(one message per context, sequence number 0; the market passes an empty AAD): a delivery seals one 32-byte content
key. Written on `cryptography`'s X25519, HMAC-SHA256 and ChaCha20-Poly1305 because that
library has no HPKE; checked byte for byte against RFC 9180's own vector and the node's
(Tests/vectors/market.json)."""
from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, NoEncryption

from .errors import AgoraError

KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0003
KEM_SUITE = b"KEM" + KEM_ID.to_bytes(2, "big")
HPKE_SUITE = b"HPKE" + KEM_ID.to_bytes(2, "big") + KDF_ID.to_bytes(2, "big") + AEAD_ID.to_bytes(2, "big")
N_SECRET, N_K, N_N, N_H = 32, 32, 12, 32
MODE_BASE = 0


class HPKEError(AgoraError):
    """A box could not be sealed or opened; subclasses say why."""


class InvalidHPKEKey(HPKEError):
    """A key is not 32 bytes, or the X25519 agreement gave the all-zero secret (a low-order point)."""


class HPKEOpenFailed(HPKEError):
    """The box does not authenticate under this private key and `info`: a wrong key, another
    purchase or chain, or a tampered encapsulated key or ciphertext."""


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info, length)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _dh(private: X25519PrivateKey, public: bytes) -> bytes:
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as e:  # cryptography refuses the all-zero result itself
        raise InvalidHPKEKey(f"X25519 agreement failed: {e}") from None
    if shared == bytes(32):
        raise InvalidHPKEKey("X25519 agreement gave the all-zero secret")
    return shared


def _shared_secret(dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    prk = _labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return _labeled_expand(KEM_SUITE, prk, b"shared_secret", enc + pk_r, N_SECRET)


def _key_schedule(shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    psk_id_hash = _labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = bytes([MODE_BASE]) + psk_id_hash + info_hash
    secret = _labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    return (_labeled_expand(HPKE_SUITE, secret, b"key", context, N_K),
            _labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, N_N))


def _x25519_private(raw: bytes, what: str) -> X25519PrivateKey:
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != 32:
        raise InvalidHPKEKey(f"{what} is 32 bytes")
    return X25519PrivateKey.from_private_bytes(bytes(raw))


def public_key(private_key: bytes) -> bytes:
    """The X25519 public key (32 bytes) of a raw private key."""
    return _raw_public(_x25519_private(private_key, "an X25519 private key").public_key())


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair: (private, public), raw 32 bytes each."""
    k = X25519PrivateKey.generate()
    return k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()), _raw_public(k.public_key())


def seal(recipient_public: bytes, info: bytes, plaintext: bytes, *, aad: bytes = b"",
         ephemeral_private: bytes | None = None) -> tuple[bytes, bytes]:
    """SetupBaseS + Seal(seq 0): (encapsulated key, ciphertext ‖ tag). The market seals with an
    empty `aad`; the ephemeral key is fresh unless given (only tests give one, to reproduce a
    published vector)."""
    if not isinstance(recipient_public, (bytes, bytearray)) or len(recipient_public) != 32:
        raise InvalidHPKEKey("an X25519 public key is 32 bytes")
    eph = X25519PrivateKey.generate() if ephemeral_private is None else _x25519_private(ephemeral_private, "the ephemeral key")
    enc = _raw_public(eph.public_key())
    shared = _shared_secret(_dh(eph, bytes(recipient_public)), enc, bytes(recipient_public))
    key, nonce = _key_schedule(shared, info)
    return enc, ChaCha20Poly1305(key).encrypt(nonce, bytes(plaintext), bytes(aad))


def open_box(recipient_private: bytes, info: bytes, enc: bytes, ciphertext: bytes, *, aad: bytes = b"") -> bytes:
    """SetupBaseR + Open(seq 0): the plaintext, or `HPKEOpenFailed`."""
    sk = _x25519_private(recipient_private, "an X25519 private key")
    if not isinstance(enc, (bytes, bytearray)) or len(enc) != 32:
        raise HPKEOpenFailed(f"an encapsulated key is 32 bytes, got {len(enc) if isinstance(enc, (bytes, bytearray)) else type(enc).__name__}")
    try:
        shared = _shared_secret(_dh(sk, bytes(enc)), bytes(enc), _raw_public(sk.public_key()))
    except InvalidHPKEKey as e:
        raise HPKEOpenFailed(str(e)) from None
    key, nonce = _key_schedule(shared, info)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, bytes(ciphertext), bytes(aad))
    except InvalidTag:
        raise HPKEOpenFailed("the sealed box does not authenticate under this key and info") from None
