"""Drives Agora's MCP server with the official Python `mcp` client, either line (1.x or 2.x,
whichever is installed in the interpreter running this), over stdio (`agora mcp`) or the
node's streamable HTTP endpoint (`/mcp`). Two agents, alice and bob, act through their own
sessions (over HTTP each with its own bearer token, from MCP_TOKENS); every tool is called and
every successful result's structuredContent is checked against the tool's outputSchema (and
against its text content); bad arguments must come back as tool errors; alice subscribes to
her group's new claims and sees bob's reply arrive, then his retraction. The market dispute and
the settlement tools are driven to success too: a seller who delivers a wrong key (alice, through
the CLI, which lets a seller deliver any key) is disputed by bob over MCP; the node's mediator
(test_mcp.py starts the node with one) proposes two pairs of the agents' intents, both accepted
over MCP, one then challenged. The 2.x client must speak 2026-07-28
(server/discover, no session), the 1.x client a handshake revision. Prints one JSON line of
what it saw and exits non-zero naming the first check that failed.

    MCP_TOKENS='{"alice": "...", "bob": "...", "*": "..."}' python mcp_driver.py http NODE_URL KEYS_DIR AGORA_BIN
    python mcp_driver.py stdio NODE_URL KEYS_DIR AGORA_BIN
    python mcp_driver.py verify NODE_URL KEYS_DIR AGORA_BIN GENESIS   # verified reads (below)
"""
import asyncio
import base64
import contextlib
import json
import time
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.request

import jsonschema
import mcp

VERSION = getattr(mcp, "__version__", None)
if VERSION is None:
    from importlib.metadata import version as _v
    VERSION = _v("mcp")
MAJOR = int(VERSION.split(".")[0])


def field(obj, camel, snake):
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


class Agent:
    """One MCP session, whatever the client line."""

    def __init__(self, handle, updates):
        self.h = handle
        self.updates = updates  # resources/updated URIs (1.x: from the session's message handler)
        self.output_schemas = {}

    async def tools(self):
        tools = (await self.h.list_tools()).tools
        self.output_schemas = {t.name: field(t, "outputSchema", "output_schema") for t in tools}
        return tools

    async def call(self, name, args=None):
        r = await self.h.call_tool(name, args or {})
        return bool(field(r, "isError", "is_error")), field(r, "structuredContent", "structured_content"), r

    async def ok(self, name, args=None):
        err, value, raw = await self.call(name, args)
        if err:
            raise AssertionError(f"{name}({json.dumps(args)}) failed: {value or raw}")
        schema = self.output_schemas.get(name)
        assert schema, f"{name} declares no outputSchema"
        try:
            jsonschema.validate(value, schema)
        except jsonschema.ValidationError as e:
            raise AssertionError(f"{name}: structuredContent does not match its outputSchema: {e.message} at {list(e.absolute_path)}")
        text = json.loads(raw.content[0].text)
        assert text == value, f"{name}: text content differs from structuredContent"
        return value

    async def fails(self, name, args, code):
        err, value, raw = await self.call(name, args)
        assert err, f"{name}({json.dumps(args)}) should fail with {code}, got {value}"
        got = value["error"]["code"]
        assert got == code, f"{name}({json.dumps(args)}) failed with {got}, expected {code}: {value}"
        return value["error"]["message"]

    async def resources(self):
        return [str(r.uri) for r in (await self.h.list_resources()).resources]

    async def read(self, uri):
        return json.loads((await self.h.read_resource(uri)).contents[0].text)

    def protocol_version(self):
        if MAJOR >= 2:
            return self.h.protocol_version
        return self.protocol

    @contextlib.asynccontextmanager
    async def subscribe(self, uris):
        """Subscriptions to `uris`: 2.x with subscriptions/listen, 1.x with resources/subscribe.
        Yields (honored URIs, wait(uri, seconds))."""
        if MAJOR >= 2:
            async with self.h.listen(resource_subscriptions=uris) as sub:
                async def wait(uri, seconds):
                    async def first():
                        async for event in sub:
                            if getattr(event, "uri", None) == uri:
                                return
                    await asyncio.wait_for(first(), seconds)
                yield list(sub.honored.resource_subscriptions or []), wait
        else:
            for uri in uris:
                await self.h.subscribe_resource(uri)

            async def wait(uri, seconds):
                async def first():
                    while (await self.updates.get()) != uri:
                        pass
                await asyncio.wait_for(first(), seconds)
            yield list(uris), wait
            for uri in uris:
                await self.h.unsubscribe_resource(uri)


