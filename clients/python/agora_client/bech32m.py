"""Address text: Bech32m (BIP-350) with the human-readable part `ag`, read and written as
docs/formats.md ("Address text") specifies, with the node's order of checks and its reasons, so
a mistyped address is refused here before anything is signed instead of by the node."""
from __future__ import annotations

from .errors import InvalidAddress

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
HRP = "ag"
TEXT_LENGTH = 41
BECH32M_CONST = 0x2BC830A3
BECH32_CONST = 1
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp: str):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data, from_bits: int, to_bits: int, pad: bool):
    acc = bits = 0
    out = []
    maxv = (1 << to_bits) - 1
    for v in data:
        acc = (acc << from_bits) | v
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def encode(raw: bytes) -> str:
    """The `ag1…` text of a 20-byte address."""
    if len(raw) != 20:
        raise ValueError(f"an address is 20 bytes, got {len(raw)}")
    data = _convert(raw, 8, 5, True)
    values = _hrp_expand(HRP) + data
    mod = _polymod(values + [0] * 6) ^ BECH32M_CONST
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return HRP + "1" + "".join(CHARSET[d] for d in data + checksum)


_decoded: dict[str, bytes] = {}


def decode(text: str, field: str = "address") -> bytes:
    """The 20 bytes of an `ag1…` address; `InvalidAddress` (with the node's reason) otherwise.
    Valid addresses are remembered (a program sends to the same few many times, and the pure
    Python checksum costs as much as the Ed25519 signature)."""
    raw = _decoded.get(text) if isinstance(text, str) else None
    if raw is not None:
        return raw
    raw = _decode(text, field)
    if len(_decoded) >= 4096:
        _decoded.clear()
    _decoded[text] = raw
    return raw


def _decode(text: str, field: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidAddress(field, "wrongLength", f"{field} must be an ag1… string, got {type(text).__name__}")

    def bad(reason: str, message: str):
        return InvalidAddress(field, reason, f'address "{text[:90]}" {message}')

    lower = text.lower()
    if lower.startswith("ag1") and len(text) == 43 and all(c in "0123456789abcdef" for c in lower[3:]):
        raise bad("legacyHex", "is in the old hex form; addresses are Bech32m now (agora keys show prints it)")
    if lower.startswith("ag1") and len(text) != TEXT_LENGTH:
        raise bad("wrongLength", f"has {len(text)} characters; an address has {TEXT_LENGTH}")
    if len(text) > 90:
        raise bad("wrongLength", f"has {len(text)} characters; an address has {TEXT_LENGTH}")
    for i, c in enumerate(text):
        if not 33 <= ord(c) <= 126:
            raise bad("invalidCharacter", f"has an invalid character at position {i}")
    if text != lower and text != text.upper():
        raise bad("mixedCase", "mixes upper and lower case")
    sep = lower.rfind("1")
    if sep < 0:
        raise bad("missingSeparator", "has no separator '1'")
    hrp, rest = lower[:sep], lower[sep + 1:]
    if not hrp:
        raise bad("wrongPrefix", 'has an empty prefix; addresses start with "ag1"')
    if len(rest) < 6:
        raise bad("badChecksum", "has a bad checksum")
    data = []
    for i, c in enumerate(rest):
        d = CHARSET.find(c)
        if d < 0:
            raise bad("invalidCharacter", f"has an invalid character at position {sep + 1 + i}")
        data.append(d)
    check = _polymod(_hrp_expand(hrp) + data)
    if check == BECH32_CONST:
        raise bad("bech32Checksum", "has a Bech32 checksum; Agora addresses use Bech32m")
    if check != BECH32M_CONST:
        raise bad("badChecksum", "has a bad checksum (a mistyped character?)")
    if hrp != HRP:
        raise bad("wrongPrefix", f'has the prefix "{hrp[:16]}"; addresses start with "ag1"')
    raw = _convert(data[:-6], 5, 8, False)
    if raw is None:
        raise bad("badPadding", "has non-zero padding bits")
    if len(raw) != 20:
        raise bad("wrongLength", f"holds {len(raw)} bytes; an address holds 20")
    return bytes(raw)


def is_valid(text: str) -> bool:
    try:
        decode(text)
        return True
    except InvalidAddress:
        return False
