"""Load refusals reach the caller as `TransactionThrottled` with the node's retry-after, from a
single submission (the Retry-After header) and from a batch item (`retryAfterSeconds`); every
other refusal stays a plain `TransactionRejected`. Offline: the answers are the node's shapes
(docs/api.md, docs/mempool.md), parsed by the SDK's own functions."""
import json

import pytest

from agora_client import BatchResult, TransactionRejected, TransactionThrottled
from agora_client.http import error_from

PATH = "/api/v1/transactions"


def body(code: str) -> bytes:
    return json.dumps({"code": code, "message": f"{code} happened"}).encode()


@pytest.mark.parametrize("status,code", [(429, "sender_pending_limit"), (429, "queued_limit"), (503, "mempool_busy")])
def test_a_single_refusal_with_retry_after_is_throttled(status, code):
    e = error_from(status, body(code), PATH, TransactionRejected, "3")
    assert isinstance(e, TransactionThrottled) and isinstance(e, TransactionRejected)
    assert (e.status, e.code, e.retry_after) == (status, code, 3)


def test_a_refusal_without_retry_after_is_not_throttled():
    e = error_from(422, body("nonce_too_high"), PATH, TransactionRejected, None)
    assert type(e) is TransactionRejected and e.retry_after is None
    assert type(error_from(422, body("nonce_too_high"), PATH, TransactionRejected, "soon")) is TransactionRejected


def test_a_batch_item_refused_for_the_senders_pending_limit_carries_its_retry_after():
    item = {"id": "ab" * 32, "status": "refused",
            "error": {"code": "sender_pending_limit", "message": "full window", "httpStatus": 429, "retryAfterSeconds": 2}}
    r = BatchResult.from_json(item, PATH + "/batch")
    assert not r.admitted and r.retry_after == 2
    assert isinstance(r.error, TransactionThrottled) and r.error.retry_after == 2 and r.error.code == "sender_pending_limit"
    plain = BatchResult.from_json({"id": "cd" * 32, "status": "refused",
                                   "error": {"code": "nonce_too_high", "message": "gap", "httpStatus": 422}}, PATH + "/batch")
    assert type(plain.error) is TransactionRejected and plain.retry_after is None