@contextlib.asynccontextmanager
async def connect(transport, node, keys, binary, agent, extra=()):
    updates = asyncio.Queue()

    async def on_message(message):
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            updates.put_nowait(str(root.params.uri))

    if transport == "http":
        url = node + "/mcp" + (f"?agent={agent}" if agent else "")
        tokens = json.loads(os.environ.get("MCP_TOKENS", "{}"))
        token = tokens.get(agent or "*")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if MAJOR >= 2:
            from mcp import Client
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client
            async with create_mcp_http_client(headers=headers) as http:
                async with Client(streamable_http_client(url, http_client=http)) as c:
                    yield Agent(c, updates)
        else:
            from mcp import ClientSession
            from mcp.client.streamable_http import streamablehttp_client
            async with streamablehttp_client(url, headers=headers) as (r, w, _):
                async with ClientSession(r, w, message_handler=on_message) as s:
                    a = Agent(s, updates)
                    a.protocol = (await s.initialize()).protocolVersion
                    yield a
    else:
        from mcp import StdioServerParameters
        args = ["mcp", "--node", node, "--keys", keys] + (["--agent", agent] if agent else []) + list(extra)
        env = {"AGORA_KEY_PASSWORD": os.environ.get("AGORA_KEY_PASSWORD", ""), "PATH": os.environ.get("PATH", "")}
        params = StdioServerParameters(command=binary, args=args, env=env)
        if MAJOR >= 2:
            from mcp import Client
            async with Client(params) as c:
                yield Agent(c, updates)
        else:
            from mcp import ClientSession
            from mcp.client.stdio import stdio_client
            async with stdio_client(params) as (r, w):
                async with ClientSession(r, w, message_handler=on_message) as s:
                    a = Agent(s, updates)
                    a.protocol = (await s.initialize()).protocolVersion
                    yield a


def rest(node, path):
    with urllib.request.urlopen(node + path, timeout=10) as r:
        return json.loads(r.read())


REQUIRED_TOOLS = {"whoami", "get_balance", "transfer", "list_groups", "get_group", "create_group", "add_group_member",
                  "publish_claim", "search_claims", "get_claim", "get_thread", "upload_artifact", "fetch_artifact",
                  "create_task", "list_tasks", "get_task", "take_task", "assign_task", "update_task", "heartbeat", "get_presence",
                  "list_offers", "get_offer", "list_purchases", "market_offer", "market_buy", "market_deliver", "market_receive",
                  "market_dispute", "post_intent", "list_my_intents", "list_proposals", "accept_settlement", "challenge_settlement",
                  "retract_claim", "get_intent", "compile_context"}


def cheat_deliver(node, keys, binary, purchase):
    """alice delivers a random content key for `purchase` with the CLI (it warns and lets her:
    the chain judges deliveries), so that bob's dispute can succeed."""
    with tempfile.NamedTemporaryFile("w", suffix=".content-key", delete=False) as f:
        f.write(secrets.token_hex(32))
    r = subprocess.run([binary, "market", "deliver", purchase, "--content-key", f.name, "--node", node,
                        "--key", os.path.join(keys, "alice.json"), "--wait"], capture_output=True, text=True, timeout=120)
    os.unlink(f.name)
    assert r.returncode == 0 and "does not match" in r.stderr, f"cheating delivery: {r.stdout} {r.stderr}"


async def proposals_naming(agent, pairs, seconds=90):
    """Waits (bounded) for the node's mediator to propose each pair of intents; returns the
    settlements by pair."""
    deadline = time.monotonic() + seconds
    while True:
        page = await agent.ok("list_proposals", {"status": "all", "limit": 500})
        found = {pair: s for pair in pairs for s in page["items"] if set(s["intents"]) == set(pair)}
        if len(found) == len(pairs):
            return found
        assert time.monotonic() < deadline, f"the mediator proposed {len(found)} of {len(pairs)} pairs: {page['items']}"
        await asyncio.sleep(0.5)


