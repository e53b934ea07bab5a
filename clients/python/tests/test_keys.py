"""Key files as the node writes and reads them (docs/key-files.md): round trips, and each way a
file can be wrong gives its own exception: wrong password, no password, tampered header or
ciphertext, address not matching, loose permissions, unsupported scrypt cost."""
import json
import os

import pytest

from agora_client import (Key, LoosePermissions, MalformedKeyFile, PasswordRequired, TamperedKeyFile, UnsupportedKeyFile,
                          WrongPassword)

CHEAP = (1 << 10, 8, 1)


def sealed(tmp_path, password="pw-1"):
    key = Key.generate()
    path = tmp_path / "k.json"
    key.save(path, password, scrypt=CHEAP)
    return key, path


def edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    os.chmod(path, 0o600)


def test_plaintext_and_encrypted_files_round_trip(tmp_path):
    key = Key.generate()
    key.save(tmp_path / "plain.json")
    assert Key.load(tmp_path / "plain.json").address == key.address
    assert oct(os.stat(tmp_path / "plain.json").st_mode & 0o777) == "0o600"
    key2, path = sealed(tmp_path)
    assert Key.load(path, password="pw-1").seed() == key2.seed()


def test_wrong_password_is_told_apart_from_tampering(tmp_path):
    _, path = sealed(tmp_path)
    with pytest.raises(WrongPassword):
        Key.load(path, password="pw-2")
    with pytest.raises(PasswordRequired):
        Key.load(path)


def flip(hex_text):
    return ("ff" if hex_text[:2] != "ff" else "00") + hex_text[2:]


@pytest.mark.parametrize("change", [
    lambda d: d.update(secret=flip(d["secret"])),
    lambda d: d["encryption"].update(nonce=flip(d["encryption"]["nonce"])),
])
def test_an_edited_ciphertext_or_nonce_is_tampering(tmp_path, change):
    _, path = sealed(tmp_path)
    edit(path, change)
    with pytest.raises(TamperedKeyFile):
        Key.load(path, password="pw-1")


def test_a_lowered_scrypt_cost_does_not_open(tmp_path):
    _, path = sealed(tmp_path)
    edit(path, lambda d: d["encryption"].update(r=4))
    with pytest.raises((TamperedKeyFile, WrongPassword)):
        Key.load(path, password="pw-1")


def test_a_swapped_public_key_is_tampering(tmp_path):
    _, path = sealed(tmp_path)
    other = Key.generate()
    edit(path, lambda d: d.update(publicKey=other.public_key.hex(), address=other.address))
    with pytest.raises(TamperedKeyFile):
        Key.load(path, password="pw-1")
    edit(path, lambda d: d.update(address=Key.generate().address))
    with pytest.raises(TamperedKeyFile):
        Key.load(path, password="pw-1")


def test_loose_permissions_and_bad_shapes_are_refused(tmp_path):
    key = Key.generate()
    key.save(tmp_path / "k.json")
    os.chmod(tmp_path / "k.json", 0o644)
    with pytest.raises(LoosePermissions):
        Key.load(tmp_path / "k.json")
    (tmp_path / "bad.json").write_text("{not json")
    os.chmod(tmp_path / "bad.json", 0o600)
    with pytest.raises(MalformedKeyFile):
        Key.load(tmp_path / "bad.json")


def test_a_hostile_scrypt_cost_is_refused_before_deriving(tmp_path):
    _, path = sealed(tmp_path)
    edit(path, lambda d: d["encryption"].update(n=1 << 30))
    with pytest.raises(UnsupportedKeyFile):
        Key.load(path, password="pw-1")


def test_repr_never_shows_the_seed():
    key = Key.generate()
    assert key.seed().hex() not in repr(key)
