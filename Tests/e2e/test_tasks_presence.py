"""Tasks and presence through the CLI against a real `agora dev` node: a task created with an
escrowed reward, taken, started and completed by a member (who is paid), queried by group, state
and assignee; a step by the wrong party refused with its code; a presence heartbeat accepted for a
member and refused for an outsider; the group's presence listed."""
import json

from conftest import Node


def keys_dir(node):
    return node.dir + "/task-keys"


def new_key(node, name):
    return node.cli("keys", "new", "--name", name, "--keys", keys_dir(node)).stdout.split()[0]


def tx(node, key, *args, check=True):
    return node.cli("tx", *args, "--node", node.url, "--keys", keys_dir(node), "--key", key, "--wait", check=check)


def query(node, *args):
    return json.loads(node.cli("query", *args, "--node", node.url).stdout)


def line_value(out, prefix):
    return next(l.split()[1] for l in out.splitlines() if l.startswith(prefix + " "))


def test_task_lifecycle_pays_the_assignee_and_refuses_the_wrong_party(node):
    dev = node.data + "/keys/dev.json"
    worker = new_key(node, "worker")
    outsider = new_key(node, "outsider")
    node.cli("tx", "transfer", "--node", node.url, "--key", dev, "--to", worker, "--amount", "1000", "--wait")
    node.cli("tx", "transfer", "--node", node.url, "--key", dev, "--to", outsider, "--amount", "1000", "--wait")
    group = line_value(node.cli("tx", "group", "create", "--node", node.url, "--key", dev, "--name", "e2e-tasks", "--wait").stdout, "group")
    node.cli("tx", "group", "add-member", "--node", node.url, "--key", dev, "--group", group, "--member", worker, "--wait")

    task = line_value(node.cli("tx", "task", "create", "--node", node.url, "--key", dev, "--group", group, "--title", "summarise",
                               "--reward", "50", "--deadline-in", "3600", "--wait").stdout, "task")
    before = query(node, "account", worker)["balance"]
    tx(node, "worker", "task", "take", "--task", task)
    tx(node, "worker", "task", "start", "--task", task)
    tx(node, "worker", "task", "complete", "--task", task, "--result", "done: see artifact")
    after = query(node, "account", worker)["balance"]
    assert after > before, "the reward reached the assignee (less its fees)"

    t = query(node, "task", task)
    assert t["state"] == "completed" and t["assignee"] == worker and t["result"]["text"] == "done: see artifact"
    assert t["reward"] == 50 and t["overdue"] is False
    listed = query(node, "tasks", "--group", group, "--state", "completed", "--assignee", worker)
    assert [i["id"] for i in listed["items"]] == [task]

    # A second task: the outsider cannot take it, the member cannot cancel it.
    other = line_value(node.cli("tx", "task", "create", "--node", node.url, "--key", dev, "--group", group, "--title", "review",
                                "--wait").stdout, "task")
    r = tx(node, "outsider", "task", "take", "--task", other, check=False)
    assert r.returncode == 1 and "not_group_member" in r.stderr
    r = tx(node, "worker", "task", "cancel", "--task", other, check=False)
    assert r.returncode == 1 and "not_task_manager" in r.stderr
    r = tx(node, "worker", "task", "complete", "--task", other, "--result", "x", check=False)
    assert r.returncode == 1 and "task_wrong_state" in r.stderr
    assert query(node, "task", other)["state"] == "pending"
    r = node.cli("tx", "task", "create", "--node", node.url, "--key", dev, "--group", group, "--title", "", check=False)
    assert r.returncode == 2, "bad input is refused before signing"

    # Presence: the member is accepted and listed online; the outsider is refused.
    out = node.cli("presence", "heartbeat", "--node", node.url, "--keys", keys_dir(node), "--key", "worker", "--group", group,
                   "--status", "reviewing").stdout
    assert "heartbeat accepted" in out
    r = node.cli("presence", "heartbeat", "--node", node.url, "--keys", keys_dir(node), "--key", "outsider", "--group", group,
                 check=False)
    assert r.returncode == 1 and "not_group_member" in r.stderr
    p = query(node, "presence", group)
    assert p["online"] == 1 and p["members"][0]["address"] == worker and p["members"][0]["status"] == "reviewing"
    assert p["staleAfterMs"] == 3 * p["intervalMs"]


def test_event_stream_carries_task_and_presence_events(node):
    import asyncio
    import websockets

    dev = node.data + "/keys/dev.json"
    dev_address = node.cli("keys", "show", dev).stdout.split("address:")[1].split()[0]
    group = line_value(node.cli("tx", "group", "create", "--node", node.url, "--key", dev, "--name", "e2e-events", "--wait").stdout, "group")

    async def recv(ws):
        return json.loads(await asyncio.wait_for(ws.recv(), 15))

    async def run():
        async with websockets.connect(node.url.replace("http://", "ws://") + "/api/v1/events") as ws:
            await ws.send(json.dumps({"op": "subscribe", "modules": ["tasks", "presence"]}))
            assert (await recv(ws))["type"] == "subscribed"
            out = await asyncio.to_thread(node.cli, "tx", "task", "create", "--node", node.url, "--key", dev, "--group", group,
                                          "--title", "evented", "--wait")
            task = line_value(out.stdout, "task")
            await asyncio.to_thread(node.cli, "presence", "heartbeat", "--node", node.url, "--key", dev, "--group", group)
            seen = {}
            while len(seen) < 2:
                msg = await recv(ws)
                for e in msg.get("events", []):
                    if e.get("group") == group:
                        seen[e["type"]] = e
            assert seen["tasks.created"]["task"] == task and seen["tasks.created"]["creator"] == dev_address
            assert seen["presence.online"]["member"] == dev_address
    asyncio.run(run())
