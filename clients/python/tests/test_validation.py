"""Input is checked before signing: every bad argument raises `InvalidInput` naming it, without
the node being asked anything (the Node here points at a port nobody listens on, so any request
would raise `NodeUnreachable` instead)."""
import pytest

from agora_client import InvalidAddress, InvalidInput, Key, Node, payloads

GOOD = Key.generate().address
GROUP = "ab" * 32


@pytest.fixture
def offline():
    return Node("http://127.0.0.1:9")


@pytest.mark.parametrize("call", [
    lambda n, k: n.transfer(k, to=GOOD, amount=2**63),
    lambda n, k: n.transfer(k, to=GOOD, amount=-1),
    lambda n, k: n.transfer(k, to=GOOD, amount=0),
    lambda n, k: n.transfer(k, to=GOOD, amount=1.5),
    lambda n, k: n.transfer(k, to=GOOD, amount=True),
    lambda n, k: n.transfer(k, to=GOOD, amount=5, memo="x" * 257),
    lambda n, k: n.create_group(k, name=""),
    lambda n, k: n.create_group(k, name="a\nb"),
    lambda n, k: n.create_group(k, name="lab", policy={"transfer_fee_bps": 10_001}),
    lambda n, k: n.create_group(k, name="lab", policy={"faucet": 1}),
    lambda n, k: n.publish_claim(k, group=GROUP, text=""),
    lambda n, k: n.publish_claim(k, group=GROUP, text="x" * 8193),
    lambda n, k: n.publish_claim(k, group=GROUP, text="x", tags=[f"t{i}" for i in range(9)]),
    lambda n, k: n.publish_claim(k, group=GROUP, text="x", tags=["no spaces"]),
    lambda n, k: n.publish_claim(k, group=GROUP, text="x", tags="one-string"),
    lambda n, k: n.publish_claim(k, group="xyz", text="x"),
    lambda n, k: n.publish_claim(k, group=GROUP, text="x", artifacts=[{"sha256": "00" * 32, "size": 0}]),
    lambda n, k: n.publish_claim(k, group=GROUP, text="x", artifacts=[("00" * 32, 1), ("00" * 32, 2)]),
    lambda n, k: n.add_member(k, group=GROUP, member=GOOD, role="owner"),
    lambda n, k: n.create_task(k, group=GROUP, title="t", deadline=0),
    lambda n, k: n.post_intent(k, group=GROUP, kind="swap", text="x"),
    lambda n, k: n.post_intent(k, group=GROUP, kind="offer", text="   "),
    lambda n, k: n.post_intent(k, group=GROUP, kind="offer", text="x", terms={"amount": [5, 1]}),
    lambda n, k: n.register_mediator(k, stake=1, fee_bps=10_001),
    lambda n, k: n.create_offer(k, "t", {"sha256": "00" * 32, "size": 1}, "00" * 32, "00" * 32, price=0, bond=0,
                                expires_at=1, delivery_window_ms=1_000, dispute_window_ms=1_000),
    lambda n, k: n.resolve_challenge(k, settlement=GROUP, upheld=1),
])
def test_bad_arguments_are_refused_before_signing(offline, call):
    with pytest.raises(InvalidInput):
        call(offline, Key.generate())


@pytest.mark.parametrize("text,reason", [
    ("ag1" + "de" * 20, "legacyHex"),
    (GOOD[:-1] + ("q" if GOOD[-1] != "q" else "p"), "badChecksum"),
    (GOOD[:10] + GOOD[10:].upper(), "mixedCase"),
    ("ag1qqq", "wrongLength"),
])
def test_addresses_are_checked_with_the_nodes_reasons(offline, text, reason):
    with pytest.raises(InvalidAddress) as e:
        offline.transfer(Key.generate(), to=text, amount=1)
    assert e.value.reason == reason and e.value.field == "to"


def test_tags_are_normalised_as_the_node_requires():
    assert payloads.normalize_tags([" #Rust", "rust", "AI", "ml:vision"]) == ["ai", "ml:vision", "rust"]
