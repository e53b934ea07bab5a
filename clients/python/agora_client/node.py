"""`Node`: a client of one Agora node's HTTP API v1 (docs/api.md).

It owns what every call needs: the transport, the chain it talks to (pinned with `chain_id=` or
`genesis_hash=`, checked before anything is signed: `WrongChain`), each signing key's nonce
sequence (so a loop of submissions does not refetch the account per transaction, and a refused
transaction gives its nonce back), submission, and waiting for receipts. The methods that build
each payload are in `TransactionMethods`, reads in `ReadMethods`, artifacts and events in their
own modules."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Sequence

from . import payloads as P
from .artifacts import ArtifactMethods
from .errors import InvalidInput, NodeError, TransactionFailed, TransactionRejected, TransactionThrottled, WaitTimeout, WrongChain
from .events import EventMethods
from .http import Transport, error_from, retry_seconds
from .market import MarketMethods
from .reads import ReadMethods
from .transaction import SignedTransaction, derived_id, sign_transaction
from .txmethods import TransactionMethods
from .views import Receipt, View, wrap

# What each payload kind creates, named by the sender and nonce of its transaction.
CREATES = {"group_create": "group", "claim_publish": "claim", "task_create": "task", "market_offer": "offer",
           "market_buy": "purchase", "intent_post": "intent", "settlement_propose": "settlement"}
STATUS_TTL = 1.0
# Transactions per `submit_batch` request at most (the node's APIRoutes.maxBatchTransactions).
MAX_BATCH = 500


@dataclass(frozen=True)
class BatchResult:
    """One transaction's answer in `Node.submit_batch`: `status` is "pending" or "queued"
    (admitted, as `submit_signed` answers) or "refused", with `error` the `TransactionRejected`
    that a single submission would have raised and `retry_after` the seconds to wait before
    sending it again when the refusal was about load (`mempool_busy`, `queued_limit`,
    `sender_pending_limit`; `error` is then a `TransactionThrottled`)."""

    id: str
    status: str
    replaced: str | None = None
    error: TransactionRejected | None = None
    retry_after: int | None = None

    @property
    def admitted(self) -> bool:
        return self.error is None

    @staticmethod
    def from_json(r: dict, path: str) -> "BatchResult":
        e = r.get("error")
        if e is None:
            return BatchResult(r["id"], r["status"], r.get("replaced"))
        status, code, message, retry = int(e.get("httpStatus", 422)), str(e.get("code", "unknown")), str(e.get("message", "")), \
            retry_seconds(e.get("retryAfterSeconds"))
        error = (TransactionRejected(status, code, message, tx_id=r["id"], path=path) if retry is None else
                 TransactionThrottled(status, code, message, retry_after=retry, tx_id=r["id"], path=path))
        return BatchResult(r["id"], r["status"], None, error, retry)


class Node(TransactionMethods, ReadMethods, ArtifactMethods, EventMethods, MarketMethods):
    """A node at `url` (e.g. `http://127.0.0.1:8645`).

    `chain_id` / `genesis_hash` pin the chain: a node that serves another one raises `WrongChain`
    before the first transaction is signed. Without them the chain is pinned at first contact. `admin_token` is sent as a bearer token (admin routes,
    artifact access). `wait_timeout` bounds `wait=True`."""

    def __init__(self, url: str = "http://127.0.0.1:8645", *, chain_id: str | None = None, genesis_hash: str | None = None,
                 timeout: float = 30.0, wait_timeout: float = 60.0, admin_token: str | None = None):
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else None
        self.http = Transport(url, timeout, headers)
        self.url = self.http.url
        self.expected_chain_id = chain_id
        self.expected_genesis_hash = genesis_hash
        self.wait_timeout = wait_timeout
        self._lock = threading.Lock()
        self._next_nonce: dict[str, int] = {}
        self._status: tuple[float, View] | None = None

    # ---- chain -----------------------------------------------------------------------------

    def status(self) -> View:
        """`GET /api/v1/status` (always fresh); checks the pinned chain."""
        s = wrap(self.http.json("GET", "/api/v1/status"))
        if self.expected_chain_id is not None and s["chainID"] != self.expected_chain_id:
            raise WrongChain(self.expected_chain_id, s["chainID"])
        if self.expected_genesis_hash is not None and s["genesisHash"] != self.expected_genesis_hash:
            raise WrongChain(self.expected_genesis_hash, s["genesisHash"], "genesis hash")
        # Pinned at first contact when not given: if the URL later reaches another chain (a node
        # re-created behind the same address), nothing is signed for it.
        self.expected_chain_id = s["chainID"]
        self.expected_genesis_hash = s["genesisHash"]
        self._status = (time.monotonic(), s)
        return s

    def _recent_status(self) -> View:
        cached = self._status
        if cached is None or time.monotonic() - cached[0] > STATUS_TTL:
            return self.status()
        return cached[1]

    @property
    def chain_id(self) -> str:
        return self._recent_status()["chainID"]

    # ---- signing and submitting ------------------------------------------------------------

    def sign(self, key, kind: str, payload: bytes, *, fee: int | None = None, nonce: int | None = None,
             expires_in: int = 100) -> SignedTransaction:
        """Signs `payload` (bytes from `agora_client.payloads`) for this node's chain with the
        key's next nonce, without sending it."""
        s = self._recent_status()
        if fee is None:
            fee = 0 if kind in P.FEE_EXEMPT else s["params"]["minFee"]
        if not isinstance(expires_in, int) or expires_in < 1:
            raise InvalidInput("expires_in", f"{expires_in!r} must be a positive number of blocks")
        if nonce is None:
            nonce = self._take_nonce(key)
        return sign_transaction(key, s["chainID"], nonce, fee, s["height"] + expires_in, payload)

    def _take_nonce(self, key) -> int:
        with self._lock:
            n = self._next_nonce.get(key.address)
        if n is None:
            n = self.account(key.address)["nextNonce"]
        with self._lock:
            n = max(n, self._next_nonce.get(key.address, 0))
            self._next_nonce[key.address] = n + 1
        return n

    def _give_back(self, key, nonce: int) -> None:
        with self._lock:
            if self._next_nonce.get(key.address) == nonce + 1:
                self._next_nonce[key.address] = nonce
            else:
                self._next_nonce.pop(key.address, None)  # out of order: refetch next time

    def submit(self, key, kind: str, payload: bytes, *, fee: int | None = None, nonce: int | None = None,
               expires_in: int = 100, wait: bool = False, timeout: float | None = None) -> Receipt:
        """Signs and submits one transaction; with `wait=True` returns once it is committed.
        Raises `TransactionRejected` (admission refused, `.code` the node's reason),
        `TransactionFailed` (committed but the payload failed) or `WaitTimeout`."""
        for attempt in (0, 1):
            tx = self.sign(key, kind, payload, fee=fee, nonce=nonce, expires_in=expires_in)
            try:
                answer = self.submit_signed(tx)
                break
            except TransactionRejected as e:
                self._give_back(key, tx.nonce)
                if e.code in ("nonce_too_low", "nonce_too_high") and nonce is None and attempt == 0:
                    with self._lock:
                        self._next_nonce.pop(key.address, None)  # another client used the key: refetch
                    continue
                raise
        receipt = Receipt(id=tx.id, status=answer["status"], nonce=tx.nonce, sender=tx.sender, kind=kind, raw=answer)
        if kind in CREATES:
            setattr(receipt, CREATES[kind] + "_id", derived_id(CREATES[kind], tx.sender, tx.nonce))
        return self.wait(receipt, timeout) if wait else receipt

    def submit_signed(self, tx: SignedTransaction | bytes) -> dict:
        """`POST /api/v1/transactions` with already signed bytes; returns {id, status}. A refusal
        for load raises `TransactionThrottled` (`.retry_after` seconds), any other
        `TransactionRejected`."""
        raw = tx.bytes if isinstance(tx, SignedTransaction) else bytes(tx)
        status, headers, data = self.http.request("POST", "/api/v1/transactions", body=b'{"tx":"' + raw.hex().encode() + b'"}',
                                                  content_type="application/json")
        if status not in (200, 202):
            raise error_from(status, data, "/api/v1/transactions", TransactionRejected, headers.get("retry-after"))
        return json.loads(data)

    def submit_batch(self, txs: Sequence[SignedTransaction | bytes]) -> list[BatchResult]:
        """`POST /api/v1/transactions/batch` with up to `MAX_BATCH` signed transactions in one
        request: each is admitted under the rules of `submit_signed` and gets its own
        `BatchResult`, in order (`.error` is the `TransactionRejected` it would have raised, with
        `.retry_after` seconds for the load refusals `mempool_busy`, `queued_limit` and
        `sender_pending_limit`, which are
        worth sending again). Raises only when the request as a whole is refused (its shape, an
        item that is not a transaction at all, the rate limit)."""
        if not 1 <= len(txs) <= MAX_BATCH:
            raise InvalidInput("txs", f"holds {len(txs)} transactions; 1…{MAX_BATCH} per batch")
        hexes = [(t.bytes if isinstance(t, SignedTransaction) else bytes(t)).hex() for t in txs]
        body = ('{"txs":["' + '","'.join(hexes) + '"]}').encode()
        path = "/api/v1/transactions/batch"
        status, _, data = self.http.request("POST", path, body=body, content_type="application/json")
        if status != 200:
            raise error_from(status, data, path, TransactionRejected)
        results = json.loads(data)["results"]
        if len(results) != len(txs):
            raise NodeError(status, "invalid_response", f"{len(results)} results for {len(txs)} transactions", path=path)
        return [BatchResult.from_json(r, path) for r in results]

    def wait(self, receipt: Receipt | str, timeout: float | None = None, poll: float = 0.05) -> Receipt:
        """Polls until the transaction is committed (success: the receipt is filled in) or dropped."""
        if isinstance(receipt, str):
            receipt = Receipt(id=receipt, status="pending", nonce=-1, sender="", kind="")
        deadline = time.monotonic() + (self.wait_timeout if timeout is None else timeout)
        while True:
            try:
                s = self.http.json("GET", f"/api/v1/transactions/{receipt.id}")
            except NodeError as e:
                if e.status != 404:
                    raise
                s = {"status": "unknown"}
            if s["status"] == "committed":
                if not s.get("success"):
                    err = s.get("error") or {}
                    raise TransactionFailed(receipt.id, s.get("height", 0), err.get("code", "unknown"), err.get("message", ""))
                receipt.status, receipt.height, receipt.index, receipt.fee_paid = "committed", s.get("height"), s.get("index"), s.get("feePaid")
                receipt.raw = s
                return receipt
            if s["status"] == "rejected":
                err = s.get("error") or {}
                raise TransactionRejected(422, err.get("code", "unknown"), err.get("message", ""), tx_id=receipt.id)
            if time.monotonic() >= deadline:
                raise WaitTimeout(receipt.id, self.wait_timeout if timeout is None else timeout)
            time.sleep(poll)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Node":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Node({self.url!r})"