async def settlements(node, alice, bob, group, tag):
    """Two pairs of complementary intents; the mediator proposes both; both agents accept both
    (accept_settlement); bob challenges the second (challenge_settlement)."""
    labels = await alice.ok("post_intent", {"group": group, "kind": "offer", "text": f"Labelling of street images, bounding boxes ({tag})",
                                            "terms": "asset=labelling price=100..200", "bond": 5})
    wants = await bob.ok("post_intent", {"group": group, "kind": "request", "text": f"Need street images labelled with bounding boxes ({tag})",
                                         "terms": "asset=labelling price=150..250", "bond": 5})
    texts = await alice.ok("post_intent", {"group": group, "kind": "offer", "text": f"Translation of manuals from German to English ({tag})",
                                           "terms": "asset=translation price=300..500", "bond": 5})
    needs = await bob.ok("post_intent", {"group": group, "kind": "request", "text": f"Manuals to translate from German into English ({tag})",
                                         "terms": "asset=translation price=400..600", "bond": 5})
    got = await bob.ok("get_intent", {"intent": wants["intent"]})
    assert got["id"] == wants["intent"] and got["kind"] == "request" and got["author"] == (await bob.ok("whoami"))["address"], got
    accepted, challenged = (labels["intent"], wants["intent"]), (texts["intent"], needs["intent"])
    found = await proposals_naming(bob, [accepted, challenged])
    for pair in (accepted, challenged):
        for agent in (alice, bob):
            ok = await agent.ok("accept_settlement", {"settlement": found[pair]["id"]})
            assert ok["status"] == "committed" and ok["settlement"] == found[pair]["id"], ok
    assert rest(node, f"/api/v1/settlements/{found[accepted]['id']}")["status"] == "accepted"
    sid = found[challenged]["id"]
    ok = await bob.ok("challenge_settlement", {"settlement": sid, "reason": "the manuals were machine-translated", "bond": 10})
    assert ok["status"] == "committed" and ok["settlement"] == sid, ok
    st = rest(node, f"/api/v1/settlements/{sid}")
    assert st["status"] == "challenged", st
    return {"accepted": found[accepted]["id"], "challenged": sid}


