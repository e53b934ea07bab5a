"""The WebSocket event stream: order, filters, replay after reconnect, and its limits."""
import asyncio
import json
import re
import subprocess

import pytest
import websockets

from conftest import Node


def ws_url(node):
    return node.url.replace("http://", "ws://") + "/api/v1/events"


async def recv_json(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def collect_events(ws, n, timeout=15):
    got = []
    while len(got) < n:
        msg = await recv_json(ws, timeout)
        if msg["type"] == "events":
            got += msg["events"]
    return got


def dev_transfer(node, amount=7):
    keys = node.dir + "/keys"
    to = node.cli("keys", "new", "--name", f"r{amount}", "--keys", keys).stdout.split()[0]
    node.cli("tx", "transfer", "--node", node.url, "--key", node.data + "/keys/dev.json", "--to", to,
             "--amount", str(amount), "--wait")
    return to


def test_blocks_arrive_in_order_with_sequence_numbers(node):
    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            await ws.send(json.dumps({"op": "subscribe", "blocks": True}))
            sub = await recv_json(ws)
            assert sub["type"] == "subscribed"
            events = await collect_events(ws, 4)
            seqs = [e["seq"] for e in events]
            heights = [e["height"] for e in events]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            assert heights == sorted(heights) and all(e["type"] == "block" for e in events)
    asyncio.run(run())


def test_account_filter_sees_its_transfer_and_module_event(node):
    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            dev = node.cli("keys", "show", node.data + "/keys/dev.json").stdout.split("address:")[1].split()[0]
            await ws.send(json.dumps({"op": "subscribe", "accounts": [dev]}))
            assert (await recv_json(ws))["type"] == "subscribed"
            to = await asyncio.to_thread(dev_transfer, node, 11)
            events = await collect_events(ws, 3)
            types = [e["type"] for e in events]
            assert types[0] == "tx.pending", "admission is announced before the commit"
            assert set(types) == {"tx.pending", "tx.committed", "bank.transfer"}
            transfer = next(e for e in events if e["type"] == "bank.transfer")
            assert transfer["to"] == to and transfer["amount"] == 11
    asyncio.run(run())


def test_a_retraction_event_names_the_claims_group(node):
    """claims.retracted carries the retracted claim's group, so a subscriber following one group
    (filtering the claims module by `group`) sees its retractions, not only its new claims."""
    dev = node.data + "/keys/dev.json"

    def tx(*args):
        return node.cli("tx", *args, "--node", node.url, "--key", dev, "--wait").stdout

    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            await ws.send(json.dumps({"op": "subscribe", "modules": ["claims"]}))
            assert (await recv_json(ws))["type"] == "subscribed"
            group = re.search(r"group ([0-9a-f]{64})", await asyncio.to_thread(tx, "group", "create", "--name", "retractions")).group(1)
            out = await asyncio.to_thread(tx, "claim", "publish", "--group", group, "--text", "a finding to take back")
            claim = re.search(r"claim ([0-9a-f]{64})", out).group(1)
            await asyncio.to_thread(tx, "claim", "retract", "--claim", claim, "--reason", "measured wrong")
            events = []
            while not any(e["type"] == "claims.retracted" for e in events):
                events += await collect_events(ws, 1)
            mine = [e for e in events if e.get("group") == group]
            assert [e["type"] for e in mine] == ["claims.published", "claims.retracted"], events
            assert mine[1]["claim"] == claim and mine[1]["reason"] == "measured wrong"
    asyncio.run(run())


def test_reconnect_with_last_sequence_gets_missed_events(node):
    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            await ws.send(json.dumps({"op": "subscribe", "blocks": True}))
            await recv_json(ws)
            first = await collect_events(ws, 2)
        last = first[-1]["seq"]
        await asyncio.sleep(1.0)  # ~5 blocks happen while away
        async with websockets.connect(ws_url(node)) as ws:
            await ws.send(json.dumps({"op": "subscribe", "blocks": True, "since": last}))
            sub = await recv_json(ws)
            assert "gap" not in sub
            resumed = await collect_events(ws, 4)
            heights = [e["height"] for e in resumed]
            assert heights[0] == first[-1]["height"] + 1, "no block is skipped across the reconnect"
            assert heights == list(range(heights[0], heights[0] + len(heights)))
    asyncio.run(run())


def test_invalid_filters_and_messages_get_typed_errors(node):
    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            for bad, code in [("not json", "invalid_message"), ('{"op": "dance"}', "invalid_message"),
                              ('{"op": "subscribe"}', "invalid_filter"),
                              ('{"op": "subscribe", "accounts": ["ag1zz"]}', "invalid_filter"),
                              # the pre-Bech32m hex form and a checksum-broken address
                              ('{"op": "subscribe", "accounts": ["ag1' + "de" * 20 + '"]}', "invalid_filter"),
                              ('{"op": "subscribe", "accounts": ["ag1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnfnhmuq"]}', "invalid_filter"),
                              ('{"op": "subscribe", "modules": ["nope"]}', "invalid_filter")]:
                await ws.send(bad)
                msg = await recv_json(ws)
                assert msg["type"] == "error" and msg["code"] == code, (bad, msg)
            await ws.send('{"op": "ping"}')
            assert (await recv_json(ws))["type"] == "pong"
    asyncio.run(run())


def documented_modules():
    """The module names docs/api.md tells clients to subscribe with (its "Subscribe with" line)."""
    import os
    import re
    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "api.md")).read()
    m = re.search(r'Subscribe with\s+`"modules":\s*\[([^\]]*)\]`', doc)
    assert m, "docs/api.md no longer lists the modules to subscribe with"
    return re.findall(r'"([a-z_]+)"', m.group(1))


