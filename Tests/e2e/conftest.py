"""End-to-end checks against real `agora` processes: the WebSocket event stream, the OpenAPI
contract (schemathesis), Prometheus output (promtool), the admin page in headless Chromium,
rate limits by client address, shutdown, and that no secret reaches the logs.

Run by .ci/run after `swift test`; locally: `pytest Tests/e2e` (AGORA_BIN picks the binary)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("AGORA_BIN", os.path.join(ROOT, ".build", "debug", "agora"))
KEY_PASSWORD = "e2e-key-password-Zq81"


class Node:
    def __init__(self, env=None, name="node"):
        self.dir = tempfile.mkdtemp(prefix=f"agora-e2e-{name}-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "node.log")
        self.out_path = os.path.join(self.dir, "node.out")
        self.env = dict(os.environ)
        self.env.update({"AGORA_LOG_FORMAT": "json", "AGORA_LOG_LEVEL": "debug"})
        self.env.update(env or {})
        self.proc = None
        self.url = None

    def start(self, interval_ms=200):
        self.proc = subprocess.Popen(
            [BIN, "dev", "--data-dir", self.data, "--http", "127.0.0.1:0", "--block-interval-ms", str(interval_ms)],
            stdout=open(self.out_path, "ab"), stderr=open(self.log_path, "ab"), env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(self.out_path) as f:
                m = re.findall(r"API listening on (http://\S+)", f.read())
            if m:
                self.url = m[-1]
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("node exited: " + open(self.log_path).read()[-2000:])
            time.sleep(0.05)
        raise RuntimeError("node did not start")

    def cli(self, *args, env=None, check=True):
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run([BIN, *args], capture_output=True, text=True, env=e, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f"agora {' '.join(args)} failed: {r.stderr}")
        return r

    def token(self, name):
        return self.cli("admin", "token", "create", "--data-dir", self.data, "--name", name).stdout.strip()

    def get(self, path, headers=None):
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            return self.proc.wait(timeout=timeout)
        return self.proc.returncode if self.proc else None

    @property
    def log(self):
        with open(self.log_path) as f:
            return f.read()


@pytest.fixture(scope="session")
def node():
    n = Node(name="main")
    n.start()
    yield n
    n.stop()


@pytest.fixture(scope="session")
def admin_token(node):
    return node.token("e2e")