async def scenario(transport, node, keys, binary):
    seen = {"client": VERSION, "transport": transport}
    async with connect(transport, node, keys, binary, "alice") as alice, \
            connect(transport, node, keys, binary, "bob") as bob, \
            connect(transport, node, keys, binary, None) as nobody:
        tools = await alice.tools()
        names = {t.name for t in tools}
        missing = REQUIRED_TOOLS - names
        assert not missing, f"tools/list lacks {sorted(missing)}"
        for t in tools:
            schema = field(t, "inputSchema", "input_schema")
            assert schema["type"] == "object", f"{t.name}: input schema type is {schema.get('type')}"
            out = field(t, "outputSchema", "output_schema")
            assert out and out["type"] == "object", f"{t.name}: output schema {out}"
            jsonschema.Draft202012Validator.check_schema(out)
            assert t.title, f"{t.name} has no title"
            hints = t.annotations
            assert hints is not None and None not in (field(hints, "readOnlyHint", "read_only_hint"), field(hints, "destructiveHint", "destructive_hint"),
                                                      field(hints, "idempotentHint", "idempotent_hint")), f"{t.name}: annotations {hints}"
        seen["tools"] = len(tools)
        await bob.tools()
        await nobody.tools()
        seen["protocol"] = alice.protocol_version()
        expected = "2026-07-28" if MAJOR >= 2 else "2025-11-25"
        assert seen["protocol"] == expected, f"negotiated {seen['protocol']}, expected {expected}"

        a = await alice.ok("whoami")
        b = await bob.ok("whoami")
        assert a["agent"] == "alice" and b["agent"] == "bob", (a, b)
        assert a["address"] != b["address"]
        n = await nobody.ok("whoami")
        assert n["agent"] is None, n

        group = (await alice.ok("create_group", {"name": f"mcp-{transport}-{MAJOR}"}))["group"]
        await alice.ok("add_group_member", {"group": group, "member": b["address"], "role": "member"})
        info = await bob.ok("get_group", {"group": group})
        roles = {m["address"]: m["role"] for m in info["members"]}
        assert roles == {a["address"]: "admin", b["address"]: "member"}, roles

        payload = f"measurements from {transport} / mcp {VERSION}\n".encode()
        art = await alice.ok("upload_artifact", {"content": base64.b64encode(payload).decode(), "encoding": "base64"})
        assert art["size"] == len(payload), art
        first = await alice.ok("publish_claim", {"group": group, "text": "The cache halves p99 latency.",
                                                 "tags": ["#Perf", "cache"], "artifacts": [art]})
        assert first["tags"] == ["cache", "perf"], first
        # alice watches her group's new claims (and her settlement proposals); bob's reply shows up.
        claims_uri, proposals_uri = f"agora://groups/{group}/claims", f"agora://agents/{a['address']}/proposals"
        async with alice.subscribe([claims_uri, proposals_uri]) as (honored, wait):
            assert sorted(honored) == sorted([claims_uri, proposals_uri]), honored
            reply = await bob.ok("publish_claim", {"group": group, "text": "Confirmed on my run.", "parent": first["claim"]})
            committed = time.monotonic()  # publish_claim returns once the claim's block committed
            await wait(claims_uri, 20)
            # Recorded, not asserted (no timed assertions): /mcp pushes from the node's event bus as
            # the block commits, the stdio bridge from /api/v1/events (ResourcePushTests prove the
            # push path has nothing to poll).
            seen["notified_after_commit_ms"] = round((time.monotonic() - committed) * 1000)
        first_height = rest(node, f"/api/v1/claims/{first['claim']}")["height"]
        fresh = await alice.read(f"{claims_uri}?afterHeight={first_height}")
        assert [c["id"] for c in fresh["claims"]] == [reply["claim"]], fresh
        seen["subscription"] = "listen" if MAJOR >= 2 else "resources/subscribe"

        # The ledger, read over REST, names each agent as the author of its own claim.
        assert rest(node, f"/api/v1/claims/{first['claim']}")["author"] == a["address"]
        assert rest(node, f"/api/v1/claims/{reply['claim']}")["author"] == b["address"]

        page = await bob.ok("search_claims", {"group": group, "since": 0})
        assert [c["id"] for c in page["items"]] == [first["claim"], reply["claim"]], page
        by_tag = await bob.ok("search_claims", {"group": group, "tag": "#PERF"})
        assert [c["id"] for c in by_tag["items"]] == [first["claim"]], by_tag
        by_author = await alice.ok("search_claims", {"group": group, "author": b["address"], "limit": 10})
        assert [c["id"] for c in by_author["items"]] == [reply["claim"]], by_author
        later = await alice.ok("search_claims", {"group": group, "since": page["items"][-1]["time"] + 1})
        assert later["items"] == [], later
        thread = await alice.ok("get_thread", {"claim": reply["claim"]})
        assert [c["author"] for c in thread["items"]] == [a["address"], b["address"]], thread
        one = await bob.ok("get_claim", {"claim": first["claim"]})
        assert one["artifacts"] == [{"sha256": art["sha256"], "size": art["size"]}], one

        fetched = await bob.ok("fetch_artifact", {"sha256": art["sha256"]})
        assert fetched["encoding"] == "utf8" and fetched["content"] == payload.decode(), fetched

        before = (await alice.ok("get_balance"))["balance"]
        sent = await bob.ok("transfer", {"to": a["address"], "amount": 7, "memo": "thanks"})
        assert sent["status"] == "committed", sent
        after = (await bob.ok("get_balance", {"address": a["address"]}))["balance"]
        assert after == before + 7, (before, after)

        # Tasks: alice posts one with a reward, bob takes, starts and completes it and is paid.
        bob_before = (await bob.ok("get_balance"))["balance"]
        task = (await alice.ok("create_task", {"group": group, "title": "Summarise the run", "reward": 50,
                                               "description": "two paragraphs"}))["task"]
        listed = await bob.ok("list_tasks", {"group": group, "state": "pending"})
        assert task in [t["id"] for t in listed["items"]], listed
        await bob.ok("take_task", {"task": task})
        await alice.fails("update_task", {"task": task, "action": "start"}, "not_task_assignee")
        await bob.ok("update_task", {"task": task, "action": "start"})
        done = await bob.ok("update_task", {"task": task, "action": "complete", "result": "done, see claim",
                                            "artifacts": [art]})
        assert done["state"] == "completed", done
        fees = done["feePaid"] * 3  # take, start, complete
        assert (await bob.ok("get_balance"))["balance"] == bob_before + 50 - fees
        await alice.fails("update_task", {"task": task, "action": "cancel"}, "task_wrong_state")
        await alice.fails("update_task", {"task": task, "action": "launch"}, "invalid_argument")

        # Presence: both say they are here.
        await alice.ok("heartbeat", {"group": group, "status": "reviewing"})
        await bob.ok("heartbeat", {"group": group})
        here = await alice.ok("get_presence", {"group": group})
        assert {m["address"] for m in here["members"] if m["online"]} == {a["address"], b["address"]}, here

        # Intents (the mediator's side is tests/e2e/test_intents.py): post, list, no proposals yet.
        posted = await alice.ok("post_intent", {"group": group, "kind": "offer", "text": f"Proofreading of papers ({transport})",
                                                "terms": "asset=proofreading price=10..20"})
        mine = await alice.ok("list_my_intents", {"status": "open"})
        assert posted["intent"] in [i["id"] for i in mine["items"]], mine
        proposed = (await alice.ok("list_proposals", {"status": "all", "limit": 500}))["items"]
        assert not [p for p in proposed if posted["intent"] in p["intents"]], proposed
        for tool in ("accept_settlement", "challenge_settlement"):
            args = {"settlement": "ab" * 32} if tool == "accept_settlement" else {"settlement": "ab" * 32, "reason": "no", "bond": 10}
            err, value, _ = await bob.call(tool, args)
            assert err and value["error"]["code"], (tool, value)
        # The success paths, with the node's mediator proposing (test_intents.py drives it at length).
        seen["settlements"] = await settlements(node, alice, bob, group, f"{transport} {VERSION}")

        # Market: alice sells a text, bob buys, alice delivers, bob receives it decrypted and verified.
        secret = f"the recipe, {transport} {VERSION}"
        sale = await alice.ok("market_offer", {"content": secret, "title": "recipe", "price": 100, "bond": 10,
                                               "deliveryWindowMs": 60000, "disputeWindowMs": 60000})
        offers = await bob.ok("list_offers", {"seller": a["address"]})
        assert sale["offer"] in [o["id"] for o in offers["items"]], offers
        bought = await bob.ok("market_buy", {"offer": sale["offer"]})
        mine = await bob.ok("list_purchases", {"role": "buyer"})
        assert bought["purchase"] in [p["id"] for p in mine["items"]], mine
        await alice.ok("market_deliver", {"purchase": bought["purchase"]})
        got = await bob.ok("market_receive", {"purchase": bought["purchase"], "waitSeconds": 30})
        assert got["content"] == secret and got["encoding"] == "utf8", got
        # One open purchase per buyer and offer; nobody delivers for someone else's offer.
        await bob.fails("market_buy", {"offer": sale["offer"]}, "offer_already_purchased")
        # Agents share the node's key directory: each may use only its own market secrets.
        await bob.fails("market_deliver", {"purchase": bought["purchase"]}, "not_purchase_seller")
        await alice.fails("market_receive", {"purchase": bought["purchase"]}, "not_purchase_buyer")
        await bob.fails("market_dispute", {"purchase": bought["purchase"]}, "delivered_key_valid")
        # A cheating seller: alice delivers a key that does not open the content; bob's dispute
        # succeeds (the chain opens the delivery with his revealed one-time key), refunding him
        # and slashing her bond.
        cheat = await alice.ok("market_offer", {"content": f"not what you get, {transport}", "title": "bait", "price": 70, "bond": 30,
                                                "deliveryWindowMs": 60000, "disputeWindowMs": 60000})
        baited = await bob.ok("market_buy", {"offer": cheat["offer"]})
        await asyncio.to_thread(cheat_deliver, node, keys, binary, baited["purchase"])
        before = (await bob.ok("get_balance"))["balance"]
        disputed = await bob.ok("market_dispute", {"purchase": baited["purchase"]})
        assert disputed["status"] == "committed" and disputed["purchase"] == baited["purchase"], disputed
        assert rest(node, f"/api/v1/market/purchases/{baited['purchase']}")["status"] == "refunded_disputed"
        assert rest(node, f"/api/v1/market/offers/{cheat['offer']}")["status"] == "slashed"
        assert (await bob.ok("get_balance"))["balance"] == before + 70 + 30 - disputed["feePaid"]
        seen["disputed"] = baited["purchase"]

        resources = await alice.resources()
        assert f"agora://groups/{group}" in resources, resources
        res = await alice.read(f"agora://groups/{group}")
        assert res["group"]["id"] == group
        res = await alice.read(f"agora://threads/{reply['claim']}")
        assert len(res["claims"]) == 2

        context = await alice.ok("compile_context", {"group": group, "query": "cache latency", "budget": 500})
        assert first["claim"] in [i["claim"] for i in context["items"]], context

        # bob retracts his reply: alice, watching the group's claims, is told (claims.retracted
        # names the claim's group), and the reply leaves the default list.
        while not alice.updates.empty():  # 1.x: drop notifications queued by the first subscription
            alice.updates.get_nowait()
        async with alice.subscribe([claims_uri]) as (honored, wait):
            assert honored == [claims_uri], honored
            await bob.fails("retract_claim", {"claim": first["claim"], "reason": "not mine"}, "not_claim_author")
            gone = await bob.ok("retract_claim", {"claim": reply["claim"], "reason": "could not reproduce"})
            assert gone["claim"] == reply["claim"], gone
            await wait(claims_uri, 20)
        page = await alice.ok("search_claims", {"group": group, "since": 0})
        assert [c["id"] for c in page["items"]] == [first["claim"]], page

        # Bad input: typed tool errors naming the argument, and nothing committed.
        await alice.fails("transfer", {"to": b["address"], "amount": "seven"}, "wrong_type")
        await alice.fails("transfer", {"to": "ag1nobody", "amount": 1}, "invalid_argument")
        await alice.fails("transfer", {"to": b["address"]}, "missing_argument")
        await alice.fails("publish_claim", {"group": group, "text": "x", "colour": "red"}, "unknown_argument")
        await alice.fails("publish_claim", {"group": group, "text": "x" * 9000}, "invalid_argument")
        await alice.fails("publish_claim", {"group": group, "text": "x", "tags": ["no spaces"]}, "invalid_argument")
        await alice.fails("get_claim", {"claim": "zz"}, "invalid_argument")
        await alice.fails("get_claim", {"claim": "ab" * 32}, "not_found")
        await alice.fails("upload_artifact", {"content": "%%%", "encoding": "base64"}, "invalid_argument")
        # A rule of the chain: bob is not an admin.
        await bob.fails("add_group_member", {"group": group, "member": b["address"], "role": "admin"}, "not_group_admin")
        await nobody.fails("transfer", {"to": a["address"], "amount": 1}, "no_identity")
        try:
            await alice.call("no_such_tool", {})
        except Exception as e:  # a protocol error (invalid params), raised by both client lines
            seen["unknown_tool"] = type(e).__name__
        else:
            err, value, _ = await alice.call("no_such_tool", {})
            assert err, "an unknown tool must be an error"
            seen["unknown_tool"] = "isError"
        seen["group"] = group
    return seen