def test_every_documented_module_can_be_subscribed(node):
    """Each module docs/api.md documents is accepted alone and all together (intents once was refused)."""
    modules = documented_modules()
    assert {"bank", "intents", "presence"} <= set(modules), modules

    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            for filt in [[m] for m in modules] + [modules]:
                await ws.send(json.dumps({"op": "subscribe", "modules": filt}))
                msg = await recv_json(ws)
                assert msg["type"] == "subscribed", (filt, msg)
    asyncio.run(run())


def test_oversized_message_closes_with_1009(node):
    async def run():
        async with websockets.connect(ws_url(node), max_size=None) as ws:
            await ws.send(json.dumps({"op": "subscribe", "transactions": ["00" * 32] * 2000}))
            with pytest.raises(websockets.ConnectionClosed) as e:
                await recv_json(ws)
            assert e.value.rcvd.code == 1009
    asyncio.run(run())


def test_message_flood_closes_with_1008(node):
    async def run():
        async with websockets.connect(ws_url(node)) as ws:
            with pytest.raises(websockets.ConnectionClosed) as e:
                for _ in range(200):
                    await ws.send('{"op": "ping"}')
                while True:
                    await recv_json(ws)
            assert e.value.rcvd.code == 1008
            assert "rate" in e.value.rcvd.reason
    asyncio.run(run())


def test_foreign_origin_is_refused_and_own_origin_allowed(node):
    async def run():
        async with websockets.connect(ws_url(node), origin="https://evil.example") as ws:
            with pytest.raises(websockets.ConnectionClosed) as e:
                await recv_json(ws)
            assert e.value.rcvd.code == 1008 and "origin" in e.value.rcvd.reason
        own = node.url.replace("ws://", "http://")
        async with websockets.connect(ws_url(node), origin=own) as ws:
            await ws.send('{"op": "ping"}')
            assert (await recv_json(ws))["type"] == "pong"
    asyncio.run(run())


def test_connection_limit_per_address_closes_with_1013():
    n = Node(env={"AGORA_EVENTS_MAX_PER_IP": "2"}, name="wslimit").start()
    try:
        async def run():
            a = await websockets.connect(ws_url(n))
            b = await websockets.connect(ws_url(n))
            c = await websockets.connect(ws_url(n))
            with pytest.raises(websockets.ConnectionClosed) as e:
                await recv_json(c)
            assert e.value.rcvd.code == 1013
            await a.send('{"op": "ping"}')
            assert (await recv_json(a))["type"] == "pong", "connections under the limit keep working"
            await a.close(); await b.close()
        asyncio.run(run())
    finally:
        n.stop()
