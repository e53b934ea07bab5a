"""MCP with the official Python client, both lines (`mcp<2` and the current 2.x), each in its
own virtualenv made by .ci/run (MCP_PY1, MCP_PY2), against a real `agora dev` node: over stdio
(`agora mcp`) and over the node's streamable HTTP endpoint (`/mcp`). Two agents with their own
keys share one node; bob's key is encrypted and unlocked at start. Over `/mcp` each agent uses
its own bearer token (`agora mcp token create --agent NAME`); the session without an agent uses
the node-wide `mcp.token`. See mcp_driver.py."""
import json
import os
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import BIN, KEY_PASSWORD, Node

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = {"1.x": os.environ.get("MCP_PY1"), "2.x": os.environ.get("MCP_PY2")}
SHARED_TOKEN = "shared-mcp-token-0123456789"


def agora(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([BIN, *args], capture_output=True, text=True, env=e, timeout=120)
    assert r.returncode == 0, f"agora {' '.join(args)}: {r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def mcp_node():
    keys = tempfile.mkdtemp(prefix="agora-e2e-mcp-keys-")
    agora("keys", "new", "--keys", keys, "--name", "alice")
    agora("keys", "new", "--keys", keys, "--name", "bob", "--encrypt", env={"AGORA_KEY_PASSWORD": KEY_PASSWORD})
    # The node is also a mediator (as in test_intents.py), so that the drivers' agents get real
    # proposals to accept and challenge; its key is outside the agents' directory. Windows of 600
    # blocks (2 min at 200 ms) leave a loaded machine time to accept and then challenge.
    mediator_keys = tempfile.mkdtemp(prefix="agora-e2e-mcp-mediator-")
    agora("keys", "new", "--keys", mediator_keys, "--name", "mediator")
    mediator = os.path.join(mediator_keys, "mediator.json")
    n = Node(name="mcp", env={"AGORA_MCP_KEYS_DIR": keys, "AGORA_KEY_PASSWORD": KEY_PASSWORD, "AGORA_MCP_TOKEN": SHARED_TOKEN,
                              "AGORA_MEDIATOR_ENABLED": "true", "AGORA_MEDIATOR_KEY": mediator,
                              "AGORA_MEDIATOR_ACCEPT_WINDOW": "600", "AGORA_MEDIATOR_CHALLENGE_WINDOW": "600"})
    n.start()
    # Tokens made while the node runs apply at once.
    n.tokens = {name: n.cli("mcp", "token", "create", "--data-dir", n.data, "--agent", name).stdout.strip() for name in ("alice", "bob")}
    n.tokens["*"] = SHARED_TOKEN
    dev = os.path.join(n.data, "keys", "dev.json")
    for path in (os.path.join(keys, "alice.json"), os.path.join(keys, "bob.json"), mediator):
        address = json.load(open(path))["address"]
        agora("tx", "transfer", "--node", n.url, "--key", dev, "--to", address, "--amount", "100000", "--wait")
    agora("tx", "intent", "register-mediator", "--node", n.url, "--key", mediator, "--stake", "1000", "--fee-bps", "200", "--wait")
    n.keys = keys
    yield n
    n.stop()


@pytest.mark.parametrize("line", ["1.x", "2.x"])
@pytest.mark.parametrize("transport", ["http", "stdio"])
def test_python_mcp_client_drives_every_tool(mcp_node, line, transport):
    python = CLIENTS[line]
    if not python:
        pytest.skip(f"MCP_PY{line[0]} is not set (.ci/run makes the virtualenvs)")
    env = dict(os.environ, AGORA_KEY_PASSWORD=KEY_PASSWORD, MCP_TOKENS=json.dumps(mcp_node.tokens))
    r = subprocess.run([python, os.path.join(HERE, "mcp_driver.py"), transport, mcp_node.url, mcp_node.keys, BIN],
                       capture_output=True, text=True, timeout=300, env=env)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert r.returncode == 0 and lines, f"driver failed ({line}, {transport}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    seen = json.loads(lines[-1])
    assert seen["client"].startswith(line[0]), seen
    assert seen["tools"] >= 13
    assert seen["protocol"] == ("2026-07-28" if line == "2.x" else "2025-11-25"), seen
    assert seen["subscription"] == ("listen" if line == "2.x" else "resources/subscribe"), seen
    assert seen["disputed"] and set(seen["settlements"]) == {"accepted", "challenged"}, seen
    print(f"mcp {line} {transport}: claim notification {seen['notified_after_commit_ms']} ms after its commit returned")


@pytest.mark.parametrize("line", ["1.x", "2.x"])
def test_reads_say_whether_the_light_client_verified_them(mcp_node, line):
    python = CLIENTS[line]
    if not python:
        pytest.skip(f"MCP_PY{line[0]} is not set (.ci/run makes the virtualenvs)")
    env = dict(os.environ, AGORA_KEY_PASSWORD=KEY_PASSWORD, MCP_TOKENS=json.dumps(mcp_node.tokens))
    genesis = os.path.join(mcp_node.data, "genesis.json")
    r = subprocess.run([python, os.path.join(HERE, "mcp_driver.py"), "verify", mcp_node.url, mcp_node.keys, BIN, genesis],
                       capture_output=True, text=True, timeout=300, env=env)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert r.returncode == 0 and lines, f"driver failed ({line}, verify):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert json.loads(lines[-1])["verified_height"] >= 1


def post(url, body, headers=None):
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    h.update(headers or {})
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def bearer(node, name):
    return {"Authorization": f"Bearer {node.tokens[name]}"}


MODERN = "2026-07-28"


def envelope(method, params=None, version=MODERN, id=1):
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": dict(params or {})}
    body["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": {}}
    return body


def envelope_headers(method, version=MODERN, name=None):
    h = {"MCP-Protocol-Version": version, "Mcp-Method": method}
    if name:
        h["Mcp-Name"] = name
    return h


def test_unknown_methods_and_revisions_get_the_spec_errors(mcp_node):
    status, body = post(mcp_node.url + "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "nothing/here", "params": {}}, bearer(mcp_node, "*"))
    assert status == 404
    answer = json.loads(body)
    assert answer["error"]["code"] == -32601 and answer["id"] == 1
    status, body = post(mcp_node.url + "/mcp", envelope("server/discover", version="2099-01-01"),
                        {**bearer(mcp_node, "*"), **envelope_headers("server/discover", version="2099-01-01")})
    error = json.loads(body)["error"]
    assert status == 400 and error["code"] == -32022, body
    assert MODERN in error["data"]["supported"] and "2025-11-25" in error["data"]["supported"], error


def test_tokens_are_required_and_act_only_as_their_agent(mcp_node):
    url = mcp_node.url + "/mcp"
    call = envelope("tools/call", {"name": "whoami", "arguments": {}})
    headers = envelope_headers("tools/call", name="whoami")
    for h, status_expected, challenge in [({}, 401, "Bearer"), ({"Authorization": "Bearer agora_mcp_" + "0" * 64}, 401, "invalid_token")]:
        req = urllib.request.Request(url, data=json.dumps(call).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers, **h})
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("a request without a valid token was served")
        except urllib.error.HTTPError as e:
            assert e.code == status_expected and challenge in e.headers.get("WWW-Authenticate", ""), (e.code, e.headers)
    # alice's token acts as alice, session-less (2026-07-28) and in a session alike; never as bob.
    status, body = post(url, call, {**bearer(mcp_node, "alice"), **headers})
    assert status == 200 and json.loads(body)["result"]["structuredContent"]["agent"] == "alice", body
    status, body = post(url + "?agent=bob", call, {**bearer(mcp_node, "alice"), **headers})
    assert status == 403 and "alice" in json.loads(body)["error"]["message"], body
    status, body = post(url + "?agent=bob", INIT, bearer(mcp_node, "alice"))
    assert status == 403, body
    # list and revoke: a revoked token is refused at once; only hashes are on disk, mode 0600.
    extra = mcp_node.cli("mcp", "token", "create", "--data-dir", mcp_node.data, "--agent", "alice", "--name", "alice-2").stdout.strip()
    status, _ = post(url, call, {"Authorization": f"Bearer {extra}", **headers})
    assert status == 200
    listed = mcp_node.cli("mcp", "token", "list", "--data-dir", mcp_node.data).stdout
    assert "alice-2\talice" in listed and extra not in listed, listed
    path = os.path.join(mcp_node.data, "mcp-tokens.json")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600" and extra not in open(path).read()
    mcp_node.cli("mcp", "token", "revoke", "--data-dir", mcp_node.data, "--name", "alice-2")
    status, _ = post(url, call, {"Authorization": f"Bearer {extra}", **headers})
    assert status == 401


def test_initialize_as_an_unknown_agent_names_the_available_ones(mcp_node):
    status, body = post(mcp_node.url + "/mcp?agent=mallory", {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}, bearer(mcp_node, "*"))
    assert status == 400
    message = json.loads(body)["error"]["message"]
    assert "alice" in message and "bob" in message, message


def test_the_node_keeps_its_validator_key_out_of_mcp(node):
    # Default mcp.keysDir is <data-dir>/keys: dev.json may be used, validator.json may not.
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    status, body = post(node.url + "/mcp?agent=validator", init)
    assert status == 400, body
    assert "validator keys" in json.loads(body)["error"]["message"]
    status, body = post(node.url + "/mcp?agent=dev", init)
    assert status == 200, body


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def mcp_call(url, body, session=None):
    """One streamable-HTTP request: (status, session ID, the JSON-RPC answer from JSON or SSE)."""
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if session:
        h.update({"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"})
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, sid, text = r.status, r.headers.get("Mcp-Session-Id"), ""
            if "id" not in body:
                return status, sid, None
            for raw in r:  # SSE: read up to the first data line that carries the answer
                line = raw.decode().strip()
                if line.startswith("data: {"):
                    text = line[6:]
                    break
                if line.startswith("{"):
                    text = line + r.read().decode()
                    break
            return status, sid, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, None, json.loads(e.read() or b"null")


def whoami_as(node, agent):
    status, sid, answer = mcp_call(f"{node.url}/mcp?agent={agent}", INIT)
    if status != 200:
        return status, answer
    mcp_call(node.url + "/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"}, session=sid)
    status, _, answer = mcp_call(node.url + "/mcp", {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                                     "params": {"name": "whoami", "arguments": {}}}, session=sid)
    assert status == 200 and "result" in answer and not answer["result"].get("isError"), answer
    result = answer["result"]
    return status, result.get("structuredContent") or json.loads(result["content"][0]["text"])


