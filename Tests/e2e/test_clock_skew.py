"""Validators with skewed wall clocks (issue 14.5), as real processes: in a four-validator
`agora testnet`, node0 runs ten minutes ahead and node1 ten minutes behind
(`testing.clockOffsetMs`, the node's wall-clock seam; its timers stay monotonic). The chain keeps
committing; both skewed validators' proposals are committed and both sign; neither spins a
core; both stop on SIGTERM with exit 0 (within the node's own shutdown deadline)."""
import json
import os
import signal
import time

from test_consensus import LocalNet, testnet  # noqa: F401 (fixture)

SKEW = {0: 600_000, 1: -600_000}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signers(block):
    out = {s["validator"] for s in block["seal"]["signatures"]}
    if block.get("lastCommit"):
        out |= {s["validator"] for s in block["lastCommit"]["signatures"]}
    return out


def test_validators_ten_minutes_off_propose_vote_idle_and_stop(testnet):
    net = testnet(n=4)
    for i, offset in SKEW.items():
        net.settings(i, **{"testing.clockOffsetMs": offset})
    for i in range(4):
        net.start(i)
    keys = []
    for i in range(4):
        with open(net.key(i)) as f:
            keys.append(json.load(f)["publicKey"])
    net.wait("the network commits", lambda: min(net.height(i) for i in range(4)) >= 2, timeout=180)
    first = min(net.height(i) for i in range(4))
    before = {i: cpu_seconds(net.procs[i].pid) for i in range(4)}
    started = time.monotonic()
    # 40 heights: with the old fixed 5 s lead a CI run of 2026-12-05 saw none of the fast
    # proposer's blocks committed in 16; its lead is now its measured commit latency
    # (docs/consensus.md, "Clocks"), and the figures printed below are the ones recorded there.
    net.wait("40 more heights on every node", lambda: min(net.height(i) for i in range(4)) >= first + 40, timeout=300)
    window = time.monotonic() - started
    share = {i: (cpu_seconds(net.procs[i].pid) - before[i]) / window for i in range(4)}
    upto = min(net.height(i) for i in range(4))
    print(f"heights {first}..{upto} in {window:.1f} s; CPU share of one core: "
          + ", ".join(f"node{i} {share[i]:.2f}" for i in range(4)))

    # Neither skewed validator spins a core: it works no more than a correct one, give or take.
    correct = max(share[2], share[3])
    for i in SKEW:
        assert share[i] < max(0.6, 2.5 * correct), f"node{i} used {share[i]:.2f} of a core (correct nodes {correct:.2f})"

    net.same_chain(range(4), upto)
    blocks = [net.block(2, h) for h in range(first + 1, upto + 1)]
    proposers = {b["proposer"] for b in blocks}
    by = {i: sum(b["proposer"] == keys[i] for b in blocks) for i in range(4)}
    late = sum(b["seal"].get("round", 0) > 0 for b in blocks)
    print(f"blocks proposed: " + ", ".join(f"node{i} {by[i]}" for i in range(4))
          + f"; {late} of {len(blocks)} heights decided after round 0")
    signed = set().union(*(signers(b) for b in blocks))
    # Its fair share is a quarter of the heights (10 of 40, as measured with the fix); the old
    # fixed lead got it 4 of 40, with 6 heights lost to round 1 (docs/consensus.md, "Clocks").
    assert by[0] >= len(blocks) // 4 - 4, f"the fast validator proposed only {by[0]} of {len(blocks)} blocks"
    for i in SKEW:
        assert keys[i] in proposers, f"no block proposed by node{i} (clock {SKEW[i]:+} ms) was committed"
        assert keys[i] in signed, f"node{i} (clock {SKEW[i]:+} ms) signed no commit"
    # The fast validator's proposals are held to the chain's time, not its clock.
    for b in blocks:
        assert b["timestamp"] <= int(time.time() * 1000) + 10_000, f"block {b['height']} stamped in the future"

    for i in SKEW:
        net.procs[i].send_signal(signal.SIGTERM)
    for i in SKEW:
        rc = net.procs[i].wait(timeout=120)
        assert rc == 0, f"node{i} exited {rc} after SIGTERM: {net.log(i)[-2000:]}"
        net.procs[i] = None
