"""A whole encrypted sale in Python against a real `agora dev` node: a Python seller offers
(content encrypted and uploaded, offer committed), a Python buyer escrows with a one-time key,
the seller delivers the content key sealed with HPKE, and the buyer opens it, checks it against
the commitment, downloads, decrypts and verifies the file; the chain then releases the price.
A cheating seller is caught and disputed on the chain (refund, bond slashed) with a typed
exception; a buyer with the wrong one-time key gets one too."""
import os
import time

import pytest

from agora_client import Key, WrongContentKey, market


@pytest.fixture
def parties(node, dev_key):
    seller, buyer = Key.generate(), Key.generate()
    for k in (seller, buyer):
        node.transfer(dev_key, to=k.address, amount=1_000_000, wait=True)
    return seller, buyer


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_python_seller_and_buyer_complete_an_encrypted_sale(node, parties):
    seller, buyer = parties
    content = os.urandom(3 * market.CHUNK_BYTES + 4321)  # several cipher chunks
    offered = node.market_offer(seller, content, title="dataset", price=1_000, bond=500,
                                delivery_window_ms=60_000, dispute_window_ms=1_000)
    offer = node.offer(offered.offer_id)
    assert offer.key_commitment == market.key_commitment(offered.content_key)
    assert offer.artifact["size"] == market.ciphertext_size(len(content))
    assert node.download_artifact(offer.artifact["sha256"]) != content  # the store holds only ciphertext

    bought = node.market_buy(buyer, offered.offer_id)
    assert node.purchase(bought.purchase_id).status == "awaiting_delivery"
    node.market_deliver(seller, bought.purchase_id, offered.content_key)
    assert node.market_receive(buyer, bought.purchase_id, bought.buyer_secret, timeout=30) == content

    wait_for(lambda: node.purchase(bought.purchase_id).status == "released")
    assert node.offer(offered.offer_id).sales == 1


def test_a_cheating_seller_is_disputed_refunded_and_slashed(node, parties):
    seller, buyer = parties
    offered = node.market_offer(seller, b"the real thing", title="honest?", price=700, bond=300,
                                delivery_window_ms=60_000, dispute_window_ms=60_000)
    bought = node.market_buy(buyer, offered.offer_id)
    before = node.account(buyer.address).balance
    node.market_deliver(seller, bought.purchase_id, os.urandom(32))  # a key that does not match the commitment
    with pytest.raises(WrongContentKey) as e:
        node.market_receive(buyer, bought.purchase_id, bought.buyer_secret, timeout=30)
    assert e.value.disputed is not None and e.value.disputed.committed
    assert "commitment" in e.value.reason
    assert node.purchase(bought.purchase_id).status == "refunded_disputed"
    assert node.offer(offered.offer_id).status == "slashed"
    fee = e.value.disputed.fee_paid
    assert node.account(buyer.address).balance == before + 700 + 300 - fee


def test_a_buyer_with_the_wrong_one_time_key_gets_a_typed_error(node, parties):
    seller, buyer = parties
    offered = node.market_offer(seller, b"abc", title="small", price=10, delivery_window_ms=60_000, dispute_window_ms=60_000)
    bought = node.market_buy(buyer, offered.offer_id)
    node.market_deliver(seller, bought.purchase_id, offered.content_key)
    with pytest.raises(WrongContentKey) as e:
        node.market_receive(buyer, bought.purchase_id, bytes(32 * [7]), dispute=False, timeout=30)
    assert "does not open" in e.value.reason and e.value.disputed is None
    assert node.market_receive(buyer, bought.purchase_id, bought.buyer_secret, timeout=30) == b"abc"
