"""`python -m agora_client.bench`: how many transfers one Python process signs and submits per
second, and how many of them the node commits.

Without `--node` it starts `agora dev` itself (`--agora` or AGORA_BIN, else `agora` on PATH) with
the per-IP rate limit raised (AGORA_HTTP_RATE_LIMIT_PER_SECOND/_BURST: the default 500/s per
client address would cap any single-client figure), and uses the dev chain's funded key. It funds
`--senders` fresh keys, then each sender's thread signs transfers with consecutive nonces and
submits them over one keep-alive connection, `--batch` per request (`Node.submit_batch`,
`POST /api/v1/transactions/batch`; `--batch 1` sends one request per transaction). Transactions
the node refuses for load (`mempool_busy`, `queued_limit`, `sender_pending_limit`: every refusal
with a retry-after, `TransactionThrottled`; and `mempool_full`) are sent again after the seconds it
asks for, so the figure includes the node's backpressure. It prints the machine, the signing-only rate, the
submission rate (signed and admitted) and the commit rate, and whether the 2,000 tx/s target of
issue 18 was met. Figures depend on the machine and on the node's build (debug or release)."""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from . import payloads
from .errors import TransactionRejected, TransactionThrottled
from .keys import Key
from .node import MAX_BATCH, Node
from .transaction import sign_transaction

TARGET = 2_000


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    import cryptography
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs {model}{load}, Python {platform.python_version()}, "
            f"cryptography {cryptography.__version__}")


def start_dev_node(binary: str) -> tuple[subprocess.Popen, str, str]:
    data = tempfile.mkdtemp(prefix="agora-bench-")
    out = os.path.join(data, "node.out")
    env = dict(os.environ, AGORA_HTTP_RATE_LIMIT_PER_SECOND="1000000", AGORA_HTTP_RATE_LIMIT_BURST="1000000")
    proc = subprocess.Popen([binary, "dev", "--data-dir", os.path.join(data, "d"), "--http", "127.0.0.1:0"],
                            stdout=open(out, "ab"), stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        m = re.findall(r"API listening on (http://\S+)", open(out).read())
        if m:
            return proc, m[-1], os.path.join(data, "d", "keys", "dev.json")
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"bench: agora dev did not start (see {out})")


def sign_rate(key: Key, chain_id: str, n: int = 2_000) -> float:
    to = Key.generate().address
    start = time.perf_counter()
    for i in range(n):
        sign_transaction(key, chain_id, i, 1, 1_000, payloads.transfer(to, 1))
    return n / (time.perf_counter() - start)


def run_sender(url: str, key: Key, chain_id: str, fee: int, expires_at: int, count: int, batch: int, result: dict) -> None:
    node = Node(url)
    nonce = node.account(key.address)["nextNonce"]
    recipients = [Key.generate().address for _ in range(16)]
    sent = retries = 0
    codes: dict = {}
    signed = (sign_transaction(key, chain_id, nonce + i, fee, expires_at, payloads.transfer(recipients[i % 16], 1)) for i in range(count))
    if batch <= 1:
        for tx in signed:
            while True:
                try:
                    node.submit_signed(tx)
                    break
                except TransactionRejected as e:
                    # load refusals (retry-after) and mempool_full: back off and resend; anything else is a bug
                    if not isinstance(e, TransactionThrottled) and e.code != "mempool_full":
                        raise
                    retries += 1
                    codes[e.code] = codes.get(e.code, 0) + 1
                    time.sleep(e.retry_after if e.retry_after is not None else 0.01)
    else:
        waiting: list = []  # refused for load, sent again (in nonce order) before anything newer
        while sent < count:
            txs = waiting + [tx for _, tx in zip(range(batch - len(waiting)), signed)]
            answers = node.submit_batch(txs)
            waiting = [tx for tx, a in zip(txs, answers) if not a.admitted]
            refusals = [a for a in answers if not a.admitted]
            for a in refusals:
                if a.retry_after is None:  # only load refusals are expected: anything else is a bug
                    raise a.error
                codes[a.error.code] = codes.get(a.error.code, 0) + 1
            sent += len(txs) - len(waiting)
            if refusals:
                retries += len(refusals)
                time.sleep(min(a.retry_after for a in refusals))
    result[key.address] = (nonce + count, retries)
    if retries:
        print(f"sender {key.address[:12]}…: resent {retries} after {codes}")
    node.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m agora_client.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--node", help="URL of a running node (default: start agora dev)")
    ap.add_argument("--key", help="funded key file (default: the dev node's keys/dev.json)")
    ap.add_argument("--agora", default=os.environ.get("AGORA_BIN") or shutil.which("agora"), help="agora binary for the dev node")
    ap.add_argument("--count", type=int, default=6_000, help="transfers in total")
    ap.add_argument("--senders", type=int, default=4, help="sending keys, one thread each")
    ap.add_argument("--batch", type=int, default=200,
                    help=f"transactions per request (POST /api/v1/transactions/batch, at most {MAX_BATCH}); 1 = one request each")
    args = ap.parse_args(argv)
    if not 1 <= args.batch <= MAX_BATCH:
        ap.error(f"--batch must be 1…{MAX_BATCH}")
    proc = None
    if args.node is None:
        if not args.agora:
            sys.exit("bench: no node: pass --node URL or --agora BIN (or set AGORA_BIN)")
        proc, args.node, default_key = start_dev_node(args.agora)
        args.key = args.key or default_key
    try:
        return measure(args)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


def measure(args) -> int:
    node = Node(args.node)
    funder = Key.load(args.key, password=os.environ.get("AGORA_KEY_PASSWORD"))
    status = node.status()
    chain_id, fee = status["chainID"], status["params"]["minFee"]
    print(f"machine: {machine()}")
    print(f"node: {args.node} ({status.get('version', '?')}), chain {chain_id}")
    print(f"signing only: {sign_rate(funder, chain_id):,.0f} tx/s (one thread)")
    senders = [Key.generate() for _ in range(args.senders)]
    for s in senders:
        node.transfer(funder, to=s.address, amount=10_000_000)
    node.wait(node.transfer(funder, to=senders[0].address, amount=1), timeout=60)
    per = args.count // args.senders
    expires_at = node.status()["height"] + 10_000
    result: dict = {}
    threads = [threading.Thread(target=run_sender, args=(args.node, s, chain_id, fee, expires_at, per, args.batch, result)) for s in senders]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    submitted = time.perf_counter() - start
    if len(result) != len(senders):
        print("bench: a sender failed (see the traceback above)")
        return 1
    total = per * args.senders
    while any(node.account(s.address)["nonce"] < result[s.address][0] - 1 for s in senders):
        time.sleep(0.05)
    committed = time.perf_counter() - start
    retries = sum(r for _, r in result.values())
    rate = total / submitted
    how = f"batches of {args.batch}" if args.batch > 1 else "one request each"
    print(f"signed and submitted: {total} transfers from {args.senders} threads ({how}) in {submitted:.2f} s = {rate:,.0f} tx/s "
          f"({retries} resends after load refusals)")
    print(f"committed: all {total} in {committed:.2f} s = {total / committed:,.0f} tx/s")
    print(f"target {TARGET:,} tx/s signed and submitted: {'met' if rate >= TARGET else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
