"""Measures issue 14's empty-block storm: a dev node's block rate before and after one account
sends nonces 2..601 while its nonce 1 is never sent. Prints the answers and both rates.

    AGORA_BIN=.build/debug/agora python3 Tests/tools/mempool_flood.py [--max-transactions 32]
    AGORA_BIN=.build/debug/agora python3 Tests/tools/mempool_flood.py --busy 500

`--busy N` instead submits N ready transactions (new accounts' faucet claims) to a node whose ready bound is 5 and prints the
answers and the latency quantiles of the 503 mempool_busy ones (issue 13: a refusal must come
at once).

`--max-transactions` sets block.maxTransactions below what the flood leaves pending, so a node
that counts queued transactions as work starts every height at once (docs/mempool.md)."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from conftest import Node  # noqa: E402
from test_mempool import Key, encode_tx, faucet, funded_key, height, status, submit, transfer  # noqa: E402


def rate(node, seconds):
    h0, t0 = height(node), time.time()
    time.sleep(seconds)
    return (height(node) - h0) / (time.time() - t0)


def busy(count, interval_ms):
    node = Node(env={"AGORA_MEMPOOL_MAX_PENDING_SECONDS": "1", "AGORA_MEMPOOL_MIN_COMMIT_RATE": "5"}, name="busy").start(interval_ms=interval_ms)
    try:
        s = status(node)
        answers, refused = {}, []
        # Every submission is a new account's faucet claim: ready, so each one past the bound
        # is a busy refusal (one account's later nonces would queue behind the refused one).
        for raw in [encode_tx(Key(), s["chainID"], 0, 0, s["height"] + 1_000, faucet()) for _ in range(count)]:
            t = time.perf_counter()
            code, what, _ = submit(node, raw)
            ms = (time.perf_counter() - t) * 1000
            answers[f"{code} {what}"] = answers.get(f"{code} {what}", 0) + 1
            if code == 503:
                refused.append(ms)
        refused.sort()
        q = lambda p: refused[min(len(refused) - 1, int(len(refused) * p))] if refused else float("nan")  # noqa: E731
        print(f"answers: {answers}")
        print(f"503 mempool_busy latency (client, HTTP/1.1 new connection each): p50 {q(0.5):.1f} ms, "
              f"p99 {q(0.99):.1f} ms, max {refused[-1] if refused else float('nan'):.1f} ms")
    finally:
        node.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--busy", type=int, default=0)
    p.add_argument("--max-transactions", default="32")
    p.add_argument("--interval-ms", type=int, default=200)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    if a.busy:
        return busy(a.busy, 3_000)
    node = Node(env={"AGORA_BLOCK_MAX_TRANSACTIONS": a.max_transactions}, name="flood").start(interval_ms=a.interval_ms)
    try:
        key = funded_key(node)
        before = rate(node, a.seconds)
        s = status(node)
        answers = {}
        for nonce in range(2, 602):
            code, what, _ = submit(node, encode_tx(key, s["chainID"], nonce, 1, s["height"] + 1_000, transfer(key.address_raw, 1)))
            answers[f"{code} {what}"] = answers.get(f"{code} {what}", 0) + 1
        after = rate(node, a.seconds)
        print(f"answers: {answers}")
        print(f"blocks/s before the flood: {before:.1f}; after: {after:.1f} (interval {a.interval_ms} ms, "
              f"block.maxTransactions {a.max_transactions}); mempool {status(node)['mempool']}")
    finally:
        node.stop()


if __name__ == "__main__":
    main()
