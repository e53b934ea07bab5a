"""State sync with real processes (issue 16, parts 1-2; docs/state-sync.md): four validators from
`agora testnet` write a snapshot every 10 heights (small chunks, so there are many); one of them
serves corrupted chunks (the test-only `testing.corruptSnapshotChunks`). A fifth node, initialised
empty with `stateSync.enabled`, finds the snapshots, verifies the snapshot's header from the
genesis validator set, fetches the chunks from several peers, bans the corrupting one, restores
the state, block-syncs to the head and then answers like the validators: the same state root at
the same height, the same account and the same claim record (with proofs to that root), and the
same claim, task and intent — committed before the snapshot — from its rebuilt indexes."""
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from conftest import BIN
from test_consensus import LocalNet, free_base, get, metrics

SNAPSHOTS = {"AGORA_SNAPSHOT_INTERVAL": "10", "AGORA_SNAPSHOT_CHUNK_BYTES": "256", "AGORA_SNAPSHOT_KEEP": "2"}


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"agora {' '.join(args)}: {r.stdout} {r.stderr}"
    return r.stdout


PHASES = {"discovering", "verifying", "fetching", "restoring", "waiting", "done"}


class SyncWatcher(threading.Thread):
    """Polls a syncing node's /api/v1/status and /metrics until it answers as a running node
    (a status with a height), keeping every answer seen while it was syncing."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.statuses, self.metrics, self.errors = url, [], [], []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.url + "/api/v1/status", timeout=5) as r:
                    status = (r.status, json.loads(r.read()))
                if "height" in status[1]:
                    return
                with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
                    metrics = (r.status, r.headers.get("Content-Type", ""), r.read().decode())
                self.statuses.append(status)
                self.metrics.append(metrics)
            except (OSError, ValueError) as e:  # not listening yet, or between the interim and the real API
                self.errors.append(repr(e))
            time.sleep(0.05)


def assert_sync_answers(watcher, chain_id):
    """Every answer seen during the sync is well-formed; at least one was seen (the discovery
    window alone keeps the node syncing for 3 s)."""
    assert watcher.statuses and watcher.metrics, f"no answer while syncing: {watcher.errors[-5:]}"
    applied = []
    for code, s in watcher.statuses:
        p = s["stateSync"]
        assert code == 200 and s["status"] == "state_syncing" and s["chainID"] == chain_id, s
        assert p["phase"] in PHASES and p["activity"] and p["attempt"] >= 1 and p["peers"] >= 0 and p["bannedPeers"] >= 0, s
        assert 0 <= p["chunksApplied"] <= p.get("chunksTotal", p["chunksApplied"]), s
        assert p["phase"] in ("discovering", "waiting") or p["snapshotHeight"] % 10 == 0, s
        applied.append(p["chunksApplied"])
    for code, ctype, text in watcher.metrics:
        assert code == 200 and ctype.startswith("text/plain"), (code, ctype)
        phases = dict(re.findall(r'^agora_state_sync_phase\{phase="(\w+)"\} (\S+)$', text, re.M))
        assert set(phases) == PHASES and sorted(float(v) for v in phases.values()) == [0.0] * 5 + [1.0], phases
        for name in ("agora_state_sync_chunks_applied", "agora_state_sync_chunks_total", "agora_state_sync_snapshot_height",
                     "agora_state_sync_peers", "agora_state_sync_banned_peers", "agora_state_sync_attempt", "process_resident_memory_bytes"):
            assert re.search(rf"^# HELP {name} .+\n# TYPE {name} gauge\n{name} \d+(\.\d+)?$", text, re.M), (name, text[:3000])
    return applied


def test_a_new_node_state_syncs_past_a_corrupting_peer_and_matches_the_validators():
    net = LocalNet(n=4, env=SNAPSHOTS)
    try:
        net.settings(3, **{"testing.corruptSnapshotChunks": True})
        for i in range(4):
            net.start(i)
        net.wait("four validators commit", lambda: all(net.height(i) >= 2 for i in range(4)))

        keys = tempfile.mkdtemp(prefix="agora-e2e-ss-keys-")
        alice = re.search(r"ag1[02-9ac-hj-np-z]{38}", cli("keys", "new", "--keys", keys, "--name", "alice")).group(0)
        funded = os.path.join(net.dir, "keys", "funded.json")
        cli("tx", "transfer", "--node", net.urls[0], "--key", funded, "--to", alice, "--amount", "100000", "--wait", "--timeout", "60")
        group = re.search(r"group ([0-9a-f]{64})", cli("tx", "group", "create", "--node", net.urls[0], "--keys", keys, "--key", "alice",
                                                        "--name", "lab", "--wait", "--timeout", "60")).group(1)
        claim = re.search(r"claim ([0-9a-f]{64})", cli("tx", "claim", "publish", "--node", net.urls[1], "--keys", keys, "--key", "alice",
                                                        "--group", group, "--text", "state sync keeps this claim", "--tag", "sync",
                                                        "--wait", "--timeout", "60")).group(1)
        # Indexed records made before the snapshot: served by the synced node from the indexes it
        # rebuilds from the state (docs/state-sync.md, "Indexes").
        task = re.search(r"task ([0-9a-f]{64})", cli("tx", "task", "create", "--node", net.urls[2], "--keys", keys, "--key", "alice",
                                                      "--group", group, "--title", "check the synced node", "--reward", "5",
                                                      "--wait", "--timeout", "60")).group(1)
        intent = re.search(r"intent ([0-9a-f]{64})", cli("tx", "intent", "post", "--node", net.urls[0], "--keys", keys, "--key", "alice",
                                                          "--group", group, "--kind", "offer", "--text", "spare snapshot bandwidth",
                                                          "--wait", "--timeout", "60")).group(1)
        start = net.height(0)
        net.wait("two more snapshots are written", lambda: any(s["height"] > start for s in get(net.urls[0], "/api/v1/snapshots")["items"])
                 and len(get(net.urls[0], "/api/v1/snapshots")["items"]) == 2, timeout=90)
        snaps = get(net.urls[0], "/api/v1/snapshots")["items"]
        assert [s["height"] % 10 for s in snaps] == [0, 0] and snaps[0]["height"] > snaps[1]["height"], snaps
        assert snaps[0]["chunks"] > 4 and len(snaps[0]["chunkHashes"]) == snaps[0]["chunks"], snaps[0]

        # The fifth node: initialised empty, state sync on, every validator a bootstrap peer.
        d4 = os.path.join(net.dir, "node4")
        http4 = free_base(1)
        cli("init", "--data-dir", d4, "--chain-id", "agora-testnet", "--genesis", os.path.join(net.dir, "genesis.json"),
            "--validator-key", os.path.join(net.dir, "v4.json"), "--http", f"127.0.0.1:{http4}")
        net.n = 5
        net.procs.append(None)
        net.urls.append(f"http://127.0.0.1:{http4}")
        net.settings(4, **{"p2p.address": "127.0.0.1:0", "p2p.peers": [f"127.0.0.1:{net.p2p_base + i}" for i in range(4)],
                           "stateSync.enabled": True})
        # While it syncs it serves its progress at /api/v1/status and /metrics (not the chain's status).
        watcher = SyncWatcher(net.urls[4])
        watcher.start()
        net.start(4)
        watcher.join(timeout=300)
        watcher.stop.set()
        assert not watcher.is_alive(), "node4 did not finish state sync"
        applied = assert_sync_answers(watcher, "agora-testnet")
        print(f"during the sync: {len(watcher.statuses)} status answers, phases {sorted({s['stateSync']['phase'] for _, s in watcher.statuses})}, "
              f"chunks applied seen {sorted(set(applied))}")
        status = get(net.urls[4], "/api/v1/status")
        # The running node's /metrics keeps how the sync ended: phase done, every chunk applied.
        ended = metrics(net.urls[4])
        assert re.search(r'^agora_state_sync_phase\{phase="done"\} 1(\.0)?$', ended, re.M), ended[-3000:]
        applied_total = [re.search(rf"^agora_state_sync_chunks_{k} (\d+)", ended, re.M) for k in ("applied", "total")]
        assert all(applied_total) and applied_total[0].group(1) == applied_total[1].group(1) != "0", ended[-3000:]
        log = net.log(4)
        restored = re.search(r"height=(\d+) .*state sync: snapshot restored", log)
        assert restored, log[-3000:]
        height = int(restored.group(1))
        assert height % 10 == 0 and height >= snaps[1]["height"], (height, snaps)
        assert status["earliestHeight"] == height + 1, status
        try:
            net.block(4, height)
            raise AssertionError(f"node4 served the body of block {height}, below its earliest height")
        except urllib.error.HTTPError as e:
            assert e.code == 410, e.code
        banned = re.findall(r".*state sync: peer banned.*", log)
        assert banned and all(f"127.0.0.1:{net.p2p_base + 3}" in b for b in banned), banned
        assert all("chunk" in b and "hashes to" in b for b in banned), banned

        target = net.height(0)
        net.wait("node4 reaches the head by block sync", lambda: net.height(4) >= target, timeout=90)
        for h in (height + 1, target):
            assert net.block(4, h)["stateRoot"] == net.block(0, h)["stateRoot"], h
        assert get(net.urls[4], f"/api/v1/accounts/{alice}")["balance"] == get(net.urls[0], f"/api/v1/accounts/{alice}")["balance"]
        key = (b"claims/c/" + bytes.fromhex(claim)).hex()
        mine = get(net.urls[4], f"/api/v1/proofs/state?key={key}&height={target}")
        theirs = get(net.urls[0], f"/api/v1/proofs/state?key={key}&height={target}")
        assert mine["value"] and mine["value"] == theirs["value"] and mine["stateRoot"] == theirs["stateRoot"]
        # The claim, task and intent committed below the snapshot: the same JSON as a validator's,
        # found by tag and by context retrieval too, from indexes node4 rebuilt from the state.
        for path in (f"/api/v1/claims/{claim}", f"/api/v1/tasks/{task}", f"/api/v1/intents/{intent}",
                     f"/api/v1/groups/{group}/claims?tag=sync", f"/api/v1/claims/{claim}/thread"):
            assert get(net.urls[4], path) == get(net.urls[0], path), path
        assert get(net.urls[4], f"/api/v1/claims/{claim}")["height"] <= height
        assert get(net.urls[4], f"/api/v1/tasks/{task}")["title"] == "check the synced node"
        # (Scores weigh recency against each node's own head, so the items are compared without them.)
        ctx = [[(c["claim"], c["text"], c["tags"], c["height"]) for c in get(net.urls[i], f"/api/v1/groups/{group}/context?q=state+sync+claim")["items"]]
               for i in (4, 0)]
        assert ctx[0] == ctx[1] and [c[0] for c in ctx[0]] == [claim], ctx
        # A verified check of the same answer through the light client, against node4.
        cli("query", "account", alice, "--node", net.urls[4], "--verify", "--genesis", os.path.join(net.dir, "genesis.json"))
    finally:
        net.stop_all()
