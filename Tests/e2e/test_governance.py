"""Governance and software upgrades with real processes (issue 17), on one four-validator
`agora testnet --governance` with short periods: a parameter change passes and applies on every
node, a proposal short of quorum changes nothing, a fifth node bonds and joins the validator set
by proposal and then signs blocks, the admin page's governance panel (headless Chromium) shows
the open proposal with its tally so far, and a software upgrade halts the node whose
binary lacks it (test-only AGORA_TEST_LACK_UPGRADES) with exit code 6 and the upgrade named in
its log, while the others run the migration and go on; restarted with the full binary, the node
catches up through the upgrade height with no fork. Two of the upgrade's votes are cast by the
official Python MCP clients (1.x and 2.x) through node0's stdio bridge with node1's and node2's
validator keys (mcp_gov_driver.py), which also see an outsider refused with voter_not_bonded."""
import json
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BIN
from test_mcp import CLIENTS
from test_admin_page import browser
from test_consensus import FAST, LocalNet, free_base, get, new_address, signers

PERIOD = 20
UPGRADE = "v2-fee-round-up"


def cli(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120, env=e)


def ok(r):
    assert r.returncode == 0, f"{r.stdout} {r.stderr}"
    return r.stdout


class GovNet(LocalNet):
    """`LocalNet` over `agora testnet --governance` with short periods."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="agora-e2e-gov-")
        self.n = 4
        self.http_base = free_base(4)
        self.p2p_base = free_base(4)
        r = subprocess.run([BIN, "testnet", "--validators", "4", "--out", self.dir, "--http-base-port", str(self.http_base),
                            "--p2p-base-port", str(self.p2p_base), "--block-interval-ms", "200", "--governance",
                            "--gov-voting-period", str(PERIOD), "--gov-deposit-period", str(PERIOD), "--gov-min-deposit", "1000"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        self.env = dict(os.environ)
        self.env.update(FAST)
        self.procs = [None] * 4
        self.urls = [f"http://127.0.0.1:{self.http_base + i}" for i in range(4)]


@pytest.fixture
def gov():
    net = GovNet()
    yield net
    net.stop_all()
    shutil.rmtree(net.dir, ignore_errors=True)


def proposal_id(net, title):
    items = get(net.urls[0], "/api/v1/gov/proposals?limit=50")["items"]
    return next(p["id"] for p in items if p["content"]["title"] == title)


def vote(net, pid, voters, option="yes"):
    procs = [subprocess.Popen([BIN, "tx", "gov", "vote", "--node", net.urls[i], "--key", net.key(i), "--proposal", str(pid),
                               "--option", option, "--wait", "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in voters]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"vote: {out} {err}"


def join_as_follower(net, funded):
    """A fifth node with its own key follows the chain and bonds what a testnet validator holds."""
    d4 = os.path.join(net.dir, "node4")
    key4 = os.path.join(net.dir, "v4.json")
    http4 = free_base(1)
    ok(cli("init", "--data-dir", d4, "--chain-id", "agora-testnet", "--genesis", os.path.join(net.dir, "genesis.json"),
           "--validator-key", key4, "--http", f"127.0.0.1:{http4}"))
    net.n = 5
    net.procs.append(None)
    net.urls.append(f"http://127.0.0.1:{http4}")
    net.settings(4, **{"p2p.address": "127.0.0.1:0", "p2p.peers": [f"127.0.0.1:{net.p2p_base + i}" for i in range(4)]})
    net.start(4)
    k4 = json.load(open(key4))
    ok(cli("tx", "transfer", "--node", net.urls[0], "--key", funded, "--to", k4["address"], "--amount", "2000000", "--wait"))
    ok(cli("tx", "validator", "bond", "--node", net.urls[4], "--key", key4, "--amount", "1000000", "--wait"))
    return k4


def admin_page(net):
    """Headless Chromium logged in to node0's admin page, its governance panel loaded."""
    token = ok(cli("admin", "token", "create", "--data-dir", net.node_dir(0), "--name", "gov")).strip()
    d = browser()
    d.get(net.urls[0] + "/admin")
    d.find_element(By.ID, "token").send_keys(token)
    d.find_element(By.ID, "login-button").click()
    WebDriverWait(d, 20).until(EC.visibility_of_element_located((By.ID, "dashboard")))
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#gov-params tr[data-key="gov.votingPeriod"]'))
    return d


