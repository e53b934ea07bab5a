"""Fixtures of the SDK suite: a real `agora dev` node (AGORA_BIN, default the repository's
debug build) with 200 ms blocks, its funded dev key, and the vectors the node's Swift tests
generate (Tests/vectors/client.json)."""
import json
import os
import re
import subprocess
import tempfile
import time

import pytest

from agora_client import Key, Node

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("AGORA_BIN", os.path.join(ROOT, ".build", "debug", "agora"))
VECTORS = os.path.join(ROOT, "Tests", "vectors", "client.json")


@pytest.fixture(scope="session")
def vectors():
    with open(VECTORS) as f:
        return json.load(f)


class DevNode:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="agora-sdk-")
        self.data = os.path.join(self.dir, "data")
        self.out = os.path.join(self.dir, "node.out")
        self.proc = subprocess.Popen([BIN, "dev", "--data-dir", self.data, "--http", "127.0.0.1:0", "--block-interval-ms", "200"],
                                     stdout=open(self.out, "ab"), stderr=open(os.path.join(self.dir, "node.log"), "ab"))
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(self.out) as f:
                m = re.findall(r"API listening on (http://\S+)", f.read())
            if m:
                self.url = m[-1]
                return
            if self.proc.poll() is not None:
                raise RuntimeError("agora dev exited: " + open(os.path.join(self.dir, "node.log")).read()[-2000:])
            time.sleep(0.05)
        raise RuntimeError("agora dev did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture(scope="session")
def dev_node():
    n = DevNode()
    yield n
    n.stop()


@pytest.fixture(scope="session")
def node(dev_node):
    with Node(dev_node.url) as n:
        yield n


@pytest.fixture(scope="session")
def dev_key(dev_node):
    return Key.load(os.path.join(dev_node.data, "keys", "dev.json"))


@pytest.fixture
def funded(node, dev_key):
    """A new key holding 1,000,000 base units."""
    k = Key.generate()
    node.transfer(dev_key, to=k.address, amount=1_000_000, wait=True)
    return k
