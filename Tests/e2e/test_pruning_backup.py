"""Pruning, backup and restore with real `agora` processes (issue 16, parts 3 and 4).

A dev node with a tiny `pruning.keepBlocks` prunes old block bodies in the background: the API
answers 410 `pruned` with the earliest height for an old transaction and block, keeps serving
headers (light blocks), shows `earliestHeight` in the status, and keeps all of it across a
restart. A validator backed up under load restores as a follower that catches up, and as a
moved validator whose signing guard keeps it from double-signing; a truncated backup, a target
that is not empty and a target of another chain are refused."""
import json
import os
import re
import signal
import subprocess
import threading
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


# --- Backup and restore on a four-validator network -------------------------------------------

def agora(*args, check=True):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, f"agora {' '.join(args)}: {r.stdout} {r.stderr}"
    return r


def edit_settings(directory, **values):
    path = os.path.join(directory, "agora.json")
    cfg = json.load(open(path))
    for key, value in values.items():
        d = cfg
        parts = key.split(".")
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = value
    json.dump(cfg, open(path, "w"))


def start_dir(net, directory, url, name):
    log_path = os.path.join(net.dir, f"{name}.log")
    proc = subprocess.Popen([BIN, "start", "--data-dir", directory], stdout=open(log_path, "ab"), stderr=subprocess.STDOUT, env=net.env)
    net.extra.append(proc)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited: {open(log_path, errors='replace').read()[-3000:]}")
        try:
            if get_status(url, "/api/v1/status")[0] == 200:
                return proc
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{name} did not start")


class Load(threading.Thread):
    """Transfers at node0 until stopped: the chain commits while the backup runs."""

    def __init__(self, net):
        super().__init__(daemon=True)
        self.net, self.stop, self.done = net, threading.Event(), 0

    def run(self):
        to = json.load(open(self.net.key(1)))["address"]
        while not self.stop.is_set():
            r = subprocess.run([BIN, "tx", "transfer", "--node", self.net.urls[0], "--key", self.net.key(0), "--to", to,
                                "--amount", "1", "--wait", "--timeout", "30"], capture_output=True, text=True, timeout=60)
            self.done += r.returncode == 0


def test_a_validator_backed_up_under_load_restores_as_a_follower_and_as_a_moved_validator_that_does_not_double_sign():
    from test_consensus import LocalNet, free_base, metric_sum, metrics, signers
    net = LocalNet(n=4)
    net.extra = []
    try:
        for i in range(4):
            net.start(i)
        load = Load(net)
        load.start()
        net.wait("the chain commits", lambda: net.height(0) >= 5)
        backup = os.path.join(net.dir, "node3.agorabak")
        out = agora("backup", "--data-dir", net.node_dir(3), "--out", backup).stdout
        height = int(re.search(r"at height (\d+)", out).group(1))
        assert height >= 1 and os.path.getsize(backup) > 0, out
        load.stop.set()
        load.join(timeout=90)
        assert load.done >= 1

        # Bad input: a truncated file, a target that is not empty, a target of another chain —
        # each refused with its reason and exit code 2, leaving nothing behind.
        truncated = backup + ".short"
        with open(backup, "rb") as src, open(truncated, "wb") as dst:
            dst.write(src.read()[:-100])
        target = os.path.join(net.dir, "restored-bad")
        r = agora("restore", truncated, "--data-dir", target, check=False)
        assert r.returncode == 2 and "truncated_backup" in r.stderr, r.stderr
        assert not os.path.exists(target)
        assert not [n for n in os.listdir(net.dir) if ".restore-" in n], os.listdir(net.dir)
        os.makedirs(target)
        open(os.path.join(target, "notes.txt"), "w").write("mine")
        r = agora("restore", backup, "--data-dir", target, check=False)
        assert r.returncode == 2 and "target_not_empty" in r.stderr and "notes.txt" in r.stderr, r.stderr
        assert os.listdir(target) == ["notes.txt"]
        other = os.path.join(net.dir, "restored-other")
        os.makedirs(other)
        genesis = json.load(open(os.path.join(net.dir, "genesis.json")))
        genesis["chainID"] = "another-chain"
        json.dump(genesis, open(os.path.join(other, "genesis.json"), "w"))
        r = agora("restore", backup, "--data-dir", other, check=False)
        assert r.returncode == 2 and "other_chain" in r.stderr, r.stderr
        assert os.listdir(other) == ["genesis.json"]

        # A plain restore follows the chain with a new key and catches up.
        follower = os.path.join(net.dir, "follower")
        out = agora("restore", backup, "--data-dir", follower).stdout
        assert f"at height {height}" in out and "follows the chain" in out, out
        assert not os.path.exists(os.path.join(follower, "consensus"))
        base = free_base(2)
        furl = f"http://127.0.0.1:{base}"
        edit_settings(follower, **{"http.address": f"127.0.0.1:{base}", "p2p.address": f"127.0.0.1:{base + 1}",
                                   "p2p.peers": [f"127.0.0.1:{net.p2p_base + i}" for i in range(3)]})
        start_dir(net, follower, furl, "follower")
        assert get_status(furl, "/api/v1/status")[1]["validator"] == ""
        target_height = net.height(0)
        wait_for("the follower catches up", lambda: get_status(furl, "/api/v1/status")[1]["height"] >= target_height, timeout=90)
        assert get_status(furl, f"/api/v1/blocks/{target_height}")[1]["hash"] == net.block(0, target_height)["hash"]

        # Moving validator 3: stop it, restore with its key; the guard refuses what it can have signed.
        net.procs[3].send_signal(signal.SIGTERM)
        net.procs[3].wait(timeout=60)
        net.procs[3] = None
        moved = os.path.join(net.dir, "moved")
        out = agora("restore", backup, "--data-dir", moved, "--move-validator", "--validator-key", net.key(3),
                    "--chain-head-from", net.urls[0]).stdout
        floor = int(re.search(r"refuses every height up to and including (\d+)", out).group(1))
        assert floor >= net.height(0), out
        start_dir(net, moved, net.urls[3], "moved")
        address3 = json.load(open(net.key(3)))["publicKey"]
        wait_for("the moved validator signs again above its guard",
                 lambda: any(address3 in signers(net.block(0, h)) for h in range(floor + 1, net.height(0) + 1)), timeout=120)
        # No double sign anywhere: no evidence seen, validator 3 still in the set with its bond.
        assert sum(metric_sum(metrics(u), "agora_consensus_evidence_total") for u in net.urls) == 0
        active = [v["publicKey"] for v in get_status(net.urls[0], "/api/v1/validators")[1]["active"]["validators"]]
        assert address3 in active
    finally:
        for p in getattr(net, "extra", []):
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=30)
        net.stop_all()
