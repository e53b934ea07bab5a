"""The HTTP contract: schemathesis against the served OpenAPI document, promtool on /metrics,
rate limits by client address, graceful shutdown, and no secrets in the logs."""
import http.client
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import BIN, KEY_PASSWORD, Node


def test_schemathesis_finds_no_server_errors_or_schema_violations(node, admin_token):
    exe = shutil.which("schemathesis") or shutil.which("st")
    assert exe, "schemathesis is not installed (pip install schemathesis)"
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
    r = subprocess.run([exe, "--config-file", config, "run", node.url + "/api/v1/openapi.json", "--checks", "all", "--max-examples", "30",
                        "--header", f"Authorization: Bearer {admin_token}", "--exclude-path", "/api/v1/events",
                        "--max-time", "120"],
                       capture_output=True, text=True, timeout=600)
    print(r.stdout[-6000:])
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]


def test_metrics_pass_promtool(node):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package prometheus)"
    node.get("/api/v1/status")
    body = urllib.request.urlopen(node.url + "/metrics", timeout=10).read()
    r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    text = body.decode()
    for name in ["agora_chain_height", "agora_block_interval_seconds_bucket", "agora_block_commit_seconds_bucket",
                 "agora_transactions_committed_total", "agora_mempool_transactions", "agora_mempool_bytes",
                 "agora_api_requests_total", "agora_api_request_duration_seconds_bucket", "agora_storage_bytes",
                 "process_resident_memory_bytes", "process_open_fds"]:
        assert name in text, name


def request_from(source_ip, url):
    host, port = url.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), source_address=(source_ip, 0), timeout=10)
    conn.request("GET", "/api/v1/status")
    r = conn.getresponse()
    r.read()
    return r.status, r.getheader("Retry-After")


def test_an_abusive_address_is_held_to_its_limit_while_another_is_served():
    n = Node(env={"AGORA_HTTP_RATE_LIMIT_PER_SECOND": "5", "AGORA_HTTP_RATE_LIMIT_BURST": "10"}, name="rate").start()
    try:
        statuses = [request_from("127.0.0.2", n.url)[0] for _ in range(60)]
        assert statuses.count(200) <= 12 and statuses.count(429) >= 45
        status, retry = request_from("127.0.0.2", n.url)
        assert status == 429 and int(retry) >= 1
        assert [request_from("127.0.0.1", n.url)[0] for _ in range(5)] == [200] * 5
    finally:
        n.stop()


def test_sigterm_stops_cleanly_and_secrets_never_reach_the_logs():
    n = Node(env={"AGORA_KEY_PASSWORD": KEY_PASSWORD}, name="secrets")
    # An encrypted validator key: the password comes from the environment.
    os.makedirs(n.data + "/keys", exist_ok=True)
    n.cli("keys", "new", "--name", "validator", "--keys", n.dir + "/vk", "--encrypt", env={"AGORA_KEY_PASSWORD": KEY_PASSWORD})
    n.cli("init", "--data-dir", n.data + "2", "--chain-id", "secret-test", "--validator-key", n.dir + "/vk/validator.json",
          "--faucet", "100", env={"AGORA_KEY_PASSWORD": KEY_PASSWORD})
    n.data = n.data + "2"
    token = n.token("ops")
    n.proc = subprocess.Popen([BIN, "start", "--data-dir", n.data, "--http", "127.0.0.1:0"],
                              stdout=open(n.out_path, "ab"), stderr=open(n.log_path, "ab"), env=n.env)
    deadline = time.time() + 60
    while "API listening" not in open(n.out_path).read():
        assert time.time() < deadline and n.proc.poll() is None, n.log[-2000:]
        time.sleep(0.05)
    n.url = open(n.out_path).read().split("API listening on ")[-1].split()[0]
    req = urllib.request.Request(n.url + "/api/v1/admin/log-level", data=b'{"level":"trace"}', method="PUT",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert urllib.request.urlopen(req, timeout=10).status == 200
    n.get("/api/v1/admin/tokens", headers={"Authorization": f"Bearer {token}"})
    n.cli("keys", "new", "--name", "alice", "--keys", n.dir + "/keys", "--encrypt", env={"AGORA_KEY_PASSWORD": KEY_PASSWORD})
    n.cli("tx", "faucet", "--node", n.url, "--keys", n.dir + "/keys", "--key", "alice", "--wait", env={"AGORA_KEY_PASSWORD": KEY_PASSWORD})
    start = time.time()
    assert n.stop(signal.SIGTERM) == 0
    assert time.time() - start < 30
    log = n.log
    assert '"message":"node stopped"' in log
    import json
    seed = json.load(open(n.dir + "/vk/validator.json"))
    for secret in [KEY_PASSWORD, token, token[len("agora_"):]]:
        assert secret not in log, "a secret reached the log"
    assert seed["secret"] not in log
    for line in log.splitlines():
        json.loads(line)  # every line is one JSON object


def test_stalled_and_slow_clients_are_cut_off_while_others_are_served():
    import socket
    n = Node(env={"AGORA_HTTP_IDLE_TIMEOUT_MS": "1000", "AGORA_HTTP_REQUEST_TIMEOUT_MS": "1000"}, name="slow").start()
    try:
        host, port = n.url.replace("http://", "").split(":")
        # A client that opens a connection and sends half a request line, then nothing.
        idle = socket.create_connection((host, int(port)))
        idle.sendall(b"GET /api/v1/sta")
        # A client that sends headers promising a body and drips it.
        drip = socket.create_connection((host, int(port)))
        drip.sendall(b"POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        assert n.get("/api/v1/status")["chainID"] == "agora-dev", "others are served meanwhile"
        start = time.time()
        idle.settimeout(10)
        assert idle.recv(1024) == b"", "the stalled connection is closed"
        assert time.time() - start < 5
        drip.settimeout(10)
        got = drip.recv(4096)
        assert b"408" in got.split(b"\r\n")[0] or got == b"", got[:200]
    finally:
        n.stop()