def test_a_key_added_to_a_running_node_is_served_over_mcp():
    # Issue 12 item 4: README's way (`agora keys new --data-dir D --name NAME`) while the node
    # runs, with no restart; then an encrypted key the node has no password for, and a broken
    # file, each refused with what is wrong.
    n = Node(name="mcp-add")
    n.start()
    try:
        status, answer = whoami_as(n, "carol")
        assert status == 400 and "no key named \"carol\"" in answer["error"]["message"], answer
        out = n.cli("keys", "new", "--data-dir", n.data, "--name", "carol").stdout.split()
        address, path = out[0], out[1]
        assert path == os.path.join(n.data, "keys", "carol.json"), out
        status, me = whoami_as(n, "carol")
        assert status == 200 and me["agent"] == "carol" and me["address"] == address, me

        n.cli("keys", "new", "--data-dir", n.data, "--name", "dave", "--encrypt", env={"AGORA_KEY_PASSWORD": KEY_PASSWORD})
        status, answer = whoami_as(n, "dave")
        message = answer["error"]["message"]
        assert status == 400 and "encrypted" in message and "AGORA_KEY_PASSWORD" in message, answer

        broken = os.path.join(n.data, "keys", "eve.json")
        with open(os.open(broken, os.O_CREAT | os.O_WRONLY, 0o600), "w") as f:
            f.write("{not a key")
        status, answer = whoami_as(n, "eve")
        assert status == 400 and "malformed key file" in answer["error"]["message"], answer

        status, answer = whoami_as(n, "validator")
        assert status == 400 and "validator keys" in answer["error"]["message"], answer
    finally:
        assert n.stop() == 0