def panel_row(d, pid):
    rows = d.find_elements(By.CSS_SELECTOR, f'#gov-proposals tbody tr[data-id="{pid}"]')
    return [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")] if rows else None


def mcp_governance(net, pid, funded):
    """The official MCP client lines (MCP_PY1, MCP_PY2), side by side, drive the governance tools
    through node0's stdio bridge, each with another node's validator key as agent `validator`
    (1.x node1's, 2.x node2's): each votes yes, as that node does anyway, so the outcome is
    unchanged; 2.x's `outsider` (the funded account, which no other line uses) is refused.
    Returns the nodes whose votes were cast here."""
    here = os.path.dirname(os.path.abspath(__file__))
    runs = {}
    for line, node in (("1.x", 1), ("2.x", 2)):
        if not CLIENTS[line]:
            continue
        keys = tempfile.mkdtemp(prefix="agora-e2e-gov-mcp-")
        shutil.copy(net.key(node), os.path.join(keys, "validator.json"))
        if line == "2.x":
            shutil.copy(funded, os.path.join(keys, "outsider.json"))
        runs[line] = (node, subprocess.Popen([CLIENTS[line], os.path.join(here, "mcp_gov_driver.py"), net.urls[0], keys, BIN, str(pid), "yes"],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    if not runs:
        pytest.skip("MCP_PY1 and MCP_PY2 are not set (.ci/run makes the virtualenvs)")
    for line, (node, p) in runs.items():
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"MCP {line}: {out} {err[-2000:]}"
        seen = json.loads(out.strip().splitlines()[-1])
        assert seen["votes"][json.load(open(net.key(node)))["address"]] == "yes", seen
        assert line != "2.x" or "not a bonded validator" in seen["outsider"], seen
    return [node for node, _ in runs.values()]


def status_on_all(net, pid, nodes):
    return {get(net.urls[i], f"/api/v1/gov/proposals/{pid}")["status"] for i in nodes}


def test_parameter_change_quorum_and_an_upgrade_that_halts_a_binary_lacking_it(gov):
    net = gov
    for i in range(4):
        net.start(i)
    net.wait("all four commit blocks", lambda: all(net.height(i) >= 2 for i in range(4)))
    funded = os.path.join(net.dir, "keys", "funded.json")
    params = get(net.urls[0], "/api/v1/gov/params")
    assert params["enabled"] and params["votingPeriod"] == PERIOD and UPGRADE in params["knownUpgrades"]
    assert params["maxEndingPerHeight"] == 10 and params["consensus"] == {}
    # The staking admin is retired: nobody may change the set outside governance.
    assert get(net.urls[0], "/api/v1/validators").get("admin") is None
    k4 = join_as_follower(net, funded)
    page = admin_page(net)
    row = page.find_element(By.CSS_SELECTOR, '#gov-params tr[data-key="gov.votingPeriod"]')
    assert row.find_elements(By.TAG_NAME, "td")[1].text == str(PERIOD)

    # Bad input is refused before it reaches the chain, with the exit code of invalid input.
    r = cli("tx", "gov", "propose", "--node", net.urls[0], "--key", funded, "--title", "x", "--deposit", "1000", "--param", "bank.nope=1")
    assert r.returncode == 2 and "bank.transferFeeBps" in r.stderr

    # Two parameter changes: one gets three of four votes, the other one vote (below the 33.4% quorum).
    ok(cli("tx", "gov", "propose", "--node", net.urls[0], "--key", funded, "--title", "fee 3%", "--deposit", "1000",
           "--param", "bank.transferFeeBps=300", "--wait"))
    ok(cli("tx", "gov", "propose", "--node", net.urls[1], "--key", funded, "--title", "min fee 7", "--deposit", "1000",
           "--param", "bank.minFee=7", "--wait"))
    fee, quorum = proposal_id(net, "fee 3%"), proposal_id(net, "min fee 7")
    vote(net, fee, [0, 1, 2])
    vote(net, quorum, [3])
    # A consensus timeout (each node's configuration says 1000 ms; FAST) set by governance.
    ok(cli("tx", "gov", "propose", "--node", net.urls[3], "--key", funded, "--title", "propose timeout", "--deposit", "1000",
           "--param", "consensus.timeoutProposeMs=800", "--wait"))
    timeout = proposal_id(net, "propose timeout")
    vote(net, timeout, [0, 1, 3])
    ok(cli("tx", "gov", "propose", "--node", net.urls[2], "--key", funded, "--title", "add node4", "--deposit", "1000",
           "--validator", f"{k4['publicKey']}=1", "--wait"))
    add = proposal_id(net, "add node4")
    vote(net, add, [0, 1, 2])
    # The panel shows the open proposal, its end height and the tally so far (3 of 4 bonds); the
    # page is refreshed at once rather than on its 2 s timer, the voting period being short here.
    proposal = get(net.urls[0], f"/api/v1/gov/proposals/{add}")
    expected = [str(add), "add node4", "validator_change", "voting_period", str(proposal["votingEnd"]), "3000000", "0", "0", "0", "4000000"]
    try:
        page.execute_async_script("refresh().then(() => arguments[0](), () => arguments[0]())")
        # The panel rebuilds its rows every 2 s: a row read mid-rebuild is stale, so read again.
        WebDriverWait(page, 5, ignored_exceptions=[StaleElementReferenceException]).until(lambda d: panel_row(d, add) == expected)
        page.save_screenshot(os.path.join(net.dir, "admin-gov.png"))
    finally:
        page.quit()
    end = max(get(net.urls[0], f"/api/v1/gov/proposals/{p}")["votingEnd"] for p in (fee, quorum, add, timeout))
    net.wait("all four tallied on every node", lambda: all(net.height(i) > end for i in range(4)), timeout=90)
    assert status_on_all(net, fee, range(4)) == {"passed"}
    assert status_on_all(net, timeout, range(4)) == {"passed"}
    assert status_on_all(net, quorum, range(4)) == {"no_quorum"}
    assert status_on_all(net, add, range(4)) == {"passed"}

    # The validator change is in force two heights after the tally: node4's key signs from then on.
    executed = get(net.urls[0], f"/api/v1/gov/proposals/{add}")["votingEnd"]
    net.wait("node4 signs a commit", lambda: any(k4["publicKey"] in signers(net.block(0, h))
                                                 for h in range(executed + 2, net.height(0) + 1)), timeout=60)
    for h in range(1, executed + 2):
        assert k4["publicKey"] not in {s["validator"] for s in net.block(0, h)["seal"]["signatures"]}, f"node4 signed {h}"
    for i in range(4):
        p = get(net.urls[i], "/api/v1/status")["params"]
        assert p["transferFeeBps"] == 300 and p["minFee"] == 1, f"node{i}: {p}"
    # The governed timeout is in force on every node (node4, now a validator, too), and the
    # five keep committing under it.
    for i in range(5):
        g = get(net.urls[i], "/api/v1/gov/params")["consensus"]
        assert g == {"consensus.timeoutProposeMs": 800}, f"node{i}: {g}"
    at = max(net.height(i) for i in range(5))
    net.wait("blocks commit under the governed timeout", lambda: all(net.height(i) >= at + 5 for i in range(5)), timeout=60)

    # The new fee applies from the block after the tally: a transfer now pays 3%.
    to = new_address()
    funded_address = json.load(open(funded))["address"]
    before = get(net.urls[3], f"/api/v1/accounts/{funded_address}")["balance"]
    ok(cli("tx", "transfer", "--node", net.urls[3], "--key", funded, "--to", to, "--amount", "1000", "--wait"))
    after = get(net.urls[3], f"/api/v1/accounts/{funded_address}")["balance"]
    assert before - after == 1000 + 30 + 1

    # A software upgrade far enough ahead that node3 is restarted without it first.
    height = net.height(0) + PERIOD + 30
    ok(cli("tx", "gov", "propose", "--node", net.urls[0], "--key", funded, "--title", "upgrade", "--deposit", "1000",
           "--upgrade-name", UPGRADE, "--upgrade-height", str(height), "--upgrade-info", "fees round up", "--wait"))
    up = proposal_id(net, "upgrade")
    # node1's and node2's votes are cast over MCP (mcp_governance); the others vote with the CLI.
    cast = mcp_governance(net, up, funded)
    vote(net, up, [i for i in range(4) if i not in cast])
    net.procs[3].send_signal(signal.SIGTERM)
    assert net.procs[3].wait(timeout=30) == 0
    net.env["AGORA_TEST_LACK_UPGRADES"] = UPGRADE
    net.start(3)
    del net.env["AGORA_TEST_LACK_UPGRADES"]
    net.wait("the upgrade is planned", lambda: get(net.urls[0], "/api/v1/gov/params")["upgrades"] == [
        {"name": UPGRADE, "height": height, "info": "fees round up"}], timeout=90)

    # node3 stops before the upgrade height with exit code 6 and the upgrade named; the rest go on.
    assert net.procs[3].wait(timeout=120) == 6
    log = net.log(3)
    assert "halting for a software upgrade this binary does not know" in log and UPGRADE in log
    assert f"stopped before height {height}" in log
    net.wait("the others pass the upgrade height", lambda: all(net.height(i) >= height + 2 for i in range(3)), timeout=60)
    assert get(net.urls[0], "/api/v1/gov/params")["upgrades"] == []

    # Restarted with the full binary, node3 runs the migration and catches up: one chain, no fork.
    net.start(3)
    net.wait("node3 catches up past the upgrade", lambda: net.height(3) >= height + 2, timeout=60)
    net.same_chain(range(5), height + 2)
    assert net.procs[3].poll() is None
