"""Connections before the P2P handshake are capped (issue 14.4), against real `agora start`
processes: hundreds of half-open TCP connections to a node's P2P port hold at most
`p2p.maxPendingPerIP` (8) pending slots per address and `p2p.maxPendingHandshakes` (64) in
total; the rest are closed at accept. The node's descriptor count stays bounded, its API keeps
answering, and a real peer from another address still links while one address floods."""
import os
import select
import socket
import threading
import time

from test_consensus import LocalNet, get, metrics, testnet  # noqa: F401 (fixture)


def fds(proc):
    return len(os.listdir(f"/proc/{proc.pid}/fd"))


def labelled(text, name, reason):
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") and f'reason="{reason}"' in line)


class Flood:
    """Opens `per_source` half-open connections (connected, never a byte sent) from each source
    address and keeps them open, reopening a few of those the node closes every 0.2 s."""

    def __init__(self, port, sources, per_source):
        self.port, self.sources, self.per_source = port, sources, per_source
        self.socks = {src: [] for src in sources}
        self.opened = 0
        self.rounds = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self, src):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", self.port))
        except OSError:
            s.close()
            return None
        s.setblocking(False)
        self.opened += 1
        return s

    def run(self):
        while not self.stop.is_set():
            for src in self.sources:
                live = []
                for s in self.socks[src]:
                    readable, _, _ = select.select([s], [], [], 0)
                    closed = False
                    if readable:
                        try:
                            closed = s.recv(4096) == b""
                        except OSError:
                            closed = True
                    if closed:
                        s.close()
                    else:
                        live.append(s)
                # Reopen what the node closed, a few per round: pressure without a busy loop.
                budget = self.per_source if self.rounds == 0 else 4
                while len(live) < self.per_source and budget > 0 and not self.stop.is_set():
                    budget -= 1
                    s = self.connect(src)
                    if s is None:
                        break
                    live.append(s)
                self.socks[src] = live
            self.rounds += 1
            self.stop.wait(0.2)
        for socks in self.socks.values():
            for s in socks:
                s.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def wait_for(what, cond, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if cond():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timeout: {what}")


def test_half_open_floods_are_capped_before_the_handshake(testnet):
    net = testnet(n=2)
    # node0 dials nobody: node1's link to it can only be an inbound one it accepted.
    net.settings(0, **{"p2p.peers": []})
    net.start(0)
    proc = net.procs[0]
    p2p_port = net.p2p_base
    base_fds = fds(proc)

    # One address opens 300 connections and keeps them open: 8 stay pending, the rest are
    # closed at accept; a peer from 127.0.0.1 still links.
    with Flood(p2p_port, ["127.0.0.2"], 300) as flood:
        wait_for("flood connections opened", lambda: flood.opened >= 300)
        peak = max(fds(proc) for _ in range(10) if time.sleep(0.1) is None)
        print(f"one address, {flood.opened} connections opened: node0 holds {peak - base_fds} more descriptors")
        assert peak - base_fds < 40, f"{peak - base_fds} descriptors held for one flooding address"
        assert get(net.urls[0], "/api/v1/status")["height"] >= 0
        net.start(1)
        wait_for("node1 linked to node0 during the flood",
                 lambda: any(p["outbound"] for p in get(net.urls[1], "/api/v1/peers")["items"]))
        text = metrics(net.urls[0])
        assert labelled(text, "agora_p2p_accept_refused_total", "pending_per_ip") > 0

    # Forty addresses at once: the total cap (64) binds.
    sources = [f"127.0.0.{i}" for i in range(3, 43)]
    with Flood(p2p_port, sources, 12) as flood:
        wait_for("many-address flood opened", lambda: flood.opened >= 400)
        peak = max(fds(proc) for _ in range(10) if time.sleep(0.1) is None)
        print(f"40 addresses, {flood.opened} connections opened: node0 holds {peak - base_fds} more descriptors")
        assert peak - base_fds < 64 + 64, f"{peak - base_fds} descriptors held"
        assert get(net.urls[0], "/api/v1/status")["height"] >= 0
        text = metrics(net.urls[0])
        assert labelled(text, "agora_p2p_accept_refused_total", "pending_cap") > 0
    # The node1 link survived both floods.
    assert any(p["outbound"] for p in get(net.urls[1], "/api/v1/peers")["items"])
