"""Pruning, backup and restore with real `agora` processes (issue 16, parts 3 and 4).

A dev node with a tiny `pruning.keepBlocks` prunes old block bodies in the background: the API
answers 410 `pruned` with the earliest height for an old transaction and block, keeps serving
headers (light blocks), shows `earliestHeight` in the status, and keeps all of it across a
restart."""
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, Node


def get_status(url, path):
    """(HTTP status, JSON body) without raising on 4xx."""
    try:
        with urllib.request.urlopen(url + path, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_for(what, cond, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = cond()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timeout: {what}")


def transfer(node, key, to, amount=1):
    r = subprocess.run([BIN, "tx", "transfer", "--node", node.url, "--key", key, "--to", to, "--amount", str(amount),
                        "--wait", "--timeout", "60"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"transfer: {r.stdout} {r.stderr}"
    return r.stdout.split()[1]  # "tx <id> pending"


@pytest.fixture(scope="module")
def pruned_node():
    n = Node(env={"AGORA_PRUNING_KEEP_BLOCKS": "5", "AGORA_LOG_LEVEL": "info"}, name="pruned")
    n.start(interval_ms=100)
    yield n
    n.stop()


def test_a_pruning_node_answers_410_below_its_earliest_height_and_keeps_it_across_a_restart(pruned_node):
    n = pruned_node
    key = f"{n.data}/keys/dev.json"
    dev = json.load(open(key))["address"]
    tx = transfer(n, key, dev)
    code, body = get_status(n.url, f"/api/v1/transactions/{tx}")
    assert code == 200 and body["status"] == "committed", body
    height = body["height"]
    # The window is 5 heights at 10 blocks a second: the body goes within a few seconds.
    earliest = wait_for("the transfer's height is pruned", lambda: (s := n.get("/api/v1/status"))["earliestHeight"] > height and s)
    assert earliest["height"] - earliest["earliestHeight"] < 5 + 20, earliest
    code, body = get_status(n.url, f"/api/v1/transactions/{tx}")
    assert code == 410 and body["code"] == "pruned", body
    assert body["earliestHeight"] > height, body
    code, body = get_status(n.url, f"/api/v1/blocks/{height}")
    assert code == 410 and body["code"] == "pruned" and body["earliestHeight"] > height, body
    # Headers and commits stay: light clients verify against them.
    code, light = get_status(n.url, f"/api/v1/light-blocks/{height}")
    assert code == 200 and light["header"], light
    # The head's block is whole; a block at the earliest height is too.
    status = n.get("/api/v1/status")
    code, block = get_status(n.url, f"/api/v1/blocks/{status['earliestHeight']}")
    assert code == 200, block
    with urllib.request.urlopen(n.url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    assert "agora_pruned_height " in text and "agora_pruned_rows_total " in text
    rows = [float(line.split()[-1]) for line in text.splitlines() if line.startswith("agora_pruned_rows_total ")]
    assert rows and rows[0] >= 1, rows
    # A restart keeps the earliest height and the 410s; pruning goes on.
    before = n.get("/api/v1/status")["earliestHeight"]
    assert n.stop() == 0
    open(n.out_path, "w").close()  # start() reads the API address from this file: the old one must go
    n.start(interval_ms=100)
    after = n.get("/api/v1/status")
    assert after["earliestHeight"] >= before, (before, after)
    code, body = get_status(n.url, f"/api/v1/transactions/{tx}")
    assert code == 410 and body["code"] == "pruned", body
    wait_for("pruning goes on after the restart", lambda: n.get("/api/v1/status")["earliestHeight"] > before + 5)
