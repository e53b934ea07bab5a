"""Signing keys and the node's key-file format (docs/key-files.md).

`Key` is an Ed25519 key: `generate()`, `from_seed()`, `load()` a key file written by
`agora keys new` (plaintext or scrypt + ChaCha20-Poly1305, the header bound as associated data)
and `save()` one the node can read. Opening follows the node's reader step by step, so a file
the node refuses is refused here with the same reason: loose permissions, oversized, bad shape,
a wrong password (told apart by `passwordCheck`), a tampered header or ciphertext, a secret that
does not give the public key."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat as stat_mod
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from . import bech32m
from .codec import Writer, sha256
from .errors import (
    InvalidAddress,
    InvalidInput,
    KeyFileNotFound,
    LoosePermissions,
    MalformedKeyFile,
    PasswordRequired,
    TamperedKeyFile,
    UnsupportedKeyFile,
    WrongPassword,
)

MAX_FILE_BYTES = 64 * 1024
DEFAULT_SCRYPT = (1 << 17, 8, 1)


def address_of(public_key: bytes) -> str:
    """The `ag1…` address of a 32-byte Ed25519 public key: the first 20 bytes of its SHA-256."""
    return bech32m.encode(sha256(public_key)[:20])


class Key:
    """An Ed25519 signing key. `address` and `public_key` are public; the seed is reachable only
    through `seed()` (for saving), never printed by `repr`."""

    __slots__ = ("_private", "public_key", "address", "address_bytes", "name")

    def __init__(self, private: Ed25519PrivateKey, name: str = ""):
        self._private = private
        self.public_key: bytes = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.address_bytes: bytes = sha256(self.public_key)[:20]
        self.address: str = bech32m.encode(self.address_bytes)
        self.name = name

    @classmethod
    def generate(cls, name: str = "") -> "Key":
        return cls(Ed25519PrivateKey.generate(), name)

    @classmethod
    def from_seed(cls, seed: bytes, name: str = "") -> "Key":
        if len(seed) != 32:
            raise InvalidInput("seed", f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)), name)

    @classmethod
    def load(cls, path: str | os.PathLike, password: str | None = None) -> "Key":
        """Opens a key file as the node does (docs/key-files.md). `password` is needed only for
        encrypted files; `PasswordRequired`, `WrongPassword`, `TamperedKeyFile`,
        `LoosePermissions`, `MalformedKeyFile`, `UnsupportedKeyFile` say what is wrong."""
        path = os.fspath(path)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise KeyFileNotFound(f"key file not found: {path}") from None
        mode = stat_mod.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise LoosePermissions(f"key file {path} has mode {mode:o}; it must not be readable by group or others (chmod 600)")
        if info.st_size > MAX_FILE_BYTES:
            raise MalformedKeyFile(f"malformed key file: file is {info.st_size} bytes, limit {MAX_FILE_BYTES}")
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        try:
            doc = json.loads(raw)
        except ValueError as e:
            raise MalformedKeyFile(f"malformed key file: not JSON: {e}") from None
        return cls.from_key_file(doc, password)

    @classmethod
    def from_key_file(cls, doc: Any, password: str | None = None) -> "Key":
        """Opens a key file already parsed from JSON (see `load`)."""
        f = _KeyFileFields.parse(doc)
        seed = f.open(password)
        key = cls.from_seed(seed, f.name)
        if key.public_key != f.public_key:
            raise TamperedKeyFile("key file has been modified: secret does not match publicKey")
        return key

    def seed(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def key_file(self, name: str | None = None, password: str | None = None, *, scrypt: tuple[int, int, int] = DEFAULT_SCRYPT,
                 salt: bytes | None = None, nonce: bytes | None = None) -> dict:
        """The key-file JSON object; sealed when `password` is given. `salt`/`nonce` exist for
        reproducing test vectors only: leave them to the random default."""
        name = self.name if name is None else name
        doc = {"version": 1, "name": name, "address": self.address, "publicKey": self.public_key.hex()}
        if password is None:
            doc["secret"] = self.seed().hex()  # no "encryption" field: what the node writes for plaintext files
            return doc
        if not password:
            raise InvalidInput("password", "must not be empty")
        n, r, p = scrypt
        salt = salt if salt is not None else secrets.token_bytes(32)
        nonce = nonce if nonce is not None else secrets.token_bytes(12)
        aead_key, check = _derive(password, salt, n, r, p)
        enc = {"kdf": "scrypt", "n": n, "r": r, "p": p, "salt": salt.hex(), "cipher": "chacha20-poly1305",
               "nonce": nonce.hex(), "passwordCheck": check.hex()}
        doc["encryption"] = enc
        ad = _associated_data(1, doc["publicKey"], enc)
        doc["secret"] = ChaCha20Poly1305(aead_key).encrypt(nonce, self.seed(), ad).hex()
        return doc

    def save(self, path: str | os.PathLike, password: str | None = None, *, name: str | None = None, replace: bool = False,
             scrypt: tuple[int, int, int] = DEFAULT_SCRYPT) -> None:
        """Writes a key file the node reads (mode 0600, atomically)."""
        path = os.fspath(path)
        if not replace and os.path.exists(path):
            raise InvalidInput("path", f"key file already exists: {path}")
        doc = self.key_file(name if name is not None else (self.name or os.path.splitext(os.path.basename(path))[0]), password, scrypt=scrypt)
        tmp = f"{path}.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            os.write(fd, json.dumps(doc, indent=2, sort_keys=True).encode())
            os.fsync(fd)
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        os.replace(tmp, path)

    def __repr__(self) -> str:
        return f"Key(address={self.address!r})"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    """scrypt → 64 bytes: the first 32 the AEAD key, SHA-256 of the last 32 the password check."""
    out = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=64, maxmem=128 * r * (n + p + 2) + (1 << 20))
    return out[:32], hashlib.sha256(out[32:]).digest()


def _associated_data(version: int, public_key_hex: str, enc: dict | None) -> bytes:
    w = Writer()
    w.buf += b"agora/keyfile/v1"
    w.u64(version).string(public_key_hex.lower())
    if enc is not None:
        w.string(enc["kdf"]).u64(enc["n"]).u64(enc["r"]).u64(enc["p"])
        w.string(enc["salt"].lower()).string(enc["cipher"]).string(enc["passwordCheck"].lower())
    return w.done()


def _hex(v: Any, what: str) -> bytes:
    if not isinstance(v, str):
        raise MalformedKeyFile(f"malformed key file: {what} is not a hex string")
    try:
        return bytes.fromhex(v)
    except ValueError:
        raise MalformedKeyFile(f"malformed key file: {what} is not hex") from None


@dataclass
class _KeyFileFields:
    version: int
    name: str
    address: str
    public_key_hex: str
    public_key: bytes
    encryption: dict | None
    secret: bytes

    @classmethod
    def parse(cls, doc: Any) -> "_KeyFileFields":
        if not isinstance(doc, dict):
            raise MalformedKeyFile("malformed key file: not a JSON object")
        for k, t in (("version", int), ("name", str), ("address", str), ("publicKey", str), ("secret", str)):
            if not isinstance(doc.get(k), t) or isinstance(doc.get(k), bool):
                raise MalformedKeyFile(f"malformed key file: {k} is missing or not a {t.__name__}")
        if doc["version"] != 1:
            raise UnsupportedKeyFile(f"unsupported key file version {doc['version']}")
        pub = _hex(doc["publicKey"], "publicKey")
        if len(pub) != 32:
            raise MalformedKeyFile("malformed key file: publicKey is not 32 hex bytes")
        if _address_field(doc["address"]) != sha256(pub)[:20]:
            raise TamperedKeyFile("key file has been modified: address does not match publicKey")
        enc = doc.get("encryption")
        if enc is not None and not isinstance(enc, dict):
            raise MalformedKeyFile("malformed key file: encryption is not an object")
        return cls(1, doc["name"], doc["address"], doc["publicKey"], pub, enc, _hex(doc["secret"], "secret"))

    def open(self, password: str | None) -> bytes:
        if self.encryption is None:
            if len(self.secret) != 32:
                raise MalformedKeyFile(f"malformed key file: secret has {len(self.secret)} bytes, want 32")
            return self.secret
        enc = self.encryption
        if password is None:
            raise PasswordRequired("key file is encrypted: pass password=")
        for k, t in (("kdf", str), ("n", int), ("r", int), ("p", int), ("salt", str), ("cipher", str), ("nonce", str), ("passwordCheck", str)):
            if not isinstance(enc.get(k), t) or isinstance(enc.get(k), bool):
                raise MalformedKeyFile(f"malformed key file: encryption.{k} is missing or not a {t.__name__}")
        if enc["kdf"] != "scrypt":
            raise UnsupportedKeyFile(f"unsupported key file setting: kdf {enc['kdf']}")
        if enc["cipher"] != "chacha20-poly1305":
            raise UnsupportedKeyFile(f"unsupported key file setting: cipher {enc['cipher']}")
        n, r, p = enc["n"], enc["r"], enc["p"]
        if not (2 <= n <= 1 << 20 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
            raise UnsupportedKeyFile(f"unsupported key file setting: scrypt parameters n={n} r={r} p={p}")
        salt, nonce, check = _hex(enc["salt"], "salt"), _hex(enc["nonce"], "nonce"), _hex(enc["passwordCheck"], "passwordCheck")
        if not 16 <= len(salt) <= 64:
            raise MalformedKeyFile("malformed key file: salt")
        if len(nonce) != 12:
            raise MalformedKeyFile("malformed key file: nonce")
        if len(check) != 32:
            raise MalformedKeyFile("malformed key file: passwordCheck")
        if len(self.secret) != 48:
            raise MalformedKeyFile(f"malformed key file: secret has {len(self.secret)} bytes, want 48")
        aead_key, derived_check = _derive(password, salt, n, r, p)
        if derived_check != check:
            raise WrongPassword("wrong password for key file")
        try:
            return ChaCha20Poly1305(aead_key).decrypt(nonce, self.secret, _associated_data(self.version, self.public_key_hex, enc))
        except InvalidTag:
            raise TamperedKeyFile("key file has been modified: ciphertext or header failed authentication") from None


def _address_field(text: str) -> bytes:
    """A key file's address: Bech32m, or the legacy `ag1` + 40 hex of files written before."""
    if len(text) == 43 and text.lower().startswith("ag1"):
        try:
            return bytes.fromhex(text[3:])
        except ValueError:
            pass
    try:
        return bech32m.decode(text, "address")
    except InvalidAddress:
        return b""  # the node reports this as "address does not match publicKey" too
