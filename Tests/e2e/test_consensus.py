"""BFT consensus with real `agora` processes on 127.0.0.1 (issue 5): four validators made by
`agora testnet` commit transfers submitted at different nodes; one killed, the rest go on; two
killed, they stop without forking and resume when one returns; restarted validators catch up and
keep signing without double-signing; a 2/2 partition (through a test-controlled TCP proxy)
commits nothing and forks nothing, and progress resumes when it heals."""
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

from conftest import BIN

# Fast rounds so that a test of a dead proposer does not wait CometBFT's 3 s per round.
FAST = {
    "AGORA_CONSENSUS_TIMEOUT_PROPOSE_MS": "1000",
    "AGORA_CONSENSUS_TIMEOUT_PREVOTE_MS": "400",
    "AGORA_CONSENSUS_TIMEOUT_PRECOMMIT_MS": "400",
    "AGORA_CONSENSUS_TIMEOUT_DELTA_MS": "200",
    "AGORA_LOG_LEVEL": "info",
}


def ephemeral_floor():
    """The lowest port the kernel hands out for outgoing connections and `:0` listeners."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_base(count):
    """A base port with `count` consecutive free ports (bound and released).

    Ports come from below the ephemeral range: a port picked inside it can be taken
    by any outgoing connection (a peer dial, an HTTP poll) between this check and the
    node's bind, which failed CI once with "address already in use"."""
    top = min(ephemeral_floor(), 60000) - count
    for _ in range(200):
        base = random.randint(min(10000, top - 1000), top)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def get(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return json.loads(r.read())


def metrics(url):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        return r.read().decode()


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class LocalNet:
    def __init__(self, n=4, env=None, interval_ms=200):
        self.dir = tempfile.mkdtemp(prefix="agora-e2e-bft-")
        self.n = n
        self.http_base = free_base(n)
        self.p2p_base = free_base(n)
        r = subprocess.run([BIN, "testnet", "--validators", str(n), "--out", self.dir, "--http-base-port", str(self.http_base),
                            "--p2p-base-port", str(self.p2p_base), "--block-interval-ms", str(interval_ms)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        self.env = dict(os.environ)
        self.env.update(FAST)
        self.env.update(env or {})
        self.procs = [None] * n
        self.urls = [f"http://127.0.0.1:{self.http_base + i}" for i in range(n)]

    def node_dir(self, i):
        return os.path.join(self.dir, f"node{i}")

    def settings(self, i, **values):
        path = os.path.join(self.node_dir(i), "agora.json")
        with open(path) as f:
            cfg = json.load(f)
        for key, value in values.items():
            d = cfg
            parts = key.split(".")
            for p in parts[:-1]:
                d = d.setdefault(p, {})
            d[parts[-1]] = value
        with open(path, "w") as f:
            json.dump(cfg, f)

    def start(self, i):
        log = open(os.path.join(self.dir, f"node{i}.log"), "ab")
        self.procs[i] = subprocess.Popen([BIN, "start", "--data-dir", self.node_dir(i)], stdout=log, stderr=log, env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                get(self.urls[i], "/api/v1/status")
                return
            except Exception:
                if self.procs[i].poll() is not None:
                    raise RuntimeError(f"node{i} exited: {self.log(i)[-3000:]}")
                time.sleep(0.1)
        raise RuntimeError(f"node{i} did not start")

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(timeout=30)
        self.procs[i] = None

    def log(self, i):
        with open(os.path.join(self.dir, f"node{i}.log"), errors="replace") as f:
            return f.read()

    def height(self, i):
        return get(self.urls[i], "/api/v1/status")["height"]

    def block(self, i, h):
        return get(self.urls[i], f"/api/v1/blocks/{h}")

    def wait(self, what, cond, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if cond():
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise AssertionError(f"timeout: {what}; heights {[self.safe_height(i) for i in range(self.n)]}")

    def safe_height(self, i):
        try:
            return self.height(i)
        except Exception:
            return None

    def key(self, i):
        return os.path.join(self.node_dir(i), "keys", "validator.json")

    def transfer(self, i, to, amount):
        r = subprocess.run([BIN, "tx", "transfer", "--node", self.urls[i], "--key", self.key(i), "--to", to,
                            "--amount", str(amount), "--wait", "--timeout", "60"], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"transfer at node{i}: {r.stdout} {r.stderr}"

    def same_chain(self, nodes, upto):
        for h in range(1, upto + 1):
            hashes = {self.block(i, h)["hash"] for i in nodes}
            assert len(hashes) == 1, f"fork at height {h}: {hashes}"

    def stop_all(self):
        for i, p in enumerate(self.procs):
            if p and p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=30)


def new_address():
    r = subprocess.run([BIN, "keys", "new", "--name", f"r{random.randint(0, 1 << 30)}", "--keys", tempfile.mkdtemp()],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return re.search(r"ag1[02-9ac-hj-np-z]{38}", r.stdout).group(0)


@pytest.fixture
def testnet():
    nets = []

    def make(**kw):
        net = LocalNet(**kw)
        nets.append(net)
        return net

    yield make
    for net in nets:
        net.stop_all()
        shutil.rmtree(net.dir, ignore_errors=True)


def test_four_validators_tolerate_one_crash_halt_at_two_and_resume(testnet):
    net = testnet()
    for i in range(4):
        net.start(i)
    net.wait("all four commit blocks", lambda: all(net.height(i) >= 3 for i in range(4)))

    # Transfers submitted at different nodes are committed and seen the same by everyone.
    recipients = [new_address() for _ in range(4)]
    for i in range(4):
        net.transfer(i, recipients[i], 1000 + i)
    for i in range(4):
        for j, r in enumerate(recipients):
            net.wait(f"node{i} sees transfer {j}", lambda: get(net.urls[i], f"/api/v1/accounts/{r}")["balance"] == 1000 + j)

    # One validator down: 3 of 4 is more than 2/3, so the chain goes on.
    net.kill(3)
    h = max(net.height(i) for i in range(3))
    net.wait("three validators go on", lambda: all(net.height(i) >= h + 5 for i in range(3)))
    net.transfer(0, recipients[0], 1)

    # Two down: 2 of 4 is not a quorum; nothing more is committed, and what is there agrees.
    net.kill(2)
    time.sleep(2)
    stalled = [net.height(i) for i in range(2)]
    time.sleep(6)
    assert [net.height(i) for i in range(2)] == stalled, "committed without a quorum"
    net.same_chain([0, 1], min(stalled))

    # One comes back: a quorum again; it catches up and votes (its key signs later commits).
    net.start(2)
    net.wait("progress resumes", lambda: all(net.height(i) >= max(stalled) + 3 for i in range(3)), timeout=90)
    key2 = json.load(open(net.key(2)))["publicKey"]
    top = net.height(0)
    signers = set()
    for hh in range(top - 2, top + 1):
        signers |= {s["validator"] for s in net.block(0, hh)["seal"]["signatures"]}
        lc = net.block(0, hh).get("lastCommit")
        if lc:
            signers |= {s["validator"] for s in lc["signatures"]}
    assert key2 in signers, "the restarted validator does not sign"

    # The last one returns and catches up; all four agree on every block; nobody double-signed.
    net.start(3)
    top = net.height(0)
    net.wait("node3 catches up", lambda: net.height(3) >= top, timeout=90)
    net.same_chain(range(4), top)
    for i in range(4):
        assert metric_sum(metrics(net.urls[i]), "agora_consensus_evidence_total") == 0, f"node{i} saw a double sign"
        assert "decided block does not commit" not in net.log(i), net.log(i)[-2000:]


class Proxy:
    """A TCP forwarder on 127.0.0.1 that the test can cut: while blocked it drops every live
    connection and refuses new ones."""

    def __init__(self, target_port):
        self.target = target_port
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.blocked = False
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.blocked:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            threading.Thread(target=self.pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client), daemon=True).start()

    def pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data or self.blocked:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def block(self):
        self.blocked = True
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns = []

    def unblock(self):
        self.blocked = False

    def close(self):
        self.block()
        self.server.close()


def test_a_two_two_partition_commits_nothing_forks_nothing_and_heals(testnet):
    net = testnet()
    # Every link goes through a proxy: node i dials node j > i through proxies[(i, j)] only, and
    # peer exchange is off so no node learns a direct address.
    proxies = {}
    for i in range(4):
        for j in range(i + 1, 4):
            proxies[(i, j)] = Proxy(net.p2p_base + j)
    for i in range(4):
        net.settings(i, **{"p2p.peers": [f"127.0.0.1:{proxies[(i, j)].port}" for j in range(i + 1, 4)],
                           "p2p.targetOutbound": 0})
    try:
        for i in range(4):
            net.start(i)
        net.wait("all four commit blocks", lambda: all(net.height(i) >= 3 for i in range(4)))

        cut = [(0, 2), (0, 3), (1, 2), (1, 3)]
        for pair in cut:
            proxies[pair].block()
        time.sleep(2)  # a block already decided may still land
        split = [net.height(i) for i in range(4)]
        time.sleep(8)
        assert [net.height(i) for i in range(4)] == split, "a 2/2 split committed a block"
        low = min(split)
        net.same_chain(range(4), low)
        for a in range(4):
            for b in range(4):
                if split[a] <= split[b]:
                    assert net.block(a, split[a])["hash"] == net.block(b, split[a])["hash"], "fork across the split"

        for pair in cut:
            proxies[pair].unblock()
        net.wait("progress resumes after the heal", lambda: all(net.height(i) >= max(split) + 3 for i in range(4)), timeout=120)
        top = min(net.height(i) for i in range(4))
        net.same_chain(range(4), top)
    finally:
        for p in proxies.values():
            p.close()


def test_a_validator_that_double_signs_is_slashed_and_removed(testnet):
    net = testnet()
    net.settings(3, **{"testing.doubleSign": True})
    for i in range(4):
        net.start(i)
    key3 = json.load(open(net.key(3)))["publicKey"]
    # The offence comes in the first round, so the figures before it are the genesis ones.
    genesis = json.load(open(os.path.join(net.dir, "genesis.json")))
    supply = sum(a["amount"] for a in genesis["allocations"]) + sum(v["bond"] for v in genesis["validators"])
    bond = next(v["bond"] for v in genesis["validators"] if v["publicKey"] == key3)
    slash = bond * get(net.urls[0], "/api/v1/validators")["params"]["doubleSignSlashBps"] // 10_000
    assert slash > 0

    def removed():
        v = get(net.urls[0], "/api/v1/validators")
        return key3 not in [x["publicKey"] for x in v["active"]["validators"]] + [x["publicKey"] for x in v["next"]["validators"]]

    net.wait("the double signer is out of the validator set", removed, timeout=90)
    # The evidence went through the ledger: the slashed part of the bond was burned, once.
    after = get(net.urls[0], "/api/v1/status")["params"]["totalSupply"]
    assert supply - after == slash, f"supply {supply} -> {after}, expected one burn of {slash}"
    assert sum(metric_sum(metrics(net.urls[i]), "agora_consensus_evidence_total") for i in range(3)) > 0
    # The other three go on without it, and agree.
    h = max(net.height(i) for i in range(3))
    net.wait("the honest three go on", lambda: all(net.height(i) >= h + 3 for i in range(3)))
    assert get(net.urls[0], "/api/v1/validators")["active"]["totalPower"] == 3
    net.same_chain(range(3), min(net.height(i) for i in range(3)))


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"agora {' '.join(args)}: {r.stdout} {r.stderr}"
    return r.stdout


def signers(block):
    out = {s["validator"] for s in block["seal"]["signatures"]}
    if block.get("lastCommit"):
        out |= {s["validator"] for s in block["lastCommit"]["signatures"]}
    return out


def height_of(net, kind, upto):
    for h in range(1, upto + 1):
        for tx in net.block(0, h)["transactions"]:
            if tx["payload"]["type"] == kind:
                return h
    raise AssertionError(f"no {kind} transaction up to height {upto}")


def test_the_admin_adds_a_bonded_validator_that_votes_from_two_heights_later(testnet):
    net = testnet()
    for i in range(4):
        net.start(i)
    net.wait("all four commit blocks", lambda: all(net.height(i) >= 2 for i in range(4)))

    # A fifth node joins as a follower with its own key, gets funds and bonds them.
    d4 = os.path.join(net.dir, "node4")
    key4 = os.path.join(net.dir, "v4.json")
    http4 = free_base(1)
    cli("init", "--data-dir", d4, "--chain-id", "agora-testnet", "--genesis", os.path.join(net.dir, "genesis.json"),
        "--validator-key", key4, "--http", f"127.0.0.1:{http4}")
    net.n = 5
    net.procs.append(None)
    net.urls.append(f"http://127.0.0.1:{http4}")
    net.settings(4, **{"p2p.address": "127.0.0.1:0", "p2p.peers": [f"127.0.0.1:{net.p2p_base + i}" for i in range(4)]})
    net.start(4)
    k4 = json.load(open(key4))
    funded = os.path.join(net.dir, "keys", "funded.json")
    cli("tx", "transfer", "--node", net.urls[0], "--key", funded, "--to", k4["address"], "--amount", "2000000", "--wait")
    cli("tx", "validator", "bond", "--node", net.urls[4], "--key", key4, "--amount", "1000000", "--wait")
    cli("tx", "validator", "update", "--node", net.urls[1], "--key", funded, "--public-key", k4["publicKey"], "--power", "1", "--wait")

    net.wait("five validators", lambda: get(net.urls[0], "/api/v1/validators")["active"]["totalPower"] == 5, timeout=60)
    top = net.height(0)
    at = height_of(net, "validator_update", top)
    net.wait("the new validator's key signs a commit", lambda: any(
        k4["publicKey"] in {s["validator"] for s in net.block(0, h)["seal"]["signatures"]} for h in range(at + 2, net.height(0) + 1)), timeout=60)
    for h in range(1, at + 2):
        assert k4["publicKey"] not in signers(net.block(0, h)), f"new validator signed height {h}, before {at} + 2"
    net.wait("node4 keeps up", lambda: net.height(4) >= net.height(0) - 1)
    net.same_chain(range(5), min(net.height(i) for i in range(5)))


def test_a_validator_rotates_its_key_without_stopping_the_chain(testnet):
    net = testnet()
    keys_dir = os.path.join(net.node_dir(1), "keys")
    cli("keys", "new", "--keys", keys_dir, "--name", "next")
    new_key = json.load(open(os.path.join(keys_dir, "next.json")))["publicKey"]
    old_key = json.load(open(net.key(1)))["publicKey"]
    # The operator installs the next key ahead of time; the node votes with whichever is in the set.
    net.settings(1, **{"validator.nextKey": os.path.join(keys_dir, "next.json")})
    for i in range(4):
        net.start(i)
    net.wait("all four commit blocks", lambda: all(net.height(i) >= 3 for i in range(4)))
    started = net.height(0)

    cli("tx", "validator", "rotate-key", "--node", net.urls[1], "--key", net.key(1), "--new-key", os.path.join(keys_dir, "next.json"), "--wait")

    def rotated():
        keys = [v["publicKey"] for v in get(net.urls[0], "/api/v1/validators")["active"]["validators"]]
        return new_key in keys and old_key not in keys

    net.wait("the new key replaces the old one in the set", rotated, timeout=60)
    net.wait("the new key signs", lambda: any(new_key in {s["validator"] for s in net.block(0, h)["seal"]["signatures"]}
                                              for h in range(started, net.height(0) + 1)), timeout=60)
    at = height_of(net, "rotate_validator_key", net.height(0))
    net.wait("more blocks", lambda: net.height(0) >= at + 6)
    # No stall: blocks kept coming through the rotation (200 ms interval; a failed round would
    # add the 1 s propose timeout, a stall far more).
    times = [net.block(0, h)["timestamp"] for h in range(at - 1, at + 6)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert max(gaps) < 5_000, f"block gaps during the rotation: {gaps} ms"
    # From two heights on the old key may no longer sign; the new one does (a seal holds the
    # first +2/3 precommits, so not every seal has all four).
    for h in range(at + 2, at + 6):
        assert old_key not in {s["validator"] for s in net.block(0, h)["seal"]["signatures"]}, f"old key signed height {h}"
    assert any(new_key in signers(net.block(0, h)) for h in range(at + 2, at + 6)), "the new key does not sign"

    # The light client (issue 15) follows this history from genesis: the rotation is a set change
    # that header at + 1 announces, so both modes verify the head; a node that lies about one
    # light block is refused with the typed reason.
    genesis = os.path.join(net.dir, "genesis.json")
    head = net.height(0)
    for mode in ("skipping", "sequential"):
        out = json.loads(cli("verify", "header", str(head), "--genesis", genesis, "--node", net.urls[0], "--mode", mode))
        assert out["verified"] and out["height"] == head and out["hash"] == net.block(0, head)["hash"], out
        assert out["lightBlocksFetched"] >= (head if mode == "sequential" else 1), out
    # An account at the head, proven against a header verified from genesis (state proofs).
    funded = json.load(open(os.path.join(net.dir, "keys", "funded.json")))["address"]
    out = json.loads(cli("query", "account", funded, "--verify", "--genesis", genesis, "--node", net.urls[0]))
    assert out["verified"]["verified"] and out["verified"]["present"], out
    assert out["record"]["balance"] == get(net.urls[0], f"/api/v1/accounts/{funded}")["balance"], out
    # The raw answer, through `agora verify proof`: accepted for its key, refused for another.
    answer = get(net.urls[0], f"/api/v1/accounts/{funded}?prove=true")["proof"]
    answer_path = os.path.join(net.dir, "answer.json")
    json.dump(answer, open(answer_path, "w"))
    out = json.loads(cli("verify", "proof", answer_path, "--genesis", genesis, "--node", net.urls[0], "--key", answer["key"]))
    assert out["verified"] and out["value"] == answer["value"], out
    r = subprocess.run([BIN, "verify", "proof", answer_path, "--genesis", genesis, "--node", net.urls[0], "--key", "00" + answer["key"]],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 5 and r.stderr.startswith("error: bad_proof:"), f"{r.returncode}: {r.stderr}"

    lying = LyingProxy(net.urls[0], corrupt_height=at + 2)
    try:
        # The lying node changes the account's proven value: the proof no longer leads to the root.
        r = subprocess.run([BIN, "query", "account", funded, "--verify", "--genesis", genesis, "--node", lying.url],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 5 and r.stderr.startswith("error: bad_proof:"), f"{r.returncode}: {r.stderr}"
        r = subprocess.run([BIN, "verify", "header", str(head), "--genesis", genesis, "--node", lying.url, "--mode", "sequential"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 5, f"{r.returncode}: {r.stdout} {r.stderr}"
        assert r.stderr.startswith("error: bad_signature:") and f"height {at + 2}" in r.stderr, r.stderr
        # Another chain's genesis is refused before any header is asked for.
        other = json.load(open(genesis))
        other["chainID"] = "another-chain"
        other_path = os.path.join(net.dir, "other-genesis.json")
        json.dump(other, open(other_path, "w"))
        r = subprocess.run([BIN, "verify", "header", "latest", "--genesis", other_path, "--node", net.urls[0]],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 5 and r.stderr.startswith("error: wrong_chain:"), f"{r.returncode}: {r.stderr}"
        # A genesis root older than the trusting period: the chain has run for more than a second.
        r = subprocess.run([BIN, "verify", "header", "latest", "--genesis", genesis, "--node", net.urls[0], "--trusting-period", "1s"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 5 and r.stderr.startswith("error: trust_expired:") and "height 0" in r.stderr, f"{r.returncode}: {r.stderr}"
    finally:
        lying.close()


class LyingProxy:
    """An HTTP front for a node that passes every answer through but corrupts the commit of one
    light block (the last signature's last byte) and the proven value of account reads: a node
    that lies about a header once and about every account."""

    def __init__(self, target, corrupt_height):
        import http.server

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    with urllib.request.urlopen(target + self.path, timeout=30) as r:
                        status, body = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, body = e.code, e.read()
                if self.path.startswith("/api/v1/accounts/") and "prove=true" in self.path and status == 200:
                    account = json.loads(body)
                    v = account["proof"]["value"]
                    account["proof"]["value"] = v[:-1] + ("0" if v[-1] != "0" else "1")
                    body = json.dumps(account).encode()
                    proxy.lied += 1
                if self.path == f"/api/v1/light-blocks/{corrupt_height}" and status == 200:
                    block = json.loads(body)
                    c = block["commit"]
                    block["commit"] = c[:-1] + ("0" if c[-1] != "0" else "1")
                    body = json.dumps(block).encode()
                    proxy.lied += 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.lied = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
