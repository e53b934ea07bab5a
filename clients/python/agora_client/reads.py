"""`Node`'s reads: one method per GET route of docs/api.md, returning the node's JSON as `View`s.
Lists return one page (`View` with `items` and `nextCursor`); `pages()` walks all of them.
Arguments that name an account are checked as addresses before the request is made."""
from __future__ import annotations

import urllib.parse
from typing import Any, Iterator

from . import bech32m
from .errors import InvalidInput
from .payloads import hex_bytes
from .views import View, wrap


def _addr(v: Any, field: str) -> str:
    if v is None:
        return None
    if hasattr(v, "address") and not isinstance(v, str):
        v = v.address
    bech32m.decode(v, field)
    return v


def _id(v: Any, field: str) -> str:
    return hex_bytes(v, field).hex()


def _page(limit: int | None, cursor: str | None) -> dict:
    return {"limit": limit, "cursor": cursor}


class ReadMethods:
    def _get(self, path: str, **query: Any) -> Any:
        return wrap(self.http.json("GET", path, query=query or None))

    def pages(self, method, *args, **kwargs) -> Iterator[View]:
        """Every item of a list read, following `nextCursor`: `for c in node.pages(node.claims, g): …`."""
        cursor = None
        while True:
            page = method(*args, cursor=cursor, **kwargs)
            yield from page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return

    # ---- chain and accounts ----------------------------------------------------------------

    def account(self, address: Any) -> View:
        """Balance and nonces (`balance`, `nonce`, `next_nonce`, `faucet_claimed`); zero for unknown addresses."""
        return self._get(f"/api/v1/accounts/{_addr(address, 'address')}")

    def accounts(self, limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/accounts", **_page(limit, cursor))

    def transaction(self, tx_id: str) -> View:
        """Pending, committed (with receipt) or rejected (with reason)."""
        return self._get(f"/api/v1/transactions/{_id(tx_id, 'tx_id')}")

    def transactions(self, account: Any = None, limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/transactions", account=_addr(account, "account"), **_page(limit, cursor))

    def block(self, ref: int | str = "latest") -> View:
        """A block by height, hash or `latest`, with its transactions and receipts."""
        return self._get(f"/api/v1/blocks/{urllib.parse.quote(str(ref))}")

    def blocks(self, limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/blocks", **_page(limit, cursor))

    def mempool(self) -> View:
        return self._get("/api/v1/mempool")

    def consensus(self) -> View:
        return self._get("/api/v1/consensus")

    def validators(self) -> View:
        return self._get("/api/v1/validators")

    # ---- groups, claims, presence ----------------------------------------------------------

    def group(self, group: str) -> View:
        return self._get(f"/api/v1/groups/{_id(group, 'group')}")

    def groups(self, limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/groups", **_page(limit, cursor))

    def members(self, group: str, limit: int | None = None, cursor: str | None = None) -> View:
        return self._get(f"/api/v1/groups/{_id(group, 'group')}/members", **_page(limit, cursor))

    def claims(self, group: str, *, since: int | None = None, after_height: int | None = None, tag: str | None = None,
               author: Any = None, include_retracted: bool = False, limit: int | None = None, cursor: str | None = None) -> View:
        """A group's claims oldest first; `since` a block time (ms), `after_height` only later blocks;
        retracted claims only with `include_retracted`."""
        return self._get(f"/api/v1/groups/{_id(group, 'group')}/claims", since=since, afterHeight=after_height, tag=tag,
                         author=_addr(author, "author"), includeRetracted="true" if include_retracted else None, **_page(limit, cursor))

    def context(self, group: str, query: str, *, budget: int = 2000, thread: str | None = None) -> View:
        """The group's claims ranked for `query` (BM25, recency, thread) and cut to `budget` tokens:
        `items` of {claim, author, height, score, tokens, text, …}, best first."""
        if not isinstance(query, str) or not 1 <= len(query.encode("utf-8")) <= 1024:
            raise InvalidInput("query", "must be 1…1024 bytes of text")
        if isinstance(budget, bool) or not isinstance(budget, int) or not 16 <= budget <= 32000:
            raise InvalidInput("budget", "must be an integer in 16…32000")
        return self._get(f"/api/v1/groups/{_id(group, 'group')}/context", q=query, budget=budget,
                         thread=None if thread is None else _id(thread, "thread"))

    def claim(self, claim: str) -> View:
        return self._get(f"/api/v1/claims/{_id(claim, 'claim')}")

    def thread(self, claim: str, limit: int | None = None, cursor: str | None = None, include_retracted: bool = False) -> View:
        return self._get(f"/api/v1/claims/{_id(claim, 'claim')}/thread", includeRetracted="true" if include_retracted else None,
                         **_page(limit, cursor))

    def presence(self, group: str) -> View:
        return self._get(f"/api/v1/groups/{_id(group, 'group')}/presence")

    # ---- tasks -----------------------------------------------------------------------------

    def tasks(self, *, group: str | None = None, state: str | None = None, assignee: Any = None,
              limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/tasks", group=None if group is None else _id(group, "group"), state=state,
                         assignee=_addr(assignee, "assignee"), **_page(limit, cursor))

    def task(self, task: str) -> View:
        return self._get(f"/api/v1/tasks/{_id(task, 'task')}")

    # ---- market ----------------------------------------------------------------------------

    def offers(self, seller: Any = None, limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/market/offers", seller=_addr(seller, "seller"), **_page(limit, cursor))

    def offer(self, offer: str) -> View:
        return self._get(f"/api/v1/market/offers/{_id(offer, 'offer')}")

    def purchases(self, *, buyer: Any = None, seller: Any = None, limit: int | None = None, cursor: str | None = None) -> View:
        """A buyer's purchases, or the purchases of a seller's offers (give exactly one)."""
        if (buyer is None) == (seller is None):
            raise InvalidInput("buyer", "give exactly one of buyer= and seller=")
        side, who = ("buyers", _addr(buyer, "buyer")) if buyer is not None else ("sellers", _addr(seller, "seller"))
        return self._get(f"/api/v1/market/{side}/{who}/purchases", **_page(limit, cursor))

    def purchase(self, purchase: str) -> View:
        return self._get(f"/api/v1/market/purchases/{_id(purchase, 'purchase')}")

    # ---- intents ---------------------------------------------------------------------------

    def intents(self, *, group: str | None = None, author: Any = None, status: str | None = None,
                limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/intents", group=None if group is None else _id(group, "group"), author=_addr(author, "author"),
                         status=status, **_page(limit, cursor))

    def intent(self, intent: str) -> View:
        return self._get(f"/api/v1/intents/{_id(intent, 'intent')}")

    def settlements(self, *, party: Any = None, mediator: Any = None, status: str | None = None,
                    limit: int | None = None, cursor: str | None = None) -> View:
        return self._get("/api/v1/settlements", party=_addr(party, "party"), mediator=_addr(mediator, "mediator"),
                         status=status, **_page(limit, cursor))

    def settlement(self, settlement: str) -> View:
        return self._get(f"/api/v1/settlements/{_id(settlement, 'settlement')}")

    def mediator(self, address: Any) -> View:
        return self._get(f"/api/v1/mediators/{_addr(address, 'address')}")
