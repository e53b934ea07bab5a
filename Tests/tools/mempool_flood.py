"""Measures issue 14's empty-block storm: a dev node's block rate before and after one account
sends nonces 2..601 while its nonce 1 is never sent. Prints the answers and both rates.

    AGORA_BIN=.build/debug/agora python3 Tests/tools/mempool_flood.py [--max-transactions 32]

`--max-transactions` sets block.maxTransactions below what the flood leaves pending, so a node
that counts queued transactions as work starts every height at once (docs/mempool.md)."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from conftest import Node  # noqa: E402
from test_mempool import encode_tx, funded_key, height, status, submit, transfer  # noqa: E402


def rate(node, seconds):
    h0, t0 = height(node), time.time()
    time.sleep(seconds)
    return (height(node) - h0) / (time.time() - t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--max-transactions", default="32")
    p.add_argument("--interval-ms", type=int, default=200)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
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
