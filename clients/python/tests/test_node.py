"""The SDK against a real `agora dev` node: the issue's example flow end to end (transfer with
`wait=True`, balances, a group, a claim, events), one transaction of each module's kinds that a
single-validator dev chain can execute, reads, artifacts with verification, and the node's
error codes reaching the caller as typed exceptions."""
import os

import pytest

from agora_client import payloads
from agora_client import (ArtifactMismatch, InvalidInput, Key, Node, NotFound, TransactionFailed, TransactionRejected,
                          WrongChain)


def test_the_issue_example_flow(node, dev_key):
    bob = Key.generate()
    receipt = node.transfer(dev_key, to=bob.address, amount=5, wait=True)
    assert receipt.committed and receipt.height > 0 and receipt.fee_paid >= 1
    assert node.account(bob.address).balance == 5
    g = node.create_group(dev_key, name="lab", wait=True).group_id
    assert node.group(g).name == "lab"
    c = node.publish_claim(dev_key, group=g, text="finding", tags=["X"], wait=True)
    claim = node.claim(c.claim_id)
    assert claim.text == "finding" and claim.tags == ["x"] and claim.author == dev_key.address
    with node.events(modules=["claims"], since=0) as events:
        seen = next(e for e in events if e.type == "claims.published" and e.claim == c.claim_id)
    assert seen.group == g


def test_faucet_members_tasks_and_funding(node, dev_key, funded):
    newcomer = Key.generate()
    node.faucet(newcomer, wait=True)
    assert node.account(newcomer).faucet_claimed
    g = node.create_group(funded, name="crew", wait=True).group_id
    node.add_member(funded, group=g, member=dev_key.address, role="member", wait=True)
    node.fund_group(funded, group=g, amount=100, wait=True)
    assert {m.address for m in node.pages(node.members, g)} == {funded.address, dev_key.address}
    t = node.create_task(funded, group=g, title="review", reward=50, wait=True).task_id
    node.take_task(dev_key, task=t, wait=True)
    node.start_task(dev_key, task=t, wait=True)
    node.complete_task(dev_key, task=t, text="done", wait=True)
    assert node.task(t).state == "completed"
    assert node.tasks(group=g, state="completed")["items"][0]["id"] == t
    node.set_role(funded, group=g, member=dev_key.address, role="observer", wait=True)
    node.remove_member(funded, group=g, member=dev_key.address, wait=True)
    node.update_group_policy(funded, group=g, policy={"claim_reward": 1, "max_supply": 10}, wait=True)


def test_intents_and_the_market_offer_cycle(node, funded):
    g = node.create_group(funded, name="bazaar", wait=True).group_id
    i = node.post_intent(funded, group=g, kind="offer", text="spare GPU hours", terms={"asset": "gpu-hours", "amount": [1, 5]},
                         wait=True).intent_id
    assert node.intent(i).status == "open"
    node.withdraw_intent(funded, intent=i, wait=True)
    assert node.intent(i).status == "withdrawn"
    node.register_mediator(funded, stake=100, fee_bps=100, wait=True)
    assert node.mediator(funded.address).fee_bps == 100
    expires = node.status().head_time + 3_600_000
    o = node.create_offer(funded, "dataset", {"sha256": "11" * 32, "size": 10}, "22" * 32, "33" * 32, price=10, bond=5,
                          expires_at=expires, delivery_window_ms=60_000, dispute_window_ms=60_000, wait=True).offer_id
    assert node.offer(o).status == "open"
    node.cancel_offer(funded, offer=o, wait=True)
    assert node.offer(o).status == "cancelled"


def test_a_failed_payload_raises_with_the_nodes_code(node, funded):
    with pytest.raises(TransactionFailed) as e:
        node.add_member(funded, group="ab" * 32, member=funded.address, wait=True)
    assert e.value.code == "group_not_found"
    with pytest.raises(TransactionFailed) as e:
        node.transfer(funded, to=Key.generate().address, amount=10**12, wait=True)
    assert e.value.code == "insufficient_balance"


def test_admission_refusals_carry_the_nodes_code(node, funded):
    node.transfer(funded, to=Key.generate().address, amount=1, wait=True)
    with pytest.raises(TransactionRejected) as e:
        node.transfer(funded, to=Key.generate().address, amount=1, nonce=0)
    assert e.value.code == "nonce_too_low" and e.value.status == 422
    broke = Key.generate()
    with pytest.raises(TransactionRejected) as e:
        node.transfer(broke, to=funded.address, amount=1)
    assert e.value.code == "insufficient_funds_for_fee"
    # The refused nonce was given back: the next transaction of the key still goes through.
    node.transfer(funded, to=broke.address, amount=10, wait=True)
    assert node.account(broke).balance == 10


