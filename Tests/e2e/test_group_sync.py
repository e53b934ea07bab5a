"""A member that was offline catches up with its group (issue 6, items 3 and 9), with real
processes: four validators from `agora testnet`; node3 is down while alice uploads artifacts to
node0 and publishes claims that reference them. When node3 returns it syncs the blocks and
fetches the artifacts from its peers (verified); the group's artifacts are readable there by
members only; `agora sync group` through node3 copies everything since the directory's last
height, and a second run copies only what is new."""
import json
import os
import re
import subprocess
import tempfile
import urllib.error
import urllib.request

from conftest import BIN
from test_consensus import LocalNet, metric_sum, metrics


def cli(*args, check=True):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=180)
    if check:
        assert r.returncode == 0, f"agora {' '.join(args)}: {r.stdout} {r.stderr}"
    return r


def test_offline_member_node_fetches_artifacts_and_member_syncs_the_group():
    net = LocalNet(n=4)
    try:
        for i in range(3):
            net.start(i)
        net.wait("three validators commit", lambda: all(net.height(i) >= 2 for i in range(3)))
        keys = tempfile.mkdtemp(prefix="agora-e2e-sync-keys-")
        alice = re.search(r"ag1[02-9ac-hj-np-z]{38}", cli("keys", "new", "--keys", keys, "--name", "alice").stdout).group(0)
        funded = os.path.join(net.dir, "keys", "funded.json")
        cli("tx", "transfer", "--node", net.urls[0], "--key", funded, "--to", alice, "--amount", "100000", "--wait", "--timeout", "60")
        out = cli("tx", "group", "create", "--node", net.urls[0], "--keys", keys, "--key", "alice", "--name", "lab", "--wait", "--timeout", "60").stdout
        group = re.search(r"group ([0-9a-f]{64})", out).group(1)

        work = tempfile.mkdtemp(prefix="agora-e2e-sync-")
        files = {}
        for n, size in (("small", 1000), ("large", 3 * 1024 * 1024 + 17)):
            path = os.path.join(work, n)
            with open(path, "wb") as f:
                f.write(os.urandom(size))
            sha = cli("artifact", "put", path, "--node", net.urls[0], "--keys", keys, "--key", "alice").stdout.strip()
            files[sha] = path
        for sha, path in files.items():
            cli("tx", "claim", "publish", "--node", net.urls[1], "--keys", keys, "--key", "alice", "--group", group,
                "--text", f"results in {os.path.basename(path)}", "--artifact", f"@{path}", "--wait", "--timeout", "60")

        # node3 returns: blocks by range sync, artifacts from peers.
        net.start(3)
        target = net.height(0)
        net.wait("node3 catches up", lambda: net.height(3) >= target, timeout=90)
        net.wait("node3 fetched both artifacts",
                 lambda: metric_sum(metrics(net.urls[3]), 'agora_artifact_fetches_total{result="stored"}') >= 2, timeout=90)
        for sha, path in files.items():
            got = os.path.join(work, sha + ".node3")
            cli("artifact", "get", sha, "--node", net.urls[3], "--keys", keys, "--key", "alice", "--out", got)
            assert open(got, "rb").read() == open(path, "rb").read()
            # The group's artifacts are for members: an anonymous read is refused on node3 too.
            try:
                urllib.request.urlopen(net.urls[3] + f"/api/v1/artifacts/{sha}", timeout=10)
                raise AssertionError("anonymous read of a group artifact succeeded")
            except urllib.error.HTTPError as e:
                assert e.code == 401, e.code

        copy = os.path.join(work, "copy")
        first = cli("sync", "group", group, "--node", net.urls[3], "--keys", keys, "--key", "alice", "--out", copy).stdout
        assert "2 claims after height 0 (2 new), 2 artifacts fetched" in first, first
        for sha, path in files.items():
            assert open(os.path.join(copy, "artifacts", sha), "rb").read() == open(path, "rb").read()
        claims = [json.load(open(os.path.join(copy, "claims", f))) for f in os.listdir(os.path.join(copy, "claims"))]
        assert sorted(c["artifacts"][0]["sha256"] for c in claims) == sorted(files)
        last = json.load(open(os.path.join(copy, "sync.json")))["lastHeight"]
        assert last >= max(c["height"] for c in claims)

        cli("tx", "claim", "publish", "--node", net.urls[2], "--keys", keys, "--key", "alice", "--group", group,
            "--text", "one more finding", "--wait", "--timeout", "60")
        second = cli("sync", "group", group, "--node", net.urls[3], "--keys", keys, "--key", "alice", "--out", copy).stdout
        assert f"1 claims after height {last} (1 new), 0 artifacts fetched" in second, second
        assert len(os.listdir(os.path.join(copy, "claims"))) == 3
        net.same_chain(range(4), min(net.height(i) for i in range(4)))
    finally:
        net.stop_all()