async def verify_scenario(node, keys, binary, genesis):
    """Reads say whether they were verified: over stdio with the chain's genesis as trust root
    they are (verified: true, with what was proven); over the node's own /mcp they are not, and
    prove: true attaches the proof; a trust root older than the trusting period is the tool's
    error trust_expired."""
    seen = {"client": VERSION, "transport": "verify"}
    async with connect("stdio", node, keys, binary, "alice", ["--genesis", genesis]) as alice, \
            connect("http", node, keys, binary, "alice") as remote, \
            connect("stdio", node, keys, binary, "alice", ["--genesis", genesis, "--trusting-period", "1s"]) as stale:
        for a in (alice, remote, stale):
            await a.tools()
        me = await alice.ok("whoami")
        assert me["verified"] is True, me
        balance = await alice.ok("get_balance")
        v = balance["verification"]
        assert balance["verified"] is True and v["height"] >= 1 and v["value"], balance
        assert "proof" not in balance, "a proof attached without prove: true"
        group = (await alice.ok("create_group", {"name": "verified reads"}))["group"]
        claim = (await alice.ok("publish_claim", {"group": group, "text": "checked by the light client"}))["claim"]
        got = await alice.ok("get_claim", {"claim": claim})
        assert got["verified"] is True and got["text"] == "checked by the light client", got
        plain = await remote.ok("get_claim", {"claim": claim})
        assert plain["verified"] is False and "verification" not in plain, plain
        attached = await remote.ok("get_balance", {"prove": True})
        assert attached["verified"] is False and attached["proof"]["key"] == v["key"] and attached["proof"]["commit"], attached
        await stale.fails("get_balance", {}, "trust_expired")
        seen["verified_height"] = v["height"]
    return seen


def main():
    transport, node, keys, binary = sys.argv[1:5]
    try:
        if transport == "verify":
            seen = asyncio.run(asyncio.wait_for(verify_scenario(node, keys, binary, sys.argv[5]), timeout=240))
        else:
            seen = asyncio.run(asyncio.wait_for(scenario(transport, node, keys, binary), timeout=240))
    except AssertionError as e:
        print(json.dumps({"client": VERSION, "transport": transport, "failed": str(e)}))
        sys.exit(1)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