def test_stdio_speaks_every_revision_and_refuses_an_unknown_one(mcp_node):
    # One `agora mcp` process: a 2026-07-28 discover and tools/call, an unknown revision
    # (-32022 naming the served ones), then the handshake revision's initialize, all on stdin.
    p = subprocess.Popen([BIN, "mcp", "--node", mcp_node.url, "--keys", mcp_node.keys, "--agent", "alice"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, AGORA_KEY_PASSWORD=KEY_PASSWORD))
    try:
        def ask(body):
            p.stdin.write(json.dumps(body) + "\n")
            p.stdin.flush()
            while True:
                answer = json.loads(p.stdout.readline())
                if answer.get("id") == body["id"]:
                    return answer
        found = ask(envelope("server/discover", id=1))["result"]
        assert MODERN in found["supportedVersions"] and found["resultType"] == "complete", found
        me = ask(envelope("tools/call", {"name": "whoami", "arguments": {}}, id=2))["result"]
        assert me["structuredContent"]["agent"] == "alice" and me["resultType"] == "complete", me
        error = ask(envelope("tools/list", version="2099-01-01", id=3))["error"]
        assert error["code"] == -32022 and error["data"]["requested"] == "2099-01-01" and MODERN in error["data"]["supported"], error
        init = ask({**INIT, "id": 4, "params": {**INIT["params"], "protocolVersion": "2025-11-25"}})["result"]
        assert init["protocolVersion"] == "2025-11-25", init
    finally:
        p.kill()
        p.wait(timeout=10)