def test_a_batch_gets_one_result_per_transaction_and_commits(node, funded):
    from agora_client import MAX_BATCH, BatchResult
    bob = Key.generate()
    txs = [node.sign(funded, "transfer", payloads.transfer(bob.address, 1 + i)) for i in range(5)]
    results = node.submit_batch(txs + [txs[0]])
    assert [r.id for r in results] == [t.id for t in txs] + [txs[0].id]
    assert [r.status for r in results[:5]] == ["pending"] * 5 and all(isinstance(r, BatchResult) for r in results)
    # The same transaction twice: the second is refused with the code a single submission gets.
    assert not results[5].admitted and results[5].error.code in ("already_known", "replacement_underpriced")
    assert results[5].error.status == 409 and results[5].error.tx_id == txs[0].id
    node.wait(txs[-1].id, timeout=60)
    assert node.account(bob.address).balance == sum(range(1, 6))
    with pytest.raises(TransactionRejected) as e:  # not a transaction at all: the request is refused whole
        node.submit_batch([b"\x01\x02"])
    assert e.value.code == "malformed_transaction" and e.value.status == 400
    with pytest.raises(InvalidInput):
        node.submit_batch([])
    with pytest.raises(InvalidInput):
        node.submit_batch([txs[0]] * (MAX_BATCH + 1))


def test_a_node_of_another_chain_is_refused_before_signing(dev_node, dev_key):
    with Node(dev_node.url, chain_id="some-other-chain") as other:
        with pytest.raises(WrongChain):
            other.transfer(dev_key, to=Key.generate().address, amount=1)


def test_the_chain_is_pinned_at_first_contact(dev_node, dev_key, monkeypatch):
    with Node(dev_node.url) as n:
        n.status()
        real = n.http.json

        def other_genesis(method, path, *a, **kw):
            answer = real(method, path, *a, **kw)
            return dict(answer, genesisHash="00" * 32) if path == "/api/v1/status" else answer
        monkeypatch.setattr(n.http, "json", other_genesis)
        with pytest.raises(WrongChain) as e:
            n.status()
        assert e.value.found == "00" * 32


def test_reads_and_not_found(node, dev_key):
    assert node.block("latest").height >= 1
    assert node.transactions(account=dev_key.address, limit=1)["items"]
    assert node.validators().active
    with pytest.raises(NotFound) as e:
        node.group("cd" * 32)
    assert e.value.code == "group_not_found"
    with pytest.raises(InvalidInput):
        node.account("ag1nope")


def test_artifacts_upload_download_and_verify(node, funded, tmp_path):
    data = os.urandom(300_000)
    ref = node.upload_artifact(data, key=funded)
    assert node.has_artifact(ref.sha256) == len(data)
    assert node.download_artifact(ref.sha256) == data
    out = node.download_artifact(ref.sha256, path=tmp_path / "copy")
    assert out.size == len(data) and (tmp_path / "copy").read_bytes() == data
    g = node.create_group(funded, name="papers", wait=True).group_id
    c = node.publish_claim(funded, group=g, text="see attached", artifacts=[ref.as_dict()], wait=True).claim_id
    assert node.claim(c).artifacts == [{"sha256": ref.sha256, "size": len(data)}]


def test_a_download_that_does_not_hash_to_its_id_is_refused(node, funded, monkeypatch):
    ref = node.upload_artifact(b"genuine bytes", key=funded)
    real = node.http.stream

    def corrupting(path, sink, headers=None):
        return real(path, lambda piece: sink(piece[::-1]), headers)
    monkeypatch.setattr(node.http, "stream", corrupting)
    with pytest.raises(ArtifactMismatch):
        node.download_artifact(ref.sha256)


def test_events_resume_after_a_dropped_connection_without_gap_or_duplicate(node, dev_key):
    with node.events(blocks=True) as stream:
        first = [stream.get(timeout=10) for _ in range(3)]
        stream._ws.close()  # the connection drops under the iterator
        rest = [stream.get(timeout=10) for _ in range(3)]
    seqs = [e.seq for e in first + rest]
    heights = [e.height for e in first + rest]
    assert seqs == sorted(set(seqs))
    assert heights == list(range(heights[0], heights[0] + 6)), "no block skipped or repeated across the reconnect"
    assert stream.reconnects >= 1


def test_every_documented_module_is_accepted(node):
    for module in ["bank", "staking", "groups", "claims", "tasks", "presence", "market", "intents"]:
        with node.events(modules=[module]) as s:
            s._connect()  # raises EventStreamError if the filter is refused


def test_retraction_context_and_sources(node, funded, dev_key):
    g = node.create_group(funded, name="memory", wait=True).group_id
    first = node.publish_claim(funded, group=g, text="The cache halves p99 latency on the read path.", tags=["perf"], wait=True).claim_id
    wrong = node.publish_claim(funded, group=g, text="Cache latency doubled (measured wrongly).", wait=True).claim_id
    derived = node.publish_claim(funded, group=g, text="A cache design built on the first result.", sources=[first], wait=True).claim_id
    assert node.claim(derived).sources == [first]
    ctx = node.context(g, "cache latency", budget=2000)
    assert {i["claim"] for i in ctx["items"]} >= {first, wrong} and ctx["tokens"] <= 2000
    assert all(i["score"] > 0 and i["author"] == funded.address for i in ctx["items"])
    node.retract_claim(funded, wrong, "measured wrongly", wait=True)
    assert wrong not in {i["claim"] for i in node.context(g, "cache latency")["items"]}
    assert wrong not in {c["id"] for c in node.claims(g)["items"]}
    assert wrong in {c["id"] for c in node.claims(g, include_retracted=True)["items"]}
    assert node.claim(wrong).retracted["reason"] == "measured wrongly"
    with pytest.raises(TransactionFailed) as e:
        node.retract_claim(dev_key, first, "not mine", wait=True)
    assert e.value.code == "not_claim_author"
    with pytest.raises(InvalidInput):
        node.context(g, "", budget=2000)
