"""Drives the three governance tools with the official Python `mcp` client (whichever line is
installed in the interpreter running this) over the stdio bridge, reusing mcp_driver.py's
sessions and its outputSchema checks. test_governance.py runs it against its four-validator
network while a proposal is in its voting period: agent `validator` holds another node's
validator key (an operator may hand one to an agent on a node that is not that validator's),
lists the proposals, reads the open one, votes `option` on it and sees the vote in the
proposal; agent `outsider` (a funded account that is no validator), when KEYS_DIR has one, is
refused with `voter_not_bonded`. Prints one JSON line of what it saw and exits non-zero naming the first
check that failed.

    python mcp_gov_driver.py NODE_URL KEYS_DIR AGORA_BIN PROPOSAL OPTION
"""
import asyncio
import json
import os
import sys

from mcp_driver import VERSION, connect


async def scenario(node, keys, binary, pid, option):
    seen = {"client": VERSION}
    async with connect("stdio", node, keys, binary, "validator") as v:
        await v.tools()
        page = await v.ok("list_gov_proposals", {"limit": 50})
        listed = {p["id"]: p["status"] for p in page["items"]}
        assert listed.get(pid) == "voting_period", f"proposal {pid} not listed in its voting period: {listed}"
        before = await v.ok("get_gov_proposal", {"proposal": pid})
        assert before["status"] == "voting_period", f"get_gov_proposal: {before['status']}"
        cast = await v.ok("vote_gov_proposal", {"proposal": pid, "option": option})
        assert cast["proposal"] == pid and cast["option"] == option, f"vote_gov_proposal: {cast}"
        me = await v.ok("whoami")
        after = await v.ok("get_gov_proposal", {"proposal": pid})
        votes = {x["address"]: x["option"] for x in after.get("votes") or []}
        address = me.get("address")
        assert votes.get(address) == option, f"the vote of {address} is not {option} in {votes}"
        seen["votes"] = votes
    if not os.path.exists(os.path.join(keys, "outsider.json")):
        return seen
    async with connect("stdio", node, keys, binary, "outsider") as o:
        await o.tools()
        seen["outsider"] = await o.fails("vote_gov_proposal", {"proposal": pid, "option": "no"}, "voter_not_bonded")
    return seen


def main():
    node, keys, binary, pid, option = sys.argv[1:6]
    try:
        seen = asyncio.run(asyncio.wait_for(scenario(node, keys, binary, int(pid), option), timeout=90))
    except AssertionError as e:
        print(json.dumps({"client": VERSION, "failed": str(e)}))
        sys.exit(1)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
