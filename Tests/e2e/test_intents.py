"""Intents end to end with real processes (issue 7): two validators from `agora testnet`; node1
runs as a mediator (`agora start --mediator --key FILE`) with the built-in matcher. Members of a
group post complementary intents through node0; the mediator node finds the pair and proposes;
both parties accept; after the challenge window the balances move exactly as the settlement
says. Then two more settlements are challenged and resolved by the group's admin, one upheld
(parties refunded, mediator slashed) and one rejected (challenger's bond to the mediator, paid
out). Bad input along the way: a stranger's acceptance, an oversized intent and terms that do
not parse are refused with typed errors while the mediator keeps running. The mediator's log
carries the intent's correlation ID from proposal to settlement."""
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import jsonschema
from conftest import BIN
from test_consensus import LocalNet, get, metric_sum, metrics

WINDOW = 25  # challenge window in blocks (200 ms each): time for the challenge step


def cli(*args, check=True):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=180)
    if check:
        assert r.returncode == 0, f"agora {' '.join(args)}: {r.stdout} {r.stderr}"
    return r


def balance(url, address):
    return get(url, f"/api/v1/accounts/{address}")["balance"]


class MCPAgent:
    """A raw streamable-HTTP MCP session acting as one agent (no client library needed)."""

    def __init__(self, url, agent):
        self.url = url + "/mcp"
        self.id = 0
        status, headers, body = self.post({"jsonrpc": "2.0", "id": self.next(), "method": "initialize",
                                           "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                                      "clientInfo": {"name": "e2e-intents", "version": "1"}}}, agent=agent)
        assert status == 200, body
        self.session = headers.get("Mcp-Session-Id")
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def next(self):
        self.id += 1
        return self.id

    def post(self, body, agent=None):
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if getattr(self, "session", None):
            h["Mcp-Session-Id"] = self.session
        url = self.url + (f"?agent={agent}" if agent else "")
        req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=h, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def rpc(self, method, params):
        status, _, text = self.post({"jsonrpc": "2.0", "id": self.next(), "method": method, "params": params})
        assert status == 200, text
        if not text.lstrip().startswith("{"):  # server-sent events: the last data line is the answer
            text = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")][-1]
        return json.loads(text)["result"]

    def call(self, tool, args):
        result = self.rpc("tools/call", {"name": tool, "arguments": args})
        if not result.get("isError", False):
            # Every result conforms to the tool's declared outputSchema.
            if not hasattr(self, "schemas"):
                self.schemas = {t["name"]: t["outputSchema"] for t in self.rpc("tools/list", {})["tools"]}
            jsonschema.validate(result["structuredContent"], self.schemas[tool])
        return result.get("isError", False), result.get("structuredContent")


def listen(url, agent, uri):
    """Opens a raw MCP 2026-07-28 `subscriptions/listen` stream for `uri` in a thread; returns
    what it has seen so far: the URIs acknowledged and those reported updated."""
    seen = {"acknowledged": None, "updated": []}
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    body = {"jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen",
            "params": {"notifications": {"resourceSubscriptions": [uri]}, "_meta": meta}}
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "subscriptions/listen"}
    req = urllib.request.Request(f"{url}/mcp?agent={agent}", data=json.dumps(body).encode(), headers=headers, method="POST")

    def run():
        with urllib.request.urlopen(req, timeout=120) as r:
            for raw in r:
                line = raw.decode().strip()
                if not line.startswith("data: "):
                    continue
                message = json.loads(line[6:])
                assert message["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "listen-1", message
                if message["method"] == "notifications/subscriptions/acknowledged":
                    seen["acknowledged"] = message["params"]["notifications"]["resourceSubscriptions"]
                elif message["method"] == "notifications/resources/updated":
                    seen["updated"].append(message["params"]["uri"])
    threading.Thread(target=run, daemon=True).start()
    return seen


class Scene:
    def __init__(self, env=None):
        self.keys = tempfile.mkdtemp(prefix="agora-e2e-intent-keys-")
        e = {"AGORA_MEDIATOR_CHALLENGE_WINDOW": str(WINDOW), "AGORA_MEDIATOR_ACCEPT_WINDOW": "200", "AGORA_MCP_KEYS_DIR": self.keys}
        e.update(env or {})
        self.net = LocalNet(n=2, env=e)
        self.addr = {}
        for name in ["admin", "alice", "bob", "mediator", "stranger"]:
            self.addr[name] = re.search(r"ag1[02-9ac-hj-np-z]{38}", cli("keys", "new", "--keys", self.keys, "--name", name).stdout).group(0)
        self.net.start(0)
        log = open(os.path.join(self.net.dir, "node1.log"), "ab")
        self.net.procs[1] = subprocess.Popen([BIN, "start", "--data-dir", self.net.node_dir(1), "--mediator",
                                              "--key", os.path.join(self.keys, "mediator.json")],
                                             stdout=log, stderr=log, env=self.net.env)
        self.net.wait("two validators commit", lambda: self.net.height(0) >= 2 and self.net.height(1) >= 2)
        self.url = self.net.urls[0]
        funded = os.path.join(self.net.dir, "keys", "funded.json")
        for name in ["admin", "alice", "bob", "mediator", "stranger"]:
            cli("tx", "transfer", "--node", self.url, "--key", funded, "--to", self.addr[name], "--amount", "100000", "--wait", "--timeout", "60")
        out = self.tx("admin", "group", "create", "--name", "market").stdout
        self.group = re.search(r"group ([0-9a-f]{64})", out).group(1)
        for name in ["alice", "bob"]:
            self.tx("admin", "group", "add-member", "--group", self.group, "--member", self.addr[name])
        self.tx("mediator", "intent", "register-mediator", "--stake", "1000", "--fee-bps", "200")

    def tx(self, who, *args, check=True):
        return cli("tx", *args, "--node", self.url, "--keys", self.keys, "--key", who, "--wait", "--timeout", "60", check=check)

    def post(self, who, kind, text, terms, bond="5"):
        out = self.tx(who, "intent", "post", "--group", self.group, "--kind", kind, "--text", text, "--terms", terms, "--bond", bond).stdout
        return re.search(r"intent ([0-9a-f]{64})", out).group(1)

    def proposal_for(self, intents, timeout=60):
        found = {}

        def ready():
            page = get(self.url, f"/api/v1/settlements?party={self.addr['alice']}&limit=500")
            for s in page["items"]:
                if set(s["intents"]) == set(intents):
                    found["s"] = s
                    return True
            return False
        self.net.wait("the mediator proposes the pair", ready, timeout=timeout)
        return found["s"]

    def settlement(self, sid):
        return get(self.url, f"/api/v1/settlements/{sid}")

    def balances(self, *names):
        return {n: balance(self.url, self.addr[n]) for n in names}


def test_mediator_pairs_intents_and_settlements_pay_out_or_are_challenged():
    s = Scene()
    net = s.net
    try:
        # Bad input: oversized, blank, terms that do not parse (exit 2 before signing).
        r = s.tx("alice", "intent", "post", "--group", s.group, "--kind", "offer", "--text", "x" * 3000, check=False)
        assert r.returncode != 0 and "2048" in (r.stdout + r.stderr)
        r = s.tx("alice", "intent", "post", "--group", s.group, "--kind", "offer", "--text", "  ", check=False)
        assert r.returncode != 0
        r = s.tx("alice", "intent", "post", "--group", s.group, "--kind", "offer", "--text", "gpu", "--terms", "price=9..3", check=False)
        assert r.returncode != 0 and "price" in (r.stdout + r.stderr)

        # 1. A pair, proposed by the mediator node, accepted by both, paid out after the window.
        offer = s.post("alice", "offer", "Spare A100 GPU hours on a rack in Frankfurt", "asset=gpu-hours amount=10..20 price=1000..2000")
        request = s.post("bob", "request", "Need GPU hours to fine-tune a model this week", "asset=gpu-hours amount=5..15 price=1500..3000")
        p = s.proposal_for([offer, request])
        assert p["mediator"] == s.addr["mediator"] and p["status"] == "proposed"
        assert p["score"]["source"] == 1 and p["score"]["kind"] == 1000 and p["score"]["total"] > 0
        assert p["payments"] == [{"from": s.addr["bob"], "to": s.addr["alice"], "amount": 1750}]
        assert p["mediatorFee"] == 35  # 200 bps of 1750
        sid = p["id"]
        # A stranger cannot accept: typed failure, nothing moved.
        before = s.balances("stranger")
        r = s.tx("stranger", "intent", "accept", sid, check=False)
        assert r.returncode != 0 and "not_settlement_party" in (r.stdout + r.stderr)
        assert s.balances("stranger")["stranger"] >= before["stranger"] - 10  # only the fee
        s.tx("alice", "intent", "accept", sid)
        s.tx("bob", "intent", "accept", sid)
        mid = s.balances("alice", "bob", "mediator")
        st = s.settlement(sid)
        assert st["status"] == "accepted" and all(x["accepted"] for x in st["parties"])
        net.wait("the window passes", lambda: s.settlement(sid)["status"] == "finalised", timeout=60)
        after = s.balances("alice", "bob", "mediator")
        assert after["alice"] == mid["alice"] + 1750 + 5   # payment + her bond back
        assert after["bob"] == mid["bob"] + 5               # his bond back (escrow paid out)
        assert after["mediator"] == mid["mediator"] + 35
        assert get(s.url, f"/api/v1/intents/{offer}")["status"] == "settled"
        m = get(s.url, f"/api/v1/mediators/{s.addr['mediator']}")
        assert m["proposals"] >= 1 and m["acceptances"] == 1 and m["finalised"] == 1

        # 2. Challenged and upheld: refunds, the mediator's stake is slashed.
        o2 = s.post("alice", "offer", "English to Spanish translation of contracts, certified translator", "asset=translation price=400..600")
        r2 = s.post("bob", "request", "Translator for a contract from English into Spanish", "asset=translation price=500..900")
        p2 = s.proposal_for([o2, r2])
        s.tx("alice", "intent", "accept", p2["id"])
        s.tx("bob", "intent", "accept", p2["id"])
        mid = s.balances("alice", "bob")
        escrow = {x["address"]: x["escrow"] for x in s.settlement(p2["id"])["parties"]}
        s.tx("bob", "intent", "challenge", p2["id"], "--reason", "the translator is not certified", "--bond", "20")
        assert s.settlement(p2["id"])["status"] == "challenged"
        stake = get(s.url, f"/api/v1/mediators/{s.addr['mediator']}")["stake"]
        s.tx("admin", "intent", "resolve", p2["id"], "--outcome", "upheld")
        assert s.settlement(p2["id"])["status"] == "refunded"
        after = s.balances("alice", "bob")
        assert after["alice"] == mid["alice"] + escrow[s.addr["alice"]]
        # bob gets his escrow, his bond and half the stake back; he paid the challenge's fee.
        fee_paid = mid["bob"] + escrow[s.addr["bob"]] + stake // 2 - after["bob"]
        assert 0 < fee_paid <= 10, fee_paid
        m = get(s.url, f"/api/v1/mediators/{s.addr['mediator']}")
        assert m["stake"] == stake - stake // 2 and m["upheld"] == 1 and m["challenged"] == 1
        assert get(s.url, f"/api/v1/intents/{o2}")["status"] == "open"

        # 3. Challenged and rejected: the challenger's bond goes to the mediator; it pays out.
        o3 = s.post("alice", "offer", "Road bike, size 56, recently serviced", "asset=bicycle price=100..200")
        r3 = s.post("bob", "request", "Looking for a second hand road bike around size 56", "asset=bicycle price=150..250")
        p3 = s.proposal_for([o3, r3])
        s.tx("alice", "intent", "accept", p3["id"])
        s.tx("bob", "intent", "accept", p3["id"])
        med = s.balances("mediator")["mediator"]
        s.tx("alice", "intent", "challenge", p3["id"], "--reason", "I changed my mind", "--bond", "15")
        s.tx("admin", "intent", "resolve", p3["id"], "--outcome", "rejected")
        final = s.settlement(p3["id"])
        assert final["status"] == "finalised"
        assert s.balances("mediator")["mediator"] == med + 15 + p3["mediatorFee"]

        # 4. Agents over MCP: post, see the mediator's proposal, accept, see it settle. bob also
        # listens (MCP 2026-07-28 subscriptions/listen) to his proposals and is told of the new one.
        alice, bob = MCPAgent(s.url, "alice"), MCPAgent(s.url, "bob")
        proposals_uri = f"agora://agents/{s.addr['bob']}/proposals"
        told = listen(s.url, "bob", proposals_uri)
        net.wait("bob's listen stream is acknowledged", lambda: told["acknowledged"] is not None, timeout=20)
        err, posted = alice.call("post_intent", {"group": s.group, "kind": "offer", "text": "Logo design for startups, vector files",
                                                 "terms": "asset=logo-design price=300..500", "bond": 5})
        assert not err and posted["status"] == "committed", posted
        err, wanted = bob.call("post_intent", {"group": s.group, "kind": "request", "text": "A logo for my new company, vector files please",
                                               "terms": "asset=logo-design price=400..600"})
        assert not err, wanted
        err, bad = bob.call("post_intent", {"group": s.group, "kind": "request", "text": "x", "terms": "price=lots"})
        assert err and bad["error"]["code"] == "invalid_argument", bad
        err, mine = alice.call("list_my_intents", {"status": "open"})
        assert not err and posted["intent"] in [i["id"] for i in mine["items"]], mine
        found = {}

        def proposed():
            err, page = bob.call("list_proposals", {})
            hits = [x for x in page["items"] if set(x["intents"]) == {posted["intent"], wanted["intent"]}]
            if hits:
                found["p"] = hits[0]
            return bool(hits)
        net.wait("the mediator proposes to the agents", proposed, timeout=60)
        net.wait("bob's listen stream names his proposals", lambda: proposals_uri in told["updated"], timeout=30)
        assert told["acknowledged"] == [proposals_uri], told
        p4 = found["p"]
        assert p4["score"]["total"] > 0 and p4["payments"][0]["amount"] == 450
        err, refused = alice.call("challenge_settlement", {"settlement": p4["id"], "reason": "too early"})
        assert err and refused["error"]["code"] in ("transaction_failed", "settlement_not_challengeable"), refused
        for agent in (alice, bob):
            err, ok = agent.call("accept_settlement", {"settlement": p4["id"]})
            assert not err and ok["status"] == "committed", ok
        net.wait("the agents' settlement pays out", lambda: s.settlement(p4["id"])["status"] == "finalised", timeout=60)
        err, mine = alice.call("list_my_intents", {"status": "settled"})
        assert posted["intent"] in [i["id"] for i in mine["items"]], mine

        # The mediator kept running, never proposed a pair twice, and logged the correlation.
        assert net.procs[1].poll() is None
        health = get(net.urls[1], "/health")
        assert "mediator" in json.dumps(health)
        text = metrics(net.urls[1])
        assert metric_sum(text, "agora_mediator_proposals_total") >= 3
        assert metric_sum(text, "agora_mediator_candidates_scored_total") >= 3
        assert metric_sum(text, "agora_mediator_acceptances_total") >= 4  # four settlements every party accepted
        sets = [tuple(sorted(x["intents"])) for x in get(s.url, f"/api/v1/settlements?mediator={s.addr['mediator']}&limit=500")["items"]]
        assert len(sets) == len(set(sets))
        log = open(os.path.join(net.dir, "node1.log"), errors="replace").read()
        assert request in log  # the request's ID is the correlation ID of its proposal
    finally:
        for i in range(2):
            if net.procs[i] and net.procs[i].poll() is None:
                net.procs[i].terminate()
                net.procs[i].wait(timeout=30)


class StubLLM:
    """A chat-completions endpoint in this process: answers every pair as a match with the
    terms text the test can recognise, or fails with 500 when told to."""

    def __init__(self):
        self.mode = "ok"
        self.calls = 0
        self.keys_seen = set()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.calls += 1
                stub.keys_seen.add(self.headers.get("Authorization", ""))
                if stub.mode == "fail":
                    self.send_response(500)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                    return
                pairs = len(re.findall(r"^Pair \d+:", body["messages"][1]["content"], re.M))
                content = json.dumps({"matches": [{"pair": i, "match": True, "confidence": 0.8,
                                                   "terms": "LLM-drafted terms: deliver, then pay."} for i in range(pairs)]})
                answer = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/chat/completions"


def test_llm_mediator_proposes_with_the_model_and_falls_back_when_it_fails():
    llm = StubLLM()
    secret = "sk-e2e-SECRET-do-not-log-9f3"
    s = Scene(env={"AGORA_LLM_URL": llm.url, "AGORA_LLM_MODEL": "stub-model", "AGORA_LLM_API_KEY": secret,
                   "AGORA_LLM_MAX_RETRIES": "1", "AGORA_LLM_BREAKER_THRESHOLD": "1", "AGORA_LLM_BREAKER_COOLDOWN_MS": "600000"})
    net = s.net
    try:
        o1 = s.post("alice", "offer", "Spare A100 GPU hours on a rack in Frankfurt", "asset=gpu-hours price=1000..2000")
        r1 = s.post("bob", "request", "Need GPU hours to fine-tune a model", "asset=gpu-hours price=1500..3000")
        p1 = s.proposal_for([o1, r1])
        assert p1["score"]["source"] == 2 and p1["score"]["text"] == 800, p1["score"]
        assert p1["termsText"] == "LLM-drafted terms: deliver, then pay."
        assert llm.keys_seen == {f"Bearer {secret}"}
        # The model fails: one retry, the breaker opens, the built-in matcher proposes.
        llm.mode = "fail"
        o2 = s.post("alice", "offer", "Road bike, size 56, recently serviced", "asset=bicycle price=100..200")
        r2 = s.post("bob", "request", "Looking for a second hand road bike around size 56", "asset=bicycle price=150..250")
        p2 = s.proposal_for([o2, r2])
        assert p2["score"]["source"] == 1, p2["score"]
        calls = llm.calls
        text = metrics(net.urls[1])
        assert metric_sum(text, "agora_mediator_llm_breaker_state") == 2
        assert metric_sum(text, "agora_mediator_llm_errors_total") >= 2
        assert metric_sum(text, "agora_mediator_fallbacks_total") >= 1
        health = json.dumps(get(net.urls[1], "/health"))
        assert "degraded" in health, health
        # While open, no call goes out; the built-in matcher keeps proposing.
        o3 = s.post("alice", "offer", "English to Spanish translation, certified translator", "asset=translation price=400..600")
        r3 = s.post("bob", "request", "Translator for a contract into Spanish", "asset=translation price=500..900")
        assert s.proposal_for([o3, r3])["score"]["source"] == 1
        assert llm.calls == calls
        for i in range(2):
            with open(os.path.join(net.dir, f"node{i}.log"), errors="replace") as f:
                assert secret not in f.read()
        shown = cli("config", "show", "--data-dir", net.node_dir(1)).stdout
        assert secret not in shown
    finally:
        llm.server.shutdown()
        for i in range(2):
            if net.procs[i] and net.procs[i].poll() is None:
                net.procs[i].terminate()
                net.procs[i].wait(timeout=30)
