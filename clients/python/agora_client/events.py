"""The event stream (`GET /api/v1/events`, docs/api.md) as a Python iterator.

`node.events(modules=["claims"], since=0)` subscribes and yields each event (a `View` with `seq`
and `type`). The stream is resumable: it remembers the last sequence number it handed out, and
when the connection drops it reconnects and subscribes again with `since=` that number, so the
caller sees every event once, in order, without a gap — unless the node no longer holds some of
them, which it says and the stream records in `gaps` (and hands to `on_gap`). A refused filter
or a policy close (1008, 1009, 1013) raises `EventStreamError` instead of reconnecting."""
from __future__ import annotations

import collections
import json
import time
from typing import Any, Callable, Iterable, Iterator

from websockets import __version__ as _ws_version
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

# websockets 17 wants `legacy=True` to keep a connection open outside a `with` block (the stream
# holds it across `get` calls); older versions do that by default and do not know the flag.
_CONNECT_OPTS = {"legacy": True} if int(_ws_version.split(".")[0]) >= 17 else {}

from .errors import EventStreamError
from .reads import _addr
from .views import View

FATAL_CLOSE_CODES = {1008: "policy_violation", 1009: "message_too_big", 1013: "try_again_later"}


class EventStream:
    def __init__(self, url: str, subscription: dict, since: int | None, *, reconnect: bool = True, max_retries: int = 20,
                 open_timeout: float = 10.0, on_gap: Callable[[dict], None] | None = None):
        self.url = url
        self.subscription = subscription
        self.last_seq: int | None = since
        self.reconnect = reconnect
        self.max_retries = max_retries
        self.open_timeout = open_timeout
        self.on_gap = on_gap
        self.gaps: list[dict] = []
        self.reconnects = 0
        self._ws = None
        self._buffer: collections.deque = collections.deque()
        self._closed = False

    def _connect(self) -> None:
        sub = dict(self.subscription, op="subscribe")
        if self.last_seq is not None:
            sub["since"] = self.last_seq
        ws = connect(self.url, open_timeout=self.open_timeout, max_size=16 * 1024 * 1024, **_CONNECT_OPTS)
        ws.send(json.dumps(sub))
        while True:
            msg = json.loads(ws.recv(timeout=self.open_timeout))
            if msg.get("type") == "error":
                ws.close()
                raise EventStreamError(msg.get("code", "unknown"), msg.get("message", ""))
            if msg.get("type") == "subscribed":
                break
        if msg.get("gap"):
            self.gaps.append(msg["gap"])
            if self.on_gap:
                self.on_gap(msg["gap"])
        self._ws = ws

    def get(self, timeout: float | None = None) -> View:
        """The next event; `TimeoutError` when none arrives within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = 0
        while not self._buffer:
            if self._closed:
                raise StopIteration
            try:
                if self._ws is None:
                    self._connect()
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                self._handle(json.loads(self._ws.recv(timeout=left)))
                failures = 0
            except TimeoutError:
                raise
            except (ConnectionClosed, InvalidHandshake, OSError) as e:
                self._drop()
                code = getattr(getattr(e, "rcvd", None), "code", None)
                if code in FATAL_CLOSE_CODES:
                    raise EventStreamError(FATAL_CLOSE_CODES[code], f"node closed the stream ({code}): {e.rcvd.reason}") from None
                failures += 1
                if self._closed or not self.reconnect or failures > self.max_retries:
                    raise EventStreamError("disconnected", str(e)) from None
                self.reconnects += 1
                time.sleep(min(2.0, 0.05 * 2 ** failures))
        event = self._buffer.popleft()
        self.last_seq = event["seq"]
        return event

    def _handle(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "events":
            for e in msg.get("events", []):
                # After a reconnect the node replays from `since`: never hand out an event twice.
                if self.last_seq is None or e["seq"] > self.last_seq:
                    self._buffer.append(View(e))
        elif kind == "error":
            raise EventStreamError(msg.get("code", "unknown"), msg.get("message", ""))

    def _drop(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:
                pass
            self._ws = None

    def __iter__(self) -> Iterator[View]:
        while True:
            try:
                yield self.get()
            except StopIteration:
                return

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class EventMethods:
    def events(self, *, modules: Iterable[str] | None = None, blocks: bool = False, accounts: Iterable[Any] | None = None,
               transactions: Iterable[str] | None = None, since: int | None = None, reconnect: bool = True,
               on_gap: Callable[[dict], None] | None = None) -> EventStream:
        """Subscribes to events (at least one filter): `modules` of bank, staking, groups, claims,
        tasks, presence, market, intents; `blocks`; `accounts` (ag1…); `transactions` (IDs).
        `since` replays held events after that sequence number first (0: all the node holds)."""
        sub: dict[str, Any] = {}
        if modules:
            sub["modules"] = list(modules)
        if blocks:
            sub["blocks"] = True
        if accounts:
            sub["accounts"] = [_addr(a, "accounts") for a in accounts]
        if transactions:
            sub["transactions"] = list(transactions)
        url = self.url.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/api/v1/events"
        stream = EventStream(url, sub, since, reconnect=reconnect, on_gap=on_gap)
        return stream
