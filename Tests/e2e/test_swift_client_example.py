"""The Swift client example (Sources/AgoraClientExample, docs/swift-client.md) against a real
node: built from the AgoraClient product alone, it transfers, creates a group and publishes a
claim, and what it prints must agree with what the node then serves."""
import os
import re
import subprocess

from conftest import BIN

EXAMPLE = os.path.join(os.path.dirname(BIN), "AgoraClientExample")


def test_example_transfers_and_publishes_through_the_client_library(node):
    r = subprocess.run([EXAMPLE, node.url, os.path.join(node.data, "keys", "dev.json")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    bob = re.search(r"; (ag1\w+) holds 5", out)
    assert bob, out
    assert node.get(f"/api/v1/accounts/{bob.group(1)}")["balance"] == 5
    claim = re.search(r"claim ([0-9a-f]{64}) in group ([0-9a-f]{64})", out)
    assert claim, out
    served = node.get(f"/api/v1/claims/{claim.group(1)}")
    assert served["group"] == claim.group(2) and served["text"] == "published by AgoraClientExample" and served["tags"] == ["swift"]


def test_example_refuses_missing_arguments():
    r = subprocess.run([EXAMPLE], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage" in r.stdout
