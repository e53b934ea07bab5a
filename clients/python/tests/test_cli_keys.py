"""Key files cross the language boundary both ways: an encrypted key made by `agora keys new
--encrypt` (the default scrypt cost, N=2^17) opens here, and an encrypted key saved by the SDK
signs a transfer through `agora tx transfer` (the node's own reader opens it; a cheaper cost,
which the file records, keeps the suite quick)."""
import os
import subprocess

from agora_client import Key

from conftest import BIN

PASSWORD = "sdk-interop-Pw9"


def agora(*args, password=PASSWORD):
    env = dict(os.environ, AGORA_KEY_PASSWORD=password)
    r = subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_a_key_made_by_the_cli_opens_in_the_sdk(tmp_path):
    out = agora("keys", "new", "--keys", str(tmp_path), "--name", "alice", "--encrypt")
    key = Key.load(tmp_path / "alice.json", password=PASSWORD)
    assert key.address in out


def test_a_key_saved_by_the_sdk_signs_through_the_cli(dev_node, node, dev_key, tmp_path):
    key = Key.generate()
    key.save(tmp_path / "py.json", password=PASSWORD, scrypt=(1 << 12, 8, 1))
    node.transfer(dev_key, to=key.address, amount=1_000, wait=True)
    to = Key.generate().address
    agora("tx", "transfer", "--node", dev_node.url, "--key", str(tmp_path / "py.json"), "--to", to, "--amount", "7", "--wait")
    assert node.account(to).balance == 7
